// Package intake is the single front door: helpline contacts (anonymous
// allowed) with their callback queue, referrals from every source landing
// in one triage queue with first-contact targets by risk level, triage
// decisions (allocate, signpost, decline), first contact, and the cases
// (episodes of support) that allocation opens, with a client timeline.
//
// Every operation decides access with access.Decide (on the client's
// record facts when a client is involved: a hidden record is NotFound, a
// refusal Forbidden) and records an audit event in the transaction that
// does the work. Notes, summaries, reasons and referrer names are sealed
// by the vault.
package intake

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/matching"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
)

// Record kinds in the audit trail.
const (
	RecordKind        = "client" // as the people package names clients
	ContactRecordKind = "contact"
	QueueRecordKind   = "triage_queue"
)

// Sealer is what the vault does for this package.
type Sealer interface {
	SealString(plaintext string, aad ...string) string
	OpenString(sealed string, aad ...string) (string, error)
}

// ClientFacts loads what the access policy needs about a client, inside
// the caller's transaction; a missing client is an errs NotFound error
// (or store.ErrNotFound). The people package provides it.
type ClientFacts func(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string) (access.Record, error)

// DefaultFirstContactTarget is how soon after a referral arrives the
// client should first be contacted, by initial risk level.
var DefaultFirstContactTarget = map[RiskLevel]time.Duration{
	RiskHigh:     24 * time.Hour,
	RiskMedium:   72 * time.Hour,
	RiskStandard: 5 * 24 * time.Hour,
	RiskNotKnown: 24 * time.Hour,
}

// Service runs the front door.
type Service struct {
	DB     *store.DB
	Vault  Sealer
	Record audit.Recorder
	// ReadLog, when set, records reads by group commit after a read-only
	// transaction (audit.Read); nil records them in a write transaction.
	ReadLog     audit.ReadLog
	Now         func() time.Time
	ClientFacts ClientFacts
	// People creates a new client in the transaction that records their
	// referral, and names the organisation's intake (helpline) team.
	People *people.Service
	// Matches finds likely existing clients as a worker keys a referral
	// (nil: no suggestions).
	Matches *matching.Index

	// FirstContactTarget is the first-contact target by risk level (nil
	// or missing levels: DefaultFirstContactTarget).
	FirstContactTarget map[RiskLevel]time.Duration
}

// Target is the first-contact target for a level.
func (s *Service) Target(l RiskLevel) time.Duration {
	if d, ok := s.FirstContactTarget[l]; ok && d > 0 {
		return d
	}
	return DefaultFirstContactTarget[l]
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// FieldErrors is every field error of one input at once (errs.Fields).
type FieldErrors = errs.Fields

// fieldErr is one field error as FieldErrors.
func fieldErr(field, key string, args ...any) error {
	var fe FieldErrors
	fe.Add(field, key, args...)
	return fe
}

var (
	errNotFound  = errs.New(errs.NotFound, "error.not_found")
	errForbidden = errs.New(errs.Forbidden, "error.forbidden")
)

// decided loads a client's facts and asks the policy about one action.
func (s *Service) decided(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string, act access.Action) (access.Decision, error) {
	_, d, err := s.decidedFacts(ctx, tx, actor, clientID, act)
	return d, err
}

// decidedFacts is decided, also returning the facts it decided on.
func (s *Service) decidedFacts(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string, act access.Action) (access.Record, access.Decision, error) {
	rec, err := s.ClientFacts(ctx, tx, actor, clientID)
	if errors.Is(err, store.ErrNotFound) || errs.CodeOf(err) == errs.NotFound {
		return rec, access.Decision{}, errNotFound
	}
	if err != nil {
		return rec, access.Decision{}, err
	}
	d, err := access.Require(actor, act, RecordKind, rec)
	return rec, d, err
}

// service asks the policy about a service-wide action.
func service(actor access.Actor, act access.Action) (access.Decision, error) {
	d := access.Decide(actor, act, access.Record{})
	return d, access.RequireService(actor, act)
}

const (
	maxNoteLen = 4000
	maxNameLen = 200
	clockSkew  = 5 * time.Minute
)

// cleanText is valid UTF-8 without control characters other than line
// breaks and tabs.
func cleanText(v string) bool {
	return utf8.ValidString(v) && !strings.ContainsFunc(v, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	})
}

func checkText(fe *FieldErrors, field, v string, required bool, max int) {
	switch {
	case !cleanText(v):
		fe.Add(field, "intake.text_invalid")
	case required && v == "":
		fe.Add(field, "intake.required")
	case utf8.RuneCountInString(v) > max:
		fe.Add(field, "intake.too_long", max)
	}
}

func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
