package matching

import (
	"context"

	"frontdoor/internal/access"
	"frontdoor/internal/store"
)

// Put records (or replaces) a subject's blocking keys and match profile in
// the caller's transaction, and raises counter-allegation alerts when a
// client matches a recorded perpetrator or a perpetrator matches a client.
// by is the acting staff ID ("" for an inbound referral).
func (x *Index) Put(ctx context.Context, tx *store.Tx, by string, s Subject) ([]Alert, error) {
	return nil, nil
}

// Remove forgets a subject (its record was erased).
func (x *Index) Remove(ctx context.Context, tx *store.Tx, kind Kind, id string) error {
	return nil
}

// Find lists likely matches for a probe within an organisation, best
// first, at most limit. It does not check access: callers show only the
// candidates the policy lets the actor read.
func (x *Index) Find(ctx context.Context, tx *store.Tx, organisationID string, p Probe, limit int) ([]Candidate, error) {
	return nil, nil
}

// Alerts lists the counter-allegation alerts the actor may see: managers,
// and the workers of either record.
func (x *Index) Alerts(ctx context.Context, actor access.Actor) ([]Alert, error) {
	return nil, nil
}

// MarkRead marks an alert read for the actor.
func (x *Index) MarkRead(ctx context.Context, actor access.Actor, alertID string) error {
	return nil
}
