package people

import (
	"context"
	"slices"
	"sync"

	"frontdoor/internal/access"
)

// A page that shows one client through several services (the case page:
// the record, risk history, cases, timeline) has each service decide
// access in its own read, and each decision reads the same facts: eight
// queries a time. RememberFacts lets the request read them once.
//
// Only a request that reads, and changes nothing before it has shown what
// it read, may use it: the facts it keeps are those of the request's
// first decision, some milliseconds older than the later reads. Only
// read transactions use them (a write in the same request decides on its
// own facts). Every read is still decided and recorded in the audit
// trail; only the queries behind the decision are shared.
type factsMemoKey struct{}

type factsMemo struct {
	mu    sync.Mutex
	actor access.Actor
	set   bool
	facts map[string]*clientFacts
}

// RememberFacts returns a context in which the clients' access facts read
// for one actor are kept for the rest of the request.
func RememberFacts(ctx context.Context) context.Context {
	return context.WithValue(ctx, factsMemoKey{}, &factsMemo{facts: map[string]*clientFacts{}})
}

// memoFor is the request's memo when it was read for this actor (another
// actor in the same request, which does not happen, reads afresh).
func memoFor(ctx context.Context, actor access.Actor) *factsMemo {
	m, _ := ctx.Value(factsMemoKey{}).(*factsMemo)
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.set {
		m.actor, m.set = actor, true
	}
	if !sameActor(m.actor, actor) {
		return nil
	}
	return m
}

func sameActor(a, b access.Actor) bool {
	return a.StaffID == b.StaffID && a.Role == b.Role && a.OrganisationID == b.OrganisationID && slices.Equal(a.TeamIDs, b.TeamIDs)
}

// take moves the remembered facts of ids into out (copies: callers fill
// in the clients they get) and returns the ids it does not hold.
func (m *factsMemo) take(ids []string, out map[string]*clientFacts) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var missing []string
	for _, id := range ids {
		if f, ok := m.facts[id]; ok {
			out[id] = f.clone()
		} else {
			missing = append(missing, id)
		}
	}
	return missing
}

func (m *factsMemo) keep(got map[string]*clientFacts) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, f := range got {
		m.facts[id] = f.clone()
	}
}

func (f *clientFacts) clone() *clientFacts {
	c := *f.client
	c.Workers = slices.Clone(c.Workers)
	c.RestrictedTo = slices.Clone(c.RestrictedTo)
	r := f.rec
	r.TeamIDs = slices.Clone(r.TeamIDs)
	r.PartnerTeamIDs = slices.Clone(r.PartnerTeamIDs)
	r.AssignedStaff = slices.Clone(r.AssignedStaff)
	r.SharedAgencies = slices.Clone(r.SharedAgencies)
	r.RestrictedTo = slices.Clone(r.RestrictedTo)
	return &clientFacts{rec: r, client: &c, sealed: f.sealed}
}
