package audit

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"frontdoor/internal/store"
)

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("audit: the batcher is closed")

// BatcherOptions tune a Batcher. The zero value is sensible.
type BatcherOptions struct {
	// MaxBatch bounds the events committed in one transaction (default
	// 256). A request is never split: one larger than MaxBatch goes alone.
	MaxBatch int
	// MaxDelay lets a batch wait up to this long for more requests before
	// it commits, but only while the batcher is busy (the previous batch
	// carried more than one request). An idle batcher never waits: the
	// first request goes out at once. Zero (the default) never waits;
	// batching then comes from the requests that arrive while a commit is
	// in flight, which under load is most of them.
	MaxDelay time.Duration
	// Timeout bounds one batch's transaction, retries included (default 30s).
	Timeout time.Duration
	// Now is the clock for events recorded without a time (default time.Now).
	Now func() time.Time
}

// BatcherStats counts a Batcher's work since it started.
type BatcherStats struct {
	Requests int64 // Record calls committed (or failed) through a batch
	Events   int64 // events committed
	Batches  int64 // transactions committed (failed ones excluded)
	Failed   int64 // requests that got an error from the database
}

// Batcher is group commit for the audit trail: Record calls from many
// requests are gathered and appended in one write transaction, each caller
// waiting until its batch has committed. An audited read (a case page) that
// has no write transaction of its own so pays a share of one commit, not a
// commit each. One goroutine does the work; a batch starts as soon as the
// previous commit ends, taking every request that queued meanwhile.
//
// A Batcher holds only in-flight requests: the chain itself lives in the
// database, so any number of nodes can each run one.
type Batcher struct {
	db   *store.DB
	key  []byte
	opts BatcherOptions

	reqs chan *request
	quit chan struct{}
	done chan struct{}

	mu     sync.RWMutex // held for reading while a Record hands over its request
	closed bool

	requests, events, batches, failed atomic.Int64
}

type request struct {
	ctx    context.Context
	events []Event
	res    chan error // buffered: the batcher never waits for the caller
}

// NewBatcher starts a Batcher that appends to db's chain under key. Close
// it to flush and stop.
func NewBatcher(db *store.DB, key []byte, opts BatcherOptions) *Batcher {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	b := &Batcher{
		db:   db,
		key:  append([]byte(nil), key...),
		opts: opts,
		reqs: make(chan *request, opts.MaxBatch),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	go b.run()
	return b
}

// Record appends events to the trail and returns once they are durably
// committed, or with the error their batch got. Events without a time get
// the time of the call. The events of one call commit together or not at
// all; an invalid event fails only its own call.
//
// If ctx ends while Record waits, Record returns ctx.Err() at once, but
// the events may still be committed: a batch already under way is not
// called back. (A request whose context has ended before its batch starts
// is dropped.) So an error from Record means "not known to be recorded":
// the caller must not go on as if it were (e.g. must not show the record),
// yet the trail may show the event.
func (b *Batcher) Record(ctx context.Context, events ...Event) error {
	if len(b.key) < MinKeyLen {
		return ErrKey
	}
	if len(events) == 0 {
		return nil
	}
	evs := make([]Event, len(events))
	now := b.opts.Now()
	for i, e := range events {
		if err := e.Validate(); err != nil {
			return err
		}
		if e.At.IsZero() {
			e.At = now
		}
		evs[i] = e
	}
	r := &request{ctx: ctx, events: evs, res: make(chan error, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrClosed
	}
	select {
	case b.reqs <- r:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-r.res:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close commits every request already handed over, then stops the
// batcher. Record after Close returns ErrClosed. Close is safe to call more
// than once.
func (b *Batcher) Close() error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.quit)
	}
	b.mu.Unlock()
	<-b.done
	return nil
}

// Stats returns the counters, for metrics and tests.
func (b *Batcher) Stats() BatcherStats {
	return BatcherStats{
		Requests: b.requests.Load(),
		Events:   b.events.Load(),
		Batches:  b.batches.Load(),
		Failed:   b.failed.Load(),
	}
}

func (b *Batcher) run() {
	defer close(b.done)
	busy := false
	var carry *request // taken from the queue but left for the next batch
	for {
		var batch []*request
		n := 0
		add := func(r *request) bool {
			if len(batch) > 0 && n+len(r.events) > b.opts.MaxBatch {
				carry = r
				return false
			}
			batch = append(batch, r)
			n += len(r.events)
			return n < b.opts.MaxBatch
		}
		if carry != nil {
			r := carry
			carry = nil
			add(r)
		} else {
			select {
			case r := <-b.reqs:
				add(r)
			case <-b.quit:
				// Every Record that got past the closed check has handed
				// its request over by now (Close waited for them).
				b.drain()
				return
			}
		}
		// Take whatever queued while the last commit was in flight.
	gather:
		for carry == nil && n < b.opts.MaxBatch {
			select {
			case r := <-b.reqs:
				if !add(r) {
					break gather
				}
			default:
				break gather
			}
		}
		if busy && b.opts.MaxDelay > 0 && carry == nil && n < b.opts.MaxBatch {
			t := time.NewTimer(b.opts.MaxDelay)
		linger:
			for {
				select {
				case r := <-b.reqs:
					if !add(r) {
						break linger
					}
				case <-t.C:
					break linger
				case <-b.quit:
					break linger
				}
			}
			t.Stop()
		}
		busy = len(batch) > 1
		b.commit(batch)
	}
}

// drain commits what is left in the queue after Close.
func (b *Batcher) drain() {
	for {
		var batch []*request
		n := 0
	take:
		for n < b.opts.MaxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
				n += len(r.events)
			default:
				break take
			}
		}
		if len(batch) == 0 {
			return
		}
		b.commit(batch)
	}
}

// commit appends the batch's events in one transaction and answers every
// request. If the batch fails for a reason one request could cause (a
// caller's duplicate event ID, say), each request is tried again in a
// transaction of its own, so one bad request cannot fail the others; a
// failure of the database itself (busy, deadline) fails the batch.
func (b *Batcher) commit(batch []*request) {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.res <- err // its caller has gone: record nothing for it
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	err := b.write(live)
	if err == nil || len(live) == 1 || environmental(err) {
		b.answer(live, err)
		return
	}
	for i, r := range live {
		if err := r.ctx.Err(); err != nil {
			r.res <- err
			continue
		}
		err := b.write([]*request{r})
		b.answer([]*request{r}, err)
		if environmental(err) {
			b.answer(live[i+1:], err)
			return
		}
	}
}

// environmental reports an error that is the database's state, not any
// one request's doing.
func environmental(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, store.ErrBusy) || errors.Is(err, store.ErrSerialization) || errors.Is(err, store.ErrReadOnly) ||
		errors.Is(err, driver.ErrBadConn)
}

func (b *Batcher) write(batch []*request) error {
	var evs []Event
	for _, r := range batch {
		evs = append(evs, r.events...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.opts.Timeout)
	defer cancel()
	err := b.db.Write(ctx, func(tx *store.Tx) error { return Append(ctx, tx, b.key, evs...) })
	if err == nil {
		b.batches.Add(1)
		b.events.Add(int64(len(evs)))
	}
	return err
}

func (b *Batcher) answer(batch []*request, err error) {
	for _, r := range batch {
		b.requests.Add(1)
		if err != nil {
			b.failed.Add(1)
		}
		r.res <- err
	}
}
