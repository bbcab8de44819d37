package auth

import (
	"context"
	"errors"
	"frontdoor/internal/audit"
	"slices"
	"strings"
	"time"

	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// TokenScopes are the actions a partner agency's integration may be given.
// A token carries a few of them and nothing else: no scope reads a person's
// record beyond what was sent to the agency.
var TokenScopes = []string{"referral.create", "referral.read", "referral.update"}

// TokenPrefix makes a leaked token recognisable to secret scanners.
const TokenPrefix = "fdt_"

// MaxTokenLifetime bounds how long a token can live: integrations must
// rotate at least yearly.
const MaxTokenLifetime = 366 * 24 * time.Hour

// APIToken describes a partner API token; the secret itself is shown once
// at creation and never stored.
type APIToken struct {
	ID             string
	OrganisationID string
	Name           string
	Scopes         []string
	CreatedAt      time.Time
	ExpiresAt      time.Time
	RevokedAt      *time.Time
	LastUsedAt     *time.Time
}

// CreateToken makes a token for an organisation with the given scopes,
// valid for ttl.
func (s *Service) CreateToken(ctx context.Context, actorID, organisationID, name string, scopes []string, ttl time.Duration) (string, *APIToken, error) {
	name = strings.TrimSpace(name)
	if err := validateName("name", name, 200); err != nil {
		return "", nil, err
	}
	if len(scopes) == 0 {
		return "", nil, errs.Field("scopes", "token.scopes_required")
	}
	for _, sc := range scopes {
		if !slices.Contains(TokenScopes, sc) {
			return "", nil, errs.Field("scopes", "token.scope_unknown")
		}
	}
	if ttl <= 0 || ttl > MaxTokenLifetime {
		return "", nil, errs.Field("expires", "token.lifetime")
	}
	secret, hash := newToken()
	token := TokenPrefix + secret
	hash = hashToken(token)
	now := s.now()
	t := &APIToken{ID: id.New(), OrganisationID: organisationID, Name: name, Scopes: scopes, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (id, token_hash, organisation_id, name, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			t.ID, hash, organisationID, name, strings.Join(scopes, " "), now, t.ExpiresAt); err != nil {
			if errors.Is(err, store.ErrForeignKey) {
				return errs.Field("organisation", "organisation.unknown")
			}
			return err
		}
		return s.audit(ctx, tx, audit.Event{ActorID: actorID, Action: "token.create", RecordKind: "api_token", RecordID: t.ID, Purpose: strings.Join(scopes, " ")})
	})
	if err != nil {
		return "", nil, err
	}
	return token, t, nil
}

// RevokeToken ends a token at once.
func (s *Service) RevokeToken(ctx context.Context, actorID, tokenID string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, s.now(), tokenID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.New(errs.NotFound, "token.not_found")
		}
		return s.audit(ctx, tx, audit.Event{ActorID: actorID, Action: "token.revoke", RecordKind: "api_token", RecordID: tokenID})
	})
}

// Tokens lists every token, newest first.
func (s *Service) Tokens(ctx context.Context) ([]APIToken, error) {
	var out []APIToken
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, organisation_id, name, scopes, created_at, expires_at, revoked_at, last_used_at FROM api_tokens ORDER BY created_at DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t APIToken
			var scopes string
			if err := rows.Scan(&t.ID, &t.OrganisationID, &t.Name, &scopes, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt); err != nil {
				return err
			}
			t.Scopes = strings.Fields(scopes)
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

var errBadToken = errs.New(errs.Unauthenticated, "token.invalid")

// AuthenticateToken returns the token for a bearer secret if it is known,
// unexpired and unrevoked. Every failure is the same answer.
func (s *Service) AuthenticateToken(ctx context.Context, bearer string) (*APIToken, error) {
	if !strings.HasPrefix(bearer, TokenPrefix) || len(bearer) > 100 {
		return nil, errBadToken
	}
	now := s.now()
	var t APIToken
	var scopes string
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT id, organisation_id, name, scopes, created_at, expires_at FROM api_tokens
			WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2`, []any{hashToken(bearer), now},
			&t.ID, &t.OrganisationID, &t.Name, &scopes, &t.CreatedAt, &t.ExpiresAt)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errBadToken
	}
	if err != nil {
		return nil, err
	}
	t.Scopes = strings.Fields(scopes)
	// Last use is kept to the minute, to spot stale tokens without a write
	// per request.
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)`, now, t.ID, now.Add(-time.Minute))
		return err
	})
	return &t, err
}

// Allows reports whether the token carries a scope.
func (t *APIToken) Allows(scope string) bool { return slices.Contains(t.Scopes, scope) }
