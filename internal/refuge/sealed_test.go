package refuge_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// Stays and move-on stored before the sealed_columns migration kept departures, goals,
// providers, bands and statuses in clear. The migration refuses to run
// without the data step (the vault's key); with it they read back as
// they were, the rebuilt stays keep their claims, children's tasks and
// version trigger, and new departures and events are written sealed.
func TestMigrationSealsStoredStaysAndMoveOn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		prior := storetest.Before(t, d, store.MigrationSealedColumns)
		w := newWorldThrough(t, d, prior)
		st, _, _ := admitted(t, w)
		c2 := w.client(t, "Bea")
		p2 := w.property(t, "Elm House", "Ashby", "Southgate", "2 Secret Row", criteria(), 2, 2)
		hold, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: p2.Units[0].ID, Household: refuge.Household{ClientID: c2, Adults: 1, Service: refuge.Women}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Offer(ctx, w.workerA, hold.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Accept(ctx, w.frontdoor, hold.ID); err != nil {
			t.Fatal(err)
		}
		resident, err := w.svc.Admit(ctx, w.workerA, hold.ID, refuge.Admission{MoveIn: w.now()})
		if err != nil {
			t.Fatal(err)
		}
		declined, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: p2.Units[1].ID, Household: refuge.Household{ClientID: w.client(t, "Cait"), Adults: 1, Service: refuge.Women}})
		if err != nil {
			t.Fatal(err)
		}
		app := "0190f2a0-0000-7000-8000-00000000bb01"
		today := w.now()
		err = w.db.Write(ctx, func(tx *store.Tx) error {
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`UPDATE refuge_stays SET move_out = $1, departure_reason = 'safety_compromised', move_on = 'another_refuge' WHERE id = $2`, []any{today, st.ID}},
				{`UPDATE refuge_referrals SET status = 'declined', decided_by = 'client', turnaway_reason = 'client_declined', ended_at = $1 WHERE id = $2`, []any{today, declined.ID}},
				{`INSERT INTO refuge_moveon_plans (stay_id, goal, created_at, updated_at) VALUES ($1, 'social_housing', $2, $2)`, []any{st.ID, today}},
				{`INSERT INTO refuge_housing_applications (id, stay_id, provider, applied_on, band, status, created_at) VALUES ($1, $2, 'Ashby District Council', $3, 'Band B', 'registered', $3)`,
					[]any{app, st.ID, today}},
				{`INSERT INTO refuge_housing_events (id, application_id, seq, kind, occurred_on, band, created_at) VALUES ($1, $2, 1, 'applied', $3, '', $3), ($4, $2, 2, 'registered', $3, 'Band B', $3)`,
					[]any{"0190f2a0-0000-7000-8000-00000000bc01", app, today, "0190f2a0-0000-7000-8000-00000000bc02"}},
			} {
				if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		if _, err := w.db.Migrate(ctx, time.Now); !errors.Is(err, store.ErrDataStepNeeded) {
			t.Fatalf("migrate without the data step: %v", err)
		}
		steps := map[string]store.DataStep{store.MigrationSealedColumns: func(ctx context.Context, tx *store.Tx) error { return refuge.SealClearColumns(ctx, tx, w.vault) }}
		if _, err := w.db.MigrateWith(ctx, time.Now, store.MigrateOptions{Steps: steps}); err != nil {
			t.Fatal(err)
		}

		left, err := w.svc.OpenStay(ctx, w.workerA, st.ID)
		if err != nil || left.Reason != "safety_compromised" || left.MoveOn != refuge.AnotherRefuge || left.MoveOut.IsZero() || len(left.BedspaceIDs) != 3 || len(left.ChildIDs) != 2 {
			t.Fatalf("departed stay after the migration: %+v %v", left, err)
		}
		plan, err := w.svc.MoveOnPlan(ctx, w.workerA, st.ID)
		if err != nil || plan.Goal != refuge.SocialHousing || len(plan.Applications) != 1 {
			t.Fatalf("plan after the migration: %+v %v", plan, err)
		}
		a := plan.Applications[0]
		if a.Provider != "Ashby District Council" || a.Band != "Band B" || a.Status != refuge.Registered || len(a.Events) != 2 ||
			a.Events[0].Kind != refuge.Applied || a.Events[1].Kind != refuge.Registered || a.Events[1].Band != "Band B" {
			t.Fatalf("application after the migration: %+v", a)
		}
		// The status sealed by the migration drives what may follow.
		if err := w.svc.RecordHousingEvent(ctx, w.workerA, app, refuge.NewHousingEvent{Kind: refuge.BidPlaced, Date: today, Detail: "Property 9"}); err != nil {
			t.Fatal(err)
		}
		if tasks, err := w.svc.ChildTasks(ctx, w.workerA, st.ID); err != nil || len(tasks) != 4 {
			t.Fatalf("children's tasks of the rebuilt stay: %d, %v", len(tasks), err)
		}
		// The resident stay departs, sealed, and its move-out date still
		// moves the claims counter (the trigger survived the rebuild).
		var before, after int64
		counter := func(n *int64) {
			if err := w.db.Read(ctx, func(tx *store.Tx) error {
				return tx.QueryRow(ctx, `SELECT claims FROM refuge_versions WHERE id = 1`, nil, n)
			}); err != nil {
				t.Fatal(err)
			}
		}
		counter(&before)
		if err := w.svc.SetExpectedMoveOut(ctx, w.workerA, resident.ID, today.AddDate(0, 3, 0)); err != nil {
			t.Fatal(err)
		}
		if counter(&after); after <= before {
			t.Errorf("claims counter %d → %d after a move-out date", before, after)
		}
		if err := w.svc.Depart(ctx, w.workerA, resident.ID, refuge.Departure{Date: today, Reason: "planned_move_on", MoveOn: refuge.OwnTenancy}); err != nil {
			t.Fatal(err)
		}
		if back, err := w.svc.OpenStay(ctx, w.workerA, resident.ID); err != nil || back.Reason != "planned_move_on" || back.MoveOn != refuge.OwnTenancy {
			t.Fatalf("a departure after the migration: %+v %v", back, err)
		}
		var sealedBy string
		if err := w.db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT decided_by_sealed FROM refuge_referrals WHERE id = $1`, []any{declined.ID}, &sealedBy)
		}); err != nil {
			t.Fatal(err)
		}
		if by, err := w.vault.OpenString(sealedBy, "refuge_referrals", declined.ID, "decided_by"); err != nil || by != "client" {
			t.Fatalf("who declined, after the migration: %q %v", by, err)
		}
	})
}
