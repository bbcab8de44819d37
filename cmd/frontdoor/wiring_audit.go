package main

import (
	"time"

	"frontdoor/internal/audit"
	"frontdoor/internal/vault"
	"frontdoor/internal/web"
)

// recorder appends to the audit trail under the vault's audit key, with
// the request's ID when there is one.
func recorder(v *vault.Vault) audit.Recorder {
	return audit.NewRecorder(v.AuditKey(), time.Now, web.RequestID)
}
