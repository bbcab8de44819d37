package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"frontdoor/internal/store"
)

// guards are the triggers that make the trail append-only, per engine.
var guards = map[store.Dialect][]string{
	store.SQLite: {"audit_events_no_update", "audit_events_no_delete", "audit_events_extend", "audit_events_advance_head",
		"audit_head_advance_only", "audit_head_no_delete", "audit_head_no_insert"},
	store.Postgres: {"audit_events_no_change", "audit_events_no_truncate", "audit_events_extend", "audit_events_advance_head",
		"audit_head_advance_only", "audit_head_no_change", "audit_head_no_truncate"},
}

// CheckGuards reports the audit trail's guarding triggers that are missing
// (or, on PostgreSQL, disabled). Someone who can drop them can rewrite
// history unseen until the next verify, so frontdoor refuses to serve
// without them.
func CheckGuards(ctx context.Context, db *store.DB) error {
	want := guards[db.Dialect()]
	var have []string
	err := db.Read(ctx, func(tx *store.Tx) error {
		q := `SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('audit_events', 'audit_head')`
		if db.Dialect() == store.Postgres {
			q = `SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
				WHERE c.relname IN ('audit_events', 'audit_head') AND c.relnamespace = current_schema()::regnamespace
				AND NOT t.tgisinternal AND t.tgenabled <> 'D'`
		}
		rows, err := tx.Query(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			have = append(have, n)
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	var missing []string
	for _, g := range want {
		if !slices.Contains(have, g) {
			missing = append(missing, g)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the audit trail's guards are missing or disabled (%s): the database was changed outside frontdoor; run 'frontdoor audit verify', investigate, and restore from a backup if history was altered", strings.Join(missing, ", "))
	}
	return nil
}
