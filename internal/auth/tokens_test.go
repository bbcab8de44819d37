package auth_test

import (
	"slices"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

const tokenOrg = "0190f2a0-0000-7000-8000-0000000000c1"

func tokenWorld(t *testing.T, d store.Dialect) (*auth.Service, *clock, *auth.Staff) {
	t.Helper()
	s, c := newService(t, d)
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Refuge Trust', 'charity', $2)`, tokenOrg, c.Now()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('refuge-a', $1, 'Refuge A', 'refuge', $2)`, tokenOrg, c.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.AddStaff(ctx, auth.NewStaff{OrganisationID: tokenOrg, Username: "r.worker", DisplayName: "Refuge Worker", Role: access.RoleRefugeWorker, TeamIDs: []string{"refuge-a"}})
	if err != nil {
		t.Fatal(err)
	}
	return s, c, st
}

// A staff token carries staff scopes only (accommodation, outreach), lives
// at most 90 days, and is for an existing, enabled member of staff; a
// partner token can never carry a staff scope. Each refusal names its field
// and writes nothing.
func TestCreateStaffTokenValidations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, _, st := tokenWorld(t, d)
		acc := []string{auth.ScopeAccommodation}
		cases := []struct {
			name, staff, tokenName string
			scopes                 []string
			ttl                    time.Duration
			field, key             string
		}{
			{"no name", st.ID, "  ", acc, time.Hour, "name", "field.required"},
			{"no scopes", st.ID, "Board sync", nil, time.Hour, "scopes", "token.scopes_required"},
			{"referral scope", st.ID, "Board sync", []string{"referral.create"}, time.Hour, "scopes", "token.staff_scope"},
			{"mixed scopes", st.ID, "Board sync", []string{auth.ScopeAccommodation, "referral.read"}, time.Hour, "scopes", "token.staff_scope"},
			{"unknown scope", st.ID, "Board sync", []string{"record.read"}, time.Hour, "scopes", "token.staff_scope"},
			{"too long", st.ID, "Board sync", acc, auth.MaxStaffTokenLifetime + time.Second, "expires", "token.staff_lifetime"},
			{"a year", st.ID, "Board sync", acc, 366 * 24 * time.Hour, "expires", "token.staff_lifetime"},
			{"no lifetime", st.ID, "Board sync", acc, 0, "expires", "token.staff_lifetime"},
			{"no staff", "", "Board sync", acc, time.Hour, "staff", "token.staff_unknown"},
			{"unknown staff", "0190f2a0-0000-7000-8000-000000000999", "Board sync", acc, time.Hour, "staff", "token.staff_unknown"},
		}
		for _, c := range cases {
			secret, tok, err := s.CreateStaffToken(ctx, "", c.staff, c.tokenName, c.scopes, c.ttl)
			if secret != "" || tok != nil || !slices.ContainsFunc(errs.AllFields(err), func(e *errs.Error) bool { return e.Field == c.field && e.Key == c.key }) {
				t.Errorf("%s: got %v, want %s on %q", c.name, err, c.key, c.field)
			}
		}
		if n := count(t, s.DB, "api_tokens"); n != 0 {
			t.Fatalf("%d tokens written by refused requests", n)
		}
		// A partner token can never carry a staff scope (accommodation,
		// outreach), alone or beside its referral scopes.
		for _, sc := range auth.StaffTokenScopes {
			for _, scopes := range [][]string{{"referral.read", sc}, {sc}, {"referral.update", "referral.read", sc}} {
				if _, _, err := s.CreateToken(ctx, "", tokenOrg, "Partner", scopes, time.Hour); errs.As(err).Field != "scopes" || errs.As(err).Key != "token.scope_staff_only" {
					t.Fatalf("partner token with %v: %v", scopes, err)
				}
			}
		}
		if !slices.Contains(auth.StaffTokenScopes, auth.ScopeOutreach) || slices.Contains(auth.TokenScopes, auth.ScopeOutreach) {
			t.Fatalf("outreach must be a staff scope only: staff %v, partner %v", auth.StaffTokenScopes, auth.TokenScopes)
		}
		// A disabled member of staff gets no token.
		other, err := s.AddStaff(ctx, auth.NewStaff{OrganisationID: tokenOrg, Username: "gone.away", DisplayName: "Gone", Role: access.RoleRefugeWorker})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetDisabled(ctx, "", other.ID, true, "left the service in November"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreateStaffToken(ctx, "", other.ID, "Board sync", acc, time.Hour); errs.As(err).Field != "staff" || errs.As(err).Key != "token.staff_disabled" {
			t.Fatalf("disabled staff: %v", err)
		}
		// Exactly 90 days is allowed; the token is the staff member's
		// organisation's, acts for them, and its creation is audited.
		secret, tok, err := s.CreateStaffToken(ctx, "", st.ID, " Board sync ", acc, auth.MaxStaffTokenLifetime)
		if err != nil {
			t.Fatal(err)
		}
		if tok.StaffID != st.ID || tok.OrganisationID != tokenOrg || tok.Name != "Board sync" || !tok.Allows(auth.ScopeAccommodation) || tok.Allows("referral.create") {
			t.Fatalf("token %+v", tok)
		}
		if !slices.Contains(auditedActions(t), "token.create") {
			t.Fatal("token creation not audited")
		}
		got, err := s.AuthenticateToken(ctx, secret)
		if err != nil || got.StaffID != st.ID {
			t.Fatalf("authenticate: %+v %v", got, err)
		}
		list, err := s.Tokens(ctx)
		if err != nil || len(list) != 1 || list[0].StaffID != st.ID {
			t.Fatalf("tokens: %+v %v", list, err)
		}
		// The outreach scope is a staff scope, alone or with accommodation.
		for _, scopes := range [][]string{{auth.ScopeOutreach}, {auth.ScopeAccommodation, auth.ScopeOutreach}} {
			_, tok, err := s.CreateStaffToken(ctx, "", st.ID, "Diary sync", scopes, time.Hour)
			if err != nil || !tok.Allows(auth.ScopeOutreach) || tok.Allows("referral.read") {
				t.Fatalf("staff token with %v: %+v %v", scopes, tok, err)
			}
		}
	})
}

