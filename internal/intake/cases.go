package intake

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// Decision is a triage decision.
type Decision string

const (
	Allocate Decision = "allocate"
	Signpost Decision = "signpost"
	Decline  Decision = "decline"
)

// CaseService is a service a referral can be allocated to.
type CaseService string

const (
	Outreach   CaseService = "outreach"
	Refuge     CaseService = "refuge"
	IDVA       CaseService = "idva"
	MaleVictim CaseService = "male_victim"
	Children   CaseService = "children"
)

// CaseStatus is where a case is.
type CaseStatus string

const (
	CaseOpen      CaseStatus = "open"
	CaseAllocated CaseStatus = "allocated"
	CaseActive    CaseStatus = "active"
	CaseClosed    CaseStatus = "closed"
)

// CloseReason is why a case closed.
type CloseReason string

const (
	SupportCompleted      CloseReason = "support_completed"
	ClientDisengaged      CloseReason = "client_disengaged"
	MovedAway             CloseReason = "moved_away"
	Transferred           CloseReason = "transferred"
	NoLongerSafeToContact CloseReason = "no_longer_safe_to_contact"
	CloseOther            CloseReason = "other"
)

// The allowed values, in display order.
var (
	Decisions    = []Decision{Allocate, Signpost, Decline}
	CaseServices = []CaseService{Outreach, Refuge, IDVA, MaleVictim, Children}
	CloseReasons = []CloseReason{SupportCompleted, ClientDisengaged, MovedAway, Transferred, NoLongerSafeToContact, CloseOther}
)

// next lists the statuses a case may move to from each status.
var next = map[CaseStatus][]CaseStatus{
	CaseOpen:      {CaseAllocated, CaseClosed},
	CaseAllocated: {CaseActive, CaseClosed},
	CaseActive:    {CaseClosed},
}

// NewTriage is a triage decision as the form sends it: Service for an
// allocation, and optionally TeamID, the team of the actor's organisation
// for that service the case is allocated to (default: the organisation's
// first team by name whose service is the case's); Note is the
// signposting note (required) or the reason for declining (required);
// optional with an allocation.
type NewTriage struct {
	Decision Decision
	Service  CaseService
	TeamID   string
	Note     string
}

// Triage is a recorded triage decision.
type Triage struct {
	Decision  Decision
	Service   CaseService
	Note      string
	CaseID    string // the case an allocation opened
	TeamID    string // the team the case was allocated to
	DecidedBy string
	DecidedAt time.Time
}

// ValidateTriage trims and checks a triage decision, reporting every
// problem at once as FieldErrors. Normalised input validates again
// unchanged.
func ValidateTriage(n NewTriage) (NewTriage, error) {
	err := validateTriage(&n)
	return n, err
}

func validateTriage(n *NewTriage) error {
	n.Note, n.TeamID = strings.TrimSpace(n.Note), strings.TrimSpace(n.TeamID)
	var fe FieldErrors
	if !slices.Contains(Decisions, n.Decision) {
		fe.Add("decision", "intake.decision_invalid")
	}
	switch n.Decision {
	case Allocate:
		if !slices.Contains(CaseServices, n.Service) {
			fe.Add("service", "intake.service_invalid")
		}
		checkText(&fe, "note", n.Note, false, maxNoteLen)
	case Signpost:
		checkText(&fe, "note", n.Note, true, maxNoteLen)
	case Decline:
		checkText(&fe, "reason", n.Note, true, maxNoteLen)
	}
	if n.Decision != Allocate && n.Service != "" {
		fe.Add("service", "intake.service_only_for_allocation")
	}
	switch {
	case n.TeamID != "" && n.Decision != Allocate:
		fe.Add("team", "intake.team_only_for_allocation")
	case n.TeamID != "" && (len(n.TeamID) > 64 || !cleanText(n.TeamID)):
		fe.Add("team", "intake.team_invalid")
	}
	return fe.Err()
}

