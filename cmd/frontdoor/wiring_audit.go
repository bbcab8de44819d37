package main

import (
	"context"
	"time"

	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
	"frontdoor/internal/web"
)

// auditTo appends account events to the audit trail inside the caller's
// transaction, under the vault's audit key, with the request's ID.
func auditTo(v *vault.Vault) auth.AuditFunc {
	key := v.AuditKey()
	return func(ctx context.Context, tx *store.Tx, e auth.AuditEvent) error {
		return audit.Append(ctx, tx, key, audit.Event{
			At: time.Now().UTC(), ActorID: e.ActorID, Action: e.Action,
			RecordKind: e.RecordKind, RecordID: e.RecordID, Purpose: e.Purpose,
			RequestID: web.RequestID(ctx),
		})
	}
}
