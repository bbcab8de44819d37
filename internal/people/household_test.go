package people_test

import (
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
	"frontdoor/internal/matching"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

// both is a team manager of the outreach and helpline teams.
func (w *world) both(t testing.TB) access.Actor {
	st, err := w.accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: w.org, Username: "both.lead", DisplayName: "both", Role: access.RoleTeamManager, TeamIDs: []string{"outreach", "helpline"}})
	if err != nil {
		t.Fatal(err)
	}
	return access.Actor{StaffID: st.ID, Role: access.RoleTeamManager, OrganisationID: w.org, TeamIDs: []string{"outreach", "helpline"}}
}

func fieldNames(err error) string {
	var fields []string
	for _, f := range errs.AllFields(err) {
		fields = append(fields, f.Field)
	}
	return strings.Join(fields, ",")
}

func count(t testing.TB, w *world, query string, args ...any) int {
	t.Helper()
	var n int
	if err := w.db.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, query, args, &n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

func history(t testing.TB, w *world, recordID string) map[string]int {
	t.Helper()
	var events []audit.Event
	if err := w.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		events, err = audit.History(ctx, tx, recordID, 100)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, e := range events {
		counts[e.Action+"/"+e.RecordKind]++
	}
	return counts
}

func child() people.NewChild {
	return people.NewChild{GivenName: "Amara", FamilyName: "Okafor-Nwosu", Details: people.ChildDetails{
		DateOfBirth: "02/09/2017", Gender: "girl", School: "Hilda Road Primary", GP: "Dr Mensah, Quayside Surgery", Needs: "asthma inhaler at school"}}
}

func TestChildren(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		mother, err := w.svc.Create(ctx, w.outreach, fullClient())
		if err != nil {
			t.Fatal(err)
		}
		// Every field problem at once, nothing written.
		bad := people.NewChild{GivenName: " ", Details: people.ChildDetails{DateOfBirth: "31/02/2019", EstimatedAge: -1, Gender: "\x00", Needs: strings.Repeat("n", 4001)}}
		_, err = w.svc.CreateChild(ctx, w.outreach, mother.ID, bad)
		if got := fieldNames(err); got != "given_name,date_of_birth,estimated_age,gender,needs" {
			t.Fatalf("all errors at once: %s (%v)", got, err)
		}
		if n := count(t, w, `SELECT count(*) FROM children`); n != 0 {
			t.Fatal("a refused child was stored")
		}
		// Only someone who may update the client adds a child.
		if _, err := w.svc.CreateChild(ctx, w.helpline, mother.ID, child()); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("another team's worker adding a child: %v", err)
		}
		c, err := w.svc.CreateChild(ctx, w.outreach, mother.ID, child())
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.svc.OpenChild(ctx, w.partner, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.GivenName != "Amara" || got.Details.DateOfBirth != "2017-09-02" || got.Details.School != "Hilda Road Primary" ||
			len(got.Clients) != 1 || got.Clients[0].GivenName != "Grace" || !got.CanUpdate {
			t.Fatalf("child read back: %+v", got)
		}
		// A worker of another team cannot read the child.
		var denied *people.Denied
		if _, err := w.svc.OpenChild(ctx, w.helpline, c.ID); !errors.As(err, &denied) {
			t.Fatalf("another team's worker opening a child: %v", err)
		}
		// An administrator can never read a record nor break glass: told
		// nothing, as for a child that does not exist.
		if _, err := w.svc.OpenChild(ctx, w.admin, c.ID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("administrator opening a child: %v, want not found", err)
		}
		// Stale edit refused, the first kept.
		edit := child()
		edit.Details.School = "Moor Lane Academy"
		if err := w.svc.UpdateChild(ctx, w.partner, c.ID, got.Version, edit); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.UpdateChild(ctx, w.outreach, c.ID, got.Version, child()); errs.CodeOf(err) != errs.Conflict || errs.As(err).Key != "record.stale" {
			t.Fatalf("stale child edit: %v", err)
		}
		if err := w.svc.UpdateChild(ctx, w.helpline, c.ID, got.Version+1, child()); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("another team's worker editing a child: %v", err)
		}
		again, _ := w.svc.OpenChild(ctx, w.outreach, c.ID)
		if again.Details.School != "Moor Lane Academy" || again.Version != 2 {
			t.Fatalf("after the edit: %+v", again)
		}
		// The household on the client's page.
		h, err := w.svc.Household(ctx, w.partner, mother.ID)
		if err != nil || len(h.Children) != 1 || h.Children[0].GivenName != "Amara" {
			t.Fatalf("household: %+v %v", h, err)
		}
		if _, err := w.svc.Household(ctx, w.helpline, mother.ID); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("another team's worker listing the household: %v", err)
		}
		// A restricted client's child is hidden from everyone not named.
		if err := w.svc.Restrict(ctx, w.manager, mother.ID, []string{w.outreach.StaffID}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.OpenChild(ctx, w.partner, c.ID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("colleague opening a restricted client's child: %v", err)
		}
		if _, err := w.svc.OpenChild(ctx, w.outreach, c.ID); err != nil {
			t.Fatalf("named worker opening a restricted client's child: %v", err)
		}
		// A second parent, restricted to other staff: only the staff named
		// on both restrictions see the child.
		father, err := w.svc.Create(ctx, w.partner, people.NewClient{GivenName: "Tobi", FamilyName: "Nwosu"})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.LinkChild(ctx, w.helpline, c.ID, father.ID); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("another team linking: %v", err)
		}
		if err := w.svc.LinkChild(ctx, w.manager, c.ID, father.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.LinkChild(ctx, w.manager, c.ID, father.ID); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("linking twice: %v", err)
		}
		if err := w.svc.Restrict(ctx, w.manager, father.ID, []string{w.partner.StaffID}); err != nil {
			t.Fatal(err)
		}
		for _, a := range []access.Actor{w.outreach, w.partner} {
			if _, err := w.svc.OpenChild(ctx, a, c.ID); errs.CodeOf(err) != errs.NotFound {
				t.Fatalf("worker named on one parent's restriction only: %v", err)
			}
		}
		if got, err := w.svc.OpenChild(ctx, w.manager, c.ID); err != nil || len(got.Clients) != 2 {
			t.Fatalf("manager named on both: %+v %v", got, err)
		}
		if _, err := w.svc.OpenChild(ctx, w.outreach, "0190f2a0-0000-7000-8000-00000000dead"); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("missing child: %v", err)
		}
		counts := history(t, w, c.ID)
		if counts["record.create/child"] != 1 || counts["record.update/child"] != 1 || counts["record.read/child"] < 4 || counts[audit.ActionRefused+"/child"] != 1 || counts["record.link/child"] != 1 {
			t.Fatalf("child's history: %v", counts)
		}
		if _, err := audit.Verify(ctx, w.db, w.key); err != nil {
			t.Fatal(err)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "Amara", "Hilda Road", "Moor Lane", "Quayside Surgery", "asthma inhaler", "2017-09-02", "Tobi")
	})
}

