package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Shared errors. Capability packages test for these with errors.Is and never
// look at driver errors themselves.
var (
	ErrNotFound      = errors.New("store: not found")
	ErrUnique        = errors.New("store: unique constraint violated")
	ErrForeignKey    = errors.New("store: foreign key violated")
	ErrCheck         = errors.New("store: check constraint violated")
	ErrBusy          = errors.New("store: database busy")
	ErrSerialization = errors.New("store: serialization failure")
	ErrReadOnly      = errors.New("store: attempt to write in a read transaction")
)

// dbError keeps the driver's error as the cause while matching a shared one.
type dbError struct {
	kind  error
	cause error
}

func (e *dbError) Error() string        { return fmt.Sprintf("%v: %v", e.kind, e.cause) }
func (e *dbError) Is(target error) bool { return target == e.kind }
func (e *dbError) Unwrap() error        { return e.cause }

func retryable(err error) bool {
	return errors.Is(err, ErrBusy) || errors.Is(err, ErrSerialization)
}

// mapErr turns a driver error into one of the shared errors, keeping the
// original as the cause. Errors it does not know pass through unchanged.
func mapErr(d Dialect, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &dbError{ErrNotFound, err}
	}
	var kind error
	switch d {
	case SQLite:
		var se *sqlite.Error
		if errors.As(err, &se) {
			switch se.Code() {
			case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_BUSY_SNAPSHOT, sqlite3.SQLITE_BUSY_RECOVERY,
				sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_LOCKED_SHAREDCACHE:
				kind = ErrBusy
			case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
				kind = ErrUnique
			case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
				kind = ErrForeignKey
			case sqlite3.SQLITE_CONSTRAINT_CHECK:
				kind = ErrCheck
			case sqlite3.SQLITE_READONLY:
				kind = ErrReadOnly
			}
		}
	case Postgres:
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			switch pe.Code {
			case "23505":
				kind = ErrUnique
			case "23503":
				kind = ErrForeignKey
			case "23514":
				kind = ErrCheck
			case "40001", "40P01": // serialization_failure, deadlock_detected
				kind = ErrSerialization
			case "55P03": // lock_not_available
				kind = ErrBusy
			case "25006": // read_only_sql_transaction
				kind = ErrReadOnly
			}
		}
	}
	if kind == nil {
		return err
	}
	return &dbError{kind, err}
}
