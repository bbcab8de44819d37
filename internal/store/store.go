// Package store opens frontdoor's database, SQLite embedded or PostgreSQL,
// applies the embedded per-dialect migrations and gives the capability
// packages a transaction helper and driver-neutral errors. SQL elsewhere is
// written once with $1 placeholders, which both engines accept.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Dialect names the database engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Config says which database to open.
type Config struct {
	// DataDir holds the SQLite database (and, later, the key file). Used
	// when DatabaseURL is empty.
	DataDir string
	// DatabaseURL selects PostgreSQL: postgres://user:pass@host/db.
	DatabaseURL string
	// MaxConns bounds the PostgreSQL pool (or the SQLite reader pool);
	// zero picks a default from the CPU count.
	MaxConns int
	// CreateDataDir allows making a missing data dir (mode 0700). Commands
	// that must not create anything (backup, readiness) leave it false.
	CreateDataDir bool
}

// DB is an open database with a write path and a read path. On SQLite the
// writer is a single connection (SQLite allows one writer at a time, and a
// pool of one avoids SQLITE_BUSY between our own goroutines); readers are a
// separate pool that WAL lets run beside it. On PostgreSQL both are the
// same pool.
type DB struct {
	dialect Dialect
	write   *sql.DB
	read    *sql.DB
	path    string // SQLite file, for backup
	// Prepared statements of the SQLite pools (nil on PostgreSQL, whose
	// driver keeps its own per connection).
	writeStmts, readStmts *stmtCache
}

// Open opens and checks the database described by cfg. It does not migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.DatabaseURL != "" {
		return openPostgres(ctx, cfg)
	}
	return openSQLite(ctx, cfg)
}

// Dialect reports the engine.
func (db *DB) Dialect() Dialect { return db.dialect }

// Writer is the pool for writes; Reader the pool for reads. Exposed for
// metrics (pool stats) and for the few callers that need a raw handle.
func (db *DB) Writer() *sql.DB { return db.write }
func (db *DB) Reader() *sql.DB { return db.read }

// Close closes both pools.
func (db *DB) Close() error {
	db.writeStmts.close()
	db.readStmts.close()
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return mapErr(db.dialect, err)
	}
	return nil
}

// Tx is a transaction whose errors come back mapped to the shared ones.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
	stmts   *stmtCache
	// queried holds the cached statements this transaction has opened
	// rows on: they may still be open, and the SQLite driver runs one
	// cursor per compiled statement, so the same text runs unprepared
	// for the rest of the transaction.
	queried map[string]bool
	// readOnly: a DB.Read transaction, which cannot write (a read-only
	// transaction on PostgreSQL, a query_only connection on SQLite).
	readOnly bool
}

func (t *Tx) Dialect() Dialect { return t.dialect }

// ReadOnly says whether the transaction is a read (DB.Read): nothing it
// decides can change a record.
func (t *Tx) ReadOnly() bool { return t.readOnly }

// prepared is the transaction's handle on query's cached statement, or
// nil to run query unprepared. rows says the caller will hold the
// statement's rows open.
func (t *Tx) prepared(ctx context.Context, query string, rows bool) *sql.Stmt {
	if t.stmts == nil || t.queried[query] {
		return nil
	}
	st := t.stmts.get(query)
	if st == nil {
		return nil
	}
	if rows {
		if t.queried == nil {
			t.queried = map[string]bool{}
		}
		t.queried[query] = true
	}
	return t.tx.StmtContext(ctx, st)
}

func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var r sql.Result
	var err error
	if st := t.prepared(ctx, query, false); st != nil {
		r, err = st.ExecContext(ctx, args...)
	} else {
		r, err = t.tx.ExecContext(ctx, query, args...)
	}
	return r, mapErr(t.dialect, err)
}

func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	var r *sql.Rows
	var err error
	if st := t.prepared(ctx, query, true); st != nil {
		r, err = st.QueryContext(ctx, args...)
	} else {
		r, err = t.tx.QueryContext(ctx, query, args...)
	}
	return r, mapErr(t.dialect, err)
}

// QueryRow runs a query expected to return one row and scans it into dest.
// No row is ErrNotFound.
func (t *Tx) QueryRow(ctx context.Context, query string, args []any, dest ...any) error {
	var row *sql.Row
	if st := t.prepared(ctx, query, false); st != nil {
		row = st.QueryRowContext(ctx, args...)
	} else {
		row = t.tx.QueryRowContext(ctx, query, args...)
	}
	return mapErr(t.dialect, row.Scan(dest...))
}

// maxAttempts bounds retries of a transaction that lost a race (busy,
// serialization failure, deadlock). The work is re-run from the start, so
// fn must not keep state between attempts.
const maxAttempts = 8

