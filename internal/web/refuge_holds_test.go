package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// woman records a client of the front door worker's team whose record
// gives her gender.
func (w *refugeWorld) woman(t *testing.T, name string) string {
	t.Helper()
	c, err := w.srv.Options.People.Create(context.Background(), w.fdActor, people.NewClient{GivenName: name, FamilyName: "Okafor", TeamID: "team-helpline",
		Details: people.Details{Gender: "female"}})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// importProperty adds a property run by the refuge team.
func (w *refugeWorld) importProperty(t *testing.T, id, name string, svc refuge.Gender, beds ...int) *refuge.Property {
	t.Helper()
	n := refuge.NewProperty{ID: id, TeamID: "team-refuge", Name: name, Kind: refuge.Satellite, Town: "Southtown", Area: "South", Address: "1 " + name + " Road",
		Accepts: refuge.Criteria{Service: svc, MaxHouseholdSize: 5, MaxChildren: 4, MaxBoyAge: 17, OutOfArea: true}}
	for i, b := range beds {
		n.Units = append(n.Units, refuge.NewUnit{Name: "Flat " + strconv.Itoa(i+1), Bedspaces: b})
	}
	if err := w.svc.ImportProperties(context.Background(), []refuge.NewProperty{n}); err != nil {
		t.Fatal(err)
	}
	p, err := w.svc.OpenProperty(context.Background(), w.fdActor, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func single(client string) url.Values {
	return url.Values{"client": {client}, "adults": {"1"}, "child_age": {"", "", "", "", "", ""}, "child_boy": {"0", "0", "0", "0", "0", "0"}}
}

// The outside tester's scenario through the pages: a single woman cannot
// hold a five-bedspace family flat or a men's unit; the page says why in
// its error summary, naming the field, and shows the results again.
// After one hold, a second for the same client is refused, saying where
// she holds a space and until when.
func TestHoldRefusalsSayWhy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newRefugeWorld(t, d)
		fd := w.frontDoorWorker
		family := w.importProperty(t, "0190f2a0-0000-7000-8000-0000000fa300", "Family Flats", refuge.Women, 5)
		mens := w.importProperty(t, "0190f2a0-0000-7000-8000-0000000e4500", "Mens House", refuge.Men, 1)
		zara := w.woman(t, "Zara")

		resp, body := fd.post(t, "/vacancies/units/"+family.Units[0].ID+"/hold", single(zara))
		text := html.UnescapeString(body)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#unit"`) || !strings.Contains(body, `id="unit"`) ||
			!strings.Contains(text, "This unit has 5 bedspaces, more than a household of 1 needs") {
			t.Fatalf("a family flat for one adult: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		mustContain(t, "the refused hold's page", body, `id="results"`, `id="hold-`+w.small.Units[0].ID+`"`)
		resp, body = fd.post(t, "/vacancies/units/"+mens.Units[0].ID+"/hold", single(zara))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), "This unit is in a men's service; the household needs the women's service.") {
			t.Fatalf("a men's unit for a woman: %d\n%s", resp.StatusCode, errorSummary(body))
		}

		// One hold, then a second for the same client is refused.
		resp, _ = fd.post(t, "/vacancies/units/"+w.small.Units[0].ID+"/hold", single(zara))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("hold of the box room: %d", resp.StatusCode)
		}
		other := w.importProperty(t, "0190f2a0-0000-7000-8000-0000000b1a00", "Birch Rooms", refuge.Women, 1)
		resp, body = fd.post(t, "/vacancies/units/"+other.Units[0].ID+"/hold", single(zara))
		until := w.clock.Now().UTC().Add(refuge.DefaultHoldFor).Format("2 Jan 2006 15:04")
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `href="#client"`) ||
			!strings.Contains(html.UnescapeString(body), "This client already holds a space at Small Room · Box room until "+until) {
			t.Fatalf("a second hold for the client: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		// The front door's team manager may allow a further hold; the
		// worker is not offered the choice.
		if _, body := fd.post(t, "/vacancies/search", single(zara)); strings.Contains(body, `id="further_hold"`) {
			t.Error("the worker is offered a further hold")
		}
		lead := w.as(t, "fd.lead", access.RoleTeamManager, "helpline")
		if _, body := lead.post(t, "/vacancies/search", single(zara)); !strings.Contains(body, `id="further_hold"`) {
			t.Error("the team manager is not offered a further hold")
		}
		further := url.Values{"further_hold": {"1"}}
		for k, v := range single(zara) {
			further[k] = v
		}
		if resp, body := fd.post(t, "/vacancies/units/"+other.Units[0].ID+"/hold", further); resp.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(body, "Only a team manager of the client") {
			t.Fatalf("a further hold asked by the worker: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		if resp, body := lead.post(t, "/vacancies/units/"+mens.Units[0].ID+"/hold", further); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a further hold still has to fit: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		free, err := w.svc.Search(context.Background(), w.fdActor, refuge.Household{Adults: 1, Service: refuge.Women})
		if err != nil || !slices.ContainsFunc(free, func(v refuge.Vacancy) bool { return v.UnitID == other.Units[0].ID }) {
			t.Fatalf("the refused hold took the unit: %v", err)
		}
		if resp, body := lead.post(t, "/vacancies/units/"+other.Units[0].ID+"/hold", further); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the team manager's further hold: %d\n%s", resp.StatusCode, errorSummary(body))
		}
	})
}

// A worker making many holds for different clients is stopped at the
// limit: 429 with Retry-After, the page saying the limit and when.
func TestHoldLimitOnPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newRefugeWorld(t, d)
		fd := w.frontDoorWorker
		rooms := w.importProperty(t, "0190f2a0-0000-7000-8000-0000000a0000", "Ash Rooms", refuge.Women, 1, 1, 1, 1, 1, 1)
		for i := range refuge.DefaultHoldsPerHour {
			if resp, body := fd.post(t, "/vacancies/units/"+rooms.Units[i].ID+"/hold", single(w.woman(t, "Client"))); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("hold %d: %d\n%s", i+1, resp.StatusCode, errorSummary(body))
			}
		}
		resp, body := fd.post(t, "/vacancies/units/"+rooms.Units[5].ID+"/hold", single(w.woman(t, "Client")))
		// Counted by the minute: the first hold leaves the hour a minute
		// after the hour since its minute began.
		now := w.clock.Now().UTC()
		until := now.Truncate(time.Minute).Add(time.Minute + time.Hour)
		retry := strconv.Itoa(int(until.Sub(now).Seconds()) + 1)
		minutes := strconv.Itoa(int(until.Sub(now).Round(time.Minute) / time.Minute))
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != retry || !strings.Contains(body, `href="#unit"`) ||
			!strings.Contains(body, "You have made 5 holds in the last hour, the most one person may make: you can hold again in "+minutes+" minutes (at "+until.Format("15:04")+" UTC).") {
			t.Fatalf("the sixth hold in an hour: %d, Retry-After %q\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), errorSummary(body))
		}
	})
}
