package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// Service manages staff accounts and their sessions.
type Service struct {
	DB  *store.DB
	Now func() time.Time
	// IdleTimeout ends a session nobody has used for this long;
	// AbsoluteTimeout ends any session this long after sign-in.
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
}

// NewService returns a service with the default timeouts (30 min idle,
// 12 h absolute).
func NewService(db *store.DB, now func() time.Time) *Service {
	return &Service{DB: db, Now: now, IdleTimeout: 30 * time.Minute, AbsoluteTimeout: 12 * time.Hour}
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// Staff is a staff account as the rest of the application sees it.
type Staff struct {
	ID             string
	OrganisationID string
	Username       string
	DisplayName    string
	Role           access.Role
	HasPassword    bool
	Disabled       bool
}

const staffColumns = `id, organisation_id, username, display_name, role, password_hash IS NOT NULL, disabled_at IS NOT NULL`

func scanStaff(scan func(...any) error) (*Staff, error) {
	var st Staff
	var role string
	if err := scan(&st.ID, &st.OrganisationID, &st.Username, &st.DisplayName, &role, &st.HasPassword, &st.Disabled); err != nil {
		return nil, err
	}
	st.Role = access.Role(role)
	return &st, nil
}

// Token is a secret handed to a browser (session cookie) or printed once
// (setup link). Only its SHA-256 is stored: high-entropy tokens need no
// slow hash, and a copy of the database cannot be replayed.
func newToken() (token, hash string) {
	var b [32]byte
	rand.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]$`)

// NormaliseUsername lower-cases and trims; usernames compare that way.
func NormaliseUsername(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

func validateUsername(field, u string) error {
	if !usernamePattern.MatchString(u) {
		return errs.Field(field, "username.invalid")
	}
	return nil
}

func validateName(field, name string, maxLen int) error {
	n := utf8.RuneCountInString(strings.TrimSpace(name))
	if n == 0 {
		return errs.Field(field, "field.required")
	}
	if n > maxLen {
		return errs.Field(field, "field.too_long", maxLen)
	}
	return nil
}

// NewStaff is what it takes to add an account.
type NewStaff struct {
	OrganisationID string
	Username       string
	DisplayName    string
	Role           access.Role
	TeamIDs        []string
}

// AddStaff creates an account without a password; the person sets one
// through a setup link (IssueSetupLink), so no password ever passes
// through a command line or an administrator's hands.
func (s *Service) AddStaff(ctx context.Context, n NewStaff) (*Staff, error) {
	n.Username = NormaliseUsername(n.Username)
	n.DisplayName = strings.TrimSpace(n.DisplayName)
	if err := errors.Join(validateUsername("username", n.Username), validateName("name", n.DisplayName, 200)); err != nil {
		return nil, firstErr(err)
	}
	if !n.Role.Valid() {
		return nil, errs.Field("role", "role.invalid")
	}
	st := &Staff{ID: id.New(), OrganisationID: n.OrganisationID, Username: n.Username, DisplayName: n.DisplayName, Role: n.Role}
	err := s.DB.Write(ctx, func(tx *store.Tx) error { return insertStaff(ctx, tx, st, n.TeamIDs, nil, s.now()) })
	if errors.Is(err, store.ErrUnique) {
		return nil, errs.Field("username", "username.taken")
	}
	if errors.Is(err, store.ErrForeignKey) {
		return nil, errs.Field("organisation", "organisation.unknown")
	}
	return st, err
}

func insertStaff(ctx context.Context, tx *store.Tx, st *Staff, teams []string, passwordHash *string, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO staff (id, organisation_id, username, display_name, role, password_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, st.ID, st.OrganisationID, st.Username, st.DisplayName, string(st.Role), passwordHash, now); err != nil {
		return err
	}
	for _, t := range teams {
		if _, err := tx.Exec(ctx, `INSERT INTO team_members (team_id, staff_id) VALUES ($1, $2)`, t, st.ID); err != nil {
			return err
		}
	}
	return nil
}

func firstErr(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()[0]
	}
	return err
}

// ListStaff returns every account, by username.
func (s *Service) ListStaff(ctx context.Context) ([]Staff, error) {
	var out []Staff
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+staffColumns+` FROM staff ORDER BY username`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			st, err := scanStaff(rows.Scan)
			if err != nil {
				return err
			}
			out = append(out, *st)
		}
		return rows.Err()
	})
	return out, err
}

// StaffByUsername finds one account.
func (s *Service) StaffByUsername(ctx context.Context, username string) (*Staff, error) {
	var st *Staff
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		st, err = scanStaff(func(dest ...any) error {
			return tx.QueryRow(ctx, `SELECT `+staffColumns+` FROM staff WHERE username = $1`, []any{NormaliseUsername(username)}, dest...)
		})
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.New(errs.NotFound, "staff.not_found")
	}
	return st, err
}

// NeedsFirstAdministrator reports whether no administrator can sign in
// yet: a new instance, or a demo whose administrator has not chosen a
// password.
func (s *Service) NeedsFirstAdministrator(ctx context.Context) (bool, error) {
	var n int
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM staff WHERE role = $1 AND password_hash IS NOT NULL AND disabled_at IS NULL`,
			[]any{string(access.RoleAdministrator)}, &n)
	})
	return n == 0, err
}

