package access

import (
	"slices"

	"frontdoor/internal/errs"
)

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
	// LiftRestriction ends a restriction: the managers who may restrict,
	// and always the holding organisation's data protection lead, so that
	// no record can be locked away from its controller.
	LiftRestriction Action = "record.lift_restriction"
	BreakGlass      Action = "record.break_glass" // emergency access without a relation
	ReadReferral    Action = "referral.read"      // a referral sent to a partner agency
	UpdateReferral  Action = "referral.update"    // the agency's progress on it

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
	RecordActions  = []Action{ReadRecord, ReadLimited, UpdateRecord, ExportRecord, RestrictRecord, LiftRestriction, ViewHistory, BreakGlass, ReadReferral, UpdateReferral}
	ServiceActions = []Action{CreateRecord, SearchRecords, ViewReports, ManageAccounts, ReviewAudit, ManageProperties, ManageSharing, AgencyReferrals, MatchedClients}
)

// IsRecordAction reports whether a needs a record to be decided.
func (a Action) IsRecordAction() bool { return slices.Contains(RecordActions, a) }

// Relation is how an actor stands to a record. A record restricted to named
// staff overrides everything else: the named have the restricted relation,
// everyone else is excluded and must not learn the record exists.
//
// Only staff of the organisation that holds the record (its controller)
// can be assigned, on its team, named on its restriction, in its
// organisation or holding a break-glass grant on it. Staff of another
// organisation of the partnership stand to it as a partner team (the
// refuge team of a live stay there), as an agency it was shared with, or
// not at all.
type Relation string

const (
	Assigned         Relation = "assigned"           // the actor works the case (or, for a volunteer, is matched to the client)
	SameTeam         Relation = "same_team"          // a team of the record's organisation that the case belongs to
	SameOrganisation Relation = "same_organisation"  // the record's organisation, another team
	PartnerTeam      Relation = "partner_team"       // another organisation's team working the client: the refuge of a live stay
	SharedWithAgency Relation = "shared_with_agency" // sent to the actor's partner agency
	RestrictedNamed  Relation = "restricted_named"   // restricted record; the actor is one of the named staff
	RestrictedOther  Relation = "restricted_other"   // restricted record; the actor is of its organisation, not named
	// RestrictedOutside: a restricted record and an actor of another
	// organisation (never named: only the holding organisation's staff can
	// be).
	RestrictedOutside Relation = "restricted_outside"
	BreakGlassActive  Relation = "break_glass" // no relation, but an emergency grant is running
	NoRelation        Relation = "none"        // another organisation's record, nothing shared
)

// Relations lists every relation, strongest first.
var Relations = []Relation{Assigned, RestrictedNamed, SameTeam, PartnerTeam, SameOrganisation, SharedWithAgency, BreakGlassActive, RestrictedOther, RestrictedOutside, NoRelation}

// Excluded reports whether the relation is to a restricted record the
// actor is not named on: then the record, and everything that belongs to
// it, does not exist for them.
func (r Relation) Excluded() bool { return r == RestrictedOther || r == RestrictedOutside }

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
	// live stay. Their staff read the record while the stay lasts; the
	// stay's own records are the refuge's.
	PartnerTeamIDs  []string
	AssignedStaff   []string
	SharedAgencies  []string // organisation IDs of partner agencies it was sent to
	RestrictedTo    []string // staff IDs; nil means not restricted
	BreakGlassGrant bool     // the actor holds a running break-glass grant for it
}