// perpetrator's values are looked for in the database files by
// AssertNoPlaintext: each has a character that base64 (the sealed values)
// does not, or is long enough that ciphertext cannot hold it by chance
// ("Daz" alone once turned up inside a sealed value).
func perpetrator() people.NewPerpetrator {
	return people.NewPerpetrator{GivenName: "Darren", FamilyName: "Pike", Relationship: "ex_partner", Details: people.PerpetratorDetails{
		Aliases: []string{"Big Daz"}, DateOfBirth: "1984-06-30", Phone: "07700 900999", Description: "tall, scar on left hand",
		Vehicle: "blue Transit van", KnownAddresses: "12 Kestrel Avenue", Conditions: "non-molestation order until 2027"}}
}

func TestPerpetrators(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		both := w.both(t)
		grace, err := w.svc.Create(ctx, w.outreach, fullClient())
		if err != nil {
			t.Fatal(err)
		}
		// Every field problem at once, nothing written.
		bad := people.NewPerpetrator{Relationship: "enemy", Details: people.PerpetratorDetails{DateOfBirth: "2099-01-01", Phone: "12", Vehicle: "\x00"}}
		_, err = w.svc.CreatePerpetrator(ctx, w.outreach, grace.ID, bad)
		if got := fieldNames(err); got != "given_name,date_of_birth,phone,vehicle,relationship" {
			t.Fatalf("all errors at once: %s (%v)", got, err)
		}
		if n := count(t, w, `SELECT count(*) FROM perpetrators`); n != 0 {
			t.Fatal("a refused perpetrator was stored")
		}
		if _, err := w.svc.CreatePerpetrator(ctx, w.helpline, grace.ID, perpetrator()); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("another team recording a perpetrator: %v", err)
		}
		p, err := w.svc.CreatePerpetrator(ctx, w.outreach, grace.ID, perpetrator())
		if err != nil {
			t.Fatal(err)
		}
		if p.TeamID != "outreach" {
			t.Fatalf("perpetrator's team: %q", p.TeamID)
		}
		// A client of the helpline team harmed by the same man, linked by
		// a manager of both teams.
		mia, err := w.svc.Create(ctx, both, people.NewClient{GivenName: "Mia", FamilyName: "Hollis", TeamID: "helpline",
			Details: people.Details{Address: "4 Wren Close", Phone: "07700 900777"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.LinkPerpetrator(ctx, w.helpline, p.ID, mia.ID, "partner"); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("linking a perpetrator the worker may not read: %v", err)
		}
		if err := w.svc.LinkPerpetrator(ctx, both, p.ID, mia.ID, "enemy"); errs.As(err).Field != "relationship" {
			t.Fatalf("bad relationship: %v", err)
		}
		if err := w.svc.LinkPerpetrator(ctx, both, p.ID, mia.ID, "partner"); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.LinkPerpetrator(ctx, both, p.ID, mia.ID, "partner"); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("linking twice: %v", err)
		}
		// The outreach colleague reads the perpetrator: Grace by name only,
		// Mia (not theirs) only counted.
		got, err := w.svc.OpenPerpetrator(ctx, w.partner, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.GivenName != "Darren" || got.Details.Vehicle != "blue Transit van" || len(got.Clients) != 1 || got.Clients[0].GivenName != "Grace" ||
			got.Clients[0].Relationship != "ex_partner" || got.OtherClients != 1 {
			t.Fatalf("perpetrator read back: %+v", got)
		}
		// Nothing of the clients' contact details, address or safe contact.
		dump := fmt.Sprintf("%+v", got)
		for _, secret := range []string{"Quarry Lane", "900123", "900456", "bluebell", "grace@example.com", "her sister Ada", "Wren Close", "900777", "Mia", "Hollis"} {
			if strings.Contains(dump, secret) {
				t.Errorf("the perpetrator view carries %q: %s", secret, dump)
			}
		}
		// The helpline worker now works the perpetrator through Mia.
		hv, err := w.svc.OpenPerpetrator(ctx, w.helpline, p.ID)
		if err != nil || len(hv.Clients) != 1 || hv.Clients[0].GivenName != "Mia" || hv.OtherClients != 1 {
			t.Fatalf("helpline view: %+v %v", hv, err)
		}
		// Restricting Grace restricts the perpetrator linked to her too:
		// anyone not named on her record (her team-mate, the helpline
		// worker who came to it through Mia) no longer finds it, so it
		// cannot point at her; the named worker still can. Linking needs
		// update rights on the perpetrator, which nobody unnamed has.
		if err := w.svc.Restrict(ctx, w.manager, grace.ID, []string{w.outreach.StaffID}); err != nil {
			t.Fatal(err)
		}
		for who, a := range map[string]access.Actor{"helpline worker": w.helpline, "unnamed team-mate": w.partner} {
			if _, err := w.svc.OpenPerpetrator(ctx, a, p.ID); errs.CodeOf(err) != errs.NotFound {
				t.Fatalf("%s after restriction: %v, want not found", who, err)
			}
			if _, err := w.svc.UpdatePerpetrator(ctx, a, p.ID, got.Version, perpetrator()); errs.CodeOf(err) != errs.NotFound {
				t.Fatalf("%s edits after restriction: %v, want not found", who, err)
			}
		}
		if pv, err := w.svc.OpenPerpetrator(ctx, w.outreach, p.ID); err != nil || len(pv.Clients) != 1 || pv.Clients[0].GivenName != "Grace" {
			t.Fatalf("named worker's view after restriction: %+v %v", pv, err)
		}
		if err := w.svc.LiftRestriction(ctx, w.manager, grace.ID, "the worker who knew her has left"); err != nil {
			t.Fatal(err)
		}
		// Break-glass is read-only: it cannot be turned into lasting access
		// for the helpline team by linking Grace's perpetrator to Mia.
		other := perpetrator()
		other.GivenName = "Lyle"
		p2, err := w.svc.CreatePerpetrator(ctx, w.outreach, grace.ID, other)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.BreakGlass(ctx, w.helpline, grace.ID, access.EmergencyServices, "police on the line about an incident tonight"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.OpenPerpetrator(ctx, w.helpline, p2.ID); err != nil {
			t.Fatalf("break-glass read of the perpetrator: %v", err)
		}
		if err := w.svc.LinkPerpetrator(ctx, w.helpline, p2.ID, mia.ID, "partner"); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("linking under break-glass: %v, want forbidden", err)
		}
		if _, err := w.svc.OpenPerpetrator(ctx, w.admin, p.ID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("administrator: %v, want not found", err)
		}
		// Stale edit refused.
		edit := perpetrator()
		edit.Details.Vehicle = "silver Astra"
		if _, err := w.svc.UpdatePerpetrator(ctx, w.partner, p.ID, got.Version, edit); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.UpdatePerpetrator(ctx, w.outreach, p.ID, got.Version, perpetrator()); errs.As(err).Key != "record.stale" {
			t.Fatalf("stale perpetrator edit: %v", err)
		}
		h, err := w.svc.Household(ctx, both, mia.ID)
		if err != nil || len(h.Perpetrators) != 1 || h.Perpetrators[0].FamilyName != "Pike" || h.Perpetrators[0].Relationship != "partner" {
			t.Fatalf("Mia's household: %+v %v", h, err)
		}
		counts := history(t, w, p.ID)
		if counts["record.create/perpetrator"] != 1 || counts["record.update/perpetrator"] != 1 || counts["record.link/perpetrator"] != 1 ||
			counts["record.read/perpetrator"] < 3 {
			t.Fatalf("perpetrator's history: %v", counts)
		}
		if _, err := audit.Verify(ctx, w.db, w.key); err != nil {
			t.Fatal(err)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "Darren", "Big Daz", "1984-06-30", "900999", "scar on left hand", "Transit", "Kestrel Avenue", "non-molestation", "silver Astra")
	})
}

