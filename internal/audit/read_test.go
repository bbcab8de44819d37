package audit

import (
	"context"
	"errors"
	"testing"
	"time"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// TestReadRecordsBeforeReturning: an audited read returns only once its
// events are in the trail, whether they go by group commit after a
// read-only transaction or in a write transaction with the read; a read
// that fails records nothing, and a log that fails fails the read.
func TestReadRecordsBeforeReturning(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		seed(t, db, 2) // a table row to read
		b := NewBatcher(db, testKey, BatcherOptions{})
		defer b.Close()
		rec := NewRecorder(testKey, func() time.Time { return t0 }, nil)
		log := NewReadLog(b, func(context.Context) string { return "req-read" })
		read := func(tx *store.Tx) ([]Event, error) {
			var n int64
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM audit_events`, nil, &n); err != nil {
				return nil, err
			}
			return []Event{{ActorID: "s1", Action: "record.read", RecordKind: "client", RecordID: "c1", Purpose: "assigned"}}, nil
		}
		for _, tc := range []struct {
			name string
			log  ReadLog
		}{{"by group commit", log}, {"in a write transaction", nil}} {
			before := countEvents(t, db)
			if err := Read(ctx, db, rec, tc.log, read); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			evs := allEvents(t, db)
			if int64(len(evs)) != before+1 || evs[len(evs)-1].Action != "record.read" || evs[len(evs)-1].RecordID != "c1" {
				t.Fatalf("%s: trail after the read has %d events (was %d), last %+v", tc.name, len(evs), before, evs[len(evs)-1])
			}
			if tc.log != nil && evs[len(evs)-1].RequestID != "req-read" {
				t.Fatalf("%s: request ID %q, want the request's", tc.name, evs[len(evs)-1].RequestID)
			}

			boom := errors.New("the read failed")
			if err := Read(ctx, db, rec, tc.log, func(tx *store.Tx) ([]Event, error) { return nil, boom }); !errors.Is(err, boom) {
				t.Fatalf("%s: a failed read returned %v", tc.name, err)
			}
			if n := countEvents(t, db); n != before+1 {
				t.Fatalf("%s: a failed read recorded %d events", tc.name, n-before-1)
			}
		}
		mustVerify(t, db, countEvents(t, db))

		// The log cannot record (closed batcher): the read fails.
		b.Close()
		if err := Read(ctx, db, rec, log, read); !errors.Is(err, ErrClosed) {
			t.Fatalf("read with a closed log returned %v, want ErrClosed", err)
		}
	})
}

// TestDeferredReadsRecordTogether: the reads of one page held by Defer are
// not in the trail until FlushDeferred, which records them all at once;
// reads recorded in write transactions are not held.
func TestDeferredReadsRecordTogether(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		b := NewBatcher(db, testKey, BatcherOptions{})
		defer b.Close()
		rec := NewRecorder(testKey, func() time.Time { return t0 }, nil)
		log := NewReadLog(b, nil)
		read := func(id string) func(tx *store.Tx) ([]Event, error) {
			return func(tx *store.Tx) ([]Event, error) {
				return []Event{{ActorID: "s1", Action: "record.read", RecordKind: "client", RecordID: id, Purpose: "assigned"}}, nil
			}
		}
		page := Defer(ctx)
		for _, id := range []string{"c1", "c2", "c3"} {
			if err := Read(page, db, rec, log, read(id)); err != nil {
				t.Fatal(err)
			}
		}
		if n := countEvents(t, db); n != 0 {
			t.Fatalf("%d events recorded before the flush", n)
		}
		// Without a log the read is recorded with it, deferral or not.
		if err := Read(page, db, rec, nil, read("c4")); err != nil {
			t.Fatal(err)
		}
		if n := countEvents(t, db); n != 1 {
			t.Fatalf("%d events after a read without a log, want 1", n)
		}
		batches := b.Stats().Batches
		if err := FlushDeferred(page); err != nil {
			t.Fatal(err)
		}
		if n := countEvents(t, db); n != 4 {
			t.Fatalf("%d events after the flush, want 4", n)
		}
		if got := b.Stats().Batches - batches; got != 1 {
			t.Fatalf("the flush took %d commits, want 1", got)
		}
		if err := FlushDeferred(page); err != nil || countEvents(t, db) != 4 {
			t.Fatalf("a second flush: %v, %d events", err, countEvents(t, db))
		}
		if err := FlushDeferred(ctx); err != nil {
			t.Fatalf("flush with nothing deferred: %v", err)
		}
		mustVerify(t, db, 4)
	})
}
