package people

import (
	"context"

	"frontdoor/internal/access"
	"frontdoor/internal/store"
)

// LinkedFactsMany exposes the batched facts of children and perpetrators
// to the external tests, which compare them with one-at-a-time MatchFacts.
func (s *Service) LinkedFactsMany(ctx context.Context, tx *store.Tx, actor access.Actor, childIDs, perpetratorIDs []string) (map[string]access.Record, error) {
	out := map[string]access.Record{}
	children, err := s.childFactsMany(ctx, tx, actor, childIDs)
	if err != nil {
		return nil, err
	}
	for id, f := range children {
		out[id] = f.rec
	}
	perps, err := s.perpetratorFactsMany(ctx, tx, actor, perpetratorIDs)
	if err != nil {
		return nil, err
	}
	for id, f := range perps {
		out[id] = f.rec
	}
	return out, nil
}
