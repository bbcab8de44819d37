// Package outreach is support in the client's own home: a support plan per
// client with a need for each area that matters (goals, actions with owners
// and due dates, progress) and a safety plan; outcome measures at the
// start, at reviews and at exit, which the commissioners' figures are made
// from; a diary of one-to-one sessions (home visits, office, phone, video),
// single or weekly; and lone working: a home visit has a planned end, the
// worker checks in when safe, and an overdue check-in is escalated to the
// duty managers of the worker's teams on screen and by the configured
// channels.
//
// Every operation on a client asks access.Decide over the client's facts
// (people.Service.Facts) and is audited in the same transaction. Free text
// (needs, goals, progress, actions, the safety plan, what was discussed, a
// duty manager's response) is sealed by the vault. The escalation job is
// safe with any number of nodes: an escalation is one row per visit (a
// unique index decides between nodes) and each notification is claimed
// with a lease before it is sent.
package outreach

import (
	"context"
	"errors"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/text"
)

// RecordKind is a client in the audit trail.
const RecordKind = "client"

// Sealer is what the vault does for this package: sealing, and the keyed
// blind index that keeps one need an area a plan.
type Sealer interface {
	SealString(plaintext string, aad ...string) string
	OpenString(sealed string, aad ...string) (string, error)
	BlindIndex(purpose, normalised string) string
}

// Clients is what this package needs of the people capability: a client's
// access facts, and once decided the name and safe-contact rules (a
// diary, a volunteer's view) or what may be shared with a partner.
type Clients interface {
	Facts(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string) (access.Record, error)
	CardInTx(ctx context.Context, tx *store.Tx, clientID string) (people.Card, error)
	ShareableInTx(ctx context.Context, tx *store.Tx, clientID string) (people.Shareable, error)
}

// Service runs outreach.
type Service struct {
	DB      *store.DB
	Vault   Sealer
	Record  audit.Recorder
	Now     func() time.Time
	Clients Clients
	// CheckInGrace is how long after a home visit's planned end an
	// overdue check-in is escalated (DefaultCheckInGrace when zero).
	CheckInGrace time.Duration
	// Channels are where escalations are sent besides the duty managers'
	// screens; none is fine (the screen always shows them).
	Channels []Channel
	// BaseURL is the service's address, for links in notifications.
	BaseURL string
	// Texts sends appointment reminders by text (nil: none are sent);
	// ReminderLead is how long before a session (DefaultReminderLead
	// when zero); Zone is the time zone reminders are written in (the
	// machine's when nil).
	Texts        Texter
	ReminderLead time.Duration
	Zone         *time.Location
}

// DefaultCheckInGrace is the grace after a home visit's planned end.
const DefaultCheckInGrace = 15 * time.Minute

func (s *Service) grace() time.Duration {
	if s.CheckInGrace > 0 {
		return s.CheckInGrace
	}
	return DefaultCheckInGrace
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// FieldErrors are the field errors of a form.
type FieldErrors = errs.Fields

var (
	errNotFound  = errs.New(errs.NotFound, "error.not_found")
	errForbidden = errs.New(errs.Forbidden, "error.forbidden")
	errStale     = errs.New(errs.Conflict, "outreach.changed")
)

// decided loads a client's facts and asks the policy about act: hidden or
// missing is NotFound, a refusal Forbidden. It returns the decision's
// reason, for the audit trail.
func (s *Service) decided(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string, act access.Action) (string, error) {
	rec, err := s.Clients.Facts(ctx, tx, actor, clientID)
	if errors.Is(err, store.ErrNotFound) || errs.CodeOf(err) == errs.NotFound {
		return "", errNotFound
	}
	if err != nil {
		return "", err
	}
	d, err := access.Require(actor, act, RecordKind, rec)
	return d.Reason, err
}

// allows is decided without failing on a refusal.
func (s *Service) allows(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string, act access.Action) (bool, error) {
	_, err := s.decided(ctx, tx, actor, clientID, act)
	switch errs.CodeOf(err) {
	case "":
		return true, nil
	case errs.NotFound, errs.Forbidden:
		return false, nil
	}
	return false, err
}

func (s *Service) audit(ctx context.Context, tx *store.Tx, actor access.Actor, action, clientID, purpose string) error {
	return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: action, RecordKind: RecordKind, RecordID: clientID, Purpose: purpose})
}

func (s *Service) seal(v, table, id, column string) any {
	if v == "" {
		return nil
	}
	return s.Vault.SealString(v, table, id, column)
}

func (s *Service) open(sealed *string, table, id, column string) (string, error) {
	if sealed == nil || *sealed == "" {
		return "", nil
	}
	return s.Vault.OpenString(*sealed, table, id, column)
}

const (
	maxShort = 500
	maxLong  = 10000
)

func check(fe *FieldErrors, field, v string, required bool, max int) {
	text.Check(fe, "outreach", field, v, required, max, true)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}