func TestSearchAndCaseload(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		ours, err := w.svc.Create(ctx, w.outreach, fullClient())
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := w.svc.Create(ctx, w.helpline, fullClient()) // same name, the helpline team's
		if err != nil {
			t.Fatal(err)
		}
		hidden, err := w.svc.Create(ctx, w.outreach, fullClient())
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.Restrict(ctx, w.manager, hidden.ID, nil); err != nil { // the manager alone
			t.Fatal(err)
		}
		other, err := w.svc.Create(ctx, w.outreach, people.NewClient{GivenName: "Ruth", FamilyName: "Adeyemi"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.CreatePerpetrator(ctx, w.outreach, other.ID, perpetrator()); err != nil {
			t.Fatal(err)
		}
		res, err := w.svc.Search(ctx, w.outreach, "  grace OKAFOR nwosu ", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].ID != ours.ID || res[0].Kind != people.RecordKind || res[0].GivenName != "Grace" || res[0].TeamID != "outreach" {
			t.Fatalf("search as the outreach worker: %+v", res)
		}
		if res, _ := w.svc.Search(ctx, w.helpline, "Grace Okafor-Nwosu", 10); len(res) != 1 || res[0].ID != theirs.ID {
			t.Fatalf("search as the helpline worker: %+v", res)
		}
		if res, _ := w.svc.Search(ctx, w.manager, "Grace Okafor-Nwosu", 10); len(res) != 2 {
			t.Fatalf("search as the manager named on the restriction: %+v", res)
		}
		if res, _ := w.svc.Search(ctx, w.partner, "Darren Pike", 10); len(res) != 1 || res[0].Kind != people.PerpetratorRecordKind {
			t.Fatalf("search for a perpetrator: %+v", res)
		}
		if res, _ := w.svc.SearchPerpetrators(ctx, w.partner, "Grace Okafor-Nwosu", 10); len(res) != 0 {
			t.Fatalf("perpetrator search found a client: %+v", res)
		}
		if _, err := w.svc.Search(ctx, w.admin, "Grace Okafor-Nwosu", 10); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("administrator searching: %v", err)
		}
		if _, err := w.svc.Search(ctx, w.outreach, " ", 10); errs.As(err).Field != "q" {
			t.Fatalf("empty search: %v", err)
		}
		// One audit event per search, without the query.
		var purposes []string
		w.db.Read(ctx, func(tx *store.Tx) error {
			rows, err := tx.Query(ctx, `SELECT purpose FROM audit_events WHERE action = 'record.search'`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var p string
				rows.Scan(&p)
				purposes = append(purposes, p)
			}
			return rows.Err()
		})
		if len(purposes) != 5 || slices.ContainsFunc(purposes, func(p string) bool { return strings.Contains(strings.ToLower(p), "grace") }) {
			t.Fatalf("search events: %q", purposes)
		}
		// Each name shown is in that record's own access history: the
		// restricted client shows the manager's search, the outreach
		// client the outreach worker's and the manager's.
		if n := count(t, w, `SELECT count(*) FROM audit_events WHERE action = 'record.search_result' AND record_id = '`+ours.ID+`'`); n != 2 {
			t.Fatalf("%d search_result events on the outreach client, want 2", n)
		}
		if n := count(t, w, `SELECT count(*) FROM audit_events WHERE action = 'record.search_result' AND record_id = '`+hidden.ID+`'`); n != 1 {
			t.Fatalf("%d search_result events on the restricted client, want 1 (the manager's)", n)
		}
		// The caseload: the worker's own clients, restricted ones they are
		// not named on left out.
		mine, err := w.svc.MyClients(ctx, w.outreach)
		if err != nil {
			t.Fatal(err)
		}
		if len(mine) != 2 || mine[0].ID != other.ID || mine[1].ID != ours.ID {
			t.Fatalf("caseload: %+v", mine)
		}
		if mine, _ := w.svc.MyClients(ctx, w.partner); len(mine) != 0 {
			t.Fatalf("a colleague's caseload: %+v", mine)
		}
	})
}

