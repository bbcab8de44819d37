package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"frontdoor/internal/intake"
	"frontdoor/internal/matching"
	"frontdoor/internal/outreach"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// dataSteps are the Go parts of migrations that convert stored values:
// sealing what older versions kept in clear needs the vault. The vault is
// opened only when a migration has rows to convert (an empty database
// migrates without a key). k nil: the command has no key, and such a
// migration is refused.
func dataSteps(db *store.DB, d dbFlags, k *keyFlags) map[string]store.DataStep {
	if k == nil {
		return nil
	}
	return map[string]store.DataStep{
		// What no query needs in clear, in every capability's tables
		// (docs/security.md, section 4).
		store.MigrationSealedColumns: func(ctx context.Context, tx *store.Tx) error {
			v, err := stepVault(ctx, db, tx, d, *k)
			if err != nil {
				return err
			}
			if err := risk.SealClearColumns(ctx, tx, v); err != nil {
				return fmt.Errorf("risk: %w", err)
			}
			if err := refuge.SealClearColumns(ctx, tx, v); err != nil {
				return fmt.Errorf("refuge: %w", err)
			}
			if err := outreach.SealClearColumns(ctx, tx, v); err != nil {
				return fmt.Errorf("outreach: %w", err)
			}
			if err := intake.SealClearColumns(ctx, tx, v); err != nil {
				return fmt.Errorf("intake: %w", err)
			}
			if err := people.SealClearColumns(ctx, tx, v); err != nil {
				return fmt.Errorf("people: %w", err)
			}
			if err := matching.SealClearColumns(ctx, tx, v); err != nil {
				return fmt.Errorf("matching: %w", err)
			}
			return nil
		},
		// A need's area and a session's reminder channel.
		store.MigrationOutreachSealed: func(ctx context.Context, tx *store.Tx) error {
			v, err := stepVault(ctx, db, tx, d, *k)
			if err != nil {
				return err
			}
			if err := outreach.SealNeedAreasAndReminders(ctx, tx, v); err != nil {
				return fmt.Errorf("outreach: %w", err)
			}
			return nil
		},
	}
}

// stepVault opens the vault for a data step, without writing: the
// migration holds the writer (SQLite has one), so it neither makes data
// keys nor finishes a rotation. A database with rows to convert has its
// keys; a rotation that stopped before its key files were swapped left
// the new key beside the file, and that one is tried too.
func stepVault(ctx context.Context, db *store.DB, tx *store.Tx, d dbFlags, k keyFlags) (*vault.Vault, error) {
	var keys int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM vault_keys WHERE retired_at IS NULL`, nil, &keys); err != nil {
		return nil, err
	}
	if keys == 0 {
		return nil, errors.New("the database holds personal data but no data keys: it is damaged or was not written by frontdoor")
	}
	src := k.source(d, false)
	master, err := vault.LoadMasterKey(src)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", store.ErrDataStepNeeded, err)
	}
	v, err := vault.Open(ctx, db, master, time.Now)
	var wrong *vault.WrongMasterKeyError
	if errors.As(err, &wrong) && src.Command == "" && src.Env == "" && src.File != "" {
		pending := vault.PendingKeyFile(src.File)
		if _, statErr := os.Lstat(pending); statErr == nil {
			if next, perr := vault.ReadKeyFile(pending); perr == nil {
				if v, perr := vault.Open(ctx, db, next, time.Now); perr == nil {
					return v, nil
				}
			}
		}
	}
	return v, err
}
