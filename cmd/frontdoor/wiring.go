package main

import (
	"context"
	"time"

	"frontdoor/internal/auth"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// newAccounts builds the account service over the vault and the audit
// trail, as every command that changes accounts must.
func newAccounts(db *store.DB, v *vault.Vault) *auth.Service {
	return auth.NewService(db, v, recorder(v), time.Now)
}

// openAccounts opens the migrated database, its vault and the account
// service, as every command that changes accounts does. create allows a
// new SQLite data dir and key file (commands that set an instance up).
func openAccounts(ctx context.Context, d dbFlags, k keyFlags, create bool, notify func(string)) (*store.DB, *auth.Service, error) {
	db, _, err := openMigrated(ctx, d, create)
	if err != nil {
		return nil, nil, err
	}
	v, err := openVault(ctx, db, k, d, create && *d.databaseURL == "", notify)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, newAccounts(db, v), nil
}
