package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"frontdoor/internal/store"
)

var (
	ctx      = context.Background()
	testKey  = bytes.Repeat([]byte{0x5a}, 32)
	wrongKey = bytes.Repeat([]byte{0xa5}, 32)
	t0       = time.Date(2026, 3, 29, 0, 59, 59, 123456789, time.UTC)
)

// ev makes a test event about record rec at t0 + i seconds.
func ev(i int, actor, action, rec string) Event {
	return Event{
		At: t0.Add(time.Duration(i) * time.Second), ActorID: actor, Action: action,
		RecordKind: "survivor", RecordID: rec, Purpose: fmt.Sprintf("sealed:purpose-%d", i), RequestID: fmt.Sprintf("req-%d", i),
	}
}

// appendTx appends events in one transaction of their own.
func appendTx(t testing.TB, db *store.DB, events ...Event) {
	t.Helper()
	if err := db.Write(ctx, func(tx *store.Tx) error { return Append(ctx, tx, testKey, events...) }); err != nil {
		t.Fatalf("append: %v", err)
	}
}

// seed appends n events, some several to a transaction, about records r0..r2.
func seed(t testing.TB, db *store.DB, n int) {
	t.Helper()
	for i := 0; i < n; {
		k := min(1+i%3, n-i) // 1, 2, 3 events per transaction
		var evs []Event
		for j := range k {
			evs = append(evs, ev(i+j, fmt.Sprintf("staff-%d", (i+j)%2), "record.read", fmt.Sprintf("r%d", (i+j)%3)))
		}
		appendTx(t, db, evs...)
		i += k
	}
}

func sqlExec(db *store.DB, q string, args ...any) error {
	return db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, q, args...)
		return err
	})
}

func mustExec(t testing.TB, db *store.DB, q string, args ...any) {
	t.Helper()
	if err := sqlExec(db, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func countEvents(t testing.TB, db *store.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM audit_events`, nil, &n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// allEvents reads the whole trail in seq order.
func allEvents(t testing.TB, db *store.DB) []Event {
	t.Helper()
	var out []Event
	if err := db.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = collect(ctx, tx, `SELECT `+eventColumns+` FROM audit_events ORDER BY seq`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func readHead(t testing.TB, db *store.DB) (int64, string) {
	t.Helper()
	var seq int64
	var mac string
	if err := db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT seq, mac FROM audit_head WHERE id = 1`, nil, &seq, &mac)
	}); err != nil {
		t.Fatal(err)
	}
	return seq, mac
}

// mustVerify verifies and checks the chain holds n events numbered 1..n.
func mustVerify(t testing.TB, db *store.DB, n int64) Report {
	t.Helper()
	rep, err := Verify(ctx, db, testKey)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if rep.Events != n || rep.LastSeq != n {
		t.Fatalf("verify report %+v, want %d events", rep, n)
	}
	for i, e := range allEvents(t, db) {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: seqs are not 1..%d", i, e.Seq, n)
		}
	}
	return rep
}

// wantBroken checks that Verify fails at seq with reason.
func wantBroken(t testing.TB, db *store.DB, seq int64, eventID string, reason Reason) {
	t.Helper()
	_, err := Verify(ctx, db, testKey)
	var be *BrokenError
	if !errors.As(err, &be) {
		t.Fatalf("verify = %v, want a broken chain at event %d (%s)", err, seq, reason)
	}
	if be.Seq != seq || be.Reason != reason || be.EventID != eventID {
		t.Fatalf("verify = %v\nwant event %d (id %q): %s", err, seq, eventID, reason)
	}
	t.Logf("%v", err)
}

// dropTriggers plays an attacker with full database access, who can take
// the append-only triggers away (but has not got the MAC key).
func dropTriggers(t testing.TB, db *store.DB) {
	t.Helper()
	err := db.Write(ctx, func(tx *store.Tx) error {
		var q string
		if tx.Dialect() == store.SQLite {
			q = `SELECT 'DROP TRIGGER ' || name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('audit_events', 'audit_head')`
		} else {
			q = `SELECT 'DROP TRIGGER ' || tgname || ' ON ' || tgrelid::regclass::text FROM pg_trigger
			     WHERE NOT tgisinternal AND tgrelid IN ('audit_events'::regclass, 'audit_head'::regclass)`
		}
		rows, err := tx.Query(ctx, q)
		if err != nil {
			return err
		}
		var drops []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return err
			}
			drops = append(drops, s)
		}
		rows.Close()
		if len(drops) < 5 {
			return fmt.Errorf("found only %d audit triggers: %v", len(drops), drops)
		}
		for _, d := range drops {
			if _, err := tx.Exec(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("drop triggers: %v", err)
	}
}
