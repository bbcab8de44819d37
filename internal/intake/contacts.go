package intake

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// Channel is how a contact came in (or went out).
type Channel string

const (
	Phone   Channel = "phone"
	WebChat Channel = "webchat"
	Email   Channel = "email"
	Text    Channel = "text"
	WalkIn  Channel = "walk_in"
)

// Direction is in (the caller reached us) or out (we called).
type Direction string

const (
	Inbound  Direction = "in"
	Outbound Direction = "out"
)

// CallerType is who contacted the service.
type CallerType string

const (
	CallerVictim       CallerType = "victim"
	CallerProfessional CallerType = "professional"
	CallerFriendFamily CallerType = "friend_or_family"
	CallerPerpetrator  CallerType = "perpetrator"
	CallerUnknown      CallerType = "unknown"
)

// ServiceLine is the helpline line the contact came through.
type ServiceLine string

const (
	LineMain       ServiceLine = "main"
	LineMaleVictim ServiceLine = "male_victim"
)

// Outcome is what came of a contact.
type Outcome string

const (
	AdviceGiven    Outcome = "advice_given"
	ReferralTaken  Outcome = "referral_taken"
	Signposted     Outcome = "signposted"
	CallbackNeeded Outcome = "callback_needed"
	NoAnswer       Outcome = "no_answer"
	OutcomeOther   Outcome = "other"
)

// The allowed values, in display order.
var (
	Channels     = []Channel{Phone, WebChat, Email, Text, WalkIn}
	Directions   = []Direction{Inbound, Outbound}
	CallerTypes  = []CallerType{CallerVictim, CallerProfessional, CallerFriendFamily, CallerPerpetrator, CallerUnknown}
	ServiceLines = []ServiceLine{LineMain, LineMaleVictim}
	Outcomes     = []Outcome{AdviceGiven, ReferralTaken, Signposted, CallbackNeeded, NoAnswer, OutcomeOther}
)

// NewContact is what the contact log form sends. ClientID "" is an
// anonymous contact. At zero means now. CallbackDue is required exactly
// when FollowUp is set.
type NewContact struct {
	Channel     Channel
	Direction   Direction
	CallerType  CallerType
	ServiceLine ServiceLine
	Outcome     Outcome
	FollowUp    bool
	CallbackDue time.Time
	ClientID    string
	Note        string
	At          time.Time
}

// Contact is a logged contact.
type Contact struct {
	ID             string
	Channel        Channel
	Direction      Direction
	CallerType     CallerType
	ServiceLine    ServiceLine
	Outcome        Outcome
	FollowUp       bool
	CallbackDue    time.Time // zero without follow-up
	CallbackDoneAt time.Time // zero while open
	ClientID       string
	Note           string
	TakenBy        string
	At             time.Time
}

// ValidateContact trims and checks n against the clock now, reporting
// every problem at once as FieldErrors; it returns the normalised input
// (times in UTC to the microsecond, At filled in when zero). Normalised
// input validates again unchanged.
func ValidateContact(n NewContact, now time.Time) (NewContact, error) {
	now = utc(now)
	n.ClientID = strings.TrimSpace(n.ClientID)
	n.Note = strings.TrimSpace(n.Note)
	var fe FieldErrors
	if !slices.Contains(Channels, n.Channel) {
		fe.Add("channel", "intake.channel_invalid")
	}
	if !slices.Contains(Directions, n.Direction) {
		fe.Add("direction", "intake.direction_invalid")
	}
	if !slices.Contains(CallerTypes, n.CallerType) {
		fe.Add("caller_type", "intake.caller_type_invalid")
	}
	if !slices.Contains(ServiceLines, n.ServiceLine) {
		fe.Add("service_line", "intake.service_line_invalid")
	}
	if !slices.Contains(Outcomes, n.Outcome) {
		fe.Add("outcome", "intake.outcome_invalid")
	}
	switch {
	case n.FollowUp && n.CallbackDue.IsZero():
		fe.Add("callback_due", "intake.callback_due_required")
	case !n.FollowUp && !n.CallbackDue.IsZero():
		fe.Add("callback_due", "intake.callback_due_without_follow_up")
	}
	if !n.CallbackDue.IsZero() {
		n.CallbackDue = utc(n.CallbackDue)
	}
	if n.ClientID != "" && (!cleanText(n.ClientID) || len(n.ClientID) > 64 || strings.ContainsAny(n.ClientID, " \n\r\t")) {
		fe.Add("client_id", "intake.client_invalid")
	}
	checkText(&fe, "note", n.Note, false, maxNoteLen)
	if n.At.IsZero() {
		n.At = now
	} else {
		n.At = utc(n.At)
		if n.At.After(now.Add(clockSkew)) {
			fe.Add("at", "intake.in_future")
		}
	}
	return n, fe.Err()
}