// A client who arrives from outside (self-referral, a partner's API) is
// created in the front door team with nobody assigned and no creator.
func TestCreateInTxFromOutside(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		var c *people.Client
		err := w.db.Write(ctx, func(tx *store.Tx) error {
			team, err := w.svc.IntakeTeam(ctx, tx, w.org)
			if err != nil {
				return err
			}
			if team != "helpline" {
				t.Errorf("front door team: %q", team)
			}
			bad := fullClient()
			bad.FamilyName, bad.Details.Email = "", "nope"
			if _, err := w.svc.CreateInTx(ctx, tx, people.Origin{OrganisationID: w.org, TeamID: team}, bad); fieldNames(err) != "family_name,email" {
				t.Errorf("all errors at once: %v", err)
			}
			c, err = w.svc.CreateInTx(ctx, tx, people.Origin{OrganisationID: w.org, TeamID: team}, fullClient())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Workers) != 0 || c.TeamID != "helpline" {
			t.Fatalf("created from outside: %+v", c)
		}
		if n := count(t, w, `SELECT count(*) FROM clients WHERE id = $1 AND created_by IS NULL`, c.ID); n != 1 {
			t.Fatal("created_by is not NULL")
		}
		if n := count(t, w, `SELECT count(*) FROM client_workers WHERE client_id = $1`, c.ID); n != 0 {
			t.Fatal("a worker was assigned")
		}
		if n := count(t, w, `SELECT count(*) FROM audit_events WHERE record_id = $1 AND action = 'record.create' AND COALESCE(actor_id, '') = ''`, c.ID); n != 1 {
			t.Fatalf("%d create events without an actor", n)
		}
		if got, err := w.svc.Open(ctx, w.helpline, c.ID); err != nil || got.FamilyName != "Okafor-Nwosu" {
			t.Fatalf("the front door team reads it: %+v %v", got, err)
		}
		// A team of another organisation, and an organisation without a
		// front door team.
		otherOrg := "0190f2a0-0000-7000-8000-0000000000b2"
		w.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Housing', 'housing_association', $2)`, otherOrg, time.Now().UTC())
			return err
		})
		err = w.db.Write(ctx, func(tx *store.Tx) error {
			if _, err := w.svc.CreateInTx(ctx, tx, people.Origin{OrganisationID: otherOrg, TeamID: "helpline"}, fullClient()); errs.As(err).Field != "team" {
				t.Errorf("another organisation's team: %v", err)
			}
			_, err := w.svc.IntakeTeam(ctx, tx, otherOrg)
			return err
		})
		if errs.As(err).Key != "client.no_front_door_team" {
			t.Fatalf("no front door team: %v", err)
		}
	})
}

