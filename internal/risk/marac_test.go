package risk_test

import (
	"slices"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

func (w *world) high(t testing.TB, clientID string) *risk.Result {
	t.Helper()
	r, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: clientID, Answers: answers(15, 0)})
	if err != nil || r.Final != risk.High {
		t.Fatalf("high assessment: %+v %v", r, err)
	}
	return r
}

func taskIDs(ts []risk.Task) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

// The IDVA allocation task reaches the client's workers and the IDVA
// team; allocating an IDVA makes them an assigned worker who can then
// read the case, in one audited transaction.
func TestIDVAAllocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		idva := w.staff(t, "idva.one", access.RoleIDVA, "idva")
		idvaLead := w.staff(t, "idva.lead", access.RoleTeamManager, "idva")
		looseIDVA := w.staff(t, "idva.loose", access.RoleIDVA, "") // in no IDVA team
		c := w.client(t, "Kemi")
		r := w.high(t, c)

		a, err := w.svc.Get(ctx, w.outreach, r.AssessmentID)
		if err != nil || a.IDVATaskID != r.IDVATaskID || a.ReferralID != r.ReferralID {
			t.Fatalf("assessment links: %+v %v", a, err)
		}
		// The assessing worker and the team's manager see it with the name.
		for _, who := range []access.Actor{w.outreach, w.manager} {
			ts, err := w.svc.Tasks(ctx, who)
			if err != nil || len(ts) != 1 || ts[0].ID != r.IDVATaskID || ts[0].ClientName != "Kemi Testperson" || !ts[0].CanUpdate ||
				ts[0].Kind != risk.IDVAAllocation || ts[0].AssessmentID != r.AssessmentID {
				t.Fatalf("%s tasks: %+v %v", who.Role, ts, err)
			}
		}
		// The IDVA team sees the queue, but not the person behind it.
		for _, who := range []access.Actor{idva, idvaLead} {
			ts, err := w.svc.Tasks(ctx, who)
			if err != nil || len(ts) != 1 || !ts[0].Restricted || ts[0].ClientName != "" || ts[0].ClientID != "" || ts[0].CanUpdate {
				t.Fatalf("%s (IDVA team) tasks: %+v %v", who.Role, ts, err)
			}
		}
		// Others see nothing.
		for _, who := range []access.Actor{w.partner, w.helpline, looseIDVA} {
			if ts, err := w.svc.Tasks(ctx, who); err != nil || len(ts) != 0 {
				t.Fatalf("%s tasks: %+v %v", who.Role, ts, err)
			}
		}
		if _, err := w.svc.Get(ctx, idva, r.AssessmentID); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("IDVA reading before allocation: %v", err)
		}

		before := w.counts(t)
		if err := w.svc.AllocateIDVA(ctx, w.helpline, r.IDVATaskID, idva.StaffID); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("helpline allocating: %v", err)
		}
		if err := w.svc.AllocateIDVA(ctx, w.outreach, r.IDVATaskID, ""); !slices.Equal(fields(t, err), []string{"idva"}) {
			t.Fatalf("no IDVA: %v", err)
		}
		if err := w.svc.AllocateIDVA(ctx, w.outreach, r.IDVATaskID, w.partner.StaffID); !slices.Equal(fields(t, err), []string{"idva"}) {
			t.Fatalf("an outreach worker as the IDVA: %v", err)
		}
		if err := w.svc.AllocateIDVA(ctx, w.outreach, "0190f2a0-0000-7000-8000-00000000dead", idva.StaffID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("missing task: %v", err)
		}
		if after := w.counts(t); after != before {
			t.Fatalf("a refused allocation wrote: %s, then %s", before, after)
		}

		if err := w.svc.AllocateIDVA(ctx, w.outreach, r.IDVATaskID, idva.StaffID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Get(ctx, idva, r.AssessmentID); err != nil {
			t.Fatalf("IDVA reading after allocation: %v", err)
		}
		if err := w.svc.AllocateIDVA(ctx, w.outreach, r.IDVATaskID, idva.StaffID); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("allocating twice: %v", err)
		}
		for _, who := range []access.Actor{w.outreach, idva, idvaLead} {
			if ts, err := w.svc.Tasks(ctx, who); err != nil || len(ts) != 0 {
				t.Fatalf("%s tasks after allocation: %+v %v", who.Role, ts, err)
			}
		}
		var events []audit.Event
		w.db.Read(ctx, func(tx *store.Tx) error {
			events, err = audit.History(ctx, tx, c, 200)
			return err
		})
		allocations := 0
		for _, e := range events {
			if e.Action == "task.allocate_idva" && e.ActorID == w.outreach.StaffID {
				allocations++
			}
		}
		if allocations != 1 {
			t.Fatalf("%d allocation events, want 1", allocations)
		}

		// A new high assessment raises a new task, which can be closed
		// with a note (sealed) instead.
		w.clock = w.clock.Add(time.Hour)
		r2 := w.high(t, c)
		if r2.IDVATaskID == "" || r2.IDVATaskID == r.IDVATaskID {
			t.Fatalf("second task: %+v", r2)
		}
		if err := w.svc.CloseTask(ctx, w.outreach, r2.IDVATaskID, " "); !slices.Equal(fields(t, err), []string{"note"}) {
			t.Fatalf("closing without a note: %v", err)
		}
		if err := w.svc.CloseTask(ctx, idva, r2.IDVATaskID, "already allocated:\nsee the first task"); err != nil {
			t.Fatalf("the allocated IDVA closing the task: %v", err)
		}
		if ts, err := w.svc.Tasks(ctx, w.outreach); err != nil || len(ts) != 0 {
			t.Fatalf("tasks after closing: %+v %v", ts, err)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "see the first task")

		// A restricted client's task is hidden from everyone not named.
		c2 := w.client(t, "Lena")
		r3 := w.high(t, c2)
		lead2 := w.staff(t, "outreach.lead2", access.RoleTeamManager, "outreach") // the one restricting is named too
		if err := w.people.Restrict(ctx, lead2, c2, []string{w.outreach.StaffID}); err != nil {
			t.Fatal(err)
		}
		if ts, err := w.svc.Tasks(ctx, w.outreach); err != nil || !slices.Equal(taskIDs(ts), []string{r3.IDVATaskID}) {
			t.Fatalf("named worker: %+v %v", ts, err)
		}
		for _, who := range []access.Actor{w.manager, idva, idvaLead} {
			if ts, err := w.svc.Tasks(ctx, who); err != nil || len(ts) != 0 {
				t.Fatalf("%s sees a restricted client's task: %+v %v", who.Role, ts, err)
			}
		}
	})
}

