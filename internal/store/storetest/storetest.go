// Package storetest gives tests a fresh, migrated database on each engine.
// PostgreSQL comes from FRONTDOOR_TEST_DATABASE_URL, else the local server
// at 127.0.0.1:5432; every test gets its own schema, dropped afterwards.
// Without CI=true a missing PostgreSQL skips those tests with a notice; with
// CI=true it fails them, so CI can never pass on SQLite alone.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
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

// OpenConfig opens and migrates the database cfg names. A new SQLite data
// dir starts as a copy of a database migrated once (migrating SQLite from
// nothing is most of an empty test's time under the race detector, and
// every copy is the same); migrating it then finds nothing to do.
func OpenConfig(t testing.TB, cfg store.Config) *store.DB {
	t.Helper()
	ctx := context.Background()
	if cfg.DatabaseURL == "" && cfg.DataDir != "" && cfg.CreateDataDir {
		if _, err := os.Stat(cfg.DataDir); errors.Is(err, fs.ErrNotExist) {
			seedSQLite(t, cfg.DataDir)
		}
	}
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

// template is the migrated SQLite database new data dirs start from: one
// file per set of migrations, made by the first test process that needs
// it and shared by the others (named by the migrations' digest, so a
// changed migration makes a new one).
var template struct {
	once sync.Once
	path string
	err  error
}

func templatePath() (string, error) {
	template.once.Do(func() {
		ms, err := store.Migrations(store.SQLite)
		if err != nil {
			template.err = err
			return
		}
		h := sha256.New()
		for _, m := range ms {
			fmt.Fprintf(h, "%d %s\n%s\n%s\n%s\n", m.Version, m.Name, m.SQL, m.Step, m.After)
		}
		path := filepath.Join(os.TempDir(), "frontdoor-test-schema-"+hex.EncodeToString(h.Sum(nil))[:16]+".db")
		if _, err := os.Stat(path); err == nil {
			template.path = path
			return
		}
		dir, err := os.MkdirTemp("", "frontdoor-test-schema-")
		if err != nil {
			template.err = err
			return
		}
		defer os.RemoveAll(dir)
		ctx := context.Background()
		db, err := store.Open(ctx, store.Config{DataDir: filepath.Join(dir, "data"), CreateDataDir: true})
		if err != nil {
			template.err = err
			return
		}
		defer db.Close()
		if _, err := db.Migrate(ctx, time.Now); err != nil {
			template.err = err
			return
		}
		// One self-contained file, written beside its final name and
		// moved there whole, so a process reading it never sees half.
		tmp := filepath.Join(dir, "schema.db")
		if _, err := db.Writer().ExecContext(ctx, `VACUUM INTO $1`, tmp); err != nil {
			template.err = err
			return
		}
		if template.err = os.Rename(tmp, path); template.err == nil {
			template.path = path
		}
	})
	return template.path, template.err
}

// seedSQLite makes dir, a new data dir, with a copy of the migrated
// template.
func seedSQLite(t testing.TB, dir string) {
	t.Helper()
	src, err := templatePath()
	if err != nil {
		t.Fatalf("migrated SQLite template: %v", err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("migrated SQLite template: %v", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, store.DatabaseFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
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
