package intake

import (
	"context"
	"encoding/json"
	"errors"

	"frontdoor/internal/people"
	"frontdoor/internal/store"
)

// clientCard is what the front door's pages show about a client: names
// and the details document (safe-contact rules, date of birth). Callers
// decide access first.
type clientCard struct {
	Given, Family string
	Details       people.Details
}

func (s *Service) clientCard(ctx context.Context, tx *store.Tx, clientID string) (clientCard, error) {
	var c clientCard
	var given, family, details string
	err := tx.QueryRow(ctx, `SELECT given_name_sealed, family_name_sealed, details_sealed FROM clients WHERE id = $1`, []any{clientID},
		&given, &family, &details)
	if errors.Is(err, store.ErrNotFound) {
		return c, errNotFound
	}
	if err != nil {
		return c, err
	}
	if c.Given, err = s.Vault.OpenString(given, "clients", clientID, "given_name"); err != nil {
		return c, err
	}
	if c.Family, err = s.Vault.OpenString(family, "clients", clientID, "family_name"); err != nil {
		return c, err
	}
	plain, err := s.Vault.OpenString(details, "clients", clientID, "details")
	if err != nil {
		return c, err
	}
	if plain != "" {
		if err := json.Unmarshal([]byte(plain), &c.Details); err != nil {
			return c, err
		}
	}
	return c, nil
}

// name is the client's name as lists show it.
func (c clientCard) name() string {
	switch {
	case c.Given == "":
		return c.Family
	case c.Family == "":
		return c.Given
	}
	return c.Given + " " + c.Family
}
