package web_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/pquerna/otp/totp"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/web"
)

// asRole gives a browser fully signed in as a new account with role r.
func (h *harness) asRole(t *testing.T, orgID string, r access.Role) (*harness, *auth.Staff) {
	t.Helper()
	ctx := context.Background()
	st, err := h.auth.AddStaff(ctx, auth.NewStaff{OrganisationID: orgID, Username: strings.ReplaceAll(string(r), "_", "."), DisplayName: "Test " + string(r), Role: r})
	if err != nil {
		t.Fatal(err)
	}
	link, _ := h.auth.IssueSetupLink(ctx, st.ID)
	partial, _, err := h.auth.CompleteSetup(ctx, link, auth.SetupForm{Password: "violet harbour signal", Confirm: "violet harbour signal"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := h.auth.BeginEnrolment(ctx, partial)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(e.Secret, h.clock.Now())
	full, _, err := h.auth.ConfirmEnrolment(ctx, partial, code)
	if err != nil {
		t.Fatal(err)
	}
	c := h.clone(t)
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(h.ts.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "frontdoor-session", Value: full, Path: "/"}})
	c.client.Jar = jar
	return c, st
}

// Every role against every route that asks the policy: the answer over
// HTTP is exactly the policy's. With the golden policy table this covers
// role × route × relation: routes map to actions, actions to decisions.
func TestEveryRoleAgainstEveryAuthorisedRoute(t *testing.T) {
	h := newHarness(t, store.SQLite)
	ctx := context.Background()
	token, _ := h.auth.IssueSetupLink(ctx, "")
	_, first, err := h.auth.CompleteSetup(ctx, token, auth.SetupForm{OrganisationName: "Org", DisplayName: "First", Username: "first", Password: "amber quay lantern", Confirm: "amber quay lantern"})
	if err != nil {
		t.Fatal(err)
	}
	routes := h.srv.Routes()
	checked := 0
	for _, role := range access.Roles {
		browser, st := h.asRole(t, first.OrganisationID, role)
		actor := access.Actor{StaffID: st.ID, Role: role, OrganisationID: st.OrganisationID}
		for pattern, info := range routes {
			if info.Need != web.Authorised {
				continue
			}
			method, path, _ := strings.Cut(pattern, " ")
			path = strings.NewReplacer("{id}", first.ID, "{sid}", "0190f2a0-0000-7000-8000-000000000000").Replace(path)
			var resp *http.Response
			if method == "GET" {
				resp, _ = browser.get(t, path)
			} else {
				resp, _ = browser.post(t, path, url.Values{"reason": {"table test of the policy"}})
			}
			want := access.Decide(actor, info.Action, access.Record{}).Allow
			if got := resp.StatusCode != http.StatusForbidden; got != want {
				t.Errorf("%s on %s: status %d, policy says allow=%v", role, pattern, resp.StatusCode, want)
			}
			checked++
		}
	}
	if checked < 50 {
		t.Fatalf("only %d role × route checks", checked)
	}
}

// The data protection lead sees every break-glass with its reason and a
// record's access history; looking is itself recorded.
func TestDataProtectionLeadReviewsBreakGlass(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d)
		ctx := context.Background()
		token, _ := h.auth.IssueSetupLink(ctx, "")
		_, first, err := h.auth.CompleteSetup(ctx, token, auth.SetupForm{OrganisationName: "Org", DisplayName: "First", Username: "first", Password: "amber quay lantern", Confirm: "amber quay lantern"})
		if err != nil {
			t.Fatal(err)
		}
		dpl, dplStaff := h.asRole(t, first.OrganisationID, access.RoleDataProtectionLead)
		_, worker := h.asRole(t, first.OrganisationID, access.RoleFrontDoorWorker)
		// A client of the organisation, kept by a helpline team the worker
		// is not in: the worker has no relation and may break glass.
		if err := h.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('team-dpl-test', $1, 'Helpline', 'helpline', $2)`,
				first.OrganisationID, h.clock.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		c, err := h.srv.Options.People.Create(ctx, access.Actor{StaffID: first.ID, Role: access.RoleTeamManager, OrganisationID: first.OrganisationID, TeamIDs: []string{"team-dpl-test"}},
			people.NewClient{GivenName: "Breakglass", FamilyName: "Subject"})
		if err != nil {
			t.Fatal(err)
		}
		recordID := c.ID
		err = h.db.Write(ctx, func(tx *store.Tx) error {
			rec, err := h.srv.Options.People.Facts(ctx, tx, access.Actor{StaffID: worker.ID, Role: worker.Role, OrganisationID: worker.OrganisationID}, recordID)
			if err != nil {
				return err
			}
			_, err = h.grants.BreakGlass(ctx, tx, access.Actor{StaffID: worker.ID, Role: worker.Role, OrganisationID: worker.OrganisationID},
				rec, "client", access.EmergencyServices, "police on the phone asking for the safe contact")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// The data protection lead sees it at once on their home page.
		if resp, body := dpl.get(t, "/"); resp.StatusCode != 200 || !strings.Contains(body, `id="home-break-glass"`) ||
			!strings.Contains(body, "police on the phone asking for the safe contact") || !strings.Contains(body, "Police or ambulance need information now") {
			t.Fatalf("home page of the data protection lead: %d\n%s", resp.StatusCode, body)
		}
		resp, body := dpl.get(t, "/review")
		if resp.StatusCode != 200 || !strings.Contains(body, "police on the phone asking for the safe contact") || !strings.Contains(body, "Test front_door_worker") {
			t.Fatalf("review page: %d\n%s", resp.StatusCode, body)
		}
		resp, body = dpl.get(t, "/review/records/"+recordID)
		if resp.StatusCode != 200 || !strings.Contains(body, "Emergency access opened") {
			t.Fatalf("record history: %d\n%s", resp.StatusCode, body)
		}
		var n int
		h.db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE actor_id = $1 AND action IN ('audit.review', 'record.history')`, []any{dplStaff.ID}, &n)
		})
		if n != 3 {
			t.Fatalf("%d review events recorded for the data protection lead's three views (home, review, history), want 3", n)
		}
		// The reason never reaches the database in clear.
		var raw int
		h.db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM break_glass_grants WHERE reason_sealed LIKE '%police%'`, nil, &raw)
		})
		if raw != 0 {
			t.Fatal("the break-glass reason is stored in clear")
		}
	})
}

// An administrator manages their own organisation's accounts only.
func TestAdministratorsAreScopedToTheirOrganisation(t *testing.T) {
	h := newHarness(t, store.SQLite)
	ctx := context.Background()
	token, _ := h.auth.IssueSetupLink(ctx, "")
	_, first, err := h.auth.CompleteSetup(ctx, token, auth.SetupForm{OrganisationName: "Org A", DisplayName: "First", Username: "first", Password: "amber quay lantern", Confirm: "amber quay lantern"})
	if err != nil {
		t.Fatal(err)
	}
	otherOrg := "0190f2a0-0000-7000-8000-0000000000b0"
	h.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Org B', 'housing_association', $2)`, otherOrg, h.clock.Now())
		return err
	})
	other, err := h.auth.AddStaff(ctx, auth.NewStaff{OrganisationID: otherOrg, Username: "other.worker", DisplayName: "Other Worker", Role: access.RoleRefugeWorker})
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := h.asRole(t, first.OrganisationID, access.RoleAdministrator)
	if resp, body := admin.get(t, "/staff"); resp.StatusCode != 200 || strings.Contains(body, "other.worker") {
		t.Fatalf("staff list shows another organisation's account: %d", resp.StatusCode)
	}
	if resp, _ := admin.get(t, "/staff/"+other.ID); resp.StatusCode != 404 {
		t.Fatalf("another organisation's account: %d, want 404", resp.StatusCode)
	}
	if resp, _ := admin.post(t, "/staff/"+other.ID+"/reset-factors", url.Values{"reason": {"taking over another organisation"}}); resp.StatusCode != 404 {
		t.Fatalf("resetting another organisation's account: %d, want 404", resp.StatusCode)
	}
}

