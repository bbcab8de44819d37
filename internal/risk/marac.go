package risk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// MeetingKind names MARAC meetings in the audit trail.
const MeetingKind = "marac_meeting"

// Meeting is a MARAC meeting of the actor's organisation.
type Meeting struct {
	ID             string
	OrganisationID string
	Date           time.Time
	Area           string
}

// NewMeeting is what the meeting form sends.
type NewMeeting struct {
	Date time.Time
	Area string
}

// CreateMeeting schedules a MARAC meeting for the actor's organisation.
// Anyone who holds cases (the policy's CreateRecord) may.
func (s *Service) CreateMeeting(ctx context.Context, actor access.Actor, n NewMeeting) (*Meeting, error) {
	if d := access.Decide(actor, access.CreateRecord, access.Record{}); !d.Allow {
		return nil, errForbidden
	}
	n.Area = strings.TrimSpace(n.Area)
	var fe FieldErrors
	checkText(&fe, "area", n.Area, true, maxNameLen)
	now := s.now()
	switch {
	case n.Date.IsZero():
		fe.Add("date", "risk.required")
	case n.Date.Before(now.AddDate(-maxMeetingYears, 0, 0)) || n.Date.After(now.AddDate(maxMeetingYears, 0, 0)):
		fe.Add("date", "risk.meeting_date_range", maxMeetingYears)
	}
	if len(fe) > 0 {
		return nil, fe
	}
	m := &Meeting{ID: id.New(), OrganisationID: actor.OrganisationID, Date: n.Date.UTC().Truncate(time.Microsecond), Area: n.Area}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO marac_meetings (id, organisation_id, meeting_date, area, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			m.ID, m.OrganisationID, m.Date, m.Area, actor.StaffID, s.now()); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "marac.meeting", RecordKind: MeetingKind, RecordID: m.ID})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// maxMeetingYears bounds a meeting date either side of today.
const maxMeetingYears = 5

// maracAllowed is the service-wide check for MARAC lists: the people who
// hold cases (the policy's CreateRecord).
func maracAllowed(actor access.Actor) error {
	if d := access.Decide(actor, access.CreateRecord, access.Record{}); !d.Allow {
		return errForbidden
	}
	return nil
}

