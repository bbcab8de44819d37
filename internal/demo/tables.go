package demo

// Event kinds. The first block is written by structured records (referrals,
// contacts, assessments, placements); the rest is the everyday casework that
// fills a timeline.
const (
	evReferral = iota
	evContact
	evRisk
	evMaracReferral
	evMaracMeeting
	evMoveIn
	evMoveOut
	evTurnaway
	evCaseClosed
	evHomeVisit // first filler kind
	evPhoneCall
	evMessage
	evText
	evSafetyPlan
	evKeyWork
	evCourt
	evPoliceUpdate
	evTargetHardening
	evBenefits
	evSchool
	evGP
	evChildSession
	evVolunteer
	evSupervision
	evCaseNote
	evHousing
	evInterpreter
	numEventKinds
)

const firstFiller = evHomeVisit

var eventKinds = [numEventKinds]string{
	"referral_received", "contact", "risk_assessment", "marac_referral", "marac_meeting",
	"move_in", "move_out", "turnaway", "case_closed", "home_visit", "phone_call",
	"message_left", "text_sent", "safety_plan", "key_work_session", "court", "police_update",
	"target_hardening", "benefits", "school_liaison", "gp_liaison", "child_session",
	"volunteer_session", "supervision", "case_note", "housing", "interpreter_booked",
}

// eventNotes are short, generic, fictional case-note texts. They name nobody
// so the demo never shows anything that reads like a real person's record.
var eventNotes = [numEventKinds][]string{
	evReferral: {
		"Referral received and added to the triage queue.",
		"Police referral received after attendance at the address.",
		"Self-referral via the online form; safe contact details checked.",
		"Agency referral received; consent to share confirmed with referrer.",
	},
	evContact: {
		"Contact: options discussed, safe contact details checked.",
		"Contact: information about refuge and criteria given.",
		"Contact: unsure whether to leave; safety plan started.",
		"Contact: advice given and referral route explained.",
		"Contact ended abruptly; not followed up, as agreed.",
	},
	evRisk: {
		"Risk checklist completed with client; safety plan updated.",
		"Risk reassessed after change of circumstances.",
		"Risk checklist completed by phone at agreed safe time.",
	},
	evMaracReferral: {
		"Referred to MARAC: threshold met on checklist.",
		"Referred to MARAC on professional judgement.",
		"Referred to MARAC: escalation in police call-outs.",
	},
	evMaracMeeting: {
		"Discussed at MARAC; actions agreed with police and housing.",
		"MARAC: flag placed on address; housing to prioritise transfer.",
		"Repeat MARAC discussion; safety plan and actions reviewed.",
	},
	evMoveIn: {
		"Moved in; house rules, fire safety and confidentiality explained.",
		"Arrived late evening; settled into room with essentials pack.",
	},
	evMoveOut: {
		"Moved out; move-on plan reviewed and forwarding support arranged.",
		"Left accommodation; keys returned and room checked.",
	},
	evTurnaway: {
		"Refuge space requested; no suitable vacancy, alternatives offered.",
		"Could not accommodate: needs could not be met at available vacancy.",
	},
	evCaseClosed: {
		"Case closed: support goals met, client knows how to re-refer.",
		"Case closed: no contact after three attempts at safe times.",
		"Case closed: client moved out of area, onward referral made.",
	},
	evHomeVisit: {
		"Home visit with colleague; client reports feeling safer.",
		"Home visit: discussed letters from solicitor and next steps.",
		"Lone-working visit completed; check-in call made afterwards.",
		"Home visit: went through budgeting and bills.",
	},
	evPhoneCall: {
		"Call at agreed safe time; no new concerns raised.",
		"Call to client: update on court date given.",
		"Phoned client; rearranged appointment for next week.",
		"Check-in call; client coping, sleeping better.",
	},
	evMessage: {
		"No answer at safe time; no message left, as agreed.",
		"No answer; voicemail safe, brief neutral message left.",
	},
	evText: {
		"Appointment reminder sent by text (texts marked safe).",
		"Neutral text sent to confirm call-back time.",
	},
	evSafetyPlan: {
		"Safety plan reviewed: escape bag, codeword with neighbour.",
		"Safety plan updated for school pick-ups.",
		"Online safety: phone settings and location sharing checked.",
	},
	evKeyWork: {
		"Key work session: goals reviewed, support plan updated.",
		"Key work session: self-esteem work and weekly routine.",
		"Key work session: anxiety, referral to talking therapies discussed.",
	},
	evCourt: {
		"Accompanied client to court; hearing adjourned.",
		"Court support: special measures requested.",
		"Non-molestation order application supported with solicitor.",
	},
	evPoliceUpdate: {
		"Police update: suspect interviewed and released on bail.",
		"Police update: charge decision still awaited.",
		"Police update: bail conditions varied.",
	},
	evTargetHardening: {
		"Home security survey booked with installer.",
		"Locks changed and door chain fitted by installer.",
		"Video doorbell and window alarms fitted.",
	},
	evBenefits: {
		"Helped with Universal Credit claim; advance requested.",
		"Emergency grant application submitted.",
		"Food bank voucher issued; budgeting support given.",
	},
	evSchool: {
		"Spoke with school safeguarding lead about collection arrangements.",
		"School place application for new area submitted.",
	},
	evGP: {
		"GP letter requested to support housing application.",
		"Registered with a new GP practice.",
	},
	evChildSession: {
		"One-to-one session with child; worries box and feelings cards.",
		"Play session; child settling well.",
		"Young person session: healthy relationships work.",
	},
	evVolunteer: {
		"Volunteer accompanied client to a housing appointment.",
		"Volunteer befriending session; walk and coffee.",
		"Volunteer helped with shopping and bus route.",
	},
	evSupervision: {
		"Case discussed in supervision; plan agreed.",
		"Supervision: caseload reviewed, risk unchanged.",
	},
	evCaseNote: {
		"Case note: housing application updated.",
		"Case note: information shared with social worker under agreement.",
		"Case note: client cancelled, rebooked.",
		"Case note: documents copied and stored securely.",
	},
	evHousing: {
		"Housing options appointment attended; priority banding awarded.",
		"Property viewing arranged for move-on.",
		"Sanctuary scheme referral made to housing.",
	},
	evInterpreter: {
		"Interpreter booked for next session.",
		"Telephone interpreter used for today's call.",
	},
}