// A caseworker scores a high-risk checklist for their client: the result
// shows high risk, the IDVA task and the MARAC referral; every unanswered
// item is reported at once when the form is incomplete.
func TestRiskAssessmentPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d)
		ctx := context.Background()
		token, _ := h.auth.IssueSetupLink(ctx, "")
		_, first, err := h.auth.CompleteSetup(ctx, token, auth.SetupForm{OrganisationName: "Org", DisplayName: "First", Username: "first", Password: "amber quay lantern", Confirm: "amber quay lantern"})
		if err != nil {
			t.Fatal(err)
		}
		h.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('0190f2a0-0000-7000-8000-0000000000c1', $1, 'Helpline', 'helpline', $2)`, first.OrganisationID, h.clock.Now())
			return err
		})
		worker, st := h.asRole(t, first.OrganisationID, access.RoleFrontDoorWorker)
		h.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO team_members (team_id, staff_id) VALUES ('0190f2a0-0000-7000-8000-0000000000c1', $1)`, st.ID)
			return err
		})
		resp, _ := worker.post(t, "/people", url.Values{"given_name": {"Ruth"}, "family_name": {"Adeyemi"}, "team": {"0190f2a0-0000-7000-8000-0000000000c1"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create client: %d", resp.StatusCode)
		}
		client := resp.Header.Get("Location")
		resp, body := worker.get(t, client+"/risk/new")
		if resp.StatusCode != 200 || strings.Count(body, `type="radio"`) != 72 {
			t.Fatalf("risk form: %d, %d radios", resp.StatusCode, strings.Count(body, `type="radio"`))
		}
		// Incomplete: every missing answer named at once.
		resp, body = worker.post(t, client+"/risk", url.Values{"source": {"client"}, "police_callouts": {"1"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || strings.Count(body, `href="#answers.`) != 24 {
			t.Fatalf("empty checklist: %d, %d answer errors", resp.StatusCode, strings.Count(body, `href="#answers.`))
		}
		set, _ := h.srv.Options.Risk.Set(ctx, "dash", 0)
		form := url.Values{"source": {"client"}, "police_callouts": {"2"}}
		for i, it := range set.Items {
			v := "no"
			if i < 15 {
				v = "yes"
			}
			form.Set("a_"+it.Key, v)
		}
		resp, _ = worker.post(t, client+"/risk", form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("assess: %d", resp.StatusCode)
		}
		resp, body = worker.get(t, resp.Header.Get("Location"))
		for _, want := range []string{"HIGH RISK", "An IDVA allocation task has been created.", "A MARAC referral has been made."} {
			if !strings.Contains(body, want) {
				t.Errorf("result page lacks %q (%d)", want, resp.StatusCode)
			}
		}
		if _, body := worker.get(t, client); !strings.Contains(body, "HIGH RISK") {
			t.Error("the client page does not show the current risk level")
		}
		// The IDVA allocation task is among the actions due on the
		// worker's home page.
		if _, body := worker.get(t, "/"); !strings.Contains(body, `id="due-actions"`) || !strings.Contains(body, "Allocate an IDVA</a>: <a href=\"/people/") {
			t.Error("the home page does not show the IDVA task among the actions due")
		}
	})
}
