package auth_test

import (
	"slices"
	"strings"
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

// Which roles can ever use a staff scope, written out by hand: the
// answer is derived from the access policy, and this table is what a
// person expects of it. A policy change that moves a role in or out of
// the work behind a scope shows up here.
func TestStaffScopesFollowThePolicy(t *testing.T) {
	works := []access.Role{access.RoleFrontDoorWorker, access.RoleOutreachWorker, access.RoleIDVA, access.RoleRefugeWorker, access.RoleTeamManager,
		// Subject access and corrections: the policy lets the data
		// protection lead search and read their organisation's records.
		access.RoleDataProtectionLead}
	for _, scope := range auth.StaffTokenScopes {
		for _, role := range access.Roles {
			if got, want := auth.StaffScopeUsable(role, scope), slices.Contains(works, role); got != want {
				t.Errorf("%s with scope %s: usable %v, want %v", role, scope, got, want)
			}
		}
		if auth.StaffScopeUsable("boss", scope) {
			t.Errorf("an unknown role can use %s", scope)
		}
	}
	if auth.StaffScopeUsable(access.RoleRefugeWorker, "referral.create") {
		t.Error("a partner scope counts as a staff scope")
	}
}

// A staff token for a role that can never use its scope is refused,
// naming the role and the scope, and nothing is stored; the same member
// of staff's other scopes and other roles' tokens still work.
func TestStaffTokenRefusedForRoleThatCannotUseScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, _, worker := tokenWorld(t, d)
		made := 0
		for i, role := range access.Roles {
			st, err := s.AddStaff(ctx, auth.NewStaff{OrganisationID: tokenOrg, Username: "staff." + strings.ToLower(string('a'+rune(i))), DisplayName: "Staff", Role: role, TeamIDs: []string{"refuge-a"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, scope := range auth.StaffTokenScopes {
				secret, tok, err := s.CreateStaffToken(ctx, "", st.ID, "Diary sync", []string{scope}, time.Hour)
				if auth.StaffScopeUsable(role, scope) {
					if err != nil || secret == "" {
						t.Fatalf("%s, %s: %v", role, scope, err)
					}
					made++
					continue
				}
				e := errs.As(err)
				if secret != "" || tok != nil || e == nil || e.Field != "scopes" || e.Key != "token.scope_role" || !slices.Equal(e.Args, []any{scope, string(role)}) {
					t.Errorf("%s, %s: got %+v, want token.scope_role naming both", role, scope, err)
				}
			}
		}
		for _, role := range []access.Role{access.RoleCommissioner, access.RoleAdministrator, access.RolePartnerAgencyUser, access.RoleVolunteer} {
			if auth.StaffScopeUsable(role, auth.ScopeAccommodation) || auth.StaffScopeUsable(role, auth.ScopeOutreach) {
				t.Errorf("%s may use a staff scope", role)
			}
		}
		// Both scopes at once: refused when either is refused.
		volunteer, err := s.AddStaff(ctx, auth.NewStaff{OrganisationID: tokenOrg, Username: "v.both", DisplayName: "V", Role: access.RoleVolunteer})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreateStaffToken(ctx, "", volunteer.ID, "Both", auth.StaffTokenScopes, time.Hour); errs.As(err).Key != "token.scope_role" {
			t.Fatalf("volunteer with both scopes: %v", err)
		}
		if n := count(t, s.DB, "api_tokens"); n != made {
			t.Fatalf("%d tokens stored, want the %d allowed", n, made)
		}
		secret, _, err := s.CreateStaffToken(ctx, "", worker.ID, "Board sync", auth.StaffTokenScopes, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateToken(ctx, secret); err != nil {
			t.Fatalf("a refuge worker's token: %v", err)
		}
	})
}

// A partner token is refused a scope its organisation can never use: a
// commissioning body none (it sees aggregate figures only), the agency
// scopes any organisation not registered as a partner agency. The reason
// names the scope and the organisation's kind; nothing is stored. Other
// organisations' referral tokens, and a registered agency's agency
// token, are made as before.
func TestPartnerTokenRefusedForOrganisationThatCannotUseScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c, _ := tokenWorld(t, d)
		const board, police, agency = "0190f2a0-0000-7000-8000-0000000000c2", "0190f2a0-0000-7000-8000-0000000000c3", "0190f2a0-0000-7000-8000-0000000000c4"
		err := s.DB.Write(ctx, func(tx *store.Tx) error {
			for _, o := range [][3]string{{board, "Joint Commissioning Board", "commissioner"}, {police, "County Police", "partner_agency"}, {agency, "Lockfast Security", "partner"}} {
				if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, $3, $4)`, o[0], o[1], o[2], c.Now()); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO partner_agencies (organisation_id, kind, registered_by, created_at) VALUES ($1, 'security', $2, $3)`, agency, tokenOrg, c.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		refused := func(org string, scopes []string, key string, args ...any) {
			t.Helper()
			secret, tok, err := s.CreateToken(ctx, "", org, "Integration", scopes, time.Hour)
			e := errs.As(err)
			if secret != "" || tok != nil || e == nil || e.Field != "scopes" || e.Key != key || !slices.Equal(e.Args, args) {
				t.Errorf("%s with %v: got %+v, want %s %v", org, scopes, err, key, args)
			}
		}
		for _, sc := range auth.TokenScopes {
			refused(board, []string{sc}, "token.scope_commissioner", sc, "commissioner")
		}
		refused(board, []string{"referral.create", "referral.read"}, "token.scope_commissioner", "referral.create", "commissioner")
		refused(police, []string{auth.ScopeAgencyRead}, "token.scope_agency_only", auth.ScopeAgencyRead, "partner_agency")
		refused(police, []string{"referral.create", auth.ScopeAgencyUpdate}, "token.scope_agency_only", auth.ScopeAgencyUpdate, "partner_agency")
		refused(tokenOrg, []string{auth.ScopeAgencyRead}, "token.scope_agency_only", auth.ScopeAgencyRead, "charity")
		if n := count(t, s.DB, "api_tokens"); n != 0 {
			t.Fatalf("%d tokens stored by refused requests", n)
		}
		if _, _, err := s.CreateToken(ctx, "", "0190f2a0-0000-7000-8000-000000000999", "Nobody", []string{"referral.create"}, time.Hour); errs.As(err).Field != "organisation" {
			t.Fatalf("unknown organisation: %v", err)
		}
		for _, ok := range []struct {
			org    string
			scopes []string
		}{
			{police, []string{"referral.create", "referral.read"}},
			{tokenOrg, []string{"referral.create"}},
			{agency, []string{auth.ScopeAgencyRead, auth.ScopeAgencyUpdate}},
			{agency, []string{"referral.create"}},
		} {
			secret, _, err := s.CreateToken(ctx, "", ok.org, "Integration", ok.scopes, time.Hour)
			if err != nil {
				t.Fatalf("%s with %v: %v", ok.org, ok.scopes, err)
			}
			tok, err := s.AuthenticateToken(ctx, secret)
			if err != nil || tok.OrganisationID != ok.org {
				t.Fatalf("%s's token: %+v %v", ok.org, tok, err)
			}
			for _, sc := range ok.scopes {
				if err := tok.PartnerScopeRefusal(sc); err != nil {
					t.Errorf("%s's token refused %s at use: %v", ok.org, sc, err)
				}
			}
		}
		// A commissioning body's token made before the rule (written
		// straight to the table) is refused at use, naming the reason.
		secret, tok, err := s.CreateToken(ctx, "", tokenOrg, "Old token", []string{"referral.create"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s.DB.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE api_tokens SET organisation_id = $1 WHERE id = $2`, board, tok.ID)
			return err
		})
		got, err := s.AuthenticateToken(ctx, secret)
		if err != nil || got.OrganisationKind != "commissioner" {
			t.Fatalf("old commissioner token: %+v %v", got, err)
		}
		if e := errs.As(got.PartnerScopeRefusal("referral.create")); e == nil || e.Key != "token.scope_commissioner" {
			t.Fatalf("old commissioner token at use: %v", e)
		}
	})
}
