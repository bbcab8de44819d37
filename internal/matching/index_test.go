package matching_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/matching"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

var ctx = context.Background()

const (
	orgA = "0190f2a0-0000-7000-8000-0000000000a1"
	orgB = "0190f2a0-0000-7000-8000-0000000000b2"
)

type world struct {
	db    *store.DB
	cfg   store.Config
	x     *matching.Index
	facts map[string]access.Record // by kind + "/" + id

	worker, other, manager, otherManager, dpl access.Actor
}

func newWorld(t testing.TB, d store.Dialect) *world {
	t.Helper()
	cfg := storetest.Config(t, d)
	db := storetest.OpenConfig(t, cfg)
	v := vaulttest.New(t, db)
	rec := audit.NewRecorder(v.AuditKey(), time.Now, nil)
	w := &world{db: db, cfg: cfg, facts: map[string]access.Record{}}
	w.x = &matching.Index{Vault: v, DB: db, Record: rec, Now: time.Now,
		Facts: func(ctx context.Context, tx *store.Tx, actor access.Actor, kind matching.Kind, id string) (access.Record, error) {
			r, ok := w.facts[string(kind)+"/"+id]
			if !ok {
				return access.Record{}, errs.New(errs.NotFound, "error.not_found")
			}
			return r, nil
		}}
	if err := db.Write(ctx, func(tx *store.Tx) error {
		for _, org := range []string{orgA, orgB} {
			if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $1, 'charity', $2)`, org, time.Now().UTC()); err != nil {
				return err
			}
		}
		for _, team := range []string{"outreach", "helpline"} {
			if _, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ($1, $2, $1, $1, $3)`, team, orgA, time.Now().UTC()); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	accounts := auth.NewService(db, v, rec, time.Now)
	mk := func(username string, role access.Role, team string) access.Actor {
		var teams []string
		if team != "" {
			teams = []string{team}
		}
		st, err := accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: orgA, Username: username, DisplayName: username, Role: role, TeamIDs: teams})
		if err != nil {
			t.Fatal(err)
		}
		return access.Actor{StaffID: st.ID, Role: role, OrganisationID: orgA, TeamIDs: teams}
	}
	w.worker = mk("outreach.one", access.RoleOutreachWorker, "outreach")
	w.other = mk("outreach.two", access.RoleOutreachWorker, "outreach")
	w.manager = mk("outreach.lead", access.RoleTeamManager, "outreach")
	w.otherManager = mk("helpline.lead", access.RoleTeamManager, "helpline")
	w.dpl = mk("the.dpl", access.RoleDataProtectionLead, "")
	return w
}

func (w *world) put(t testing.TB, by string, s matching.Subject) []matching.Alert {
	t.Helper()
	if s.OrganisationID == "" {
		s.OrganisationID = orgA
	}
	var alerts []matching.Alert
	if err := w.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		alerts, err = w.x.Put(ctx, tx, by, s)
		return err
	}); err != nil {
		t.Fatalf("put %s: %v", s.ID, err)
	}
	return alerts
}

