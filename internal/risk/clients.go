package risk

import (
	"context"
	"strconv"
	"strings"

	"frontdoor/internal/store"
)

// clientName opens a client's name for a list the actor may read it in.
// The names are sealed by the people package with the same vault and
// these associated data; call it only after the policy allowed ReadRecord.
func (s *Service) clientName(ctx context.Context, tx *store.Tx, clientID string) (string, error) {
	var given, family string
	if err := tx.QueryRow(ctx, `SELECT given_name_sealed, family_name_sealed FROM clients WHERE id = $1`, []any{clientID}, &given, &family); err != nil {
		return "", err
	}
	g, err := s.Vault.OpenString(given, "clients", clientID, "given_name")
	if err != nil {
		return "", err
	}
	f, err := s.Vault.OpenString(family, "clients", clientID, "family_name")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(g + " " + f), nil
}

// inList appends values to args and returns the "($n, ...)" list naming
// them; values must not be empty.
func inList(args []any, values []string) (string, []any) {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range values {
		if i > 0 {
			b.WriteString(", ")
		}
		args = append(args, v)
		b.WriteString("$" + strconv.Itoa(len(args)))
	}
	b.WriteByte(')')
	return b.String(), args
}

// firstID runs a query for one ID column and returns the first row's, or
// "" when there is none.
func firstID(ctx context.Context, tx *store.Tx, query string, args ...any) (string, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var id string
	if rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
	}
	return id, rows.Err()
}

// visibility is how a listed item's client stands for the actor: left out
// (hidden, or missing), shown without anything about the person
// (restricted), or readable.
type visibility int

const (
	leftOut visibility = iota
	restricted
	readable
)
