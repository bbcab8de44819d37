package demo_test

import (
	"context"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/demo"
	"frontdoor/internal/outreach"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

// Outreach households come with support plans (needs, a safety plan,
// outcome measures), past sessions held and visits booked ahead, so an
// outreach worker signing in to the demo has a week's diary.
func TestDemoOutreachCaseloads(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newDemoWorld(t, d, 3)
		db, cfg, accounts, out := w.db, w.cfg, w.accounts, w.outreach
		res, err := demo.LoadPeople(ctx, demo.Services{DB: db, People: w.people, Intake: w.intake, Risk: w.risk, Outreach: out}, w.clock, demo.Config{Seed: 3}, 40)
		if err != nil {
			t.Fatal(err)
		}
		if res.Plans == 0 || res.Sessions <= res.Plans {
			t.Fatalf("outreach caseloads: %d plans, %d sessions", res.Plans, res.Sessions)
		}
		var worker string
		var plans, needs, outcomes, ahead int
		if err := db.Read(ctx, func(tx *store.Tx) error {
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM outreach_plans`, nil, &plans); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM outreach_needs`, nil, &needs); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM outreach_outcomes`, nil, &outcomes); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM outreach_sessions WHERE starts_at > $1`, []any{time.Now().UTC()}, &ahead); err != nil {
				return err
			}
			return tx.QueryRow(ctx, `SELECT worker_id FROM outreach_sessions WHERE starts_at > $1 ORDER BY starts_at LIMIT 1`, []any{time.Now().UTC()}, &worker)
		}); err != nil {
			t.Fatal(err)
		}
		if plans != res.Plans || needs < 2*plans || outcomes < plans || ahead == 0 {
			t.Fatalf("%d plans, %d needs, %d outcomes, %d sessions ahead", plans, needs, outcomes, ahead)
		}
		// The worker with the next visit sees it in their week.
		st, err := accounts.StaffByID(ctx, worker)
		if err != nil {
			t.Fatal(err)
		}
		var teams []string
		for _, s := range demo.NewPartnership(demo.Config{Seed: 3}).Staff {
			if s.ID == worker {
				teams = s.TeamIDs
			}
		}
		week, err := out.Week(ctx, access.Actor{StaffID: st.ID, Role: st.Role, OrganisationID: st.OrganisationID, TeamIDs: teams}, "", time.Now().UTC())
		if err != nil || len(week) == 0 || week[0].ClientName == "" || week[0].Kind != outreach.HomeVisit {
			t.Fatalf("the worker's week %+v %v", week, err)
		}
		vaulttest.AssertNoPlaintext(t, db, cfg, "Bag with documents", "arrears building")
	})
}