// The team a live case is allocated to works the client; when the case
// closes, it no longer does.
func TestFactsIncludeLiveCaseTeams(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c, err := w.svc.Create(ctx, w.outreach, people.NewClient{GivenName: "Ruth", FamilyName: "Adeyemi"})
		if err != nil {
			t.Fatal(err)
		}
		kid, err := w.svc.CreateChild(ctx, w.outreach, c.ID, people.NewChild{GivenName: "Sam"})
		if err != nil {
			t.Fatal(err)
		}
		var denied *people.Denied
		if _, err := w.svc.Open(ctx, w.helpline, c.ID); !errors.As(err, &denied) {
			t.Fatalf("before the case: %v", err)
		}
		caseID := "0190f2a0-0000-7000-8000-0000000000e1"
		if err := w.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO intake_cases (id, client_id, organisation_id, service, team_id, referral_id, status, opened_at)
				VALUES ($1, $2, $3, 'outreach', 'helpline', 'r1', 'allocated', $4)`, caseID, c.ID, w.org, time.Now().UTC())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Open(ctx, w.helpline, c.ID); err != nil {
			t.Fatalf("the live case's team: %v", err)
		}
		if _, err := w.svc.OpenChild(ctx, w.helpline, kid.ID); err != nil {
			t.Fatalf("the live case's team opening the child: %v", err)
		}
		w.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE intake_cases SET status = 'closed', closed_at = $2 WHERE id = $1`, caseID, time.Now().UTC())
			return err
		})
		if _, err := w.svc.Open(ctx, w.helpline, c.ID); !errors.As(err, &denied) {
			t.Fatalf("after the case closed: %v", err)
		}
	})
}

