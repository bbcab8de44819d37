package audit_test

import (
	"context"
	"strings"
	"testing"

	"frontdoor/internal/audit"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

func TestCheckGuardsNoticesADroppedTrigger(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		if err := audit.CheckGuards(ctx, db); err != nil {
			t.Fatalf("fresh database: %v", err)
		}
		drop := `DROP TRIGGER audit_events_extend`
		if d == store.Postgres {
			drop += ` ON audit_events`
		}
		if err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, drop); return err }); err != nil {
			t.Fatal(err)
		}
		if err := audit.CheckGuards(ctx, db); err == nil || !strings.Contains(err.Error(), "audit_events_extend") {
			t.Fatalf("after dropping a trigger: %v", err)
		}
	})
}
