package auth

import (
	"context"
	"errors"
	"frontdoor/internal/audit"
	"time"

	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// Session stages. Only a full session reaches any page with personal data;
// the others reach only the step that completes them.
const (
	StageEnrol        = "enrol"         // password checked; no second factor yet: enrol one
	StageSecondFactor = "second_factor" // password checked; enter a code
	StageFull         = "full"
)

// Session is a signed-in browser.
type Session struct {
	ID         string
	Stage      string
	Staff      *Staff
	TeamIDs    []string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

func (s *Service) startSession(ctx context.Context, tx *store.Tx, staffID, stage string, now time.Time) (string, error) {
	token, hash := newToken()
	_, err := tx.Exec(ctx, `INSERT INTO sessions (id, token_hash, staff_id, stage, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6)`,
		id.New(), hash, staffID, stage, now, now.Add(s.AbsoluteTimeout))
	return token, err
}

// stageAfterPassword: enrolment for an account without a confirmed second
// factor (TOTP or a passkey), the code step for one with.
func (s *Service) stageAfterPassword(ctx context.Context, tx *store.Tx, staffID string) (string, error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM staff_totp WHERE staff_id = $1 AND confirmed_at IS NOT NULL)
		+ (SELECT count(*) FROM staff_passkeys WHERE staff_id = $1)`, []any{staffID}, &n); err != nil {
		return "", err
	}
	if n > 0 {
		return StageSecondFactor, nil
	}
	return StageEnrol, nil
}

// endSessions ends every open session of a staff member except keepID.
func endSessions(ctx context.Context, tx *store.Tx, staffID, keepID, reason string, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE sessions SET ended_at = $1, ended_reason = $2 WHERE staff_id = $3 AND id <> $4 AND ended_at IS NULL`, now, reason, staffID, keepID)
	return err
}

var (
	errSignIn    = errs.New(errs.Unauthenticated, "signin.failed")
	errNeedsLink = errs.New(errs.Unauthenticated, "signin.needs_setup_link")
)

// SignIn checks a username and password. It returns a session at the
// second-factor or enrolment stage, never a full one. An unknown user, a
// disabled account, an account without a password and a wrong password
// all give the same answer after the same work; so does a throttled one
// whether or not the account exists.
func (s *Service) SignIn(ctx context.Context, username, password, source string) (string, *Session, error) {
	if len(password) > 4*MaxPasswordLength || len(username) > 200 {
		return "", nil, errSignIn
	}
	username = NormaliseUsername(username)
	att, err := s.reserve(ctx, s.throttleKeys(username, source))
	if err != nil {
		return "", nil, err
	}
	var hash *string
	var st *Staff
	err = s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		st, err = s.scanStaff(func(dest ...any) error {
			return tx.QueryRow(ctx, `SELECT `+staffColumns+`, password_hash FROM staff WHERE username_index = $1`, []any{s.usernameIndex(username)}, append(dest, &hash)...)
		})
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", nil, err
	}
	encoded := dummyHash
	if hash != nil {
		encoded = *hash
	}
	ok := CheckPassword(encoded, password) && st != nil && hash != nil && !st.Disabled
	if !ok {
		actor := ""
		if st != nil {
			actor = st.ID
		}
		if err := s.failed(ctx, audit.Event{ActorID: actor, Action: "signin.failed", RecordKind: "staff", RecordID: actor, Purpose: "password"}); err != nil {
			return "", nil, err
		}
		return "", nil, errSignIn
	}
	var token string
	var stage string
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := att.succeeded(ctx, tx); err != nil {
			return err
		}
		var err error
		if stage, err = s.stageAfterPassword(ctx, tx, st.ID); err != nil {
			return err
		}
		if stage == StageEnrol {
			// No second factor yet (a new account that never finished,
			// or one whose factors were reset): a password alone must not
			// let anyone enrol their own authenticator. Enrolment happens
			// only from a one-time link, which came by another route.
			return errNeedsLink
		}
		if err := s.audit(ctx, tx, audit.Event{ActorID: st.ID, Action: "signin.password", RecordKind: "staff", RecordID: st.ID}); err != nil {
			return err
		}
		token, err = s.startSession(ctx, tx, st.ID, stage, s.now())
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return token, &Session{Stage: stage, Staff: st}, nil
}

// touchEvery limits session writes: last_seen_at moves at most once a
// minute (or a quarter of the idle timeout, if shorter), so reading pages
// does not turn into a write per request.
const touchEvery = time.Minute

var (
	errNoSession      = errs.New(errs.Unauthenticated, "session.none")
	errSessionExpired = errs.New(errs.Unauthenticated, "session.expired")
)

