package auth

import (
	"context"
	"errors"
	"frontdoor/internal/audit"
	"strings"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
)

func (s *Service) staffByID(ctx context.Context, tx *store.Tx, staffID string) (*Staff, error) {
	st, err := s.scanStaff(func(dest ...any) error {
		return tx.QueryRow(ctx, `SELECT `+staffColumns+` FROM staff WHERE id = $1`, []any{staffID}, dest...)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.New(errs.NotFound, "staff.not_found")
	}
	return st, err
}

// sealReason keeps a free-text reason readable only through the vault: it
// may name people.
func (s *Service) sealReason(reason, staffID string) string {
	return s.Vault.SealString(strings.TrimSpace(reason), "audit_reason", staffID)
}

// ResetFactors removes a staff member's second factors and recovery codes
// and ends their sessions, so they enrol again at next sign-in. It needs a
// recorded reason.
func (s *Service) ResetFactors(ctx context.Context, actorID, staffID, reason string) error {
	if err := access.ValidateReason(reason); err != nil {
		return err
	}
	// Resetting your own factors ends your session and needs a link only
	// an administrator can make: the only administrator would be locked out.
	if actorID != "" && actorID == staffID {
		return errs.New(errs.Conflict, "staff.cannot_reset_self")
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := s.staffByID(ctx, tx, staffID); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM staff_totp WHERE staff_id = $1`, `DELETE FROM staff_recovery_codes WHERE staff_id = $1`,
			`DELETE FROM staff_passkeys WHERE staff_id = $1`} {
			if _, err := tx.Exec(ctx, q, staffID); err != nil {
				return err
			}
		}
		if err := endSessions(ctx, tx, staffID, "", "factors_reset", s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.Event{ActorID: actorID, Action: "factor.reset", RecordKind: "staff", RecordID: staffID, Purpose: s.sealReason(reason, staffID)})
	})
}

// SetDisabled disables (or re-enables) an account, with a reason; disabling
// ends every session and revokes every API token of the account at once.
func (s *Service) SetDisabled(ctx context.Context, actorID, staffID string, disabled bool, reason string) error {
	if err := access.ValidateReason(reason); err != nil {
		return err
	}
	if disabled && actorID == staffID {
		return errs.New(errs.Conflict, "staff.cannot_disable_self")
	}
	now := s.now()
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := s.staffByID(ctx, tx, staffID); err != nil {
			return err
		}
		var at any
		action := "account.enable"
		if disabled {
			at, action = now, "account.disable"
			if err := endSessions(ctx, tx, staffID, "", "disabled", now); err != nil {
				return err
			}
			// Their API tokens end too: enabling the account again must
			// not bring back a token issued for work they left.
			if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE staff_id = $2 AND revoked_at IS NULL`, now, staffID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE staff SET disabled_at = $1, version = version + 1 WHERE id = $2`, at, staffID); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.Event{ActorID: actorID, Action: action, RecordKind: "staff", RecordID: staffID, Purpose: s.sealReason(reason, staffID)})
	})
}

// ChangePassword sets a new password after checking the current one, and
// ends every other session of the account.
func (s *Service) ChangePassword(ctx context.Context, token, current, next, confirm string) error {
	se, err := s.Session(ctx, token)
	if err != nil {
		return err
	}
	if se.Stage != StageFull {
		return errNoSession
	}
	// Guessing the current password from a stolen session counts towards
	// the account's sign-in throttle.
	att, err := s.reserve(ctx, s.throttleKeys(se.Staff.Username, "")[:1])
	if err != nil {
		return err
	}
	var hash *string
	err = s.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT password_hash FROM staff WHERE id = $1`, []any{se.Staff.ID}, &hash)
	})
	if err != nil {
		return err
	}
	if hash == nil || !CheckPassword(*hash, current) {
		if err := s.failed(ctx, audit.Event{ActorID: se.Staff.ID, Action: "password.change_failed", RecordKind: "staff", RecordID: se.Staff.ID}); err != nil {
			return err
		}
		return errs.Field("current", "password.current_wrong")
	}
	if err := s.release(ctx, att); err != nil {
		return err
	}
	if err := CheckNewPassword("password", next, se.Staff.Username); err != nil {
		return err
	}
	if next != confirm {
		return errs.Field("confirm", "password.mismatch")
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE staff SET password_hash = $1, version = version + 1 WHERE id = $2`, HashPassword(next), se.Staff.ID); err != nil {
			return err
		}
		if err := endSessions(ctx, tx, se.Staff.ID, se.ID, "password_changed", s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.Event{ActorID: se.Staff.ID, Action: "password.change", RecordKind: "staff", RecordID: se.Staff.ID})
	})
}

// StaffByID returns one account.
func (s *Service) StaffByID(ctx context.Context, staffID string) (*Staff, error) {
	var st *Staff
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		st, err = s.staffByID(ctx, tx, staffID)
		return err
	})
	return st, err
}
