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
