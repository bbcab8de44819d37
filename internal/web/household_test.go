package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// household sets up an organisation with two teams and a worker in each,
// and a client of the first worker with an address and safe contact.
func householdWorld(t *testing.T, h *harness) (worker, other *harness, clientPath string) {
	t.Helper()
	ctx := context.Background()
	token, _ := h.auth.IssueSetupLink(ctx, "")
	_, first, err := h.auth.CompleteSetup(ctx, token, auth.SetupForm{OrganisationName: "Org", DisplayName: "First", Username: "first", Password: "amber quay lantern", Confirm: "amber quay lantern"})
	if err != nil {
		t.Fatal(err)
	}
	const teamA, teamB = "0190f2a0-0000-7000-8000-0000000000d1", "0190f2a0-0000-7000-8000-0000000000d2"
	h.db.Write(ctx, func(tx *store.Tx) error {
		for _, team := range []string{teamA, teamB} {
			if _, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ($1, $2, $1, 'outreach', $3)`, team, first.OrganisationID, h.clock.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	worker, st := h.asRole(t, first.OrganisationID, access.RoleOutreachWorker)
	other, ost := h.asRole(t, first.OrganisationID, access.RoleFrontDoorWorker)
	h.db.Write(ctx, func(tx *store.Tx) error {
		tx.Exec(ctx, `INSERT INTO team_members (team_id, staff_id) VALUES ($1, $2)`, teamA, st.ID)
		_, err := tx.Exec(ctx, `INSERT INTO team_members (team_id, staff_id) VALUES ($1, $2)`, teamB, ost.ID)
		return err
	})
	resp, body := worker.post(t, "/people", url.Values{"given_name": {"Grace"}, "family_name": {"Okafor-Nwosu"}, "team": {teamA},
		"phone": {"07700 900123"}, "email": {"grace@example.com"}, "address": {"Flat 2, 17 Quarry Lane"}, "safe_phone": {"07700 900456"},
		"codeword": {"bluebell"}, "who_else_may_answer": {"her sister Ada"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create client: %d\n%s", resp.StatusCode, body)
	}
	return worker, other, resp.Header.Get("Location")
}

func TestHouseholdPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d)
		worker, other, client := householdWorld(t, h)
		resp, body := worker.get(t, client)
		if resp.StatusCode != 200 || !strings.Contains(body, `id="add-child-link"`) || !strings.Contains(body, `id="add-perpetrator-link"`) {
			t.Fatalf("client page: %d\n%s", resp.StatusCode, body)
		}

		// A child: every problem at once, what was typed kept.
		resp, body = worker.get(t, client+"/children/new")
		if resp.StatusCode != 200 || !strings.Contains(body, `value="Okafor-Nwosu"`) {
			t.Fatalf("new child form: %d", resp.StatusCode)
		}
		resp, body = worker.post(t, client+"/children/new", url.Values{"given_name": {""}, "date_of_birth": {"31/02/2019"}, "estimated_age": {"many"}, "school": {"Hilda Road Primary"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#given_name"`) || !strings.Contains(body, `href="#date_of_birth"`) ||
			!strings.Contains(body, `href="#estimated_age"`) || !strings.Contains(body, `value="Hilda Road Primary"`) {
			t.Fatalf("bad child: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = worker.post(t, client+"/children/new", url.Values{"given_name": {"Amara"}, "family_name": {"Okafor-Nwosu"}, "date_of_birth": {"02/09/2017"},
			"school": {"Hilda Road Primary"}, "needs": {"asthma inhaler"}})
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/children/") {
			t.Fatalf("create child: %d", resp.StatusCode)
		}
		childPath := resp.Header.Get("Location")
		resp, body = worker.get(t, childPath)
		if resp.StatusCode != 200 || !strings.Contains(body, "Amara") || !strings.Contains(body, "Hilda Road Primary") || !strings.Contains(body, "2017-09-02") {
			t.Fatalf("child page: %d\n%s", resp.StatusCode, body)
		}
		if _, body := worker.get(t, client); !strings.Contains(body, `href="`+childPath+`"`) {
			t.Fatal("the client page does not list the child")
		}
		// Another team's worker may not open the child, nor add one.
		if resp, body := other.get(t, childPath); resp.StatusCode != http.StatusForbidden || strings.Contains(body, "Hilda Road") {
			t.Fatalf("another team opening the child: %d", resp.StatusCode)
		}
		if resp, _ := other.post(t, client+"/children/new", url.Values{"given_name": {"Sam"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("another team adding a child: %d", resp.StatusCode)
		}
		// Two edits from the same version: the second is refused, its
		// changes shown back.
		resp, body = worker.get(t, childPath+"/edit")
		if resp.StatusCode != 200 || !strings.Contains(body, `name="version" value="1"`) {
			t.Fatalf("edit child form: %d", resp.StatusCode)
		}
		edit := url.Values{"version": {"1"}, "given_name": {"Amara"}, "school": {"Moor Lane Academy"}}
		if resp, _ := worker.post(t, childPath+"/edit", edit); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit child: %d", resp.StatusCode)
		}
		edit.Set("school", "Stale School")
		if resp, body := worker.post(t, childPath+"/edit", edit); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Someone else saved") || !strings.Contains(body, "Stale School") {
			t.Fatalf("stale child edit: %d\n%s", resp.StatusCode, body)
		}

		// A perpetrator: the page shows the client by name only.
		resp, body = worker.post(t, client+"/perpetrators/new", url.Values{"relationship": {"enemy"}, "phone": {"12"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#given_name"`) || !strings.Contains(body, `href="#relationship"`) || !strings.Contains(body, `href="#phone"`) {
			t.Fatalf("bad perpetrator: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = worker.post(t, client+"/perpetrators/new", url.Values{"relationship": {"ex_partner"}, "given_name": {"Darren"}, "family_name": {"Pike"},
			"aliases": {"Daz"}, "vehicle": {"blue Transit van"}, "known_addresses": {"12 Kestrel Avenue"}})
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/perpetrators/") {
			t.Fatalf("create perpetrator: %d", resp.StatusCode)
		}
		perpPath := resp.Header.Get("Location")
		resp, body = worker.get(t, perpPath)
		if resp.StatusCode != 200 || !strings.Contains(body, "Darren") || !strings.Contains(body, "blue Transit van") || !strings.Contains(body, "Grace Okafor-Nwosu") || !strings.Contains(body, "Ex-partner") {
			t.Fatalf("perpetrator page: %d\n%s", resp.StatusCode, body)
		}
		for _, secret := range []string{"Quarry Lane", "900123", "900456", "bluebell", "grace@example.com", "her sister Ada"} {
			if strings.Contains(body, secret) {
				t.Errorf("the perpetrator page shows the client's %q", secret)
			}
		}
		resp, body = worker.get(t, perpPath+"/edit")
		if resp.StatusCode != 200 || !strings.Contains(body, `value="Darren"`) || !strings.Contains(body, "12 Kestrel Avenue") {
			t.Fatalf("edit perpetrator form: %d", resp.StatusCode)
		}
		pedit := url.Values{"version": {"1"}, "given_name": {"Darren"}, "family_name": {"Pike"}, "vehicle": {"silver Astra"}}
		if resp, _ := worker.post(t, perpPath+"/edit", pedit); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit perpetrator: %d", resp.StatusCode)
		}
		if resp, body := worker.post(t, perpPath+"/edit", pedit); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "silver Astra") {
			t.Fatalf("stale perpetrator edit: %d", resp.StatusCode)
		}
		if resp, _ := other.get(t, perpPath+"/edit"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("another team editing the perpetrator: %d", resp.StatusCode)
		}
		if resp, _ := other.get(t, perpPath); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("another team opening the perpetrator: %d", resp.StatusCode)
		}
		if _, body := worker.get(t, client); !strings.Contains(body, `href="`+perpPath+`"`) {
			t.Fatal("the client page does not list the perpetrator")
		}

		// Link the same perpetrator to a second client of the worker's.
		resp, _ = worker.post(t, "/people", url.Values{"given_name": {"Ruth"}, "family_name": {"Adeyemi"}, "team": {"0190f2a0-0000-7000-8000-0000000000d1"}})
		second := resp.Header.Get("Location")
		if resp, body := worker.get(t, second+"/perpetrators/link"); resp.StatusCode != 200 || !strings.Contains(body, `id="q"`) {
			t.Fatalf("link page: %d", resp.StatusCode)
		}
		resp, body = worker.post(t, second+"/perpetrators/link", url.Values{"action": {"search"}, "q": {"Darren Pike"}})
		pid := strings.TrimPrefix(perpPath, "/perpetrators/")
		if resp.StatusCode != 200 || !strings.Contains(body, `value="`+pid+`"`) {
			t.Fatalf("link search: %d\n%s", resp.StatusCode, body)
		}
		if resp, body := worker.post(t, second+"/perpetrators/link", url.Values{"action": {"link"}, "q": {"Darren Pike"}, "relationship": {"partner"}}); resp.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(body, `href="#perpetrator"`) || !strings.Contains(body, `value="`+pid+`"`) {
			t.Fatalf("link without choosing: %d", resp.StatusCode)
		}
		if resp, _ := worker.post(t, second+"/perpetrators/link", url.Values{"action": {"link"}, "perpetrator": {pid}, "relationship": {"partner"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("link: %d", resp.StatusCode)
		}
		if _, body := worker.get(t, perpPath); !strings.Contains(body, "Ruth Adeyemi") || !strings.Contains(body, "Grace Okafor-Nwosu") {
			t.Fatal("the perpetrator page does not list both clients")
		}

		// Search: the worker finds their client; the other team's worker
		// finds nothing.
		resp, body = worker.post(t, "/people/search", url.Values{"q": {"Grace Okafor-Nwosu"}})
		if resp.StatusCode != 200 || !strings.Contains(body, `href="`+client+`"`) {
			t.Fatalf("search: %d\n%s", resp.StatusCode, body)
		}
		if resp, body := other.post(t, "/people/search", url.Values{"q": {"Grace Okafor-Nwosu"}}); resp.StatusCode != 200 || strings.Contains(body, client) || !strings.Contains(body, `id="no-results"`) {
			t.Fatalf("another team's search: %d\n%s", resp.StatusCode, body)
		}
		if resp, body := worker.get(t, "/people"); resp.StatusCode != 200 || !strings.Contains(body, `id="q"`) || !strings.Contains(body, `method="post"`) {
			t.Fatalf("search page: %d", resp.StatusCode)
		}
		if resp, body := worker.post(t, "/people/search", url.Values{"q": {" "}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#q"`) {
			t.Fatalf("empty search: %d", resp.StatusCode)
		}
		// The search term is not logged.
		if strings.Contains(h.logs.String(), "Okafor") || strings.Contains(h.logs.String(), "Darren") {
			t.Fatal("a name reached the log")
		}
	})
}
