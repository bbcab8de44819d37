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

// concerning is the condition that an event concerns an organisation: one
// of its staff did it, or it is about one of its staff or the records it
// holds (clients, children, perpetrators). It reads only those tables'
// keys, never what they hold, so that the reviewer's lists are filtered in
// the database: another organisation's flood of events can push nothing
// of theirs out of view. $2 is the organisation.
const concerning = `(actor_id IN (SELECT id FROM staff WHERE organisation_id = $2)
	OR record_id IN (SELECT id FROM staff WHERE organisation_id = $2)
	OR record_id IN (SELECT id FROM clients WHERE organisation_id = $2)
	OR record_id IN (SELECT id FROM children WHERE organisation_id = $2)
	OR record_id IN (SELECT id FROM perpetrators WHERE organisation_id = $2))`

// RecentConcerning returns the events with one of the actions at or after
// since that concern the organisation (see concerning), newest first, at
// most limit of them; older ones are reached with before (a seq; 0 for
// the newest).
func RecentConcerning(ctx context.Context, tx *store.Tx, actions []string, organisationID string, since time.Time, before int64, limit int) ([]Event, error) {
	in, args := store.InList(5, actions)
	if before <= 0 {
		before = 1 << 62
	}
	return collect(ctx, tx, `SELECT `+eventColumns+` FROM audit_events WHERE at >= $1 AND `+concerning+` AND seq < $3 AND action IN (`+in+`)
		ORDER BY seq DESC LIMIT $4`, append([]any{since.UTC().Truncate(time.Microsecond), organisationID, before, clampLimit(limit)}, args...)...)
}

// CountConcerning counts the events with the action at or after since
// that concern the organisation, per actor.
func CountConcerning(ctx context.Context, tx *store.Tx, action, organisationID string, since time.Time) (map[string]int, error) {
	rows, err := tx.Query(ctx, `SELECT actor_id, count(*) FROM audit_events WHERE at >= $1 AND `+concerning+` AND action = $3 GROUP BY actor_id`,
		since.UTC().Truncate(time.Microsecond), organisationID, action)
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

// HistoryPage is how many events an access history page shows; the next
// page starts before the oldest of them.
const HistoryPage = 200

// HistoryBefore is History from before a seq (0: the newest), for paging
// back through a long history.
func HistoryBefore(ctx context.Context, tx *store.Tx, recordID string, before int64, limit int) ([]Event, error) {
	if before <= 0 {
		return History(ctx, tx, recordID, limit)
	}
	return collect(ctx, tx, `SELECT `+eventColumns+` FROM audit_events WHERE record_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
		recordID, before, clampLimit(limit))
}