// fillerWeights are per-service weights over the filler kinds
// (evHomeVisit..evInterpreter), so an IDVA case reads like court and police
// work and a refuge case like key work and move-on.
var fillerWeights = map[string][]int{
	//             home phone msg text safety key court police target benefit school gp child vol super note housing interp
	"outreach":    {18, 18, 6, 6, 6, 4, 2, 3, 5, 6, 3, 2, 4, 5, 4, 14, 5, 2},
	"male_victim": {12, 22, 6, 6, 7, 4, 3, 4, 4, 5, 2, 2, 2, 3, 4, 14, 6, 1},
	"idva":        {6, 20, 6, 5, 8, 2, 10, 10, 5, 2, 2, 2, 2, 1, 5, 14, 4, 2},
	"refuge":      {0, 6, 2, 3, 5, 20, 3, 3, 0, 10, 5, 5, 6, 5, 4, 18, 10, 2},
}

var fillerCum = func() map[string][]int {
	m := map[string][]int{}
	for k, w := range fillerWeights {
		if len(w) != numEventKinds-firstFiller {
			panic("demo: filler weights for " + k + " have the wrong length")
		}
		m[k] = cumulative(w...)
	}
	return m
}()

// dashYes is the base chance of a "yes" to each of the 24 risk checklist
// questions for a case of middling severity. Only the shape matters; the
// question wording is not held here.
var dashYes = [24]float64{
	0.35, 0.70, 0.60, 0.50, 0.40, 0.65, 0.35, 0.45, 0.10, 0.20, 0.15, 0.15,
	0.55, 0.55, 0.75, 0.20, 0.35, 0.30, 0.30, 0.15, 0.25, 0.15, 0.45, 0.50,
}

