package intake_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/intake"
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
	svc      *intake.Service
	accounts *auth.Service
	vault    *vault.Vault
	record   audit.Recorder
	people   *people.Service
	clock    time.Time
	outreach access.Actor // assigned caseworker
	partner  access.Actor // same team, not assigned
	helpline access.Actor // same organisation, other team: no relation
	manager  access.Actor
	admin    access.Actor
}

func newWorld(t testing.TB, d store.Dialect) *world { return newWorldThrough(t, d, 0) }

// newWorldThrough is newWorld on a database migrated through version
// only (0: every migration).
func newWorldThrough(t testing.TB, d store.Dialect, version int) *world {
	cfg := storetest.Config(t, d)
	db := storetest.OpenConfigThrough(t, cfg, version)
	v := vaulttest.New(t, db)
	rec := audit.NewRecorder(v.AuditKey(), time.Now, nil)
	accounts := auth.NewService(db, v, rec, time.Now)
	grants := &access.Grants{Vault: v, Record: rec, Now: time.Now}
	org := "0190f2a0-0000-7000-8000-0000000000a1"
	otherOrg := "0190f2a0-0000-7000-8000-0000000000a2"
	w := &world{db: db, cfg: cfg, clock: time.Now().UTC().Truncate(time.Second), accounts: accounts, vault: v, record: rec}
	w.people = &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: time.Now}
	w.svc = &intake.Service{DB: db, Vault: v, Record: rec, Now: func() time.Time { return w.clock }, ClientFacts: w.people.Facts, People: w.people}
	db.Write(ctx, func(tx *store.Tx) error {
		tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Women''s Aid', 'charity', $2)`, org, time.Now().UTC())
		tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Elsewhere', 'charity', $2)`, otherOrg, time.Now().UTC())
		for _, team := range []string{"outreach", "helpline", "idva"} {
			tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ($1, $2, $1, $1, $3)`, team, org, time.Now().UTC())
		}
		// A second IDVA team, later by name; and another organisation's.
		tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('idva-south', $1, 'idva south', 'idva', $2)`, org, time.Now().UTC())
		tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('elsewhere-idva', $1, 'a idva', 'idva', $2)`, otherOrg, time.Now().UTC())
		return nil
	})
	mk := func(username string, role access.Role, team string) access.Actor {
		var teams []string
		if team != "" {
			teams = []string{team}
		}
		st, err := accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: org, Username: username, DisplayName: username, Role: role, TeamIDs: teams})
		if err != nil {
			t.Fatal(err)
		}
		return access.Actor{StaffID: st.ID, Role: role, OrganisationID: org, TeamIDs: teams}
	}
	w.outreach = mk("outreach.one", access.RoleOutreachWorker, "outreach")
	w.partner = mk("outreach.two", access.RoleOutreachWorker, "outreach")
	w.helpline = mk("helpline.one", access.RoleFrontDoorWorker, "helpline")
	w.manager = mk("outreach.lead", access.RoleTeamManager, "outreach")
	w.admin = mk("the.admin", access.RoleAdministrator, "")
	return w
}

func (w *world) client(t testing.TB, name string) string {
	c, err := w.people.Create(ctx, w.outreach, people.NewClient{GivenName: name, FamilyName: "Testperson",
		Details: people.Details{SafeContact: people.SafeContact{Phone: "07700 900123"}}})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func (w *world) count(t testing.TB, table string) int {
	var n int
	if err := w.db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM `+table, nil, &n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func fields(t testing.TB, err error) []string {
	t.Helper()
	var fe intake.FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("want FieldErrors, got %v", err)
	}
	if errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("FieldErrors code %s", errs.CodeOf(err))
	}
	for _, e := range fe {
		if !strings.HasPrefix(e.Key, "intake.") {
			t.Errorf("key %q outside intake.", e.Key)
		}
	}
	return fe.Names()
}

func code(t testing.TB, err error, want ...errs.Code) {
	t.Helper()
	if !slices.Contains(want, errs.CodeOf(err)) {
		t.Fatalf("got %v (%s), want %v", err, errs.CodeOf(err), want)
	}
}

