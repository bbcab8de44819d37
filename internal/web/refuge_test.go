package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"frontdoor/internal/access"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// attachRefuge gives a front door harness the refuge service, wired as
// serve wires it (newFrontDoor predates accommodation).
func attachRefuge(f *frontDoor) *refuge.Service {
	o := &f.srv.Options
	if o.Refuge == nil {
		o.Refuge = &refuge.Service{DB: f.db, Vault: o.People.Vault, Record: o.Record, Now: f.clock.Now, ClientFacts: o.People.Facts, ClientHousehold: o.People.Placement}
	}
	return o.Refuge
}

// refugeWorld is a front door worker with a client (and her two
// children), a refuge worker whose team runs four properties, and the
// refuge service.
type refugeWorld struct {
	*frontDoor
	svc                           *refuge.Service
	frontDoorWorker, refugeWorker *harness
	fdActor                       access.Actor
	client, boy, girl             string
	// Properties: elm takes the household; harbour takes no boy of 14;
	// cedar lies in the client's unsafe area; small has too few beds.
	elm, harbour, cedar, small *refuge.Property
}

const elmAddress = "12 Elm Street, Southtown SO1 2AB"

func newRefugeWorld(t *testing.T, d store.Dialect) *refugeWorld {
	t.Helper()
	ctx := context.Background()
	f := newFrontDoor(t, d)
	w := &refugeWorld{frontDoor: f, svc: attachRefuge(f)}
	if err := f.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('team-refuge', $1, 'refuge', 'refuge', $2)`, f.org, f.clock.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	w.frontDoorWorker = f.as(t, "fd.worker", access.RoleFrontDoorWorker, "helpline")
	w.refugeWorker = f.as(t, "refuge.worker", access.RoleRefugeWorker, "refuge")
	st, err := f.auth.StaffByUsername(ctx, "fd.worker")
	if err != nil {
		t.Fatal(err)
	}
	w.fdActor = access.Actor{StaffID: st.ID, Role: st.Role, OrganisationID: f.org, TeamIDs: []string{"team-helpline"}}
	o := f.srv.Options
	c, err := o.People.Create(ctx, w.fdActor, people.NewClient{GivenName: "Amina", FamilyName: "Okafor", TeamID: "team-helpline"})
	if err != nil {
		t.Fatal(err)
	}
	w.client = c.ID
	for _, name := range []string{"Tobi", "Ada"} {
		ch, err := o.People.CreateChild(ctx, w.fdActor, c.ID, people.NewChild{GivenName: name, FamilyName: "Okafor"})
		if err != nil {
			t.Fatal(err)
		}
		if name == "Tobi" {
			w.boy = ch.ID
		} else {
			w.girl = ch.ID
		}
	}
	crit := func(maxBoy int) refuge.Criteria {
		return refuge.Criteria{Service: refuge.Women, MaxHouseholdSize: 4, MaxChildren: 3, MaxBoyAge: maxBoy, OutOfArea: true}
	}
	list := []refuge.NewProperty{
		{ID: "0190f2a0-0000-7000-8000-0000000e1e00", TeamID: "team-refuge", Name: "Elm Flats", Kind: refuge.Satellite, Town: "Southtown", Area: "South",
			Address: elmAddress, Accepts: crit(17), Units: []refuge.NewUnit{{Name: "Flat 1", Bedspaces: 3}}},
		{ID: "0190f2a0-0000-7000-8000-0000000aa000", TeamID: "team-refuge", Name: "Harbour House", Kind: refuge.Communal, Town: "Northtown", Area: "North",
			Address: "1 Harbour Road", Accepts: crit(12), Units: []refuge.NewUnit{{Name: "Room 1", Bedspaces: 3}}},
		{ID: "0190f2a0-0000-7000-8000-0000000cedaa", TeamID: "team-refuge", Name: "Cedar Lodge", Kind: refuge.Communal, Town: "Easttown", Area: "East",
			Address: "3 Cedar Lane", Accepts: crit(17), Units: []refuge.NewUnit{{Name: "Room A", Bedspaces: 3}}},
		{ID: "0190f2a0-0000-7000-8000-0000005a1100", TeamID: "team-refuge", Name: "Small Room", Kind: refuge.Communal, Town: "Westtown", Area: "West",
			Address: "4 Small Street", Accepts: crit(17), Units: []refuge.NewUnit{{Name: "Box room", Bedspaces: 2}}},
	}
	if err := w.svc.ImportProperties(ctx, list); err != nil {
		t.Fatal(err)
	}
	open := func(pid string) *refuge.Property {
		p, err := w.svc.OpenProperty(ctx, w.fdActor, pid)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	w.elm, w.harbour, w.cedar, w.small = open(list[0].ID), open(list[1].ID), open(list[2].ID), open(list[3].ID)
	return w
}

// household is the search form for one adult with a boy of 14 and a girl
// of 8, for the client or for nobody.
func (w *refugeWorld) household(client string) url.Values {
	return url.Values{"client": {client}, "adults": {"1"}, "child_age": {"14", "8", "", "", "", ""}, "child_boy": {"1", "0", "0", "0", "0", "0"}, "service": {"women"}}
}

func TestVacancySearchByHouseholdShape(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newRefugeWorld(t, d)
		fd := w.frontDoorWorker
		resp, body := fd.get(t, "/vacancies")
		if resp.StatusCode != 200 || !strings.Contains(body, `id="search-vacancies"`) || strings.Contains(body, `id="board"`) {
			t.Fatalf("front door vacancy page: %d (want the search form and no board)", resp.StatusCode)
		}
		if !strings.Contains(body, `<option value="`+w.client+`"`) {
			t.Error("the client choice does not offer the worker's client")
		}
		resp, _ = fd.post(t, "/people/"+w.client+"/unsafe-areas", url.Values{"unsafe_areas": {"Easttown\r\n  \r\n"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("set unsafe areas: %d", resp.StatusCode)
		}
		if _, body := fd.get(t, "/people/"+w.client+"/unsafe-areas"); !strings.Contains(body, "Easttown") {
			t.Error("the unsafe areas page does not show the saved area")
		}
		if _, body := fd.get(t, "/people/"+w.client); !strings.Contains(body, `id="unsafe-areas-link"`) {
			t.Error("the client page does not link to the unsafe areas")
		}

		resp, body = fd.post(t, "/vacancies/search", w.household(w.client))
		if resp.StatusCode != 200 {
			t.Fatalf("search: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		mustContain(t, "results for the client", body, "Elm Flats", "Southtown", `id="hold-`+w.elm.Units[0].ID+`"`)
		for _, not := range []string{"Harbour House", "Cedar Lodge", "Small Room", elmAddress, "Elm Street"} {
			if strings.Contains(body, not) {
				t.Errorf("results for the client include %q", not)
			}
		}
		// No client: no unsafe areas apply.
		_, body = fd.post(t, "/vacancies/search", w.household(""))
		mustContain(t, "results without a client", body, "Elm Flats", "Cedar Lodge")
		if strings.Contains(body, "Harbour House") || strings.Contains(body, "Small Room") {
			t.Error("results without a client include a property that cannot take the household")
		}
		// Without the boy of 14, Harbour House fits too.
		_, body = fd.post(t, "/vacancies/search", url.Values{"adults": {"1"}, "child_age": {"8"}, "child_boy": {"0"}})
		mustContain(t, "results for a smaller household", body, "Harbour House", "Small Room")
	})
}

func TestVacancyFormErrorsAllAtOnce(t *testing.T) {
	w := newRefugeWorld(t, store.SQLite)
	form := url.Values{"adults": {"many"}, "child_age": {"30", ""}, "child_boy": {"1", "0"}, "service": {"aliens"}, "area": {"Sout\x01h"}, "language": {"Polish"}}
	resp, body := w.frontDoorWorker.post(t, "/vacancies/search", form)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad search: %d", resp.StatusCode)
	}
	for _, f := range []string{"adults", "children", "service", "area"} {
		if !strings.Contains(body, `href="#`+f+`"`) {
			t.Errorf("the error summary does not name %q", f)
		}
	}
	mustContain(t, "the form after errors", body, `value="many"`, `value="30"`, `value="Polish"`, `<option value="1" selected>`)
	if strings.Contains(body, `id="results"`) {
		t.Error("a refused search shows results")
	}
}

func TestHoldThenConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newRefugeWorld(t, d)
		unit := w.elm.Units[0].ID
		resp, _ := w.frontDoorWorker.post(t, "/vacancies/units/"+unit+"/hold", w.household(w.client))
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/refuge/referrals/") {
			t.Fatalf("hold: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body := w.frontDoorWorker.post(t, "/vacancies/units/"+unit+"/hold", w.household(w.client))
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "no longer available") {
			t.Fatalf("second hold: %d, want 409 saying no longer available", resp.StatusCode)
		}
		// No client: every field error on the search form.
		resp, body = w.frontDoorWorker.post(t, "/vacancies/units/"+w.cedar.Units[0].ID+"/hold", w.household(""))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#client"`) {
			t.Fatalf("hold without a client: %d", resp.StatusCode)
		}
		// A held unit is not a vacancy.
		if _, body := w.frontDoorWorker.post(t, "/vacancies/search", w.household("")); strings.Contains(body, "Elm Flats") {
			t.Error("a held unit is still offered")
		}
	})
}

func TestFrontDoorNeverSeesAnAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newRefugeWorld(t, d)
		resp, body := w.frontDoorWorker.get(t, "/refuge/properties/"+w.elm.ID)
		if resp.StatusCode != 200 || !strings.Contains(body, "Southtown") {
			t.Fatalf("property page for the front door: %d", resp.StatusCode)
		}
		if strings.Contains(body, "Elm Street") || strings.Contains(body, `id="address"`) || strings.Contains(body, `id="save-criteria"`) {
			t.Error("the front door worker sees the address or the criteria form")
		}
		resp, body = w.refugeWorker.get(t, "/refuge/properties/"+w.elm.ID)
		if resp.StatusCode != 200 || !strings.Contains(body, "12 Elm Street") || !strings.Contains(body, `id="save-criteria"`) {
			t.Fatalf("property page for its team: %d, address or form missing", resp.StatusCode)
		}
		// The referral page names the town only, for both.
		resp, _ = w.frontDoorWorker.post(t, "/vacancies/units/"+w.elm.Units[0].ID+"/hold", w.household(w.client))
		ref := resp.Header.Get("Location")
		for _, b := range []*harness{w.frontDoorWorker, w.refugeWorker} {
			resp, body := b.get(t, ref)
			if resp.StatusCode != 200 || strings.Contains(body, "Elm Street") || !strings.Contains(body, "Southtown") {
				t.Errorf("referral page: %d, or it shows the address", resp.StatusCode)
			}
		}
		if _, body := w.frontDoorWorker.get(t, "/vacancies"); strings.Contains(body, "Elm Street") {
			t.Error("the vacancy page shows an address")
		}
		// The criteria, edited by the team with the version they read.
		resp, body = w.refugeWorker.post(t, "/refuge/properties/"+w.elm.ID+"/criteria", url.Values{"version": {"1"}, "service": {"women"},
			"max_household_size": {"x"}, "max_children": {"3"}, "max_boy_age": {"40"}, "languages": {"Polish, Urdu"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#max_household_size"`) || !strings.Contains(body, `href="#max_boy_age"`) || !strings.Contains(body, `value="Polish, Urdu"`) {
			t.Fatalf("bad criteria: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		resp, _ = w.refugeWorker.post(t, "/refuge/properties/"+w.elm.ID+"/criteria", url.Values{"version": {"1"}, "service": {"women"},
			"max_household_size": {"5"}, "max_children": {"4"}, "max_boy_age": {"17"}, "languages": {"Polish, Urdu"}, "pets": {"1"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("criteria: %d", resp.StatusCode)
		}
		if resp, _ := w.frontDoorWorker.post(t, "/refuge/properties/"+w.elm.ID+"/criteria", url.Values{"version": {"2"}, "service": {"women"},
			"max_household_size": {"5"}, "max_children": {"4"}, "max_boy_age": {"17"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("criteria by the front door: %d, want 403", resp.StatusCode)
		}
	})
}

func TestOfferAdmitDepart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newRefugeWorld(t, d)
		fd, rw := w.frontDoorWorker, w.refugeWorker
		unit := w.elm.Units[0].ID
		resp, _ := fd.post(t, "/vacancies/units/"+unit+"/hold", w.household(w.client))
		ref := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("hold: %d", resp.StatusCode)
		}
		_, body := fd.get(t, ref)
		mustContain(t, "held referral for the front door", body, `data-status="held"`, `id="hold-expires"`, `id="decline-button"`)
		if strings.Contains(body, `id="offer-button"`) {
			t.Error("the front door worker is offered the refuge's step")
		}
		// The board shows the held unit with its offer button.
		resp, body = rw.get(t, "/vacancies")
		if resp.StatusCode != 200 {
			t.Fatalf("board: %d", resp.StatusCode)
		}
		mustContain(t, "board", body, `id="board"`, "Elm Flats", `id="unit-`+unit+`" data-state="held"`, `id="offer-`+unit+`"`, "Harbour House")
		if resp, _ := fd.post(t, ref+"/offer", nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("offer by the front door: %d, want 403", resp.StatusCode)
		}
		resp, _ = rw.post(t, ref+"/offer", url.Values{"return": {"board"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/vacancies" {
			t.Fatalf("offer: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = fd.get(t, ref)
		mustContain(t, "offered referral", body, `data-status="offered"`, `id="accept-button"`)
		if resp, _ := fd.post(t, ref+"/accept", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("accept: %d", resp.StatusCode)
		}
		_, body = rw.get(t, ref)
		mustContain(t, "accepted referral", body, `data-status="accepted"`, `id="admit-button"`)
		// A bad date is a field error; the referral stays accepted.
		resp, body = rw.post(t, ref+"/admit", url.Values{"move_in": {"yesterday"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#move_in"`) || !strings.Contains(body, `value="yesterday"`) {
			t.Fatalf("admit with a bad date: %d", resp.StatusCode)
		}
		today := w.clock.Now().UTC().Format("2006-01-02")
		resp, _ = rw.post(t, ref+"/admit", url.Values{"move_in": {today}, "children": {w.boy, w.girl}})
		stay := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(stay, "/refuge/stays/") {
			t.Fatalf("admit: %d %q", resp.StatusCode, stay)
		}
		resp, body = rw.get(t, stay)
		if resp.StatusCode != 200 || strings.Count(body, "/children/") != 2 {
			t.Fatalf("stay page: %d, want the two children", resp.StatusCode)
		}
		// The stay is the refuge's record: the client's own worker is
		// refused it.
		if resp, _ := fd.get(t, stay); resp.StatusCode != http.StatusForbidden {
			t.Errorf("stay page for the front door: %d, want 403", resp.StatusCode)
		}
		// One click on the board: the expected move-out date.
		expected := w.clock.Now().UTC().AddDate(0, 2, 0)
		resp, _ = rw.post(t, stay+"/expected-move-out", url.Values{"expected_move_out": {expected.Format("2006-01-02")}, "return": {"board"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/vacancies" {
			t.Fatalf("expected move-out: %d", resp.StatusCode)
		}
		_, body = rw.get(t, "/vacancies")
		mustContain(t, "board with a resident", body, `data-state="occupied"`, expected.Format("2 Jan 2006"), `value="`+expected.Format("2006-01-02")+`"`)
		// Departure: every field error at once, then recorded.
		resp, body = rw.post(t, stay+"/depart", url.Values{"date": {"soon"}, "reason": {""}, "move_on": {"moon"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad departure: %d", resp.StatusCode)
		}
		for _, f := range []string{"date", "reason", "move_on"} {
			if !strings.Contains(body, `href="#`+f+`"`) {
				t.Errorf("departure errors do not name %q", f)
			}
		}
		mustContain(t, "departure form after errors", body, `value="soon"`)
		resp, _ = rw.post(t, stay+"/depart", url.Values{"date": {today}, "reason": {"planned_move_on"}, "move_on": {"social_housing"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("depart: %d", resp.StatusCode)
		}
		_, body = rw.get(t, stay)
		mustContain(t, "stay after departure", body, `id="move-on">Social housing`, `id="departure-reason">Planned move-on`)
		if strings.Contains(body, `id="depart-button"`) {
			t.Error("a finished stay still offers the departure form")
		}
		_, body = rw.get(t, "/vacancies")
		mustContain(t, "board after departure", body, `id="unit-`+unit+`" data-state="free"`)
		_, body = fd.get(t, ref)
		mustContain(t, "admitted referral", body, `data-status="admitted"`)
	})
}

func TestDeclineWithReason(t *testing.T) {
	w := newRefugeWorld(t, store.SQLite)
	resp, _ := w.frontDoorWorker.post(t, "/vacancies/units/"+w.elm.Units[0].ID+"/hold", w.household(w.client))
	ref := resp.Header.Get("Location")
	resp, body := w.frontDoorWorker.post(t, ref+"/decline", url.Values{"by": {"client"}, "note": {"she chose to stay with her sister"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#reason"`) || !strings.Contains(body, "she chose to stay with her sister") {
		t.Fatalf("decline without a reason: %d", resp.StatusCode)
	}
	resp, _ = w.frontDoorWorker.post(t, ref+"/decline", url.Values{"by": {"client"}, "reason": {"client_declined"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("decline: %d", resp.StatusCode)
	}
	if _, body := w.frontDoorWorker.get(t, ref); !strings.Contains(body, `data-status="declined"`) {
		t.Error("the referral is not declined")
	}
	if _, body := w.frontDoorWorker.post(t, "/vacancies/search", w.household("")); !strings.Contains(body, "Elm Flats") {
		t.Error("a declined referral's unit is not free again")
	}
}

// When no vacancy fits, the worker records a turnaway for the searched
// household: it counts in the turnaway figures, and a missing client or
// reason is reported at once with nothing recorded.
func TestRecordTurnaway(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newRefugeWorld(t, d)
		_, body := w.frontDoorWorker.post(t, "/vacancies/search", w.household(w.client))
		if !strings.Contains(body, `id="turnaway-form"`) {
			t.Fatal("the search results offer no way to record a turnaway")
		}
		bad := w.household("")
		resp, body := w.frontDoorWorker.post(t, "/vacancies/turnaway", bad)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#client"`) || !strings.Contains(body, `href="#reason"`) {
			t.Fatalf("turnaway without client or reason: %d", resp.StatusCode)
		}
		if n := w.count(t, `refuge_referrals WHERE status = 'turned_away'`); n != 0 {
			t.Fatalf("%d turnaways recorded from a refused form", n)
		}
		good := w.household(w.client)
		good.Set("reason", "no_space")
		resp, _ = w.frontDoorWorker.post(t, "/vacancies/turnaway", good)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/vacancies?recorded=turnaway" {
			t.Fatalf("turnaway: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, body := w.frontDoorWorker.get(t, "/vacancies?recorded=turnaway"); !strings.Contains(body, `id="turnaway-recorded"`) {
			t.Error("no confirmation that the turnaway was recorded")
		}
		if n := w.count(t, `refuge_referrals WHERE status = 'turned_away' AND turnaway_reason = 'no_space'`); n != 1 {
			t.Fatalf("%d no-space turnaways recorded, want 1", n)
		}
	})
}

// TestVacancySearchListsTheFirstHundred: a search that fits more units
// than anyone reads lists the first hundred, by town, says how many more
// fit, and a town narrows it to that town's.
func TestVacancySearchListsTheFirstHundred(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newRefugeWorld(t, d)
		big := refuge.NewProperty{ID: "0190f2a0-0000-7000-8000-0000000b1900", TeamID: "team-refuge", Name: "Big Block", Kind: refuge.Satellite,
			Town: "Anytown", Area: "Centre", Address: "9 Big Road",
			Accepts: refuge.Criteria{Service: refuge.Women, MaxHouseholdSize: 4, MaxChildren: 3, MaxBoyAge: 17, OutOfArea: true}}
		for i := range 120 {
			big.Units = append(big.Units, refuge.NewUnit{Name: fmt.Sprintf("Flat %d", i+1), Bedspaces: 3})
		}
		if err := w.svc.ImportProperties(context.Background(), []refuge.NewProperty{big}); err != nil {
			t.Fatal(err)
		}
		resp, body := w.frontDoorWorker.post(t, "/vacancies/search", w.household(w.client))
		if resp.StatusCode != 200 {
			t.Fatalf("search: %d", resp.StatusCode)
		}
		if n := strings.Count(body, `<li class="vacancy"`); n != 100 {
			t.Fatalf("%d results listed, want the first 100", n)
		}
		// Anytown sorts first, so its flats are the ones listed; the
		// other towns' units are among those not shown.
		mustContain(t, "search", body, `id="more-results"`, "The first 100 are listed, by town; 22 more fit", "Give a town or area")
		if strings.Contains(body, `id="vacancy-`+w.elm.Units[0].ID+`"`) {
			t.Fatal("a unit past the first hundred is listed")
		}
		narrow := w.household(w.client)
		narrow.Set("area", "Southtown")
		_, body = w.frontDoorWorker.post(t, "/vacancies/search", narrow)
		if n := strings.Count(body, `<li class="vacancy"`); n != 1 || !strings.Contains(body, `id="vacancy-`+w.elm.Units[0].ID+`"`) || strings.Contains(body, `id="more-results"`) {
			t.Fatalf("narrowed to Southtown: %d results listed", n)
		}
	})
}
