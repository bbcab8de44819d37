package outreach

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"frontdoor/internal/audit"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
)

// Appointment reminders. A session booked with a text reminder is
// reminded by the SMS gateway (Service.Texts) within ReminderLead of its
// start. The client's safe-contact rules are checked again when it is
// sent: if texts are no longer marked safe, or no safe number is known,
// nothing is sent and the session says why. The text names no service
// and no worker (whoever reads the phone learns only that there is an
// appointment). Reminders by voicemail, email or post are the worker's to
// make; the diary shows them.
//
// The channel is sealed (it would give away which of her channels are
// safe): in clear a session says only that a reminder is still to be
// looked at (remind). The job opens the channel of each one due, texts
// where it is a text, and clears remind on every one it has dealt with,
// whatever its channel, so the flag says nothing about which it was.

// DefaultReminderLead is how long before a session its text goes.
const DefaultReminderLead = 24 * time.Hour

// Texter sends a text message to a phone number (an SMS gateway).
type Texter interface {
	Text(ctx context.Context, to, message string) error
}

// ReminderText is the message: the time only, no service, no name.
func ReminderText(start time.Time) string {
	return "Reminder: appointment " + start.Format("Mon 2 Jan at 15:04") + "."
}

type reminderRow struct {
	id, client, sealed string
	start              time.Time
	attempts           int
}

func (r *reminderRow) Dest() []any { return []any{&r.id, &r.client, &r.start, &r.attempts, &r.sealed} }

// SendReminders sends the text reminders due, each claimed first (a
// lease, so several nodes never text twice); it returns how many were
// sent. Without a Texter it does nothing.
func (s *Service) SendReminders(ctx context.Context) (int, error) {
	if s.Texts == nil {
		return 0, nil
	}
	lead := s.ReminderLead
	if lead <= 0 {
		lead = DefaultReminderLead
	}
	now := s.now()
	var due []reminderRow
	if err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		due, err = store.QueryAll[reminderRow](ctx, tx, `SELECT id, client_id, starts_at, reminder_attempts, reminder_sealed FROM outreach_sessions
			WHERE remind AND status = 'booked' AND starts_at > $1 AND starts_at <= $2
				AND (reminder_claimed_until IS NULL OR reminder_claimed_until <= $1)
			ORDER BY starts_at LIMIT 100`, now, now.Add(lead))
		return err
	}); err != nil {
		return 0, err
	}
	sent := 0
	for _, r := range due {
		rem, err := openReminder(s.Vault, r.id, r.sealed)
		if err != nil {
			return sent, err
		}
		var card people.Card
		claimed := false
		err = s.DB.Write(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE outreach_sessions SET reminder_claimed_until = $1, reminder_attempts = reminder_attempts + 1
				WHERE id = $2 AND remind AND status = 'booked' AND (reminder_claimed_until IS NULL OR reminder_claimed_until <= $3)`,
				now.Add(lease), r.id, now)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return nil
			}
			if rem.Channel != ByText {
				// The worker's to make: the job has only looked, which
				// changes nothing anyone sees (no audit event).
				_, err := tx.Exec(ctx, `UPDATE outreach_sessions SET remind = FALSE WHERE id = $1`, r.id)
				return err
			}
			claimed = true
			card, err = s.Clients.CardInTx(ctx, tx, r.client)
			if err != nil {
				return err
			}
			state := ""
			switch {
			case card.SafeContact.Rule(string(ByText)) != people.Safe:
				state = "skipped_unsafe"
			case strings.TrimSpace(card.SafeContact.Phone) == "":
				state = "skipped_no_number"
			}
			if state == "" {
				return nil
			}
			claimed = false
			if err := s.reminded(ctx, tx, r.id, state); err != nil {
				return err
			}
			return s.Record(ctx, tx, audit.Event{Action: "outreach.reminder_" + state, RecordKind: RecordKind, RecordID: r.client, Purpose: "session " + r.id})
		})
		if err != nil {
			return sent, err
		}
		if !claimed {
			continue
		}
		sendErr := s.Texts.Text(ctx, card.SafeContact.Phone, ReminderText(r.start.In(s.zone())))
		err = s.DB.Write(ctx, func(tx *store.Tx) error {
			if sendErr == nil {
				if err := s.reminded(ctx, tx, r.id, "sent"); err != nil {
					return err
				}
				return s.Record(ctx, tx, audit.Event{Action: "outreach.reminder_sent", RecordKind: RecordKind, RecordID: r.client, Purpose: "session " + r.id})
			}
			if r.attempts+1 >= maxAttempts {
				return s.reminded(ctx, tx, r.id, "failed")
			}
			_, err := tx.Exec(ctx, `UPDATE outreach_sessions SET reminder_claimed_until = $1 WHERE id = $2`, s.now().Add(time.Duration(r.attempts+1)*lease), r.id)
			return err
		})
		if err != nil {
			return sent, err
		}
		if sendErr == nil {
			sent++
		}
	}
	return sent, nil
}

// reminded records what became of a session's text reminder (sent,
// skipped_unsafe, skipped_no_number or failed), sealed with its channel,
// and that the job is done with it.
func (s *Service) reminded(ctx context.Context, tx *store.Tx, sessionID, state string) error {
	sealed, err := sealReminder(s.Vault, sessionID, reminderDoc{Channel: ByText, State: state})
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE outreach_sessions SET remind = FALSE, reminder_sealed = $1 WHERE id = $2`, sealed, sessionID)
	return err
}

// zone is where reminder times are written: the service's own.
func (s *Service) zone() *time.Location {
	if s.Zone != nil {
		return s.Zone
	}
	return time.Local
}

// SMSGateway posts each text as JSON {"to", "text"} to a gateway's URL,
// signed like the lone-working webhook (X-Frontdoor-Signature:
// sha256=<HMAC of the body>).
type SMSGateway struct {
	URL    string
	Secret string
	Client *http.Client
}

// Text sends one message; anything but a 2xx answer is a failure.
func (g *SMSGateway) Text(ctx context.Context, to, message string) error {
	body, err := json.Marshal(struct {
		To   string `json:"to"`
		Text string `json:"text"`
	}{to, message})
	if err != nil {
		return err
	}
	return postSigned(ctx, g.Client, g.URL, g.Secret, body, "sms gateway")
}
