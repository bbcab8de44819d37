package access

import "slices"

// Action is something an actor may want to do. Record actions concern one
// record; the others are about the service as a whole.
type Action string

const (
	// Record actions.
	ReadRecord     Action = "record.read"         // open a person's full record
	ReadLimited    Action = "record.read_limited" // the narrow view: name, safe contact, appointments
	UpdateRecord   Action = "record.update"       // change it, add notes, allocate
	ExportRecord   Action = "record.export"       // a copy leaves the system (subject access, transfer)
	RestrictRecord Action = "record.restrict"     // limit it to named staff
	ViewHistory    Action = "record.history"      // who viewed or changed it, and when
	BreakGlass     Action = "record.break_glass"  // emergency access without a relation
	ReadReferral   Action = "referral.read"       // a referral sent to a partner agency
	UpdateReferral Action = "referral.update"     // the agency's progress on it

	// Service-wide actions.
	CreateRecord   Action = "record.create"
	SearchRecords  Action = "record.search"
	ViewReports    Action = "report.aggregate" // anonymised counts only
	ManageAccounts Action = "accounts.manage"
	ReviewAudit    Action = "audit.review" // the data protection lead's dashboard
	// ManageProperties adds refuges and dispersed units (which team runs
	// them is then checked by the accommodation service).
	ManageProperties Action = "properties.manage"
	// ManageSharing records partner agencies and the information sharing
	// agreements with them.
	ManageSharing Action = "sharing.manage"
	// AgencyReferrals is a partner agency user's work queue: the referrals
	// sent to their agency (each then decided on its shared relation).
	AgencyReferrals Action = "agency.referrals"
	// MatchedClients is a volunteer's page: the limited view of the
	// clients matched to them (each then decided on the match).
	MatchedClients Action = "volunteer.matches"
)

// RecordActions and ServiceActions list every action, for the exhaustive
// policy test and for route registration.
var (
	RecordActions  = []Action{ReadRecord, ReadLimited, UpdateRecord, ExportRecord, RestrictRecord, ViewHistory, BreakGlass, ReadReferral, UpdateReferral}
	ServiceActions = []Action{CreateRecord, SearchRecords, ViewReports, ManageAccounts, ReviewAudit, ManageProperties, ManageSharing, AgencyReferrals, MatchedClients}
)

// IsRecordAction reports whether a needs a record to be decided.
func (a Action) IsRecordAction() bool { return slices.Contains(RecordActions, a) }

// Relation is how an actor stands to a record. A record restricted to named
// staff overrides everything else: the named have the restricted relation,
// everyone else is excluded and must not learn the record exists.
type Relation string

const (
	Assigned         Relation = "assigned"           // the actor works the case (or, for a volunteer, is matched to the client)
	SameTeam         Relation = "same_team"          // a team the case belongs to
	SameOrganisation Relation = "same_organisation"  // the case's organisation, another team
	SharedWithAgency Relation = "shared_with_agency" // sent to the actor's partner agency
	RestrictedNamed  Relation = "restricted_named"   // restricted record; the actor is one of the named staff
	RestrictedOther  Relation = "restricted_other"   // restricted record; the actor is not named
	BreakGlassActive Relation = "break_glass"        // no relation, but an emergency grant is running
	NoRelation       Relation = "none"
)

// Relations lists every relation, strongest first.
var Relations = []Relation{Assigned, RestrictedNamed, SameTeam, SameOrganisation, SharedWithAgency, BreakGlassActive, RestrictedOther, NoRelation}

// Actor is who is asking.
type Actor struct {
	StaffID        string
	Role           Role
	OrganisationID string
	TeamIDs        []string
}

// Record holds the facts about a record the policy needs. Capability
// packages fill it from their own tables; the policy never queries.
type Record struct {
	ID             string
	OrganisationID string
	TeamIDs        []string
	// PartnerTeamIDs are teams of other organisations in the partnership
	// that work the client under its information sharing: the refuge
	// team of another organisation running the property of the client's
	// live stay. Their staff stand to the record as its own teams' do.
	PartnerTeamIDs  []string
	AssignedStaff   []string
	SharedAgencies  []string // organisation IDs of partner agencies it was sent to
	RestrictedTo    []string // staff IDs; nil means not restricted
	BreakGlassGrant bool     // the actor holds a running break-glass grant for it
}