func (w *world) find(t testing.TB, org string, p matching.Probe) []matching.Candidate {
	t.Helper()
	var out []matching.Candidate
	if err := w.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = w.x.Find(ctx, tx, org, p, 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func ids(cs []matching.Candidate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func (w *world) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := w.db.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, query, args, &n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

// IDs of the people in the tests.
const (
	robert   = "0190f2a0-0000-7000-8000-000000000001"
	cath     = "0190f2a0-0000-7000-8000-000000000002"
	amina    = "0190f2a0-0000-7000-8000-000000000003"
	mo       = "0190f2a0-0000-7000-8000-000000000004"
	child    = "0190f2a0-0000-7000-8000-000000000005"
	robertB  = "0190f2a0-0000-7000-8000-000000000006"
	namesake = "0190f2a0-0000-7000-8000-000000000007"
)

func (w *world) people(t testing.TB) {
	w.put(t, w.worker.StaffID, matching.Subject{Kind: matching.Client, ID: robert, Given: "Robert", Family: "Smith", DOB: "1985-03-04", Phones: []string{"07700 900123"}})
	w.put(t, w.worker.StaffID, matching.Subject{Kind: matching.Client, ID: cath, Given: "Catherine", Family: "O'Brien", BirthYear: 1990, Aliases: []string{"Kathy Walsh"}})
	w.put(t, w.worker.StaffID, matching.Subject{Kind: matching.Client, ID: amina, Given: "Amina", Family: "Begum", DOB: "1992-11-30", Phones: []string{"+44 7700 900999"}})
	w.put(t, w.worker.StaffID, matching.Subject{Kind: matching.Child, ID: child, Given: "Yusuf", Family: "Begum", DOB: "2015-06-01"})
	w.put(t, "", matching.Subject{Kind: matching.Perpetrator, ID: mo, Given: "Mohammed", Family: "Khan", BirthYear: 1979, Phones: []string{"07700 900555"}})
	w.put(t, w.worker.StaffID, matching.Subject{Kind: matching.Client, ID: namesake, Given: "Robert", Family: "Smith", DOB: "1962-11-20"})
	// The same person in another organisation.
	w.put(t, "", matching.Subject{Kind: matching.Client, ID: robertB, OrganisationID: orgB, Given: "Robert", Family: "Smith", DOB: "1985-03-04", Phones: []string{"07700 900123"}})
}

func TestFind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		w.people(t)
		for _, c := range []struct {
			name   string
			probe  matching.Probe
			want   []string
			reason string
		}{
			{"nickname", matching.Probe{Given: "Bob", Family: "Smith", DOB: "1985-03-04"}, []string{robert}, matching.ReasonNickname},
			{"nickname without a date", matching.Probe{Given: "Bob", Family: "Smith"}, []string{robert, namesake}, matching.ReasonNickname},
			{"transposed date", matching.Probe{Given: "Robert", Family: "Smyth", DOB: "1985-04-03"}, []string{robert}, matching.ReasonDOBTransposed},
			{"year only", matching.Probe{Given: "Rob", Family: "Smith", DOB: "1985"}, []string{robert}, matching.ReasonBirthYear},
			{"estimated year", matching.Probe{Given: "Katie", Family: "OBrien", BirthYear: 1991}, []string{cath}, matching.ReasonNickname},
			{"alias", matching.Probe{Given: "Kathy", Family: "Walsh"}, []string{cath}, matching.ReasonAlias},
			{"phone, formatted otherwise", matching.Probe{Given: "A", Family: "Begum", Phones: []string{"0044 (0)7700-900 999"}}, []string{amina}, matching.ReasonSamePhone},
			{"phone alone", matching.Probe{Phones: []string{"+447700900123"}}, []string{robert}, matching.ReasonSamePhone},
			{"unrelated", matching.Probe{Given: "Jane", Family: "Doe", DOB: "1990-01-01", Phones: []string{"07700 900000"}}, nil, ""},
			{"perpetrator by variant", matching.Probe{Given: "Muhammad", Family: "Khan", DOB: "1979-05-05"}, []string{mo}, matching.ReasonNickname},
			{"kinds: clients only", matching.Probe{Given: "Muhammad", Family: "Khan", DOB: "1979-05-05", Kinds: []matching.Kind{matching.Client}}, nil, ""},
			{"kinds: children", matching.Probe{Given: "Yusuf", Family: "Begum", DOB: "2015-01-06", Kinds: []matching.Kind{matching.Child}}, []string{child}, matching.ReasonDOBTransposed},
			{"kinds: not children", matching.Probe{Given: "Yusuf", Family: "Begum", DOB: "2015-01-06", Kinds: []matching.Kind{matching.Client, matching.Perpetrator}}, nil, ""},
		} {
			got := w.find(t, orgA, c.probe)
			if !slices.Equal(ids(got), c.want) {
				t.Errorf("%s: found %v (%+v), want %v", c.name, ids(got), got, c.want)
				continue
			}
			if c.reason != "" && !slices.Contains(got[len(got)-1].Reasons, c.reason) && !slices.Contains(got[0].Reasons, c.reason) {
				t.Errorf("%s: reasons %v lack %s", c.name, got[0].Reasons, c.reason)
			}
			for i, cand := range got {
				if cand.Score < matching.LikelyScore || cand.Score > 1 || (i > 0 && cand.Score > got[i-1].Score) {
					t.Errorf("%s: scores out of order or range: %+v", c.name, got)
				}
			}
		}
		// The best comes first.
		if got := w.find(t, orgA, matching.Probe{Given: "Robert", Family: "Smith", DOB: "1985-03-04"}); len(got) != 1 || got[0].ID != robert || got[0].Kind != matching.Client {
			t.Errorf("exact: %+v", got)
		}
		// Organisations do not see each other's people.
		if got := w.find(t, orgB, matching.Probe{Given: "Bob", Family: "Smith", DOB: "1985-03-04"}); !slices.Equal(ids(got), []string{robertB}) {
			t.Errorf("organisation B found %v", ids(got))
		}
		if got := w.find(t, orgB, matching.Probe{Given: "Amina", Family: "Begum", DOB: "1992-11-30"}); len(got) != 0 {
			t.Errorf("organisation B found A's client: %v", ids(got))
		}

		// Put replaces: the old name and date no longer find her.
		w.put(t, w.worker.StaffID, matching.Subject{Kind: matching.Client, ID: amina, Given: "Amina", Family: "Hussain", DOB: "1992-11-30"})
		if got := w.find(t, orgA, matching.Probe{Given: "Amina", Family: "Begum", Phones: []string{"07700 900999"}}); len(got) != 0 {
			t.Errorf("after the change, the old details found %v", ids(got))
		}
		if got := w.find(t, orgA, matching.Probe{Given: "Amina", Family: "Husain", DOB: "1992-11-30"}); !slices.Equal(ids(got), []string{amina}) {
			t.Errorf("after the change: %v", ids(got))
		}
		keys := w.count(t, `SELECT count(*) FROM match_keys WHERE id = $1`, amina)
		if keys == 0 || keys > 8 {
			t.Errorf("%d keys after the change", keys)
		}
		// Remove forgets.
		if err := w.db.Write(ctx, func(tx *store.Tx) error { return w.x.Remove(ctx, tx, matching.Client, amina) }); err != nil {
			t.Fatal(err)
		}
		if n := w.count(t, `SELECT count(*) FROM match_keys WHERE id = $1`, amina) + w.count(t, `SELECT count(*) FROM match_subjects WHERE id = $1`, amina); n != 0 {
			t.Errorf("%d rows left after Remove", n)
		}
		if got := w.find(t, orgA, matching.Probe{Given: "Amina", Family: "Hussain", DOB: "1992-11-30"}); len(got) != 0 {
			t.Errorf("removed, found %v", ids(got))
		}

		// No plaintext reaches the database: names, dates, phone numbers
		// in any form.
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "Robert", "robert", "Smith", "smith", "1985-03-04", "04/03/1985", "7700900123", "900123",
			"Catherine", "catherine", "brien", "Kathy", "kathy", "walsh", "Mohammed", "mohammed", "Khan", "khan", "Yusuf", "yusuf",
			"Begum", "begum", "Hussain", "hussain")
	})
}

