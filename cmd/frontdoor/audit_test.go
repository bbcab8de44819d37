package main

// Proposed cmd/frontdoor/audit_test.go (the audit work may not edit that
// directory beyond audit.go). Copy it there as is.

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"frontdoor/internal/audit"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

func TestAuditVerifyCommand(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		cfg := storetest.Config(t, d)
		db := storetest.OpenConfig(t, cfg)
		args := []string{"verify", "--data", cfg.DataDir}
		if cfg.DatabaseURL != "" {
			args = []string{"verify", "--database-url", cfg.DatabaseURL}
		}
		key := bytes.Repeat([]byte{0x42}, 32)
		old := auditKeyFor
		t.Cleanup(func() { auditKeyFor = old })

		auditKeyFor = nil
		var out bytes.Buffer
		if err := runAudit(ctx, args, &out, io.Discard); err == nil || !strings.Contains(err.Error(), "audit verify needs the key material") {
			t.Fatalf("verify without a key source: %v", err)
		}
		auditKeyFor = func(context.Context, *store.DB) ([]byte, error) { return key, nil }

		out.Reset()
		if err := runAudit(ctx, args, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "audit chain intact: 0 events\n") {
			t.Fatalf("empty trail: %v\n%s", err, out.String())
		}
		for i := range 3 {
			err := db.Write(ctx, func(tx *store.Tx) error {
				return audit.Append(ctx, tx, key, audit.Event{ActorID: "s1", Action: "record.read", RecordKind: "survivor", RecordID: "r" + string(rune('0'+i))})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		out.Reset()
		if err := runAudit(ctx, args, &out, io.Discard); err != nil {
			t.Fatalf("intact chain: %v", err)
		}
		if !regexp.MustCompile(`^audit chain intact: 3 events, last at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\ncheckpoint: 3:[0-9a-f]{64}\n$`).MatchString(out.String()) {
			t.Fatalf("intact chain printed %q", out.String())
		}
		cp := strings.TrimSpace(strings.TrimPrefix(out.String()[strings.Index(out.String(), "checkpoint: "):], "checkpoint: "))
		out.Reset()
		if err := runAudit(ctx, append(args, "--checkpoint", cp), &out, io.Discard); err != nil {
			t.Fatalf("verify against its own checkpoint: %v", err)
		}
		if err := runAudit(ctx, append(args, "--checkpoint", "nonsense"), &out, io.Discard); err == nil {
			t.Fatal("a malformed checkpoint was accepted")
		}

		// An attacker with database access drops the guard and edits event 2.
		var id2 string
		err := db.Write(ctx, func(tx *store.Tx) error {
			if err := tx.QueryRow(ctx, `SELECT id FROM audit_events WHERE seq = 2`, nil, &id2); err != nil {
				return err
			}
			drop := []string{`DROP TRIGGER audit_events_no_update`}
			if d == store.Postgres {
				drop = []string{`DROP TRIGGER audit_events_no_change ON audit_events`}
			}
			for _, q := range append(drop, `UPDATE audit_events SET actor_id = 'someone-else' WHERE seq = 2`) {
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = runAudit(ctx, args, &out, io.Discard)
		if err == nil || err.Error() != "audit chain broken at event 2 (id "+id2+"): edited" {
			t.Fatalf("tampered chain: %v", err)
		}
		// Through run: exit 1, one line on stderr.
		var stderr bytes.Buffer
		if code := run(ctx, append([]string{"audit"}, args...), io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "audit chain broken at event 2") {
			t.Fatalf("run audit verify: exit %d, stderr %q", code, stderr.String())
		}
	})
}
