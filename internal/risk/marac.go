package risk

import (
	"context"
	"database/sql"
	"errors"
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
	if n.Date.IsZero() {
		fe.Add("date", "risk.required")
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
		clientID, _, d, err := s.referralClient(ctx, tx, actor, referralID, access.UpdateRecord)
		if err != nil {
			return err
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

// RecordAction adds an action to a referral heard at a meeting.
func (s *Service) RecordAction(ctx context.Context, actor access.Actor, referralID string, n NewAction) (string, error) {
	n.Text = strings.TrimSpace(n.Text)
	var fe FieldErrors
	checkText(&fe, "text", n.Text, true, maxReasonLen)
	if n.OwnerStaffID == "" {
		fe.Add("owner", "risk.required")
	}
	if n.Due.IsZero() {
		fe.Add("due", "risk.required")
	}
	if len(fe) > 0 {
		return "", fe
	}
	actionID := id.New()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		clientID, meetingID, d, err := s.referralClient(ctx, tx, actor, referralID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if !meetingID.Valid {
			return errs.Field("meeting", "risk.referral_not_on_agenda")
		}
		var owner int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM staff WHERE id = $1`, []any{n.OwnerStaffID}, &owner); err != nil {
			return err
		}
		if owner == 0 {
			return FieldErrors{errs.Field("owner", "risk.action_owner_unknown")}
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
	checkText(&fe, "outcome", outcome, true, maxReasonLen)
	if len(fe) > 0 {
		return fe
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		clientID, meetingID, d, err := s.referralClient(ctx, tx, actor, referralID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if !meetingID.Valid {
			return errs.Field("meeting", "risk.referral_not_on_agenda")
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
}

// Referral is a MARAC referral as an allowed reader sees it.
type Referral struct {
	ID           string
	ClientID     string
	AssessmentID string
	ReferredAt   time.Time
	ReferredBy   string
	Reason       string
	Repeat       bool
	MeetingID    string
	Outcome      string
	Actions      []ActionView
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
		rows, err := tx.Query(ctx, `SELECT id, owner_staff_id, due_at, text_sealed FROM marac_actions WHERE referral_id = $1 ORDER BY due_at, id`, referralID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a ActionView
			var text string
			if err := rows.Scan(&a.ID, &a.OwnerStaffID, &a.Due, &text); err != nil {
				return err
			}
			if a.Text, err = s.Vault.OpenString(text, "marac_actions", a.ID, "text"); err != nil {
				return err
			}
			r.Actions = append(r.Actions, a)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		out = r
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "marac.read", RecordKind: RecordKind, RecordID: clientID, Purpose: d.Reason})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
