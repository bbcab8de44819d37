// Package refuge is accommodation: communal refuges and satellite
// (dispersed) properties, each run by a team; their units (rooms, flats)
// and bedspaces with what each can accept; the live vacancy board and the
// vacancy search referrers use (never offering a property inside one of
// the client's unsafe areas); referrals to a vacancy (hold → offer →
// accept or decline → admission) with their turnaway reasons; stays with
// departures, move-on destinations, occupancy and void days.
//
// A property's address is sealed by the vault. Only the staff of the team
// that runs it (and their managers, who are members of the team) see it,
// and every such read is audited; everyone else sees the town and area.
//
// The same bedspace can never be held or occupied by two households at
// once: every hold and stay is a row of refuge_claims, and a partial
// unique index on the bedspace among claims not yet released enforces it
// in the database, on both engines and across any number of nodes. Holds
// expire (Service.HoldFor): every query treats an expired hold as free,
// the transaction that claims a bedspace releases expired holds on it
// first, and ReleaseExpired is the background sweep.
//
// No household, and no member of staff, can hold every vacancy: a hold
// must fit the household by the search's own predicate (fit.go), the
// household is checked against the client's record (household.go), a
// client has one live hold and a member of staff a number of holds an
// hour (holdrules.go).
//
// Every operation decides access with access.Decide: on the client's
// record facts (ClientFacts) where a person is involved, on the property's
// facts (its organisation and team) otherwise; changes are audited in the
// same transaction.
package refuge

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
)

// Record kinds in the audit trail.
const (
	ClientRecordKind   = "client"
	PropertyRecordKind = "property"
)

// DefaultHoldFor is how long a vacancy is held for a referral when the
// Service does not say.
const DefaultHoldFor = 48 * time.Hour

// DefaultHoldsPerHour is how many holds one member of staff may make in a
// rolling hour when the Service does not say: enough for a busy front
// door, far short of holding every vacancy.
const DefaultHoldsPerHour = 5

// Sealer is what the vault does for this package.
type Sealer interface {
	SealString(plaintext string, aad ...string) string
	OpenString(sealed string, aad ...string) (string, error)
	BlindIndex(purpose, normalised string) string
}

// ClientFacts loads what the access policy needs about a client, inside
// the caller's transaction (people.Service.Facts).
type ClientFacts func(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string) (access.Record, error)

// Service runs accommodation.
type Service struct {
	DB     *store.DB
	Vault  Sealer
	Record audit.Recorder
	// ReadLog, when set, records reads by group commit after a read-only
	// transaction (audit.Read); nil records them in a write transaction.
	ReadLog     audit.ReadLog
	Now         func() time.Time
	ClientFacts ClientFacts
	// ClientHousehold reads what the client's record says about their
	// household, to check a declared one against (household.go).
	ClientHousehold ClientHousehold
	// HoldFor is how long a hold (and an offer, and an accepted offer
	// before admission) keeps a unit; zero means DefaultHoldFor.
	HoldFor time.Duration
	// HoldsPerHour is how many holds one member of staff may make in a
	// rolling hour, counted in the database (so across every node);
	// zero means DefaultHoldsPerHour.
	HoldsPerHour int

	cache catalogueCache // for vacancy search and the board
}

func (s *Service) holdFor() time.Duration {
	if s.HoldFor > 0 {
		return s.HoldFor
	}
	return DefaultHoldFor
}

func (s *Service) holdsPerHour() int {
	if s.HoldsPerHour > 0 {
		return s.HoldsPerHour
	}
	return DefaultHoldsPerHour
}

func (s *Service) now() time.Time { return utc(s.Now()) }

func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// day is a date as stored: midnight UTC.
func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// FieldErrors is every field error of one input at once.
type FieldErrors = errs.Fields

var (
	errNotFound  = errs.New(errs.NotFound, "error.not_found")
	errForbidden = errs.New(errs.Forbidden, "error.forbidden")
	// ErrNoLongerAvailable is the answer to a hold on a unit another
	// household holds or occupies (or took a moment ago).
	ErrNoLongerAvailable = errs.New(errs.Conflict, "refuge.no_longer_available")
	errStale             = errs.New(errs.Conflict, "refuge.state_changed")
	errHoldExpired       = errs.New(errs.Conflict, "refuge.hold_expired")
)

// lostRace maps a lost claim (the unique index, or a serialization
// failure that outlived the retries) to ErrNoLongerAvailable.
func lostRace(err error) error {
	if errors.Is(err, store.ErrUnique) || errors.Is(err, store.ErrSerialization) || errors.Is(err, store.ErrBusy) {
		return errs.Wrap(err, errs.Conflict, ErrNoLongerAvailable.Key)
	}
	return err
}