// A referral within 12 months of the client's previous one is a repeat;
// one after is not.
func TestRepeatMARACWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		start := w.clock
		c := w.client(t, "Mara")
		if _, repeat, err := w.svc.Refer(ctx, w.outreach, c, "professional judgement: stalking after separation"); err != nil || repeat {
			t.Fatalf("first: %v %v", repeat, err)
		}
		w.clock = start.AddDate(0, 11, 27)
		if _, repeat, err := w.svc.Refer(ctx, w.outreach, c, "threats to the children"); err != nil || !repeat {
			t.Fatalf("within 12 months: %v %v", repeat, err)
		}
		w.clock = start.AddDate(0, 23, 20)
		if _, repeat, err := w.svc.Refer(ctx, w.outreach, c, "new partner, same pattern"); err != nil || !repeat {
			t.Fatalf("within 12 months of the second: %v %v", repeat, err)
		}
		w.clock = start.AddDate(3, 0, 0)
		if _, repeat, err := w.svc.Refer(ctx, w.outreach, c, "after a long gap"); err != nil || repeat {
			t.Fatalf("after 12 months: %v %v", repeat, err)
		}
		if _, _, err := w.svc.Refer(ctx, w.helpline, c, "not my case"); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("helpline referring: %v", err)
		}
		if _, _, err := w.svc.Refer(ctx, w.outreach, c, ""); !slices.Equal(fields(t, err), []string{"reason"}) {
			t.Fatalf("no reason: %v", err)
		}
	})
}

