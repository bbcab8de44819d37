// Package ratelimit counts requests per bucket in fixed windows kept in
// the database, so every node of a deployment sees the same counts (nothing
// shared between nodes lives in process memory). Buckets are opaque: the
// caller passes a keyed hash of an address, or an API token's ID, never
// anything personal in clear.
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
