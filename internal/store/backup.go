package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrBackupPostgres: PostgreSQL is backed up with its own tools.
var ErrBackupPostgres = errors.New("frontdoor backup copies the embedded SQLite database; for PostgreSQL use pg_dump as the README describes")

// Backup writes a consistent copy of the SQLite database to dst while the
// service keeps running. VACUUM INTO reads one snapshot (writers carry on
// in the WAL) and writes a compact file. The copy appears under its final
// name only once it is complete and passes an integrity check, mode 0600.
func (db *DB) Backup(ctx context.Context, dst string) error {
	if db.dialect != SQLite {
		return ErrBackupPostgres
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s already exists; choose a new file name for the backup", dst)
	}
	tmp := dst + ".partial"
	_ = os.Remove(tmp)
	// VACUUM INTO needs a missing or empty target; an empty file made here
	// carries mode 0600 whatever the umask says.
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("cannot write the backup: %v", errors.Unwrap(err))
	}
	f.Close()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	if _, err := db.read.ExecContext(ctx, `VACUUM INTO $1`, tmp); err != nil {
		// A query_only reader may refuse; the writer can do it too, at the
		// cost of holding this process's write slot for the duration.
		if _, err2 := db.write.ExecContext(ctx, `VACUUM INTO $1`, tmp); err2 != nil {
			return fmt.Errorf("backup failed: %w", mapErr(db.dialect, err2))
		}
	}
	if err := checkSQLiteFile(ctx, tmp); err != nil {
		return fmt.Errorf("the backup copy failed its check: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	ok = true
	return SyncDir(filepath.Dir(dst))
}

// checkSQLiteFile opens a database file read-only and runs SQLite's
// integrity check and frontdoor's schema check on it.
func checkSQLiteFile(ctx context.Context, path string) error {
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		return err
	}
	defer conn.Close()
	var res string
	if err := conn.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("%s is not a frontdoor backup (not an SQLite database)", path)
	}
	if res != "ok" {
		return fmt.Errorf("%s is damaged: %s", path, res)
	}
	db := &DB{dialect: SQLite, read: conn, write: conn}
	applied, err := db.applied(ctx, conn)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		return fmt.Errorf("%s is not a frontdoor backup (no schema history)", path)
	}
	ms, err := Migrations(SQLite)
	if err != nil {
		return err
	}
	return checkApplied(applied, ms)
}

// restoreStage is where Restore builds the restored database inside the
// new data dir; the database takes its place only when complete.
const restoreStage = ".restore-partial"

// Restore puts a backup made by Backup into dataDir, which must be missing
// or empty: restoring over a live data dir would destroy it. It returns
// the SHA-256 of the bytes restored (hex), by which the audit trail names
// the backup.
//
// The copy is opened first in a staging directory inside dataDir and
// prepare (when not nil) runs on it there, given the digest: frontdoor
// ends the sessions and one-time links the backup holds. Only then does
// the database take its place, so a restore cut short leaves no database
// that could honour them (a restore into that dir again starts over).
// The result is a data dir that frontdoor serve opens as it is.
func Restore(ctx context.Context, src, dataDir string, prepare func(ctx context.Context, db *DB, digest string) error) (string, error) {
	if _, err := os.Stat(src); err != nil {
		return "", fmt.Errorf("cannot read the backup %s: %v", src, errors.Unwrap(err))
	}
	if err := checkSQLiteFile(ctx, src); err != nil {
		return "", err
	}
	exists, err := CheckDataDir(dataDir)
	if err != nil {
		return "", err
	}
	stage := filepath.Join(dataDir, restoreStage)
	if exists {
		entries, err := os.ReadDir(dataDir)
		if err != nil {
			return "", err
		}
		if len(entries) == 1 && entries[0].Name() == restoreStage {
			// An earlier restore was cut short: its database never took
			// its place.
			if err := os.RemoveAll(stage); err != nil {
				return "", err
			}
		} else if len(entries) > 0 {
			return "", fmt.Errorf("%s is not empty; restore into a new, empty data dir", dataDir)
		}
	} else if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("cannot create %s: %v", dataDir, errors.Unwrap(err))
	}
	if err := os.Chmod(dataDir, 0o700); err != nil {
		return "", err
	}
	if err := os.Mkdir(stage, 0o700); err != nil {
		return "", err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(stage)
		}
	}()
	staged := filepath.Join(stage, DatabaseFile)
	digest, err := copyFile(src, staged)
	if err != nil {
		return "", err
	}
	// Opening it puts the file in WAL mode like a live one.
	db, err := Open(ctx, Config{DataDir: stage})
	if err != nil {
		return "", err
	}
	if prepare != nil {
		if err := prepare(ctx, db, digest); err != nil {
			db.Close()
			return "", err
		}
	}
	if err := db.Close(); err != nil {
		return "", err
	}
	// Closing the last connection checkpoints the WAL into the file and
	// removes it: the file alone is the whole database.
	entries, err := os.ReadDir(stage)
	if err != nil {
		return "", err
	}
	if len(entries) != 1 {
		return "", fmt.Errorf("the restored database in %s did not close cleanly", stage)
	}
	if err := syncFile(staged); err != nil {
		return "", err
	}
	if err := os.Rename(staged, filepath.Join(dataDir, DatabaseFile)); err != nil {
		return "", err
	}
	ok = true
	if err := os.Remove(stage); err != nil {
		return "", err
	}
	return digest, SyncDir(dataDir)
}

// copyFile copies src to a new file dst, mode 0600, and returns the
// SHA-256 (hex) of what it copied.
func copyFile(src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", err
	}
	sum := sha256.New()
	if _, err := io.Copy(io.MultiWriter(out, sum), in); err != nil {
		out.Close()
		os.Remove(dst)
		return "", err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return "", err
	}
	return hex.EncodeToString(sum.Sum(nil)), out.Close()
}

// FileDigest is the SHA-256 (hex) of a file: how the audit trail names a
// backup restored with other tools (pg_restore of a pg_dump file).
func FileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return "", fmt.Errorf("cannot read %s: %v", path, err)
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// SyncDir makes a rename or new file in dir durable: without it a power
// cut can lose a file that was already reported written.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return err
	}
	return nil
}
