package auth

import (
	"context"
	"errors"
	"frontdoor/internal/audit"
	"slices"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// TokenScopes are the actions a partner agency's integration may be given.
// A token carries a few of them and nothing else: no scope reads a person's
// record beyond what was sent to the agency.
var TokenScopes = []string{"referral.create", "referral.read", "referral.update", ScopeAgencyRead, ScopeAgencyUpdate}

// Partner agency scopes: the referrals a service sent to the agency (the
// shared details of survivors). Separate from the referral scopes, which
// follow the referrals the agency sends in, so that no existing token
// gains them; granted only on purpose.
const (
	ScopeAgencyRead   = "agency.read"
	ScopeAgencyUpdate = "agency.update"
)

// StaffTokenScopes are the actions a staff token may be given: a staff
// token acts as one member of staff, and the access policy decides what
// that person may do, exactly as on the pages. A partner agency's token
// can never carry these, and a staff token never the referral scopes.
var StaffTokenScopes = []string{ScopeAccommodation, ScopeOutreach}

// ScopeAccommodation is vacancy search, holds, offers, admissions and
// departures through the API, as the token's member of staff.
const ScopeAccommodation = "accommodation"

// ScopeOutreach is support plans, sessions, check-ins, partner referrals
// and volunteer matches through the API, as the token's member of staff.
const ScopeOutreach = "outreach"

// staffScopeActions are what each staff scope's routes ask the access
// policy for: vacancy search needs SearchRecords, everything else reading
// or working a client's record (or a property run for them) ReadRecord or
// UpdateRecord. A role the policy never allows any of them, for any
// relation it could have to a record, can never use the scope.
var staffScopeActions = map[string][]access.Action{
	ScopeAccommodation: {access.SearchRecords, access.ReadRecord, access.UpdateRecord},
	ScopeOutreach:      {access.ReadRecord, access.UpdateRecord},
}

// StaffScopeUsable reports whether a member of staff in role could ever
// use scope: it asks the access policy itself, so a role the policy shuts
// out of the work (a commissioner, an administrator, a partner agency
// user, a volunteer) gets no token that would only ever be refused.
func StaffScopeUsable(role access.Role, scope string) bool {
	for _, act := range staffScopeActions[scope] {
		for _, rel := range access.Relations {
			if access.DecideRelation(access.Actor{Role: role}, act, rel).Allow {
				return true
			}
		}
	}
	return false
}

// OrganisationKindCommissioner is a commissioning body: it sees aggregate
// figures only, and neither sends referrals nor receives any.
const OrganisationKindCommissioner = "commissioner"

// partnerScopeRefusal says why an organisation can never use a partner
// scope, or returns nil: a commissioning body none of them; the agency
// scopes only an organisation registered as a partner agency (the same
// test the agency routes make on every request).
func partnerScopeRefusal(scope, kind string, registeredAgency bool) error {
	if kind == OrganisationKindCommissioner {
		return errs.Field("scopes", "token.scope_commissioner", scope, kind)
	}
	if (scope == ScopeAgencyRead || scope == ScopeAgencyUpdate) && !registeredAgency {
		return errs.Field("scopes", "token.scope_agency_only", scope, kind)
	}
	return nil
}

// MaxStaffTokenLifetime bounds a staff token: it stands in for a person
// who signs in with a second factor, so it must be renewed at least every
// 90 days.
const MaxStaffTokenLifetime = 90 * 24 * time.Hour

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
	// StaffID is the member of staff a staff token acts for; "" for a
	// partner agency's token.
	StaffID string
	// OrganisationKind is the kind of the token's organisation, as
	// AuthenticateToken found it (a partner scope's use depends on it).
	OrganisationKind string
	Name             string
	Scopes           []string
	CreatedAt        time.Time
	ExpiresAt        time.Time
	RevokedAt        *time.Time
	LastUsedAt       *time.Time
}

