package refuge_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/i18n"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// woman is a client recorded as a woman, with no children.
func (w *world) woman(t testing.TB, name string) string {
	t.Helper()
	c, err := w.people.Create(ctx, w.frontdoor, people.NewClient{GivenName: name, FamilyName: "Testperson", Details: people.Details{Gender: "female"}})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// reasons are the keys of a refusal's field errors on one field, each
// checked to be in the catalogue (so the page and the API say it).
func reasons(t testing.TB, err error, field string) []string {
	t.Helper()
	cat := i18n.MustLoad()
	var out []string
	for _, f := range errs.AllFields(err) {
		if !cat.Has(f.Key) {
			t.Errorf("reason %q is not in the catalogue", f.Key)
		}
		if f.Field == field {
			out = append(out, f.Key)
		}
	}
	return out
}

// held counts what holds write: referrals, claims, holds in the audit
// trail. A refused hold leaves it as it was.
func (w *world) held(t testing.TB) int {
	t.Helper()
	return w.count(t, `SELECT count(*) FROM refuge_referrals`) + w.count(t, `SELECT count(*) FROM refuge_claims`) +
		w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'refuge.hold'`)
}

// The outside tester's scenario: one staff token held all eleven vacant
// units (women's and men's five-bedspace flats) for one single adult.
// Now the search offers her none of them, and every hold is refused with
// the reasons, writing nothing.
func TestOneAdultCannotHoldFamilyFlatsOrMensUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		flats := func(name string, svc refuge.Gender, n int) *refuge.Property {
			c := refuge.Criteria{Service: svc, MaxHouseholdSize: 5, MaxChildren: 4, MaxBoyAge: 17, OutOfArea: true}
			beds := make([]int, n)
			for i := range beds {
				beds[i] = 5
			}
			return w.property(t, name, "Ashby", "Northgate", name+" address", c, beds...)
		}
		womens, mens := flats("Ash Flats", refuge.Women, 6), flats("Oak Flats", refuge.Men, 5)
		amina := w.woman(t, "Amina")
		single := refuge.Household{ClientID: amina, Adults: 1}
		before := w.held(t)
		if got, err := w.svc.Search(ctx, w.frontdoor, single); err != nil || len(got) != 0 {
			t.Fatalf("the search offers a single woman %d family flats (%v)", len(got), err)
		}
		for _, u := range womens.Units {
			_, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: u.ID, Household: single})
			if got := reasons(t, err, "unit"); !slices.Equal(got, []string{"refuge.fit_too_large"}) {
				t.Fatalf("a women's five-bedspace flat for one adult: %v (%v)", got, err)
			}
			if m := errs.AllFields(err)[0]; fmt.Sprint(m.Args) != "[5 1]" {
				t.Errorf("the refusal says %v, want 5 bedspaces for a household of 1", m.Args)
			}
		}
		for _, u := range mens.Units {
			_, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: u.ID, Household: single})
			if got := reasons(t, err, "unit"); !slices.Equal(got, []string{"refuge.fit_service_men", "refuge.fit_too_large"}) {
				t.Fatalf("a men's flat for a woman: %v (%v)", got, err)
			}
		}
		if w.held(t) != before {
			t.Fatal("a refused hold wrote something")
		}
		// A single room would fit her, and she holds it.
		room := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", criteria(), 1)
		if got, err := w.svc.Search(ctx, w.frontdoor, single); err != nil || !slices.Equal(units(got), []string{room.Units[0].ID}) {
			t.Fatalf("search for the single woman: %v %v", units(got), err)
		}
		if _, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: room.Units[0].ID, Household: single}); err != nil {
			t.Fatal(err)
		}
	})
}

// Search and hold use one predicate: for households of each size, every
// free unit the search leaves out is refused by a hold with a reason on
// "unit", and every unit it offers can be held.
func TestSearchAndHoldAgree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		open := criteria()
		open.MaxHouseholdSize, open.MaxBoyAge = 5, 17
		w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", open, 1, 2, 3, 4, 5)
		boys := criteria()
		boys.MaxHouseholdSize, boys.MaxBoyAge = 5, 12
		w.property(t, "Birch House", "Ashby", "Northgate", "2 Secret Row", boys, 3, 4)
		men := open
		men.Service = refuge.Men
		w.property(t, "Elder House", "Ashby", "Northgate", "3 Secret Row", men, 2, 3)
		var all []string
		board, err := w.svc.Board(ctx, w.workerA)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range board {
			for _, u := range p.Units {
				all = append(all, u.ID)
			}
		}
		for _, tc := range []struct {
			name     string
			children []string // Sami is a boy of 14, Lena a girl of 6
			offered  int
		}{
			{"a woman alone", nil, 2},                  // rooms of 1 and 2
			{"with a girl", []string{"Lena"}, 3},       // 2 and 3 bedspaces, Birch's 3
			{"with a boy of 14", []string{"Sami"}, 2},  // Rowan's 2 and 3; not Birch
			{"with both", []string{"Sami", "Lena"}, 2}, // Rowan's 3 and 4
		} {
			c := w.woman(t, "Client")
			h := refuge.Household{ClientID: c, Adults: 1}
			for _, k := range tc.children {
				w.child(t, c, k)
				h.Children = append(h.Children, refuge.Child{Age: map[string]int{"Sami": 14, "Lena": 6}[k], Boy: k == "Sami"})
			}
			got, err := w.svc.Search(ctx, w.frontdoor, h)
			if err != nil || len(got) != tc.offered {
				t.Fatalf("%s: search offers %d (%v), want %d", tc.name, len(got), err, tc.offered)
			}
			offered, before := units(got), w.held(t)
			for _, u := range all {
				if slices.Contains(offered, u) {
					continue
				}
				_, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: u, Household: h})
				if len(reasons(t, err, "unit")) == 0 {
					t.Fatalf("%s: a unit the search does not offer answered %v", tc.name, err)
				}
			}
			if w.held(t) != before {
				t.Fatal("a refused hold wrote something")
			}
			ref, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: offered[0], Household: h})
			if err != nil {
				t.Fatalf("%s: a unit the search offers: %v", tc.name, err)
			}
			// Released again, so the next household sees the same estate.
			if err := w.db.Write(ctx, func(tx *store.Tx) error {
				for _, q := range []string{`DELETE FROM refuge_claims WHERE referral_id = $1`, `DELETE FROM refuge_referrals WHERE id = $1`} {
					if _, err := tx.Exec(ctx, q, ref.ID); err != nil {
						return err
					}
				}
				_, err := tx.Exec(ctx, `UPDATE refuge_versions SET claims = claims + 1 WHERE id = 1`)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		// Every reason, worded.
		h := refuge.Household{ClientID: w.mother(t, "Mina"), Adults: 1, Children: []refuge.Child{{Age: 14, Boy: true}, {Age: 6}},
			Service: refuge.Women, Wheelchair: true, MentalHealth: true, SubstanceUse: true, ComplexNeeds: true, NRPF: true, Pets: true,
			Language: "Tigrinya", HomeTown: "Carlow", Area: "Ashby"}
		p := w.property(t, "Fir Court", "Beckton", "Riverside", "4 Secret Row", refuge.Criteria{Service: refuge.Men, MaxHouseholdSize: 2, MaxChildren: 1, MaxBoyAge: 10}, 2)
		_, err = w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: p.Units[0].ID, Household: h})
		want := []string{"refuge.fit_service_men", "refuge.fit_household_size", "refuge.fit_children", "refuge.fit_boy_age",
			"refuge.fit_mental_health", "refuge.fit_substance_use", "refuge.fit_complex_needs", "refuge.fit_nrpf", "refuge.fit_pets",
			"refuge.fit_language", "refuge.fit_out_of_area", "refuge.fit_area", "refuge.fit_too_small", "refuge.fit_wheelchair"}
		if got := reasons(t, err, "unit"); !slices.Equal(got, want) {
			t.Fatalf("reasons %v,\nwant %v", got, want)
		}
		q := w.property(t, "Gorse Court", "Beckton", "Riverside", "5 Secret Row", criteria(), 4)
		_, err = w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: q.Units[0].ID, Household: refuge.Household{ClientID: w.client(t, "Dan"), Adults: 1, Service: refuge.Men, GroundFloor: true}})
		if got := reasons(t, err, "unit"); !slices.Equal(got, []string{"refuge.fit_service_women", "refuge.fit_too_large", "refuge.fit_ground_floor"}) {
			t.Fatalf("reasons %v", got)
		}
	})
}

// The household is checked against the client's record: the service
// from a recorded gender, the children from the children linked to the
// client. A worker cannot declare a bigger (or different) household than
// the record knows to hold a bigger unit.
func TestHoldChecksTheHouseholdAgainstTheRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := criteria()
		c.Service = refuge.Mixed
		p := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", c, 1, 3, 4)
		single, family3, family4 := p.Units[0].ID, p.Units[1].ID, p.Units[2].ID
		hold := func(unit string, h refuge.Household) error {
			_, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: unit, Household: h})
			return err
		}
		man, err := w.people.Create(ctx, w.frontdoor, people.NewClient{GivenName: "Dan", FamilyName: "Testperson", Details: people.Details{Gender: "Male"}})
		if err != nil {
			t.Fatal(err)
		}
		unknown := w.client(t, "Sam")
		amina := w.mother(t, "Amina") // Sami, a boy of 14, and Lena, a girl of 6
		before := w.held(t)
		for _, tc := range []struct {
			name, unit string
			h          refuge.Household
			field, key string
		}{
			{"a man declared for the women's service", single, refuge.Household{ClientID: man.ID, Adults: 1, Service: refuge.Women}, "service", "refuge.service_not_on_record"},
			{"no service known", single, refuge.Household{ClientID: unknown, Adults: 1}, "service", "refuge.service_required"},
			{"children not on the record", family4, refuge.Household{ClientID: unknown, Adults: 1, Service: refuge.Women, Children: []refuge.Child{{Age: 3}, {Age: 5}, {Age: 7}}}, "children", "refuge.children_not_on_record"},
			{"one child more than recorded", family4, refuge.Household{ClientID: amina, Adults: 1, Service: refuge.Women, Children: []refuge.Child{{Age: 14, Boy: true}, {Age: 6}, {Age: 2}}}, "children", "refuge.children_not_on_record"},
			{"the boy of 14 declared as 10", family3, refuge.Household{ClientID: amina, Adults: 1, Service: refuge.Women, Children: []refuge.Child{{Age: 10, Boy: true}, {Age: 6}}}, "children", "refuge.children_differ_from_record"},
			{"the girl declared a boy", family3, refuge.Household{ClientID: amina, Adults: 1, Service: refuge.Women, Children: []refuge.Child{{Age: 14, Boy: true}, {Age: 6, Boy: true}}}, "children", "refuge.children_differ_from_record"},
		} {
			if got := reasons(t, hold(tc.unit, tc.h), tc.field); !slices.Contains(got, tc.key) {
				t.Errorf("%s: %v, want %s on %s", tc.name, got, tc.key, tc.field)
			}
		}
		if w.held(t) != before {
			t.Fatal("a refused hold wrote something")
		}
		// The record's service is taken when none is declared; a household
		// may come without a recorded child.
		if err := hold(single, refuge.Household{ClientID: man.ID, Adults: 1}); err != nil {
			t.Fatalf("a man's hold with the service from his record: %v", err)
		}
		if err := hold(family3, refuge.Household{ClientID: amina, Adults: 1, Service: refuge.Women, Children: []refuge.Child{{Age: 6}, {Age: 14, Boy: true}}}); err != nil {
			t.Fatalf("the recorded family: %v", err)
		}
		// The search for a client takes the record's service too.
		if _, err := w.svc.Search(ctx, w.frontdoor, refuge.Household{ClientID: man.ID, Adults: 1, Service: refuge.Women}); !slices.Equal(reasons(t, err, "service"), []string{"refuge.service_not_on_record"}) {
			t.Fatalf("a women's search for a man: %v", err)
		}
		if n := w.count(t, `SELECT count(*) FROM refuge_referrals WHERE client_id = $1 AND adults = 1 AND children = 2`, amina); n != 1 {
			t.Fatalf("the referral records the household: %d", n)
		}
	})
}

// One live hold per client: a second is refused, saying where and until
// when the client holds, until the first is released or lapses; a team
// manager of the client's team may allow a further one, and that is
// audited.
func TestOneLiveHoldPerClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		w.svc.HoldFor = time.Hour
		p := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", criteria(), 1, 1, 1, 1)
		c := w.woman(t, "Amina")
		single := refuge.Household{ClientID: c, Adults: 1}
		hold := func(actor access.Actor, unit int, further bool) (*refuge.Referral, error) {
			return w.svc.Hold(ctx, actor, refuge.HoldRequest{UnitID: p.Units[unit].ID, Household: single, FurtherHold: further})
		}
		first, err := hold(w.frontdoor, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = hold(w.frontdoor, 1, false)
		code(t, err, errs.Conflict, refuge.KeyClientHolds)
		e := errs.As(err)
		if e.Field != "client" || fmt.Sprint(e.Args) != fmt.Sprintf("[Rowan House · Room 1 %s]", first.HeldUntil.Format("2 Jan 2006 15:04")) {
			t.Fatalf("the refusal says %q %v", e.Field, e.Args)
		}
		reasons(t, err, "client")
		// Offered, the first still holds the space.
		if _, err := w.svc.Offer(ctx, w.workerA, first.ID); err != nil {
			t.Fatal(err)
		}
		_, err = hold(w.frontdoor, 1, false)
		code(t, err, errs.Conflict, refuge.KeyClientHolds)
		// Only a team manager of the client's team may allow a further
		// hold (a manager of another team may not touch the client at all).
		_, err = hold(w.frontdoor, 1, true)
		if got := reasons(t, err, "further_hold"); !slices.Equal(got, []string{"refuge.further_hold_managers"}) {
			t.Fatalf("a worker asks for a further hold: %v", err)
		}
		_, err = hold(w.managerA, 1, true)
		code(t, err, errs.Forbidden, "")
		if n := w.count(t, `SELECT count(*) FROM refuge_referrals WHERE client_id = $1`, c); n != 1 {
			t.Fatalf("%d referrals after the refusals", n)
		}
		further, err := hold(w.frontdoorLead, 1, true)
		if err != nil {
			t.Fatalf("the team manager's further hold: %v", err)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'refuge.further_hold' AND actor_id = $1 AND record_kind = 'client' AND record_id = $2 AND purpose = $3`,
			w.frontdoorLead.StaffID, c, "referral "+further.ID+" beside referral "+first.ID); n != 1 {
			t.Fatalf("the further hold audited %d times", n)
		}
		// Released (declined), the client may hold again.
		for _, r := range []*refuge.Referral{first, further} {
			if err := w.svc.Decline(ctx, w.frontdoor, r.ID, refuge.Decline{By: refuge.ByClient, Reason: refuge.ClientDeclined}); err != nil {
				t.Fatal(err)
			}
		}
		again, err := hold(w.frontdoor, 2, false)
		if err != nil {
			t.Fatalf("after the release: %v", err)
		}
		// Lapsed (swept or not), likewise.
		w.advance(time.Hour + time.Second)
		if _, err := hold(w.frontdoor, 3, false); err != nil {
			t.Fatalf("after %s lapsed: %v", again.ID, err)
		}
	})
}

