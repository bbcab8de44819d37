package demo_test

import (
	"context"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/demo"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

// The demo's refuge history goes through the refuge service: a year of
// stays with departures and move-on destinations, some properties full
// today and some with free bedspaces, occupancy figures, turnaways, and
// no address in clear.
func TestLoadStaysThroughTheRefugeService(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		dc := demo.Config{Seed: 1}
		w := newDemoWorld(t, d, dc.Seed)
		db, cfg, clock, rs := w.db, w.cfg, w.clock, w.refuge
		p := demo.NewPartnership(dc)
		if _, err := demo.LoadProperties(ctx, rs, p, dc); err != nil {
			t.Fatal(err)
		}
		res, err := demo.LoadPeople(ctx, demo.Services{DB: db, People: w.people, Intake: w.intake, Risk: w.risk, Refuge: rs}, clock, dc, 40)
		if err != nil {
			t.Fatal(err)
		}
		if res.Clients <= 40 || res.Stays < 20 || res.Departures == 0 || res.Departures >= res.Stays || res.Turnaways == 0 {
			t.Fatalf("loaded %+v", res)
		}
		if clock.Now().Before(time.Now().Add(-time.Minute)) {
			t.Errorf("the loader left its clock at %s", clock.Now())
		}

		// Full and empty properties today.
		now := time.Now().UTC()
		var full, free int
		for _, prop := range p.Properties {
			var bedspaces, claimed int
			if err := db.Read(ctx, func(tx *store.Tx) error {
				return tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM refuge_bedspaces WHERE property_id = $1),
					(SELECT count(*) FROM refuge_claims c JOIN refuge_bedspaces b ON b.id = c.bedspace_id
					 WHERE b.property_id = $1 AND c.released_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > $2))`,
					[]any{prop.ID, now}, &bedspaces, &claimed)
			}); err != nil {
				t.Fatal(err)
			}
			if claimed == bedspaces {
				full++
			} else {
				free++
			}
		}
		if full == 0 || free == 0 {
			t.Errorf("%d properties full, %d with free bedspaces; want some of each", full, free)
		}

		// A year of stays, with departures and move-on destinations
		// (sealed: counted here after opening, as a report would).
		var inYear, recent, resident int
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM refuge_stays WHERE move_in < $1),
				(SELECT count(*) FROM refuge_stays WHERE move_out >= $1),
				(SELECT count(*) FROM refuge_stays WHERE move_out IS NULL)`,
				[]any{now.AddDate(0, -10, 0)}, &inYear, &recent, &resident)
		}); err != nil {
			t.Fatal(err)
		}
		departed := w.opened(t, `SELECT id, departure_sealed FROM refuge_stays WHERE move_out IS NOT NULL`, "refuge_stays", "departure")
		destinations := map[string]bool{}
		for _, dep := range departed {
			destinations[dep["move_on"]] = true
		}
		moveOns := len(destinations)
		if inYear == 0 || recent < 10 || moveOns < 3 || resident == 0 {
			t.Errorf("stays: %d begun over ten months ago, %d departures in the last ten months, %d move-on destinations, %d resident", inYear, recent, moveOns, resident)
		}

		// Move-on: plans, applications at every stage, households housed
		// through their application before leaving for social housing;
		// most children's tasks of departed households closed.
		var plans, housedThenSocial int
		var openDeparted, closedDeparted int
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM refuge_moveon_plans),
				(SELECT count(*) FROM refuge_child_tasks t JOIN refuge_stays st ON st.id = t.stay_id WHERE st.move_out IS NOT NULL AND t.status = 'open'),
				(SELECT count(*) FROM refuge_child_tasks t JOIN refuge_stays st ON st.id = t.stay_id WHERE st.move_out IS NOT NULL AND t.status <> 'open')`,
				nil, &plans, &openDeparted, &closedDeparted)
		}); err != nil {
			t.Fatal(err)
		}
		applications := w.opened(t, `SELECT id, application_sealed FROM refuge_housing_applications`, "refuge_housing_applications", "application")
		stayOf := w.column(t, `SELECT id, stay_id FROM refuge_housing_applications`)
		statuses := map[string]bool{}
		for id, a := range applications {
			statuses[a["status"]] = true
			if a["status"] == "housed" && departed[stayOf[id]]["move_on"] == "social_housing" {
				housedThenSocial++
			}
		}
		stages := len(statuses)
		if plans == 0 || housedThenSocial < 2 || stages < 4 || closedDeparted <= openDeparted {
			t.Errorf("move-on: %d plans, %d housed before leaving for social housing, %d application stages; departed children's tasks %d closed, %d open",
				plans, housedThenSocial, stages, closedDeparted, openDeparted)
		}

		var commissioner access.Actor
		for _, s := range p.Staff {
			if s.Role == access.RoleCommissioner {
				commissioner = access.Actor{StaffID: s.ID, Role: s.Role, OrganisationID: s.OrganisationID, TeamIDs: s.TeamIDs}
				break
			}
		}
		occ, err := rs.Occupancy(ctx, commissioner, now.AddDate(-1, 0, 0), now)
		if err != nil || len(occ) != len(p.Properties) {
			t.Fatalf("occupancy %+v %v", occ, err)
		}
		var occupied, departures int
		for _, o := range occ {
			occupied += o.OccupiedDays
			departures += o.Departures
		}
		if occupied == 0 || departures == 0 {
			t.Errorf("occupancy over the year: %d bedspace-days occupied, %d departures", occupied, departures)
		}
		turned, err := rs.Turnaways(ctx, commissioner, now.AddDate(-1, 0, 0), now.Add(time.Minute))
		if err != nil || turned[refuge.NoSpace]+turned[refuge.NeedsNotMet] == 0 {
			t.Errorf("turnaways %v %v", turned, err)
		}

		var addresses []string
		for _, prop := range p.Properties {
			addresses = append(addresses, prop.Address)
		}
		vaulttest.AssertNoPlaintext(t, db, cfg, append(addresses, "Medical Practice", "Primary School", "perpetrator's area")...)
	})
}
