package audit

import (
	"context"
	"time"

	"frontdoor/internal/errs"
	"frontdoor/internal/store"
)

// Recorder appends an event inside the caller's transaction. Capability
// packages take a Recorder rather than the key: they record what happened,
// the wiring decides how (key, clock, request ID).
type Recorder func(ctx context.Context, tx *store.Tx, e Event) error

// NewRecorder returns a Recorder that appends under key, stamping each
// event with now() and, when the context carries one, the request's ID.
func NewRecorder(key []byte, now func() time.Time, requestID func(context.Context) string) Recorder {
	return func(ctx context.Context, tx *store.Tx, e Event) error {
		if e.At.IsZero() {
			e.At = now()
		}
		if e.RequestID == "" && requestID != nil {
			e.RequestID = requestID(ctx)
		}
		return Append(ctx, tx, key, e)
	}
}

// ActionRefused is the action of every refusal's event: the policy said no.
const ActionRefused = "access.refused"

// RefusalEvent is the audit event of a refusal: who was refused what on
// which record, with the policy's reason. The purpose reads
// "<action>: <reason>".
func RefusalEvent(r errs.Refusal) Event {
	return Event{ActorID: r.ActorID, Action: ActionRefused, RecordKind: r.RecordKind, RecordID: r.RecordID, Purpose: r.Action + ": " + r.Reason}
}

// RecordRefusal records the refusal err answers, if it answers one: through
// log by group commit, or without a log in a transaction of its own
// through rec. It returns once the event is in the trail. The refused
// request's own transaction has rolled back by then, so its event needs
// a commit of its own.
func RecordRefusal(ctx context.Context, db *store.DB, rec Recorder, log ReadLog, err error) error {
	r := errs.RefusalOf(err)
	if r == nil {
		return nil
	}
	e := RefusalEvent(*r)
	if log != nil {
		// Not held for a page's deferred reads: the page is not shown.
		return log(context.WithValue(ctx, deferredKey{}, (*deferred)(nil)), e)
	}
	return db.Write(ctx, func(tx *store.Tx) error { return rec(ctx, tx, e) })
}
