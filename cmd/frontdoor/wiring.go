package main

import (
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
