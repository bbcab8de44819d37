package audit

import (
	"context"
	"sync"

	"frontdoor/internal/store"
)

// ReadLog records reads of personal data made in a read-only transaction.
// It returns once the events are durably in the trail; until it has, the
// caller shows nothing of what was read.
type ReadLog func(ctx context.Context, events ...Event) error

// NewReadLog records through b's group commit, stamping each event with
// the request's ID when the context carries one. Many pages read at once
// share a commit instead of each taking the database's write lock and
// waiting for a commit of its own.
func NewReadLog(b *Batcher, requestID func(context.Context) string) ReadLog {
	var log ReadLog
	log = func(ctx context.Context, events ...Event) error {
		if d, _ := ctx.Value(deferredKey{}).(*deferred); d != nil {
			d.add(log, events)
			return nil
		}
		if requestID != nil {
			if id := requestID(ctx); id != "" {
				for i := range events {
					if events[i].RequestID == "" {
						events[i].RequestID = id
					}
				}
			}
		}
		return b.Record(ctx, events...)
	}
	return log
}

type deferredKey struct{}

// deferred holds the events of a page's audited reads until FlushDeferred.
type deferred struct {
	mu     sync.Mutex
	log    ReadLog
	events []Event
}

func (d *deferred) add(log ReadLog, events []Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.log = log
	d.events = append(d.events, events...)
}

// Defer returns a context in which reads recorded through a ReadLog are
// held, to be recorded together by FlushDeferred: a page made of several
// audited reads then waits for one commit, not one after another. The
// caller must call FlushDeferred, and show nothing of what was read
// unless it returns nil. Reads recorded in write transactions (no log)
// are not affected.
func Defer(ctx context.Context) context.Context {
	return context.WithValue(ctx, deferredKey{}, &deferred{})
}

// FlushDeferred records the events held under ctx (see Defer) in one
// call, returning once they are committed. It is safe to call more than
// once; a call with nothing held returns nil.
func FlushDeferred(ctx context.Context) error {
	d, _ := ctx.Value(deferredKey{}).(*deferred)
	if d == nil {
		return nil
	}
	d.mu.Lock()
	log, events := d.log, d.events
	d.events = nil
	d.mu.Unlock()
	if len(events) == 0 {
		return nil
	}
	// Recorded outside the deferral, or it would hold them again.
	return log(context.WithValue(ctx, deferredKey{}, (*deferred)(nil)), events...)
}

// Read runs read, an audited read, and records the events it returns
// before returning: with a log, read runs in a read-only transaction (it
// waits for no writer and no writer waits for it) and the events go to the
// log afterwards; with none (tools and tests that run no batcher) read and
// its events share one write transaction through rec. Either way, when Read
// returns nil the events are in the trail, and when the read or the
// recording failed it returns the error, so the caller shows nothing.
//
// read may run more than once (a transaction retried on a busy database):
// it must start from nothing each time.
func Read(ctx context.Context, db *store.DB, rec Recorder, log ReadLog, read func(tx *store.Tx) ([]Event, error)) error {
	if log == nil {
		return db.Write(ctx, func(tx *store.Tx) error {
			evs, err := read(tx)
			if err != nil {
				return err
			}
			for _, e := range evs {
				if err := rec(ctx, tx, e); err != nil {
					return err
				}
			}
			return nil
		})
	}
	var evs []Event
	if err := db.Read(ctx, func(tx *store.Tx) error {
		var err error
		evs, err = read(tx)
		return err
	}); err != nil {
		return err
	}
	return log(ctx, evs...)
}
