package intake

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// Channel is how a contact came in (or went out).
type Channel string

const (
	Phone   Channel = "phone"
	WebChat Channel = "webchat"
	Email   Channel = "email"
	Text    Channel = "text"
	Letter  Channel = "letter" // a letter by post
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
	Channels     = []Channel{Phone, WebChat, Email, Text, Letter, WalkIn}
	Directions   = []Direction{Inbound, Outbound}
	CallerTypes  = []CallerType{CallerVictim, CallerProfessional, CallerFriendFamily, CallerPerpetrator, CallerUnknown}
	ServiceLines = []ServiceLine{LineMain, LineMaleVictim}
	Outcomes     = []Outcome{AdviceGiven, ReferralTaken, Signposted, CallbackNeeded, NoAnswer, OutcomeOther}
)

// NewContact is what the contact log form sends. ClientID "" is an
// anonymous contact. At zero means now. CallbackDue is required exactly
// when FollowUp is set.
//
// An outgoing contact with a client is checked against the client's
// safe-contact rules (CheckSafeContact): Voicemail says a voicemail was
// left, Number is the number dialled or texted (required for an outgoing
// call or text to a client; checked against the safe number, never
// stored).
// A contact the rules do not allow is refused unless OverrideReason says
// why it had to happen; the reason is sealed with the contact and the
// audit event says it was an override.
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

	Voicemail      bool
	Number         string
	OverrideReason string
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
	ClientName     string // filled in by lists that show it
	Note           string
	TakenBy        string
	At             time.Time
	Voicemail      bool
	// Override is set when the contact went against the client's
	// safe-contact rules, with the worker's reason.
	Override       bool
	OverrideReason string
}

