package main

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/testserve"
	"frontdoor/internal/vault"
)

// instance is how the commands of a test reach one instance, on either
// engine: the flags, the environment (the key, for PostgreSQL) and the
// store configuration the test reads the audit trail with.
type instance struct {
	args, env []string
	cfg       store.Config
}

func newInstance(t *testing.T, d store.Dialect) instance {
	t.Helper()
	if d == store.Postgres {
		dbURL := storetest.PostgresURL(t)
		return instance{args: []string{"--database-url", dbURL}, env: []string{"FRONTDOOR_MASTER_KEY=" + vault.NewMasterKey().Encode()}, cfg: store.Config{DatabaseURL: dbURL}}
	}
	data := filepath.Join(t.TempDir(), "data")
	return instance{args: []string{"--data", data}, cfg: store.Config{DataDir: data}}
}

func (in instance) run(t *testing.T, args ...string) testserve.Result {
	t.Helper()
	return testserve.Run(t, in.env, append(args, in.args...)...)
}

// pageCode is the status of a page after redirects: a browser that is not
// signed in lands on the sign-in page, which is not the page asked for.
func pageCode(t *testing.T, c *http.Client, page string) int {
	t.Helper()
	resp, err := c.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.String() != page {
		return http.StatusSeeOther
	}
	return resp.StatusCode
}

// restoreEvents are the purposes of the backup.restore events of a data
// dir's audit trail.
func restoreEvents(t *testing.T, data string) []string {
	t.Helper()
	return auditPurposes(t, store.Config{DataDir: data}, "backup.restore")
}

func auditPurposes(t *testing.T, cfg store.Config, action string) []string {
	t.Helper()
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	err = db.Read(context.Background(), func(tx *store.Tx) error {
		rows, err := tx.Query(context.Background(), `SELECT purpose FROM audit_events WHERE action = $1 ORDER BY seq`, action)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				return err
			}
			out = append(out, p)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