// CreateToken makes a token for an organisation with the given scopes,
// valid for ttl. A scope the organisation can never use is refused with
// the reason (partnerScopeRefusal), and nothing is stored.
func (s *Service) CreateToken(ctx context.Context, actorID, organisationID, name string, scopes []string, ttl time.Duration) (string, *APIToken, error) {
	name = strings.TrimSpace(name)
	if err := validateName("name", name, 200); err != nil {
		return "", nil, err
	}
	if len(scopes) == 0 {
		return "", nil, errs.Field("scopes", "token.scopes_required")
	}
	for _, sc := range scopes {
		if slices.Contains(StaffTokenScopes, sc) {
			return "", nil, errs.Field("scopes", "token.scope_staff_only")
		}
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
		var kind string
		var agencies int
		err := tx.QueryRow(ctx, `SELECT o.kind, (SELECT count(*) FROM partner_agencies p WHERE p.organisation_id = o.id) FROM organisations o WHERE o.id = $1`,
			[]any{organisationID}, &kind, &agencies)
		if errors.Is(err, store.ErrNotFound) {
			return errs.Field("organisation", "organisation.unknown")
		}
		if err != nil {
			return err
		}
		for _, sc := range scopes {
			if err := partnerScopeRefusal(sc, kind, agencies > 0); err != nil {
				return err
			}
		}
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

// CreateStaffToken makes a token that acts as one member of staff, for the
// accommodation and outreach API: scopes from StaffTokenScopes only, valid for ttl (at
// most MaxStaffTokenLifetime). The staff member must exist, not be
// disabled, and hold a role that can use every scope asked for
// (StaffScopeUsable); the token belongs to their organisation. Each request loads
// their current role, organisation and teams (TokenActor), so the token
// can never do more than they can on the pages at that moment.
func (s *Service) CreateStaffToken(ctx context.Context, actorID, staffID, name string, scopes []string, ttl time.Duration) (string, *APIToken, error) {
	name = strings.TrimSpace(name)
	var fe errs.Fields
	if err := validateName("name", name, 200); err != nil {
		fe = append(fe, errs.AllFields(err)...)
	}
	if len(scopes) == 0 {
		fe.Add("scopes", "token.scopes_required")
	}
	for _, sc := range scopes {
		if !slices.Contains(StaffTokenScopes, sc) {
			fe.Add("scopes", "token.staff_scope")
			break
		}
	}
	if ttl <= 0 || ttl > MaxStaffTokenLifetime {
		fe.Add("expires", "token.staff_lifetime")
	}
	if staffID == "" {
		fe.Add("staff", "token.staff_unknown")
	}
	if err := fe.Err(); err != nil {
		return "", nil, err
	}
	secret, _ := newToken()
	token := TokenPrefix + secret
	hash := hashToken(token)
	now := s.now()
	t := &APIToken{ID: id.New(), StaffID: staffID, Name: name, Scopes: slices.Clone(scopes), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var disabled bool
		var role string
		err := tx.QueryRow(ctx, `SELECT organisation_id, role, disabled_at IS NOT NULL FROM staff WHERE id = $1`, []any{staffID}, &t.OrganisationID, &role, &disabled)
		if errors.Is(err, store.ErrNotFound) {
			return errs.Field("staff", "token.staff_unknown")
		}
		if err != nil {
			return err
		}
		if disabled {
			return errs.Field("staff", "token.staff_disabled")
		}
		for _, sc := range scopes {
			if !StaffScopeUsable(access.Role(role), sc) {
				return errs.Field("scopes", "token.scope_role", sc, role)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (id, token_hash, organisation_id, staff_id, name, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			t.ID, hash, t.OrganisationID, staffID, name, strings.Join(scopes, " "), now, t.ExpiresAt); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.Event{ActorID: actorID, Action: "token.create", RecordKind: "api_token", RecordID: t.ID,
			Purpose: strings.Join(scopes, " ") + " as staff " + staffID})
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
		rows, err := tx.Query(ctx, `SELECT id, organisation_id, COALESCE(staff_id, ''), name, scopes, created_at, expires_at, revoked_at, last_used_at FROM api_tokens ORDER BY created_at DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t APIToken
			var scopes string
			if err := rows.Scan(&t.ID, &t.OrganisationID, &t.StaffID, &t.Name, &scopes, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt); err != nil {
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
// unexpired and unrevoked, and (for a staff token) its member of staff is
// not disabled. Every failure is the same answer.
func (s *Service) AuthenticateToken(ctx context.Context, bearer string) (*APIToken, error) {
	if !strings.HasPrefix(bearer, TokenPrefix) || len(bearer) > 100 {
		return nil, errBadToken
	}
	now := s.now()
	var t APIToken
	var scopes string
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT t.id, t.organisation_id, COALESCE(t.staff_id, ''), o.kind, t.name, t.scopes, t.created_at, t.expires_at
			FROM api_tokens t JOIN organisations o ON o.id = t.organisation_id LEFT JOIN staff s ON s.id = t.staff_id
			WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND (t.staff_id IS NULL OR s.disabled_at IS NULL)`,
			[]any{hashToken(bearer), now}, &t.ID, &t.OrganisationID, &t.StaffID, &t.OrganisationKind, &t.Name, &scopes, &t.CreatedAt, &t.ExpiresAt)
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

var errNotStaffToken = errs.New(errs.Forbidden, "token.not_staff")

// TokenActor is the member of staff a staff token acts for, as they are
// now: their current role, organisation and team memberships, read on
// every call so that a disabled account's tokens stop at once and a team
// change applies at once. A disabled or vanished member of staff is the
// same Unauthenticated answer as a bad token; a partner agency's token is
// Forbidden (it acts for nobody).
func (s *Service) TokenActor(ctx context.Context, t *APIToken) (access.Actor, error) {
	if t == nil || t.StaffID == "" {
		return access.Actor{}, errNotStaffToken
	}
	a := access.Actor{StaffID: t.StaffID}
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var role string
		var disabled bool
		if err := tx.QueryRow(ctx, `SELECT organisation_id, role, disabled_at IS NOT NULL FROM staff WHERE id = $1`, []any{t.StaffID},
			&a.OrganisationID, &role, &disabled); err != nil {
			return err
		}
		if disabled {
			return store.ErrNotFound
		}
		a.Role = access.Role(role)
		teams, err := tx.Query(ctx, `SELECT team_id FROM team_members WHERE staff_id = $1 ORDER BY team_id`, t.StaffID)
		if err != nil {
			return err
		}
		defer teams.Close()
		for teams.Next() {
			var team string
			if err := teams.Scan(&team); err != nil {
				return err
			}
			a.TeamIDs = append(a.TeamIDs, team)
		}
		return teams.Err()
	})
	if errors.Is(err, store.ErrNotFound) {
		return access.Actor{}, errBadToken
	}
	if err != nil {
		return access.Actor{}, err
	}
	return a, nil
}

// PartnerScopeRefusal is, for a partner agency's token, why its
// organisation can never use scope (nil when it may): the rule token
// creation applies, checked again on use so that a token made before the
// rule existed does no more. The agency routes check the registration
// themselves, so only the organisation's kind is asked here.
func (t *APIToken) PartnerScopeRefusal(scope string) error {
	if t.StaffID != "" {
		return nil
	}
	return partnerScopeRefusal(scope, t.OrganisationKind, true)
}

// Allows reports whether the token carries a scope.
func (t *APIToken) Allows(scope string) bool { return slices.Contains(t.Scopes, scope) }
