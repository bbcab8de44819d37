// Package audit is frontdoor's one audit trail: every read, search, export
// and change of personal data appends an Event (actor, action, record,
// purpose, time) in the same transaction as the work it records.
//
// Events form a chain. Event n carries seq n (1, 2, 3, ... with no gaps),
// the previous event's MAC, and its own MAC: HMAC-SHA256 under a key the
// database does not hold, over the previous MAC and a length-prefixed
// encoding of its fields. Someone with database access but not the key can
// neither edit an event nor forge a new one without Verify noticing, and
// removing or reordering events breaks the seq run or the links.
//
// The database adds its own guard (migration 0003_audit): triggers refuse
// UPDATE, DELETE and TRUNCATE of audit_events, accept an INSERT only when it
// extends the chain, and let the one-row chain head (audit_head) only
// advance by exactly one onto the event just appended.
//
// Appenders serialise on the chain head: SQLite's single writer does it for
// free; on PostgreSQL Append takes the head row's lock (SELECT ... FOR
// UPDATE), held until the caller's transaction ends, so every node appends
// to the same chain. Call Append as late as possible in a transaction.
// Audited reads that have no transaction of their own go through a Batcher,
// which commits the events of many requests in one transaction.
package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// Genesis is the prev_mac of event 1 and the head's mac before any event:
// a fixed value, so the chain's start cannot be moved.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// MinKeyLen is the shortest MAC key accepted: HMAC-SHA256 wants 32 bytes
// of key material.
const MinKeyLen = 32

// MaxFieldLen bounds each text field of an event, so one caller cannot
// bloat the trail (an encrypted purpose of a few hundred words fits).
const MaxFieldLen = 16 << 10

// insertChunk is how many events one INSERT statement carries: eleven
// parameters each, well under both engines' parameter limits.
const insertChunk = 100

// Event is one audit record. Callers fill At (zero means now), ActorID,
// Action, the record and the purpose; Seq, ID and MAC are set by the
// trail and filled when events are read back.
type Event struct {
	Seq        int64     // position in the chain, from 1; set by Append
	ID         string    // UUIDv7; Append makes one when empty
	At         time.Time // when it happened; stored in UTC to the microsecond
	ActorID    string    // staff ID; empty for the system or an anonymous caller
	Action     string    // what was done, e.g. "record.read", "signin.failed", "breakglass.open"
	RecordKind string    // e.g. "survivor"; empty when no record is involved
	RecordID   string    // the record's ID
	Purpose    string    // purpose or reason; pass encrypted text when it may hold personal data
	RequestID  string    // the HTTP request (or job) that did it, to join with logs
	MAC        string    // hex HMAC-SHA256 over the previous MAC and the fields above

	prev string // the previous event's MAC, as stored
}

// Errors from Append and Batcher.Record.
var (
	ErrKey     = fmt.Errorf("audit: the MAC key must be at least %d bytes", MinKeyLen)
	ErrInvalid = errors.New("audit: invalid event")
)

// Validate reports whether e can be appended: an action, fields of
// bounded length holding valid UTF-8 without NUL bytes (PostgreSQL refuses
// those, SQLite would keep them: both engines must agree), a time within
// years 1-9999 and an ID of the kind package id makes.
func (e *Event) Validate() error {
	if e.Action == "" {
		return fmt.Errorf("%w: no action", ErrInvalid)
	}
	if e.ID != "" && !id.Valid(e.ID) {
		return fmt.Errorf("%w: id %q is not a UUID", ErrInvalid, e.ID)
	}
	if !e.At.IsZero() && (e.At.UTC().Year() < 1 || e.At.UTC().Year() > 9999) {
		return fmt.Errorf("%w: time out of range", ErrInvalid)
	}
	for _, f := range []struct{ name, v string }{
		{"actor", e.ActorID}, {"action", e.Action}, {"record kind", e.RecordKind},
		{"record id", e.RecordID}, {"purpose", e.Purpose}, {"request id", e.RequestID},
	} {
		if len(f.v) > MaxFieldLen {
			return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalid, f.name, MaxFieldLen)
		}
		if !utf8.ValidString(f.v) || strings.IndexByte(f.v, 0) >= 0 {
			return fmt.Errorf("%w: %s is not valid text", ErrInvalid, f.name)
		}
	}
	return nil
}

