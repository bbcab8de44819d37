package refuge

import (
	"context"
	"slices"

	"frontdoor/internal/access"
	"frontdoor/internal/store"
)

// Team is a team a property may be run by, for the property form.
type Team struct{ ID, Name string }

func (t *Team) Dest() []any { return []any{&t.ID, &t.Name} }

// PropertyTeams lists the teams the actor may add a property for, by
// name: every team of their organisation for an administrator, their own
// teams for a team manager, none for anyone else (the same rule as
// CreateProperty).
func (s *Service) PropertyTeams(ctx context.Context, actor access.Actor) ([]Team, error) {
	if err := service(actor, access.ManageProperties); err != nil {
		return nil, err
	}
	var out []Team
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		list, err := store.QueryAll[Team](ctx, tx, `SELECT id, name FROM teams WHERE organisation_id = $1 ORDER BY name, id`, actor.OrganisationID)
		out = nil
		for _, t := range list {
			if actor.Role == access.RoleAdministrator || slices.Contains(actor.TeamIDs, t.ID) {
				out = append(out, t)
			}
		}
		return err
	})
	return out, err
}
