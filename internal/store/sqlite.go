package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DatabaseFile is the SQLite file's name inside the data dir.
const DatabaseFile = "frontdoor.db"

// ErrDataDir is wrapped by every data dir problem, each with a message that
// says what to do.
var ErrDataDir = errors.New("data dir")

// CheckDataDir verifies that dir is safe to keep personal data in: a
// directory, owned by the user running frontdoor, and closed to group and
// others. It reports whether it exists; it never changes anything.
func CheckDataDir(dir string) (exists bool, err error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%w %s cannot be read: %v", ErrDataDir, dir, errors.Unwrap(err))
	}
	if !fi.IsDir() {
		return true, fmt.Errorf("%w %s is not a directory; choose another path with --data", ErrDataDir, dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return true, fmt.Errorf("%w %s is owned by another user (uid %d); run frontdoor as that user or choose another --data", ErrDataDir, dir, st.Uid)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return true, fmt.Errorf("%w %s is open to other users (mode %04o); run: chmod 700 %s", ErrDataDir, dir, perm, dir)
	}
	return true, nil
}

func sqliteDSN(path string, readOnly bool) string {
	// WAL lets readers run beside the writer. synchronous(FULL) because
	// "nothing lost" includes a power cut just after a commit. busy_timeout
	// waits for another process's writer (backup, a CLI command) instead of
	// failing at once. _txlock=immediate takes the write lock at BEGIN, so
	// two writers never deadlock upgrading a read lock.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_time_format=sqlite"
	if readOnly {
		dsn += "&_pragma=query_only(1)"
	} else {
		dsn += "&_txlock=immediate"
	}
	return dsn
}

// maxCachedStmts bounds each SQLite pool's prepared statements: frontdoor
// has a few hundred distinct queries.
const maxCachedStmts = 1000

func openSQLite(ctx context.Context, cfg Config) (*DB, error) {
	dir := cfg.DataDir
	if dir == "" {
		return nil, fmt.Errorf("%w: no data dir given; set --data or --database-url", ErrDataDir)
	}
	exists, err := CheckDataDir(dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, DatabaseFile)
	if !exists {
		if !cfg.CreateDataDir {
			return nil, fmt.Errorf("%w %s does not exist; start frontdoor serve first or check --data", ErrDataDir, dir)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("%w %s cannot be created: %v", ErrDataDir, dir, errors.Unwrap(err))
		}
		// MkdirAll is subject to the umask only in the direction of fewer
		// permissions, but say it plainly anyway.
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && !cfg.CreateDataDir {
		return nil, fmt.Errorf("%w %s holds no database; start frontdoor serve first or check --data", ErrDataDir, dir)
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	write, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	read, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		write.Close()
		return nil, err
	}
	n := defaultConns(cfg.MaxConns)
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxLifetime(0)
	db := &DB{dialect: SQLite, write: write, read: read, path: path,
		writeStmts: newStmtCache(write, maxCachedStmts), readStmts: newStmtCache(read, maxCachedStmts)}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("the database %s cannot be opened: %v", path, err)
	}
	// WAL mode is persistent in the file; the writer sets it on first open,
	// before any reader runs.
	var mode string
	if err := write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		db.Close()
		return nil, fmt.Errorf("the database %s is not in WAL mode (%q): %v", path, mode, err)
	}
	return db, nil
}

// createPrivate makes the database file, if missing, with mode 0600 so that
// SQLite does not create it with the process umask. Its -wal and -shm
// companions take the main file's permissions.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("the database %s cannot be opened: %v", path, errors.Unwrap(err))
	}
	return f.Close()
}
