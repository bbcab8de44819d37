package audit_test

import (
	"context"
	"strings"
	"testing"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// The audit trigger functions must not look tables up through a session's
// temporary schema, or a temporary audit_head could stand in for the real
// one.
func TestTriggerFunctionsPinTheirSearchPath(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.Postgres)
	for _, f := range []string{"audit_refuse", "audit_events_extend", "audit_events_advance_head", "audit_head_advance_only"} {
		var config string
		err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT coalesce(array_to_string(proconfig, ','), '') FROM pg_proc WHERE proname = $1 AND pronamespace = current_schema()::regnamespace`, []any{f}, &config)
		})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !strings.Contains(config, "search_path=") || !strings.HasSuffix(config, "pg_temp") {
			t.Errorf("%s runs with config %q; want its schema, then pg_temp", f, config)
		}
	}
}
