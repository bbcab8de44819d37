package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"frontdoor/internal/audit"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// Sealer encrypts secrets kept for a person (the TOTP secret) and makes
// keyed hashes of values that must be compared but not stored (throttle
// keys, recovery codes). The vault implements it.
type Sealer interface {
	SealString(plaintext string, aad ...string) string
	OpenString(sealed string, aad ...string) (string, error)
	BlindIndex(purpose, normalised string) string
}

// Service manages staff accounts and their sessions.
type Service struct {
	DB    *store.DB
	Now   func() time.Time
	Vault Sealer
	Audit audit.Recorder
	// IdleTimeout ends a session nobody has used for this long;
	// AbsoluteTimeout ends any session this long after sign-in.
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	// Issuer names the service in authenticator apps.
	Issuer string
}

// NewService returns a service with the default timeouts (30 min idle,
// 12 h absolute).
func NewService(db *store.DB, vault Sealer, rec audit.Recorder, now func() time.Time) *Service {
	return &Service{DB: db, Now: now, Vault: vault, Audit: rec, IdleTimeout: 30 * time.Minute, AbsoluteTimeout: 12 * time.Hour, Issuer: "frontdoor"}
}

func (s *Service) audit(ctx context.Context, tx *store.Tx, e audit.Event) error {
	if s.Audit == nil {
		return nil
	}
	return s.Audit(ctx, tx, e)
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

// Staff names and usernames are personal data too (a list of refuge staff
// can lead a perpetrator to a refuge), so they are sealed; sign-in finds an
// account by a blind index of its username.
const staffColumns = `id, organisation_id, username_sealed, display_name_sealed, role, password_hash IS NOT NULL, disabled_at IS NOT NULL`

func (s *Service) scanStaff(scan func(...any) error) (*Staff, error) {
	var st Staff
	var role, username, name string
	if err := scan(&st.ID, &st.OrganisationID, &username, &name, &role, &st.HasPassword, &st.Disabled); err != nil {
		return nil, err
	}
	var err error
	if st.Username, err = s.Vault.OpenString(username, "staff", st.ID, "username"); err != nil {
		return nil, err
	}
	if st.DisplayName, err = s.Vault.OpenString(name, "staff", st.ID, "display_name"); err != nil {
		return nil, err
	}
	st.Role = access.Role(role)
	return &st, nil
}

// usernameIndex is the blind index sign-in looks usernames up by.
func (s *Service) usernameIndex(username string) string {
	return s.Vault.BlindIndex("staff.username", NormaliseUsername(username))
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
	AddedBy        string // staff ID of the administrator, empty for the CLI
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
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := s.InsertStaff(ctx, tx, st, n.TeamIDs, nil, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.Event{ActorID: n.AddedBy, Action: "account.create", RecordKind: "staff", RecordID: st.ID, Purpose: string(n.Role)})
	})
	if errors.Is(err, store.ErrUnique) {
		return nil, errs.Field("username", "username.taken")
	}
	if errors.Is(err, store.ErrForeignKey) {
		return nil, errs.Field("organisation", "organisation.unknown")
	}
	return st, err
}

// InsertStaff writes an account (and its team memberships) in tx, sealing
// its names. It checks nothing: AddStaff and CompleteSetup validate first,
// and the demo loader writes generated accounts through it.
func (s *Service) InsertStaff(ctx context.Context, tx *store.Tx, st *Staff, teams []string, passwordHash *string, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO staff (id, organisation_id, username_index, username_sealed, display_name_sealed, role, password_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, st.ID, st.OrganisationID, s.usernameIndex(st.Username),
		s.Vault.SealString(st.Username, "staff", st.ID, "username"), s.Vault.SealString(st.DisplayName, "staff", st.ID, "display_name"),
		string(st.Role), passwordHash, now); err != nil {
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
		rows, err := tx.Query(ctx, `SELECT `+staffColumns+` FROM staff`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			st, err := s.scanStaff(rows.Scan)
			if err != nil {
				return err
			}
			out = append(out, *st)
		}
		return rows.Err()
	})
	// Sorted here: the database only holds sealed names.
	slices.SortFunc(out, func(a, b Staff) int { return strings.Compare(a.Username, b.Username) })
	return out, err
}

