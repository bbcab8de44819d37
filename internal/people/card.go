package people

import (
	"context"
	"strings"

	"frontdoor/internal/store"
)

// Card is what another capability shows of a client it already decided
// the reader may see: the name and the safe-contact rules (a diary entry,
// a reminder's check). It carries no address and no other details.
type Card struct {
	Name        string
	SafeContact SafeContact
}

// Shareable is what a worker may choose to share with a partner agency
// about a client: the name, the address and the safe-contact rules.
type Shareable struct {
	Card
	Address string
}

// CardInTx opens a client's card inside the caller's transaction. It
// decides nothing and audits nothing: the caller has asked the policy
// (Facts, access.Decide) and audits the read in the same transaction.
func (s *Service) CardInTx(ctx context.Context, tx *store.Tx, clientID string) (Card, error) {
	sh, err := s.ShareableInTx(ctx, tx, clientID)
	return sh.Card, err
}

// ShareableInTx opens what may be shared with a partner agency, inside the
// caller's transaction. Like CardInTx it decides nothing: the caller has
// decided and records what it shares.
func (s *Service) ShareableInTx(ctx context.Context, tx *store.Tx, clientID string) (Shareable, error) {
	var given, family, details string
	if err := tx.QueryRow(ctx, `SELECT given_name_sealed, family_name_sealed, details_sealed FROM clients WHERE id = $1`, []any{clientID},
		&given, &family, &details); err != nil {
		return Shareable{}, err
	}
	g, err := s.Vault.OpenString(given, "clients", clientID, "given_name")
	if err != nil {
		return Shareable{}, err
	}
	f, err := s.Vault.OpenString(family, "clients", clientID, "family_name")
	if err != nil {
		return Shareable{}, err
	}
	d, err := s.openDetails(clientID, details)
	if err != nil {
		return Shareable{}, err
	}
	return Shareable{Card: Card{Name: strings.TrimSpace(g + " " + f), SafeContact: d.SafeContact}, Address: d.Address}, nil
}
