package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

var ctx = context.Background()

func latest(t *testing.T, d store.Dialect) int {
	ms, err := store.Migrations(d)
	if err != nil {
		t.Fatal(err)
	}
	return len(ms)
}

func TestMigrationsMatchAcrossDialects(t *testing.T) {
	lite, err := store.Migrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := store.Migrations(store.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 || len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d: one schema needs both", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Version != pg[i].Version || lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: sqlite %04d_%s, postgres %04d_%s", i, lite[i].Version, lite[i].Name, pg[i].Version, pg[i].Name)
		}
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db, err := store.Open(ctx, storetest.Config(t, d))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		st, err := db.Status(ctx)
		if err != nil || st.Current != 0 || st.UpToDate() {
			t.Fatalf("fresh database status = %+v, %v; want version 0, not up to date", st, err)
		}
		n, err := db.Migrate(ctx, time.Now)
		if err != nil || n != latest(t, d) {
			t.Fatalf("first migrate applied %d, %v; want %d", n, err, latest(t, d))
		}
		n, err = db.Migrate(ctx, time.Now)
		if err != nil || n != 0 {
			t.Fatalf("second migrate applied %d, %v; want 0", n, err)
		}
		st, err = db.Status(ctx)
		if err != nil || !st.UpToDate() {
			t.Fatalf("status after migrate = %+v, %v", st, err)
		}
	})
}

// Two nodes starting at once must apply each migration exactly once.
func TestConcurrentMigrateAppliesOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		cfg := storetest.Config(t, d)
		var dbs []*store.DB
		for range 4 {
			db, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			dbs = append(dbs, db)
		}
		var wg sync.WaitGroup
		applied := make([]int, len(dbs))
		errs := make([]error, len(dbs))
		for i, db := range dbs {
			wg.Go(func() { applied[i], errs[i] = db.Migrate(ctx, time.Now) })
		}
		wg.Wait()
		total := 0
		for i := range dbs {
			if errs[i] != nil {
				t.Fatalf("node %d: %v", i, errs[i])
			}
			total += applied[i]
		}
		if total != latest(t, d) {
			t.Fatalf("nodes applied %v migrations in all, want %d", applied, latest(t, d))
		}
	})
}

func TestNewerSchemaIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		future := latest(t, d) + 1
		err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from_the_future', $2)`, future, time.Now().UTC())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Status(ctx); !errors.Is(err, store.ErrSchemaTooNew) {
			t.Fatalf("Status = %v, want ErrSchemaTooNew", err)
		}
		if _, err := db.Migrate(ctx, time.Now); !errors.Is(err, store.ErrSchemaTooNew) {
			t.Fatalf("Migrate = %v, want ErrSchemaTooNew", err)
		}
		if !strings.Contains(fmt.Sprint(err), "newer frontdoor") {
			t.Logf("message: %v", err)
		}
	})
}

func insertOrg(ctx context.Context, tx *store.Tx, id, name string) error {
	_, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, 'charity', $3)`, id, name, time.Now().UTC())
	return err
}

func TestDriverErrorsMapToSharedErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		if err := db.Write(ctx, func(tx *store.Tx) error { return insertOrg(ctx, tx, "o1", "First") }); err != nil {
			t.Fatal(err)
		}
		err := db.Write(ctx, func(tx *store.Tx) error { return insertOrg(ctx, tx, "o1", "Again") })
		if !errors.Is(err, store.ErrUnique) {
			t.Errorf("duplicate primary key: %v, want ErrUnique", err)
		}
		err = db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('t1', 'missing', 'x', 'helpline', $1)`, time.Now().UTC())
			return err
		})
		if !errors.Is(err, store.ErrForeignKey) {
			t.Errorf("missing organisation: %v, want ErrForeignKey", err)
		}
		err = db.Read(ctx, func(tx *store.Tx) error {
			var name string
			return tx.QueryRow(ctx, `SELECT name FROM organisations WHERE id = $1`, []any{"nope"}, &name)
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing row: %v, want ErrNotFound", err)
		}
		err = db.Read(ctx, func(tx *store.Tx) error { return insertOrg(ctx, tx, "o2", "Sneaky") })
		if !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("write in Read: %v, want ErrReadOnly", err)
		}
	})
}

func TestFailedWriteLeavesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		boom := errors.New("validation failed half way")
		err := db.Write(ctx, func(tx *store.Tx) error {
			if err := insertOrg(ctx, tx, "o1", "Half"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Write = %v, want the function's error", err)
		}
		var n int
		db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM organisations`, nil, &n)
		})
		if n != 0 {
			t.Fatalf("%d organisations after a failed write, want 0", n)
		}
	})
}

// Many writers racing on one row: every increment lands, none is lost,
// whatever retries the engine needed.
func TestConcurrentWritesLoseNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		if err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES ('counter', '0')`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		const n = 40
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				errs <- db.Serializable(ctx, func(tx *store.Tx) error {
					var v string
					if err := tx.QueryRow(ctx, `SELECT value FROM settings WHERE key = 'counter'`, nil, &v); err != nil {
						return err
					}
					var i int
					fmt.Sscan(v, &i)
					_, err := tx.Exec(ctx, `UPDATE settings SET value = $1 WHERE key = 'counter'`, fmt.Sprint(i+1))
					return err
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("increment: %v", err)
			}
		}
		var v string
		db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT value FROM settings WHERE key = 'counter'`, nil, &v)
		})
		if v != fmt.Sprint(n) {
			t.Fatalf("counter = %s after %d increments", v, n)
		}
	})
}

func TestTimesRoundTripAndCompare(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		base := time.Date(2026, 3, 29, 0, 59, 59, 500_000_000, time.UTC)
		times := []time.Time{base, base.Add(500 * time.Millisecond), base.Add(time.Microsecond), base.Add(-time.Hour)}
		err := db.Write(ctx, func(tx *store.Tx) error {
			for i, at := range times {
				if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'x', 'charity', $2)`, fmt.Sprint(i), at); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		err = db.Read(ctx, func(tx *store.Tx) error {
			rows, err := tx.Query(ctx, `SELECT id, created_at FROM organisations WHERE created_at > $1 ORDER BY created_at`, base)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				var at time.Time
				if err := rows.Scan(&id, &at); err != nil {
					return err
				}
				if i := id[0] - '0'; !at.Equal(times[i]) {
					t.Errorf("row %s: read %v, wrote %v", id, at, times[i])
				}
				got = append(got, id)
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != "2,1" {
			t.Fatalf("rows after base in time order = %v, want [2 1]", got)
		}
	})
}

func TestBackupWhileWritingAndRestore(t *testing.T) {
	cfg := storetest.Config(t, store.SQLite)
	db := storetest.OpenConfig(t, cfg)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written int
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				written = i
				return
			default:
			}
			if err := db.Write(ctx, func(tx *store.Tx) error { return insertOrg(ctx, tx, fmt.Sprintf("o%06d", i), "x") }); err != nil {
				t.Error(err)
				written = i
				return
			}
		}
	})
	time.Sleep(50 * time.Millisecond)
	dst := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(ctx, dst); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	fi, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %04o, want 0600", fi.Mode().Perm())
	}
	if err := db.Backup(ctx, dst); err == nil {
		t.Error("a second backup over an existing file was allowed")
	}

	dir := filepath.Join(t.TempDir(), "restored")
	digest, err := store.Restore(ctx, dst, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The digest names the backup: what sha256sum says of the file.
	b, _ := os.ReadFile(dst)
	if sum := sha256.Sum256(b); digest != hex.EncodeToString(sum[:]) {
		t.Fatalf("restore digest %s, the file's is %x", digest, sum)
	}
	if fd, err := store.FileDigest(dst); err != nil || fd != digest {
		t.Fatalf("FileDigest %s %v, want %s", fd, err, digest)
	}
	fi, _ = os.Stat(dir)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("restored data dir mode %04o, want 0700", fi.Mode().Perm())
	}
	rdb := storetest.OpenConfig(t, store.Config{DataDir: dir})
	var n int
	rdb.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, `SELECT count(*) FROM organisations`, nil, &n) })
	// The backup is one snapshot: a prefix of the rows written, in order.
	if n == 0 || n > written {
		t.Fatalf("restored %d organisations; %d were written in all", n, written)
	}
	var maxID string
	rdb.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, `SELECT max(id) FROM organisations`, nil, &maxID) })
	if maxID != fmt.Sprintf("o%06d", n-1) {
		t.Fatalf("restored rows are not a consistent prefix: %d rows, last %s", n, maxID)
	}

	if _, err := store.Restore(ctx, dst, dir, nil); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore over a live data dir: %v, want a refusal", err)
	}
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, []byte("this is not a database"), 0o600)
	if _, err := store.Restore(ctx, junk, filepath.Join(t.TempDir(), "r2"), nil); err == nil {
		t.Fatal("restoring a file that is not a backup was allowed")
	}
}

