package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdoor/internal/access"
	"frontdoor/internal/demo"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/testserve"
	"frontdoor/internal/vault"
)

// unsafeArea is the client's unsafe area in the refuge walk: a town of the
// demo with properties that would otherwise take the household.
const unsafeArea = "Calder Bridge"

// refugeHousehold is the household the walk searches for: one adult, a
// girl of 8 and a boy of 14, for a women's service.
const (
	householdSize = 3
	householdKids = 2
	oldestBoy     = 14
)

// takesHousehold is what the demo's criteria say of a property for the
// walk's household (its units are checked for room separately).
func takesHousehold(p demo.Property) bool {
	c := p.Accepts
	return (c.Service == "women" || c.Service == "mixed") && c.MaxHouseholdSize >= householdSize &&
		c.MaxChildren >= householdKids && c.MaxBoyAge >= oldestBoy
}

func inUnsafeArea(p demo.Property) bool { return p.Town == unsafeArea || p.Area == unsafeArea }

// markStale marks the page shown, so a step can wait for the next one
// (a form that answers with the same page) with WaitNotPresent.
var markStale = js(`document.body.dataset.stale = "1"`)

// shownVacancy is one search result as the page shows it.
type shownVacancy struct {
	Unit    string `json:"unit"`
	Heading string `json:"heading"`
	Line    string `json:"line"`
}

// results reads the vacancy search's results from the page.
func (p *page) results() []shownVacancy {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]shownVacancy](`[...document.querySelectorAll("#results li.vacancy")].map(li => ({
		unit: li.id.replace(/^vacancy-/, ""), heading: li.querySelector("h3").textContent.trim(), line: li.querySelector("p").textContent.trim()}))`))
	if err != nil {
		p.t.Fatalf("read the results: %v", err)
	}
	return v
}