// decidedClient loads a client's facts and asks the policy about one
// action: hidden or missing is NotFound, a refusal Forbidden.
func (s *Service) decidedClient(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string, act access.Action) error {
	_, err := s.decidedRecord(ctx, tx, actor, clientID, act)
	return err
}

// decidedRecord is decidedClient answering the client's facts too.
func (s *Service) decidedRecord(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string, act access.Action) (access.Record, error) {
	rec, err := s.ClientFacts(ctx, tx, actor, clientID)
	if errors.Is(err, store.ErrNotFound) || errs.CodeOf(err) == errs.NotFound {
		return rec, errNotFound
	}
	if err != nil {
		return rec, err
	}
	_, err = access.Require(actor, act, ClientRecordKind, rec)
	return rec, err
}

// clientGate loads the facts of the client a record belongs to (a
// referral to a vacancy, a stay and what hangs off it) and answers as not
// found, recorded as a refusal of act, when she is restricted to named
// staff the actor is not one of: then nothing about her stay exists for
// them, even on the team that runs the property.
func (s *Service) clientGate(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string, act access.Action) (access.Record, error) {
	rec, err := s.ClientFacts(ctx, tx, actor, clientID)
	if errors.Is(err, store.ErrNotFound) || errs.CodeOf(err) == errs.NotFound {
		return rec, errNotFound
	}
	if err != nil {
		return rec, err
	}
	if access.RelationOf(actor, rec).Excluded() {
		return rec, access.Hide(actor, act, ClientRecordKind, clientID, "restricted to named staff")
	}
	return rec, nil
}

// excluded reports which of the clients are restricted to named staff the
// actor is not one of: their referrals, stays and tasks are left out of the
// refuge's lists (a bedspace they occupy still shows as occupied, with
// nothing to open).
func (s *Service) excluded(ctx context.Context, tx *store.Tx, actor access.Actor, clientIDs []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, id := range clientIDs {
		if _, done := out[id]; done || id == "" {
			continue
		}
		rec, err := s.ClientFacts(ctx, tx, actor, id)
		if err != nil {
			return nil, err
		}
		out[id] = access.RelationOf(actor, rec).Excluded()
	}
	return out, nil
}

// refuseUnlessReader answers a request the actor may not make about a
// client's record: refused when they may read the client (they know it
// exists), else not found; both recorded.
func refuseUnlessReader(actor access.Actor, act access.Action, rec access.Record, clientID, reason string) error {
	if access.Decide(actor, access.ReadRecord, rec).Allow {
		return access.Deny(actor, act, ClientRecordKind, clientID, reason)
	}
	return access.Hide(actor, act, ClientRecordKind, clientID, reason)
}

// propertyRecord is a property's facts for the policy: it belongs to its
// organisation and the team that runs it.
func propertyRecord(id, org, team string) access.Record {
	return access.Record{ID: id, OrganisationID: org, TeamIDs: []string{team}}
}

// runsProperty reports whether the actor is on the team that runs the
// property (its staff, and its managers who are members of the team) and
// the policy lets them work it: the only people who see its address and
// manage its vacancies.
func runsProperty(actor access.Actor, act access.Action, rec access.Record) bool {
	if access.RelationOf(actor, rec) != access.SameTeam {
		return false
	}
	if actor.Role != access.RoleRefugeWorker && actor.Role != access.RoleTeamManager {
		return false
	}
	return access.Decide(actor, act, rec).Allow
}

// service asks the policy about a service-wide action.
func service(actor access.Actor, act access.Action) error {
	return access.RequireService(actor, act)
}

func (s *Service) audit(ctx context.Context, tx *store.Tx, actor access.Actor, action, kind, recordID, purpose string) error {
	return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: action, RecordKind: kind, RecordID: recordID, Purpose: purpose})
}

const (
	maxNameLen = 200
	maxNoteLen = 2000
	maxAreas   = 50
)

func cleanText(v string, multiline bool) bool {
	return utf8.ValidString(v) && !strings.ContainsFunc(v, func(r rune) bool {
		return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))
	})
}

func checkText(fe *FieldErrors, field, v string, required bool, max int, multiline bool) {
	switch {
	case !cleanText(v, multiline):
		fe.Add(field, "refuge.text_invalid")
	case required && strings.TrimSpace(v) == "":
		fe.Add(field, "refuge.required")
	case utf8.RuneCountInString(v) > max:
		fe.Add(field, "refuge.too_long", max)
	}
}

// normArea folds a town or area name for comparison: lower case, single
// spaces, no surrounding space.
func normArea(v string) string {
	return strings.Join(strings.Fields(strings.ToLower(v)), " ")
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return utc(t)
}

func oneOf[T ~string](v T, allowed []T) bool { return slices.Contains(allowed, v) }

// strings scans a one-column query.
func queryStrings(ctx context.Context, tx *store.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
