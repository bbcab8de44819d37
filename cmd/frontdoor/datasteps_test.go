package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
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

// 'frontdoor migrate' seals, with the key, a need's area and a session's
// reminder channel that a version before the outreach_sealed migration
// kept in clear, and refuses without it.
func TestMigrateSealsNeedAreasAndRemindersWithTheKey(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		cfg := storetest.Config(t, d)
		keyFile := filepath.Join(t.TempDir(), "master.key")
		args := []string{"migrate", "--database-url", cfg.DatabaseURL, "--key-file", keyFile}
		if d == store.SQLite {
			keyFile = vault.DefaultKeyFile(cfg.DataDir)
			args = []string{"migrate", "--data", cfg.DataDir}
		}
		before := storetest.Before(t, d, store.MigrationOutreachSealed)
		db := storetest.OpenConfigThrough(t, cfg, before)
		v, err := vault.OpenSource(ctx, db, vault.KeySource{File: keyFile, Create: true}, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		need, session := "0190f2a0-0000-7000-8000-00000000ee02", "0190f2a0-0000-7000-8000-00000000ee03"
		err = db.Write(ctx, func(tx *store.Tx) error {
			now := time.Now().UTC()
			for _, q := range []string{
				`INSERT INTO organisations (id, name, kind, created_at) VALUES ('org', 'Women''s Aid', 'charity', $1)`,
				`INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('team', 'org', 'Outreach', 'outreach', $1)`,
				`INSERT INTO staff (id, organisation_id, username_index, username_sealed, display_name_sealed, role, created_at)
					VALUES ('worker', 'org', 'u', 'u', 'd', 'outreach_worker', $1)`,
				`INSERT INTO clients (id, organisation_id, team_id, given_name_sealed, family_name_sealed, name_index, details_sealed, created_at)
					VALUES ('client', 'org', 'team', 'g', 'f', 'n', 'd', $1)`,
				`INSERT INTO outreach_plans (id, client_id, status, created_at) VALUES ('plan', 'client', 'open', $1)`,
				`INSERT INTO outreach_needs (id, plan_id, area, need_sealed, goals_sealed, created_at) VALUES ('` + need + `', 'plan', 'immigration', 'n', 'g', $1)`,
				`INSERT INTO outreach_sessions (id, client_id, worker_id, kind, starts_at, ends_at, reminder, status, created_at)
					VALUES ('` + session + `', 'client', 'worker', 'office', $1, $2, 'email', 'booked', $1)`,
			} {
				args := []any{now}
				if strings.Contains(q, "$2") {
					args = append(args, now.Add(time.Hour))
				}
				if _, err := tx.Exec(ctx, q, args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()

		away := keyFile + ".away"
		if err := os.Rename(keyFile, away); err != nil {
			t.Fatal(err)
		}
		oneLineErr(t, testserve.Run(t, nil, args...), 1, store.MigrationOutreachSealed, "needs the master key")
		if err := os.Rename(away, keyFile); err != nil {
			t.Fatal(err)
		}
		if r := testserve.Run(t, nil, args...); r.Code != 0 {
			t.Fatalf("migrate with the key: %+v", r)
		}
		db = storetest.OpenConfigThrough(t, cfg, 0)
		var area, index, reminder string
		if err := db.Read(ctx, func(tx *store.Tx) error {
			if err := tx.QueryRow(ctx, `SELECT area_sealed, area_index FROM outreach_needs WHERE id = $1`, []any{need}, &area, &index); err != nil {
				return err
			}
			return tx.QueryRow(ctx, `SELECT reminder_sealed FROM outreach_sessions WHERE id = $1`, []any{session}, &reminder)
		}); err != nil {
			t.Fatal(err)
		}
		if plain, err := v.OpenString(area, "outreach_needs", need, "area"); err != nil || plain != "immigration" || len(index) != vault.BlindIndexLen {
			t.Fatalf("the need's area after migrate: %q (index %q), %v", plain, index, err)
		}
		if plain, err := v.OpenString(reminder, "outreach_sessions", session, "reminder"); err != nil || plain != `{"channel":"email"}` {
			t.Fatalf("the session's reminder after migrate: %q, %v", plain, err)
		}
	})
}