// Every create and change keeps the matching index up to date in its own
// transaction: a new client who looks like a recorded perpetrator raises
// a counter-allegation alert, and search finds likely spellings.
func TestMatchingHooks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		w.svc.Matches = &matching.Index{Vault: w.vault, DB: w.db, Record: w.rec, Now: time.Now, Facts: w.svc.MatchFacts}
		grace, err := w.svc.Create(ctx, w.outreach, fullClient())
		if err != nil {
			t.Fatal(err)
		}
		if grace.Alerts != 0 {
			t.Fatalf("a client matching nobody raised %d alerts", grace.Alerts)
		}
		p, err := w.svc.CreatePerpetrator(ctx, w.outreach, grace.ID, perpetrator())
		if err != nil {
			t.Fatal(err)
		}
		if p.Alerts != 0 {
			t.Fatalf("a perpetrator matching no client raised %d alerts", p.Alerts)
		}
		if _, err := w.svc.CreateChild(ctx, w.outreach, grace.ID, child()); err != nil {
			t.Fatal(err)
		}
		// He presents as a victim at the helpline.
		him := people.NewClient{GivenName: "Darren", FamilyName: "Pike", Details: people.Details{DateOfBirth: "30/06/1984", Phone: "07700 900999"}}
		c, err := w.svc.Create(ctx, w.helpline, him)
		if err != nil {
			t.Fatal(err)
		}
		if c.Alerts == 0 {
			t.Fatal("a client matching a recorded perpetrator raised no alert")
		}
		if n := count(t, w, `SELECT count(*) FROM audit_events WHERE action = 'match.alert'`); n == 0 {
			t.Fatal("the alert is not in the audit trail")
		}
		// A likely spelling finds the perpetrator for a worker who may read it.
		res, err := w.svc.Search(ctx, w.partner, "Daren Pike", 10)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(res, func(s people.Summary) bool { return s.ID == p.ID }) {
			t.Fatalf("a likely spelling did not find the perpetrator: %+v", res)
		}
		// ...and never a record the searcher may not read.
		for _, s := range res {
			if s.ID == c.ID {
				t.Fatalf("search showed the helpline team's client to an outreach worker: %+v", res)
			}
		}
		// A worker probing with a perpetrator's details is not told about an
		// alert against a client restricted to other staff: that would say
		// the hidden client exists. The alert is still raised for them.
		if err := w.svc.Restrict(ctx, w.manager, grace.ID, []string{w.outreach.StaffID}); err != nil {
			t.Fatal(err)
		}
		before := count(t, w, `SELECT count(*) FROM match_alerts`)
		mia, err := w.svc.Create(ctx, w.helpline, people.NewClient{GivenName: "Mia", FamilyName: "Hollis"})
		if err != nil {
			t.Fatal(err)
		}
		probe := people.NewPerpetrator{GivenName: "Grace", FamilyName: "Okafor-Nwosu", Relationship: "other", Details: people.PerpetratorDetails{DateOfBirth: fullClient().Details.DateOfBirth}}
		pp, err := w.svc.CreatePerpetrator(ctx, w.helpline, mia.ID, probe)
		if err != nil {
			t.Fatal(err)
		}
		if pp.Alerts != 0 {
			t.Fatalf("the helpline worker was told of %d alerts against a client hidden from them", pp.Alerts)
		}
		if after := count(t, w, `SELECT count(*) FROM match_alerts`); after != before+1 {
			t.Fatalf("alerts %d -> %d: the match against the restricted client was not raised for its named staff", before, after)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "Darren", "Daren", "900999", "1984-06-30")
	})
}