// Session returns the session for a token, or Unauthenticated when it is
// unknown, ended, idle too long or past its absolute lifetime.
func (s *Service) Session(ctx context.Context, token string) (*Session, error) {
	if token == "" || len(token) > 100 {
		return nil, errNoSession
	}
	hash := hashToken(token)
	now := s.now()
	var se Session
	var ended *time.Time
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		se.Staff, err = s.scanStaff(func(dest ...any) error {
			return tx.QueryRow(ctx, `SELECT s.id, s.organisation_id, s.username_sealed, s.display_name_sealed, s.role, s.password_hash IS NOT NULL, s.disabled_at IS NOT NULL,
				x.id, x.stage, x.created_at, x.last_seen_at, x.expires_at, x.ended_at
				FROM sessions x JOIN staff s ON s.id = x.staff_id WHERE x.token_hash = $1`, []any{hash},
				append(dest, &se.ID, &se.Stage, &se.CreatedAt, &se.LastSeenAt, &se.ExpiresAt, &ended)...)
		})
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT team_id FROM team_members WHERE staff_id = $1 ORDER BY team_id`, se.Staff.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				return err
			}
			se.TeamIDs = append(se.TeamIDs, t)
		}
		return rows.Err()
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	if ended != nil || se.Staff.Disabled || !now.Before(se.ExpiresAt) || now.Sub(se.LastSeenAt) >= s.IdleTimeout {
		return nil, errSessionExpired
	}
	// A session part-way through sign-in lasts only a few minutes.
	if se.Stage != StageFull && now.Sub(se.CreatedAt) >= 15*time.Minute {
		return nil, errSessionExpired
	}
	if now.Sub(se.LastSeenAt) >= min(touchEvery, s.IdleTimeout/4) {
		err = s.DB.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2`, now, hash)
			return err
		})
	}
	return &se, err
}

// SessionStaff returns the staff member of a full session.
func (s *Service) SessionStaff(ctx context.Context, token string) (*Staff, error) {
	se, err := s.Session(ctx, token)
	if err != nil {
		return nil, err
	}
	if se.Stage != StageFull {
		return nil, errNoSession
	}
	return se.Staff, nil
}

// upgrade moves a session to the full stage under a new token, so a token
// seen before the second factor (on a shared screen, say) is worth nothing
// after it.
func (s *Service) upgrade(ctx context.Context, tx *store.Tx, oldToken string, now time.Time) (string, error) {
	token, hash := newToken()
	res, err := tx.Exec(ctx, `UPDATE sessions SET token_hash = $1, stage = $2, last_seen_at = $3 WHERE token_hash = $4 AND ended_at IS NULL`,
		hash, StageFull, now, hashToken(oldToken))
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return "", errSessionExpired
	}
	return token, nil
}

// SignOut ends a session.
func (s *Service) SignOut(ctx context.Context, token string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		var id, staffID string
		err := tx.QueryRow(ctx, `SELECT id, staff_id FROM sessions WHERE token_hash = $1 AND ended_at IS NULL`, []any{hashToken(token)}, &id, &staffID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET ended_at = $1, ended_reason = 'signed_out' WHERE id = $2`, s.now(), id); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.Event{ActorID: staffID, Action: "signout", RecordKind: "session", RecordID: id})
	})
}

// Sessions lists a staff member's open sessions, newest first.
func (s *Service) Sessions(ctx context.Context, staffID string) ([]Session, error) {
	var out []Session
	now := s.now()
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, stage, created_at, last_seen_at, expires_at FROM sessions
			WHERE staff_id = $1 AND ended_at IS NULL AND expires_at > $2 AND last_seen_at > $3 ORDER BY created_at DESC`,
			staffID, now, now.Add(-s.IdleTimeout))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var se Session
			if err := rows.Scan(&se.ID, &se.Stage, &se.CreatedAt, &se.LastSeenAt, &se.ExpiresAt); err != nil {
				return err
			}
			out = append(out, se)
		}
		return rows.Err()
	})
	return out, err
}

// EndSession ends one session. A person may end their own; an
// administrator may end anyone's (the caller checks the policy).
func (s *Service) EndSession(ctx context.Context, actorID, sessionID string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		var staffID string
		if err := tx.QueryRow(ctx, `SELECT staff_id FROM sessions WHERE id = $1`, []any{sessionID}, &staffID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return errs.New(errs.NotFound, "session.not_found")
			}
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET ended_at = $1, ended_reason = 'ended' WHERE id = $2 AND ended_at IS NULL`, s.now(), sessionID); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.Event{ActorID: actorID, Action: "session.end", RecordKind: "staff", RecordID: staffID, Purpose: sessionID})
	})
}

// SessionOwner returns the staff ID a session belongs to.
func (s *Service) SessionOwner(ctx context.Context, sessionID string) (string, error) {
	var staffID string
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT staff_id FROM sessions WHERE id = $1`, []any{sessionID}, &staffID)
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", errs.New(errs.NotFound, "session.not_found")
	}
	return staffID, err
}
