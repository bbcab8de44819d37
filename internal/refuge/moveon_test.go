package refuge_test

import (
	"slices"
	"testing"
	"time"

	"frontdoor/internal/errs"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

func TestMoveOnPlan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		st, c, _ := admitted(t, w)

		p, err := w.svc.MoveOnPlan(ctx, w.workerA, st.ID)
		if err != nil || p.Version != 0 || p.Goal != "" || len(p.Applications) != 0 || !p.Runs {
			t.Fatalf("empty plan %+v %v", p, err)
		}
		target := w.now().AddDate(0, 3, 0)
		plan := refuge.PlanInput{Goal: refuge.SocialHousing, TargetDate: target, Notes: "Needs a ground floor flat near Kingsmead school"}
		// Field errors first, and nothing written.
		events := w.count(t, `SELECT count(*) FROM audit_events`)
		err = w.svc.SaveMoveOnPlan(ctx, w.workerA, st.ID, 0, refuge.PlanInput{Goal: "castle", Notes: "a\x00b"})
		if got := fields(t, err); !slices.Equal(got, []string{"goal", "notes"}) {
			t.Fatalf("fields %v", got)
		}
		err = w.svc.SaveMoveOnPlan(ctx, w.workerA, st.ID, 0, refuge.PlanInput{Goal: refuge.SocialHousing, TargetDate: w.now().AddDate(0, 0, -3)})
		if got := fields(t, err); !slices.Equal(got, []string{"target_date"}) {
			t.Fatalf("fields %v", got)
		}
		if w.count(t, `SELECT count(*) FROM refuge_moveon_plans`) != 0 || w.count(t, `SELECT count(*) FROM audit_events`) != events {
			t.Fatal("a refused plan wrote")
		}
		// Only the property's team saves it.
		code(t, w.svc.SaveMoveOnPlan(ctx, w.frontdoor, st.ID, 0, plan), errs.Forbidden, "")
		code(t, w.svc.SaveMoveOnPlan(ctx, w.workerB, st.ID, 0, plan), errs.NotFound, "")
		if err := w.svc.SaveMoveOnPlan(ctx, w.workerA, st.ID, 0, plan); err != nil {
			t.Fatal(err)
		}
		// A second creation, and an edit of an old version, are stale.
		code(t, w.svc.SaveMoveOnPlan(ctx, w.managerA, st.ID, 0, plan), errs.Conflict, "record.stale")
		if err := w.svc.SaveMoveOnPlan(ctx, w.managerA, st.ID, 1, refuge.PlanInput{Goal: refuge.PrivateRented, Notes: "Private rented first"}); err != nil {
			t.Fatal(err)
		}
		code(t, w.svc.SaveMoveOnPlan(ctx, w.workerA, st.ID, 1, plan), errs.Conflict, "record.stale")

		p, err = w.svc.MoveOnPlan(ctx, w.frontdoor, st.ID)
		if err != nil || p.Version != 2 || p.Goal != refuge.PrivateRented || !p.TargetDate.IsZero() || p.Notes != "Private rented first" || p.Runs {
			t.Fatalf("plan read by the client's worker %+v %v", p, err)
		}
		_, err = w.svc.MoveOnPlan(ctx, w.workerB, st.ID)
		code(t, err, errs.NotFound, "")
		for action, want := range map[string]int{"refuge.moveon_plan_create": 1, "refuge.moveon_plan_update": 1, "refuge.moveon_read": 2} {
			if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = $1 AND record_kind = 'client' AND record_id = $2`, action, c); n != want {
				t.Errorf("%s audited %d times, want %d", action, n, want)
			}
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "Kingsmead", "Private rented first")
	})
}

func TestHousingApplications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		st, c, _ := admitted(t, w)
		today := w.now()

		// A bad application writes nothing.
		events := w.count(t, `SELECT count(*) FROM audit_events`)
		_, err := w.svc.AddHousingApplication(ctx, w.workerA, st.ID, refuge.NewHousingApplication{Provider: " ", AppliedOn: today.AddDate(0, 0, 2)})
		if got := fields(t, err); !slices.Equal(got, []string{"provider", "applied_on"}) {
			t.Fatalf("fields %v", got)
		}
		_, err = w.svc.AddHousingApplication(ctx, w.frontdoor, st.ID, refuge.NewHousingApplication{Provider: "Ashby District Council", AppliedOn: today})
		code(t, err, errs.Forbidden, "")
		_, err = w.svc.AddHousingApplication(ctx, w.workerB, st.ID, refuge.NewHousingApplication{Provider: "Ashby District Council", AppliedOn: today})
		code(t, err, errs.NotFound, "")
		if w.count(t, `SELECT count(*) FROM refuge_housing_applications`)+w.count(t, `SELECT count(*) FROM refuge_housing_events`) != 0 || w.count(t, `SELECT count(*) FROM audit_events`) != events {
			t.Fatal("a refused application wrote")
		}

		app, err := w.svc.AddHousingApplication(ctx, w.workerA, st.ID, refuge.NewHousingApplication{Provider: "Ashby District Council", AppliedOn: today, Reference: "HR-55821"})
		if err != nil || app.Status != refuge.Applied || len(app.Events) != 1 {
			t.Fatalf("application %+v %v", app, err)
		}
		other, err := w.svc.AddHousingApplication(ctx, w.workerA, st.ID, refuge.NewHousingApplication{Provider: "Beckton Homes", AppliedOn: today})
		if err != nil {
			t.Fatal(err)
		}

		// Refused transitions name the field and change nothing (the
		// sealed status is the same ciphertext).
		state := func(id string) (string, int) {
			var status string
			var n int
			if err := w.db.Read(ctx, func(tx *store.Tx) error {
				return tx.QueryRow(ctx, `SELECT application_sealed, (SELECT count(*) FROM refuge_housing_events WHERE application_id = $1) FROM refuge_housing_applications WHERE id = $1`, []any{id}, &status, &n)
			}); err != nil {
				t.Fatal(err)
			}
			return status, n
		}
		refused := func(id string, e refuge.NewHousingEvent, field string) {
			t.Helper()
			status, n := state(id)
			before := w.count(t, `SELECT count(*) FROM audit_events`)
			err := w.svc.RecordHousingEvent(ctx, w.workerA, id, e)
			if got := errs.AllFields(err); len(got) != 1 || got[0].Field != field {
				t.Fatalf("%s: fields %v", e.Kind, err)
			}
			if s2, n2 := state(id); s2 != status || n2 != n || w.count(t, `SELECT count(*) FROM audit_events`) != before {
				t.Fatalf("%s: a refused event wrote", e.Kind)
			}
		}
		refused(app.ID, refuge.NewHousingEvent{Kind: refuge.OfferAccepted, Date: today}, "kind")
		refused(app.ID, refuge.NewHousingEvent{Kind: refuge.Housed, Date: today}, "kind")
		refused(app.ID, refuge.NewHousingEvent{Kind: refuge.Applied, Date: today}, "kind")
		refused(app.ID, refuge.NewHousingEvent{Kind: "moved", Date: today}, "kind")
		refused(app.ID, refuge.NewHousingEvent{Kind: refuge.Registered}, "date")
		refused(app.ID, refuge.NewHousingEvent{Kind: refuge.Registered, Date: today.AddDate(0, 0, 3)}, "date")
		refused(app.ID, refuge.NewHousingEvent{Kind: refuge.Registered, Date: today.AddDate(0, 0, -1)}, "date") // before the application
		code(t, w.svc.RecordHousingEvent(ctx, w.frontdoor, app.ID, refuge.NewHousingEvent{Kind: refuge.Registered, Date: today}), errs.Forbidden, "")
		code(t, w.svc.RecordHousingEvent(ctx, w.workerB, app.ID, refuge.NewHousingEvent{Kind: refuge.Registered, Date: today}), errs.NotFound, "")

		// The path to housed.
		w.advance(24 * time.Hour)
		for _, e := range []refuge.NewHousingEvent{
			{Kind: refuge.Registered, Date: w.now(), Band: "Band B"},
			{Kind: refuge.BidPlaced, Date: w.now(), Detail: "Property 7781, Northgate"},
			{Kind: refuge.OfferMade, Date: w.now(), Detail: "Eastfield"},
			{Kind: refuge.OfferRefused, Date: w.now(), Detail: "Too near the perpetrator's family"},
			{Kind: refuge.BidPlaced, Date: w.now(), Detail: "Property 9120"},
			{Kind: refuge.OfferMade, Date: w.now(), Detail: "Riverside"},
			{Kind: refuge.OfferAccepted, Date: w.now()},
			{Kind: refuge.Housed, Date: w.now().AddDate(0, 0, 14)},
		} {
			if e.Kind == refuge.OfferRefused {
				refused(app.ID, refuge.NewHousingEvent{Kind: refuge.OfferRefused, Date: w.now()}, "detail")
			}
			if err := w.svc.RecordHousingEvent(ctx, w.workerA, app.ID, e); err != nil {
				t.Fatalf("%s: %v", e.Kind, err)
			}
		}
		// Nothing follows housed or withdrawn.
		refused(app.ID, refuge.NewHousingEvent{Kind: refuge.Withdrawn, Date: w.now()}, "kind")
		if err := w.svc.RecordHousingEvent(ctx, w.managerA, other.ID, refuge.NewHousingEvent{Kind: refuge.Withdrawn, Date: w.now()}); err != nil {
			t.Fatal(err)
		}
		refused(other.ID, refuge.NewHousingEvent{Kind: refuge.Registered, Date: w.now()}, "kind")

		p, err := w.svc.MoveOnPlan(ctx, w.frontdoor, st.ID)
		if err != nil || len(p.Applications) != 2 || !p.Housed() {
			t.Fatalf("plan %+v %v", p, err)
		}
		got := p.Applications[0]
		if got.ID != app.ID {
			got = p.Applications[1]
		}
		var kinds []refuge.HousingStatus
		for _, e := range got.Events {
			kinds = append(kinds, e.Kind)
		}
		want := []refuge.HousingStatus{refuge.Applied, refuge.Registered, refuge.BidPlaced, refuge.OfferMade, refuge.OfferRefused,
			refuge.BidPlaced, refuge.OfferMade, refuge.OfferAccepted, refuge.Housed}
		if got.Status != refuge.Housed || got.Band != "Band B" || got.Reference != "HR-55821" || !slices.Equal(kinds, want) || len(got.Next()) != 0 {
			t.Fatalf("application %+v %v", got, kinds)
		}
		if got.Events[4].Detail != "Too near the perpetrator's family" || got.Events[8].Date.Before(w.now()) {
			t.Fatalf("events %+v", got.Events)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'refuge.housing_application' AND record_kind = 'client' AND record_id = $1`, c); n != 2 {
			t.Errorf("applications audited %d times", n)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'refuge.housing_event' AND record_kind = 'client' AND record_id = $1`, c); n != 9 {
			t.Errorf("events audited %d times", n)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "HR-55821", "Property 7781", "Riverside", "perpetrator's family")
	})
}
