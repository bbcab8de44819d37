package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
)

// Passkeys (WebAuthn) are a second factor alongside TOTP: a person may
// register one at enrolment instead of scanning the QR code, use it instead
// of a code at sign-in, and add more from their account page. Only public
// keys are stored. The state of a ceremony (its challenge) lives in the
// database, keyed by the browser's session, so any node can finish what
// another began; it is used once and lasts ceremonyTTL.

// RelyingParty is the site a passkey is bound to: ID is the host name (no
// port; browsers refuse IP addresses), Origin is scheme://host[:port].
type RelyingParty struct {
	ID     string
	Origin string
}

// Passkey is a registered passkey as its owner sees it listed.
type Passkey struct {
	ID         string // credential ID, base64url
	Name       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

const (
	ceremonyTTL      = 5 * time.Minute
	ceremonyRegister = "register"
	ceremonyLogin    = "login"
	passkeyNameMax   = 100
)

var (
	errPasskeyFailed  = errs.Field("passkey", "passkey.failed")
	errPasskeyExpired = errs.Field("passkey", "passkey.expired")
	errPasskeyNone    = errs.New(errs.NotFound, "passkey.none")
)

// passkeyFailed keeps why a ceremony failed for the log; the person sees
// only that it did not work.
func passkeyFailed(cause error) error {
	e := errs.Wrap(cause, errs.Invalid, "passkey.failed")
	e.Field = "passkey"
	return e
}

// passkeyUser is a staff member as go-webauthn sees them. The user handle
// is the staff ID, an opaque random UUID; the name is the username.
type passkeyUser struct {
	id          string
	name        string
	credentials []webauthn.Credential
}

func (u *passkeyUser) WebAuthnID() []byte                         { return []byte(u.id) }
func (u *passkeyUser) WebAuthnName() string                       { return u.name }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.name }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.credentials }

func (s *Service) webAuthn(rp RelyingParty) (*webauthn.WebAuthn, error) {
	return webauthn.New(&webauthn.Config{
		RPID:          rp.ID,
		RPDisplayName: s.Issuer,
		RPOrigins:     []string{rp.Origin},
		// No attestation: we trust any authenticator the person chooses,
		// and "none" keeps device details out of the database.
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementPreferred,
			UserVerification: protocol.VerificationPreferred,
		},
	})
}

// passkeyUserOf loads a staff member's credentials.
func (s *Service) passkeyUserOf(ctx context.Context, tx *store.Tx, staffID, username string) (*passkeyUser, error) {
	u := &passkeyUser{id: staffID, name: username}
	rows, err := tx.Query(ctx, `SELECT credential FROM staff_passkeys WHERE staff_id = $1 ORDER BY created_at`, staffID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return nil, err
		}
		u.credentials = append(u.credentials, c)
	}
	return u, rows.Err()
}