// Purposes of one-time links.
const (
	PurposeFirstAdministrator = "first_administrator" // creates the organisation and its administrator
	PurposeSetPassword        = "set_password"        // an existing account chooses its password
)

// SetupLinkTTL is how long a printed setup link stays valid.
const SetupLinkTTL = 24 * time.Hour

// IssueSetupLink returns a one-time token. With staffID empty the token
// creates the first administrator of an empty instance; otherwise it lets
// that account choose its password.
func (s *Service) IssueSetupLink(ctx context.Context, staffID string) (string, error) {
	token, hash := newToken()
	purpose := PurposeSetPassword
	var sid *string
	if staffID == "" {
		purpose = PurposeFirstAdministrator
	} else {
		sid = &staffID
	}
	now := s.now()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO one_time_links (token_hash, staff_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			hash, sid, purpose, now, now.Add(SetupLinkTTL))
		return err
	})
	return token, err
}

// Link is a valid, unused setup link.
type Link struct {
	Purpose string
	Staff   *Staff // nil for the first administrator
}

var errLinkInvalid = errs.New(errs.NotFound, "setup.link_invalid")

// SetupLink looks up a token without using it up.
func (s *Service) SetupLink(ctx context.Context, token string) (*Link, error) {
	var l *Link
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		l, err = s.link(ctx, tx, token)
		return err
	})
	return l, err
}

func (s *Service) link(ctx context.Context, tx *store.Tx, token string) (*Link, error) {
	if token == "" || len(token) > 100 {
		return nil, errLinkInvalid
	}
	var purpose string
	var staffID *string
	var expires time.Time
	var used *time.Time
	err := tx.QueryRow(ctx, `SELECT purpose, staff_id, expires_at, used_at FROM one_time_links WHERE token_hash = $1`,
		[]any{hashToken(token)}, &purpose, &staffID, &expires, &used)
	if errors.Is(err, store.ErrNotFound) || err == nil && (used != nil || !s.now().Before(expires)) {
		return nil, errLinkInvalid
	}
	if err != nil {
		return nil, err
	}
	l := &Link{Purpose: purpose}
	if staffID != nil {
		l.Staff, err = scanStaff(func(dest ...any) error {
			return tx.QueryRow(ctx, `SELECT `+staffColumns+` FROM staff WHERE id = $1`, []any{*staffID}, dest...)
		})
		if err != nil {
			return nil, err
		}
	}
	return l, nil
}

// SetupForm is what the setup page submits.
type SetupForm struct {
	OrganisationName string // first administrator only
	DisplayName      string // first administrator only
	Username         string // first administrator only
	Password         string
	Confirm          string
}

