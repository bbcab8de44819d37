package main

import (
	"context"
	"time"

	"frontdoor/internal/api"
	"frontdoor/internal/audit"
	"frontdoor/internal/vault"
	"frontdoor/internal/web"
)

// recorder appends to the audit trail under the vault's audit key, with
// the request's ID when there is one.
func recorder(v *vault.Vault) audit.Recorder {
	return audit.NewRecorder(v.AuditKey(), time.Now, requestID)
}

// requestID is the ID of the page or API request ctx belongs to, so that
// an event names the request whose log line it goes with, from either
// router.
func requestID(ctx context.Context) string {
	if id := web.RequestID(ctx); id != "" {
		return id
	}
	return api.RequestID(ctx)
}