// Potential escalation adds up the call-outs of every assessment in the
// window (12 months, configurable), not one assessment's.
func TestEscalationOverTheWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		start := w.clock
		c := w.client(t, "Nadia")
		assess := func(at time.Time, callouts int) *risk.Result {
			t.Helper()
			w.clock = at
			r, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: c, Answers: answers(5, 0), PoliceCallouts: callouts})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if r := assess(start, 1); r.EscalationSuggested || r.WindowCallouts != 1 {
			t.Fatalf("first: %+v", r)
		}
		if r := assess(start.AddDate(0, 4, 0), 1); r.EscalationSuggested || r.WindowCallouts != 2 {
			t.Fatalf("second: %+v", r)
		}
		third := assess(start.AddDate(0, 8, 0), 1)
		if !third.EscalationSuggested || third.WindowCallouts != 3 || third.ReferralID != "" {
			t.Fatalf("third (three call-outs over eight months): %+v", third)
		}
		// Twenty-one months in, the earlier call-outs are out of the window.
		late := assess(start.AddDate(0, 21, 0), 2)
		if late.EscalationSuggested || late.WindowCallouts != 2 {
			t.Fatalf("after the window: %+v", late)
		}
		// A longer window counts them again.
		w.svc.EscalationMonths = 24
		if r := assess(start.AddDate(0, 22, 0), 0); !r.EscalationSuggested || r.WindowCallouts != 5 {
			t.Fatalf("24-month window: %+v", r)
		}
		w.svc.EscalationMonths = 0

		// One click makes the suggested referral; a second returns it.
		if _, _, err := w.svc.ReferEscalation(ctx, w.outreach, late.AssessmentID, ""); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("referring without a suggestion: %v", err)
		}
		if _, _, err := w.svc.ReferEscalation(ctx, w.helpline, third.AssessmentID, ""); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("helpline referring: %v", err)
		}
		before := w.count(t, "marac_referrals")
		ref, repeat, err := w.svc.ReferEscalation(ctx, w.outreach, third.AssessmentID, "")
		if err != nil || ref == "" || repeat {
			t.Fatalf("escalation referral: %q %v %v", ref, repeat, err)
		}
		again, _, err := w.svc.ReferEscalation(ctx, w.outreach, third.AssessmentID, "")
		if err != nil || again != ref || w.count(t, "marac_referrals") != before+1 {
			t.Fatalf("second click: %q %v", again, err)
		}
		got, err := w.svc.GetReferral(ctx, w.outreach, ref)
		if err != nil || got.AssessmentID != third.AssessmentID || got.Reason != "potential escalation: 3 police call-outs in 12 months" {
			t.Fatalf("referral: %+v %v", got, err)
		}
		if a, err := w.svc.Get(ctx, w.outreach, third.AssessmentID); err != nil || a.ReferralID != ref || a.WindowCallouts != 3 {
			t.Fatalf("assessment after the referral: %+v %v", a, err)
		}
	})
}

// A change of circumstance makes the review due now, for the worker and
// their manager, until the next assessment.
func TestChangeOfCircumstance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		start := w.clock
		c, fresh := w.client(t, "Olu"), w.client(t, "Pia")
		if _, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: c, Answers: answers(2, 0)}); err != nil {
			t.Fatal(err)
		}
		w.clock = start.Add(24 * time.Hour)
		if due, err := w.svc.DueReviews(ctx, w.outreach, w.clock); err != nil || len(due) != 0 {
			t.Fatalf("before: %+v %v", due, err)
		}
		before := w.count(t, "risk_review_requests")
		if err := w.svc.RequestReview(ctx, w.outreach, c, ""); !slices.Equal(fields(t, err), []string{"reason"}) {
			t.Fatalf("no reason: %v", err)
		}
		if err := w.svc.RequestReview(ctx, w.helpline, c, "heard at the school gate"); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("helpline: %v", err)
		}
		if err := w.svc.RequestReview(ctx, w.outreach, fresh, "perpetrator released from custody"); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("never assessed: %v", err)
		}
		if n := w.count(t, "risk_review_requests"); n != before {
			t.Fatalf("refused requests wrote %d rows", n-before)
		}
		if err := w.svc.RequestReview(ctx, w.outreach, c, "perpetrator released from custody"); err != nil {
			t.Fatal(err)
		}
		for _, who := range []access.Actor{w.outreach, w.manager} {
			due, err := w.svc.DueReviews(ctx, who, w.clock)
			if err != nil || len(due) != 1 || due[0].ClientID != c || !due[0].ChangeOfCircumstance || due[0].ClientName != "Olu Testperson" {
				t.Fatalf("%s after the request: %+v %v", who.Role, due, err)
			}
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "released from custody")
		w.clock = w.clock.Add(time.Hour)
		if _, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: c, Answers: answers(2, 0)}); err != nil {
			t.Fatal(err)
		}
		if due, err := w.svc.DueReviews(ctx, w.outreach, w.clock); err != nil || len(due) != 0 {
			t.Fatalf("after re-assessment: %+v %v", due, err)
		}
	})
}

