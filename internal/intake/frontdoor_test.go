package intake_test

import (
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
	"frontdoor/internal/matching"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

// names lists the fields of any field errors (intake's and the people
// package's together).
func names(t testing.TB, err error) []string {
	t.Helper()
	var fe errs.Fields
	if !errors.As(err, &fe) || errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("want field errors, got %v", err)
	}
	return fe.Names()
}

// staff adds a member of staff to the world's organisation.
func (w *world) staff(t testing.TB, username string, role access.Role, team string) access.Actor {
	t.Helper()
	org := w.outreach.OrganisationID
	st, err := w.accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: org, Username: username, DisplayName: username, Role: role, TeamIDs: []string{team}})
	if err != nil {
		t.Fatal(err)
	}
	return access.Actor{StaffID: st.ID, Role: role, OrganisationID: org, TeamIDs: []string{team}}
}

func (w *world) events(t testing.TB, recordID string) []audit.Event {
	t.Helper()
	var events []audit.Event
	if err := w.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		events, err = audit.History(ctx, tx, recordID, 500)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return events
}

// A worker's new referral for a new client creates both in one
// transaction; a mistake in either part reports every problem of both and
// writes nothing.
func TestReferralWithANewClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		tables := []string{"clients", "client_workers", "intake_referrals", "audit_events"}
		counts := func() []int {
			var out []int
			for _, tb := range tables {
				out = append(out, w.count(t, tb))
			}
			return out
		}
		before := counts()

		// Both parts wrong: every field at once, nothing written.
		_, err := w.svc.CreateReferral(ctx, w.helpline, intake.NewReferral{Source: "gp", RiskLevel: intake.RiskHigh,
			NewClient: &people.NewClient{GivenName: "  ", FamilyName: "Okafor", Details: people.Details{SafeContact: people.SafeContact{Phone: "12"}}}})
		got := names(t, err)
		for _, want := range []string{"source", "summary", "given_name", "safe_phone"} {
			if !slices.Contains(got, want) {
				t.Errorf("missing %s in %v", want, got)
			}
		}
		// Only the client part wrong: still nothing written.
		_, err = w.svc.CreateReferral(ctx, w.helpline, intake.NewReferral{Source: intake.FromSelf, RiskLevel: intake.RiskHigh, Summary: "fled last night",
			NewClient: &people.NewClient{GivenName: "Maya", FamilyName: "", Details: people.Details{DateOfBirth: "31/02/1990"}}})
		if got := names(t, err); !slices.Contains(got, "family_name") || !slices.Contains(got, "date_of_birth") {
			t.Fatalf("client part fields %v", got)
		}
		// A team that is not the worker's.
		_, err = w.svc.CreateReferral(ctx, w.helpline, intake.NewReferral{Source: intake.FromSelf, RiskLevel: intake.RiskHigh, Summary: "fled last night",
			NewClient: &people.NewClient{GivenName: "Maya", FamilyName: "Okafor", TeamID: "outreach"}})
		if got := names(t, err); !slices.Equal(got, []string{"team"}) {
			t.Fatalf("team fields %v", got)
		}
		// Both an existing and a new client.
		_, err = w.svc.CreateReferral(ctx, w.helpline, intake.NewReferral{ClientID: w.client(t, "Other"), Source: intake.FromSelf, RiskLevel: intake.RiskHigh,
			Summary: "x", NewClient: &people.NewClient{GivenName: "Maya", FamilyName: "Okafor"}})
		if got := names(t, err); !slices.Equal(got, []string{"client_id"}) {
			t.Fatalf("both clients %v", got)
		}
		before = counts()
		_, _ = w.svc.CreateReferral(ctx, w.helpline, intake.NewReferral{Source: "gp", RiskLevel: intake.RiskHigh,
			NewClient: &people.NewClient{GivenName: "", FamilyName: "Okafor"}})
		if after := counts(); !slices.Equal(before, after) {
			t.Fatalf("an invalid referral wrote something: %v → %v", before, after)
		}

		// Right: one transaction makes both; the client is the worker's, in
		// the helpline team; the referral is in the queue.
		ref, err := w.svc.CreateReferral(ctx, w.helpline, intake.NewReferral{Source: intake.FromPolice, RiskLevel: intake.RiskHigh,
			Summary: "call-out last night; wants to leave", ReferrerOrg: "Northshire Police",
			NewClient: &people.NewClient{GivenName: "Maya", FamilyName: "Okafor", Details: people.Details{DateOfBirth: "1990-04-02"}}})
		if err != nil || ref.ClientID == "" || !ref.NewClient || ref.Repeat || ref.CreatedBy != w.helpline.StaffID || ref.ReceivedVia != intake.ViaStaff {
			t.Fatalf("referral %+v %v", ref, err)
		}
		c, err := w.people.Open(ctx, w.helpline, ref.ClientID)
		if err != nil || c.TeamID != "helpline" || c.GivenName != "Maya" || !slices.Contains(c.Workers, w.helpline.StaffID) {
			t.Fatalf("new client %+v %v", c, err)
		}
		got2, err := w.svc.GetReferral(ctx, w.helpline, ref.ID)
		if err != nil || got2.CreatedBy != w.helpline.StaffID || got2.ClientName != "Maya Okafor" {
			t.Fatalf("read back %+v %v", got2, err)
		}
		acts := map[string]bool{}
		for _, e := range w.events(t, ref.ClientID) {
			acts[e.Action] = true
		}
		if !acts["record.create"] || !acts["referral.create"] {
			t.Fatalf("audit %v", acts)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "Okafor", "call-out last night; wants to leave", "Northshire Police")
	})
}