func TestContactsAndCallbacks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.client(t, "Amina")

		before, events := w.count(t, "intake_contacts"), w.count(t, "audit_events")
		_, err := w.svc.LogContact(ctx, w.helpline, intake.NewContact{Channel: "fax", Direction: intake.Inbound, CallerType: "neighbour",
			ServiceLine: intake.LineMain, Outcome: intake.CallbackNeeded, FollowUp: true, Note: "she rang from a friend's phone"})
		got := fields(t, err)
		if !slices.Equal(got, []string{"channel", "caller_type", "callback_due"}) {
			t.Fatalf("fields %v", got)
		}
		if w.count(t, "intake_contacts") != before || w.count(t, "audit_events") != events {
			t.Fatal("an invalid contact wrote something")
		}

		// Anonymous: no client.
		anon, err := w.svc.LogContact(ctx, w.helpline, intake.NewContact{Channel: intake.Phone, Direction: intake.Inbound,
			CallerType: intake.CallerUnknown, ServiceLine: intake.LineMaleVictim, Outcome: intake.AdviceGiven, Note: "caller asked about injunctions"})
		if err != nil || anon.ClientID != "" || !anon.At.Equal(w.clock) {
			t.Fatalf("anonymous contact: %+v %v", anon, err)
		}

		later, err := w.svc.LogContact(ctx, w.helpline, intake.NewContact{Channel: intake.WebChat, Direction: intake.Inbound,
			CallerType: intake.CallerVictim, ServiceLine: intake.LineMain, Outcome: intake.CallbackNeeded, FollowUp: true,
			CallbackDue: w.clock.Add(3 * time.Hour), Note: "call back after the school run"})
		if err != nil {
			t.Fatal(err)
		}
		soon, err := w.svc.LogContact(ctx, w.outreach, intake.NewContact{Channel: intake.Phone, Direction: intake.Outbound,
			CallerType: intake.CallerVictim, ServiceLine: intake.LineMain, Outcome: intake.NoAnswer, FollowUp: true,
			CallbackDue: w.clock.Add(time.Hour), ClientID: c, Number: "07700 900123", Note: "no voicemail: unsafe"})
		if err != nil {
			t.Fatal(err)
		}
		w.clock = w.clock.Add(2 * time.Hour)
		q, err := w.svc.Callbacks(ctx, w.outreach)
		if err != nil || len(q) != 2 || q[0].ID != soon.ID || q[1].ID != later.ID || !q[0].Overdue || q[1].Overdue || q[0].Note != "no voicemail: unsafe" {
			t.Fatalf("queue %+v %v", q, err)
		}
		// The helpline worker may not read the client: that callback is left out.
		if q, err := w.svc.Callbacks(ctx, w.helpline); err != nil || len(q) != 1 || q[0].ID != later.ID {
			t.Fatalf("helpline queue %+v %v", q, err)
		}
		if err := w.svc.CallbackDone(ctx, w.outreach, soon.ID); err != nil {
			t.Fatal(err)
		}
		code(t, w.svc.CallbackDone(ctx, w.outreach, soon.ID), errs.Conflict)
		code(t, w.svc.CallbackDone(ctx, w.outreach, anon.ID), errs.NotFound)
		if q, err := w.svc.Callbacks(ctx, w.outreach); err != nil || len(q) != 1 || q[0].ID != later.ID {
			t.Fatalf("after done %+v %v", q, err)
		}

		// Administrators do not log contacts against clients, nor at all.
		_, err = w.svc.LogContact(ctx, w.admin, intake.NewContact{Channel: intake.Phone, Direction: intake.Inbound,
			CallerType: intake.CallerVictim, ServiceLine: intake.LineMain, Outcome: intake.AdviceGiven, ClientID: c})
		code(t, err, errs.Forbidden)
		// Nor does a worker who may not update the client.
		_, err = w.svc.LogContact(ctx, w.helpline, intake.NewContact{Channel: intake.Phone, Direction: intake.Inbound,
			CallerType: intake.CallerVictim, ServiceLine: intake.LineMain, Outcome: intake.AdviceGiven, ClientID: c})
		code(t, err, errs.Forbidden)

		tl, err := w.svc.Timeline(ctx, w.outreach, c)
		if err != nil || len(tl) != 1 || tl[0].Kind != intake.EntryContact || tl[0].Contact.ID != soon.ID {
			t.Fatalf("timeline %+v %v", tl, err)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "caller asked about injunctions", "call back after the school run", "no voicemail: unsafe")
	})
}

