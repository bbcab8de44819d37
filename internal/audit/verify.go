package audit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"frontdoor/internal/store"
)

// Report is the outcome of a verification that found the chain intact.
type Report struct {
	Events  int64     // events checked
	LastSeq int64     // seq of the last event (0 for an empty trail)
	LastID  string    // ID of the last event
	LastAt  time.Time // time of the last event
	LastMAC string    // MAC of the last event (Genesis for an empty trail)
}

// Checkpoint returns where the verified chain ended. Kept outside the
// database (a log, a ticket, a printout), it lets a later VerifyCheckpoint
// prove that no event up to it was removed since.
func (r Report) Checkpoint() Checkpoint { return Checkpoint{Seq: r.LastSeq, MAC: r.LastMAC} }

// Checkpoint names one event of the chain by seq and MAC.
type Checkpoint struct {
	Seq int64
	MAC string
}

// String is "seq:mac", the form ParseCheckpoint reads.
func (c Checkpoint) String() string { return strconv.FormatInt(c.Seq, 10) + ":" + c.MAC }

// ParseCheckpoint reads "seq:mac" as Checkpoint.String writes it.
func ParseCheckpoint(s string) (Checkpoint, error) {
	seq, mac, ok := strings.Cut(strings.TrimSpace(s), ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n < 0 || len(mac) != len(Genesis) || strings.Trim(mac, "0123456789abcdef") != "" {
		return Checkpoint{}, fmt.Errorf("checkpoint %q: want seq:mac as 'frontdoor audit verify' prints it", s)
	}
	return Checkpoint{Seq: n, MAC: mac}, nil
}

// Reason says how the chain is broken.
type Reason string

const (
	// ReasonEdited: the event's MAC does not match its contents (a field,
	// its link or its MAC was changed, or it replaced the real event).
	ReasonEdited Reason = "edited"
	// ReasonMissing: there is no event with this seq although later ones
	// (or the chain head, or a checkpoint) say there was.
	ReasonMissing Reason = "missing (deleted)"
	// ReasonInserted: an event that does not belong to the chain: its MAC
	// is wrong and the chain carries on as if it were not there, or it lies
	// beyond the chain head.
	ReasonInserted Reason = "inserted"
	// ReasonOutOfOrder: an authentic event, but not at its place in the
	// chain (seqs were swapped or renumbered).
	ReasonOutOfOrder Reason = "out of order"
	// ReasonHead: the chain head does not name the last event.
	ReasonHead Reason = "head does not match"
	// ReasonCheckpoint: an intact chain whose event differs from a
	// checkpoint taken earlier: the trail was rebuilt by someone holding
	// the key, or the checkpoint belongs to another database.
	ReasonCheckpoint Reason = "differs from the checkpoint"
)

// BrokenError is what Verify returns when the chain is broken: the first
// broken event, by seq and (where there is one) ID, and the reason.
type BrokenError struct {
	Seq     int64
	EventID string // empty when the event is missing
	Reason  Reason
	Detail  string // one more sentence, free of personal data
}

func (e *BrokenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "audit chain broken at event %d", e.Seq)
	if e.EventID != "" {
		fmt.Fprintf(&b, " (id %s)", e.EventID)
	}
	fmt.Fprintf(&b, ": %s", e.Reason)
	if e.Detail != "" {
		fmt.Fprintf(&b, "; %s", e.Detail)
	}
	return b.String()
}

// verifyChunk is how many events one read transaction fetches: memory
// stays bounded and no snapshot is held for the whole walk.
const verifyChunk = 2000

// renumberWindow is how far classify looks for events deleted and hidden by
// renumbering the later ones.
const renumberWindow = 64

// Verify walks the whole trail in seq order, a chunk at a time, and checks
// that seqs run 1, 2, 3, ... without a gap, that each event links to the
// MAC before it, that each MAC is right under key, and that the chain head
// names the last event. It returns the first problem as a *BrokenError.
// It runs beside live appenders: events committed during the walk are
// checked up to the head read at its end.
//
// An intact chain proves that no event was changed, inserted, reordered or
// removed from the middle. Removing the newest events and moving the head
// back to the new last one leaves an intact (shorter) chain; to catch that,
// keep Report.Checkpoint outside the database and pass it to
// VerifyCheckpoint later.
func Verify(ctx context.Context, db *store.DB, key []byte) (Report, error) {
	return VerifyCheckpoint(ctx, db, key, Checkpoint{})
}