func agendaNames(items []risk.AgendaItem) []string {
	var out []string
	for _, it := range items {
		if it.Restricted {
			out = append(out, "(restricted)")
		} else {
			out = append(out, it.ClientName)
		}
	}
	return out
}

// The agenda names only the clients the reader may read; a record
// restricted to others is not on it at all.
func TestAgendaHidesRestrictedClients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		a, b := w.client(t, "Quinn"), w.client(t, "Rosa")
		ra := w.high(t, a)
		w.clock = w.clock.Add(time.Minute)
		rb := w.high(t, b)
		lead2 := w.staff(t, "outreach.lead2", access.RoleTeamManager, "outreach") // the one restricting is named too
		if err := w.people.Restrict(ctx, lead2, b, []string{w.outreach.StaffID}); err != nil {
			t.Fatal(err)
		}
		waiting := func(who access.Actor) []string {
			t.Helper()
			items, err := w.svc.AwaitingAgenda(ctx, who)
			if err != nil {
				t.Fatal(err)
			}
			return agendaNames(items)
		}
		if got := waiting(w.outreach); !slices.Equal(got, []string{"Quinn Testperson", "Rosa Testperson"}) {
			t.Fatalf("named worker awaiting: %v", got)
		}
		if got := waiting(w.manager); !slices.Equal(got, []string{"Quinn Testperson"}) {
			t.Fatalf("manager awaiting: %v", got)
		}
		if got := waiting(w.helpline); !slices.Equal(got, []string{"(restricted)"}) {
			t.Fatalf("helpline awaiting: %v", got)
		}
		if _, err := w.svc.AwaitingAgenda(ctx, w.admin); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("administrator: %v", err)
		}

		next := w.clock.AddDate(0, 0, 7)
		m, err := w.svc.CreateMeeting(ctx, w.manager, risk.NewMeeting{Date: next, Area: "North"})
		if err != nil {
			t.Fatal(err)
		}
		old, err := w.svc.CreateMeeting(ctx, w.manager, risk.NewMeeting{Date: w.clock.AddDate(0, -2, 0), Area: "North"})
		if err != nil {
			t.Fatal(err)
		}
		if ms, err := w.svc.Meetings(ctx, w.helpline, w.clock, time.Time{}); err != nil || len(ms) != 1 || ms[0].ID != m.ID {
			t.Fatalf("upcoming meetings: %+v %v", ms, err)
		}
		if ms, err := w.svc.Meetings(ctx, w.helpline, time.Time{}, time.Time{}); err != nil || len(ms) != 2 || ms[0].ID != old.ID {
			t.Fatalf("all meetings: %+v %v", ms, err)
		}
		for _, ref := range []string{ra.ReferralID, rb.ReferralID} {
			if err := w.svc.AddToAgenda(ctx, w.outreach, m.ID, ref); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.svc.AddToAgenda(ctx, w.manager, m.ID, rb.ReferralID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("manager moving a restricted referral: %v", err)
		}
		if _, err := w.svc.RecordAction(ctx, w.outreach, ra.ReferralID, risk.NewAction{OwnerStaffID: w.partner.StaffID, Due: next.AddDate(0, 0, 14), Text: "safety plan review\nwith the school"}); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.RecordOutcome(ctx, w.outreach, rb.ReferralID, "flag on the address"); err != nil {
			t.Fatal(err)
		}

		agenda := func(who access.Actor) *risk.Agenda {
			t.Helper()
			ag, err := w.svc.Agenda(ctx, who, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			return ag
		}
		ag := agenda(w.outreach)
		if got := agendaNames(ag.Items); !slices.Equal(got, []string{"Quinn Testperson", "Rosa Testperson"}) || ag.Area != "North" {
			t.Fatalf("named worker's agenda: %v", got)
		}
		if len(ag.Items[0].Actions) != 1 || ag.Items[0].Actions[0].Text != "safety plan review\nwith the school" || ag.Items[1].Outcome != "flag on the address" {
			t.Fatalf("agenda details: %+v", ag.Items)
		}
		if got := agendaNames(agenda(w.manager).Items); !slices.Equal(got, []string{"Quinn Testperson"}) {
			t.Fatalf("manager's agenda: %v", got)
		}
		hl := agenda(w.helpline)
		if got := agendaNames(hl.Items); !slices.Equal(got, []string{"(restricted)"}) || hl.Items[0].ClientID != "" || hl.Items[0].Actions != nil || hl.Items[0].CanUpdate {
			t.Fatalf("helpline's agenda: %+v", hl.Items)
		}
		if _, err := w.svc.Agenda(ctx, w.admin, m.ID); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("administrator's agenda: %v", err)
		}
		if _, err := w.svc.Agenda(ctx, w.outreach, "0190f2a0-0000-7000-8000-00000000dead"); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("missing meeting: %v", err)
		}
		stranger := access.Actor{StaffID: w.helpline.StaffID, Role: access.RoleOutreachWorker, OrganisationID: "0190f2a0-0000-7000-8000-0000000000ff"}
		if _, err := w.svc.Agenda(ctx, stranger, m.ID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("another organisation's meeting: %v", err)
		}

		// Once heard, a referral stays on its meeting; actions get done.
		if err := w.svc.AddToAgenda(ctx, w.outreach, old.ID, ra.ReferralID); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("moving a heard referral: %v", err)
		}
		action := ag.Items[0].Actions[0].ID
		if err := w.svc.CompleteAction(ctx, w.helpline, action); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("helpline completing an action: %v", err)
		}
		if err := w.svc.CompleteAction(ctx, w.partner, action); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.CompleteAction(ctx, w.partner, action); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("completing twice: %v", err)
		}
		if ref, err := w.svc.GetReferral(ctx, w.outreach, ra.ReferralID); err != nil || !ref.Actions[0].Done() || ref.Actions[0].DoneBy != w.partner.StaffID ||
			ref.Meeting == nil || ref.Meeting.ID != m.ID || ref.ClientName != "Quinn Testperson" || !ref.CanUpdate {
			t.Fatalf("referral after the action: %+v %v", ref, err)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "safety plan review", "flag on the address")
	})
}