func TestReferralsTriageAndCases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		start := w.clock
		a, b, r := w.client(t, "Amina"), w.client(t, "Beth"), w.client(t, "Rosa")

		high, err := w.svc.CreateReferral(ctx, w.outreach, intake.NewReferral{ClientID: a, Source: intake.FromPolice, RiskLevel: intake.RiskHigh,
			ReferrerOrg: "Northshire Constabulary PPU", Summary: "strangulation reported at the call-out", ReceivedAt: start.Add(-time.Hour)})
		if err != nil || high.Repeat {
			t.Fatalf("referral %+v %v", high, err)
		}
		// Arrival times differ: referrals that arrive in the same instant
		// have no defined order in the queue.
		std, err := w.svc.CreateReferral(ctx, w.outreach, intake.NewReferral{ClientID: b, Source: intake.FromSelf, RiskLevel: intake.RiskStandard,
			Summary: "wants advice on leaving safely", ReceivedAt: start.Add(-time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		restricted, err := w.svc.CreateReferral(ctx, w.outreach, intake.NewReferral{ClientID: r, Source: intake.FromHealth, RiskLevel: intake.RiskMedium,
			Summary: "disclosed to the midwife"})
		if err != nil {
			t.Fatal(err)
		}
		// All errors at once.
		_, err = w.svc.CreateReferral(ctx, w.outreach, intake.NewReferral{Source: "gp", RiskLevel: "severe"})
		if got := fields(t, err); !slices.Equal(got, []string{"client_id", "source", "risk_level", "summary"}) {
			t.Fatalf("fields %v", got)
		}

		// 30 hours on: the high one (waited 31h > 24h) is overdue, the standard one (30h < 5 days) is not.
		w.clock = start.Add(30 * time.Hour)
		q, err := w.svc.TriageQueue(ctx, w.partner)
		if err != nil || len(q) != 3 || q[0].ID != high.ID || q[1].ID != std.ID {
			t.Fatalf("queue %+v %v", q, err)
		}
		if q[0].Waited != 31*time.Hour || !q[0].Overdue || q[0].Target != 24*time.Hour || q[1].Waited != 30*time.Hour+time.Minute || q[1].Overdue || q[2].Overdue {
			t.Fatalf("waits %+v", q)
		}
		if q[0].Summary != "strangulation reported at the call-out" || q[0].ReferrerOrg != "Northshire Constabulary PPU" {
			t.Fatalf("opened %+v", q[0])
		}
		// A configured target.
		w.svc.FirstContactTarget = map[intake.RiskLevel]time.Duration{intake.RiskStandard: 24 * time.Hour}
		if q, _ := w.svc.TriageQueue(ctx, w.partner); !q[1].Overdue {
			t.Fatalf("configured target: %+v", q[1])
		}
		w.svc.FirstContactTarget = nil

		// Restricted to the outreach worker: the partner does not see it.
		if err := w.people.Restrict(ctx, w.manager, r, []string{w.outreach.StaffID}); err != nil {
			t.Fatal(err)
		}
		if q, err := w.svc.TriageQueue(ctx, w.partner); err != nil || len(q) != 2 || slices.ContainsFunc(q, func(i intake.QueueItem) bool { return i.ID == restricted.ID }) {
			t.Fatalf("partner queue %+v %v", q, err)
		}
		if q, err := w.svc.TriageQueue(ctx, w.outreach); err != nil || len(q) != 3 {
			t.Fatalf("named worker queue %+v %v", q, err)
		}
		_, err = w.svc.TriageReferral(ctx, w.partner, restricted.ID, intake.NewTriage{Decision: intake.Allocate, Service: intake.Outreach})
		code(t, err, errs.NotFound)
		// Administrators cannot see the queue or triage; an unrelated worker cannot triage.
		_, err = w.svc.TriageQueue(ctx, w.admin)
		code(t, err, errs.Forbidden)
		_, err = w.svc.TriageReferral(ctx, w.admin, high.ID, intake.NewTriage{Decision: intake.Allocate, Service: intake.IDVA})
		code(t, err, errs.Forbidden, errs.NotFound)
		_, err = w.svc.TriageReferral(ctx, w.helpline, high.ID, intake.NewTriage{Decision: intake.Allocate, Service: intake.IDVA})
		code(t, err, errs.Forbidden, errs.NotFound)

		// Decline needs a reason.
		_, err = w.svc.TriageReferral(ctx, w.partner, std.ID, intake.NewTriage{Decision: intake.Decline, Note: "  "})
		if got := fields(t, err); !slices.Equal(got, []string{"reason"}) {
			t.Fatalf("decline fields %v", got)
		}
		if _, err := w.svc.TriageReferral(ctx, w.partner, std.ID, intake.NewTriage{Decision: intake.Decline, Note: "lives outside the county; passed to the local service"}); err != nil {
			t.Fatal(err)
		}
		// Allocation opens a case; a second decision conflicts.
		tr, err := w.svc.TriageReferral(ctx, w.manager, high.ID, intake.NewTriage{Decision: intake.Allocate, Service: intake.IDVA})
		if err != nil || tr.CaseID == "" {
			t.Fatalf("allocate %+v %v", tr, err)
		}
		_, err = w.svc.TriageReferral(ctx, w.manager, high.ID, intake.NewTriage{Decision: intake.Signpost, Note: "to the GP"})
		code(t, err, errs.Conflict)
		if q, _ := w.svc.TriageQueue(ctx, w.outreach); len(q) != 1 || q[0].ID != restricted.ID {
			t.Fatalf("queue after triage %+v", q)
		}

		// First contact.
		took, err := w.svc.RecordFirstContact(ctx, w.outreach, high.ID, start.Add(2*time.Hour))
		if err != nil || took != 3*time.Hour {
			t.Fatalf("first contact %v %v", took, err)
		}
		_, err = w.svc.RecordFirstContact(ctx, w.outreach, high.ID, time.Time{})
		code(t, err, errs.Conflict)
		ref, err := w.svc.GetReferral(ctx, w.outreach, high.ID)
		if err != nil || ref.TimeToFirstContact != 3*time.Hour || ref.Triage == nil || ref.Triage.CaseID != tr.CaseID {
			t.Fatalf("referral %+v %v", ref, err)
		}

		// The case moves on and closes; a new referral is a repeat.
		code(t, w.svc.SetCaseStatus(ctx, w.outreach, tr.CaseID, intake.CaseStatusChange{Version: 1, To: intake.CaseActive}), errs.Conflict)
		code(t, w.svc.SetCaseStatus(ctx, w.helpline, tr.CaseID, intake.CaseStatusChange{Version: 1, To: intake.CaseAllocated}), errs.Forbidden)
		w.clock = w.clock.Add(time.Hour)
		if err := w.svc.SetCaseStatus(ctx, w.outreach, tr.CaseID, intake.CaseStatusChange{Version: 1, To: intake.CaseAllocated}); err != nil {
			t.Fatal(err)
		}
		w.clock = w.clock.Add(time.Hour)
		if err := w.svc.SetCaseStatus(ctx, w.outreach, tr.CaseID, intake.CaseStatusChange{Version: 2, To: intake.CaseActive}); err != nil {
			t.Fatal(err)
		}
		if got := fields(t, w.svc.SetCaseStatus(ctx, w.outreach, tr.CaseID, intake.CaseStatusChange{Version: 3, To: intake.CaseClosed, Reason: "bored"})); !slices.Equal(got, []string{"reason"}) {
			t.Fatalf("close fields %v", got)
		}
		// A second live case in the same service is refused.
		again, err := w.svc.CreateReferral(ctx, w.outreach, intake.NewReferral{ClientID: a, Source: intake.FromHousing, RiskLevel: intake.RiskMedium, Summary: "housing officer concerned"})
		if err != nil || again.Repeat {
			t.Fatalf("second referral %+v %v", again, err)
		}
		_, err = w.svc.TriageReferral(ctx, w.outreach, again.ID, intake.NewTriage{Decision: intake.Allocate, Service: intake.IDVA})
		code(t, err, errs.Conflict)
		w.clock = w.clock.Add(time.Hour)
		if err := w.svc.SetCaseStatus(ctx, w.outreach, tr.CaseID, intake.CaseStatusChange{Version: 3, To: intake.CaseClosed, Reason: intake.SupportCompleted, Note: "safety plan in place; moved to family"}); err != nil {
			t.Fatal(err)
		}
		w.clock = w.clock.Add(time.Hour)
		repeat, err := w.svc.CreateReferral(ctx, w.outreach, intake.NewReferral{ClientID: a, Source: intake.FromContact, RiskLevel: intake.RiskHigh, Summary: "he found the new address"})
		if err != nil || !repeat.Repeat || repeat.PreviousCaseID != tr.CaseID {
			t.Fatalf("repeat referral %+v %v", repeat, err)
		}

		tl, err := w.svc.Timeline(ctx, w.outreach, a)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for i, e := range tl {
			if i > 0 && e.At.Before(tl[i-1].At) {
				t.Fatalf("timeline out of order at %d", i)
			}
			kinds = append(kinds, e.Kind)
		}
		want := []string{"referral", "triage", "case_status", "case_status", "referral", "case_status", "case_status", "referral"}
		if !slices.Equal(kinds, want) {
			t.Fatalf("timeline kinds %v", kinds)
		}
		if c := tl[6].Case; c.Status != intake.CaseClosed || c.Reason != intake.SupportCompleted || c.Note != "safety plan in place; moved to family" {
			t.Fatalf("closing %+v", c)
		}
		_, err = w.svc.Timeline(ctx, w.partner, r)
		code(t, err, errs.NotFound)

		var events []audit.Event
		w.db.Read(ctx, func(tx *store.Tx) error {
			events, err = audit.History(ctx, tx, a, 200)
			return err
		})
		counts := map[string]int{}
		for _, e := range events {
			counts[e.Action]++
		}
		for _, act := range []string{"referral.create", "referral.triage", "referral.first_contact", "case.open", "case.status", "timeline.read", "referral.read"} {
			if counts[act] == 0 {
				t.Errorf("no %s event: %v", act, counts)
			}
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "Northshire Constabulary PPU", "strangulation reported at the call-out",
			"lives outside the county; passed to the local service", "safety plan in place; moved to family", "he found the new address")
	})
}

