package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

func TestBatcherGroupsConcurrentRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		b := NewBatcher(db, testKey, BatcherOptions{})
		defer b.Close()
		const n = 500
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { errs[i] = b.Record(ctx, ev(i, fmt.Sprintf("s%d", i%5), "record.read", fmt.Sprintf("r%d", i))) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
		}
		st := b.Stats()
		t.Logf("%d records in %d transactions", n, st.Batches)
		if st.Requests != n || st.Events != n || st.Failed != 0 {
			t.Fatalf("stats %+v", st)
		}
		if st.Batches > n/5 {
			t.Fatalf("%d transactions for %d concurrent records: not grouped", st.Batches, n)
		}
		mustVerify(t, db, n)
		// Every record's event is there, once.
		seen := map[string]bool{}
		for _, e := range allEvents(t, db) {
			if seen[e.RecordID] {
				t.Fatalf("record %s audited twice", e.RecordID)
			}
			seen[e.RecordID] = true
		}
		if len(seen) != n {
			t.Fatalf("%d records audited, want %d", len(seen), n)
		}
	})
}

func TestBatcherIdleRecordGoesAtOnce(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	b := NewBatcher(db, testKey, BatcherOptions{MaxDelay: time.Hour})
	defer b.Close()
	start := time.Now()
	for i := range 3 {
		if err := b.Record(ctx, ev(i, "s", "record.read", "r")); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("three idle records took %v: the batcher waited for company", el)
	}
	if st := b.Stats(); st.Batches != 3 {
		t.Fatalf("stats %+v, want one transaction per sequential record", st)
	}
	mustVerify(t, db, 3)
}

func TestBatcherCloseAndErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		b := NewBatcher(db, testKey, BatcherOptions{MaxBatch: 4})
		// Several events in one call commit together, even past MaxBatch.
		var evs []Event
		for i := range 6 {
			evs = append(evs, ev(i, "s", "export.row", "r"))
		}
		if err := b.Record(ctx, evs...); err != nil {
			t.Fatal(err)
		}
		// An invalid event fails its own call only.
		if err := b.Record(ctx, Event{ActorID: "s"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("record without an action: %v", err)
		}
		// A context that has ended: ctx.Err(), and nothing recorded.
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := b.Record(cancelled, ev(7, "s", "record.read", "gone")); !errors.Is(err, context.Canceled) {
			t.Fatalf("record with a cancelled context: %v", err)
		}
		// Close flushes what was handed over; Record after Close fails.
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				if err := b.Record(ctx, ev(10+i, "s", "record.read", "late")); err != nil && !errors.Is(err, ErrClosed) {
					t.Errorf("record during close: %v", err)
				}
			})
		}
		time.Sleep(time.Millisecond)
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if err := b.Record(ctx, ev(99, "s", "record.read", "r")); !errors.Is(err, ErrClosed) {
			t.Fatalf("record after close: %v", err)
		}
		b.Close() // twice is fine
		st := b.Stats()
		if n := countEvents(t, db); n != st.Events || n < 6 || st.Failed != 0 {
			t.Fatalf("%d events, stats %+v", n, st)
		}
		for _, e := range allEvents(t, db) {
			if e.RecordID == "gone" {
				t.Fatal("a record whose context had ended was committed")
			}
		}
		mustVerify(t, db, countEvents(t, db))
	})
}

// A caller whose context ends while its batch is committing gets ctx.Err()
// at once, yet its event may still be committed: Record's error means "not
// known to be recorded", not "not recorded".
func TestBatcherContextEndsDuringCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		b := NewBatcher(db, testKey, BatcherOptions{})
		defer b.Close()
		// Another transaction holds the chain (SQLite: the writer; PostgreSQL:
		// the head's row lock) until we let it go.
		holding, release := make(chan struct{}), make(chan struct{})
		held := make(chan error, 1)
		go func() {
			held <- db.Write(ctx, func(tx *store.Tx) error {
				if err := Append(ctx, tx, testKey, ev(0, "s", "record.update", "r")); err != nil {
					return err
				}
				close(holding)
				<-release
				return nil
			})
		}()
		<-holding
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := b.Record(short, ev(1, "s", "record.read", "waited"))
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Fatalf("record while the chain is held: %v after %v", err, time.Since(start))
		}
		close(release)
		if err := <-held; err != nil {
			t.Fatal(err)
		}
		b.Close()
		var found bool
		for _, e := range allEvents(t, db) {
			found = found || e.RecordID == "waited"
		}
		if !found {
			t.Fatal("the batch under way when the context ended was expected to commit")
		}
		mustVerify(t, db, 2)
	})
}

// One request that the database refuses (here a caller's event ID that is
// already taken) fails alone; the others in its batch still commit.
func TestBatcherIsolatesABadRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		appendTx(t, db, ev(0, "s", "record.read", "first"))
		taken := allEvents(t, db)[0].ID
		b := NewBatcher(db, testKey, BatcherOptions{})
		defer b.Close()
		holding, release := make(chan struct{}), make(chan struct{})
		held := make(chan error, 1)
		go func() {
			held <- db.Write(ctx, func(tx *store.Tx) error {
				if err := Append(ctx, tx, testKey, ev(1, "s", "record.update", "r")); err != nil {
					return err
				}
				close(holding)
				<-release
				return nil
			})
		}()
		<-holding
		recs := []Event{ev(2, "s", "record.read", "a"), ev(3, "s", "record.read", "b"), {ID: taken, Action: "record.read", RecordID: "dup"}, ev(5, "s", "record.read", "c")}
		errs := make([]error, len(recs))
		var wg sync.WaitGroup
		wg.Go(func() { errs[0] = b.Record(ctx, recs[0]) }) // its batch waits for the chain
		for len(b.reqs) > 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		for i := 1; i < len(recs); i++ {
			wg.Go(func() { errs[i] = b.Record(ctx, recs[i]) })
		}
		for len(b.reqs) < len(recs)-1 {
			time.Sleep(time.Millisecond)
		}
		close(release)
		wg.Wait()
		if err := <-held; err != nil {
			t.Fatal(err)
		}
		for i, err := range errs {
			if (err != nil) != (i == 2) {
				t.Errorf("record %d: %v", i, err)
			}
		}
		mustVerify(t, db, 5)
		if st := b.Stats(); st.Failed != 1 || st.Events != 3 {
			t.Fatalf("stats %+v", st)
		}
	})
}