// Write runs fn in a read-write transaction, committing if it returns nil.
// A transaction that failed only because another one won a race is retried
// with a short random backoff; any other error rolls back and returns.
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, db.write, &sql.TxOptions{}, false, fn)
}

// Serializable runs fn at SERIALIZABLE isolation (PostgreSQL; SQLite's
// single writer is serializable already), retrying on serialization
// failures. Use it where a check-then-write must hold across nodes.
//
// On PostgreSQL it first takes the audit chain head's table lock
// (headLock), before its snapshot: every audited transaction updates that
// one row, so a serializable transaction that read it after another
// appender committed would be refused (40001) however often it retried
// under steady traffic. Holding the lock from the start, it sees the
// latest head, and appenders wait for it as they wait for each other.
func (db *DB) Serializable(ctx context.Context, fn func(*Tx) error) error {
	if db.dialect != Postgres {
		return db.run(ctx, db.write, &sql.TxOptions{Isolation: sql.LevelSerializable}, false, fn)
	}
	return db.run(ctx, db.write, &sql.TxOptions{Isolation: sql.LevelSerializable}, false, func(tx *Tx) error {
		// LOCK TABLE takes no snapshot: the first query after it does.
		if _, err := tx.Exec(ctx, headLock); err != nil {
			return err
		}
		return fn(tx)
	})
}

// headLock conflicts with the row lock an audit append takes on the chain
// head (SELECT ... FOR UPDATE) and not with plain reads.
const headLock = `LOCK TABLE audit_head IN EXCLUSIVE MODE`

// Read runs fn in a read-only transaction on the reader pool: one
// consistent snapshot for everything fn reads (SQLite's read
// transactions are; PostgreSQL's at repeatable read, which a read-only
// transaction has at no cost and never fails for).
func (db *DB) Read(ctx context.Context, fn func(*Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	if db.dialect == SQLite {
		// The reader connections are query_only; database/sql's ReadOnly
		// flag is not supported by the SQLite driver.
		opts = nil
	}
	return db.run(ctx, db.read, opts, true, fn)
}

func (db *DB) run(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, readOnly bool, fn func(*Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = db.once(ctx, pool, opts, readOnly, fn)
		if err == nil || !retryable(err) || attempt == maxAttempts || ctx.Err() != nil {
			return err
		}
		// Exponential backoff with jitter, 2 ms doubling to about 250 ms.
		d := time.Duration(1<<min(attempt, 7)) * time.Millisecond
		d += time.Duration(rand.Int64N(int64(d)))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
	}
}

func (db *DB) once(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, readOnly bool, fn func(*Tx) error) (err error) {
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return mapErr(db.dialect, err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	stmts := db.readStmts
	if pool == db.write {
		stmts = db.writeStmts
	}
	if err = fn(&Tx{tx: tx, dialect: db.dialect, stmts: stmts, readOnly: readOnly}); err != nil {
		return err
	}
	return mapErr(db.dialect, tx.Commit())
}

func defaultConns(n int) int {
	if n > 0 {
		return n
	}
	return max(4, 2*runtime.NumCPU())
}

// RedactURL returns a database URL safe to print: no password, no query.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the configured database"
	}
	db := strings.TrimPrefix(u.Path, "/")
	user := ""
	if u.User != nil {
		user = u.User.Username() + "@"
	}
	return fmt.Sprintf("postgres://%s%s/%s", user, u.Host, db)
}

// Row is a row type that says where its columns go, for QueryAll.
type Row[T any] interface {
	*T
	Dest() []any
}

// QueryAll runs a query in the transaction and scans every row into a T.
func QueryAll[T any, P Row[T]](ctx context.Context, tx *Tx, query string, args ...any) ([]T, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var r T
		if err := rows.Scan(P(&r).Dest()...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Placeholders returns "$from, $from+1, ..." for n parameters, the list
// of an IN (...) clause.
func Placeholders(from, n int) string {
	var sb strings.Builder
	for i := range n {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("$" + strconv.Itoa(from+i))
	}
	return sb.String()
}

// InList is an IN (...) list of values as placeholders from $from, and its
// arguments. The list is padded to the next power of two by repeating the
// last value (which changes nothing in an IN), so a query has a handful
// of shapes whatever the list's length and its prepared statement is
// reused. values must not be empty.
func InList(from int, values []string) (string, []any) {
	n := 1
	for n < len(values) {
		n *= 2
	}
	args := make([]any, n)
	for i := range args {
		args[i] = values[min(i, len(values)-1)]
	}
	return Placeholders(from, n), args
}