func TestBackupRefusesPostgres(t *testing.T) {
	db := storetest.Open(t, store.Postgres)
	if err := db.Backup(ctx, filepath.Join(t.TempDir(), "x")); !errors.Is(err, store.ErrBackupPostgres) {
		t.Fatalf("Backup on PostgreSQL = %v", err)
	}
}

func TestDataDirChecks(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o755)
	os.Chmod(open, 0o755)
	if _, err := store.Open(ctx, store.Config{DataDir: open, CreateDataDir: true}); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Errorf("world-readable data dir: %v", err)
	}
	if entries, _ := os.ReadDir(open); len(entries) != 0 {
		t.Errorf("refused data dir was changed: %v", entries)
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := store.Open(ctx, store.Config{DataDir: file, CreateDataDir: true}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("data dir that is a file: %v", err)
	}
	missing := filepath.Join(dir, "missing")
	if _, err := store.Open(ctx, store.Config{DataDir: missing}); err == nil {
		t.Error("opened a missing data dir without CreateDataDir")
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a missing data dir was created when creation was not allowed")
	}
	if os.Geteuid() == 0 {
		other := filepath.Join(dir, "other")
		os.Mkdir(other, 0o700)
		os.Chown(other, 65534, 65534)
		if _, err := store.Open(ctx, store.Config{DataDir: other, CreateDataDir: true}); err == nil || !strings.Contains(err.Error(), "another user") {
			t.Errorf("data dir owned by another user: %v", err)
		}
	}
	created := filepath.Join(dir, "new", "data")
	db, err := store.Open(ctx, store.Config{DataDir: created, CreateDataDir: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	fi, _ := os.Stat(created)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("new data dir mode %04o, want 0700", fi.Mode().Perm())
	}
	fi, _ = os.Stat(filepath.Join(created, store.DatabaseFile))
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("database file mode %04o, want no group or other access", fi.Mode().Perm())
	}
}

func TestUnreachablePostgresSaysSo(t *testing.T) {
	_, err := store.Open(ctx, store.Config{DatabaseURL: "postgres://frontdoor:s3cret-pw@127.0.0.1:1/nowhere?connect_timeout=2"})
	if err == nil {
		t.Fatal("opened a database nobody serves")
	}
	msg := err.Error()
	if !strings.Contains(msg, "cannot reach PostgreSQL") || strings.Contains(msg, "s3cret-pw") {
		t.Fatalf("message %q: want a plain reason without the password", msg)
	}
}

func TestRedactURL(t *testing.T) {
	got := store.RedactURL("postgres://app:hunter2@db.internal:5432/frontdoor?sslmode=require&password=x")
	if got != "postgres://app@db.internal:5432/frontdoor" {
		t.Fatalf("RedactURL = %q", got)
	}
}

// Restore's prepare runs on the restored database before it takes its
// place, and what it writes is in the database that does: a prepare that
// fails leaves no database in the data dir (frontdoor could not serve the
// backup's sessions from it), and a restore cut short is simply done again.
func TestRestorePreparesBeforeTheDatabaseTakesItsPlace(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	if err := db.Write(ctx, func(tx *store.Tx) error { return insertOrg(ctx, tx, "o1", "Kept") }); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "restored")
	boom := errors.New("cannot end the sessions")
	_, err := store.Restore(ctx, backup, dir, func(ctx context.Context, db *store.DB, digest string) error {
		if _, err := os.Stat(filepath.Join(dir, store.DatabaseFile)); err == nil {
			t.Error("the database is in place before prepare has run")
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("a failed prepare: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a failed restore left %v in the data dir", entries)
	}
	// A restore cut short (the process killed) left its staging dir.
	os.MkdirAll(filepath.Join(dir, ".restore-partial"), 0o700)
	os.WriteFile(filepath.Join(dir, ".restore-partial", store.DatabaseFile), []byte("half a copy"), 0o600)
	var seen string
	digest, err := store.Restore(ctx, backup, dir, func(ctx context.Context, db *store.DB, digest string) error {
		seen = digest
		return db.Write(ctx, func(tx *store.Tx) error { return insertOrg(ctx, tx, "o2", "Written by prepare") })
	})
	if err != nil || digest == "" || seen != digest {
		t.Fatalf("restore: %q %v (prepare saw %q)", digest, err, seen)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 || entries[0].Name() != store.DatabaseFile {
		t.Fatalf("the restored data dir holds %v", entries)
	}
	rdb := storetest.OpenConfig(t, store.Config{DataDir: dir})
	var n int
	rdb.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM organisations WHERE id IN ('o1', 'o2')`, nil, &n)
	})
	if n != 2 {
		t.Fatalf("the restored database has %d of the backup's and prepare's rows, want 2", n)
	}
}