func TestBadSubject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		err := w.db.Write(ctx, func(tx *store.Tx) error {
			_, err := w.x.Put(ctx, tx, "", matching.Subject{Kind: "dog", ID: "x", OrganisationID: orgA, Given: "Rex"})
			return err
		})
		if errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("bad kind: %v", err)
		}
	})
}

func TestAlerts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		w.people(t)
		events := func(action string) int {
			return w.count(t, `SELECT count(*) FROM audit_events WHERE action = $1`, action)
		}

		// A new client who matches a recorded perpetrator.
		const mohd, perpRob, liz, lizPerp = "0190f2a0-0000-7000-8000-000000000011", "0190f2a0-0000-7000-8000-000000000012",
			"0190f2a0-0000-7000-8000-000000000013", "0190f2a0-0000-7000-8000-000000000014"
		got := w.put(t, w.worker.StaffID, matching.Subject{Kind: matching.Client, ID: mohd, Given: "Mo", Family: "Khan", BirthYear: 1979, Phones: []string{"+44 7700 900555"}})
		if len(got) != 1 || got[0].ClientID != mohd || got[0].PerpetratorID != mo || got[0].Score < matching.AlertScore ||
			got[0].RaisedBy != w.worker.StaffID || !slices.Contains(got[0].Reasons, matching.ReasonSamePhone) {
			t.Fatalf("client → perpetrator: %+v", got)
		}
		if events(matching.ActionAlert) != 1 {
			t.Fatal("no audit event for the alert")
		}
		var purpose, kind, rid string
		if err := w.db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT purpose, record_kind, record_id FROM audit_events WHERE action = $1`, []any{matching.ActionAlert}, &purpose, &kind, &rid)
		}); err != nil || kind != "client" || rid != mohd || purpose != "counter-allegation alert "+got[0].ID {
			t.Fatalf("audit event %q %q %q %v", purpose, kind, rid, err)
		}
		// Putting the client again raises nothing new.
		if again := w.put(t, w.worker.StaffID, matching.Subject{Kind: matching.Client, ID: mohd, Given: "Mo", Family: "Khan", BirthYear: 1979, Phones: []string{"+44 7700 900555"}}); len(again) != 0 {
			t.Fatalf("raised twice: %+v", again)
		}

		// A new perpetrator who matches a client, raised by an inbound referral.
		got = w.put(t, "", matching.Subject{Kind: matching.Perpetrator, ID: perpRob, Given: "Bobby", Family: "Smith", DOB: "1985-04-03"})
		if len(got) != 1 || got[0].ClientID != robert || got[0].PerpetratorID != perpRob || got[0].RaisedBy != "" {
			t.Fatalf("perpetrator → client: %+v", got)
		}
		// A name alone raises nothing: Robert Smith born 1962 is another man.
		if n := w.count(t, `SELECT count(*) FROM match_alerts WHERE client_id = $1`, namesake); n != 0 {
			t.Fatal("a namesake raised an alert")
		}
		// Children and other organisations raise nothing.
		if got := w.put(t, "", matching.Subject{Kind: matching.Child, ID: liz, Given: "Robert", Family: "Smith", DOB: "1985-03-04"}); len(got) != 0 {
			t.Fatalf("child raised %+v", got)
		}
		if got := w.put(t, "", matching.Subject{Kind: matching.Perpetrator, ID: lizPerp, OrganisationID: orgB, Given: "Amina", Family: "Begum", DOB: "1992-11-30"}); len(got) != 0 {
			t.Fatalf("another organisation raised %+v", got)
		}
		if n := w.count(t, `SELECT count(*) FROM match_alerts`); n != 2 {
			t.Fatalf("%d alerts", n)
		}

		// Who sees them. The worker is assigned to Mo Khan's client record;
		// the outreach team holds Robert; the perpetrator records belong to
		// the helpline team.
		w.facts["client/"+mohd] = access.Record{ID: mohd, OrganisationID: orgA, TeamIDs: []string{"outreach"}, AssignedStaff: []string{w.worker.StaffID}}
		w.facts["perpetrator/"+mo] = access.Record{ID: mo, OrganisationID: orgA, TeamIDs: []string{"helpline"}}
		w.facts["client/"+robert] = access.Record{ID: robert, OrganisationID: orgA, TeamIDs: []string{"outreach"}, AssignedStaff: []string{w.other.StaffID}}
		w.facts["perpetrator/"+perpRob] = access.Record{ID: perpRob, OrganisationID: orgA, TeamIDs: []string{"helpline"}}
		alertIDs := func(a access.Actor) []string {
			t.Helper()
			list, err := w.x.Alerts(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, al := range list {
				out = append(out, al.ClientID)
			}
			slices.Sort(out)
			return out
		}
		both := []string{robert, mohd}
		slices.Sort(both)
		for _, c := range []struct {
			who   string
			actor access.Actor
			want  []string
		}{
			{"assigned worker", w.worker, []string{mohd}},
			{"the other's worker", w.other, []string{robert}},
			{"outreach manager", w.manager, both},
			{"helpline manager (the perpetrators' team)", w.otherManager, both},
			{"data protection lead", w.dpl, nil},
			{"manager of another organisation", access.Actor{StaffID: w.manager.StaffID, Role: access.RoleTeamManager, OrganisationID: orgB, TeamIDs: []string{"outreach"}}, nil},
		} {
			if got := alertIDs(c.actor); !slices.Equal(got, c.want) {
				t.Errorf("%s sees %v, want %v", c.who, got, c.want)
			}
		}
		// A manager of a team with no relation to either record sees nothing.
		w.facts["perpetrator/"+mo] = access.Record{ID: mo, OrganisationID: orgA, TeamIDs: []string{"outreach"}}
		w.facts["perpetrator/"+perpRob] = access.Record{ID: perpRob, OrganisationID: orgA, TeamIDs: []string{"outreach"}}
		if got := alertIDs(w.otherManager); len(got) != 0 {
			t.Errorf("unrelated manager sees %v", got)
		}

		// Read flags are per actor, and audited.
		list, _ := w.x.Alerts(ctx, w.worker)
		if len(list) != 1 || list[0].Read {
			t.Fatalf("worker's alerts %+v", list)
		}
		if err := w.x.MarkRead(ctx, w.worker, list[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := w.x.MarkRead(ctx, w.worker, list[0].ID); err != nil {
			t.Fatal("marking read twice:", err)
		}
		if l, _ := w.x.Alerts(ctx, w.worker); len(l) != 1 || !l[0].Read {
			t.Fatalf("after marking read %+v", l)
		}
		for _, al := range must(w.x.Alerts(ctx, w.manager)) {
			if al.Read {
				t.Fatalf("the manager sees the worker's read flag: %+v", al)
			}
		}
		if events(matching.ActionAlertRead) != 1 {
			t.Fatalf("%d read events", events(matching.ActionAlertRead))
		}
		// Someone who may not see an alert cannot mark it either.
		if err := w.x.MarkRead(ctx, w.other, list[0].ID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("other worker marked it: %v", err)
		}
		if err := w.x.MarkRead(ctx, w.worker, "0190f2a0-0000-7000-8000-0000000000ff"); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("no such alert: %v", err)
		}

		// A record restricted to other staff hides the alert, even from
		// the manager and the worker of the other record.
		w.facts["perpetrator/"+mo] = access.Record{ID: mo, OrganisationID: orgA, TeamIDs: []string{"outreach"}, RestrictedTo: []string{w.otherManager.StaffID}}
		if got := alertIDs(w.manager); !slices.Equal(got, []string{robert}) {
			t.Errorf("restricted perpetrator: manager sees %v", got)
		}
		if got := alertIDs(w.worker); len(got) != 0 {
			t.Errorf("restricted perpetrator: worker sees %v", got)
		}
		if err := w.x.MarkRead(ctx, w.manager, list[0].ID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("hidden alert marked: %v", err)
		}
		// Named on the restriction: the manager sees it again.
		w.facts["perpetrator/"+mo] = access.Record{ID: mo, OrganisationID: orgA, TeamIDs: []string{"helpline"}, RestrictedTo: []string{w.manager.StaffID}}
		if got := alertIDs(w.manager); !slices.Equal(got, both) {
			t.Errorf("named manager sees %v", got)
		}

		// Erasing a record takes its alerts with it.
		if err := w.db.Write(ctx, func(tx *store.Tx) error { return w.x.Remove(ctx, tx, matching.Client, mohd) }); err != nil {
			t.Fatal(err)
		}
		if got := alertIDs(w.manager); !slices.Equal(got, []string{robert}) {
			t.Errorf("after erasure the manager sees %v", got)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "Khan", "khan", "7700900555", "Bobby", "bobby")
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
