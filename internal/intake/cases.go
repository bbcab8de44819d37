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
// allocation; Note is the signposting note (required) or the reason for
// declining (required); optional with an allocation.
type NewTriage struct {
	Decision Decision
	Service  CaseService
	Note     string
}

// Triage is a recorded triage decision.
type Triage struct {
	Decision  Decision
	Service   CaseService
	Note      string
	CaseID    string // the case an allocation opened
	DecidedBy string
	DecidedAt time.Time
}

func validateTriage(n *NewTriage) error {
	n.Note = strings.TrimSpace(n.Note)
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
			if t.CaseID, err = s.openCase(ctx, tx, actor, row, t.Service, now); err != nil {
				return err
			}
		}
		var note any
		if t.Note != "" {
			note = s.Vault.SealString(t.Note, "intake_triage", referralID, "note")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO intake_triage (referral_id, decision, service, note_sealed, case_id, decided_by, decided_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, referralID, string(t.Decision), nullable(string(t.Service)), note, nullable(t.CaseID),
			actor.StaffID, now); err != nil {
			if errors.Is(err, store.ErrUnique) {
				return errs.New(errs.Conflict, "intake.already_triaged")
			}
			return err
		}
		out = t
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "referral.triage", RecordKind: RecordKind, RecordID: row.r.ClientID,
			Purpose: string(t.Decision) + " " + d.Reason})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) openCase(ctx context.Context, tx *store.Tx, actor access.Actor, row *referralRow, svc CaseService, now time.Time) (string, error) {
	var live int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM intake_cases WHERE client_id = $1 AND service = $2 AND status <> 'closed'`,
		[]any{row.r.ClientID, string(svc)}, &live); err != nil {
		return "", err
	}
	if live > 0 {
		return "", errs.New(errs.Conflict, "intake.case_already_open")
	}
	caseID := id.New()
	if _, err := tx.Exec(ctx, `INSERT INTO intake_cases (id, client_id, organisation_id, service, referral_id, status, opened_at)
		VALUES ($1, $2, $3, $4, $5, 'open', $6)`, caseID, row.r.ClientID, row.org, string(svc), row.r.ID, now); err != nil {
		if errors.Is(err, store.ErrUnique) {
			return "", errs.New(errs.Conflict, "intake.case_already_open")
		}
		return "", err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO intake_case_events (id, case_id, status, changed_by, changed_at) VALUES ($1, $2, 'open', $3, $4)`,
		id.New(), caseID, actor.StaffID, now); err != nil {
		return "", err
	}
	return caseID, s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "case.open", RecordKind: RecordKind, RecordID: row.r.ClientID, Purpose: "case " + caseID})
}

