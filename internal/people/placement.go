package people

import (
	"context"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
)

// Placement is what a client's record says about who would move into
// refuge with them: the client's recorded gender (as typed, "" when not
// recorded) and the children linked to them that the actor may read. The
// accommodation service checks a declared household against it.
type Placement struct {
	Gender   string
	Children []ChildSummary
}

// Placement reads a client's placement facts inside the caller's
// transaction, with the children only when asked (a vacancy search needs
// the gender alone). The actor must be allowed to read the client.
// Nothing is audited here: the caller records the search or hold it
// serves on the client, in the same transaction.
func (s *Service) Placement(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string, withChildren bool) (Placement, error) {
	rec, c, sealed, err := s.facts(ctx, tx, actor, clientID)
	if err != nil {
		return Placement{}, err
	}
	if d := access.Decide(actor, access.ReadRecord, rec); d.Hidden {
		return Placement{}, errNotFound
	} else if !d.Allow {
		return Placement{}, errs.New(errs.Forbidden, "error.forbidden")
	}
	d, err := s.openDetails(c.ID, sealed[2])
	if err != nil {
		return Placement{}, err
	}
	p := Placement{Gender: d.Gender}
	if withChildren {
		if p.Children, err = s.childrenOf(ctx, tx, actor, clientID); err != nil {
			return Placement{}, err
		}
	}
	return p, nil
}
