package auth

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/store"
)

// Ended is what ending every sign-in of the instance ended.
type Ended struct {
	Sessions   int // open sessions, full or part-way through sign-in
	Links      int // unused one-time links (setup, first administrator)
	Ceremonies int // passkey challenges waiting for an answer
}

func (e Ended) String() string {
	return fmt.Sprintf("ended %s, voided %s and dropped %s",
		plural(e.Sessions, "session", "sessions"), plural(e.Links, "one-time link", "one-time links"),
		plural(e.Ceremonies, "passkey challenge", "passkey challenges"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Ended-reason of a session ended this way.
const (
	endedRestored = "restored"
	endedAll      = "ended_all"
)

// endEverySignIn ends every open session (each half-finished sign-in
// too), drops every passkey challenge and voids every unused one-time
// link, in tx. API tokens are kept: they are partner systems' long-lived
// credentials, each revocable on its own, and ending them all would stop
// referrals arriving.
func endEverySignIn(ctx context.Context, tx *store.Tx, reason string, now time.Time) (Ended, error) {
	var e Ended
	res, err := tx.Exec(ctx, `DELETE FROM webauthn_ceremonies`)
	if err != nil {
		return e, err
	}
	n, _ := res.RowsAffected()
	e.Ceremonies = int(n)
	if res, err = tx.Exec(ctx, `UPDATE sessions SET ended_at = $1, ended_reason = $2 WHERE ended_at IS NULL`, now, reason); err != nil {
		return e, err
	}
	n, _ = res.RowsAffected()
	e.Sessions = int(n)
	if res, err = tx.Exec(ctx, `UPDATE one_time_links SET used_at = $1 WHERE used_at IS NULL`, now); err != nil {
		return e, err
	}
	n, _ = res.RowsAffected()
	e.Links = int(n)
	return e, nil
}

// ActionRestore is the audit event of a restored backup: its purpose
// names the backup's SHA-256 digest and what the restore ended.
const ActionRestore = "backup.restore"

// ActionEndAll is the audit event of ending every sign-in for a reason
// (kept sealed) other than a restore.
const ActionEndAll = "sessions.end_all"

func restoreEvent(digest string, e Ended, at time.Time) audit.Event {
	return audit.Event{At: at, Action: ActionRestore, RecordKind: "backup", RecordID: "sha256:" + digest,
		Purpose: "restored from backup sha256:" + digest + "; " + e.String()}
}

// ValidDigest reports whether d is a SHA-256 digest in lower-case hex.
func ValidDigest(d string) bool {
	b, err := hex.DecodeString(d)
	return err == nil && len(b) == 32 && d == strings.ToLower(d)
}

// EndAll ends every sign-in of the instance (EndEverySignIn's list) for
// reason, in one transaction with its audit event; the reason is sealed
// like an administrator's. For after a suspected leak of sessions or
// links, or a restore made with other tools (pg_restore): there use
// EndAllRestored, which names the backup.
func (s *Service) EndAll(ctx context.Context, actorID, reason string) (Ended, error) {
	if err := access.ValidateReason(reason); err != nil {
		return Ended{}, err
	}
	var e Ended
	now := s.now()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		if e, err = endEverySignIn(ctx, tx, endedAll, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.Event{ActorID: actorID, Action: ActionEndAll, RecordKind: "instance", Purpose: s.sealReason(reason, "")})
	})
	return e, err
}

// EndAllRestored ends every sign-in of a database restored from the
// backup whose SHA-256 is digest, in one transaction with the
// backup.restore audit event naming it.
func (s *Service) EndAllRestored(ctx context.Context, actorID, digest string) (Ended, error) {
	if !ValidDigest(digest) {
		return Ended{}, fmt.Errorf("%q is not a SHA-256 digest in hex", digest)
	}
	var e Ended
	now := s.now()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		if e, err = endEverySignIn(ctx, tx, endedRestored, now); err != nil {
			return err
		}
		ev := restoreEvent(digest, e, now)
		ev.ActorID = actorID
		return s.audit(ctx, tx, ev)
	})
	return e, err
}

// unauditedRestore is a settings row per restore whose audit event is
// still to be appended: restore runs without the master key, which the
// audit trail needs.
const unauditedRestore = "restore.unaudited."

type pendingRestore struct {
	At    time.Time `json:"at"`
	Ended Ended     `json:"ended"`
}

// EndForRestore ends every sign-in of a database just restored from the
// backup whose SHA-256 is digest, and notes the restore for AuditRestores,
// in one transaction. It needs no key, so that a cookie or link from
// before the backup is worthless from the moment the restored data exists,
// before anyone has put the master key in place.
func EndForRestore(ctx context.Context, db *store.DB, digest string, now time.Time) (Ended, error) {
	if !ValidDigest(digest) {
		return Ended{}, fmt.Errorf("%q is not a SHA-256 digest in hex", digest)
	}
	now = now.UTC()
	var e Ended
	err := db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if e, err = endEverySignIn(ctx, tx, endedRestored, now); err != nil {
			return err
		}
		v, err := json.Marshal(pendingRestore{At: now, Ended: e})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM settings WHERE key = $1`, unauditedRestore+digest); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)`, unauditedRestore+digest, string(v))
		return err
	})
	return e, err
}

// AuditRestores appends the backup.restore event of every restore
// EndForRestore noted and forgets the note, in one transaction; it
// returns the digests. frontdoor calls it whenever it has opened the
// vault, so the event is in the trail before a restored instance serves.
func AuditRestores(ctx context.Context, db *store.DB, rec audit.Recorder) ([]string, error) {
	var digests []string
	err := db.Write(ctx, func(tx *store.Tx) error {
		digests = nil
		rows, err := tx.Query(ctx, `SELECT key, value FROM settings WHERE key LIKE $1 ORDER BY key`, unauditedRestore+"%")
		if err != nil {
			return err
		}
		type note struct {
			digest string
			p      pendingRestore
		}
		var notes []note
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return err
			}
			var p pendingRestore
			if err := json.Unmarshal([]byte(v), &p); err != nil {
				rows.Close()
				return fmt.Errorf("settings %s: %w", k, err)
			}
			notes = append(notes, note{strings.TrimPrefix(k, unauditedRestore), p})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// In the order the restores happened (a backup of a restored
		// instance can carry an earlier note).
		slices.SortStableFunc(notes, func(a, b note) int { return a.p.At.Compare(b.p.At) })
		for _, n := range notes {
			if err := rec(ctx, tx, restoreEvent(n.digest, n.p.Ended, n.p.At)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM settings WHERE key = $1`, unauditedRestore+n.digest); err != nil {
				return err
			}
			digests = append(digests, n.digest)
		}
		return nil
	})
	return digests, err
}