// CompleteSetup uses a setup link: it sets the password (creating the
// organisation and administrator first, for an empty instance), marks the
// link used and starts a session, all in one transaction. It returns the
// session token. Invalid input changes nothing and says which field.
func (s *Service) CompleteSetup(ctx context.Context, token string, f SetupForm) (string, *Staff, error) {
	var session string
	var st *Staff
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		l, err := s.link(ctx, tx, token)
		if err != nil {
			return err
		}
		if err := ValidatePassword("password", f.Password); err != nil {
			return err
		}
		if f.Password != f.Confirm {
			return errs.Field("confirm", "password.mismatch")
		}
		now := s.now()
		hash := HashPassword(f.Password)
		if l.Purpose == PurposeFirstAdministrator {
			f.Username = NormaliseUsername(f.Username)
			if err := errors.Join(validateName("organisation", f.OrganisationName, 200), validateName("name", f.DisplayName, 200),
				validateUsername("username", f.Username)); err != nil {
				return firstErr(err)
			}
			orgID := id.New()
			if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, 'charity', $3)`,
				orgID, strings.TrimSpace(f.OrganisationName), now); err != nil {
				return err
			}
			st = &Staff{ID: id.New(), OrganisationID: orgID, Username: f.Username, DisplayName: strings.TrimSpace(f.DisplayName),
				Role: access.RoleAdministrator, HasPassword: true}
			if err := insertStaff(ctx, tx, st, nil, &hash, now); err != nil {
				if errors.Is(err, store.ErrUnique) {
					return errs.Field("username", "username.taken")
				}
				return err
			}
		} else {
			st = l.Staff
			if st.Disabled {
				return errLinkInvalid
			}
			if _, err := tx.Exec(ctx, `UPDATE staff SET password_hash = $1, version = version + 1 WHERE id = $2`, hash, st.ID); err != nil {
				return err
			}
			// A new password ends every session the account had.
			if _, err := tx.Exec(ctx, `UPDATE sessions SET ended_at = $1 WHERE staff_id = $2 AND ended_at IS NULL`, now, st.ID); err != nil {
				return err
			}
			st.HasPassword = true
		}
		res, err := tx.Exec(ctx, `UPDATE one_time_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL`, now, hashToken(token))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errLinkInvalid // used by a concurrent request
		}
		session, err = s.startSession(ctx, tx, st.ID, now)
		return err
	})
	return session, st, err
}

func (s *Service) startSession(ctx context.Context, tx *store.Tx, staffID string, now time.Time) (string, error) {
	token, hash := newToken()
	_, err := tx.Exec(ctx, `INSERT INTO sessions (id_hash, staff_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)`,
		hash, staffID, now, now.Add(s.AbsoluteTimeout))
	return token, err
}

var errSignIn = errs.New(errs.Unauthenticated, "signin.failed")

// SignIn checks a username and password and starts a session. An unknown
// user, a disabled account, an account without a password and a wrong
// password all give the same answer after the same work.
func (s *Service) SignIn(ctx context.Context, username, password string) (string, *Staff, error) {
	if len(password) > 4*MaxPasswordLength || len(username) > 200 {
		return "", nil, errSignIn
	}
	var hash *string
	var st *Staff
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		st, err = scanStaff(func(dest ...any) error {
			return tx.QueryRow(ctx, `SELECT `+staffColumns+`, password_hash FROM staff WHERE username = $1`,
				[]any{NormaliseUsername(username)}, append(dest, &hash)...)
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
		return "", nil, errSignIn
	}
	var token string
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		token, err = s.startSession(ctx, tx, st.ID, s.now())
		return err
	})
	return token, st, err
}

// touchEvery limits session writes: last_seen_at moves at most once a
// minute, so reading pages does not turn into a write per request.
const touchEvery = time.Minute

// SessionStaff returns the signed-in account for a session token, or
// Unauthenticated when the session is unknown, ended, idle too long or
// past its absolute lifetime.
func (s *Service) SessionStaff(ctx context.Context, token string) (*Staff, error) {
	if token == "" || len(token) > 100 {
		return nil, errs.New(errs.Unauthenticated, "session.none")
	}
	hash := hashToken(token)
	now := s.now()
	var st *Staff
	var lastSeen, expires time.Time
	var ended *time.Time
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		st, err = scanStaff(func(dest ...any) error {
			return tx.QueryRow(ctx, `SELECT s.id, s.organisation_id, s.username, s.display_name, s.role, s.password_hash IS NOT NULL, s.disabled_at IS NOT NULL,
				x.last_seen_at, x.expires_at, x.ended_at
				FROM sessions x JOIN staff s ON s.id = x.staff_id WHERE x.id_hash = $1`, []any{hash}, append(dest, &lastSeen, &expires, &ended)...)
		})
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.New(errs.Unauthenticated, "session.none")
	}
	if err != nil {
		return nil, err
	}
	if ended != nil || st.Disabled || !now.Before(expires) || now.Sub(lastSeen) >= s.IdleTimeout {
		return nil, errs.New(errs.Unauthenticated, "session.expired")
	}
	if now.Sub(lastSeen) >= touchEvery {
		err = s.DB.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2`, now, hash)
			return err
		})
	}
	return st, err
}

// SignOut ends a session.
func (s *Service) SignOut(ctx context.Context, token string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE sessions SET ended_at = $1 WHERE id_hash = $2 AND ended_at IS NULL`, s.now(), hashToken(token))
		return err
	})
}
