// Package storetest gives tests a fresh, migrated database on each engine.
// PostgreSQL comes from FRONTDOOR_TEST_DATABASE_URL, else the local server
// at 127.0.0.1:5432; every test gets its own schema, dropped afterwards.
// Without CI=true a missing PostgreSQL skips those tests with a notice; with
// CI=true it fails them, so CI can never pass on SQLite alone.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"frontdoor/internal/store"
)

// DefaultPostgresURL is where the test command's PostgreSQL answers when
// FRONTDOOR_TEST_DATABASE_URL is not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Dialects lists both engines; every storage-backed test runs on each.
var Dialects = []store.Dialect{store.SQLite, store.Postgres}

// Each runs fn as a subtest per engine.
func Each(t *testing.T, fn func(t *testing.T, d store.Dialect)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) { fn(t, d) })
	}
}

// Config returns a store.Config for a new, empty database on engine d: a
// temporary data dir for SQLite, a new schema for PostgreSQL.
func Config(t testing.TB, d store.Dialect) store.Config {
	t.Helper()
	if d == store.SQLite {
		return store.Config{DataDir: t.TempDir() + "/data", CreateDataDir: true}
	}
	return store.Config{DatabaseURL: PostgresURL(t)}
}

// Open returns a migrated database on engine d, closed when t ends.
func Open(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	return OpenConfig(t, Config(t, d))
}

// OpenConfig opens and migrates the database cfg names.
func OpenConfig(t testing.TB, cfg store.Config) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open %s: %v", cfg.DataDir+store.RedactURL(cfg.DatabaseURL), err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx, time.Now); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// OpenConfigThrough opens the database cfg names and migrates it through
// version only: a test writes rows as that version stored them, then
// migrates the rest (store.DB.MigrateWith) and reads them back.
func OpenConfigThrough(t testing.TB, cfg store.Config, version int) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open %s: %v", cfg.DataDir+store.RedactURL(cfg.DatabaseURL), err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.MigrateWith(ctx, time.Now, store.MigrateOptions{Through: version}); err != nil {
		t.Fatalf("migrate through %d: %v", version, err)
	}
	return db
}

// Before is the schema version just before the migration named name.
func Before(t testing.TB, d store.Dialect, name string) int {
	t.Helper()
	v, err := store.VersionBefore(d, name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// PostgresURL returns a URL whose search_path is a new schema of its own,
// dropped when t ends; or skips (fails under CI=true) when no server answers.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("FRONTDOOR_TEST_DATABASE_URL")
	if base == "" {
		base = DefaultPostgresURL
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("FRONTDOOR_TEST_DATABASE_URL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		Unavailable(t, "PostgreSQL", fmt.Sprintf("no PostgreSQL answers at %s (%v); set FRONTDOOR_TEST_DATABASE_URL or run the README's test command, which starts one", store.RedactURL(base), err))
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("drop test schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("FRONTDOOR_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Unavailable reports a test dependency that is not there: under CI=true a
// failure (CI must never pass by skipping), otherwise a loud skip.
func Unavailable(t testing.TB, what, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true: %s", what, why)
	}
	fmt.Fprintf(os.Stderr, "NOTICE: skipping %s test %s: %s\n", what, t.Name(), why)
	t.Skipf("%s unavailable: %s", what, why)
}