// TestRefugeWalk is issue 5's walk: a refuge worker updates their
// vacancies; a front door worker searches for one adult with a girl of 8
// and a boy of 14 and gets only properties that can take them and lie
// outside the client's unsafe areas; holds a unit, the refuge offers it,
// the client accepts, the refuge admits and later records the departure
// with its move-on destination.
func TestRefugeWalk(t *testing.T) {
	// The demo's world (seed 1, what --demo loads): which properties can
	// take the household, where they lie, and who runs them.
	world := demo.NewPartnership(demo.Config{Seed: 1})
	props := map[string]demo.Property{} // by name
	units := map[string]demo.Unit{}     // by ID
	unitProperty := map[string]string{} // unit ID → property name
	for _, p := range world.Properties {
		props[p.Name] = p
		for _, u := range p.Units {
			units[u.ID], unitProperty[u.ID] = u, p.Name
		}
	}
	var refused []string // properties whose criteria refuse the household
	for _, p := range world.Properties {
		if !takesHousehold(p) {
			refused = append(refused, p.Name)
		}
	}
	// The refuge worker: one on the team running the first property that
	// can take the household outside the unsafe area.
	var home demo.Property
	var refugeUser string
	for _, p := range world.Properties {
		if refugeUser != "" || !takesHousehold(p) || inUnsafeArea(p) {
			continue
		}
		for _, s := range world.Staff {
			if s.Role == access.RoleRefugeWorker && slices.Contains(s.TeamIDs, p.TeamID) {
				home, refugeUser = p, s.Username
				break
			}
		}
	}
	if refugeUser == "" || len(refused) == 0 {
		t.Fatalf("the demo has no refuge worker for a property that takes the household (refused: %v)", refused)
	}

	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		began := time.Now()
		var env, db []string
		if d == store.Postgres {
			env = []string{"FRONTDOOR_MASTER_KEY=" + vault.NewMasterKey().Encode()}
			db = []string{"--database-url", storetest.PostgresURL(t)}
		} else {
			db = []string{"--data", filepath.Join(t.TempDir(), "data")}
		}
		s := testserve.Start(t, env, append([]string{"--demo"}, db...)...)
		t.Logf("%s: the demo server started in %s", d, time.Since(began).Round(time.Second))
		s.Personal("Marguerite", "Ashdown-Vale", "harbour lights at dusk", "blue kettle morning", "copper gate evening")
		today := time.Now().UTC()

		// 1. The administrator issues a one-time link to a front door
		// worker; the refuge worker, in another organisation, gets theirs
		// from the command line.
		admin := newPage(t, s)
		admin.choosePasswordAndEnrol(s.SetupLink(t), "harbour lights at dusk")
		fdwLink := admin.linkFor("Front door worker")
		res := testserve.Run(t, env, append([]string{"user", "invite", "--username", refugeUser, "--base-url", s.URL}, db...)...)
		refugeLink := setupLinkRe.FindString(res.Stdout)
		if res.Code != 0 || refugeLink == "" {
			t.Fatalf("user invite %s: exit %d\n%s%s", refugeUser, res.Code, res.Stdout, res.Stderr)
		}
		s.Personal(strings.TrimPrefix(refugeLink, s.URL+"/setup/"))

		// 2. The refuge worker sees the board of the properties their team
		// runs and sets when an occupied unit is expected to come free.
		rw := newPage(t, s)
		rw.choosePasswordAndEnrol(refugeLink, "copper gate evening")
		rw.do("open the vacancy board", chromedp.Navigate(s.URL+"/vacancies"), chromedp.WaitVisible(css("#board")))
		if h := rw.text("main h1"); h != "Vacancies" {
			t.Fatalf("vacancy page heading %q", h)
		}
		board := rw.text("#board")
		has(t, "the refuge worker's board", board, "Vacancy board", home.Name, home.Town+", "+home.Area, "Free now:")
		for _, p := range world.Properties {
			if p.TeamID != home.TeamID && strings.Contains(board, p.Name) {
				t.Errorf("the board of %s's team shows %s, which another team runs", refugeUser, p.Name)
			}
		}
		occupied, err := chromedp.Run(rw.ctx, chromedp.Evaluate[string](fmt.Sprintf(
			`(r => r ? r.id.replace(/^unit-/, "") : "")(document.querySelector('#property-%s tr[data-state="occupied"]'))`, home.ID)))
		if err != nil || occupied == "" {
			t.Fatalf("%s shows no occupied unit on the board (%v):\n%s", home.Name, err, board)
		}
		expected := today.AddDate(0, 0, 21)
		rw.do("set an expected move-out date",
			chromedp.SetValue(css("#expected-"+occupied), expected.Format("2006-01-02")),
			markStale,
			chromedp.Click(css("#expected-save-"+occupied)),
			chromedp.WaitNotPresent(css("body[data-stale]")),
			chromedp.WaitVisible(css(fmt.Sprintf("#property-%s ul.expected", home.ID))),
		)
		if got := rw.text(fmt.Sprintf("#property-%s ul.expected", home.ID)); !strings.Contains(got, expected.Format("2 Jan 2006")) {
			t.Errorf("after setting the expected move-out the board says %q, want %s", got, expected.Format("2 Jan 2006"))
		}
		if v, _ := chromedp.Run(rw.ctx, chromedp.Value(css("#expected-"+occupied))); v != expected.Format("2006-01-02") {
			t.Errorf("the board's expected move-out field for %s holds %q", units[occupied].Name, v)
		}
		rw.screenshot("refuge-board-" + string(d))

		// 3. A front door worker records a client.
		fdw := newPage(t, s)
		fdw.choosePasswordAndEnrol(fdwLink, "blue kettle morning")
		fdw.do("new client",
			chromedp.Click(css(`nav a[href="/people/new"]`)),
			chromedp.WaitVisible(css("#given_name")),
			chromedp.SendKeys(css("#given_name"), "Marguerite"),
			chromedp.SendKeys(css("#family_name"), "Ashdown-Vale"),
			chromedp.Click(css("main button[type=submit]")),
			chromedp.WaitVisible(css("#client-name")),
		)
		if name := fdw.text("#client-name"); name != "Marguerite Ashdown-Vale" {
			t.Fatalf("client page shows %q", name)
		}
		client := strings.TrimPrefix(pathOf(t, fdw.url()), "/people/")
		// Her two children on her record: a hold checks the household
		// it is for against the client's record.
		for _, child := range []struct{ name, age, gender string }{{"Elodie", "8", "female"}, {"Bastien", fmt.Sprint(oldestBoy), "male"}} {
			s.Personal(child.name)
			fdw.do("record a child",
				chromedp.Navigate(s.URL+"/people/"+client+"/children/new"),
				chromedp.WaitVisible(css("#given_name")),
				chromedp.SendKeys(css("#given_name"), child.name),
				chromedp.SendKeys(css("#estimated_age"), child.age),
				chromedp.SendKeys(css("#gender"), child.gender),
				chromedp.Click(css("main button[type=submit]")),
				chromedp.WaitVisible(css("#child-name")),
			)
		}

		// search types the household on the vacancy page for the client
		// and returns what it shows.
		search := func(what string) []shownVacancy {
			t.Helper()
			fdw.do(what,
				chromedp.Click(css(`nav a[href="/vacancies"]`)),
				chromedp.WaitVisible(css("#search-vacancies")),
				chromedp.SetValue(css("#client"), client),
				chromedp.SetValue(css("#adults"), "1"),
				chromedp.SetValue(css("#child-age-0"), "8"),
				chromedp.SetValue(css("#child-boy-0"), "0"),
				chromedp.SetValue(css("#child-age-1"), fmt.Sprint(oldestBoy)),
				chromedp.SetValue(css("#child-boy-1"), "1"),
				chromedp.SetValue(css("#service"), "women"),
				chromedp.Click(css("#search-vacancies")),
				chromedp.WaitVisible(css("#results")),
			)
			got := fdw.results()
			if h := fdw.text("#results-title"); h != fmt.Sprintf("Vacancies that can take this household: %d", len(got)) {
				t.Errorf("%s: results heading %q for %d results", what, h, len(got))
			}
			// Every result can take them: its property's criteria and the
			// unit's bedspaces, as the demo made them and the page says.
			for _, v := range got {
				name := unitProperty[v.Unit]
				p, ok := props[name]
				switch {
				case !ok:
					t.Errorf("%s: result %q is no demo unit", what, v.Heading)
				case v.Heading != name+" · "+units[v.Unit].Name:
					t.Errorf("%s: result for %s · %s is headed %q", what, name, units[v.Unit].Name, v.Heading)
				case !takesHousehold(p):
					t.Errorf("%s: %s cannot take a household of 3 with a boy of 14, but is offered", what, name)
				case len(units[v.Unit].Bedspaces) < householdSize:
					t.Errorf("%s: %s has %d bedspaces, but is offered", what, v.Heading, len(units[v.Unit].Bedspaces))
				case !strings.Contains(v.Line, p.Town+", "+p.Area):
					t.Errorf("%s: %s is shown at %q, not %s, %s", what, v.Heading, v.Line, p.Town, p.Area)
				}
				for _, r := range refused {
					if strings.HasPrefix(v.Heading, r+" ·") {
						t.Errorf("%s: %s is offered though its criteria refuse the household", what, r)
					}
				}
			}
			return got
		}

		// 4. Before any unsafe area is recorded, the search offers places
		// in the town the client will say is unsafe.
		before := search("search before the unsafe areas")
		var inArea []string
		for _, v := range before {
			if inUnsafeArea(props[unitProperty[v.Unit]]) {
				inArea = append(inArea, v.Heading)
			}
		}
		if len(inArea) == 0 {
			t.Fatalf("no result lies in %s before it is unsafe, so the unsafe area would prove nothing: %v", unsafeArea, before)
		}

		// 5. The worker records the client's unsafe area.
		fdw.do("open the client", chromedp.Navigate(s.URL+"/people/"+client), chromedp.WaitVisible(css("#unsafe-areas-link")))
		fdw.do("record an unsafe area",
			chromedp.Click(css("#unsafe-areas-link")),
			chromedp.WaitVisible(css("#unsafe_areas")),
			chromedp.SendKeys(css("#unsafe_areas"), unsafeArea),
			chromedp.Click(css("#save-unsafe-areas")),
			chromedp.WaitVisible(css("#saved")),
		)
		if h := fdw.text("main h1"); h != "Unsafe areas" {
			t.Errorf("unsafe areas page heading %q", h)
		}
		has(t, "the saved unsafe areas page", fdw.text("main"), "The unsafe areas have been saved.")
		if v, _ := chromedp.Run(fdw.ctx, chromedp.Value(css("#unsafe_areas"))); strings.TrimSpace(v) != unsafeArea {
			t.Errorf("the unsafe areas field holds %q after saving", v)
		}

		// 6. The same search now offers exactly the places outside it.
		after := search("search with the unsafe area")
		fdw.screenshot("refuge-search-" + string(d))
		var want, got []string
		for _, v := range before {
			if !inUnsafeArea(props[unitProperty[v.Unit]]) {
				want = append(want, v.Heading)
			}
		}
		target := ""
		for _, v := range after {
			got = append(got, v.Heading)
			if inUnsafeArea(props[unitProperty[v.Unit]]) {
				t.Errorf("%s lies in the client's unsafe area %s but is offered", v.Heading, unsafeArea)
			}
			if unitProperty[v.Unit] == home.Name && target == "" {
				target = v.Unit
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Errorf("with %s unsafe the search offers %v, want %v (before: %v)", unsafeArea, got, want, inArea)
		}
		if target == "" {
			t.Fatalf("the search offers no unit of %s to hold: %v", home.Name, got)
		}

		// 7. The worker holds a unit of the refuge worker's property.
		if v, _ := chromedp.Run(fdw.ctx, chromedp.Value(css("#hold-client"))); v != client {
			t.Errorf("the hold form has client %q chosen, want the searched client", v)
		}
		fdw.do("hold the unit", chromedp.Click(css("#hold-"+target)), chromedp.WaitVisible(css("#referral-status")))
		if h := fdw.text("main h1"); h != "Referral to a vacancy" {
			t.Fatalf("after the hold the page is %q", h)
		}
		if st := fdw.text("#referral-status"); st != "Held" {
			t.Errorf("referral status after the hold: %q", st)
		}
		has(t, "the referral", fdw.text("#referral"), home.Name, units[target].Name, home.Town+", "+home.Area)
		referral := pathOf(t, fdw.url())
		fdw.screenshot("refuge-held-" + string(d))

		// 8. The refuge worker sees the hold on the board and offers it.
		rw.do("back to the board", chromedp.Navigate(s.URL+"/vacancies"), chromedp.WaitVisible(css("#unit-"+target)))
		if row := rw.text("#unit-" + target); !strings.Contains(row, "Held") {
			t.Errorf("the board's row for the held unit: %q", row)
		}
		rw.do("offer from the board",
			markStale,
			chromedp.Click(css("#offer-"+target)),
			chromedp.WaitNotPresent(css("body[data-stale]")),
			chromedp.WaitVisible(css("#referral-link-"+target)),
			chromedp.Click(css("#referral-link-"+target)),
			chromedp.WaitVisible(css("#referral-status")),
		)
		if st := rw.text("#referral-status"); st != "Offered" {
			t.Errorf("referral status after the offer: %q", st)
		}

		// 9. The front door worker records the client's acceptance.
		fdw.do("accept the offer",
			chromedp.Navigate(s.URL+referral),
			chromedp.WaitVisible(css("#accept-button")),
			chromedp.Click(css("#accept-button")),
			chromedp.WaitVisible(css(`#referral-status[data-status="accepted"]`)),
		)
		if st := fdw.text("#referral-status"); st != "Accepted, awaiting admission" {
			t.Errorf("referral status after the acceptance: %q", st)
		}

		// 10. The refuge worker admits the household today.
		rw.do("open the accepted referral", chromedp.Navigate(s.URL+referral), chromedp.WaitVisible(css("#admit-button")))
		if v, _ := chromedp.Run(rw.ctx, chromedp.Value(css("#move_in"))); v != today.Format("2006-01-02") {
			t.Errorf("the move-in date offered is %q, want today", v)
		}
		rw.screenshot("refuge-admit-" + string(d))
		rw.do("admit", chromedp.Click(css("#admit-button")), chromedp.WaitVisible(css("#stay")))
		if h := rw.text("main h1"); h != "Stay" {
			t.Fatalf("after admitting the page is %q", h)
		}
		if mi := rw.text("#move-in"); mi != today.Format("2 Jan 2006") {
			t.Errorf("the stay's move-in is %q, want today", mi)
		}
		stay := pathOf(t, rw.url())
		rw.do("the board after the admission", chromedp.Navigate(s.URL+"/vacancies"), chromedp.WaitVisible(css("#unit-"+target)))
		if row := rw.text("#unit-" + target); !strings.Contains(row, "Occupied") {
			t.Errorf("the board's row for the admitted unit: %q", row)
		}

		// 11. Later, the household moves on to social housing.
		rw.do("record the departure",
			chromedp.Navigate(s.URL+stay),
			chromedp.WaitVisible(css("#depart-button")),
			chromedp.SetValue(css("#reason"), "planned_move_on"),
			chromedp.SetValue(css("#move_on"), "social_housing"),
			chromedp.Click(css("#depart-button")),
			chromedp.WaitVisible(css("#moved-out")),
		)
		if mo := rw.text("#moved-out"); mo != today.Format("2 Jan 2006") {
			t.Errorf("moved out %q, want today", mo)
		}
		if r := rw.text("#departure-reason"); r != "Planned move-on" {
			t.Errorf("reason for leaving %q", r)
		}
		if m := rw.text("#move-on"); m != "Social housing" {
			t.Errorf("move-on destination %q", m)
		}
		has(t, "the stay after the departure", rw.text("#stay"), "Moved out", "Reason for leaving", "Move-on destination")
		rw.screenshot("refuge-departed-" + string(d))
		t.Logf("%s: the refuge walk took %s", d, time.Since(began).Round(time.Second))
	})
}