// normalise sets the fields Append owns: time in UTC to the microsecond
// (PostgreSQL keeps no more, and the MAC must survive the round trip).
func normalise(e *Event, now time.Time) {
	if e.At.IsZero() {
		e.At = now
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	if e.ID == "" {
		e.ID = id.New()
	}
}

// Append adds events to the chain inside the caller's transaction tx, so
// they commit or roll back with the work they record. It takes the chain
// head (on PostgreSQL its row lock, held until tx ends), gives the events
// the next seqs, computes their MACs under key and inserts them; the
// database's triggers move the head along. The events passed in are not
// modified. A transaction that rolls back leaves no event and no gap.
func Append(ctx context.Context, tx *store.Tx, key []byte, events ...Event) error {
	if len(key) < MinKeyLen {
		return ErrKey
	}
	if len(events) == 0 {
		return nil
	}
	evs := make([]Event, len(events))
	now := time.Now()
	for i, e := range events {
		if err := e.Validate(); err != nil {
			return err
		}
		normalise(&e, now)
		evs[i] = e
	}
	q := `SELECT seq, mac FROM audit_head WHERE id = 1`
	if tx.Dialect() == store.Postgres {
		q += ` FOR UPDATE`
	}
	var seq int64
	var prev string
	if err := tx.QueryRow(ctx, q, nil, &seq, &prev); err != nil {
		return fmt.Errorf("audit: read the chain head: %w", err)
	}
	m := newMAC(key)
	for i := range evs {
		seq++
		evs[i].Seq = seq
		evs[i].prev = prev
		evs[i].MAC = m.sum(prev, &evs[i])
		prev = evs[i].MAC
	}
	for start := 0; start < len(evs); start += insertChunk {
		end := min(start+insertChunk, len(evs))
		var sb strings.Builder
		sb.WriteString(`INSERT INTO audit_events (seq, id, at, actor_id, action, record_kind, record_id, purpose, request_id, prev_mac, mac) VALUES `)
		args := make([]any, 0, (end-start)*11)
		for i := start; i < end; i++ {
			if i > start {
				sb.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
				n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11)
			e := &evs[i]
			args = append(args, e.Seq, e.ID, e.At, e.ActorID, e.Action, e.RecordKind, e.RecordID, e.Purpose, e.RequestID, e.prev, e.MAC)
		}
		if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("audit: append: %w", err)
		}
	}
	return nil
}

// mac computes event MACs, reusing one HMAC state.
type mac struct {
	h   hash.Hash
	buf []byte
}

func newMAC(key []byte) *mac { return &mac{h: hmac.New(sha256.New, key)} }

// domain separates these MACs from any other use of the key.
const domain = "frontdoor audit event v1"

// sum returns the hex MAC of e linked to prev: HMAC-SHA256(key, fields),
// each field a big-endian uint64 length then its bytes, in this order:
// domain, prev MAC, seq (decimal), id, at (UTC, RFC 3339 with nanoseconds),
// actor, action, record kind, record id, purpose, request id.
func (m *mac) sum(prev string, e *Event) string {
	return m.sumAt(prev, e.Seq, e)
}

// sumAt is sum with the seq given, for Verify's look at where a moved event
// came from.
func (m *mac) sumAt(prev string, seq int64, e *Event) string {
	b := m.buf[:0]
	put := func(s string) {
		b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	put(domain)
	put(prev)
	put(strconv.FormatInt(seq, 10))
	put(e.ID)
	put(e.At.UTC().Format(time.RFC3339Nano))
	put(e.ActorID)
	put(e.Action)
	put(e.RecordKind)
	put(e.RecordID)
	put(e.Purpose)
	put(e.RequestID)
	m.buf = b
	m.h.Reset()
	m.h.Write(b)
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.h.Sum(sum[:0]))
}