// The actor of a staff token is the staff member as they are now: a team
// change applies at once, and disabling them stops the token with the
// same answer as a bad token. A partner token acts for nobody.
func TestTokenActorIsCurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, _, st := tokenWorld(t, d)
		secret, _, err := s.CreateStaffToken(ctx, "", st.ID, "Board sync", []string{auth.ScopeAccommodation}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.AuthenticateToken(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.TokenActor(ctx, tok)
		if err != nil || a.StaffID != st.ID || a.Role != access.RoleRefugeWorker || a.OrganisationID != tokenOrg || !slices.Equal(a.TeamIDs, []string{"refuge-a"}) {
			t.Fatalf("actor %+v %v", a, err)
		}
		s.DB.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `DELETE FROM team_members WHERE staff_id = $1`, st.ID)
			return err
		})
		if a, err := s.TokenActor(ctx, tok); err != nil || len(a.TeamIDs) != 0 {
			t.Fatalf("after leaving the team: %+v %v", a, err)
		}
		if err := s.SetDisabled(ctx, "", st.ID, true, "left the service in November"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TokenActor(ctx, tok); errs.CodeOf(err) != errs.Unauthenticated {
			t.Fatalf("disabled staff's actor: %v", err)
		}
		if _, err := s.AuthenticateToken(ctx, secret); errs.CodeOf(err) != errs.Unauthenticated {
			t.Fatalf("disabled staff's token: %v", err)
		}
		// Enabling the account again does not bring the token back.
		if err := s.SetDisabled(ctx, "", st.ID, false, "came back in December"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateToken(ctx, secret); errs.CodeOf(err) != errs.Unauthenticated {
			t.Fatalf("token of a re-enabled account: %v", err)
		}
		partner, _, err := s.CreateToken(ctx, "", tokenOrg, "Partner", []string{"referral.read"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		pt, err := s.AuthenticateToken(ctx, partner)
		if err != nil || pt.StaffID != "" {
			t.Fatalf("partner token %+v %v", pt, err)
		}
		if _, err := s.TokenActor(ctx, pt); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("partner token's actor: %v", err)
		}
	})
}