// Children's and perpetrators' access facts read for a whole list (a
// search's results) are what each one's own facts are: restricted linked
// clients, break-glass, live cases' teams, several links, and none for a
// record that does not exist.
func TestLinkedFactsManyIsFacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		var clients []string
		for _, name := range []string{"Grace", "Amina", "Rosa"} {
			c, err := w.svc.Create(ctx, w.outreach, people.NewClient{GivenName: name, FamilyName: "Okafor"})
			if err != nil {
				t.Fatal(err)
			}
			clients = append(clients, c.ID)
		}
		var kids, perps []string
		for _, cid := range clients {
			k, err := w.svc.CreateChild(ctx, w.outreach, cid, child())
			if err != nil {
				t.Fatal(err)
			}
			p, err := w.svc.CreatePerpetrator(ctx, w.outreach, cid, perpetrator())
			if err != nil {
				t.Fatal(err)
			}
			kids, perps = append(kids, k.ID), append(perps, p.ID)
		}
		// The first child and perpetrator are linked to two clients, one
		// of them restricted; the helpline worker breaks glass on the
		// third client; the second client's live case is the helpline's.
		if err := w.svc.LinkChild(ctx, w.outreach, kids[0], clients[1]); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.LinkPerpetrator(ctx, w.outreach, perps[0], clients[1], "ex_partner"); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.Restrict(ctx, w.manager, clients[1], []string{w.outreach.StaffID, w.manager.StaffID}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.BreakGlass(ctx, w.helpline, clients[2], access.ClientInContact, "she is on the line now and in danger"); err != nil {
			t.Fatal(err)
		}
		if err := w.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO intake_cases (id, client_id, organisation_id, service, team_id, referral_id, status, opened_at)
				VALUES ('0190f2a0-0000-7000-8000-0000000000c1', $1, $2, 'outreach', 'helpline', 'r1', 'allocated', $3)`, clients[1], w.org, time.Now().UTC())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		gone := "0190f2a0-0000-7000-8000-00000000beef"
		for _, actor := range []access.Actor{w.outreach, w.partner, w.helpline, w.manager, w.admin} {
			err := w.db.Read(ctx, func(tx *store.Tx) error {
				many, err := w.svc.LinkedFactsMany(ctx, tx, actor, append(slices.Clone(kids), gone), append(slices.Clone(perps), gone))
				if err != nil {
					return err
				}
				if len(many) != len(kids)+len(perps) {
					t.Errorf("%s: %d records' facts, want %d (none for the one gone)", actor.Role, len(many), len(kids)+len(perps))
				}
				check := func(kind matching.Kind, id string) {
					one, err := w.svc.MatchFacts(ctx, tx, actor, kind, id)
					if err != nil {
						t.Errorf("%s, %s %s alone: %v", actor.Role, kind, id, err)
						return
					}
					if !reflect.DeepEqual(one, many[id]) {
						t.Errorf("%s, %s %s: alone %+v, in a list %+v", actor.Role, kind, id, one, many[id])
					}
				}
				for _, id := range kids {
					check(matching.Child, id)
				}
				for _, id := range perps {
					check(matching.Perpetrator, id)
				}
				if f := many[kids[0]]; !slices.Contains(f.TeamIDs, "helpline") || !slices.Equal(f.RestrictedTo, []string{w.outreach.StaffID, w.manager.StaffID}) {
					t.Errorf("%s: the first child's facts miss the second client's case team or restriction: %+v", actor.Role, f)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}