func (s *Service) triageOf(ctx context.Context, tx *store.Tx, referralID string) (*Triage, error) {
	var t Triage
	var svc, note, caseID sql.NullString
	err := tx.QueryRow(ctx, `SELECT decision, service, note_sealed, case_id, decided_by, decided_at FROM intake_triage WHERE referral_id = $1`,
		[]any{referralID}, &t.Decision, &svc, &note, &caseID, &t.DecidedBy, &t.DecidedAt)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t.Service, t.CaseID, t.DecidedAt = CaseService(svc.String), caseID.String, t.DecidedAt.UTC()
	if note.Valid {
		if t.Note, err = s.Vault.OpenString(note.String, "intake_triage", referralID, "note"); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

// SetCaseStatus moves a case on (open → allocated → active → closed; any
// status but closed may close), for an actor who may update the client's
// record. Closing needs a reason from CloseReasons; a note is optional
// (sealed). A move the case cannot make is a Conflict.
func (s *Service) SetCaseStatus(ctx context.Context, actor access.Actor, caseID string, to CaseStatus, reason CloseReason, note string) error {
	note = strings.TrimSpace(note)
	var fe FieldErrors
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
	checkText(&fe, "note", note, false, maxNoteLen)
	if len(fe) > 0 {
		return fe
	}
	return s.DB.Serializable(ctx, func(tx *store.Tx) error {
		var clientID, org string
		var status CaseStatus
		err := tx.QueryRow(ctx, `SELECT client_id, organisation_id, status FROM intake_cases WHERE id = $1`, []any{caseID}, &clientID, &org, &status)
		if errors.Is(err, store.ErrNotFound) || err == nil && org != actor.OrganisationID {
			return errNotFound
		}
		if err != nil {
			return err
		}
		d, err := s.decided(ctx, tx, actor, clientID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if !slices.Contains(next[status], to) {
			return errs.New(errs.Conflict, "intake.status_change_invalid")
		}
		now := s.now()
		var closedAt, why any
		if to == CaseClosed {
			closedAt, why = now, string(reason)
		}
		if _, err := tx.Exec(ctx, `UPDATE intake_cases SET status = $2, close_reason = $3, closed_at = $4, version = version + 1 WHERE id = $1`,
			caseID, string(to), why, closedAt); err != nil {
			return err
		}
		evID := id.New()
		var sealed any
		if note != "" {
			sealed = s.Vault.SealString(note, "intake_case_events", evID, "note")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO intake_case_events (id, case_id, status, reason, note_sealed, changed_by, changed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, evID, caseID, string(to), why, sealed, actor.StaffID, now); err != nil {
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
	var out []Entry
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		out = nil
		d, err := s.decided(ctx, tx, actor, clientID, access.ReadRecord)
		if err != nil {
			return err
		}
		// Contacts.
		contacts, err := queryAll[contactRow](ctx, tx, `SELECT `+contactCols+` FROM intake_contacts WHERE client_id = $1`, clientID)
		if err != nil {
			return err
		}
		for i := range contacts {
			c, err := s.contact(&contacts[i])
			if err != nil {
				return err
			}
			out = append(out, Entry{At: c.At, Kind: EntryContact, Contact: &c})
		}
		// Referrals and their triage.
		refs, err := queryAll[referralRow](ctx, tx, `SELECT `+referralCols+` FROM intake_referrals WHERE client_id = $1`, clientID)
		if err != nil {
			return err
		}
		for i := range refs {
			r, err := s.referral(&refs[i])
			if err != nil {
				return err
			}
			out = append(out, Entry{At: r.ReceivedAt, Kind: EntryReferral, Referral: r})
			t, err := s.triageOf(ctx, tx, r.ID)
			if err != nil {
				return err
			}
			if t != nil {
				out = append(out, Entry{At: t.DecidedAt, Kind: EntryTriage, Triage: t, ReferralID: r.ID})
			}
		}
		// Case status changes.
		changes, err := queryAll[changeRow](ctx, tx, `SELECT e.id, e.case_id, c.service, e.status, e.reason, e.note_sealed, e.changed_by, e.changed_at
			FROM intake_case_events e JOIN intake_cases c ON c.id = e.case_id WHERE c.client_id = $1`, clientID)
		if err != nil {
			return err
		}
		for _, r := range changes {
			c := r.c
			c.Reason = CloseReason(r.reason.String)
			if r.note.Valid {
				if c.Note, err = s.Vault.OpenString(r.note.String, "intake_case_events", r.id, "note"); err != nil {
					return err
				}
			}
			out = append(out, Entry{At: r.at.UTC(), Kind: EntryCaseStatus, Case: &c})
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "timeline.read", RecordKind: RecordKind, RecordID: clientID, Purpose: d.Reason})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// changeRow is a case status change as the timeline reads it.
type changeRow struct {
	id     string
	c      CaseChange
	reason sql.NullString
	note   sql.NullString
	at     time.Time
}

func (r *changeRow) dest() []any {
	return []any{&r.id, &r.c.CaseID, &r.c.Service, &r.c.Status, &r.reason, &r.note, &r.c.ChangedBy, &r.at}
}