// The triage queue shows the organisation's untriaged referrals the
// actor may read: a helpline colleague sees a new client's referral, an
// outreach worker does not; waits and first-contact targets are shown.
func TestTriageQueueVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		colleague := w.staff(t, "helpline.two", access.RoleFrontDoorWorker, "helpline")
		ref, err := w.svc.CreateReferral(ctx, w.helpline, intake.NewReferral{Source: intake.FromSelf, RiskLevel: intake.RiskHigh,
			Summary: "rang from a friend's phone", ReceivedAt: w.clock.Add(-2 * time.Hour), NewClient: &people.NewClient{GivenName: "Jo", FamilyName: "Reyes"}})
		if err != nil {
			t.Fatal(err)
		}
		w.clock = w.clock.Add(23 * time.Hour)
		q, err := w.svc.TriageQueue(ctx, colleague)
		if err != nil || len(q) != 1 || q[0].ID != ref.ID || q[0].ClientName != "Jo Reyes" || q[0].Waited != 25*time.Hour || !q[0].Overdue {
			t.Fatalf("colleague's queue %+v %v", q, err)
		}
		if q, err := w.svc.TriageQueue(ctx, w.outreach); err != nil || len(q) != 0 {
			t.Fatalf("outreach sees the helpline's referral: %+v %v", q, err)
		}
		// First contact stops the clock; the overdue flag goes.
		if _, err := w.svc.RecordFirstContact(ctx, colleague, ref.ID, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if q, _ := w.svc.TriageQueue(ctx, colleague); len(q) != 1 || q[0].Overdue || q[0].FirstContactAt.IsZero() {
			t.Fatalf("after first contact %+v", q)
		}
	})
}

