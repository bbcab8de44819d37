package access_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestBreakGlassAndRestriction(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		v := vaulttest.New(t, db)
		c := &clock{t: time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)}
		rec := audit.NewRecorder(v.AuditKey(), c.Now, nil)
		accounts := auth.NewService(db, v, rec, c.Now)
		g := &access.Grants{Vault: v, Record: rec, Now: c.Now}

		// An organisation with two teams; staff made through the real service.
		var orgID string
		db.Write(ctx, func(tx *store.Tx) error {
			orgID = "0190f2a0-0000-7000-8000-000000000001"
			if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Women''s Aid', 'charity', $2)`, orgID, c.Now()); err != nil {
				return err
			}
			for _, team := range []string{"outreach", "helpline"} {
				if _, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ($1, $2, $1, $1, $3)`, team, orgID, c.Now()); err != nil {
					return err
				}
			}
			return nil
		})
		staff := func(username string, role access.Role, team string) access.Actor {
			st, err := accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: orgID, Username: username, DisplayName: username, Role: role, TeamIDs: []string{team}})
			if err != nil {
				t.Fatal(err)
			}
			return access.Actor{StaffID: st.ID, Role: role, OrganisationID: orgID, TeamIDs: []string{team}}
		}
		manager := staff("manager", access.RoleTeamManager, "outreach")
		named := staff("named", access.RoleOutreachWorker, "outreach")
		colleague := staff("colleague", access.RoleOutreachWorker, "outreach")
		helpline := staff("helpline", access.RoleFrontDoorWorker, "helpline")
		record := access.Record{ID: "0190f2a0-0000-7000-8000-00000000abcd", OrganisationID: orgID, TeamIDs: []string{"outreach"}}

		facts := func(a access.Actor) access.Record {
			r := record
			if err := db.Read(ctx, func(tx *store.Tx) error { return g.Facts(ctx, tx, a, &r) }); err != nil {
				t.Fatal(err)
			}
			return r
		}
		write := func(fn func(tx *store.Tx) error) error { return db.Write(ctx, fn) }

		// Break-glass: the helpline worker has no relation at 9 pm.
		if access.Decide(helpline, access.ReadRecord, facts(helpline)).Allow {
			t.Fatal("helpline worker reads an outreach case without a relation")
		}
		err := write(func(tx *store.Tx) error {
			_, err := g.BreakGlass(ctx, tx, helpline, facts(helpline), "survivor", access.ImmediateDanger, "urgent")
			return err
		})
		if errs.As(err).Field != "reason" {
			t.Fatalf("break-glass without a real reason: %v", err)
		}
		// "Curiosity" is not on the list, whatever the text says.
		err = write(func(tx *store.Tx) error {
			_, err := g.BreakGlass(ctx, tx, helpline, facts(helpline), "survivor", "curiosity", "curiosity, nothing urgent at all")
			return err
		})
		if errs.As(err).Field != "reason_kind" {
			t.Fatalf("break-glass with a reason off the list: %v", err)
		}
		var expires time.Time
		err = write(func(tx *store.Tx) error {
			var err error
			expires, err = g.BreakGlass(ctx, tx, helpline, facts(helpline), "survivor", access.ClientInContact, "caller says she is in danger tonight; need the safe number")
			return err
		})
		if err != nil || !expires.Equal(c.Now().Add(time.Hour)) {
			t.Fatalf("break-glass: %v, expires %v", err, expires)
		}
		r := facts(helpline)
		if !access.Decide(helpline, access.ReadRecord, r).Allow || access.Decide(helpline, access.UpdateRecord, r).Allow {
			t.Fatalf("under break-glass: read %v, update %v", access.Decide(helpline, access.ReadRecord, r), access.Decide(helpline, access.UpdateRecord, r))
		}
		c.Advance(61 * time.Minute)
		if access.Decide(helpline, access.ReadRecord, facts(helpline)).Allow {
			t.Fatal("break-glass outlived its hour")
		}
		var grants []access.Grant
		db.Read(ctx, func(tx *store.Tx) error {
			grants, err = g.BreakGlassSince(ctx, tx, orgID, c.Now().Add(-24*time.Hour), 50)
			return err
		})
		if len(grants) != 1 || grants[0].StaffID != helpline.StaffID || grants[0].Reason != "caller says she is in danger tonight; need the safe number" ||
			grants[0].ReasonKind != access.ClientInContact {
			t.Fatalf("grants for review: %+v", grants)
		}

		// Restriction: the manager restricts the case to one named worker.
		if err := write(func(tx *store.Tx) error { return g.Restrict(ctx, tx, named, facts(named), "survivor", nil) }); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("a worker restricting: %v", err)
		}
		if err := write(func(tx *store.Tx) error {
			return g.Restrict(ctx, tx, manager, facts(manager), "survivor", []string{named.StaffID})
		}); err != nil {
			t.Fatal(err)
		}
		if d := access.Decide(colleague, access.ReadRecord, facts(colleague)); d.Allow || !d.Hidden {
			t.Fatalf("colleague after restriction: %+v", d)
		}
		if !access.Decide(named, access.ReadRecord, facts(named)).Allow || !access.Decide(manager, access.ReadRecord, facts(manager)).Allow {
			t.Fatal("the named staff lost access")
		}
		err = write(func(tx *store.Tx) error {
			_, err := g.BreakGlass(ctx, tx, helpline, facts(helpline), "survivor", access.ImmediateDanger, "trying to see a restricted case tonight")
			return err
		})
		if errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("break-glass into a restricted record: %v, want not found", err)
		}
		// A colleague who is not named cannot lift it, and learns nothing.
		if err := write(func(tx *store.Tx) error {
			return g.LiftRestriction(ctx, tx, colleague, facts(colleague), "survivor", "I work this case and need it back")
		}); errs.CodeOf(err) != errs.NotFound || errs.RefusalOf(err) == nil {
			t.Fatalf("an unnamed colleague lifting a restriction: %v, want not found with a refusal to record", err)
		}
		if err := write(func(tx *store.Tx) error { return g.LiftRestriction(ctx, tx, manager, facts(manager), "survivor", "") }); errs.As(err).Field != "reason" {
			t.Fatalf("lifting without a reason: %v", err)
		}
		if err := write(func(tx *store.Tx) error {
			return g.LiftRestriction(ctx, tx, manager, facts(manager), "survivor", "the staff member who knew her has left")
		}); err != nil {
			t.Fatal(err)
		}
		if !access.Decide(colleague, access.ReadRecord, facts(colleague)).Allow {
			t.Fatal("colleague still shut out after the restriction was lifted")
		}

		// Everything above is in the record's audit history, and a failed
		// transaction left nothing.
		var events []audit.Event
		db.Read(ctx, func(tx *store.Tx) error {
			events, err = audit.History(ctx, tx, record.ID, 50)
			return err
		})
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action)
		}
		want := []string{"record.unrestrict", "record.restrict", "breakglass.open"}
		if len(actions) != len(want) {
			t.Fatalf("record history %v, want %v", actions, want)
		}
		for i := range want {
			if actions[i] != want[i] {
				t.Fatalf("record history %v, want %v", actions, want)
			}
		}
		if _, err := audit.Verify(ctx, db, v.AuditKey()); err != nil {
			t.Fatalf("audit chain: %v", err)
		}
	})
}