// Every field error of a MARAC form at once, and nothing written.
func TestMARACFieldErrorsAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		if _, err := w.svc.CreateMeeting(ctx, w.manager, risk.NewMeeting{Area: " "}); !slices.Equal(fields(t, err), []string{"area", "date"}) {
			t.Fatalf("empty meeting: %v", err)
		}
		if _, err := w.svc.CreateMeeting(ctx, w.manager, risk.NewMeeting{Area: "North\x00", Date: w.clock.AddDate(9, 0, 0)}); !slices.Equal(fields(t, err), []string{"area", "date"}) {
			t.Fatalf("bad meeting: %v", err)
		}
		if n := w.count(t, "marac_meetings"); n != 0 {
			t.Fatalf("%d meetings written", n)
		}
		c := w.client(t, "Sam")
		r := w.high(t, c)
		before := w.counts(t)
		_, err := w.svc.RecordAction(ctx, w.outreach, r.ReferralID, risk.NewAction{OwnerStaffID: "0190f2a0-0000-7000-8000-00000000dead"})
		if got := fields(t, err); !slices.Equal(got, []string{"meeting", "owner", "due", "text"}) {
			t.Fatalf("empty action before the agenda: %v", got)
		}
		if err := w.svc.RecordOutcome(ctx, w.outreach, r.ReferralID, ""); !slices.Equal(fields(t, err), []string{"outcome"}) {
			t.Fatalf("empty outcome: %v", err)
		}
		if err := w.svc.RecordOutcome(ctx, w.outreach, r.ReferralID, "heard"); !slices.Equal(fields(t, err), []string{"meeting"}) {
			t.Fatalf("outcome before the agenda: %v", err)
		}
		if after := w.counts(t); after != before || w.count(t, "marac_actions") != 0 {
			t.Fatalf("invalid MARAC input wrote: %s, then %s", before, after)
		}
		if _, err := w.svc.RecordAction(ctx, w.helpline, r.ReferralID, risk.NewAction{}); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("helpline: refusal before validation: %v", err)
		}
	})
}
