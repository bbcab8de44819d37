package audit

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"frontdoor/internal/store"
)

// DefaultLimit is the number of events a history query returns when the
// caller passes no limit; MaxLimit the most it ever returns at once.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

const eventColumns = `seq, id, at, actor_id, action, record_kind, record_id, purpose, request_id, prev_mac, mac`

func scanEvent(rows *sql.Rows) (Event, error) {
	var e Event
	err := rows.Scan(&e.Seq, &e.ID, &e.At, &e.ActorID, &e.Action, &e.RecordKind, &e.RecordID, &e.Purpose, &e.RequestID, &e.prev, &e.MAC)
	e.At = e.At.UTC()
	return e, err
}

func collect(ctx context.Context, tx *store.Tx, query string, args ...any) ([]Event, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

func clampLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultLimit
	case limit > MaxLimit:
		return MaxLimit
	}
	return limit
}

// History returns the events about one record, newest first, at most limit
// of them (0 means DefaultLimit): the record's access history. Showing it
// is itself a read the caller audits.
func History(ctx context.Context, tx *store.Tx, recordID string, limit int) ([]Event, error) {
	return collect(ctx, tx, `SELECT `+eventColumns+` FROM audit_events WHERE record_id = $1 ORDER BY seq DESC LIMIT $2`,
		recordID, clampLimit(limit))
}

// ByActor returns the events done by one member of staff, newest first, at
// most limit of them (0 means DefaultLimit). An empty actorID lists the
// system's and anonymous callers' events.
func ByActor(ctx context.Context, tx *store.Tx, actorID string, limit int) ([]Event, error) {
	return collect(ctx, tx, `SELECT `+eventColumns+` FROM audit_events WHERE actor_id = $1 ORDER BY seq DESC LIMIT $2`,
		actorID, clampLimit(limit))
}

// Recent returns the events with the given action at or after since, newest
// first, at most limit of them (0 means DefaultLimit); for example every
// "breakglass.open" of the last 30 days. An empty action means any action.
func Recent(ctx context.Context, tx *store.Tx, action string, since time.Time, limit int) ([]Event, error) {
	since = since.UTC().Truncate(time.Microsecond) // as stored
	if action == "" {
		return collect(ctx, tx, `SELECT `+eventColumns+` FROM audit_events WHERE at >= $1 ORDER BY seq DESC LIMIT $2`,
			since, clampLimit(limit))
	}
	return collect(ctx, tx, `SELECT `+eventColumns+` FROM audit_events WHERE action = $1 AND at >= $2 ORDER BY seq DESC LIMIT $3`,
		action, since, clampLimit(limit))
}

// CountByActor counts the events with the given action at or after since,
// per actor: how many refusals each account met today, for instance.
func CountByActor(ctx context.Context, tx *store.Tx, action string, since time.Time) (map[string]int, error) {
	rows, err := tx.Query(ctx, `SELECT actor_id, count(*) FROM audit_events WHERE action = $1 AND at >= $2 GROUP BY actor_id`,
		action, since.UTC().Truncate(time.Microsecond))
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var actor string
		var n int
		if err := rows.Scan(&actor, &n); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		out[actor] = n
	}
	return out, rows.Err()
}