var (
	answerYes      = "yes"
	answerNo       = "no"
	answerNotKnown = "not_known"
)

var clientAgeBuckets = [][2]int{{17, 24}, {25, 34}, {35, 44}, {45, 54}, {55, 64}, {65, 84}}
var clientAgeCum = cumulative(14, 32, 27, 15, 8, 4)

// Children per household: 0..4 (mean ~1.25).
var kidsCum = cumulative(36, 25, 22, 11, 6)

var refSourcesF = cumulative(28, 30, 8, 9, 8, 9, 8)
var refSourcesM = cumulative(45, 25, 10, 4, 6, 5, 5)
var refSources = []string{"self", "police", "health", "childrens_services", "housing", "other_agency", "contact"}

var channels = []string{"phone", "webchat", "email", "text", "walk_in"}
var channelCum = cumulative(55, 15, 10, 10, 10)
var callerTypes = []string{"victim", "professional", "friend_or_family", "anonymous"}
var callerCum = cumulative(72, 15, 9, 4)
var contactOutcomes = []string{
	"advice_and_information", "safety_planning", "referral_taken", "signposted",
	"call_back_booked", "risk_assessment_started", "call_dropped",
}
var contactOutcomeCum = cumulative(25, 18, 20, 12, 12, 8, 5)

var relationships = []string{"ex_partner", "partner", "spouse", "ex_spouse", "family_member"}
var relationshipCum = cumulative(42, 24, 14, 10, 10)

var departureReasons = []string{
	"planned_move_on", "transferred", "left_voluntarily", "asked_to_leave",
	"safety_compromised", "returned_to_perpetrator",
}
var departureCum = cumulative(55, 8, 14, 5, 6, 8)

var plannedDest = []string{"social_housing", "own_tenancy", "private_rented", "family_or_friends"}
var plannedDestCum = cumulative(45, 15, 25, 15)

var disabilityKinds = []string{
	"mobility", "wheelchair_user", "deaf", "visual_impairment", "learning_disability",
	"mental_health", "long_term_illness", "neurodivergent",
}

var safeTimes = []string{
	"Weekdays 09:30-14:30 (partner at work)", "Any time", "Mornings before 11:00",
	"After 19:00 only", "Tuesdays and Thursdays 10:00-12:00", "Only when the client calls us",
	"School hours only",
}
var whoElse = []string{
	"Nobody: own phone", "Partner may answer", "Mother may answer", "Teenage son may answer",
	"Shared family phone", "Work phone: colleagues may answer",
}
var codewords = []string{
	"Ask whether the parcel has arrived", "Say you are calling from the dentist",
	"Ask for Sam about the book club", "Say it is the school about the trip",
	"Ask about the yoga class", "Mention the blue umbrella",
}

var builds = []string{"Slim build", "Medium build", "Stocky build", "Heavy build", "Athletic build"}
var heightsM = []string{"about 5ft 7in", "about 5ft 9in", "about 5ft 11in", "about 6ft", "about 6ft 2in", "about 6ft 4in"}
var heightsF = []string{"about 5ft 2in", "about 5ft 4in", "about 5ft 6in", "about 5ft 8in"}
var hairM = []string{"shaved head", "short dark hair", "short grey hair", "receding fair hair", "black curly hair", "red hair", "bald with a beard"}
var hairF = []string{"long dark hair", "short blonde hair", "red hair tied back", "grey bob", "braids"}
var marks = []string{
	"tattoo on left forearm", "scar through right eyebrow", "tattoo on neck", "wears glasses",
	"walks with a limp", "usually in work overalls", "no distinguishing marks", "pierced ears",
}
var vehicles = []string{
	"Silver Ford Focus", "Black Vauxhall Corsa", "White Ford Transit van", "Blue BMW 3 Series",
	"Grey Audi A3", "Red Nissan Qashqai", "White Citroen Berlingo van", "Black Mercedes C-Class",
	"Green Skoda Octavia", "Black motorbike",
}