// TriageReferral records the one triage decision on a referral, for an
// actor who may update the client's record. An allocation opens a case
// for the client in that service (a Conflict when one is already open).
// A second decision is a Conflict.
func (s *Service) TriageReferral(ctx context.Context, actor access.Actor, referralID string, n NewTriage) (*Triage, error) {
	if err := validateTriage(&n); err != nil {
		return nil, err
	}
	var out *Triage
	err := s.DB.Serializable(ctx, func(tx *store.Tx) error {
		out = nil
		row, d, err := s.loadReferral(ctx, tx, actor, referralID, access.UpdateRecord)
		if err != nil {
			return err
		}
		var done int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM intake_triage WHERE referral_id = $1`, []any{referralID}, &done); err != nil {
			return err
		}
		if done > 0 {
			return errs.New(errs.Conflict, "intake.already_triaged")
		}
		now := s.now()
		t := &Triage{Decision: n.Decision, Service: n.Service, Note: n.Note, DecidedBy: actor.StaffID, DecidedAt: now}
		if t.Decision == Allocate {
			if t.TeamID, err = s.caseTeam(ctx, tx, row.org, t.Service, n.TeamID); err != nil {
				return err
			}
			if t.CaseID, err = s.openCase(ctx, tx, actor, row, t.Service, t.TeamID, now); err != nil {
				return err
			}
		}
		var note any
		if t.Note != "" {
			note = s.Vault.SealString(t.Note, "intake_triage", referralID, "note")
		}
		decision, err := SealDecision(s.Vault, referralID, t.Decision, t.Service)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO intake_triage (referral_id, decision_sealed, note_sealed, case_id, decided_by, decided_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, referralID, decision, note, nullable(t.CaseID),
			actor.StaffID, now); err != nil {
			if errors.Is(err, store.ErrUnique) {
				return errs.New(errs.Conflict, "intake.already_triaged")
			}
			return err
		}
		out = t
		// The decision is sealed: the audit trail names the team an
		// allocation went to (the case holds it in clear), not the rest.
		purpose := d.Reason
		if t.TeamID != "" {
			purpose = "to team " + t.TeamID + " " + d.Reason
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "referral.triage", RecordKind: RecordKind, RecordID: row.r.ClientID,
			Purpose: purpose})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// caseTeam resolves the team a case in svc is allocated to: the team
// asked for, which must be the organisation's and run that service, or by
// default the organisation's first team by name that runs it.
func (s *Service) caseTeam(ctx context.Context, tx *store.Tx, orgID string, svc CaseService, teamID string) (string, error) {
	if teamID == "" {
		err := tx.QueryRow(ctx, `SELECT id FROM teams WHERE organisation_id = $1 AND service = $2 ORDER BY name, id LIMIT 1`,
			[]any{orgID, string(svc)}, &teamID)
		if errors.Is(err, store.ErrNotFound) {
			return "", fieldErr("team", "intake.no_team_for_service")
		}
		return teamID, err
	}
	var org, service string
	err := tx.QueryRow(ctx, `SELECT organisation_id, service FROM teams WHERE id = $1`, []any{teamID}, &org, &service)
	if errors.Is(err, store.ErrNotFound) || err == nil && org != orgID {
		return "", fieldErr("team", "intake.team_invalid")
	}
	if err != nil {
		return "", err
	}
	if service != string(svc) {
		return "", fieldErr("team", "intake.team_wrong_service")
	}
	return teamID, nil
}

// Team is a team a referral can be allocated to.
type Team struct {
	ID      string
	Name    string
	Service CaseService
}

// AllocationTeams lists the actor's organisation's teams that run a case
// service, by service then name: the choices of the triage form.
func (s *Service) AllocationTeams(ctx context.Context, actor access.Actor) ([]Team, error) {
	if _, err := service(actor, access.CreateRecord); err != nil {
		return nil, err
	}
	var out []Team
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		list, err := store.QueryAll[teamRow](ctx, tx, `SELECT id, name, service FROM teams WHERE organisation_id = $1 ORDER BY name, id`, actor.OrganisationID)
		if err != nil {
			return err
		}
		out = nil
		for _, svc := range CaseServices {
			for _, t := range list {
				if t.t.Service == svc {
					out = append(out, t.t)
				}
			}
		}
		return nil
	})
	return out, err
}

type teamRow struct{ t Team }

func (r *teamRow) Dest() []any { return []any{&r.t.ID, &r.t.Name, &r.t.Service} }

func (s *Service) openCase(ctx context.Context, tx *store.Tx, actor access.Actor, row *referralRow, svc CaseService, teamID string, now time.Time) (string, error) {
	var live int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM intake_cases WHERE client_id = $1 AND service = $2 AND status <> 'closed'`,
		[]any{row.r.ClientID, string(svc)}, &live); err != nil {
		return "", err
	}
	if live > 0 {
		return "", errs.New(errs.Conflict, "intake.case_already_open")
	}
	caseID := id.New()
	if _, err := tx.Exec(ctx, `INSERT INTO intake_cases (id, client_id, organisation_id, service, team_id, referral_id, status, opened_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)`, caseID, row.r.ClientID, row.org, string(svc), nullable(teamID), row.r.ID, now); err != nil {
		if errors.Is(err, store.ErrUnique) {
			return "", errs.New(errs.Conflict, "intake.case_already_open")
		}
		return "", err
	}
	evID := id.New()
	change, err := SealChange(s.Vault, evID, CaseOpen, "")
	if err != nil {
		return "", err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO intake_case_events (id, case_id, change_sealed, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5)`,
		evID, caseID, change, actor.StaffID, now); err != nil {
		return "", err
	}
	return caseID, s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "case.open", RecordKind: RecordKind, RecordID: row.r.ClientID,
		Purpose: "case " + caseID + " team " + teamID})
}

func (s *Service) triageOf(ctx context.Context, tx *store.Tx, referralID string) (*Triage, error) {
	var t Triage
	var decision string
	var note, caseID, team sql.NullString
	err := tx.QueryRow(ctx, `SELECT t.decision_sealed, t.note_sealed, t.case_id, c.team_id, t.decided_by, t.decided_at
		FROM intake_triage t LEFT JOIN intake_cases c ON c.id = t.case_id WHERE t.referral_id = $1`,
		[]any{referralID}, &decision, &note, &caseID, &team, &t.DecidedBy, &t.DecidedAt)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	dd, err := s.openDecision(referralID, decision)
	if err != nil {
		return nil, err
	}
	t.Decision, t.Service, t.CaseID, t.TeamID, t.DecidedAt = dd.Decision, dd.Service, caseID.String, team.String, t.DecidedAt.UTC()
	if note.Valid {
		if t.Note, err = s.Vault.OpenString(note.String, "intake_triage", referralID, "note"); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

// CaseStatusChange is a case status change as the form sends it: the
// case's version the worker saw, the status to move to, and for closing
// a reason (with an optional note, sealed).
type CaseStatusChange struct {
	Version int
	To      CaseStatus
	Reason  CloseReason
	Note    string
}

// ValidateCaseStatusChange trims and checks a change, every problem at
// once. Normalised input validates again unchanged.
func ValidateCaseStatusChange(c CaseStatusChange) (CaseStatusChange, error) {
	c.Note = strings.TrimSpace(c.Note)
	var fe FieldErrors
	if c.Version < 1 {
		fe.Add("version", "intake.case_stale")
	}
	validateStatusChange(&fe, c.To, c.Reason, c.Note)
	return c, fe.Err()
}

// SetCaseStatus moves a case on (open → allocated → active → closed; any
// status but closed may close), for an actor who may update the client's
// record, if nobody changed the case since the version the worker saw (a
// stale change is a Conflict, "intake.case_stale"). Closing needs a reason
// from CloseReasons; a note is optional (sealed). A move the case cannot
// make is a Conflict.
func (s *Service) SetCaseStatus(ctx context.Context, actor access.Actor, caseID string, ch CaseStatusChange) error {
	ch, err := ValidateCaseStatusChange(ch)
	if err != nil {
		return err
	}
	to, reason, note, version := ch.To, ch.Reason, ch.Note, ch.Version
	return s.setCaseStatus(ctx, actor, caseID, version, to, reason, note)
}

func validateStatusChange(fe *FieldErrors, to CaseStatus, reason CloseReason, note string) {
	if !slices.Contains([]CaseStatus{CaseAllocated, CaseActive, CaseClosed}, to) {
		fe.Add("status", "intake.status_invalid")
	}
	switch {
	case to == CaseClosed && reason == "":
		fe.Add("reason", "intake.close_reason_required")
	case to == CaseClosed && !slices.Contains(CloseReasons, reason):
		fe.Add("reason", "intake.close_reason_invalid")
	case to != CaseClosed && reason != "":
		fe.Add("reason", "intake.close_reason_only_when_closing")
	}
	checkText(fe, "note", note, false, maxNoteLen)
}

func (s *Service) setCaseStatus(ctx context.Context, actor access.Actor, caseID string, version int, to CaseStatus, reason CloseReason, note string) error {
	return s.DB.Serializable(ctx, func(tx *store.Tx) error {
		var clientID, org string
		var status CaseStatus
		var current int
		err := tx.QueryRow(ctx, `SELECT client_id, organisation_id, status, version FROM intake_cases WHERE id = $1`, []any{caseID}, &clientID, &org, &status, &current)
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		if err == nil && org != actor.OrganisationID {
			return access.Hide(actor, access.UpdateRecord, RecordKind, clientID, "another organisation's case")
		}
		if err != nil {
			return err
		}
		d, err := s.decided(ctx, tx, actor, clientID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if current != version {
			return errs.New(errs.Conflict, "intake.case_stale")
		}
		if !slices.Contains(next[status], to) {
			return errs.New(errs.Conflict, "intake.status_change_invalid")
		}
		now := s.now()
		var closedAt, why any
		if to == CaseClosed {
			closedAt, why = now, SealCloseReason(s.Vault, caseID, reason)
		} else {
			reason = ""
		}
		res, err := tx.Exec(ctx, `UPDATE intake_cases SET status = $2, close_reason_sealed = $3, closed_at = $4, version = version + 1 WHERE id = $1 AND version = $5`,
			caseID, string(to), why, closedAt, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.New(errs.Conflict, "intake.case_stale")
		}
		evID := id.New()
		var sealed any
		if note != "" {
			sealed = s.Vault.SealString(note, "intake_case_events", evID, "note")
		}
		change, err := SealChange(s.Vault, evID, to, reason)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO intake_case_events (id, case_id, change_sealed, note_sealed, changed_by, changed_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, evID, caseID, change, sealed, actor.StaffID, now); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "case.status", RecordKind: RecordKind, RecordID: clientID,
			Purpose: string(to) + " case " + caseID + " " + d.Reason})
	})
}

// Entry kinds on a timeline.
const (
	EntryContact    = "contact"
	EntryReferral   = "referral"
	EntryTriage     = "triage"
	EntryCaseStatus = "case_status"
)

// Entry is one thing on a client's timeline. Exactly one of the
// pointers is set, by Kind.
type Entry struct {
	At       time.Time
	Kind     string
	Contact  *Contact
	Referral *Referral // without its triage (a separate entry)
	Triage   *Triage
	// ReferralID is the referral triaged, for a triage entry.
	ReferralID string
	Case       *CaseChange
}

// CaseChange is a case status change on the timeline.
type CaseChange struct {
	CaseID    string
	Service   CaseService
	Status    CaseStatus
	Reason    CloseReason
	Note      string
	ChangedBy string
}

// Timeline is everything the front door holds about a client, in time
// order (oldest first): contacts, referrals, triage decisions and case
// status changes. The read is audited ("timeline.read").
func (s *Service) Timeline(ctx context.Context, actor access.Actor, clientID string) ([]Entry, error) {
	out, _, err := s.timeline(ctx, actor, clientID, 0)
	return out, err
}

// RecentTimeline is the newest entries of the timeline, at most newest of
// them (oldest first, as Timeline), and how many entries it has in all:
// what a case page shows first, the rest a link away. The read is
// audited as Timeline's.
func (s *Service) RecentTimeline(ctx context.Context, actor access.Actor, clientID string, newest int) ([]Entry, int, error) {
	if newest <= 0 {
		newest = 1
	}
	return s.timeline(ctx, actor, clientID, newest)
}

func (s *Service) timeline(ctx context.Context, actor access.Actor, clientID string, newest int) ([]Entry, int, error) {
	var out []Entry
	var total int
	err := audit.Read(ctx, s.DB, s.Record, s.ReadLog, func(tx *store.Tx) ([]audit.Event, error) {
		out, total = nil, 0
		rec, d, err := s.decidedFacts(ctx, tx, actor, clientID, access.ReadRecord)
		if err != nil {
			return nil, err
		}
		if rec.OrganisationID != actor.OrganisationID {
			// The front door's work (calls, referrals, triage, cases) is
			// its organisation's own: the partner running her refuge stay
			// reads her record, not this, as it cannot open a referral.
			return []audit.Event{{ActorID: actor.StaffID, Action: "timeline.read", RecordKind: RecordKind, RecordID: clientID,
				Purpose: d.Reason + "; another organisation: no front door entries"}}, nil
		}
		// Contacts are most of a timeline: only the newest are read
		// when that is all the page shows.
		q, args := `SELECT `+contactCols+` FROM intake_contacts WHERE client_id = $1`, []any{clientID}
		if newest > 0 {
			q += ` ORDER BY taken_at DESC, id DESC LIMIT $2`
			args = append(args, newest)
		}
		contacts, err := store.QueryAll[contactRow](ctx, tx, q, args...)
		if err != nil {
			return nil, err
		}
		allContacts := len(contacts)
		if newest > 0 && len(contacts) == newest {
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM intake_contacts WHERE client_id = $1`, []any{clientID}, &allContacts); err != nil {
				return nil, err
			}
		}
		for i := range contacts {
			c, err := s.contact(&contacts[i])
			if err != nil {
				return nil, err
			}
			out = append(out, Entry{At: c.At, Kind: EntryContact, Contact: &c})
		}
		// Referrals and their triage.
		refs, err := store.QueryAll[referralRow](ctx, tx, `SELECT `+referralCols+` FROM intake_referrals WHERE client_id = $1`, clientID)
		if err != nil {
			return nil, err
		}
		for i := range refs {
			r, err := s.referral(&refs[i])
			if err != nil {
				return nil, err
			}
			out = append(out, Entry{At: r.ReceivedAt, Kind: EntryReferral, Referral: r})
			t, err := s.triageOf(ctx, tx, r.ID)
			if err != nil {
				return nil, err
			}
			if t != nil {
				out = append(out, Entry{At: t.DecidedAt, Kind: EntryTriage, Triage: t, ReferralID: r.ID})
			}
		}
		// Case status changes.
		changes, err := store.QueryAll[changeRow](ctx, tx, `SELECT e.id, e.case_id, c.service, e.change_sealed, e.note_sealed, e.changed_by, e.changed_at
			FROM intake_case_events e JOIN intake_cases c ON c.id = e.case_id WHERE c.client_id = $1`, clientID)
		if err != nil {
			return nil, err
		}
		for _, r := range changes {
			c := r.c
			var ch changeDoc
			if err := vault.OpenJSON(s.Vault, r.change, &ch, "intake_case_events", r.id, "change"); err != nil {
				return nil, err
			}
			c.Status, c.Reason = ch.Status, ch.Reason
			if r.note.Valid {
				if c.Note, err = s.Vault.OpenString(r.note.String, "intake_case_events", r.id, "note"); err != nil {
					return nil, err
				}
			}
			out = append(out, Entry{At: r.at.UTC(), Kind: EntryCaseStatus, Case: &c})
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
		total = len(out) - len(contacts) + allContacts
		if newest > 0 && len(out) > newest {
			out = out[len(out)-newest:]
		}
		return []audit.Event{{ActorID: actor.StaffID, Action: "timeline.read", RecordKind: RecordKind, RecordID: clientID, Purpose: d.Reason}}, nil
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// changeRow is a case status change as the timeline reads it.
type changeRow struct {
	id     string
	c      CaseChange
	change string // sealed changeDoc
	note   sql.NullString
	at     time.Time
}

func (r *changeRow) Dest() []any {
	return []any{&r.id, &r.c.CaseID, &r.c.Service, &r.change, &r.note, &r.c.ChangedBy, &r.at}
}

// Case is a client's case (episode of support) as the case page shows it.
type Case struct {
	ID          string
	ClientID    string
	Service     CaseService
	TeamID      string
	TeamName    string
	Status      CaseStatus
	CloseReason CloseReason
	OpenedAt    time.Time
	ClosedAt    time.Time // zero while live
	Version     int
	// Next lists the statuses the case may move to; empty when the actor
	// may not change it.
	Next []CaseStatus
}

type caseRow struct {
	c      Case
	team   sql.NullString
	name   sql.NullString
	reason sql.NullString
	closed sql.NullTime
}

func (r *caseRow) Dest() []any {
	return []any{&r.c.ID, &r.c.ClientID, &r.c.Service, &r.team, &r.name, &r.c.Status, &r.reason, &r.c.OpenedAt, &r.closed, &r.c.Version}
}

// Cases lists a client's cases, newest first, for an actor who may read
// the record, each with the moves the actor may make. The read is audited
// ("case.list").
func (s *Service) Cases(ctx context.Context, actor access.Actor, clientID string) ([]Case, error) {
	var out []Case
	err := audit.Read(ctx, s.DB, s.Record, s.ReadLog, func(tx *store.Tx) ([]audit.Event, error) {
		out = nil
		rec, d, err := s.decidedFacts(ctx, tx, actor, clientID, access.ReadRecord)
		if err != nil {
			return nil, err
		}
		if rec.OrganisationID != actor.OrganisationID {
			// Its cases are the holding organisation's work, as above.
			return []audit.Event{{ActorID: actor.StaffID, Action: "case.list", RecordKind: RecordKind, RecordID: clientID,
				Purpose: d.Reason + "; another organisation: no cases"}}, nil
		}
		canUpdate := access.Decide(actor, access.UpdateRecord, rec).Allow
		list, err := store.QueryAll[caseRow](ctx, tx, `SELECT c.id, c.client_id, c.service, c.team_id, t.name, c.status, c.close_reason_sealed, c.opened_at, c.closed_at, c.version
			FROM intake_cases c LEFT JOIN teams t ON t.id = c.team_id WHERE c.client_id = $1 ORDER BY c.opened_at DESC, c.id DESC`, clientID)
		if err != nil {
			return nil, err
		}
		for _, r := range list {
			c := r.c
			c.TeamID, c.TeamName = r.team.String, r.name.String
			if r.reason.Valid {
				why, err := s.Vault.OpenString(r.reason.String, "intake_cases", c.ID, "close_reason")
				if err != nil {
					return nil, err
				}
				c.CloseReason = CloseReason(why)
			}
			c.OpenedAt = c.OpenedAt.UTC()
			if r.closed.Valid {
				c.ClosedAt = r.closed.Time.UTC()
			}
			if canUpdate {
				c.Next = next[c.Status]
			}
			out = append(out, c)
		}
		return []audit.Event{{ActorID: actor.StaffID, Action: "case.list", RecordKind: RecordKind, RecordID: clientID, Purpose: d.Reason}}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
