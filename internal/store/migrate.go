package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFiles embed.FS

// ErrSchemaTooNew means the database was migrated by a newer frontdoor.
var ErrSchemaTooNew = errors.New("database schema is newer than this frontdoor")

// migrateLockKey is the PostgreSQL advisory lock that serialises
// migrations between nodes starting at the same time.
const migrateLockKey = 0x66726f6e74 // "front"

// Migration is one numbered SQL file for a dialect. A file may hold one
// line "-- data step: QUERY": the SQL above it runs first, then, when
// QUERY counts rows to convert, the migration's DataStep, then the SQL
// below it, all in the migration's transaction.
type Migration struct {
	Version int
	Name    string
	SQL     string
	// Step counts the stored rows the data step must convert; empty when
	// the migration has none. After runs once it has.
	Step, After string
}

// dataStepMarker starts the line that splits a migration around its data
// step.
const dataStepMarker = "-- data step:"

// DataStep is the Go part of a migration, for what SQL cannot do: sealing
// values stored in clear needs the vault's key, which only Go holds. It
// runs inside the migration's transaction.
type DataStep func(ctx context.Context, tx *Tx) error

// ErrDataStepNeeded: a migration must convert stored values in Go, and
// nothing was given to do it (the command that migrated had no master
// key).
var ErrDataStepNeeded = errors.New("this migration converts stored personal data and needs the master key")

// MigrationSealedColumns names the migration that seals what older
// versions kept in clear; its data step is the capabilities' sealing.
const MigrationSealedColumns = "sealed_columns"

// MigrationOutreachSealed names the migration that seals outreach needs'
// areas (keeping a blind index per plan) and sessions' reminder channels;
// its data step is outreach.SealNeedAreasAndReminders.
const MigrationOutreachSealed = "outreach_sealed"

// MigrateOptions are what Migrate does beyond the SQL.
type MigrateOptions struct {
	// Steps are the data steps by migration name (a number can change
	// when branches meet; the name stays).
	Steps map[string]DataStep
	// Through stops after this version (0: the latest), so a test can
	// write rows as an older version stored them.
	Through int
}