// RelationOf works out the actor's relation to the record.
func RelationOf(a Actor, r Record) Relation {
	own := a.OrganisationID != "" && a.OrganisationID == r.OrganisationID
	if r.RestrictedTo != nil {
		switch {
		case !own:
			return RestrictedOutside
		case slices.Contains(r.RestrictedTo, a.StaffID):
			return RestrictedNamed
		}
		return RestrictedOther
	}
	if !own {
		switch {
		case a.Role == RolePartnerAgencyUser && slices.Contains(r.SharedAgencies, a.OrganisationID):
			return SharedWithAgency
		case a.Role != RolePartnerAgencyUser && overlaps(a.TeamIDs, r.PartnerTeamIDs):
			return PartnerTeam
		}
		return NoRelation
	}
	switch {
	case slices.Contains(r.AssignedStaff, a.StaffID):
		return Assigned
	case overlaps(a.TeamIDs, r.TeamIDs):
		return SameTeam
	case r.BreakGlassGrant:
		return BreakGlassActive
	}
	return SameOrganisation
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

// decideRecord is the policy for one record, with the rule that a
// refused actor who could neither read the record nor open it by
// break-glass is answered as if it did not exist: telling them "not
// allowed" would tell them it is there.
func decideRecord(a Actor, act Action, rel Relation) Decision {
	d := decideRecordAction(a, act, rel)
	if !d.Allow && !d.Hidden && !mayKnow(a, rel) {
		d.Hidden = true
	}
	return d
}

// mayKnow reports whether the actor may learn that a record they stand in
// rel to exists: they may read it, or ask for emergency access to it.
func mayKnow(a Actor, rel Relation) bool {
	for _, act := range []Action{ReadRecord, ReadLimited, BreakGlass} {
		if decideRecordAction(a, act, rel).Allow {
			return true
		}
	}
	return false
}

func decideRecordAction(a Actor, act Action, rel Relation) Decision {
	// A restricted record does not exist for anyone not named on it, but
	// its organisation's data protection lead may always lift the
	// restriction.
	if rel.Excluded() {
		if act == LiftRestriction && a.Role == RoleDataProtectionLead && rel == RestrictedOther {
			return allow("data protection lead of the record's organisation: lifts restrictions")
		}
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
		if rel == NoRelation || rel == SharedWithAgency || rel == PartnerTeam {
			return deny("another organisation's record: its own data protection lead reviews it")
		}
		switch act {
		case ReadRecord, ReadLimited, ExportRecord, ViewHistory:
			return allow("data protection lead: subject access, corrections, review")
		case LiftRestriction:
			if rel == RestrictedNamed {
				return allow("data protection lead of the record's organisation: lifts restrictions")
			}
			return deny("the record is not restricted")
		}
		return deny("the data protection lead reviews, but does not work, cases")
	}

	// Caseworkers and team managers.
	manager := a.Role == RoleTeamManager
	near := rel == Assigned || rel == RestrictedNamed || rel == SameTeam
	if rel == PartnerTeam {
		// The refuge team of another organisation reads what the stay
		// needs; the record stays its own organisation's to change,
		// restrict, export or review.
		switch act {
		case ReadRecord, ReadLimited:
			return allow("partner team: the client's live stay")
		case BreakGlass:
			return deny("break-glass is for staff of the record's organisation")
		}
		return deny("a partner organisation's team reads the record; its own organisation keeps it")
	}
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
	case LiftRestriction:
		if manager && rel == RestrictedNamed {
			return allow("team manager named on the restriction")
		}
		if rel != RestrictedNamed {
			return deny("the record is not restricted")
		}
		return deny("team managers named on the restriction, or the data protection lead, lift it")
	case BreakGlass:
		switch rel {
		case SameOrganisation:
			return allow("emergency access with a reason")
		case BreakGlassActive:
			return deny("break-glass already running")
		case NoRelation, SharedWithAgency:
			return deny("break-glass is for staff of the record's organisation")
		}
		return deny("not needed: access already follows from the relation")
	case ReadReferral, UpdateReferral:
		if near {
			return allow(string(rel))
		}
	}
	if rel == SameOrganisation {
		return deny("no relation to the record: break-glass available")
	}
	if rel == NoRelation {
		return deny("another organisation's record")
	}
	return deny("not allowed for this relation")
}

// Require asks the policy about act on a record of kind and turns a
// refusal into the error to return: NotFound when the actor must not
// learn the record exists, Forbidden otherwise, either carrying the
// refusal so that it goes into the audit trail where the request ends.
func Require(a Actor, act Action, kind string, r Record) (Decision, error) {
	d := Decide(a, act, r)
	if d.Allow {
		return d, nil
	}
	return d, Refusal(a, act, kind, r.ID, d)
}

// Refusal is the error answering the refused decision d about act on the
// record of kind and id.
func Refusal(a Actor, act Action, kind, id string, d Decision) error {
	return errs.Refused(d.Hidden, errs.Refusal{ActorID: a.StaffID, Action: string(act), RecordKind: kind, RecordID: id, Reason: d.Reason})
}

// Hide is the refusal of a record the actor must not learn exists, for a
// rule a capability applies beside the policy (another organisation's
// referral, a stay at a refuge the actor does not run): answered as not
// found, and recorded like any refusal.
func Hide(a Actor, act Action, kind, id, reason string) error {
	return Refusal(a, act, kind, id, Decision{Reason: reason, Hidden: true})
}

// Deny is Hide for an actor who may know the record exists (they may read
// it) but may not do this to it.
func Deny(a Actor, act Action, kind, id, reason string) error {
	return Refusal(a, act, kind, id, Decision{Reason: reason})
}

// RequireService asks the policy about a service-wide action, answering a
// refusal as Forbidden with the refusal for the audit trail.
func RequireService(a Actor, act Action) error {
	if d := Decide(a, act, Record{}); !d.Allow {
		return errs.Refused(false, errs.Refusal{ActorID: a.StaffID, Action: string(act), Reason: d.Reason})
	}
	return nil
}
