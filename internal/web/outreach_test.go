package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/outreach"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// attachOutreach gives a front door harness the outreach service, wired
// as serve wires it (newFrontDoor predates outreach), on the harness's
// clock.
func attachOutreach(f *frontDoor) *outreach.Service {
	o := &f.srv.Options
	if o.Outreach == nil {
		o.Outreach = &outreach.Service{DB: f.db, Vault: o.People.Vault, Record: o.Record, Now: f.clock.Now, Clients: o.People,
			BaseURL: "https://frontdoor.example"}
	}
	return o.Outreach
}

func (f *frontDoor) actor(t *testing.T, username, team string) access.Actor {
	t.Helper()
	st, err := f.auth.StaffByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return access.Actor{StaffID: st.ID, Role: st.Role, OrganisationID: f.org, TeamIDs: []string{"team-" + team}}
}

func find(t *testing.T, what, body string, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s: no match for %s\n%s", what, re, errorSummary(body))
	}
	return m[1]
}

// An outreach worker's whole walk: a plan with three needs, an action and
// a safety plan; weekly home visits on the week page; a session recorded
// with an agreed action that then shows on the plan; bad forms refused
// whole; another team kept out; an overdue check-in escalated to the duty
// manager, who responds; a check-in by the button.
func TestOutreachPlanSessionsAndLoneWorking(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		f := newFrontDoor(t, d)
		svc := attachOutreach(f)
		// The clock moves on by hours below: sessions stay signed in.
		f.auth.IdleTimeout = 24 * time.Hour
		worker := f.as(t, "out.worker", access.RoleOutreachWorker, "outreach")
		manager := f.as(t, "out.manager", access.RoleTeamManager, "outreach")
		other := f.as(t, "idva.worker", access.RoleOutreachWorker, "idva")
		wa, ma := f.actor(t, "out.worker", "outreach"), f.actor(t, "out.manager", "outreach")
		c, err := f.srv.Options.People.Create(ctx, wa, people.NewClient{GivenName: "Amina", FamilyName: "Okafor", TeamID: "team-outreach",
			Details: people.Details{SafeContact: people.SafeContact{Text: people.Unsafe, Phone: "07700 900123"}}})
		if err != nil {
			t.Fatal(err)
		}
		planURL := "/people/" + c.ID + "/plan"

		if _, body := worker.get(t, "/people/"+c.ID); !strings.Contains(body, `href="`+planURL+`"`) {
			t.Error("the client page does not link to the support plan")
		}
		if _, body := worker.get(t, "/"); !strings.Contains(body, `href="/outreach/week"`) || strings.Contains(body, `href="/outreach/escalations"`) {
			t.Error("a worker's navigation lacks My week, or shows Escalations")
		}
		if _, body := manager.get(t, "/"); !strings.Contains(body, `href="/outreach/escalations"`) {
			t.Error("a team manager's navigation lacks Escalations")
		}
		resp, body := worker.get(t, planURL)
		if resp.StatusCode != 200 || !strings.Contains(body, `id="start-plan"`) || !strings.Contains(body, `id="no-plan"`) {
			t.Fatalf("plan page before a plan: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		if resp, _ := worker.post(t, planURL, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("start plan: %d", resp.StatusCode)
		}
		if resp, body := worker.post(t, planURL, nil); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "already has an open support plan") {
			t.Fatalf("second plan: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		_, body = worker.get(t, planURL)
		pid := find(t, "plan page", body, `action="/outreach/plans/([0-9a-f-]{36})/needs"`)

		for _, a := range []string{"safety", "money", "wellbeing"} {
			resp, body := worker.post(t, "/outreach/plans/"+pid+"/needs", url.Values{"client": {c.ID}, "area": {a}, "need": {"Need in " + a}, "goals": {"Goal for " + a}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("add need %s: %d\n%s", a, resp.StatusCode, errorSummary(body))
			}
		}
		// No need text: refused, what was typed kept, nothing saved.
		resp, body = worker.post(t, "/outreach/plans/"+pid+"/needs", url.Values{"client": {c.ID}, "area": {"housing"}, "need": {""}, "goals": {"Keep the tenancy"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("need without text: %d", resp.StatusCode)
		}
		mustContain(t, "need without text", body, `href="#need"`, `id="need"`, "Keep the tenancy")
		if n := f.count(t, "outreach_needs"); n != 3 {
			t.Fatalf("%d needs after a refused one, want 3", n)
		}
		_, body = worker.get(t, planURL)
		money := find(t, "money need", body, `id="need-([0-9a-f-]{36})" data-area="money"`)
		due := f.clock.Now().AddDate(0, 0, 14).Format("2006-01-02")
		if resp, body := worker.post(t, "/outreach/needs/"+money+"/actions", url.Values{"client": {c.ID}, "text": {"Apply for a budgeting loan"}, "owner": {"me"}, "due": {due}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add action: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		safety := url.Values{"client": {c.ID}, "version": {"1"}, "safety_plan": {"Code word with her sister: blue. Bag at the neighbour's."}}
		if resp, body := worker.post(t, "/outreach/plans/"+pid+"/safety", safety); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("safety plan: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		safety.Set("safety_plan", "A stale edit")
		resp, body = worker.post(t, "/outreach/plans/"+pid+"/safety", safety)
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("stale safety plan: %d", resp.StatusCode)
		}
		mustContain(t, "stale safety plan", body, "Someone else changed this", "A stale edit", `href="#form"`)
		_, body = worker.get(t, planURL)
		mustContain(t, "plan", body, "Need in wellbeing", "Goal for money", "Apply for a budgeting loan", "Bag at the neighbour&#39;s")
		loan := find(t, "plan", body, `id="action-([0-9a-f-]{36})" data-done="false"`)
		if resp, _ := worker.post(t, "/outreach/actions/"+loan+"/done", url.Values{"client": {c.ID}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("action done: %d", resp.StatusCode)
		}
		if resp, body := worker.post(t, "/outreach/actions/"+loan+"/done", url.Values{"client": {c.ID}}); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "already done") {
			t.Fatalf("action done twice: %d", resp.StatusCode)
		}
		if _, body := worker.get(t, planURL); !strings.Contains(body, `id="action-`+loan+`" data-done="true"`) {
			t.Error("the done action does not show as done")
		}

		// Booking: a bad form names its fields and books nothing; a text
		// reminder her rules do not mark safe is refused.
		t1 := f.clock.Now().Add(time.Hour).Truncate(time.Minute).In(time.Local)
		book := func(at time.Time, weeks, reminder string) url.Values {
			return url.Values{"kind": {"home_visit"}, "date": {at.Format("2006-01-02")}, "time": {at.Format("15:04")}, "minutes": {"60"}, "weeks": {weeks}, "reminder": {reminder}}
		}
		resp, body = worker.post(t, "/people/"+c.ID+"/sessions", url.Values{"kind": {"picnic"}, "date": {"soon"}, "time": {"10:00"}, "minutes": {"60"}, "weeks": {"99"}, "reminder": {"none"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad booking: %d", resp.StatusCode)
		}
		mustContain(t, "bad booking", body, `href="#kind"`, `href="#date"`, `href="#weeks"`, `value="99"`, `value="soon"`)
		resp, body = worker.post(t, "/people/"+c.ID+"/sessions", book(t1, "1", "text"))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#reminder"`) {
			t.Fatalf("unsafe reminder: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		if n := f.count(t, "outreach_sessions"); n != 0 {
			t.Fatalf("refused bookings wrote %d sessions", n)
		}
		t4, t3 := t1.Add(time.Hour), t1.Add(3*time.Hour)
		for _, b := range []url.Values{book(t1, "4", "none"), book(t4, "1", "none"), book(t3, "1", "none")} {
			if resp, body := worker.post(t, "/people/"+c.ID+"/sessions", b); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("book %v: %d\n%s", b, resp.StatusCode, errorSummary(body))
			}
		}
		if n := f.count(t, "outreach_sessions"); n != 6 {
			t.Fatalf("%d sessions, want 4 weekly and 2 single", n)
		}
		ids := map[time.Time]string{}
		list, err := svc.ClientSessions(ctx, wa, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list {
			ids[s.Start] = s.ID
		}
		s1, s3, s4 := ids[t1.UTC()], ids[t3.UTC()], ids[t4.UTC()]
		if s1 == "" || s3 == "" || s4 == "" {
			t.Fatalf("sessions not at the booked times: %v", ids)
		}
		weekURL := "/outreach/week?start=" + t1.Format("2006-01-02")
		resp, body = worker.get(t, weekURL)
		if resp.StatusCode != 200 {
			t.Fatalf("week: %d", resp.StatusCode)
		}
		mustContain(t, "week", body, `id="session-`+s1+`"`, `id="session-`+s3+`"`, `id="session-`+s4+`"`, "Amina Okafor", "Home visit", t1.Format("15:04"))
		if strings.Contains(body, `id="checkin-`) {
			t.Error("the week offers a check-in on visits not yet begun")
		}
		if strings.Contains(body, "07700") {
			t.Error("the week shows the client's phone")
		}
		// The manager sees the worker's week; a colleague of another team
		// may not.
		if resp, body := manager.get(t, weekURL+"&worker="+wa.StaffID); resp.StatusCode != 200 || !strings.Contains(body, `id="session-`+s1+`"`) {
			t.Fatalf("manager's view of the week: %d", resp.StatusCode)
		}
		if resp, _ := other.get(t, weekURL+"&worker="+wa.StaffID); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("another team's worker reads the diary: %d", resp.StatusCode)
		}

		// Recording: a bad form first (held with nothing discussed, an
		// action with no need or date), then held with an agreed action.
		resp, body = worker.get(t, "/outreach/sessions/"+s1)
		if resp.StatusCode != 200 {
			t.Fatalf("session page: %d", resp.StatusCode)
		}
		version := find(t, "session page", body, `name="version" value="(\d+)"`)
		resp, body = worker.post(t, "/outreach/sessions/"+s1, url.Values{"version": {version}, "status": {"held"}, "discussed": {""},
			"action_2_text": {"Ring the school"}, "action_2_owner": {"client"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad record: %d", resp.StatusCode)
		}
		mustContain(t, "bad record", body, `href="#discussed"`, `href="#action_2_need"`, `href="#action_2_due"`, "Ring the school")
		if n := f.count(t, "outreach_actions"); n != 1 {
			t.Fatalf("a refused record wrote actions: %d", n)
		}
		resp, body = worker.post(t, "/outreach/sessions/"+s1, url.Values{"version": {version}, "status": {"held"}, "discussed": {"Talked through the arrears letter"},
			"action_1_need": {money}, "action_1_text": {"Call the housing officer"}, "action_1_owner": {"me"}, "action_1_due": {due}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("record: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		if _, body := worker.get(t, "/outreach/sessions/"+s1); !strings.Contains(body, "Talked through the arrears letter") || strings.Contains(body, `id="record-form"`) {
			t.Error("the recorded session does not show what was discussed, or still offers the form")
		}
		if resp, body := worker.post(t, "/outreach/sessions/"+s1, url.Values{"version": {version}, "status": {"cancelled"}}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("recording twice: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		_, body = worker.get(t, planURL)
		mustContain(t, "plan after the session", body, "Call the housing officer", `href="/outreach/sessions/`+s1+`"`)

		// Another team's worker: kept out of the plan, its forms and the
		// sessions.
		for _, try := range []func() *http.Response{
			func() *http.Response { r, _ := other.get(t, planURL); return r },
			func() *http.Response { r, _ := other.get(t, "/outreach/sessions/"+s1); return r },
			func() *http.Response {
				r, _ := other.post(t, "/outreach/plans/"+pid+"/needs", url.Values{"client": {c.ID}, "area": {"legal"}, "need": {"n"}, "goals": {"g"}})
				return r
			},
			func() *http.Response {
				r, _ := other.post(t, "/people/"+c.ID+"/sessions", book(t1, "1", "none"))
				return r
			},
		} {
			if got := try().StatusCode; got != http.StatusForbidden && got != http.StatusNotFound {
				t.Errorf("another team's worker: %d", got)
			}
		}
		if n := f.count(t, "outreach_needs"); n != 3 {
			t.Fatalf("another team added a need: %d", n)
		}

		// Lone working: past the end of the visit at t4 and the grace,
		// unchecked; the visit at t3 has begun.
		f.clock.Advance(t3.Add(5 * time.Minute).Sub(f.clock.Now()))
		_, body = worker.get(t, weekURL)
		mustContain(t, "week with an overdue visit", body, `id="checkin-`+s3+`"`, "Overdue check-in")
		if strings.Contains(body, `id="checkin-`+s1+`"`) {
			t.Error("the recorded visit still offers a check-in")
		}
		if n, err := svc.Escalate(ctx); err != nil || n != 1 {
			t.Fatalf("escalate: %d %v", n, err)
		}
		if resp, body := worker.get(t, "/outreach/escalations"); resp.StatusCode != 200 || !strings.Contains(body, `id="not-duty-manager"`) {
			t.Fatalf("a worker's escalations page: %d", resp.StatusCode)
		}
		resp, body = manager.get(t, "/outreach/escalations")
		if resp.StatusCode != 200 {
			t.Fatalf("escalations: %d", resp.StatusCode)
		}
		eid := find(t, "escalations", body, `id="escalation-([0-9a-f-]{36})" data-open="true"`)
		mustContain(t, "escalations", body, "Staff out.worker", `href="/people/`+c.ID+`"`, "Amina Okafor", t4.Add(time.Hour+15*time.Minute).Format("15:04"), "Shown on this screen only")
		resp, body = manager.post(t, "/outreach/escalations/"+eid+"/respond", url.Values{"response": {""}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#response"`) {
			t.Fatalf("empty response: %d", resp.StatusCode)
		}
		if resp, _ := worker.post(t, "/outreach/escalations/"+eid+"/respond", url.Values{"response": {"I am fine"}}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("the worker responds to an escalation: %d", resp.StatusCode)
		}
		if resp, body := manager.post(t, "/outreach/escalations/"+eid+"/respond", url.Values{"response": {"Rang her: safe, her phone had died"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("respond: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		_, body = manager.get(t, "/outreach/escalations")
		mustContain(t, "answered escalation", body, `id="escalation-`+eid+`" data-open="false"`, "Rang her: safe, her phone had died", "Staff out.manager")
		if es, err := svc.Escalations(ctx, ma); err != nil || len(es) != 1 || es[0].Open() {
			t.Fatalf("escalations after the response %+v %v", es, err)
		}

		// The check-in button.
		resp, _ = worker.post(t, "/outreach/sessions/"+s3+"/checkin", url.Values{"return": {"week"}, "start": {t1.Format("2006-01-02")}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != weekURL+"#session-"+s3 {
			t.Fatalf("check in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, body := worker.get(t, weekURL); strings.Contains(body, `id="checkin-`+s3+`"`) || !strings.Contains(body, "checked in") {
			t.Error("the week still offers the check-in, or does not show it done")
		}
		if resp, _ := manager.post(t, "/outreach/sessions/"+s4+"/checkin", nil); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("someone else checks in for the worker: %d", resp.StatusCode)
		}

		// Nothing personal in the log.
		for _, secret := range []string{"Amina", "arrears", "neighbour", "budgeting", "phone had died"} {
			if strings.Contains(f.logs.String(), secret) {
				t.Errorf("the log holds %q", secret)
			}
		}
	})
}

// Outcome measures from the page: every area of the plan scored, a bad
// score named; a stale need edit is a conflict that keeps what was typed.
func TestOutreachOutcomesAndStaleNeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		f := newFrontDoor(t, d)
		svc := attachOutreach(f)
		worker := f.as(t, "out.worker", access.RoleOutreachWorker, "outreach")
		wa := f.actor(t, "out.worker", "outreach")
		c, err := f.srv.Options.People.Create(ctx, wa, people.NewClient{GivenName: "Beth", FamilyName: "Jones", TeamID: "team-outreach"})
		if err != nil {
			t.Fatal(err)
		}
		pid, err := svc.StartPlan(ctx, wa, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		nid, err := svc.AddNeed(ctx, wa, pid, outreach.NewNeed{Area: outreach.Housing, Need: "Rent arrears", Goals: "Keep the tenancy"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddNeed(ctx, wa, pid, outreach.NewNeed{Area: outreach.Legal, Need: "Non-molestation order", Goals: "Order granted"}); err != nil {
			t.Fatal(err)
		}
		planURL := "/people/" + c.ID + "/plan"
		resp, body := worker.post(t, "/outreach/plans/"+pid+"/outcomes", url.Values{"client": {c.ID}, "stage": {"start"}, "score_housing": {"two"},
			"feels_safer": {"9"}, "abuse_stopped": {"no"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad outcome: %d", resp.StatusCode)
		}
		mustContain(t, "bad outcome", body, `href="#score_housing"`, `href="#feels_safer"`)
		if n := f.count(t, "outreach_outcomes"); n != 0 {
			t.Fatalf("a bad outcome wrote %d", n)
		}
		resp, body = worker.post(t, "/outreach/plans/"+pid+"/outcomes", url.Values{"client": {c.ID}, "stage": {"start"}, "score_housing": {"2"},
			"feels_safer": {"2"}, "abuse_stopped": {"no"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#score_legal"`) {
			t.Fatalf("outcome without the legal score: %d", resp.StatusCode)
		}
		resp, body = worker.post(t, "/outreach/plans/"+pid+"/outcomes", url.Values{"client": {c.ID}, "stage": {"start"}, "score_housing": {"2"}, "score_legal": {"1"},
			"feels_safer": {"2"}, "abuse_stopped": {"no"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("outcome: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		_, body = worker.get(t, planURL)
		mustContain(t, "plan with an outcome", body, `data-stage="start"`, `<option value="review" selected>`)

		upd := url.Values{"client": {c.ID}, "version": {"1"}, "need": {"Rent arrears"}, "goals": {"Keep the tenancy"}, "progress": {"Payment plan agreed"}, "status": {"active"}}
		if resp, body := worker.post(t, "/outreach/needs/"+nid, upd); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("update need: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		upd.Set("progress", "Typed over a stale page")
		resp, body = worker.post(t, "/outreach/needs/"+nid, upd)
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("stale need: %d", resp.StatusCode)
		}
		mustContain(t, "stale need", body, "Someone else changed this", "Typed over a stale page", `id="progress"`)
		_, body = worker.get(t, planURL)
		mustContain(t, "plan", body, "Payment plan agreed")
	})
}
