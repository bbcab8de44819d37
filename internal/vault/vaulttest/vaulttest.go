// Package vaulttest gives tests an opened vault and a check that personal
// data reached the database only encrypted: it greps every artefact an
// attacker could copy (the SQLite file, its WAL, a backup; a pg_dump of
// the PostgreSQL schema) for the plaintext.
package vaulttest

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault"
)

// New opens a vault on db with a fresh master key.
func New(t testing.TB, db *store.DB) *vault.Vault {
	t.Helper()
	v, err := vault.Open(context.Background(), db, vault.NewMasterKey(), time.Now)
	if err != nil {
		t.Fatalf("open vault: %v", err)
	}
	return v
}

// Finding is a value found in clear in an artefact.
type Finding struct {
	Artefact string // for example "SQLite WAL /tmp/…/frontdoor.db-wal"
	Value    string
}

func (f Finding) String() string { return fmt.Sprintf("%q is in clear in the %s", f.Value, f.Artefact) }

// AssertNoPlaintext fails t for every value found in clear in the
// database's artefacts (see FindPlaintext), naming the artefact.
func AssertNoPlaintext(t testing.TB, db *store.DB, cfg store.Config, values ...string) {
	t.Helper()
	for _, f := range FindPlaintext(t, db, cfg, values...) {
		t.Error(f)
	}
}

// FindPlaintext returns the values that occur in clear (case-sensitive, as
// UTF-8 bytes) in what a copy of the database would hold. For SQLite: the
// database file, its -wal file and a fresh backup made with db.Backup. For
// PostgreSQL: a plain pg_dump of the test's schema (the search_path of
// cfg.DatabaseURL). A missing pg_dump skips t (fails it under CI=true).
// Values are searched as they are; PostgreSQL's dump escapes backslashes,
// tabs and newlines, so values should not contain them. Problems running
// the check fail t at once; findings do not, so a test can assert that a
// value is found.
func FindPlaintext(t testing.TB, db *store.DB, cfg store.Config, values ...string) []Finding {
	t.Helper()
	arts := map[string][]byte{}
	switch db.Dialect() {
	case store.SQLite:
		path := filepath.Join(cfg.DataDir, store.DatabaseFile)
		for _, a := range []struct{ name, file string }{
			{"SQLite database file", path},
			{"SQLite WAL", path + "-wal"},
		} {
			b, err := os.ReadFile(a.file)
			if err != nil {
				if a.file == path {
					t.Fatalf("read the database file: %v", err)
				}
				continue // no WAL yet
			}
			arts[a.name+" "+a.file] = b
		}
		backup := filepath.Join(t.TempDir(), "backup.db")
		if err := db.Backup(context.Background(), backup); err != nil {
			t.Fatalf("back up the database: %v", err)
		}
		b, err := os.ReadFile(backup)
		if err != nil {
			t.Fatal(err)
		}
		arts["SQLite backup "+backup] = b
	case store.Postgres:
		arts["pg_dump of "+store.RedactURL(cfg.DatabaseURL)+schemaNote(cfg.DatabaseURL)] = pgDump(t, cfg.DatabaseURL)
	default:
		t.Fatalf("vaulttest: unknown dialect %q", db.Dialect())
	}
	return scan(arts, values)
}

// scan looks for each value in each artefact.
func scan(arts map[string][]byte, values []string) []Finding {
	names := make([]string, 0, len(arts))
	for n := range arts {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Finding
	for _, n := range names {
		for _, v := range values {
			if v != "" && bytes.Contains(arts[n], []byte(v)) {
				out = append(out, Finding{Artefact: n, Value: v})
			}
		}
	}
	return out
}

func schemaNote(raw string) string {
	if s := schemaOf(raw); s != "" {
		return " (schema " + s + ")"
	}
	return ""
}

func schemaOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Query().Get("search_path")
}

// pgxOnlyParams are URL parameters pgx understands and libpq (pg_dump)
// refuses.
var pgxOnlyParams = []string{"search_path", "pool_max_conns", "pool_min_conns", "pool_max_conn_lifetime",
	"pool_max_conn_idle_time", "pool_health_check_period", "statement_cache_capacity",
	"description_cache_capacity", "default_query_exec_mode"}

// pgDump dumps the schema named by the URL's search_path (or the whole
// database without one) as plain SQL.
func pgDump(t testing.TB, raw string) []byte {
	t.Helper()
	bin := findPgDump()
	if bin == "" {
		storetest.Unavailable(t, "pg_dump", "pg_dump is not on PATH nor under /usr/lib/postgresql/*/bin; install the PostgreSQL client")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("database URL: %v", err)
	}
	q := u.Query()
	schema := q.Get("search_path")
	for _, p := range pgxOnlyParams {
		q.Del(p)
	}
	u.RawQuery = q.Encode()
	args := []string{"--no-owner", "--no-privileges", "--dbname", u.String()}
	if schema != "" {
		args = append(args, "--schema", schema)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s failed: %v: %s", bin, err, stderr.String())
	}
	if stdout.Len() == 0 {
		t.Fatalf("%s printed nothing", bin)
	}
	return stdout.Bytes()
}

// findPgDump prefers the newest server version's pg_dump (a pg_dump older
// than the server refuses to dump it), then the one on PATH.
func findPgDump() string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	sort.Slice(matches, func(i, j int) bool { return versionOf(matches[i]) > versionOf(matches[j]) })
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.Mode()&0o111 != 0 {
			return m
		}
	}
	if p, err := exec.LookPath("pg_dump"); err == nil {
		return p
	}
	return ""
}

// versionOf reads the major version from /usr/lib/postgresql/<v>/bin/pg_dump.
func versionOf(path string) int {
	n := 0
	for _, c := range filepath.Base(filepath.Dir(filepath.Dir(path))) {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}
