package people_test

import (
	"errors"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// The team that runs the property of a client's live stay works the
// client while the household lives there, and not before admission (a
// held or offered referral gives no access) nor after departure. Like
// every team relation it holds within the record's organisation.
func TestFactsIncludeLiveStayTeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		other := "0190f2a0-0000-7000-8000-0000000000a2"
		if err := w.db.Write(ctx, func(tx *store.Tx) error {
			now := time.Now().UTC()
			if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Refuge Trust', 'refuge_operator', $2)`, other, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('refuge-a', $1, 'Refuge A', 'refuge', $2)`, w.org, now); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('refuge-b', $1, 'Refuge B', 'refuge', $2)`, other, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		mk := func(username, org, team string) access.Actor {
			st, err := w.accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: org, Username: username, DisplayName: username, Role: access.RoleRefugeWorker, TeamIDs: []string{team}})
			if err != nil {
				t.Fatal(err)
			}
			return access.Actor{StaffID: st.ID, Role: access.RoleRefugeWorker, OrganisationID: org, TeamIDs: []string{team}}
		}
		own, outside := mk("refuge.a", w.org, "refuge-a"), mk("refuge.b", other, "refuge-b")
		rs := &refuge.Service{DB: w.db, Vault: w.vault, Record: w.rec, Now: time.Now, ClientFacts: w.svc.Facts, ClientHousehold: w.svc.Placement}
		prop := func(id, team string) refuge.NewProperty {
			return refuge.NewProperty{ID: id, TeamID: team, Name: "House " + id[len(id)-1:], Kind: refuge.Communal, Town: "Tenterfold", Area: "Mill End",
				Address: "1 Mill Lane", Accepts: refuge.Criteria{Service: refuge.Women, MaxHouseholdSize: 3, MaxChildren: 2, MaxBoyAge: 17},
				Units: []refuge.NewUnit{{ID: id + "-u", Name: "Room 1", Bedspaces: 2}}}
		}
		if err := rs.ImportProperties(ctx, []refuge.NewProperty{
			prop("0190f2a0-0000-7000-8000-0000000000f1", "refuge-a"), prop("0190f2a0-0000-7000-8000-0000000000f2", "refuge-b"),
		}); err != nil {
			t.Fatal(err)
		}
		var denied *people.Denied
		// Before admission and after departure the refuge has no way into
		// the record: its own organisation's staff are refused (and may
		// break glass), another organisation's are told nothing.
		shut := func(err error) bool { return errors.As(err, &denied) || errs.CodeOf(err) == errs.NotFound }
		stay := func(unit string, team access.Actor) (*people.Client, string) {
			t.Helper()
			c, err := w.svc.Create(ctx, w.outreach, people.NewClient{GivenName: "Ruth", FamilyName: "Adeyemi"})
			if err != nil {
				t.Fatal(err)
			}
			ref, err := rs.Hold(ctx, w.outreach, refuge.HoldRequest{UnitID: unit, Household: refuge.Household{ClientID: c.ID, Adults: 1, Service: refuge.Women}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.Open(ctx, team, c.ID); !shut(err) {
				t.Fatalf("a held referral: %v", err)
			}
			if _, err := rs.Offer(ctx, team, ref.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := rs.Accept(ctx, w.outreach, ref.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.Open(ctx, team, c.ID); !shut(err) {
				t.Fatalf("an accepted offer: %v", err)
			}
			st, err := rs.Admit(ctx, team, ref.ID, refuge.Admission{MoveIn: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			return c, st.ID
		}

		c, st := stay("0190f2a0-0000-7000-8000-0000000000f1-u", own)
		if _, err := w.svc.Open(ctx, own, c.ID); err != nil {
			t.Fatalf("the refuge team during the stay: %v", err)
		}
		rec, err := func() (access.Record, error) {
			var rec access.Record
			err := w.db.Read(ctx, func(tx *store.Tx) error {
				var err error
				rec, err = w.svc.Facts(ctx, tx, own, c.ID)
				return err
			})
			return rec, err
		}()
		if err != nil || !access.Decide(own, access.UpdateRecord, rec).Allow {
			t.Fatalf("the refuge team may not update its resident: %+v %v", rec, err)
		}
		if err := rs.Depart(ctx, own, st, refuge.Departure{Date: time.Now(), Reason: "planned_move_on", MoveOn: refuge.SocialHousing}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Open(ctx, own, c.ID); !errors.As(err, &denied) {
			t.Fatalf("the refuge team after departure: %v", err)
		}

		// A refuge run by another organisation of the partnership works its
		// residents as well, while they live there (a partner team); its
		// staff had no way in before admission and have none after.
		c2, st2 := stay("0190f2a0-0000-7000-8000-0000000000f2-u", outside)
		if _, err := w.svc.Open(ctx, outside, c2.ID); err != nil {
			t.Fatalf("another organisation's refuge team during the stay: %v", err)
		}
		// It reads what the stay needs; the record stays its holding
		// organisation's to change, restrict, export or review.
		var rec2 access.Record
		if err := w.db.Read(ctx, func(tx *store.Tx) error {
			var err error
			rec2, err = w.svc.Facts(ctx, tx, outside, c2.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if rel := access.RelationOf(outside, rec2); rel != access.PartnerTeam {
			t.Fatalf("another organisation's refuge team stands %s to its resident, want %s", rel, access.PartnerTeam)
		}
		for _, act := range []access.Action{access.UpdateRecord, access.RestrictRecord, access.ExportRecord, access.ViewHistory, access.BreakGlass} {
			if access.Decide(outside, act, rec2).Allow {
				t.Errorf("another organisation's refuge team may %s its resident's record", act)
			}
		}
		if err := rs.Depart(ctx, outside, st2, refuge.Departure{Date: time.Now(), Reason: "planned_move_on", MoveOn: refuge.SocialHousing}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Open(ctx, outside, c2.ID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("another organisation's refuge team after departure: %v, want not found", err)
		}
	})
}
