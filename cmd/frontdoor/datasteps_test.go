package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/testserve"
	"frontdoor/internal/vault"
)

// A database written by a version before the sealed_columns migration holds a helpline
// contact's details in clear. 'frontdoor migrate' without the master key
// stops with one line and changes nothing; with the key it seals them and
// the clear columns are gone.
func TestMigrateSealsStoredValuesOnlyWithTheKey(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		cfg := storetest.Config(t, d)
		keyFile := filepath.Join(t.TempDir(), "master.key")
		args := []string{"migrate", "--database-url", cfg.DatabaseURL}
		if d == store.SQLite {
			keyFile = vault.DefaultKeyFile(cfg.DataDir)
			args = []string{"migrate", "--data", cfg.DataDir}
		}
		before := storetest.Before(t, d, store.MigrationSealedColumns)
		db := storetest.OpenConfigThrough(t, cfg, before)
		v, err := vault.OpenSource(ctx, db, vault.KeySource{File: keyFile, Create: true}, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		contact := "0190f2a0-0000-7000-8000-00000000ee01"
		err = db.Write(ctx, func(tx *store.Tx) error {
			now := time.Now().UTC()
			for _, q := range []string{
				`INSERT INTO organisations (id, name, kind, created_at) VALUES ('org', 'Women''s Aid', 'charity', $1)`,
				`INSERT INTO staff (id, organisation_id, username_index, username_sealed, display_name_sealed, role, created_at)
					VALUES ('worker', 'org', 'u', 'u', 'd', 'front_door_worker', $1)`,
				`INSERT INTO intake_contacts (id, organisation_id, channel, direction, caller_type, service_line, outcome, follow_up, taken_by, taken_at, created_at)
					VALUES ('` + contact + `', 'org', 'phone', 'in', 'perpetrator', 'main', 'signposted', FALSE, 'worker', $1, $1)`,
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
		db.Close()

		// Without the key (the file moved away): one line, nothing changed.
		away := keyFile + ".away"
		if err := os.Rename(keyFile, away); err != nil {
			t.Fatal(err)
		}
		oneLineErr(t, testserve.Run(t, nil, args...), 1, store.MigrationSealedColumns, "needs the master key")
		db = storetest.OpenConfigThrough(t, cfg, before)
		if st, err := db.Status(ctx); err != nil || st.Current != before {
			t.Fatalf("after a refused migrate the schema is at %+v, %v", st, err)
		}
		db.Close()

		if err := os.Rename(away, keyFile); err != nil {
			t.Fatal(err)
		}
		if d == store.Postgres {
			args = append(args, "--key-file", keyFile)
		}
		if r := testserve.Run(t, nil, args...); r.Code != 0 {
			t.Fatalf("migrate with the key: %+v", r)
		}
		db = storetest.OpenConfigThrough(t, cfg, 0)
		var sealed string
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT details_sealed FROM intake_contacts WHERE id = $1`, []any{contact}, &sealed)
		}); err != nil {
			t.Fatal(err)
		}
		want := `{"channel":"phone","direction":"in","caller_type":"perpetrator","service_line":"main","outcome":"signposted"}`
		if plain, err := v.OpenString(sealed, "intake_contacts", contact, "details"); err != nil || plain != want {
			t.Fatalf("the contact's details after migrate: %q, %v", plain, err)
		}
		if err := db.Read(ctx, func(tx *store.Tx) error {
			var n int
			return tx.QueryRow(ctx, `SELECT count(caller_type) FROM intake_contacts`, nil, &n)
		}); err == nil {
			t.Error("the clear column is still there after migrate")
		}
	})
}
