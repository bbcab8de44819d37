package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// A migration with a data step runs its SQL above the "-- data step:"
// line, then the step (only when the line's query counts rows to
// convert), then the SQL below it, in one transaction: without a step and
// with rows to convert it is refused and nothing changes; an empty
// database needs no step.
func TestMigrationDataStep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		ms, err := store.Migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		before := storetest.Before(t, d, store.MigrationSealedColumns)
		if m := ms[before]; m.Step == "" || m.After == "" {
			t.Fatalf("migration %d (%s) has no data step: %q", m.Version, m.Name, m.Step)
		}

		// Empty: migrates without a step.
		if db := storetest.OpenConfigThrough(t, storetest.Config(t, d), 0); db == nil {
			t.Fatal("no database")
		}

		cfg := storetest.Config(t, d)
		db := storetest.OpenConfigThrough(t, cfg, before)
		err = db.Write(ctx, func(tx *store.Tx) error {
			now := time.Now().UTC()
			for _, q := range []string{
				`INSERT INTO organisations (id, name, kind, created_at) VALUES ('org', 'Women''s Aid', 'charity', $1)`,
				`INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('team', 'org', 'Outreach', 'outreach', $1)`,
				`INSERT INTO clients (id, organisation_id, team_id, given_name_sealed, family_name_sealed, name_index, details_sealed, created_at)
					VALUES ('client', 'org', 'team', 'g', 'f', 'n', 'd', $1)`,
			} {
				if _, err := tx.Exec(ctx, q, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(ctx, time.Now); !errors.Is(err, store.ErrDataStepNeeded) {
			t.Fatalf("migrate with people and no data step: %v", err)
		}
		if st, err := db.Status(ctx); err != nil || st.Current != before {
			t.Fatalf("a refused migration left the schema at %+v, %v", st, err)
		}
		// The step sees the new columns beside the old ones; a failing
		// step rolls the whole migration back.
		var sawBoth bool
		step := func(fail bool) store.DataStep {
			return func(ctx context.Context, tx *store.Tx) error {
				var n int
				sawBoth = tx.QueryRow(ctx, `SELECT count(level) + count(level_sealed) FROM risk_levels`, nil, &n) == nil
				if fail {
					return errors.New("the vault said no")
				}
				return nil
			}
		}
		if _, err := db.MigrateWith(ctx, time.Now, store.MigrateOptions{Steps: map[string]store.DataStep{store.MigrationSealedColumns: step(true)}}); err == nil || !sawBoth {
			t.Fatalf("a failing step: %v (saw both columns: %v)", err, sawBoth)
		}
		if st, err := db.Status(ctx); err != nil || st.Current != before {
			t.Fatalf("a failed data step left the schema at %+v, %v", st, err)
		}
		if _, err := db.MigrateWith(ctx, time.Now, store.MigrateOptions{Steps: map[string]store.DataStep{store.MigrationSealedColumns: step(false)}}); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, `SELECT count(level) FROM risk_levels`, nil, &n) }); err == nil {
			t.Error("the SQL below the data step did not run: risk_levels.level is still there")
		}
	})
}

// RewriteRows reads rows in batches by key and writes each row's new
// values, many rows a statement, every row once.
func TestRewriteRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		const rows = 1234
		err := db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `CREATE TABLE rewrite_probe (id TEXT PRIMARY KEY, plain TEXT, a TEXT, b TEXT)`); err != nil {
				return err
			}
			for i := range rows {
				if _, err := tx.Exec(ctx, `INSERT INTO rewrite_probe (id, plain) VALUES ($1, $2)`, fmt.Sprintf("r%05d", i), fmt.Sprint(i)); err != nil {
					return err
				}
			}
			return store.RewriteRows(ctx, tx, `SELECT id, plain FROM rewrite_probe WHERE id > $1 ORDER BY id LIMIT 300`, "rewrite_probe", "id", []string{"a", "b"},
				func(c []sql.NullString) ([]any, error) {
					return []any{"a" + c[1].String, "b" + c[0].String}, nil
				})
		})
		if err != nil {
			t.Fatal(err)
		}
		var good int
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM rewrite_probe WHERE a = 'a' || plain AND b = 'b' || id`, nil, &good)
		}); err != nil || good != rows {
			t.Fatalf("%d of %d rows rewritten (%v)", good, rows, err)
		}
	})
}