// saveCeremony starts (or restarts) the ceremony of a browser session.
func (s *Service) saveCeremony(ctx context.Context, tx *store.Tx, sessionID, kind string, data *webauthn.SessionData) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	// Ceremonies nobody finished are swept on the way.
	if _, err := tx.Exec(ctx, `DELETE FROM webauthn_ceremonies WHERE session_id = $1 OR expires_at < $2`, sessionID, s.now()); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO webauthn_ceremonies (session_id, kind, data, expires_at) VALUES ($1, $2, $3, $4)`,
		sessionID, kind, string(b), s.now().Add(ceremonyTTL))
	return err
}

// takeCeremony uses up the ceremony of a session, in a transaction of its
// own: whether the answer then verifies or not, it cannot be tried again.
func (s *Service) takeCeremony(ctx context.Context, sessionID, kind string) (*webauthn.SessionData, error) {
	var data string
	var expires time.Time
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var got string
		err := tx.QueryRow(ctx, `SELECT kind, data, expires_at FROM webauthn_ceremonies WHERE session_id = $1`, []any{sessionID}, &got, &data, &expires)
		if errors.Is(err, store.ErrNotFound) {
			return errPasskeyExpired
		}
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `DELETE FROM webauthn_ceremonies WHERE session_id = $1`, sessionID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 || got != kind {
			return errPasskeyExpired // taken by a concurrent request, or another kind
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !s.now().Before(expires) {
		return nil, errPasskeyExpired
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal([]byte(data), &sd); err != nil {
		return nil, err
	}
	return &sd, nil
}

// fullSession returns the ID, staff ID and username of a full session.
func (s *Service) fullSession(ctx context.Context, token string) (sessionID, staffID, username string, err error) {
	se, err := s.Session(ctx, token)
	if err != nil {
		return "", "", "", err
	}
	if se.Stage != StageFull {
		return "", "", "", errNoSession
	}
	return se.ID, se.Staff.ID, se.Staff.Username, nil
}

// beginRegistration makes the options for navigator.credentials.create and
// keeps the ceremony, for a session found by find.
func (s *Service) beginRegistration(ctx context.Context, rp RelyingParty, find func(tx *store.Tx) (sessionID, staffID, username string, err error)) ([]byte, error) {
	wa, err := s.webAuthn(rp)
	if err != nil {
		return nil, err
	}
	var out []byte
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		sessionID, staffID, username, err := find(tx)
		if err != nil {
			return err
		}
		u, err := s.passkeyUserOf(ctx, tx, staffID, username)
		if err != nil {
			return err
		}
		// The same authenticator is not registered twice.
		creation, sd, err := wa.BeginRegistration(u, webauthn.WithExclusions(webauthn.Credentials(u.credentials).CredentialDescriptors()))
		if err != nil {
			return err
		}
		if err := s.saveCeremony(ctx, tx, sessionID, ceremonyRegister, sd); err != nil {
			return err
		}
		out, err = json.Marshal(creation)
		return err
	})
	return out, err
}

// newPasskey checks a registration answer against its ceremony and returns
// the credential to store.
func (s *Service) newPasskey(ctx context.Context, rp RelyingParty, sessionID, staffID, username string, response []byte) (*webauthn.Credential, error) {
	sd, err := s.takeCeremony(ctx, sessionID, ceremonyRegister)
	if err != nil {
		return nil, err
	}
	wa, err := s.webAuthn(rp)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, passkeyFailed(err)
	}
	cred, err := wa.CreateCredential(&passkeyUser{id: staffID, name: username}, *sd, parsed)
	if err != nil {
		return nil, passkeyFailed(err)
	}
	return cred, nil
}

func (s *Service) insertPasskey(ctx context.Context, tx *store.Tx, staffID, name string, cred *webauthn.Credential, now time.Time) error {
	b, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	credID := base64.RawURLEncoding.EncodeToString(cred.ID)
	_, err = tx.Exec(ctx, `INSERT INTO staff_passkeys (credential_id, staff_id, credential, name_sealed, created_at) VALUES ($1, $2, $3, $4, $5)`,
		credID, staffID, string(b), s.Vault.SealString(name, "staff_passkeys", credID, "name"), now)
	if errors.Is(err, store.ErrUnique) {
		return errs.Field("passkey", "passkey.already_registered")
	}
	return err
}

// cleanPasskeyName trims a name and checks its length; empty is allowed
// (the page shows a generic one).
func cleanPasskeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > passkeyNameMax {
		return "", errs.Field("passkey_name", "field.too_long", passkeyNameMax)
	}
	return name, nil
}

// BeginPasskeyEnrolment makes registration options for an account in the
// enrolment stage: a passkey instead of an authenticator app.
func (s *Service) BeginPasskeyEnrolment(ctx context.Context, token string, rp RelyingParty) ([]byte, error) {
	return s.beginRegistration(ctx, rp, func(tx *store.Tx) (string, string, string, error) {
		return s.sessionAt(ctx, tx, token, StageEnrol)
	})
}

// FinishPasskeyEnrolment checks the new passkey and, like ConfirmEnrolment,
// stores it, makes a fresh set of recovery codes, ends every other session
// and upgrades this one to a full session under a new token. The recovery
// codes are returned once, to be shown once.
func (s *Service) FinishPasskeyEnrolment(ctx context.Context, token string, rp RelyingParty, name string, response []byte) (string, []string, error) {
	name, err := cleanPasskeyName(name)
	if err != nil {
		return "", nil, err
	}
	var sessionID, staffID, username string
	if err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		sessionID, staffID, username, err = s.sessionAt(ctx, tx, token, StageEnrol)
		return err
	}); err != nil {
		return "", nil, err
	}
	cred, err := s.newPasskey(ctx, rp, sessionID, staffID, username, response)
	if err != nil {
		return "", nil, err
	}
	var newToken string
	var codes []string
	now := s.now()
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, _, _, err := s.sessionAt(ctx, tx, token, StageEnrol); err != nil {
			return err
		}
		if err := s.insertPasskey(ctx, tx, staffID, name, cred, now); err != nil {
			return err
		}
		// The authenticator-app secret offered on the same page is not
		// needed now.
		if _, err := tx.Exec(ctx, `DELETE FROM staff_totp WHERE staff_id = $1 AND confirmed_at IS NULL`, staffID); err != nil {
			return err
		}
		if codes, err = s.newRecoveryCodes(ctx, tx, staffID, now); err != nil {
			return err
		}
		if err := endSessions(ctx, tx, staffID, sessionID, "factor_changed", now); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, audit.Event{ActorID: staffID, Action: "factor.enrol", RecordKind: "staff", RecordID: staffID, Purpose: "passkey"}); err != nil {
			return err
		}
		newToken, err = s.upgrade(ctx, tx, token, now)
		return err
	})
	return newToken, codes, err
}

// BeginPasskeyRegistration makes registration options for a signed-in
// person adding another passkey.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, token string, rp RelyingParty) ([]byte, error) {
	sessionID, staffID, username, err := s.fullSession(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.beginRegistration(ctx, rp, func(*store.Tx) (string, string, string, error) {
		return sessionID, staffID, username, nil
	})
}

// FinishPasskeyRegistration stores another passkey for a signed-in person.
// A new factor is a factor change: every other session ends.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, token string, rp RelyingParty, name string, response []byte) error {
	name, err := cleanPasskeyName(name)
	if err != nil {
		return err
	}
	sessionID, staffID, username, err := s.fullSession(ctx, token)
	if err != nil {
		return err
	}
	cred, err := s.newPasskey(ctx, rp, sessionID, staffID, username, response)
	if err != nil {
		return err
	}
	now := s.now()
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := s.insertPasskey(ctx, tx, staffID, name, cred, now); err != nil {
			return err
		}
		if err := endSessions(ctx, tx, staffID, sessionID, "factor_changed", now); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.Event{ActorID: staffID, Action: "factor.enrol", RecordKind: "staff", RecordID: staffID, Purpose: "passkey"})
	})
}

// BeginPasskeySignIn makes the options for navigator.credentials.get for a
// session at the second-factor stage whose account has a passkey.
func (s *Service) BeginPasskeySignIn(ctx context.Context, token string, rp RelyingParty) ([]byte, error) {
	wa, err := s.webAuthn(rp)
	if err != nil {
		return nil, err
	}
	var out []byte
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		sessionID, staffID, username, err := s.sessionAt(ctx, tx, token, StageSecondFactor)
		if err != nil {
			return err
		}
		u, err := s.passkeyUserOf(ctx, tx, staffID, username)
		if err != nil {
			return err
		}
		if len(u.credentials) == 0 {
			return errPasskeyNone
		}
		assertion, sd, err := wa.BeginLogin(u)
		if err != nil {
			return err
		}
		if err := s.saveCeremony(ctx, tx, sessionID, ceremonyLogin, sd); err != nil {
			return err
		}
		out, err = json.Marshal(assertion)
		return err
	})
	return out, err
}

// FinishPasskeySignIn completes a sign-in with a passkey, with the same
// effects as a code: failures count towards the account's throttle and are
// audited; success clears it and upgrades the session under a new token.
func (s *Service) FinishPasskeySignIn(ctx context.Context, token string, rp RelyingParty, response []byte, source string) (string, error) {
	var sessionID, staffID, username string
	var u *passkeyUser
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		if sessionID, staffID, username, err = s.sessionAt(ctx, tx, token, StageSecondFactor); err != nil {
			return err
		}
		u, err = s.passkeyUserOf(ctx, tx, staffID, username)
		return err
	})
	if err != nil {
		return "", err
	}
	// The attempt counts against the throttle until it succeeds, like a
	// code; an expired ceremony is not a guess and is let go.
	keys := s.throttleKeys(username, source)
	a, err := s.reserve(ctx, keys)
	if err != nil {
		return "", err
	}
	sd, err := s.takeCeremony(ctx, sessionID, ceremonyLogin)
	if err != nil {
		return "", errors.Join(err, s.release(ctx, a))
	}
	cred, err := s.checkAssertion(rp, u, sd, response)
	if err != nil {
		if ferr := s.failed(ctx, audit.Event{ActorID: staffID, Action: "signin.failed", RecordKind: "staff", RecordID: staffID, Purpose: "passkey"}); ferr != nil {
			return "", ferr
		}
		return "", err
	}
	b, err := json.Marshal(cred)
	if err != nil {
		return "", errors.Join(err, s.release(ctx, a))
	}
	now := s.now()
	var newToken string
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, _, _, err := s.sessionAt(ctx, tx, token, StageSecondFactor); err != nil {
			return err
		}
		// The signature counter and flags move on with every use.
		res, err := tx.Exec(ctx, `UPDATE staff_passkeys SET credential = $1, last_used_at = $2 WHERE credential_id = $3 AND staff_id = $4`,
			string(b), now, base64.RawURLEncoding.EncodeToString(cred.ID), staffID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errPasskeyFailed // removed meanwhile
		}
		if err := a.succeeded(ctx, tx); err != nil {
			return err
		}
		if err := s.clearFailures(ctx, tx, keys[:1]); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, audit.Event{ActorID: staffID, Action: "signin", RecordKind: "staff", RecordID: staffID, Purpose: "passkey"}); err != nil {
			return err
		}
		newToken, err = s.upgrade(ctx, tx, token, now)
		return err
	})
	if err != nil {
		return "", errors.Join(err, s.release(ctx, a))
	}
	return newToken, nil
}

// checkAssertion verifies a sign-in answer against the ceremony and the
// account's passkeys. A signature counter that went backwards means a
// copied authenticator: refused.
func (s *Service) checkAssertion(rp RelyingParty, u *passkeyUser, sd *webauthn.SessionData, response []byte) (*webauthn.Credential, error) {
	wa, err := s.webAuthn(rp)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, passkeyFailed(err)
	}
	cred, err := wa.ValidateLogin(u, *sd, parsed)
	if err != nil {
		return nil, passkeyFailed(err)
	}
	if cred.Authenticator.CloneWarning || !bytes.Equal(cred.ID, parsed.RawID) {
		return nil, errPasskeyFailed
	}
	return cred, nil
}

// Passkeys lists a staff member's passkeys, oldest first.
func (s *Service) Passkeys(ctx context.Context, staffID string) ([]Passkey, error) {
	var out []Passkey
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT credential_id, name_sealed, created_at, last_used_at FROM staff_passkeys WHERE staff_id = $1 ORDER BY created_at, credential_id`, staffID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p Passkey
			var sealed string
			if err := rows.Scan(&p.ID, &sealed, &p.CreatedAt, &p.LastUsedAt); err != nil {
				return err
			}
			if p.Name, err = s.Vault.OpenString(sealed, "staff_passkeys", p.ID, "name"); err != nil {
				return err
			}
			out = append(out, p)
		}
		return rows.Err()
	})
	return out, err
}
