package people_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault"
	"frontdoor/internal/vault/vaulttest"
)

var ctx = context.Background()

type world struct {
	db       *store.DB
	cfg      store.Config
	svc      *people.Service
	accounts *auth.Service
	vault    *vault.Vault
	rec      audit.Recorder
	grants   *access.Grants
	key      []byte
	org      string
	outreach access.Actor // caseworker, outreach team
	partner  access.Actor // outreach colleague
	helpline access.Actor // front door worker, helpline team
	manager  access.Actor // outreach team manager
	admin    access.Actor
}

func newWorld(t testing.TB, d store.Dialect) *world {
	cfg := storetest.Config(t, d)
	db := storetest.OpenConfig(t, cfg)
	v := vaulttest.New(t, db)
	rec := audit.NewRecorder(v.AuditKey(), time.Now, nil)
	accounts := auth.NewService(db, v, rec, time.Now)
	grants := &access.Grants{Vault: v, Record: rec, Now: time.Now}
	w := &world{db: db, cfg: cfg, grants: grants, key: v.AuditKey(), org: "0190f2a0-0000-7000-8000-0000000000a1", accounts: accounts, vault: v, rec: rec,
		svc: &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: time.Now}}
	db.Write(ctx, func(tx *store.Tx) error {
		tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Women''s Aid', 'charity', $2)`, w.org, time.Now().UTC())
		for _, team := range []string{"outreach", "helpline"} {
			tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ($1, $2, $1, $1, $3)`, team, w.org, time.Now().UTC())
		}
		return nil
	})
	mk := func(username string, role access.Role, team string) access.Actor {
		var teams []string
		if team != "" {
			teams = []string{team}
		}
		st, err := accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: w.org, Username: username, DisplayName: username, Role: role, TeamIDs: teams})
		if err != nil {
			t.Fatal(err)
		}
		return access.Actor{StaffID: st.ID, Role: role, OrganisationID: w.org, TeamIDs: teams}
	}
	w.outreach = mk("outreach.one", access.RoleOutreachWorker, "outreach")
	w.partner = mk("outreach.two", access.RoleOutreachWorker, "outreach")
	w.helpline = mk("helpline.one", access.RoleFrontDoorWorker, "helpline")
	w.manager = mk("outreach.lead", access.RoleTeamManager, "outreach")
	w.admin = mk("the.admin", access.RoleAdministrator, "")
	return w
}

func TestClientRecordAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		if _, err := w.svc.Create(ctx, w.outreach, people.NewClient{GivenName: " ", FamilyName: "Okafor"}); errs.As(err).Field != "given_name" {
			t.Fatalf("empty given name: %v", err)
		}
		if _, err := w.svc.Create(ctx, w.outreach, people.NewClient{GivenName: "Grace", FamilyName: "Okafor", TeamID: "helpline"}); errs.As(err).Field != "team" {
			t.Fatalf("another team's client: %v", err)
		}
		if _, err := w.svc.Create(ctx, w.admin, people.NewClient{GivenName: "Grace", FamilyName: "Okafor"}); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("administrator creating a client: %v", err)
		}
		c, err := w.svc.Create(ctx, w.outreach, people.NewClient{GivenName: "Grace", FamilyName: "Okafor-Nwosu"})
		if err != nil {
			t.Fatal(err)
		}
		// The assigned worker and a team colleague read it.
		for _, a := range []access.Actor{w.outreach, w.partner, w.manager} {
			got, err := w.svc.Open(ctx, a, c.ID)
			if err != nil || got.GivenName != "Grace" || got.FamilyName != "Okafor-Nwosu" {
				t.Fatalf("%s opening the client: %+v %v", a.Role, got, err)
			}
		}
		// The administrator never, and is told nothing (as for an ID that
		// names no one); the helpline worker only by break-glass.
		if _, err := w.svc.Open(ctx, w.admin, c.ID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("administrator: %v, want not found", err)
		}
		if _, err := w.svc.Open(ctx, w.admin, id.New()); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("administrator, an ID that names no one: %v", err)
		}
		var denied *people.Denied
		if _, err := w.svc.Open(ctx, w.helpline, c.ID); !errors.As(err, &denied) || !denied.BreakGlass {
			t.Fatalf("helpline worker without a relation: %v", err)
		}
		if _, err := w.svc.BreakGlass(ctx, w.helpline, c.ID, access.ClientInContact, "she is on the line now and in danger"); err != nil {
			t.Fatal(err)
		}
		got, err := w.svc.Open(ctx, w.helpline, c.ID)
		if err != nil || got.Relation != access.BreakGlassActive {
			t.Fatalf("after break-glass: %+v %v", got, err)
		}
		// The team's manager sees the access history; a caseworker may not.
		if _, err := w.svc.History(ctx, w.partner, c.ID, 0); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("caseworker reading access history: %v", err)
		}
		if h, err := w.svc.History(ctx, w.manager, c.ID, 0); err != nil || len(h) < 5 {
			t.Fatalf("manager reading access history: %d events, %v", len(h), err)
		}
		// Restricted to the manager and the assigned worker: the colleague
		// now gets not-found, as if the record did not exist.
		if err := w.svc.Restrict(ctx, w.partner, c.ID, nil); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("caseworker restricting: %v", err)
		}
		if err := w.svc.Restrict(ctx, w.manager, c.ID, []string{w.outreach.StaffID}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Open(ctx, w.partner, c.ID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("colleague after restriction: %v", err)
		}
		if _, err := w.svc.Open(ctx, w.outreach, c.ID); err != nil {
			t.Fatalf("named worker after restriction: %v", err)
		}
		if _, err := w.svc.Open(ctx, w.outreach, "0190f2a0-0000-7000-8000-00000000dead"); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("missing record: %v", err)
		}

		// Every read, and the refusal that offered break-glass, is in the
		// record's history. (Refusals answered as not found, such as the
		// administrator's, are recorded where the request ends: the web
		// and API tests check those.)
		var events []audit.Event
		w.db.Read(ctx, func(tx *store.Tx) error {
			events, err = audit.History(ctx, tx, c.ID, 100)
			return err
		})
		counts := map[string]int{}
		for _, e := range events {
			counts[e.Action]++
		}
		if counts["record.create"] != 1 || counts["record.read"] != 5 || counts[audit.ActionRefused] != 1 || counts["breakglass.open"] != 1 || counts["record.restrict"] != 1 || counts["record.history"] != 1 {
			t.Fatalf("record history: %v", counts)
		}
		if _, err := audit.Verify(ctx, w.db, w.key); err != nil {
			t.Fatal(err)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "Grace", "Okafor-Nwosu", "she is on the line now")
	})
}

func fullClient() people.NewClient {
	return people.NewClient{GivenName: "Grace", FamilyName: "Okafor-Nwosu", Details: people.Details{
		Aliases: []string{"Gracie"}, DateOfBirth: "14/03/1987", Gender: "woman", Phone: "07700 900123", Email: "grace@example.com",
		Address: "Flat 2, 17 Quarry Lane, Hollinsford QH1 4ZZ", Language: "Igbo", InterpreterNeeded: true, Immigration: "nrpf",
		Equality: people.Equality{Ethnicity: "Black African", Religion: people.PreferNotToSay},
		SafeContact: people.SafeContact{Phone: "07700 900456", Times: "weekdays 10:00-12:00", Voicemail: people.Unsafe, Text: people.Safe,
			Codeword: "bluebell", WhoElseMayAnswer: "her sister Ada"},
	}}
}

func TestClientDetailsValidateSealAndUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		bad := fullClient()
		bad.GivenName = ""
		bad.Details.DateOfBirth = "31/02/1990"
		bad.Details.Email = "not an email"
		bad.Details.SafeContact.Text = "maybe"
		err := func() error { _, err := w.svc.Create(ctx, w.outreach, bad); return err }()
		var fields []string
		for _, f := range errs.AllFields(err) {
			fields = append(fields, f.Field)
		}
		if strings.Join(fields, ",") != "given_name,date_of_birth,email,safe_text" {
			t.Fatalf("all errors at once: got %v (%v)", fields, err)
		}
		var n int
		w.db.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, `SELECT count(*) FROM clients`, nil, &n) })
		if n != 0 {
			t.Fatal("a refused client was stored")
		}

		c, err := w.svc.Create(ctx, w.outreach, fullClient())
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.svc.Open(ctx, w.partner, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		dd := got.Details
		if dd.DateOfBirth != "1987-03-14" || dd.SafeContact.Codeword != "bluebell" || dd.SafeContact.Voicemail != people.Unsafe ||
			dd.SafeContact.Email != people.NotKnown || !dd.InterpreterNeeded || dd.Aliases[0] != "Gracie" {
			t.Fatalf("details read back: %+v", dd)
		}
		// Two workers edit at once: the second, stale, save is refused.
		edit := fullClient()
		edit.Details.SafeContact.Text = people.Unsafe
		if _, err := w.svc.Update(ctx, w.partner, c.ID, got.Version, edit); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Update(ctx, w.outreach, c.ID, got.Version, fullClient()); errs.As(err).Key != "record.stale" {
			t.Fatalf("stale edit: %v", err)
		}
		again, _ := w.svc.Open(ctx, w.outreach, c.ID)
		if again.Details.SafeContact.Text != people.Unsafe || again.Version != got.Version+1 {
			t.Fatalf("after the edit: %+v", again.Details.SafeContact)
		}
		if _, err := w.svc.Update(ctx, w.helpline, c.ID, again.Version, fullClient()); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("unrelated worker editing: %v", err)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "Quarry Lane", "900123", "900456", "bluebell", "her sister Ada", "grace@example.com", "1987-03-14", "Igbo", "Black African")
	})
}

// TestFactsManyIsFacts: the facts read for many clients at once (search
// results, lists) are exactly those read for each alone, for clients
// assigned, restricted, broken into, and gone.
func TestFactsManyIsFacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		var ids []string
		for _, name := range []string{"Grace", "Amina", "Rosa", "Lena"} {
			c, err := w.svc.Create(ctx, w.outreach, people.NewClient{GivenName: name, FamilyName: "Okafor"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		if err := w.svc.Restrict(ctx, w.manager, ids[1], []string{w.outreach.StaffID}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.BreakGlass(ctx, w.helpline, ids[2], access.ClientInContact, "she is on the line now and in danger"); err != nil {
			t.Fatal(err)
		}
		// A live case allocated to the helpline team: that team works her.
		if err := w.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO intake_cases (id, client_id, organisation_id, service, team_id, referral_id, status, opened_at)
				VALUES ('0190f2a0-0000-7000-8000-0000000000c1', $1, $2, 'outreach', 'helpline', 'r1', 'allocated', $3)`, ids[3], w.org, time.Now().UTC())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		gone := "0190f2a0-0000-7000-8000-00000000dead"
		// Past one query's list of IDs (500): the real clients are in the
		// first list (IDs are read in order), unknown ones fill the next.
		asked := append([]string{ids[3]}, ids...)
		for i := range 600 {
			asked = append(asked, fmt.Sprintf("ffffffff-0000-7000-8000-%012d", i))
		}
		asked = append(asked, gone, ids[0], ids[3])
		for _, actor := range []access.Actor{w.outreach, w.helpline, w.manager, w.admin} {
			err := w.db.Read(ctx, func(tx *store.Tx) error {
				many, err := w.svc.FactsMany(ctx, tx, actor, asked)
				if err != nil {
					return err
				}
				if len(many) != len(ids) {
					t.Errorf("%s: %d clients' facts, want %d (none for the one gone)", actor.Role, len(many), len(ids))
				}
				if !slices.Contains(many[ids[3]].TeamIDs, "helpline") {
					t.Errorf("%s: the live case's team is not among the client's teams: %+v", actor.Role, many[ids[3]])
				}
				for _, id := range ids {
					one, err := w.svc.Facts(ctx, tx, actor, id)
					if err != nil {
						return err
					}
					if !reflect.DeepEqual(one, many[id]) {
						t.Errorf("%s, client %s: alone %+v, with others %+v", actor.Role, id, one, many[id])
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

// A request that remembers facts decides its later reads on its first
// read's facts, for the one actor it read them for; every read is still
// decided and recorded, and another actor in the same context is decided
// on its own facts.
func TestRememberedFacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		// Reads recorded by group commit, as serve records them: they run
		// in read transactions, the only ones remembered facts decide.
		batch := audit.NewBatcher(w.db, w.key, audit.BatcherOptions{})
		t.Cleanup(func() { batch.Close() })
		w.svc.ReadLog = audit.NewReadLog(batch, nil)
		c, err := w.svc.Create(ctx, w.outreach, people.NewClient{GivenName: "Grace", FamilyName: "Okafor"})
		if err != nil {
			t.Fatal(err)
		}
		page := people.RememberFacts(ctx)
		first, err := w.svc.Open(page, w.partner, c.ID)
		if err != nil || first.GivenName != "Grace" {
			t.Fatalf("first read: %+v %v", first, err)
		}
		// Restricted away from the colleague after the page's first read:
		// the page's later reads stand on the facts it was decided on, a
		// new request on the new ones.
		if err := w.svc.Restrict(ctx, w.manager, c.ID, []string{w.outreach.StaffID}); err != nil {
			t.Fatal(err)
		}
		again, err := w.svc.Open(page, w.partner, c.ID)
		if err != nil || again.GivenName != "Grace" || again.RestrictedTo != nil {
			t.Fatalf("the page's second read: %+v %v", again, err)
		}
		if _, err := w.svc.Open(ctx, w.partner, c.ID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("a new request after the restriction: %v", err)
		}
		// A write in the remembering context is decided on its own facts.
		if _, err := w.svc.BreakGlass(page, w.partner, c.ID, access.ClientInContact, "she is on the line now and in danger"); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("a write in the remembering context after the restriction: %v", err)
		}
		// Another actor in the same context is decided on facts read for
		// it: the restriction hides the record (on the remembered facts it
		// would be refused with break-glass offered).
		for _, a := range []access.Actor{w.helpline, w.admin} {
			if _, err := w.svc.Open(page, a, c.ID); errs.CodeOf(err) != errs.NotFound {
				t.Fatalf("%s in the remembering context: %v", a.Role, err)
			}
		}
		// What a caller fills in is not remembered.
		first.GivenName = "changed"
		first.Workers[0] = "someone else"
		third, err := w.svc.Open(page, w.partner, c.ID)
		if err != nil || third.GivenName != "Grace" || third.Workers[0] != w.outreach.StaffID {
			t.Fatalf("third read: %+v %v", third, err)
		}
		var events []audit.Event
		w.db.Read(ctx, func(tx *store.Tx) error {
			events, err = audit.History(ctx, tx, c.ID, 100)
			return err
		})
		reads := 0
		for _, e := range events {
			if e.Action == "record.read" && e.ActorID == w.partner.StaffID {
				reads++
			}
		}
		if reads != 3 {
			t.Fatalf("the colleague's recorded reads: %d, want 3", reads)
		}
	})
}