// VerifyCheckpoint is Verify that also requires the event cp names (a
// checkpoint from an earlier verification) to be still there, unchanged.
// A zero cp checks nothing more than Verify.
func VerifyCheckpoint(ctx context.Context, db *store.DB, key []byte, cp Checkpoint) (Report, error) {
	if len(key) < MinKeyLen {
		return Report{}, ErrKey
	}
	v := &verifier{db: db, m: newMAC(key), next: 1, prev: Genesis, cursor: math.MinInt64, cp: cp}
	v.rep.LastMAC = Genesis
	f, err := v.walk(ctx, math.MaxInt64)
	if err != nil {
		return Report{}, err
	}
	var h head
	if f == nil {
		if h, err = v.head(ctx); err != nil {
			return Report{}, err
		}
		if h.found && h.seq > v.rep.LastSeq {
			// Events committed while we walked, up to the head read now.
			if f, err = v.walk(ctx, h.seq); err != nil {
				return Report{}, err
			}
		}
	}
	if f != nil {
		be, err := v.classify(ctx, f)
		if err != nil {
			return Report{}, err
		}
		return Report{}, be
	}
	last := v.rep
	switch {
	case !h.found:
		return Report{}, &BrokenError{Seq: last.LastSeq, EventID: last.LastID, Reason: ReasonHead, Detail: "the chain head row is missing"}
	case h.seq > last.LastSeq:
		return Report{}, &BrokenError{Seq: last.LastSeq + 1, Reason: ReasonMissing, Detail: fmt.Sprintf("the chain head says there are %d events", h.seq)}
	case h.seq < last.LastSeq:
		return Report{}, &BrokenError{Seq: last.LastSeq, EventID: last.LastID, Reason: ReasonHead, Detail: fmt.Sprintf("the chain head stops at event %d", h.seq)}
	case h.mac != last.LastMAC:
		return Report{}, &BrokenError{Seq: last.LastSeq, EventID: last.LastID, Reason: ReasonHead, Detail: "the chain head holds another MAC"}
	}
	if cp.Seq > last.LastSeq {
		return Report{}, &BrokenError{Seq: last.LastSeq + 1, Reason: ReasonMissing, Detail: fmt.Sprintf("the checkpoint says event %d existed", cp.Seq)}
	}
	return last, nil
}

type verifier struct {
	db     *store.DB
	m      *mac
	next   int64  // the seq the next event must have
	prev   string // the MAC the next event must link to
	cursor int64  // last seq read
	cp     Checkpoint
	rep    Report
	buf    []Event
}

// failure is the first problem the walk met, before classify names it.
type failure struct {
	missing int64  // a seq with no event
	row     *Event // or an event that fails a check
	prev    string // the MAC the event should have linked to
	valid   bool   // its MAC is right for its own contents and seq
	linked  bool   // it links to the event before it
	reason  Reason // set when already known
}