// Allocation opens the case in a team: by default the organisation's
// first team (by name) for the service; the team's staff can then read
// the client while the case is live, and lose it when it closes.
func TestTriageAllocatesToATeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		idva := w.staff(t, "idva.one", access.RoleIDVA, "idva")
		south := w.staff(t, "idva.south", access.RoleIDVA, "idva-south")
		a, b := w.client(t, "Amina"), w.client(t, "Beth")
		ra, err := w.svc.CreateReferral(ctx, w.outreach, intake.NewReferral{ClientID: a, Source: intake.FromPolice, RiskLevel: intake.RiskHigh, Summary: "strangulation"})
		if err != nil {
			t.Fatal(err)
		}
		rb, err := w.svc.CreateReferral(ctx, w.outreach, intake.NewReferral{ClientID: b, Source: intake.FromPolice, RiskLevel: intake.RiskHigh, Summary: "stalking"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.GetReferral(ctx, idva, ra.ID); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("IDVA reads before allocation: %v", err)
		}
		// Wrong teams: another organisation's, another service's, none.
		for team, key := range map[string]string{"elsewhere-idva": "intake.team_invalid", "outreach": "intake.team_wrong_service", "nope": "intake.team_invalid"} {
			_, err := w.svc.TriageReferral(ctx, w.outreach, ra.ID, intake.NewTriage{Decision: intake.Allocate, Service: intake.IDVA, TeamID: team})
			if got := fields(t, err); !slices.Equal(got, []string{"team"}) || errs.As(err).Key != key {
				t.Fatalf("team %s: %v", team, err)
			}
		}
		_, err = w.svc.TriageReferral(ctx, w.outreach, ra.ID, intake.NewTriage{Decision: intake.Allocate, Service: intake.Refuge})
		if errs.As(err).Key != "intake.no_team_for_service" {
			t.Fatalf("no refuge team: %v", err)
		}
		_, err = w.svc.TriageReferral(ctx, w.outreach, ra.ID, intake.NewTriage{Decision: intake.Signpost, Note: "GP", TeamID: "idva"})
		if got := fields(t, err); !slices.Equal(got, []string{"team"}) {
			t.Fatalf("team with signposting: %v", got)
		}
		if n := w.count(t, "intake_cases"); n != 0 {
			t.Fatalf("refused allocations opened %d cases", n)
		}

		// Default: the first IDVA team by name.
		tr, err := w.svc.TriageReferral(ctx, w.outreach, ra.ID, intake.NewTriage{Decision: intake.Allocate, Service: intake.IDVA})
		if err != nil || tr.TeamID != "idva" {
			t.Fatalf("default team %+v %v", tr, err)
		}
		// Chosen: the south team.
		trb, err := w.svc.TriageReferral(ctx, w.outreach, rb.ID, intake.NewTriage{Decision: intake.Allocate, Service: intake.IDVA, TeamID: "idva-south"})
		if err != nil || trb.TeamID != "idva-south" {
			t.Fatalf("chosen team %+v %v", trb, err)
		}
		if r, err := w.svc.GetReferral(ctx, w.outreach, ra.ID); err != nil || r.Triage.TeamID != "idva" {
			t.Fatalf("triage read back %+v %v", r, err)
		}

		// The allocated team works the client now; the other IDVA team does not.
		if _, err := w.svc.Timeline(ctx, idva, a); err != nil {
			t.Fatalf("allocated IDVA cannot read the timeline: %v", err)
		}
		if _, err := w.svc.Timeline(ctx, south, a); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("the other IDVA team reads it: %v", err)
		}
		cases, err := w.svc.Cases(ctx, idva, a)
		if err != nil || len(cases) != 1 || cases[0].TeamID != "idva" || cases[0].TeamName != "idva" || cases[0].Version != 1 ||
			!slices.Equal(cases[0].Next, []intake.CaseStatus{intake.CaseAllocated, intake.CaseClosed}) {
			t.Fatalf("cases %+v %v", cases, err)
		}
		// A stale change is refused; the right version moves it on.
		if err := w.svc.SetCaseStatus(ctx, idva, tr.CaseID, intake.CaseStatusChange{Version: 1, To: intake.CaseAllocated}); err != nil {
			t.Fatal(err)
		}
		err = w.svc.SetCaseStatus(ctx, w.outreach, tr.CaseID, intake.CaseStatusChange{Version: 1, To: intake.CaseClosed, Reason: intake.MovedAway})
		if errs.CodeOf(err) != errs.Conflict || errs.As(err).Key != "intake.case_stale" {
			t.Fatalf("stale change: %v", err)
		}
		if err := w.svc.SetCaseStatus(ctx, idva, tr.CaseID, intake.CaseStatusChange{Version: 2, To: intake.CaseClosed, Reason: intake.SupportCompleted}); err != nil {
			t.Fatal(err)
		}
		// Closed: the IDVA team's access ends with the case.
		if _, err := w.svc.Timeline(ctx, idva, a); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("IDVA still reads after closing: %v", err)
		}
	})
}

