package audit

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdoor/internal/id"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

func TestEmptyTrailVerifies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		rep := mustVerify(t, db, 0)
		if rep.LastMAC != Genesis || rep.Checkpoint().String() != "0:"+Genesis {
			t.Fatalf("empty trail report %+v", rep)
		}
	})
}

func TestAppendVerifyAndHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		// Several events in one transaction, then more across transactions.
		appendTx(t, db, ev(0, "s1", "record.read", "rA"), ev(1, "s2", "record.update", "rA"), ev(2, "", "signin.failed", ""))
		appendTx(t, db, ev(3, "s1", "record.read", "rB"))
		appendTx(t, db, ev(4, "s2", "breakglass.open", "rA"), ev(5, "s1", "record.read", "rA"))
		rep := mustVerify(t, db, 6)
		if !rep.LastAt.Equal(t0.Add(5*time.Second).Truncate(time.Microsecond)) || !id.Valid(rep.LastID) {
			t.Fatalf("report %+v", rep)
		}
		if seq, mac := readHead(t, db); seq != 6 || mac != rep.LastMAC {
			t.Fatalf("head (%d, %s), want (6, %s)", seq, mac, rep.LastMAC)
		}

		var hist, byActor, breakglass, anyRecent []Event
		err := db.Read(ctx, func(tx *store.Tx) error {
			var err error
			if hist, err = History(ctx, tx, "rA", 0); err != nil {
				return err
			}
			if byActor, err = ByActor(ctx, tx, "s1", 2); err != nil {
				return err
			}
			if breakglass, err = Recent(ctx, tx, "breakglass.open", t0.Add(4*time.Second), 10); err != nil {
				return err
			}
			anyRecent, err = Recent(ctx, tx, "", t0.Add(3*time.Second), 0)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := seqs(hist); got != "6,5,2,1" {
			t.Fatalf("history of rA = %s, want newest first 6,5,2,1", got)
		}
		h := hist[3]
		want := ev(0, "s1", "record.read", "rA")
		if h.Action != want.Action || h.ActorID != want.ActorID || h.RecordKind != want.RecordKind || h.Purpose != want.Purpose ||
			h.RequestID != want.RequestID || !h.At.Equal(want.At.Truncate(time.Microsecond)) || h.At.Location() != time.UTC ||
			!id.Valid(h.ID) || len(h.MAC) != 64 {
			t.Fatalf("read back %+v\nwrote %+v", h, want)
		}
		if got := seqs(byActor); got != "6,4" {
			t.Fatalf("by actor s1 (limit 2) = %s, want 6,4", got)
		}
		if got := seqs(breakglass); got != "5" {
			t.Fatalf("recent break-glass = %s, want 5", got)
		}
		if got := seqs(anyRecent); got != "6,5,4" {
			t.Fatalf("recent of any action = %s, want 6,5,4", got)
		}
	})
}

func seqs(evs []Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, fmt.Sprint(e.Seq))
	}
	return strings.Join(s, ",")
}

// A transaction that fails after appending leaves no event and no gap.
func TestRolledBackAppendLeavesNoGap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		appendTx(t, db, ev(0, "s1", "record.read", "r1"))
		boom := errors.New("validation failed after the audit append")
		err := db.Write(ctx, func(tx *store.Tx) error {
			if err := Append(ctx, tx, testKey, ev(1, "s1", "record.update", "r1"), ev(2, "s1", "record.update", "r1")); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("write = %v", err)
		}
		if n := countEvents(t, db); n != 1 {
			t.Fatalf("%d events after a rolled back append, want 1", n)
		}
		appendTx(t, db, ev(3, "s1", "record.read", "r1"))
		mustVerify(t, db, 2)
	})
}

func TestAppendRefusesBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		try := func(key []byte, e Event) error {
			return db.Write(ctx, func(tx *store.Tx) error { return Append(ctx, tx, key, e) })
		}
		if err := try(testKey[:16], ev(0, "s", "record.read", "r")); !errors.Is(err, ErrKey) {
			t.Errorf("short key: %v", err)
		}
		for name, e := range map[string]Event{
			"no action":    {ActorID: "s"},
			"NUL":          {Action: "record.read", Purpose: "a\x00b"},
			"invalid utf8": {Action: "record.read", RecordID: "\xff"},
			"too long":     {Action: "record.read", Purpose: strings.Repeat("x", MaxFieldLen+1)},
			"bad id":       {Action: "record.read", ID: "1"},
		} {
			if err := try(testKey, e); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		// Zero time means now; a caller's ID is kept.
		own := id.New()
		before := time.Now().Add(-time.Second)
		appendTx(t, db, Event{ID: own, Action: "export.csv"})
		got := allEvents(t, db)
		if len(got) != 1 || got[0].ID != own || got[0].At.Before(before) || got[0].At.After(time.Now()) {
			t.Fatalf("read back %+v", got)
		}
		// Append does not change the caller's events.
		in := []Event{ev(1, "s", "record.read", "r")}
		appendTx(t, db, in...)
		if in[0].Seq != 0 || in[0].ID != "" || in[0].MAC != "" {
			t.Fatalf("Append modified its input: %+v", in[0])
		}
		// A big batch crosses the INSERT chunk size.
		var many []Event
		for i := range 2*insertChunk + 7 {
			many = append(many, ev(i, "s", "search", ""))
		}
		appendTx(t, db, many...)
		mustVerify(t, db, int64(2+len(many)))
	})
}

