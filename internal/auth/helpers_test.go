package auth_test

import (
	"context"
	"frontdoor/internal/audit"
	"sync"
	"testing"

	"frontdoor/internal/auth"
	"frontdoor/internal/store"
	"frontdoor/internal/vault/vaulttest"
)

// recordAudit collects audit events; tests assert on what was recorded.
type auditLog struct {
	mu     sync.Mutex
	events []audit.Event
}

var audits sync.Map // *testing.T → *auditLog

func recordAudit(t *testing.T) audit.Recorder {
	l := &auditLog{}
	audits.Store(t, l)
	return func(ctx context.Context, tx *store.Tx, e audit.Event) error {
		l.mu.Lock()
		l.events = append(l.events, e)
		l.mu.Unlock()
		return nil
	}
}

func auditedActions(t *testing.T) []string {
	v, _ := audits.Load(t)
	l := v.(*auditLog)
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.events {
		out = append(out, e.Action)
	}
	return out
}

func TestTokensAreNotStoredInClear(t *testing.T) {
	s, _ := newService(t, store.SQLite)
	token, _ := s.IssueSetupLink(ctx, "")
	var n int
	s.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM one_time_links WHERE token_hash = $1`, []any{token}, &n)
	})
	if n != 0 {
		t.Fatal("the setup token is stored as it was handed out")
	}
}

func testVault(t *testing.T, db *store.DB) auth.Sealer { return vaulttest.New(t, db) }