// LogContact records a helpline contact for an actor who works cases: an
// anonymous one (no client), or one about a client the actor may update.
// Invalid input returns FieldErrors with every problem and writes nothing.
func (s *Service) LogContact(ctx context.Context, actor access.Actor, n NewContact) (*Contact, error) {
	if _, err := service(actor, access.CreateRecord); err != nil {
		return nil, err
	}
	n, err := ValidateContact(n, s.now())
	if err != nil {
		return nil, err
	}
	c := &Contact{ID: id.New(), Channel: n.Channel, Direction: n.Direction, CallerType: n.CallerType, ServiceLine: n.ServiceLine,
		Outcome: n.Outcome, FollowUp: n.FollowUp, CallbackDue: n.CallbackDue, ClientID: n.ClientID, Note: n.Note, TakenBy: actor.StaffID, At: n.At}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		ev := audit.Event{ActorID: actor.StaffID, Action: "contact.log", RecordKind: ContactRecordKind, RecordID: c.ID, Purpose: "anonymous"}
		if c.ClientID != "" {
			d, err := s.decided(ctx, tx, actor, c.ClientID, access.UpdateRecord)
			if err != nil {
				return err
			}
			ev.RecordKind, ev.RecordID, ev.Purpose = RecordKind, c.ClientID, d.Reason
		}
		var note, due any
		if c.Note != "" {
			note = s.Vault.SealString(c.Note, "intake_contacts", c.ID, "note")
		}
		if c.FollowUp {
			due = c.CallbackDue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO intake_contacts (id, organisation_id, channel, direction, caller_type, service_line, outcome,
			follow_up, callback_due, client_id, note_sealed, taken_by, taken_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			c.ID, actor.OrganisationID, string(c.Channel), string(c.Direction), string(c.CallerType), string(c.ServiceLine), string(c.Outcome),
			c.FollowUp, due, nullable(c.ClientID), note, actor.StaffID, c.At, s.now()); err != nil {
			return err
		}
		return s.Record(ctx, tx, ev)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Callback is an open callback in the queue.
type Callback struct {
	Contact
	Overdue bool
}

type contactRow struct {
	c      Contact
	org    string
	due    sql.NullTime
	done   sql.NullTime
	client sql.NullString
	note   sql.NullString
}

const contactCols = `id, organisation_id, channel, direction, caller_type, service_line, outcome, follow_up, callback_due, callback_done_at,
	client_id, note_sealed, taken_by, taken_at`

func (r *contactRow) dest() []any {
	return []any{&r.c.ID, &r.org, &r.c.Channel, &r.c.Direction, &r.c.CallerType, &r.c.ServiceLine, &r.c.Outcome, &r.c.FollowUp,
		&r.due, &r.done, &r.client, &r.note, &r.c.TakenBy, &r.c.At}
}

func (s *Service) contact(r *contactRow) (Contact, error) {
	c := r.c
	c.CallbackDue, c.CallbackDoneAt, c.ClientID = r.due.Time, r.done.Time, r.client.String
	c.At = c.At.UTC()
	if !c.CallbackDue.IsZero() {
		c.CallbackDue = c.CallbackDue.UTC()
	}
	if !c.CallbackDoneAt.IsZero() {
		c.CallbackDoneAt = c.CallbackDoneAt.UTC()
	}
	var err error
	if r.note.Valid {
		c.Note, err = s.Vault.OpenString(r.note.String, "intake_contacts", c.ID, "note")
	}
	return c, err
}

// Callbacks is the open callback queue of the actor's organisation,
// soonest due first, with overdue ones flagged. Callbacks about a client
// the actor may not read are left out.
func (s *Service) Callbacks(ctx context.Context, actor access.Actor) ([]Callback, error) {
	if _, err := service(actor, access.CreateRecord); err != nil {
		return nil, err
	}
	var out []Callback
	// A write transaction: the list shows contact notes, and every read of
	// personal data is recorded with it.
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		out = nil
		list, err := queryAll[contactRow](ctx, tx, `SELECT `+contactCols+` FROM intake_contacts
			WHERE organisation_id = $1 AND follow_up AND callback_done_at IS NULL ORDER BY callback_due, taken_at, id`, actor.OrganisationID)
		if err != nil {
			return err
		}
		now := s.now()
		for i := range list {
			if list[i].client.Valid {
				if _, err := s.decided(ctx, tx, actor, list[i].client.String, access.ReadRecord); err != nil {
					if c := errs.CodeOf(err); c == errs.NotFound || c == errs.Forbidden {
						continue
					}
					return err
				}
			}
			c, err := s.contact(&list[i])
			if err != nil {
				return err
			}
			out = append(out, Callback{Contact: c, Overdue: c.CallbackDue.Before(now)})
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "callback.list", RecordKind: QueueRecordKind, RecordID: actor.OrganisationID,
			Purpose: strconv.Itoa(len(out)) + " callbacks"})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CallbackDone marks a contact's callback done. A callback that is
// already done is a Conflict.
func (s *Service) CallbackDone(ctx context.Context, actor access.Actor, contactID string) error {
	if _, err := service(actor, access.CreateRecord); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		var r contactRow
		err := tx.QueryRow(ctx, `SELECT `+contactCols+` FROM intake_contacts WHERE id = $1`, []any{contactID}, r.dest()...)
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if r.org != actor.OrganisationID || !r.c.FollowUp {
			return errNotFound
		}
		ev := audit.Event{ActorID: actor.StaffID, Action: "callback.done", RecordKind: ContactRecordKind, RecordID: r.c.ID}
		if r.client.Valid {
			if _, err := s.decided(ctx, tx, actor, r.client.String, access.UpdateRecord); err != nil {
				return err
			}
			ev.RecordKind, ev.RecordID, ev.Purpose = RecordKind, r.client.String, "contact "+r.c.ID
		}
		if r.done.Valid {
			return errs.New(errs.Conflict, "intake.callback_already_done")
		}
		if _, err := tx.Exec(ctx, `UPDATE intake_contacts SET callback_done_at = $2, callback_done_by = $3 WHERE id = $1`,
			r.c.ID, s.now(), actor.StaffID); err != nil {
			return err
		}
		return s.Record(ctx, tx, ev)
	})
}
