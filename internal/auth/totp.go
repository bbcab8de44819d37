package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"frontdoor/internal/audit"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"frontdoor/internal/errs"
	"frontdoor/internal/store"
)

// TOTP as RFC 6238 and every authenticator app expect it: 30-second steps,
// 6 digits, SHA-1. One step of clock drift either way is accepted, and a
// step once used is never accepted again (no replay of a shoulder-surfed
// code).
var totpOpts = totp.ValidateOpts{Period: 30, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

const recoveryCodeCount = 10

// Enrolment is what the enrolment page shows: the secret as a QR code and
// as text for typing in.
type Enrolment struct {
	Secret string
	URL    string
	QRPNG  []byte
}

func (s *Service) sessionAt(ctx context.Context, tx *store.Tx, token, stage string) (sessionID, staffID, username string, err error) {
	var got, sealed string
	var created time.Time
	err = tx.QueryRow(ctx, `SELECT x.id, x.staff_id, s.username_sealed, x.stage, x.created_at FROM sessions x JOIN staff s ON s.id = x.staff_id
		WHERE x.token_hash = $1 AND x.ended_at IS NULL AND x.expires_at > $2 AND s.disabled_at IS NULL`,
		[]any{hashToken(token), s.now()}, &sessionID, &staffID, &sealed, &got, &created)
	if errors.Is(err, store.ErrNotFound) || err == nil && (got != stage || s.now().Sub(created) >= 15*time.Minute) {
		return "", "", "", errSessionExpired
	}
	if err != nil {
		return "", "", "", err
	}
	username, err = s.Vault.OpenString(sealed, "staff", staffID, "username")
	return sessionID, staffID, username, err
}

// BeginEnrolment makes (or shows again) the TOTP secret of an account in
// the enrolment stage. The secret is kept encrypted until confirmed.
func (s *Service) BeginEnrolment(ctx context.Context, token string) (*Enrolment, error) {
	var e *Enrolment
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		sessionID, staffID, username, err := s.sessionAt(ctx, tx, token, StageEnrol)
		if err != nil {
			return err
		}
		// An unconfirmed secret belongs to the session that is enrolling:
		// another session (someone else with the password) gets a new one,
		// which also voids the first.
		var sealed string
		err = tx.QueryRow(ctx, `SELECT secret_sealed FROM staff_totp WHERE staff_id = $1 AND confirmed_at IS NULL AND enrol_session = $2`, []any{staffID, sessionID}, &sealed)
		var key *otp.Key
		switch {
		case errors.Is(err, store.ErrNotFound):
			key, err = totp.Generate(totp.GenerateOpts{Issuer: s.Issuer, AccountName: username, Period: 30, SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Rand: rand.Reader})
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM staff_totp WHERE staff_id = $1 AND confirmed_at IS NULL`, staffID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO staff_totp (staff_id, secret_sealed, enrol_session, created_at) VALUES ($1, $2, $3, $4)`,
				staffID, s.Vault.SealString(key.Secret(), "staff_totp", staffID), sessionID, s.now()); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			secret, err := s.Vault.OpenString(sealed, "staff_totp", staffID)
			if err != nil {
				return err
			}
			key, err = otp.NewKeyFromURL("otpauth://totp/" + s.Issuer + ":" + username + "?secret=" + secret + "&issuer=" + s.Issuer + "&period=30&digits=6&algorithm=SHA1")
			if err != nil {
				return err
			}
		}
		img, err := key.Image(240, 240)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return err
		}
		e = &Enrolment{Secret: key.Secret(), URL: key.URL(), QRPNG: buf.Bytes()}
		return nil
	})
	return e, err
}

// matchStep finds the time step a code belongs to, within one step of now,
// later than the last one used.
func matchStep(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	code = strings.TrimSpace(strings.ReplaceAll(code, " ", ""))
	if len(code) != 6 {
		return 0, false
	}
	for d := -1; d <= 1; d++ {
		t := now.Add(time.Duration(d) * 30 * time.Second)
		step := t.Unix() / 30
		if step <= lastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

var errBadCode = errs.Field("code", "factor.code_wrong")

// ConfirmEnrolment checks the first code from the new authenticator,
// confirms it, makes a fresh set of recovery codes, ends every other
// session (a factor change), and upgrades this one to a full session under
// a new token. The recovery codes are returned once, to be shown once.
func (s *Service) ConfirmEnrolment(ctx context.Context, token, code string) (string, []string, error) {
	var newToken string
	var codes []string
	now := s.now()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		sessionID, staffID, _, err := s.sessionAt(ctx, tx, token, StageEnrol)
		if err != nil {
			return err
		}
		var sealed string
		if err := tx.QueryRow(ctx, `SELECT secret_sealed FROM staff_totp WHERE staff_id = $1 AND confirmed_at IS NULL AND enrol_session = $2`, []any{staffID, sessionID}, &sealed); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return errs.New(errs.Conflict, "factor.enrol_restart")
			}
			return err
		}
		secret, err := s.Vault.OpenString(sealed, "staff_totp", staffID)
		if err != nil {
			return err
		}
		step, ok := matchStep(secret, code, now, 0)
		if !ok {
			return errs.Field("code", "factor.enrol_code_wrong")
		}
		if _, err := tx.Exec(ctx, `UPDATE staff_totp SET confirmed_at = $1, last_step = $2 WHERE staff_id = $3`, now, step, staffID); err != nil {
			return err
		}
		if codes, err = s.newRecoveryCodes(ctx, tx, staffID, now); err != nil {
			return err
		}
		if err := endSessions(ctx, tx, staffID, sessionID, "factor_changed", now); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, audit.Event{ActorID: staffID, Action: "factor.enrol", RecordKind: "staff", RecordID: staffID, Purpose: "totp"}); err != nil {
			return err
		}
		newToken, err = s.upgrade(ctx, tx, token, now)
		return err
	})
	return newToken, codes, err
}

const recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz" // Crockford base32: no i, l, o, u

func normaliseRecoveryCode(c string) string {
	c = strings.ToLower(strings.TrimSpace(c))
	return strings.NewReplacer("-", "", " ", "").Replace(c)
}

func (s *Service) newRecoveryCodes(ctx context.Context, tx *store.Tx, staffID string, now time.Time) ([]string, error) {
	if _, err := tx.Exec(ctx, `DELETE FROM staff_recovery_codes WHERE staff_id = $1`, staffID); err != nil {
		return nil, err
	}
	codes := make([]string, recoveryCodeCount)
	for i := range codes {
		var b [10]byte
		rand.Read(b[:])
		for j := range b {
			b[j] = recoveryAlphabet[int(b[j])%len(recoveryAlphabet)]
		}
		codes[i] = string(b[:5]) + "-" + string(b[5:])
		if _, err := tx.Exec(ctx, `INSERT INTO staff_recovery_codes (staff_id, code_hash, created_at) VALUES ($1, $2, $3)`,
			staffID, s.Vault.BlindIndex("recovery_code", staffID+":"+normaliseRecoveryCode(codes[i])), now); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// VerifySecondFactor completes a sign-in with a TOTP code or a recovery
// code. Failures count towards the account's throttle, like wrong
// passwords do; success clears it and upgrades the session under a new
// token.
func (s *Service) VerifySecondFactor(ctx context.Context, token, code, source string) (string, error) {
	now := s.now()
	var staffID, username string
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		_, staffID, username, err = s.sessionAt(ctx, tx, token, StageSecondFactor)
		return err
	})
	if err != nil {
		return "", err
	}
	keys := s.throttleKeys(username, source)
	att, err := s.reserve(ctx, keys)
	if err != nil {
		return "", err
	}
	var newToken string
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, _, _, err := s.sessionAt(ctx, tx, token, StageSecondFactor); err != nil {
			return err
		}
		// A passkey-only account has no TOTP secret: only a recovery code
		// can match here.
		var sealed string
		var last, step int64
		matched := false
		err := tx.QueryRow(ctx, `SELECT secret_sealed, last_step FROM staff_totp WHERE staff_id = $1 AND confirmed_at IS NOT NULL`, []any{staffID}, &sealed, &last)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err == nil {
			secret, err := s.Vault.OpenString(sealed, "staff_totp", staffID)
			if err != nil {
				return err
			}
			step, matched = matchStep(secret, code, now, last)
		}
		method := "totp"
		if matched {
			// Conditional, so two sessions racing with one code (possible
			// on PostgreSQL at read committed) cannot both spend it.
			res, err := tx.Exec(ctx, `UPDATE staff_totp SET last_step = $1 WHERE staff_id = $2 AND last_step < $1`, step, staffID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return errBadCode
			}
		} else {
			res, err := tx.Exec(ctx, `UPDATE staff_recovery_codes SET used_at = $1 WHERE staff_id = $2 AND code_hash = $3 AND used_at IS NULL`,
				now, staffID, s.Vault.BlindIndex("recovery_code", staffID+":"+normaliseRecoveryCode(code)))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return errBadCode
			}
			method = "recovery_code"
		}
		if err := att.succeeded(ctx, tx); err != nil {
			return err
		}
		if err := s.clearFailures(ctx, tx, keys[:1]); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, audit.Event{ActorID: staffID, Action: "signin", RecordKind: "staff", RecordID: staffID, Purpose: method}); err != nil {
			return err
		}
		newToken, err = s.upgrade(ctx, tx, token, now)
		return err
	})
	switch {
	case errors.Is(err, errBadCode):
		if ferr := s.failed(ctx, audit.Event{ActorID: staffID, Action: "signin.failed", RecordKind: "staff", RecordID: staffID, Purpose: "second_factor"}); ferr != nil {
			return "", ferr
		}
	case err != nil:
		// Not a wrong code (an expired session, a fault): not a failure.
		s.release(ctx, att)
	}
	return newToken, err
}

// RecoveryCodesLeft counts unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, staffID string) (int, error) {
	var n int
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL`, []any{staffID}, &n)
	})
	return n, err
}
