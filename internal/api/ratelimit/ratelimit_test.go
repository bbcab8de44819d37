package ratelimit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"frontdoor/internal/api/ratelimit"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// Recent and Add count what a transaction does, inside it: a hit counts
// only if its transaction commits, slots come newest first, and a slot
// older than the span (and the one the span starts in) is kept only as
// long as it may still count.
func TestRecentAndAddCountInTheCallersTransaction(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		t0 := time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC)
		add := func(at time.Time, commit bool) {
			t.Helper()
			rollback := errors.New("rolled back")
			err := db.Write(ctx, func(tx *store.Tx) error {
				if err := ratelimit.Add(ctx, tx, "b", time.Minute, time.Hour, at); err != nil {
					return err
				}
				if !commit {
					return rollback
				}
				return nil
			})
			if err != nil && (commit || !errors.Is(err, rollback)) {
				t.Fatal(err)
			}
		}
		recent := func(now time.Time) []ratelimit.Slot {
			t.Helper()
			var out []ratelimit.Slot
			if err := db.Read(ctx, func(tx *store.Tx) error {
				var err error
				out, err = ratelimit.Recent(ctx, tx, "b", time.Minute, time.Hour, now)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return out
		}
		add(t0, true)
		add(t0.Add(10*time.Second), true)
		add(t0.Add(20*time.Second), false)
		add(t0.Add(2*time.Minute), true)
		got := recent(t0.Add(3 * time.Minute))
		if len(got) != 2 || got[0].Hits != 1 || !got[0].Start.Equal(t0.Add(90*time.Second)) || got[1].Hits != 2 || !got[1].Start.Equal(t0.Add(-30*time.Second)) {
			t.Fatalf("slots %+v", got)
		}
		// An hour and a minute after its minute began, a slot no longer counts.
		if got := recent(t0.Add(-30*time.Second + time.Hour + time.Minute)); len(got) != 1 {
			t.Fatalf("slots after the hour %+v", got)
		}
		// A new slot forgets the bucket's slots past keeping.
		add(t0.Add(3*time.Hour), true)
		var n int
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM rate_limits WHERE bucket = 'b'`, nil, &n)
		}); err != nil || n != 1 {
			t.Fatalf("%d slots kept (%v)", n, err)
		}
	})
}