// The database itself refuses to change history, whoever asks.
func TestTriggersRefuseChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		seed(t, db, 5)
		before := allEvents(t, db)
		hseq, hmac := readHead(t, db)
		refused := []string{
			`UPDATE audit_events SET action = 'x'`,
			`UPDATE audit_events SET purpose = 'x' WHERE seq = 3`,
			`DELETE FROM audit_events`,
			`DELETE FROM audit_events WHERE seq = 5`,
			`UPDATE audit_head SET seq = seq + 2`,
			`UPDATE audit_head SET seq = seq - 1`,
			`UPDATE audit_head SET mac = 'x'`,
			`UPDATE audit_head SET seq = seq + 1`, // no event 6 to point at
			`DELETE FROM audit_head`,
			`INSERT INTO audit_head (id, seq, mac) VALUES (2, 0, 'x')`,
			// An insert must extend the chain: not in a gap, not at a wrong seq, not unlinked.
			fmt.Sprintf(`INSERT INTO audit_events (seq, id, at, action, prev_mac, mac) VALUES (7, '%s', $1, 'x', '%s', 'f')`, id.New(), hmac),
			fmt.Sprintf(`INSERT INTO audit_events (seq, id, at, action, prev_mac, mac) VALUES (6, '%s', $1, 'x', '%s', 'f')`, id.New(), Genesis),
		}
		if d == store.SQLite {
			refused = append(refused,
				// REPLACE would delete the event whose id it collides with.
				fmt.Sprintf(`INSERT OR REPLACE INTO audit_events (seq, id, at, action, prev_mac, mac) VALUES (6, '%s', $1, 'x', '%s', 'f')`, before[0].ID, hmac),
				`INSERT OR REPLACE INTO audit_head (id, seq, mac) VALUES (1, 0, '`+Genesis+`')`,
			)
		} else {
			refused = append(refused,
				`TRUNCATE audit_events`,
				`TRUNCATE audit_head`,
				`INSERT INTO audit_head (id, seq, mac) VALUES (1, 0, 'x') ON CONFLICT (id) DO UPDATE SET seq = 0`,
			)
		}
		for _, q := range refused {
			var err error
			if strings.Contains(q, "$1") {
				err = sqlExec(db, q, time.Now().UTC())
			} else {
				err = sqlExec(db, q)
			}
			if err == nil {
				t.Errorf("%s: allowed", q)
			}
		}
		after := allEvents(t, db)
		if len(after) != len(before) {
			t.Fatalf("%d events after refused changes, want %d", len(after), len(before))
		}
		for i := range before {
			if before[i] != after[i] {
				t.Fatalf("event %d changed: %+v -> %+v", i+1, before[i], after[i])
			}
		}
		if s, m := readHead(t, db); s != hseq || m != hmac {
			t.Fatalf("head changed: (%d, %s) -> (%d, %s)", hseq, hmac, s, m)
		}
		mustVerify(t, db, 5)
	})
}

// Appenders on one database handle: SQLite's single writer, or a
// PostgreSQL pool; either way one gap-free chain.
func TestConcurrentAppendsOneHandle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		const n = 200
		runConcurrent(t, []*store.DB{db}, n)
		mustVerify(t, db, n+n/10)
	})
}

// Several PostgreSQL nodes (separate pools on one schema) append at once;
// the head's row lock keeps one gap-free chain.
func TestConcurrentAppendsAcrossNodes(t *testing.T) {
	cfg := storetest.Config(t, store.Postgres)
	first := storetest.OpenConfig(t, cfg)
	nodes := []*store.DB{first}
	for range 2 {
		db, err := store.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		nodes = append(nodes, db)
	}
	const n = 240
	runConcurrent(t, nodes, n)
	for _, db := range nodes {
		mustVerify(t, db, n+n/10)
	}
}

// runConcurrent makes n appends from n goroutines spread over dbs; every
// tenth appends two events.
func runConcurrent(t *testing.T, dbs []*store.DB, n int) {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		db := dbs[i%len(dbs)]
		wg.Go(func() {
			evs := []Event{ev(i, fmt.Sprintf("s%d", i%7), "record.read", fmt.Sprintf("r%d", i))}
			if i%10 == 0 {
				evs = append(evs, ev(i, "", "search", ""))
			}
			errs <- db.Write(ctx, func(tx *store.Tx) error { return Append(ctx, tx, testKey, evs...) })
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("append: %v", err)
		}
	}
}

// Serializable transactions (a hold, an assessment) audit too, while
// plain writes append all the time: none may fail for the chain head. On
// PostgreSQL a serializable transaction that reads the head after another
// appender committed would be refused (40001) however often it retried
// under steady traffic, so the store takes the head's lock before its
// snapshot.
func TestSerializableAppendsAmongWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		const n = 160
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				evs := []Event{ev(i, "s1", "record.read", fmt.Sprintf("r%d", i))}
				if i%2 == 0 {
					errs <- db.Write(ctx, func(tx *store.Tx) error { return Append(ctx, tx, testKey, evs...) })
					return
				}
				errs <- db.Serializable(ctx, func(tx *store.Tx) error {
					var n int
					if err := tx.QueryRow(ctx, `SELECT count(*) FROM settings`, nil, &n); err != nil {
						return err
					}
					time.Sleep(2 * time.Millisecond) // work between the check and the audit
					return Append(ctx, tx, testKey, evs...)
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("append: %v", err)
			}
		}
		mustVerify(t, db, n)
	})
}
