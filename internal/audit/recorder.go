package audit

import (
	"context"
	"time"

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