// Concurrent holds for one client on different units, from two nodes:
// exactly one wins; the others are told the client already holds one.
func TestOneLiveHoldPerClientUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		const n = 12
		beds := make([]int, n)
		for i := range beds {
			beds[i] = 1
		}
		p := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", criteria(), beds...)
		other := &refuge.Service{DB: w.db, Vault: w.svc.Vault, Record: w.svc.Record, Now: w.now, ClientFacts: w.people.Facts, ClientHousehold: w.people.Placement}
		c := w.woman(t, "Amina")
		results := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			node := []*refuge.Service{w.svc, other}[i%2]
			wg.Go(func() {
				<-start
				_, results[i] = node.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: p.Units[i].ID, Household: refuge.Household{ClientID: c, Adults: 1}})
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range results {
			switch {
			case err == nil:
				won++
			case errs.CodeOf(err) == errs.Conflict && errs.As(err).Key == refuge.KeyClientHolds:
			default:
				t.Errorf("unexpected answer: %v", err)
			}
		}
		if won != 1 || w.count(t, `SELECT count(*) FROM refuge_referrals`) != 1 {
			t.Fatalf("%d concurrent holds for one client won", won)
		}
	})
}

// A member of staff may make HoldsPerHour holds in any rolling hour,
// counted in the database (another node sees the same count); the
// refusal says the limit and when they may hold again. A hold lost to
// another household does not count.
func TestHoldsPerWorkerPerHour(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		const limit = refuge.DefaultHoldsPerHour
		beds := make([]int, limit+3)
		for i := range beds {
			beds[i] = 1
		}
		p := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", criteria(), beds...)
		other := &refuge.Service{DB: w.db, Vault: w.svc.Vault, Record: w.svc.Record, Now: w.now, ClientFacts: w.people.Facts, ClientHousehold: w.people.Placement}
		hold := func(node *refuge.Service, unit int) error {
			_, err := node.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: p.Units[unit].ID, Household: refuge.Household{ClientID: w.woman(t, "Client"), Adults: 1}})
			return err
		}
		began := w.now()
		for i := range limit {
			if err := hold(w.svc, i); err != nil {
				t.Fatalf("hold %d: %v", i+1, err)
			}
			if i == 1 {
				// A hold lost to another household is not counted.
				code(t, hold(other, 0), errs.Conflict, refuge.ErrNoLongerAvailable.Key)
			}
			w.advance(10 * time.Minute)
		}
		// 50 minutes on, at the limit. Holds are counted by the minute: the
		// first leaves the hour a minute after the hour since its minute.
		until := began.Truncate(time.Minute).Add(time.Minute + time.Hour)
		for _, node := range []*refuge.Service{w.svc, other} {
			err := hold(node, limit)
			code(t, err, errs.Conflict, refuge.KeyHoldLimit)
			var hl *refuge.HoldLimited
			if !errors.As(err, &hl) || !hl.Until.Equal(until) || hl.Limit != limit {
				t.Fatalf("the refusal: %+v, want until %s", hl, until)
			}
			minutes := int(until.Sub(w.now()).Round(time.Minute) / time.Minute)
			if e := errs.As(err); e.Field != "unit" || fmt.Sprint(e.Args) != fmt.Sprintf("[%d %d %s]", limit, minutes, until.Format("15:04")) {
				t.Fatalf("the refusal says %q %v", e.Field, e.Args)
			}
			reasons(t, err, "unit")
		}
		if n := w.count(t, `SELECT count(*) FROM refuge_referrals`); n != limit {
			t.Fatalf("%d referrals, want %d", n, limit)
		}
		// Someone else is not limited by it.
		if _, err := w.svc.Hold(ctx, w.frontdoorLead, refuge.HoldRequest{UnitID: p.Units[limit].ID, Household: refuge.Household{ClientID: w.woman(t, "Client"), Adults: 1}}); err != nil {
			t.Fatalf("another member of staff: %v", err)
		}
		// A second before, still refused; then one more.
		w.advance(until.Sub(w.now()) - time.Second)
		code(t, hold(other, limit+1), errs.Conflict, refuge.KeyHoldLimit)
		w.advance(time.Second)
		if err := hold(other, limit+1); err != nil {
			t.Fatalf("once the first hold has left the hour: %v", err)
		}
		code(t, hold(w.svc, limit+2), errs.Conflict, refuge.KeyHoldLimit)
	})
}

// Concurrent holds by one member of staff for different clients: no more
// than the limit win, on either engine.
func TestHoldsPerWorkerUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		const n = 12
		beds := make([]int, n)
		for i := range beds {
			beds[i] = 1
		}
		p := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", criteria(), beds...)
		clients := make([]string, n)
		for i := range clients {
			clients[i] = w.woman(t, "Client")
		}
		results := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				_, results[i] = w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: p.Units[i].ID, Household: refuge.Household{ClientID: clients[i], Adults: 1}})
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range results {
			switch {
			case err == nil:
				won++
			case errs.CodeOf(err) == errs.Conflict && errs.As(err).Key == refuge.KeyHoldLimit:
			default:
				t.Errorf("unexpected answer: %v", err)
			}
		}
		if won != refuge.DefaultHoldsPerHour {
			t.Fatalf("%d concurrent holds by one worker won, want %d", won, refuge.DefaultHoldsPerHour)
		}
	})
}