// RelationOf works out the actor's relation to the record.
func RelationOf(a Actor, r Record) Relation {
	if r.RestrictedTo != nil {
		if slices.Contains(r.RestrictedTo, a.StaffID) {
			return RestrictedNamed
		}
		return RestrictedOther
	}
	switch {
	case slices.Contains(r.AssignedStaff, a.StaffID):
		return Assigned
	case a.OrganisationID == r.OrganisationID && overlaps(a.TeamIDs, r.TeamIDs):
		return SameTeam
	case a.Role != RolePartnerAgencyUser && overlaps(a.TeamIDs, r.PartnerTeamIDs):
		return SameTeam
	case a.Role == RolePartnerAgencyUser && slices.Contains(r.SharedAgencies, a.OrganisationID):
		return SharedWithAgency
	case r.BreakGlassGrant:
		return BreakGlassActive
	case a.OrganisationID == r.OrganisationID:
		return SameOrganisation
	}
	return NoRelation
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// Decision is the policy's answer. Hidden means the actor must not learn
// the record exists: answer as if it did not (404, absent from lists).
type Decision struct {
	Allow  bool
	Reason string
	Hidden bool
}

func allow(reason string) Decision { return Decision{Allow: true, Reason: reason} }
func deny(reason string) Decision  { return Decision{Reason: reason} }

// caseworker roles hold a caseload.
func caseworker(r Role) bool {
	switch r {
	case RoleFrontDoorWorker, RoleOutreachWorker, RoleIDVA, RoleRefugeWorker:
		return true
	}
	return false
}

// Decide is the one access policy: every handler and every query that
// returns personal data asks it, and nothing else decides. For service-wide
// actions the record is ignored.
func Decide(a Actor, act Action, r Record) Decision {
	if !a.Role.Valid() {
		return deny("unknown role")
	}
	if !act.IsRecordAction() {
		return decideService(a, act)
	}
	return decideRecord(a, act, RelationOf(a, r))
}

// DecideRelation is Decide for a relation already worked out: the
// exhaustive table test calls it for every combination.
func DecideRelation(a Actor, act Action, rel Relation) Decision {
	if !a.Role.Valid() {
		return deny("unknown role")
	}
	if !act.IsRecordAction() {
		return decideService(a, act)
	}
	return decideRecord(a, act, rel)
}

func decideService(a Actor, act Action) Decision {
	switch act {
	case CreateRecord, SearchRecords:
		if caseworker(a.Role) || a.Role == RoleTeamManager {
			return allow("case work")
		}
		if act == SearchRecords && a.Role == RoleDataProtectionLead {
			return allow("subject access and corrections")
		}
		return deny("role does not hold cases")
	case ViewReports:
		switch a.Role {
		case RoleCommissioner, RoleTeamManager, RoleDataProtectionLead:
			return allow("aggregate figures")
		}
		return deny("role does not see reports")
	case ManageAccounts:
		if a.Role == RoleAdministrator {
			return allow("administrator")
		}
		return deny("only administrators manage accounts")
	case ReviewAudit:
		if a.Role == RoleDataProtectionLead {
			return allow("data protection lead")
		}
		return deny("only the data protection lead reviews the audit trail")
	case ManageProperties:
		if a.Role == RoleAdministrator || a.Role == RoleTeamManager {
			return allow("sets up the service's accommodation")
		}
		return deny("only administrators and team managers add properties")
	case ManageSharing:
		if a.Role == RoleAdministrator || a.Role == RoleDataProtectionLead {
			return allow("records partner agencies and sharing agreements")
		}
		return deny("only administrators and the data protection lead record sharing agreements")
	case AgencyReferrals:
		if a.Role == RolePartnerAgencyUser {
			return allow("the agency's own referrals")
		}
		return deny("only partner agency users have an agency work queue")
	case MatchedClients:
		if a.Role == RoleVolunteer {
			return allow("the volunteer's own matches")
		}
		return deny("only volunteers have matched clients")
	}
	return deny("unknown action")
}

func decideRecord(a Actor, act Action, rel Relation) Decision {
	// A restricted record does not exist for anyone not named on it.
	if rel == RestrictedOther {
		return Decision{Reason: "restricted to named staff", Hidden: true}
	}
	switch a.Role {
	case RoleAdministrator:
		return deny("administrators manage accounts, not cases")
	case RoleCommissioner:
		return deny("commissioners see aggregate figures only")
	case RolePartnerAgencyUser:
		if (act == ReadReferral || act == UpdateReferral) && rel == SharedWithAgency {
			return allow("referral sent to the agency")
		}
		return deny("agencies see only referrals sent to them")
	case RoleVolunteer:
		if act == ReadLimited && (rel == Assigned || rel == RestrictedNamed) {
			return allow("matched volunteer: limited view")
		}
		return deny("volunteers see only the limited view of their matched clients")
	case RoleDataProtectionLead:
		// A data protection lead answers for their own organisation's
		// records: another organisation in the partnership is another
		// controller with its own lead.
		if rel == NoRelation || rel == SharedWithAgency {
			return deny("another organisation's record: its own data protection lead reviews it")
		}
		switch act {
		case ReadRecord, ReadLimited, ExportRecord, ViewHistory:
			return allow("data protection lead: subject access, corrections, review")
		}
		return deny("the data protection lead reviews, but does not work, cases")
	}

	// Caseworkers and team managers.
	manager := a.Role == RoleTeamManager
	near := rel == Assigned || rel == RestrictedNamed || rel == SameTeam
	switch act {
	case ReadRecord, ReadLimited:
		if near {
			return allow(string(rel))
		}
		if rel == BreakGlassActive {
			return allow("break-glass")
		}
	case UpdateRecord:
		if near {
			return allow(string(rel))
		}
		if rel == BreakGlassActive {
			return deny("break-glass gives read access only")
		}
	case ExportRecord, RestrictRecord, ViewHistory:
		if manager && near {
			return allow("team manager")
		}
		return deny("team managers only, for their teams' cases")
	case BreakGlass:
		if rel == SameOrganisation || rel == NoRelation {
			return allow("emergency access with a reason")
		}
		if rel == BreakGlassActive {
			return deny("break-glass already running")
		}
		return deny("not needed: access already follows from the relation")
	case ReadReferral, UpdateReferral:
		if near {
			return allow(string(rel))
		}
	}
	if rel == SameOrganisation || rel == NoRelation {
		return deny("no relation to the record: break-glass available")
	}
	return deny("not allowed for this relation")
}