// StaffNames maps the given account IDs to "Display Name (username)", the
// way pages name who did something. Only those accounts are opened: a
// case page names a handful of workers, not the whole service's staff.
// An ID with no account is left out.
func (s *Service) StaffNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		for chunk := range slices.Chunk(ids, 200) {
			in, args := store.InList(1, chunk)
			rows, err := tx.Query(ctx, `SELECT `+staffColumns+` FROM staff WHERE id IN (`+in+`)`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				st, err := s.scanStaff(rows.Scan)
				if err != nil {
					rows.Close()
					return err
				}
				out[st.ID] = st.DisplayName + " (" + st.Username + ")"
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// StaffByUsername finds one account.
func (s *Service) StaffByUsername(ctx context.Context, username string) (*Staff, error) {
	var st *Staff
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		st, err = s.scanStaff(func(dest ...any) error {
			return tx.QueryRow(ctx, `SELECT `+staffColumns+` FROM staff WHERE username_index = $1`, []any{s.usernameIndex(username)}, dest...)
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

// ReissueSetupLink gives an existing account a new one-time link to choose
// a password (a new starter who lost the first, or someone locked out),
// ending their sessions; an administrator does it, and it is audited.
func (s *Service) ReissueSetupLink(ctx context.Context, actorID, staffID string) (string, error) {
	var token string
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		st, err := s.staffByID(ctx, tx, staffID)
		if err != nil {
			return err
		}
		if st.Disabled {
			return errs.New(errs.Conflict, "staff.disabled_no_link")
		}
		var hash string
		token, hash = newToken()
		now := s.now()
		if err := revokeLinks(ctx, tx, staffID, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO one_time_links (token_hash, staff_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			hash, staffID, PurposeSetPassword, now, now.Add(SetupLinkTTL)); err != nil {
			return err
		}
		if err := endSessions(ctx, tx, staffID, "", "setup_link_issued", now); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.Event{ActorID: actorID, Action: "account.setup_link", RecordKind: "staff", RecordID: staffID})
	})
	return token, err
}

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
		if err := revokeLinks(ctx, tx, staffID, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO one_time_links (token_hash, staff_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			hash, sid, purpose, now, now.Add(SetupLinkTTL)); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.Event{Action: "account.setup_link", RecordKind: "staff", RecordID: staffID, Purpose: purpose})
	})
	return token, err
}

// revokeLinks ends every unused one-time link of an account (or, for an
// empty staffID, every first-administrator link), so only the newest link
// printed or shown works and a copy left in a log or an old message is
// worthless.
func revokeLinks(ctx context.Context, tx *store.Tx, staffID string, now time.Time) error {
	var err error
	if staffID == "" {
		_, err = tx.Exec(ctx, `UPDATE one_time_links SET used_at = $1 WHERE purpose = $2 AND used_at IS NULL`, now, PurposeFirstAdministrator)
	} else {
		_, err = tx.Exec(ctx, `UPDATE one_time_links SET used_at = $1 WHERE staff_id = $2 AND used_at IS NULL`, now, staffID)
	}
	return err
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
		l.Staff, err = s.scanStaff(func(dest ...any) error {
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
		username := f.Username
		if l.Staff != nil {
			username = l.Staff.Username
		}
		if err := CheckNewPassword("password", f.Password, username); err != nil {
			return err
		}
		if f.Password != f.Confirm {
			return errs.Field("confirm", "password.mismatch")
		}
		now := s.now()
		hash := HashPassword(f.Password)
		if l.Purpose == PurposeFirstAdministrator {
			// A first-administrator link is only good while there is none:
			// a link left in a log from an earlier start must not make a
			// second organisation and administrator later.
			var admins int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM staff WHERE role = $1`, []any{string(access.RoleAdministrator)}, &admins); err != nil {
				return err
			}
			if admins > 0 {
				return errLinkInvalid
			}
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
			if err := s.InsertStaff(ctx, tx, st, nil, &hash, now); err != nil {
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
			if err := endSessions(ctx, tx, st.ID, "", "password_changed", now); err != nil {
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
		linkOwner := st.ID
		if l.Purpose == PurposeFirstAdministrator {
			linkOwner = ""
		}
		if err := revokeLinks(ctx, tx, linkOwner, now); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, audit.Event{ActorID: st.ID, Action: "account.setup", RecordKind: "staff", RecordID: st.ID, Purpose: l.Purpose}); err != nil {
			return err
		}
		// A password alone never gives a full session: the person goes on
		// to enrol (or use) a second factor.
		stage, err := s.stageAfterPassword(ctx, tx, st.ID)
		if err != nil {
			return err
		}
		session, err = s.startSession(ctx, tx, st.ID, stage, now)
		return err
	})
	return session, st, err
}

// TeamName returns a team's name (team names are not personal data).
func (s *Service) TeamName(ctx context.Context, teamID string) (string, error) {
	var name string
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT name FROM teams WHERE id = $1`, []any{teamID}, &name)
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", errs.New(errs.NotFound, "error.not_found")
	}
	return name, err
}