// walk checks events after the cursor with seq <= upTo, chunk by chunk,
// and returns the first failure.
func (v *verifier) walk(ctx context.Context, upTo int64) (*failure, error) {
	for {
		err := v.db.Read(ctx, func(tx *store.Tx) error {
			v.buf = v.buf[:0]
			rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3`,
				v.cursor, upTo, verifyChunk)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				e, err := scanEvent(rows)
				if err != nil {
					return err
				}
				v.buf = append(v.buf, e)
			}
			return rows.Err()
		})
		if err != nil {
			return nil, fmt.Errorf("audit verify: %w", err)
		}
		for i := range v.buf {
			if f := v.check(&v.buf[i]); f != nil {
				return f, nil
			}
		}
		if len(v.buf) < verifyChunk {
			return nil, nil
		}
		v.cursor = v.buf[len(v.buf)-1].Seq
	}
}

// check verifies one event against the chain so far and, when it passes,
// makes it the chain's end.
func (v *verifier) check(e *Event) *failure {
	if e.Seq > v.next {
		return &failure{missing: v.next}
	}
	valid := e.Seq > 0 && v.m.sum(e.prev, e) == e.MAC
	linked := e.prev == v.prev
	if e.Seq < v.next || !valid || !linked {
		r := *e
		return &failure{row: &r, prev: v.prev, valid: valid, linked: linked}
	}
	if v.cp.Seq == e.Seq && v.cp.MAC != e.MAC {
		r := *e
		return &failure{row: &r, reason: ReasonCheckpoint}
	}
	v.next++
	v.prev = e.MAC
	v.cursor = e.Seq
	v.rep = Report{Events: v.rep.Events + 1, LastSeq: e.Seq, LastID: e.ID, LastAt: e.At, LastMAC: e.MAC}
	return nil
}

// classify names a failure. Only the first problem is named, so the extra
// queries here (one may scan the table) run at most once per Verify.
func (v *verifier) classify(ctx context.Context, f *failure) (*BrokenError, error) {
	if f.row == nil {
		return &BrokenError{Seq: f.missing, Reason: ReasonMissing}, nil
	}
	r := f.row
	be := &BrokenError{Seq: r.Seq, EventID: r.ID, Reason: f.reason}
	if f.reason != "" {
		return be, nil
	}
	if f.valid && !f.linked {
		// Authentic at its seq, yet not after the event before it: two
		// chains made with the same key were mixed.
		be.Reason, be.Detail = ReasonOutOfOrder, "an authentic event that does not follow the one before it"
		return be, nil
	}
	// Moved? An authentic event still verifies at the seq it was made with,
	// one after its real predecessor (found by the MAC it links to).
	if s, err := v.trueSeq(ctx, r, 0); err != nil {
		return nil, err
	} else if s > 0 && s != r.Seq && v.m.sumAt(r.prev, s, r) == r.MAC {
		be.Reason, be.Detail = ReasonOutOfOrder, fmt.Sprintf("it was made as event %d", s)
		return be, nil
	}
	if !f.linked && r.Seq > 0 {
		// Deleted, and the later events renumbered down to close the gap?
		// Then r verifies a little further up than where it sits now.
		for d := int64(1); d <= renumberWindow; d++ {
			if v.m.sumAt(r.prev, r.Seq+d, r) == r.MAC {
				return &BrokenError{Seq: r.Seq, Reason: ReasonMissing,
					Detail: fmt.Sprintf("the events after it were renumbered down by %d to hide the gap", d)}, nil
			}
		}
	}
	h, err := v.head(ctx)
	if err != nil {
		return nil, err
	}
	if r.Seq < 1 || (h.found && r.Seq > h.seq) {
		be.Reason, be.Detail = ReasonInserted, "it lies outside the chain's run of seqs"
		return be, nil
	}
	// Inserted? Then the chain carries on from the event before it as if it
	// were not there.
	next, ok, err := v.eventWhere(ctx, `seq = $1`, r.Seq+1)
	if err != nil {
		return nil, err
	}
	if ok && next.prev == f.prev && f.prev != r.MAC {
		be.Reason, be.Detail = ReasonInserted, "the next event links to the one before it"
		return be, nil
	}
	be.Reason = ReasonEdited
	return be, nil
}

// trueSeq finds the seq r was made with: one after the event whose MAC r
// links to, if that one is authentic where it is, or, a few steps back, at
// the place it in turn was made for. 0 when there is no answer.
func (v *verifier) trueSeq(ctx context.Context, r *Event, depth int) (int64, error) {
	if r.prev == Genesis {
		return 1, nil
	}
	p, ok, err := v.eventWhere(ctx, `mac = $1`, r.prev)
	if err != nil || !ok {
		return 0, err
	}
	if p.Seq > 0 && v.m.sum(p.prev, &p) == p.MAC {
		return p.Seq + 1, nil
	}
	if depth < 4 {
		ps, err := v.trueSeq(ctx, &p, depth+1)
		if err != nil {
			return 0, err
		}
		if ps > 0 && v.m.sumAt(p.prev, ps, &p) == p.MAC {
			return ps + 1, nil
		}
	}
	return 0, nil
}

func (v *verifier) eventWhere(ctx context.Context, cond string, arg any) (Event, bool, error) {
	var out []Event
	err := v.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = collect(ctx, tx, `SELECT `+eventColumns+` FROM audit_events WHERE `+cond+` ORDER BY seq LIMIT 1`, arg)
		return err
	})
	if err != nil || len(out) == 0 {
		return Event{}, false, err
	}
	return out[0], true, nil
}

type head struct {
	found bool
	seq   int64
	mac   string
}

func (v *verifier) head(ctx context.Context) (head, error) {
	var h head
	err := v.db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT seq, mac FROM audit_head WHERE id = 1`, nil, &h.seq, &h.mac)
	})
	if errors.Is(err, store.ErrNotFound) {
		return head{}, nil
	}
	if err != nil {
		return head{}, fmt.Errorf("audit verify: read the chain head: %w", err)
	}
	h.found = true
	return h, nil
}