// Meetings lists the actor's organisation's MARAC meetings with a date in
// [from, to), earliest first; a zero from or to leaves that end open.
func (s *Service) Meetings(ctx context.Context, actor access.Actor, from, to time.Time) ([]Meeting, error) {
	if err := maracAllowed(actor); err != nil {
		return nil, err
	}
	q := `SELECT id, organisation_id, meeting_date, area FROM marac_meetings WHERE organisation_id = $1`
	args := []any{actor.OrganisationID}
	if !from.IsZero() {
		args = append(args, from.UTC())
		q += ` AND meeting_date >= $` + strconv.Itoa(len(args))
	}
	if !to.IsZero() {
		args = append(args, to.UTC())
		q += ` AND meeting_date < $` + strconv.Itoa(len(args))
	}
	var out []Meeting
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		out = nil
		rows, err := tx.Query(ctx, q+` ORDER BY meeting_date, id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Meeting
			if err := rows.Scan(&m.ID, &m.OrganisationID, &m.Date, &m.Area); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AgendaItem is a referral on an agenda, or awaiting one. Restricted
// means the actor may not read the client's record: only the referral's
// ID, date and repeat flag are shown, nothing about the person. Records
// hidden from the actor are not listed at all.
type AgendaItem struct {
	ReferralID string
	Restricted bool
	ClientID   string
	ClientName string
	ReferredAt time.Time
	Repeat     bool
	Outcome    string
	Actions    []ActionView
	CanUpdate  bool // the policy lets the actor record actions and outcomes
}

// Agenda is a meeting with the referrals on its agenda.
type Agenda struct {
	Meeting
	Items []AgendaItem
}

// item fills an agenda item for the actor, or reports it left out; a
// readable one is audited with action.
func (s *Service) item(ctx context.Context, tx *store.Tx, actor access.Actor, it *AgendaItem, action string, full bool) (bool, error) {
	e, err := s.look(ctx, tx, actor, it.ClientID)
	if err != nil {
		return false, err
	}
	switch e.vis {
	case leftOut:
		return false, nil
	case restricted:
		it.Restricted, it.ClientID = true, ""
		return true, nil
	}
	it.CanUpdate = e.canUpdate
	if it.ClientName, err = s.clientName(ctx, tx, it.ClientID); err != nil {
		return false, err
	}
	if full {
		var outcome sql.NullString
		if err := tx.QueryRow(ctx, `SELECT outcome_sealed FROM marac_referrals WHERE id = $1`, []any{it.ReferralID}, &outcome); err != nil {
			return false, err
		}
		if outcome.Valid {
			if it.Outcome, err = s.Vault.OpenString(outcome.String, "marac_referrals", it.ReferralID, "outcome"); err != nil {
				return false, err
			}
		}
		if it.Actions, err = s.actions(ctx, tx, it.ReferralID); err != nil {
			return false, err
		}
	}
	return true, s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: action, RecordKind: RecordKind, RecordID: it.ClientID, Purpose: e.reason})
}

// items lists referrals from a query selecting id, client_id,
// referred_at, repeat, as the actor may see them.
func (s *Service) items(ctx context.Context, tx *store.Tx, actor access.Actor, action string, full bool, query string, args ...any) ([]AgendaItem, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var all []AgendaItem
	for rows.Next() {
		var it AgendaItem
		if err := rows.Scan(&it.ReferralID, &it.ClientID, &it.ReferredAt, &it.Repeat); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []AgendaItem
	for _, it := range all {
		ok, err := s.item(ctx, tx, actor, &it, action, full)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, it)
		}
	}
	return out, nil
}

// Agenda reads a meeting of the actor's organisation with its agenda:
// each referral's client name, outcome and actions for those the actor
// may read, restricted entries for the others, hidden records left out.
// Each client shown is audited.
func (s *Service) Agenda(ctx context.Context, actor access.Actor, meetingID string) (*Agenda, error) {
	if err := maracAllowed(actor); err != nil {
		return nil, err
	}
	var out *Agenda
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		a := &Agenda{}
		err := tx.QueryRow(ctx, `SELECT id, organisation_id, meeting_date, area FROM marac_meetings WHERE id = $1`, []any{meetingID},
			&a.ID, &a.OrganisationID, &a.Date, &a.Area)
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if a.OrganisationID != actor.OrganisationID {
			return access.Hide(actor, access.ReadRecord, MeetingKind, meetingID, "another organisation's MARAC meeting")
		}
		if a.Items, err = s.items(ctx, tx, actor, "marac.agenda_read", true,
			`SELECT id, client_id, referred_at, repeat FROM marac_referrals WHERE meeting_id = $1 ORDER BY referred_at, id`, meetingID); err != nil {
			return err
		}
		out = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AwaitingAgenda lists the referrals of the actor's organisation's clients
// not yet on a meeting's agenda, oldest first, as Agenda shows items
// (without outcomes and actions, which need a meeting).
func (s *Service) AwaitingAgenda(ctx context.Context, actor access.Actor) ([]AgendaItem, error) {
	if err := maracAllowed(actor); err != nil {
		return nil, err
	}
	var out []AgendaItem
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.items(ctx, tx, actor, "marac.awaiting_read", false,
			`SELECT r.id, r.client_id, r.referred_at, r.repeat FROM marac_referrals r JOIN clients c ON c.id = r.client_id
			WHERE r.meeting_id IS NULL AND c.organisation_id = $1 ORDER BY r.referred_at, r.id`, actor.OrganisationID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReferEscalation makes the MARAC referral an assessment suggested on
// potential escalation, in one step: the reason defaults to the call-out
// count. A second call for the same assessment returns the referral
// already made.
func (s *Service) ReferEscalation(ctx context.Context, actor access.Actor, assessmentID, reason string) (id string, repeat bool, err error) {
	reason = strings.TrimSpace(reason)
	var fe FieldErrors
	checkLongText(&fe, "reason", reason, false, maxReasonLen)
	if len(fe) > 0 {
		return "", false, fe
	}
	err = s.DB.Serializable(ctx, func(tx *store.Tx) error {
		var clientID, score string
		err := tx.QueryRow(ctx, `SELECT client_id, score_sealed FROM risk_assessments WHERE id = $1`, []any{assessmentID}, &clientID, &score)
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if _, err := s.decided(ctx, tx, actor, clientID, access.UpdateRecord); err != nil {
			return err
		}
		sd, err := s.openScore(assessmentID, score)
		if err != nil {
			return err
		}
		suggested, callouts := sd.EscalationSuggested, sd.WindowCallouts
		if !suggested {
			return errs.New(errs.Conflict, "risk.escalation_not_suggested")
		}
		err = tx.QueryRow(ctx, `SELECT id, repeat FROM marac_referrals WHERE assessment_id = $1 ORDER BY referred_at, id LIMIT 1`, []any{assessmentID}, &id, &repeat)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return err
		}
		why := reason
		if why == "" {
			why = fmt.Sprintf("potential escalation: %d police call-outs in %d months", callouts, s.EscalationWindow())
		}
		id, repeat, err = s.refer(ctx, tx, actor, clientID, assessmentID, why, s.now())
		return err
	})
	if err != nil {
		return "", false, err
	}
	return id, repeat, nil
}

// referralClient loads a referral's client and meeting, and decides act on
// the client's record.
func (s *Service) referralClient(ctx context.Context, tx *store.Tx, actor access.Actor, referralID string, act access.Action) (clientID string, meetingID sql.NullString, d access.Decision, err error) {
	err = tx.QueryRow(ctx, `SELECT client_id, meeting_id FROM marac_referrals WHERE id = $1`, []any{referralID}, &clientID, &meetingID)
	if errors.Is(err, store.ErrNotFound) {
		return "", meetingID, d, errNotFound
	}
	if err != nil {
		return "", meetingID, d, err
	}
	d, err = s.decided(ctx, tx, actor, clientID, act)
	return clientID, meetingID, d, err
}

// AddToAgenda puts a referral on a meeting's agenda (the meeting must be
// the actor's organisation's).
func (s *Service) AddToAgenda(ctx context.Context, actor access.Actor, meetingID, referralID string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		clientID, current, d, err := s.referralClient(ctx, tx, actor, referralID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if current.Valid {
			// Moving a referral to another meeting is fine until it has
			// been heard (an outcome or actions recorded).
			var heard int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM marac_referrals r WHERE r.id = $1 AND (r.outcome_sealed IS NOT NULL
				OR EXISTS (SELECT 1 FROM marac_actions a WHERE a.referral_id = r.id))`, []any{referralID}, &heard); err != nil {
				return err
			}
			if heard > 0 {
				return errs.New(errs.Conflict, "risk.referral_already_heard")
			}
		}
		var org string
		err = tx.QueryRow(ctx, `SELECT organisation_id FROM marac_meetings WHERE id = $1`, []any{meetingID}, &org)
		if errors.Is(err, store.ErrNotFound) || err == nil && org != actor.OrganisationID {
			return errs.Field("meeting", "risk.meeting_unknown")
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE marac_referrals SET meeting_id = $2 WHERE id = $1`, referralID, meetingID); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "marac.agenda", RecordKind: RecordKind, RecordID: clientID, Purpose: d.Reason})
	})
}

// NewAction is a MARAC action: who owns it, when it is due, what it is.
type NewAction struct {
	OwnerStaffID string
	Due          time.Time
	Text         string
}

// RecordAction adds an action to a referral on a meeting's agenda. The
// owner is any active member of staff (partner agencies' included).
// Every field error is reported at once and nothing is written.
func (s *Service) RecordAction(ctx context.Context, actor access.Actor, referralID string, n NewAction) (string, error) {
	n.Text, n.OwnerStaffID = strings.TrimSpace(n.Text), strings.TrimSpace(n.OwnerStaffID)
	actionID := id.New()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		clientID, meetingID, d, err := s.referralClient(ctx, tx, actor, referralID, access.UpdateRecord)
		if err != nil {
			return err
		}
		var fe FieldErrors
		if !meetingID.Valid {
			fe.Add("meeting", "risk.referral_not_on_agenda")
		}
		if n.OwnerStaffID == "" {
			fe.Add("owner", "risk.required")
		} else {
			var owner int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM staff WHERE id = $1 AND disabled_at IS NULL`, []any{n.OwnerStaffID}, &owner); err != nil {
				return err
			}
			if owner == 0 {
				fe.Add("owner", "risk.action_owner_unknown")
			}
		}
		if n.Due.IsZero() {
			fe.Add("due", "risk.required")
		}
		checkLongText(&fe, "text", n.Text, true, maxReasonLen)
		if len(fe) > 0 {
			return fe
		}
		if _, err := tx.Exec(ctx, `INSERT INTO marac_actions (id, referral_id, owner_staff_id, due_at, text_sealed, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, actionID, referralID, n.OwnerStaffID, n.Due.UTC().Truncate(time.Microsecond),
			s.Vault.SealString(n.Text, "marac_actions", actionID, "text"), actor.StaffID, s.now()); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "marac.action", RecordKind: RecordKind, RecordID: clientID, Purpose: d.Reason})
	})
	if err != nil {
		return "", err
	}
	return actionID, nil
}

// RecordOutcome records (or replaces) the meeting's outcome for a referral
// heard at it.
func (s *Service) RecordOutcome(ctx context.Context, actor access.Actor, referralID, outcome string) error {
	outcome = strings.TrimSpace(outcome)
	var fe FieldErrors
	checkLongText(&fe, "outcome", outcome, true, maxReasonLen)
	if len(fe) > 0 {
		return fe
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		clientID, meetingID, d, err := s.referralClient(ctx, tx, actor, referralID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if !meetingID.Valid {
			return FieldErrors{errs.Field("meeting", "risk.referral_not_on_agenda")}
		}
		if _, err := tx.Exec(ctx, `UPDATE marac_referrals SET outcome_sealed = $2 WHERE id = $1`, referralID,
			s.Vault.SealString(outcome, "marac_referrals", referralID, "outcome")); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "marac.outcome", RecordKind: RecordKind, RecordID: clientID, Purpose: d.Reason})
	})
}

// ActionView is a recorded MARAC action.
type ActionView struct {
	ID           string
	OwnerStaffID string
	Due          time.Time
	Text         string
	DoneAt       *time.Time
	DoneBy       string
}

// Done reports whether the action is done.
func (a ActionView) Done() bool { return a.DoneAt != nil }

// actions reads a referral's actions, text opened, soonest due first.
func (s *Service) actions(ctx context.Context, tx *store.Tx, referralID string) ([]ActionView, error) {
	rows, err := tx.Query(ctx, `SELECT id, owner_staff_id, due_at, text_sealed, done_at, done_by FROM marac_actions WHERE referral_id = $1 ORDER BY due_at, id`, referralID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ActionView
	for rows.Next() {
		var a ActionView
		var text string
		var doneBy sql.NullString
		if err := rows.Scan(&a.ID, &a.OwnerStaffID, &a.Due, &text, &a.DoneAt, &doneBy); err != nil {
			return nil, err
		}
		a.DoneBy = doneBy.String
		if a.Text, err = s.Vault.OpenString(text, "marac_actions", a.ID, "text"); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// CompleteAction marks a MARAC action done.
func (s *Service) CompleteAction(ctx context.Context, actor access.Actor, actionID string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		var referralID string
		var done *time.Time
		err := tx.QueryRow(ctx, `SELECT referral_id, done_at FROM marac_actions WHERE id = $1`, []any{actionID}, &referralID, &done)
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		clientID, _, d, err := s.referralClient(ctx, tx, actor, referralID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if done != nil {
			return errs.New(errs.Conflict, "risk.action_already_done")
		}
		if _, err := tx.Exec(ctx, `UPDATE marac_actions SET done_at = $2, done_by = $3 WHERE id = $1`, actionID, s.now(), actor.StaffID); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "marac.action_done", RecordKind: RecordKind, RecordID: clientID, Purpose: d.Reason})
	})
}

// Referral is a MARAC referral as an allowed reader sees it.
type Referral struct {
	ID           string
	ClientID     string
	ClientName   string
	AssessmentID string
	ReferredAt   time.Time
	ReferredBy   string
	Reason       string
	Repeat       bool
	MeetingID    string
	Meeting      *Meeting // the meeting it is on the agenda of
	Outcome      string
	Actions      []ActionView
	CanUpdate    bool // the policy lets the reader record actions and outcomes
}

// GetReferral reads a referral with its reason, outcome and actions
// opened; the read is audited.
func (s *Service) GetReferral(ctx context.Context, actor access.Actor, referralID string) (*Referral, error) {
	var out *Referral
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		clientID, _, d, err := s.referralClient(ctx, tx, actor, referralID, access.ReadRecord)
		if err != nil {
			return err
		}
		r := &Referral{ID: referralID, ClientID: clientID}
		var assessment, meeting, outcome sql.NullString
		var reason string
		if err := tx.QueryRow(ctx, `SELECT assessment_id, referred_at, referred_by, reason_sealed, repeat, meeting_id, outcome_sealed FROM marac_referrals WHERE id = $1`,
			[]any{referralID}, &assessment, &r.ReferredAt, &r.ReferredBy, &reason, &r.Repeat, &meeting, &outcome); err != nil {
			return err
		}
		r.AssessmentID, r.MeetingID = assessment.String, meeting.String
		if r.Reason, err = s.Vault.OpenString(reason, "marac_referrals", r.ID, "reason"); err != nil {
			return err
		}
		if outcome.Valid {
			if r.Outcome, err = s.Vault.OpenString(outcome.String, "marac_referrals", r.ID, "outcome"); err != nil {
				return err
			}
		}
		if r.Actions, err = s.actions(ctx, tx, referralID); err != nil {
			return err
		}
		if r.ClientName, err = s.clientName(ctx, tx, clientID); err != nil {
			return err
		}
		if meeting.Valid {
			m := &Meeting{}
			if err := tx.QueryRow(ctx, `SELECT id, organisation_id, meeting_date, area FROM marac_meetings WHERE id = $1`, []any{meeting.String},
				&m.ID, &m.OrganisationID, &m.Date, &m.Area); err != nil {
				return err
			}
			r.Meeting = m
		}
		rec, err := s.ClientFacts(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		r.CanUpdate = access.Decide(actor, access.UpdateRecord, rec).Allow
		out = r
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "marac.read", RecordKind: RecordKind, RecordID: clientID, Purpose: d.Reason})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
