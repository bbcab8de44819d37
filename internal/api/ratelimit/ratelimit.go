// Package ratelimit counts requests per bucket in fixed windows kept in
// the database, so every node of a deployment sees the same counts (nothing
// shared between nodes lives in process memory). Buckets are opaque: the
// caller passes a keyed hash of an address, an API token's ID or a member
// of staff's ID, never anything personal in clear. Limiter counts requests
// in a transaction of its own; Recent and Add count what another
// transaction does, inside it (the refuge service's holds per hour).
package ratelimit

import (
	"context"
	"time"

	"frontdoor/internal/store"
)

// Limiter counts hits in the rate_limits table.
type Limiter struct {
	DB  *store.DB
	Now func() time.Time
}

// Allow counts one hit against bucket in the current window and reports
// whether it is within limit, and if not, how long until the window ends.
// The count is one atomic upsert, so parallel requests on any node cannot
// all slip under the limit.
func (l *Limiter) Allow(ctx context.Context, bucket string, limit int, window time.Duration) (bool, time.Duration, error) {
	if window < time.Second {
		window = time.Second
	}
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	w := int64(window / time.Second)
	start := now.Unix() / w * w
	var hits int
	err := l.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1)
			ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits`,
			[]any{bucket, start}, &hits); err != nil {
			return err
		}
		if hits == 1 {
			// A new window: forget windows that ended a day or more ago.
			_, err := tx.Exec(ctx, `DELETE FROM rate_limits WHERE window_start < $1`, start-w-86400)
			return err
		}
		return nil
	})
	if err != nil {
		return false, 0, err
	}
	if hits > limit {
		return false, time.Unix(start+w, 0).Sub(now), nil
	}
	return true, 0, nil
}

// Slot is one fixed window of a bucket and the hits counted in it.
type Slot struct {
	Start time.Time
	Hits  int
}

// Recent reads, inside the caller's transaction, the slots of bucket (each
// slot wide) that overlap the span before now, newest first. With Add in
// the same transaction it limits what that transaction does: a hit counts
// only if the transaction commits, and a serializable transaction sees
// every hit committed before it. The oldest slot may hold hits up to one
// slot older than span, so a limit checked this way errs on the safe side.
func Recent(ctx context.Context, tx *store.Tx, bucket string, slot, span time.Duration, now time.Time) ([]Slot, error) {
	w := slotSeconds(slot)
	from := now.Add(-span).Unix() / w * w
	rows, err := tx.Query(ctx, `SELECT window_start, hits FROM rate_limits WHERE bucket = $1 AND window_start >= $2 ORDER BY window_start DESC`, bucket, from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Slot
	for rows.Next() {
		var start int64
		var s Slot
		if err := rows.Scan(&start, &s.Hits); err != nil {
			return nil, err
		}
		s.Start = time.Unix(start, 0).UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

// Add counts one hit against bucket in now's slot, inside the caller's
// transaction; opening a new slot forgets the bucket's slots older than
// keep.
func Add(ctx context.Context, tx *store.Tx, bucket string, slot, keep time.Duration, now time.Time) error {
	w := slotSeconds(slot)
	start := now.Unix() / w * w
	var hits int
	if err := tx.QueryRow(ctx, `INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1)
		ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits`,
		[]any{bucket, start}, &hits); err != nil {
		return err
	}
	if hits == 1 {
		_, err := tx.Exec(ctx, `DELETE FROM rate_limits WHERE bucket = $1 AND window_start < $2`, bucket, now.Add(-keep-slot).Unix())
		return err
	}
	return nil
}

func slotSeconds(slot time.Duration) int64 {
	return max(int64(slot/time.Second), 1)
}