// ValidateContact trims and checks n against the clock now, reporting
// every problem at once as FieldErrors; it returns the normalised input
// (times in UTC to the microsecond, At filled in when zero). Normalised
// input validates again unchanged.
func ValidateContact(n NewContact, now time.Time) (NewContact, error) {
	now = utc(now)
	n.ClientID = strings.TrimSpace(n.ClientID)
	n.Note = strings.TrimSpace(n.Note)
	n.Number = strings.TrimSpace(n.Number)
	n.OverrideReason = strings.TrimSpace(n.OverrideReason)
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
	if n.Voicemail && (n.Channel != Phone || n.Direction != Outbound) {
		fe.Add("voicemail", "intake.voicemail_only_outgoing_call")
	}
	checkText(&fe, "number", n.Number, false, 40)
	if n.Number != "" && n.Channel != Phone && n.Channel != Text {
		fe.Add("number", "intake.number_only_phone_or_text")
	}
	checkText(&fe, "override_reason", n.OverrideReason, false, 1000)
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

// CheckSafeContact reports what in an outgoing contact the client's
// safe-contact rules do not allow, as field errors (none: the contact is
// safe). Only a rule that says "safe" allows a channel: "not known" is
// treated as not safe. Incoming contacts are not checked: the client
// reached us. For an outgoing contact:
//
//   - A call or a text needs a safe number on record, and the number
//     dialled or texted must be given ("number" required: a blank number
//     is never taken to mean "the safe number") and be that number, both
//     compared after vault.NormalisePhone. A text also needs texts to be
//     safe; a voicemail needs voicemail to be safe.
//   - An email, a letter need their channel (email, post) to be safe.
//   - A web chat we start shows up on the client's device much as a text
//     does, so it follows the text rule.
//   - A walk_in we make is a home visit. Turning up at the home
//     unannounced is the riskiest contact there is (the abuser may be
//     there, or may learn of it), and no safe-contact rule says a visit is
//     safe, so it always needs an override reason.
//
// Safe times (SafeContact.Times) are free text ("weekdays 10-12 while he
// is at work") that the service cannot reliably parse, so they are not
// enforced here: they are display-only, shown in the safe-contact box at
// the top of the contact form and again beside the outgoing fields, for
// the worker to check before making contact.
//
// Every refusal names its field; LogContact lets an override reason
// stand for all of them and audits that it did.
func CheckSafeContact(sc people.SafeContact, n NewContact) FieldErrors {
	var fe FieldErrors
	if n.Direction != Outbound {
		return nil
	}
	safe := func(channel string) bool { return sc.Rule(channel) == people.Safe }
	switch n.Channel {
	case Phone, Text:
		if n.Channel == Text && !safe("text") {
			fe.Add("channel", "intake.unsafe_text")
		}
		// A safe "number" without a digit in it is no safe number: it
		// would otherwise match any number without one.
		safeNumber := vault.NormalisePhone(sc.Phone)
		switch {
		case safeNumber == "":
			fe.Add("number", "intake.no_safe_number")
		case strings.TrimSpace(n.Number) == "":
			fe.Add("number", "intake.number_required")
		case vault.NormalisePhone(n.Number) != safeNumber:
			fe.Add("number", "intake.number_not_safe")
		}
		if n.Voicemail && !safe("voicemail") {
			fe.Add("voicemail", "intake.unsafe_voicemail")
		}
	case WebChat:
		if !safe("text") {
			fe.Add("channel", "intake.unsafe_webchat")
		}
	case Email:
		if !safe("email") {
			fe.Add("channel", "intake.unsafe_email")
		}
	case Letter:
		if !safe("post") {
			fe.Add("channel", "intake.unsafe_post")
		}
	case WalkIn:
		fe.Add("channel", "intake.home_visit_needs_reason")
	}
	return fe
}

// minOverrideReason is the least a reason for going against the client's
// safe-contact rules may say.
const minOverrideReason = 10

// LogContact records a helpline contact for an actor who works cases: an
// anonymous one (no client), or one about a client the actor may update.
// An outgoing contact with a client that the client's safe-contact rules
// do not allow is refused with field errors naming each problem, unless
// the worker gives an override reason (sealed with the contact; the audit
// event's purpose says "override"). Invalid input returns FieldErrors
// with every problem and writes nothing.
func (s *Service) LogContact(ctx context.Context, actor access.Actor, n NewContact) (*Contact, error) {
	if _, err := service(actor, access.CreateRecord); err != nil {
		return nil, err
	}
	n, verr := ValidateContact(n, s.now())
	var invalid FieldErrors
	if verr != nil {
		if !errors.As(verr, &invalid) || n.ClientID == "" || n.Direction != Outbound || slices.Contains(invalid.Names(), "client_id") {
			return nil, verr
		}
		// An outgoing contact with a client: report the safe-contact
		// problems with the rest, all at once.
	}
	c := &Contact{ID: id.New(), Channel: n.Channel, Direction: n.Direction, CallerType: n.CallerType, ServiceLine: n.ServiceLine,
		Outcome: n.Outcome, FollowUp: n.FollowUp, CallbackDue: n.CallbackDue, ClientID: n.ClientID, Note: n.Note, TakenBy: actor.StaffID, At: n.At,
		Voicemail: n.Voicemail}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		c.Override, c.OverrideReason = false, ""
		ev := audit.Event{ActorID: actor.StaffID, Action: "contact.log", RecordKind: ContactRecordKind, RecordID: c.ID, Purpose: "anonymous"}
		if c.ClientID != "" {
			d, err := s.decided(ctx, tx, actor, c.ClientID, access.UpdateRecord)
			if err != nil {
				return err
			}
			ev.RecordKind, ev.RecordID, ev.Purpose = RecordKind, c.ClientID, d.Reason
			if c.Direction == Outbound {
				card, err := s.clientCard(ctx, tx, c.ClientID)
				if err != nil {
					return err
				}
				if unsafe := CheckSafeContact(card.Details.SafeContact, n); len(unsafe) > 0 {
					problems := append(append(FieldErrors{}, invalid...), unsafe...)
					switch l := utf8.RuneCountInString(n.OverrideReason); {
					case l == 0:
						problems.Add("override_reason", "intake.override_reason_required")
					case l < minOverrideReason:
						problems.Add("override_reason", "intake.override_reason_too_short", minOverrideReason)
					}
					if len(problems) > len(unsafe) {
						return problems
					}
					c.Override, c.OverrideReason = true, n.OverrideReason
					var what []string
					for _, u := range unsafe {
						what = append(what, strings.TrimPrefix(u.Key, "intake."))
					}
					ev.Purpose = "override of safe contact (" + strings.Join(what, ", ") + ") " + d.Reason
				}
			}
		}
		if len(invalid) > 0 {
			return invalid
		}
		var note, due, reason any
		if c.Note != "" {
			note = s.Vault.SealString(c.Note, "intake_contacts", c.ID, "note")
		}
		if c.FollowUp {
			due = c.CallbackDue
		}
		if c.Override {
			reason = s.Vault.SealString(c.OverrideReason, "intake_contacts", c.ID, "override_reason")
		}
		details, err := SealContact(s.Vault, c.ID, *c)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO intake_contacts (id, organisation_id, details_sealed,
			follow_up, callback_due, client_id, note_sealed, voicemail_left, override_reason_sealed, taken_by, taken_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			c.ID, actor.OrganisationID, details,
			c.FollowUp, due, nullable(c.ClientID), note, c.Voicemail, reason, actor.StaffID, c.At, s.now()); err != nil {
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
	c       Contact
	org     string
	details string // sealed contactDoc
	due     sql.NullTime
	done    sql.NullTime
	client  sql.NullString
	note    sql.NullString
	reason  sql.NullString
}

const contactCols = `id, organisation_id, details_sealed, follow_up, callback_due, callback_done_at,
	client_id, note_sealed, taken_by, taken_at, voicemail_left, override_reason_sealed`

func (r *contactRow) Dest() []any {
	return []any{&r.c.ID, &r.org, &r.details, &r.c.FollowUp,
		&r.due, &r.done, &r.client, &r.note, &r.c.TakenBy, &r.c.At, &r.c.Voicemail, &r.reason}
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
	var d contactDoc
	if err := vault.OpenJSON(s.Vault, r.details, &d, "intake_contacts", c.ID, "details"); err != nil {
		return c, err
	}
	c.Channel, c.Direction, c.CallerType, c.ServiceLine, c.Outcome = d.Channel, d.Direction, d.CallerType, d.ServiceLine, d.Outcome
	var err error
	if r.note.Valid {
		if c.Note, err = s.Vault.OpenString(r.note.String, "intake_contacts", c.ID, "note"); err != nil {
			return c, err
		}
	}
	if r.reason.Valid {
		c.Override = true
		c.OverrideReason, err = s.Vault.OpenString(r.reason.String, "intake_contacts", c.ID, "override_reason")
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
		list, err := store.QueryAll[contactRow](ctx, tx, `SELECT `+contactCols+` FROM intake_contacts
			WHERE organisation_id = $1 AND follow_up AND callback_done_at IS NULL ORDER BY callback_due, taken_at, id`, actor.OrganisationID)
		if err != nil {
			return err
		}
		now := s.now()
		for i := range list {
			var name string
			if list[i].client.Valid {
				if _, err := s.decided(ctx, tx, actor, list[i].client.String, access.ReadRecord); err != nil {
					if c := errs.CodeOf(err); c == errs.NotFound || c == errs.Forbidden {
						continue
					}
					return err
				}
				card, err := s.clientCard(ctx, tx, list[i].client.String)
				if err != nil {
					return err
				}
				name = card.name()
			}
			c, err := s.contact(&list[i])
			if err != nil {
				return err
			}
			c.ClientName = name
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
		err := tx.QueryRow(ctx, `SELECT `+contactCols+` FROM intake_contacts WHERE id = $1`, []any{contactID}, r.Dest()...)
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if r.org != actor.OrganisationID {
			kind, rid := ContactRecordKind, r.c.ID
			if r.client.Valid {
				kind, rid = RecordKind, r.client.String
			}
			return access.Hide(actor, access.UpdateRecord, kind, rid, "another organisation's contact")
		}
		if !r.c.FollowUp {
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
