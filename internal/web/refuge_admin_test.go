package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"frontdoor/internal/access"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

func (w *refugeWorld) properties(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.db.Read(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT count(*) FROM refuge_properties`, nil, &n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// newPropertyForm is a dispersed unit with two flats for the refuge team,
// with criteria; extra values override.
func newPropertyForm(extra ...string) url.Values {
	v := url.Values{"rows": {"8"}, "team": {"team-refuge"}, "name": {"Willow Flats"}, "kind": {"satellite"},
		"town": {"Southtown"}, "area": {"South"}, "address": {"7 Willow Close, Southtown SO9 9ZZ"},
		"service": {"women"}, "max_household_size": {"5"}, "max_children": {"4"}, "max_boy_age": {"17"}, "pets": {"1"},
		"languages":   {"English, Urdu"},
		"unit_name_0": {"Flat A"}, "unit_beds_0": {"3"}, "unit_ground_0": {"1"},
		"unit_name_1": {"Flat B"}, "unit_beds_1": {"2"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

func TestAddPropertyPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newRefugeWorld(t, d)
		lead := w.as(t, "refuge.lead", access.RoleTeamManager, "refuge")
		before := w.properties(t)

		resp, body := lead.get(t, "/refuge/properties/new")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="team-refuge" selected`) || !strings.Contains(body, `name="unit_name_7"`) || strings.Contains(body, `name="unit_name_8"`) {
			t.Fatalf("new property form: %d", resp.StatusCode)
		}
		// More lines redraws the form with what was typed and saves nothing.
		resp, body = lead.post(t, "/refuge/properties", newPropertyForm("more_units", "1"))
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="unit_name_15"`) || !strings.Contains(body, `value="Flat B"`) || !strings.Contains(body, `value="16"`) {
			t.Fatalf("more unit lines: %d", resp.StatusCode)
		}
		// A unit line with no whole number of bedspaces, and a bad
		// criterion: both named, nothing saved.
		resp, body = lead.post(t, "/refuge/properties", newPropertyForm("unit_beds_1", "two", "max_children", "lots", "name", ""))
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad form: %d", resp.StatusCode)
		}
		for _, f := range []string{`href="#units"`, `href="#max_children"`, `href="#name"`} {
			if !strings.Contains(body, f) {
				t.Errorf("bad form does not name %s", f)
			}
		}
		if !strings.Contains(body, "7 Willow Close") {
			t.Error("the address typed is lost on the redrawn form")
		}
		if n := w.properties(t); n != before {
			t.Fatalf("a refused form saved a property (%d → %d)", before, n)
		}
		// Refuge workers and front door workers may not add properties; a
		// manager may not add one for a team that is not theirs.
		for _, who := range []*harness{w.refugeWorker, w.frontDoorWorker} {
			if resp, _ := who.get(t, "/refuge/properties/new"); resp.StatusCode != http.StatusForbidden {
				t.Errorf("new property form for a worker: %d, want 403", resp.StatusCode)
			}
			if resp, _ := who.post(t, "/refuge/properties", newPropertyForm()); resp.StatusCode != http.StatusForbidden {
				t.Errorf("add property by a worker: %d, want 403", resp.StatusCode)
			}
		}
		if resp, _ := lead.post(t, "/refuge/properties", newPropertyForm("team", "team-helpline")); resp.StatusCode != http.StatusForbidden {
			t.Errorf("property for another team: %d, want 403", resp.StatusCode)
		}
		if n := w.properties(t); n != before {
			t.Fatalf("a refused request saved a property (%d → %d)", before, n)
		}

		resp, _ = lead.post(t, "/refuge/properties", newPropertyForm())
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/refuge/properties/") {
			t.Fatalf("add property: %d %q", resp.StatusCode, loc)
		}
		_, body = lead.get(t, loc)
		for _, want := range []string{"Willow Flats", "7 Willow Close", "Flat A", "Flat B", "3 bedspaces", "English, Urdu"} {
			if !strings.Contains(body, want) {
				t.Errorf("property page lacks %q", want)
			}
		}
		// The team's board has it; the front door sees the town, never the address.
		if _, body := w.refugeWorker.get(t, "/vacancies"); !strings.Contains(body, "Willow Flats") || !strings.Contains(body, "Free now: 5 of 5") {
			t.Error("the new property is not on the team's board with its 5 bedspaces")
		}
		_, body = w.frontDoorWorker.get(t, loc)
		if !strings.Contains(body, "Southtown") || strings.Contains(body, "Willow Close") {
			t.Error("front door view of the new property shows the address or lacks the town")
		}
	})
}

func TestRefugeInboxPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newRefugeWorld(t, d)
		if _, body := w.refugeWorker.get(t, "/refuge/referrals"); !strings.Contains(body, `id="inbox-empty"`) {
			t.Fatal("empty inbox not said")
		}
		resp, _ := w.frontDoorWorker.post(t, "/vacancies/units/"+w.elm.Units[0].ID+"/hold", w.household(w.client))
		rid := strings.TrimPrefix(resp.Header.Get("Location"), "/refuge/referrals/")
		if resp.StatusCode != http.StatusSeeOther || rid == "" {
			t.Fatalf("hold: %d", resp.StatusCode)
		}
		resp, body := w.refugeWorker.get(t, "/refuge/referrals")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="inbox-`+rid+`" data-status="held"`) ||
			!strings.Contains(body, "Elm Flats · Flat 1") || !strings.Contains(body, "1 adults, 2 children") || !strings.Contains(body, `href="/refuge/referrals/`+rid+`"`) {
			t.Fatalf("refuge team's inbox: %d", resp.StatusCode)
		}
		for _, name := range []string{"Amina", "Okafor", "Tobi", elmAddress} {
			if strings.Contains(body, name) {
				t.Errorf("inbox shows %q", name)
			}
		}
		// The referrer runs no property: their inbox is empty.
		if _, body := w.frontDoorWorker.get(t, "/refuge/referrals"); !strings.Contains(body, `id="inbox-empty"`) {
			t.Error("front door worker sees the refuge team's inbox")
		}
		// Once the household moves in, the children's GP and school tasks
		// are on the team's inbox, linked to the stay.
		ref := "/refuge/referrals/" + rid
		w.refugeWorker.post(t, ref+"/offer", nil)
		w.frontDoorWorker.post(t, ref+"/accept", nil)
		resp, _ = w.refugeWorker.post(t, ref+"/admit", url.Values{"move_in": {w.clock.Now().UTC().Format("2006-01-02")}, "children": {w.boy, w.girl}})
		stay := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(stay, "/refuge/stays/") {
			t.Fatalf("admit: %d", resp.StatusCode)
		}
		_, body = w.refugeWorker.get(t, "/refuge/referrals")
		if strings.Count(body, `id="due-task-`) != 4 || strings.Count(body, `href="`+stay+`#task-`) != 4 || !strings.Contains(body, `data-status="admitted"`) {
			t.Errorf("inbox after admission: %d children's tasks, want GP and school for each of two children", strings.Count(body, `id="due-task-`))
		}
	})
}