// An outgoing contact the client's safe-contact rules do not allow is
// refused with every problem named, unless the worker gives a reason; the
// override is audited and its reason sealed.
func TestSafeContactEnforced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c, err := w.people.Create(ctx, w.outreach, people.NewClient{GivenName: "Rosa", FamilyName: "Lind", Details: people.Details{
			SafeContact: people.SafeContact{Phone: "07700 900456", Voicemail: people.NotKnown, Text: people.Unsafe, Email: people.Safe, Post: people.Unsafe}}})
		if err != nil {
			t.Fatal(err)
		}
		out := func(ch intake.Channel) intake.NewContact {
			return intake.NewContact{Channel: ch, Direction: intake.Outbound, CallerType: intake.CallerVictim, ServiceLine: intake.LineMain,
				Outcome: intake.AdviceGiven, ClientID: c.ID}
		}
		before, events := w.count(t, "intake_contacts"), w.count(t, "audit_events")

		_, err = w.svc.LogContact(ctx, w.outreach, out(intake.Text))
		if got := fields(t, err); !slices.Equal(got, []string{"channel", "number", "override_reason"}) {
			t.Fatalf("text: %v", got)
		}
		call := out(intake.Phone)
		call.Number, call.Voicemail = "07700 900999", true
		_, err = w.svc.LogContact(ctx, w.outreach, call)
		if got := fields(t, err); !slices.Equal(got, []string{"number", "voicemail", "override_reason"}) {
			t.Fatalf("call: %v", got)
		}
		// Other mistakes and the unsafe channel, all at once.
		bad := out(intake.Letter)
		bad.Outcome, bad.FollowUp = "shrug", true
		_, err = w.svc.LogContact(ctx, w.outreach, bad)
		if got := fields(t, err); !slices.Equal(got, []string{"outcome", "callback_due", "channel", "override_reason"}) {
			t.Fatalf("letter: %v", got)
		}
		short := out(intake.Letter)
		short.OverrideReason = "urgent"
		_, err = w.svc.LogContact(ctx, w.outreach, short)
		if got := fields(t, err); !slices.Equal(got, []string{"channel", "override_reason"}) || errs.AllFields(err)[1].Key != "intake.override_reason_too_short" {
			t.Fatalf("short reason: %v", err)
		}
		if w.count(t, "intake_contacts") != before || w.count(t, "audit_events") != events {
			t.Fatal("a refused contact wrote something")
		}

		// Safe: email, a call to the safe number without a voicemail, and
		// anything incoming.
		if ct, err := w.svc.LogContact(ctx, w.outreach, out(intake.Email)); err != nil || ct.Override {
			t.Fatalf("email %+v %v", ct, err)
		}
		ok := out(intake.Phone)
		ok.Number = "07700900456"
		if _, err := w.svc.LogContact(ctx, w.outreach, ok); err != nil {
			t.Fatalf("call to the safe number: %v", err)
		}
		in := out(intake.Text)
		in.Direction = intake.Inbound
		if _, err := w.svc.LogContact(ctx, w.outreach, in); err != nil {
			t.Fatalf("incoming text: %v", err)
		}

		// Overridden with a reason: recorded, audited as an override, sealed.
		letter := out(intake.Letter)
		letter.OverrideReason = "court papers must go by post; she asked for them at her sister's"
		ct, err := w.svc.LogContact(ctx, w.outreach, letter)
		if err != nil || !ct.Override {
			t.Fatalf("override %+v %v", ct, err)
		}
		var overrides int
		for _, e := range w.events(t, c.ID) {
			if e.Action == "contact.log" && strings.Contains(e.Purpose, "override") && strings.Contains(e.Purpose, "unsafe_post") {
				overrides++
			}
		}
		if overrides != 1 {
			t.Fatalf("%d override events", overrides)
		}
		tl, err := w.svc.Timeline(ctx, w.outreach, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, e := range tl {
			if e.Contact != nil && e.Contact.ID == ct.ID {
				found = e.Contact.Override && e.Contact.OverrideReason == letter.OverrideReason && e.Contact.Channel == intake.Letter
			}
		}
		if !found {
			t.Fatal("the override is not on the timeline with its reason")
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "court papers must go by post")
	})
}