// TestRecentTimeline: the case page's first view is the newest entries of
// every kind, oldest first, with the count of all of them; asking for more
// than there are gives them all.
func TestRecentTimeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.client(t, "Amina")
		start := w.clock
		ref, err := w.svc.CreateReferral(ctx, w.outreach, intake.NewReferral{ClientID: c, Source: intake.FromPolice, RiskLevel: intake.RiskHigh,
			Summary: "call-out last night", ReceivedAt: start.Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		var contacts []string
		for i := range 6 {
			k, err := w.svc.LogContact(ctx, w.outreach, intake.NewContact{Channel: intake.Phone, Direction: intake.Inbound,
				CallerType: intake.CallerVictim, ServiceLine: intake.LineMain, Outcome: intake.AdviceGiven, ClientID: c,
				At: start.Add(time.Duration(i) * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			contacts = append(contacts, k.ID)
		}
		all, err := w.svc.Timeline(ctx, w.outreach, c)
		if err != nil || len(all) != 7 || all[0].Referral == nil || all[0].Referral.ID != ref.ID {
			t.Fatalf("whole timeline %+v %v", all, err)
		}
		recent, total, err := w.svc.RecentTimeline(ctx, w.outreach, c, 3)
		if err != nil || total != 7 || len(recent) != 3 {
			t.Fatalf("recent: %d entries of %d, %v", len(recent), total, err)
		}
		for i, e := range recent {
			if e.Contact == nil || e.Contact.ID != contacts[3+i] {
				t.Fatalf("recent[%d] = %+v, want contact %d", i, e, 3+i)
			}
		}
		recent, total, err = w.svc.RecentTimeline(ctx, w.outreach, c, 50)
		if err != nil || total != 7 || len(recent) != 7 || recent[0].Referral == nil {
			t.Fatalf("recent 50: %d entries of %d, %v", len(recent), total, err)
		}
		if _, _, err := w.svc.RecentTimeline(ctx, w.helpline, c, 3); errs.CodeOf(err) != errs.Forbidden && errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("a worker who may not read the client read the timeline: %v", err)
		}
	})
}
