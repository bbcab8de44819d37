package auth

import (
	"context"
	"time"

	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// Sign-in throttling: attempts are rows in the database, so every node sees
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
	keys := []string{"account:" + s.Vault.BlindIndex("throttle.account", NormaliseUsername(username))}
	if source != "" {
		keys = append(keys, "source:"+s.Vault.BlindIndex("throttle.source", source))
	}
	return keys
}

// attempt is a sign-in attempt written before its secret is checked.
type attempt struct {
	id   string
	keys []string
}

// reserve counts the recent attempts against every key and, if none is
// over its limit, writes this attempt against each, in one serialisable
// transaction: parallel attempts cannot all pass a count taken before any
// of them was written (the engine retries the losers, who then see the
// winners). Over the limit, nothing is written and the answer is the
// throttle error, the same for accounts that do not exist.
func (s *Service) reserve(ctx context.Context, keys []string) (*attempt, error) {
	a := &attempt{id: id.New(), keys: keys}
	now := s.now()
	err := s.DB.Serializable(ctx, func(tx *store.Tx) error {
		since := now.Add(-throttleWindow)
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
		for _, k := range keys {
			if _, err := tx.Exec(ctx, `INSERT INTO signin_failures (attempt_id, throttle_key, at) VALUES ($1, $2, $3)`, a.id, k, now); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `DELETE FROM signin_failures WHERE at < $1`, now.Add(-24*time.Hour))
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// succeeded forgets the attempt in tx: it was not a failure.
func (a *attempt) succeeded(ctx context.Context, tx *store.Tx) error {
	_, err := tx.Exec(ctx, `DELETE FROM signin_failures WHERE attempt_id = $1`, a.id)
	return err
}

// release forgets the attempt in a transaction of its own.
func (s *Service) release(ctx context.Context, a *attempt) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error { return a.succeeded(ctx, tx) })
}

// failed records a failed attempt in the audit trail; its throttle rows
// stay.
func (s *Service) failed(ctx context.Context, e audit.Event) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error { return s.audit(ctx, tx, e) })
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
