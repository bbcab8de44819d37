package demo_test

import (
	"context"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/demo"
	"frontdoor/internal/intake"
	"frontdoor/internal/matching"
	"frontdoor/internal/people"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

// The demo's people go through the capability services: a helpline worker
// finds referrals waiting in the triage queue, caseworkers have caseloads,
// high-risk assessments raised IDVA tasks and MARAC referrals, and nothing
// personal is in the database in clear.
func TestLoadPeopleThroughTheServices(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		cfg := storetest.Config(t, d)
		db := storetest.OpenConfig(t, cfg)
		v := vaulttest.New(t, db)
		accounts := auth.NewService(db, v, nil, time.Now)
		if _, err := demo.Load(ctx, db, accounts, demo.Config{Seed: 3}); err != nil {
			t.Fatal(err)
		}
		clock := &demo.Clock{}
		rec := audit.NewRecorder(v.AuditKey(), time.Now, nil)
		grants := &access.Grants{Vault: v, Record: rec, Now: clock.Now}
		ppl := &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: clock.Now}
		ppl.Matches = &matching.Index{DB: db, Vault: v, Record: rec, Now: clock.Now, Facts: ppl.MatchFacts}
		in := &intake.Service{DB: db, Vault: v, Record: rec, Now: clock.Now, ClientFacts: ppl.Facts, People: ppl, Matches: ppl.Matches}
		rk := &risk.Service{DB: db, Vault: v, Record: rec, Now: clock.Now, ClientFacts: ppl.Facts}
		svc := demo.Services{DB: db, People: ppl, Intake: in, Risk: rk}

		res, err := demo.LoadPeople(ctx, svc, clock, demo.Config{Seed: 3}, 40)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Loaded || res.Clients != 40 || res.Referrals != 40 || res.Perpetrators == 0 || res.Children == 0 || res.Contacts == 0 || res.Assessments == 0 {
			t.Fatalf("loaded %+v", res)
		}
		if res.AwaitingTriage != 6 {
			t.Errorf("%d referrals awaiting triage, want the newest 6", res.AwaitingTriage)
		}
		if clock.Now().Before(time.Now().Add(-time.Minute)) {
			t.Errorf("the loader left its clock at %s", clock.Now())
		}
		again, err := demo.LoadPeople(ctx, svc, clock, demo.Config{Seed: 3}, 40)
		if err != nil || again.Loaded {
			t.Fatalf("second load: %+v %v", again, err)
		}

		// A helpline worker sees the waiting referrals, oldest first.
		p := demo.NewPartnership(demo.Config{Seed: 3})
		var fdw access.Actor
		for _, s := range p.Staff {
			if s.Role == access.RoleFrontDoorWorker {
				fdw = access.Actor{StaffID: s.ID, Role: s.Role, OrganisationID: s.OrganisationID, TeamIDs: s.TeamIDs}
				break
			}
		}
		queue, err := in.TriageQueue(ctx, fdw)
		if err != nil {
			t.Fatal(err)
		}
		if len(queue) != 6 {
			t.Fatalf("the helpline worker's triage queue holds %d referrals, want 6", len(queue))
		}

		var counts struct{ tasks, marac, clients, cases int }
		err = db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM tasks), (SELECT count(*) FROM marac_referrals), (SELECT count(*) FROM clients),
				(SELECT count(*) FROM intake_cases)`, nil, &counts.tasks, &counts.marac, &counts.clients, &counts.cases)
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Meetings != 2 || res.OnAgenda == 0 {
			t.Errorf("MARAC: %d meetings, %d referrals on agendas", res.Meetings, res.OnAgenda)
		}
		if counts.clients != 40 || counts.cases != 34 || counts.tasks == 0 || counts.marac == 0 {
			t.Errorf("in the database: %+v", counts)
		}

		// Nothing personal in clear. Whole names, not single short words,
		// which random ciphertext in a dump of megabytes can contain.
		var names []string
		p.Households(demo.Config{Seed: 3}, func(h *demo.Household) error {
			if len(names) < 200 {
				names = append(names, h.Client.GivenName+" "+h.Client.FamilyName, h.Client.Phone)
				for _, x := range h.Perpetrators {
					names = append(names, x.GivenName+" "+x.FamilyName)
				}
			}
			return nil
		})
		vaulttest.AssertNoPlaintext(t, db, cfg, names...)
	})
}
