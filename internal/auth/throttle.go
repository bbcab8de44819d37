package auth

import (
	"context"
	"frontdoor/internal/audit"
	"time"

	"frontdoor/internal/errs"
	"frontdoor/internal/store"
)

// Sign-in throttling: failures are rows in the database, so every node sees
// the same count. An account (by the username typed, known or not) allows
// 5 failures in 15 minutes; a source address 30 (many staff share an
// office's address).
const (
	throttleWindow = 15 * time.Minute
	accountLimit   = 5
	sourceLimit    = 30
)

var errThrottled = errs.New(errs.Unauthenticated, "signin.throttled", int(throttleWindow/time.Minute))

// throttleKeys are keyed hashes: the table never holds a username or an
// address. The account key comes first.
func (s *Service) throttleKeys(username, source string) []string {
	keys := []string{"account:" + s.Vault.BlindIndex("throttle.account", username)}
	if source != "" {
		keys = append(keys, "source:"+s.Vault.BlindIndex("throttle.source", source))
	}
	return keys
}

func (s *Service) checkThrottle(ctx context.Context, keys []string) error {
	since := s.now().Add(-throttleWindow)
	return s.DB.Read(ctx, func(tx *store.Tx) error {
		for i, k := range keys {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM signin_failures WHERE throttle_key = $1 AND at > $2`, []any{k, since}, &n); err != nil {
				return err
			}
			limit := accountLimit
			if i > 0 {
				limit = sourceLimit
			}
			if n >= limit {
				return errThrottled
			}
		}
		return nil
	})
}

// recordFailure counts a failed attempt against every key and audits it,
// in one transaction; rows older than a day are swept on the way.
func (s *Service) recordFailure(ctx context.Context, keys []string, e audit.Event) error {
	now := s.now()
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		for _, k := range keys {
			if _, err := tx.Exec(ctx, `INSERT INTO signin_failures (throttle_key, at) VALUES ($1, $2)`, k, now); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM signin_failures WHERE at < $1`, now.Add(-24*time.Hour)); err != nil {
			return err
		}
		return s.audit(ctx, tx, e)
	})
}

// clearFailures forgets an account's failures after a full sign-in.
func (s *Service) clearFailures(ctx context.Context, tx *store.Tx, keys []string) error {
	for _, k := range keys {
		if _, err := tx.Exec(ctx, `DELETE FROM signin_failures WHERE throttle_key = $1`, k); err != nil {
			return err
		}
	}
	return nil
}