func TestCheckSafeContact(t *testing.T) {
	sc := people.SafeContact{Phone: "07700 900456", Voicemail: people.Safe, Text: people.Safe, Email: people.NotKnown, Post: ""}
	for _, tc := range []struct {
		n    intake.NewContact
		want []string
	}{
		{intake.NewContact{Direction: intake.Outbound, Channel: intake.Phone, Number: "07700900456", Voicemail: true}, nil},
		{intake.NewContact{Direction: intake.Outbound, Channel: intake.Text, Number: "07700-900-456"}, nil},
		{intake.NewContact{Direction: intake.Outbound, Channel: intake.Text, Number: "07700 900457"}, []string{"number"}},
		// A blank number is not "the safe number": it must be given.
		{intake.NewContact{Direction: intake.Outbound, Channel: intake.Phone, Voicemail: true}, []string{"number"}},
		{intake.NewContact{Direction: intake.Outbound, Channel: intake.Text}, []string{"number"}},
		{intake.NewContact{Direction: intake.Outbound, Channel: intake.Email}, []string{"channel"}},
		{intake.NewContact{Direction: intake.Outbound, Channel: intake.Letter}, []string{"channel"}},
		// A web chat follows the text rule; a home visit always needs a reason.
		{intake.NewContact{Direction: intake.Outbound, Channel: intake.WebChat}, nil},
		{intake.NewContact{Direction: intake.Outbound, Channel: intake.WalkIn}, []string{"channel"}},
		{intake.NewContact{Direction: intake.Inbound, Channel: intake.Letter}, nil},
		{intake.NewContact{Direction: intake.Inbound, Channel: intake.WalkIn}, nil},
		{intake.NewContact{Direction: intake.Inbound, Channel: intake.Phone}, nil},
	} {
		if got := intake.CheckSafeContact(sc, tc.n).Names(); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.n, got, tc.want)
		}
	}
	// No safe number on record: no call and no text.
	if got := intake.CheckSafeContact(people.SafeContact{Text: people.Safe}, intake.NewContact{Direction: intake.Outbound, Channel: intake.Text}).Names(); !slices.Equal(got, []string{"number"}) {
		t.Errorf("no safe number: %v", got)
	}
	// Texts not safe: no web chat either. A "safe number" with no digits
	// is no safe number (it would match any number without digits).
	if got := intake.CheckSafeContact(people.SafeContact{Text: people.Unsafe}, intake.NewContact{Direction: intake.Outbound, Channel: intake.WebChat}).Names(); !slices.Equal(got, []string{"channel"}) {
		t.Errorf("web chat, texts unsafe: %v", got)
	}
	noDigits := intake.CheckSafeContact(people.SafeContact{Phone: "ask her", Text: people.Safe}, intake.NewContact{Direction: intake.Outbound, Channel: intake.Text, Number: "later"})
	if len(noDigits) != 1 || noDigits[0].Key != "intake.no_safe_number" {
		t.Errorf("safe number without digits: %v", noDigits)
	}
}

// Duplicate suggestions show only clients the worker may read, with names
// and year of birth; a record restricted to others never appears.
func TestSuggestExistingClients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		idx := &matching.Index{Vault: w.vault, DB: w.db, Record: w.record, Now: time.Now, Facts: w.people.MatchFacts}
		w.people.Matches, w.svc.Matches = idx, idx
		mine, err := w.people.Create(ctx, w.outreach, people.NewClient{GivenName: "Katherine", FamilyName: "Mbeki", Details: people.Details{DateOfBirth: "1988-06-14"}})
		if err != nil {
			t.Fatal(err)
		}
		hidden, err := w.people.Create(ctx, w.outreach, people.NewClient{GivenName: "Katherine", FamilyName: "Mbeki", Details: people.Details{DateOfBirth: "1988-06-14"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.people.Restrict(ctx, w.manager, hidden.ID, []string{w.manager.StaffID}); err != nil {
			t.Fatal(err)
		}
		probe := matching.Probe{Given: "Kate", Family: "Mbeki", DOB: "1988-06-14"}
		got, err := w.svc.Suggest(ctx, w.partner, probe)
		if err != nil || len(got) != 1 || got[0].ClientID != mine.ID || got[0].Given != "Katherine" || got[0].BirthYear != 1988 {
			t.Fatalf("suggestions %+v %v", got, err)
		}
		// The helpline worker has no relation to either: nothing.
		if got, err := w.svc.Suggest(ctx, w.helpline, probe); err != nil || len(got) != 0 {
			t.Fatalf("helpline suggestions %+v %v", got, err)
		}
		if _, err := w.svc.Suggest(ctx, w.admin, probe); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("administrator: %v", err)
		}
		if got, err := w.svc.Suggest(ctx, w.partner, matching.Probe{}); err != nil || got != nil {
			t.Fatalf("empty probe %+v %v", got, err)
		}
		var shown int
		for _, e := range w.events(t, mine.ID) {
			if e.Action == "match.suggest" {
				shown++
			}
		}
		if shown != 1 {
			t.Fatalf("%d match.suggest events", shown)
		}
	})
}