// Migrations returns the embedded migrations of d in order. File names are
// NNNN_name.sql; a gap or a duplicate number is an error (a build mistake
// that the storage tests catch).
func Migrations(d Dialect) ([]Migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", name)
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		m := Migration{Version: v, Name: rest, SQL: string(body)}
		if before, after, ok := strings.Cut(m.SQL, "\n"+dataStepMarker); ok {
			query, rest, _ := strings.Cut(after, "\n")
			m.SQL, m.Step, m.After = before, strings.TrimSpace(query), rest
			if m.Step == "" || strings.Contains(m.After, "\n"+dataStepMarker) {
				return nil, fmt.Errorf("migration %s: one %q line with a counting query, at most", name, dataStepMarker)
			}
		}
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations for %s: expected version %d, found %d (%s)", d, i+1, m.Version, m.Name)
		}
	}
	return ms, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at %s NOT NULL
)`

// SchemaStatus says where the database's schema stands against this binary.
type SchemaStatus struct {
	Current int // highest applied version, 0 for an empty database
	Latest  int // highest version this binary knows
}

// UpToDate reports whether nothing is left to apply.
func (s SchemaStatus) UpToDate() bool { return s.Current == s.Latest }

// Status reads the applied schema version without changing anything. A
// database migrated by a newer frontdoor is ErrSchemaTooNew.
func (db *DB) Status(ctx context.Context) (SchemaStatus, error) {
	ms, err := Migrations(db.dialect)
	if err != nil {
		return SchemaStatus{}, err
	}
	st := SchemaStatus{Latest: len(ms)}
	applied, err := db.applied(ctx, db.read)
	if err != nil {
		return st, err
	}
	for v := range applied {
		st.Current = max(st.Current, v)
	}
	return st, checkApplied(applied, ms)
}

// checkApplied refuses a database whose history this binary does not
// recognise: a version it does not have, or one under a different name.
func checkApplied(applied map[int]string, ms []Migration) error {
	for v, name := range applied {
		if v > len(ms) {
			return fmt.Errorf("%w: the database is at schema version %d and this frontdoor knows up to %d; run the newer frontdoor or restore a backup taken before the upgrade", ErrSchemaTooNew, v, len(ms))
		}
		if ms[v-1].Name != name {
			return fmt.Errorf("schema version %d in the database is %q but this frontdoor's is %q; the database belongs to a different build", v, name, ms[v-1].Name)
		}
	}
	return nil
}

// queryer is what *sql.DB and *sql.Tx share.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// applied returns version → name of the applied migrations, or an empty
// map when the migrations table does not exist yet.
func (db *DB) applied(ctx context.Context, q queryer) (map[int]string, error) {
	out := map[int]string{}
	var exists bool
	var err error
	if db.dialect == SQLite {
		var n int
		err = q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
		exists = n > 0
	} else {
		err = q.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists)
	}
	if err != nil || !exists {
		return out, mapErr(db.dialect, err)
	}
	rows, err := q.QueryContext(ctx, `SELECT version, name FROM schema_migrations`)
	if err != nil {
		return nil, mapErr(db.dialect, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			return nil, err
		}
		out[v] = name
	}
	return out, rows.Err()
}

// Migrate applies every migration not yet applied, each in its own
// transaction with its row in schema_migrations, and returns how many it
// applied. Nodes starting together take turns: PostgreSQL through an
// advisory lock, SQLite through its single write lock (BEGIN IMMEDIATE),
// and each re-reads the applied set once it holds the lock. A migration
// with a data step is refused (ErrDataStepNeeded) when it has rows to
// convert: use MigrateWith.
func (db *DB) Migrate(ctx context.Context, now func() time.Time) (int, error) {
	return db.MigrateWith(ctx, now, MigrateOptions{})
}

// MigrateWith is Migrate with the data steps of migrations that convert
// stored values.
func (db *DB) MigrateWith(ctx context.Context, now func() time.Time, o MigrateOptions) (int, error) {
	ms, err := Migrations(db.dialect)
	if err != nil {
		return 0, err
	}
	if o.Through > 0 && o.Through < len(ms) {
		ms = ms[:o.Through]
	}
	// Nothing to do is the common case at start: check without DDL, so a
	// node can run as a database role that may not create tables (the one
	// that owns the schema runs 'frontdoor migrate').
	if st, err := db.Status(ctx); err != nil {
		return 0, err
	} else if st.Current >= len(ms) {
		return 0, nil
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return 0, mapErr(db.dialect, err)
	}
	defer conn.Close()
	tsType := "TIMESTAMP"
	if db.dialect == Postgres {
		tsType = "TIMESTAMPTZ"
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
			return 0, mapErr(db.dialect, err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLockKey)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(createMigrationsTable, tsType)); err != nil {
		return 0, mapErr(db.dialect, err)
	}
	all, err := Migrations(db.dialect)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range ms {
		did, err := db.applyOne(ctx, conn, all, m, o.Steps[m.Name], now())
		if err != nil {
			return n, err
		}
		if did {
			n++
		}
	}
	return n, nil
}

func (db *DB) applyOne(ctx context.Context, conn *sql.Conn, ms []Migration, m Migration, step DataStep, at time.Time) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, mapErr(db.dialect, err)
	}
	defer tx.Rollback()
	applied, err := db.applied(ctx, tx)
	if err != nil {
		return false, err
	}
	if err := checkApplied(applied, ms); err != nil {
		return false, err
	}
	if _, done := applied[m.Version]; done {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, mapErr(db.dialect, err))
	}
	if m.Step != "" {
		var rows int64
		if err := tx.QueryRowContext(ctx, m.Step).Scan(&rows); err != nil {
			return false, fmt.Errorf("migration %04d_%s: count for its data step: %w", m.Version, m.Name, mapErr(db.dialect, err))
		}
		if rows > 0 {
			if step == nil {
				return false, fmt.Errorf("migration %04d_%s: %w: run 'frontdoor migrate' with the key (see docs/operations.md)", m.Version, m.Name, ErrDataStepNeeded)
			}
			if err := step(ctx, &Tx{tx: tx, dialect: db.dialect}); err != nil {
				return false, fmt.Errorf("migration %04d_%s: data step: %w", m.Version, m.Name, err)
			}
		}
		if strings.TrimSpace(m.After) != "" {
			if _, err := tx.ExecContext(ctx, m.After); err != nil {
				return false, fmt.Errorf("migration %04d_%s, after its data step: %w", m.Version, m.Name, mapErr(db.dialect, err))
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, at.UTC()); err != nil {
		return false, mapErr(db.dialect, err)
	}
	return true, mapErr(db.dialect, tx.Commit())
}

// VersionBefore is the schema version just before the migration named
// name: what a test migrates through to write rows as older versions did.
func VersionBefore(d Dialect, name string) (int, error) {
	ms, err := Migrations(d)
	if err != nil {
		return 0, err
	}
	for _, m := range ms {
		if m.Name == name {
			return m.Version - 1, nil
		}
	}
	return 0, fmt.Errorf("no migration named %q", name)
}

// ConvertRows is for data steps: it runs query for batches of rows and
// calls convert with each row's columns, until a batch comes back empty.
// The query's first column is a unique key it is ordered by, and $1 is
// the last key of the batch before (” for the first), with a LIMIT: a
// batch is read whole and its rows closed before convert runs, so convert
// may write in the same transaction and memory stays bounded.
func ConvertRows(ctx context.Context, tx *Tx, query string, convert func(cols []sql.NullString) error) error {
	last := ""
	for {
		rows, err := tx.Query(ctx, query, last)
		if err != nil {
			return err
		}
		names, err := rows.Columns()
		if err != nil {
			rows.Close()
			return err
		}
		var batch [][]sql.NullString
		for rows.Next() {
			cols := make([]sql.NullString, len(names))
			dest := make([]any, len(cols))
			for i := range cols {
				dest[i] = &cols[i]
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, cols)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for _, cols := range batch {
			if err := convert(cols); err != nil {
				return err
			}
		}
		last = batch[len(batch)-1][0].String
	}
}

// RewriteRows is ConvertRows that writes for you: convert returns the new
// values of the columns set for a row (the query's first column is the
// key, in column key of table), and each batch is written with a few
// UPDATE ... FROM (VALUES ...) statements instead of one a row, a round
// trip each (on PostgreSQL, ten times slower).
func RewriteRows(ctx context.Context, tx *Tx, query, table, key string, set []string, convert func(cols []sql.NullString) ([]any, error)) error {
	const perStatement = 100 // SQLite parses long parameter lists slowly
	var pending [][]any
	flush := func() error {
		for len(pending) > 0 {
			chunk := pending[:min(perStatement, len(pending))]
			pending = pending[len(chunk):]
			var q strings.Builder
			q.WriteString("UPDATE " + table + " SET ")
			for i, c := range set {
				if i > 0 {
					q.WriteString(", ")
				}
				fmt.Fprintf(&q, "%s = v.column%d", c, i+2)
			}
			q.WriteString(" FROM (VALUES ")
			args := make([]any, 0, len(chunk)*(len(set)+1))
			for i, row := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(" + Placeholders(len(args)+1, len(row)) + ")")
				args = append(args, row...)
			}
			fmt.Fprintf(&q, ") AS v WHERE %s.%s = v.column1", table, key)
			if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
				return err
			}
		}
		return nil
	}
	err := ConvertRows(ctx, tx, query, func(cols []sql.NullString) error {
		vals, err := convert(cols)
		if err != nil {
			return err
		}
		if len(vals) != len(set) {
			return fmt.Errorf("store: RewriteRows: %d values for %d columns", len(vals), len(set))
		}
		pending = append(pending, append([]any{cols[0].String}, vals...))
		if len(pending) >= 5*perStatement {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}
