package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// admittedStay holds, offers, accepts and admits the client with her two
// children in Elm Flats through the pages, and returns the stay's path.
func (w *refugeWorld) admittedStay(t *testing.T) string {
	t.Helper()
	fd, rw := w.frontDoorWorker, w.refugeWorker
	resp, _ := fd.post(t, "/vacancies/units/"+w.elm.Units[0].ID+"/hold", w.household(w.client))
	ref := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("hold: %d", resp.StatusCode)
	}
	if resp, _ := rw.post(t, ref+"/offer", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("offer: %d", resp.StatusCode)
	}
	if resp, _ := fd.post(t, ref+"/accept", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d", resp.StatusCode)
	}
	today := w.clock.Now().UTC().Format("2006-01-02")
	resp, _ = rw.post(t, ref+"/admit", url.Values{"move_in": {today}, "children": {w.boy, w.girl}})
	stay := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(stay, "/refuge/stays/") {
		t.Fatalf("admit: %d %q", resp.StatusCode, stay)
	}
	return stay
}

var (
	taskRow        = regexp.MustCompile(`<tr id="task-([0-9a-f-]+)" data-kind="([a-z_]+)" data-status="([a-z_]+)">`)
	applicationRow = regexp.MustCompile(`<article class="application" id="application-([0-9a-f-]+)" data-status="([a-z_]+)">`)
)

func TestMoveOnChildTasksThroughTheStayPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newRefugeWorld(t, d)
		rw := w.refugeWorker
		stay := w.admittedStay(t)
		resp, body := rw.get(t, stay)
		if resp.StatusCode != 200 {
			t.Fatalf("stay page: %d", resp.StatusCode)
		}
		rows := taskRow.FindAllStringSubmatch(body, -1)
		kinds := map[string]int{}
		for _, r := range rows {
			kinds[r[2]]++
			if r[3] != "open" {
				t.Errorf("task %s is %s", r[1], r[3])
			}
		}
		if len(rows) != 4 || kinds["gp_registration"] != 2 || kinds["school_place"] != 2 {
			t.Fatalf("tasks on the stay page: %v", rows)
		}
		if strings.Count(body, "/children/") != 2 {
			t.Error("the tasks link the children again")
		}
		task := rows[0][1]
		// A bad form shows its errors beside that task and changes nothing.
		resp, body = rw.post(t, stay+"/child-tasks", url.Values{"task": {task}, "status": {"finished"}, "note": {"Elm Road Surgery"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#status"`) || !strings.Contains(body, `value="Elm Road Surgery"`) {
			t.Fatalf("bad completion: %d %s", resp.StatusCode, errorSummary(body))
		}
		if !strings.Contains(body, `<tr id="task-`+task+`" data-kind="`+rows[0][2]+`" data-status="open">`) {
			t.Error("a refused completion changed the task")
		}
		resp, _ = rw.post(t, stay+"/child-tasks", url.Values{"task": {task}, "status": {"done"}, "note": {"Elm Road Surgery"}})
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), stay) {
			t.Fatalf("complete: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = rw.get(t, stay)
		mustContain(t, "stay page after completion", body, `<tr id="task-`+task+`" data-kind="`+rows[0][2]+`" data-status="done">`, "Elm Road Surgery")
		if strings.Contains(body, `id="complete-`+task+`"`) {
			t.Error("a closed task still offers its form")
		}
		// A second completion is refused.
		if resp, _ := rw.post(t, stay+"/child-tasks", url.Values{"task": {task}, "status": {"not_needed"}}); resp.StatusCode != http.StatusConflict {
			t.Errorf("second completion: %d, want 409", resp.StatusCode)
		}
		// The front door worker cannot close the refuge's tasks.
		if resp, _ := w.frontDoorWorker.post(t, stay+"/child-tasks", url.Values{"task": {rows[1][1]}, "status": {"done"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("completion by the client's worker: %d, want 403", resp.StatusCode)
		}
	})
}

func TestMoveOnPlanAndApplicationsThroughTheStayPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newRefugeWorld(t, d)
		rw := w.refugeWorker
		stay := w.admittedStay(t)
		today := w.clock.Now().UTC().Format("2006-01-02")
		_, body := rw.get(t, stay)
		mustContain(t, "stay page", body, `id="no-plan"`, `id="plan-form"`, `id="application-form"`, `id="no-applications"`)

		// The plan: a bad goal is a field error; then saved; a stale edit refused.
		resp, body := rw.post(t, stay+"/moveon-plan", url.Values{"version": {"0"}, "goal": {"castle"}, "notes": {"Near the school"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#goal"`) || !strings.Contains(body, "Near the school") {
			t.Fatalf("bad plan: %d %s", resp.StatusCode, errorSummary(body))
		}
		resp, _ = rw.post(t, stay+"/moveon-plan", url.Values{"version": {"0"}, "goal": {"own_tenancy"}, "notes": {"Near the school"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save plan: %d", resp.StatusCode)
		}
		resp, body = rw.post(t, stay+"/moveon-plan", url.Values{"version": {"0"}, "goal": {"private_rented"}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `href="#plan"`) {
			t.Fatalf("stale plan: %d %s", resp.StatusCode, errorSummary(body))
		}
		_, body = rw.get(t, stay)
		mustContain(t, "stay page with a plan", body, `id="plan-goal">Own tenancy`, `id="plan-notes">Near the school`, `name="version" value="1"`)

		if !departSelects(body, "own_tenancy") {
			t.Error("the departure form does not pre-select the plan's goal")
		}

		// An application, through every step to housed.
		resp, body = rw.post(t, stay+"/housing-applications", url.Values{"provider": {""}, "applied_on": {"soon"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#applied_on"`) {
			t.Fatalf("bad application: %d %s", resp.StatusCode, errorSummary(body))
		}
		resp, _ = rw.post(t, stay+"/housing-applications", url.Values{"provider": {"Southtown Borough Council"}, "applied_on": {today}, "reference": {"SBC-4471"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add application: %d", resp.StatusCode)
		}
		_, body = rw.get(t, stay)
		apps := applicationRow.FindAllStringSubmatch(body, -1)
		if len(apps) != 1 || apps[0][2] != "applied" {
			t.Fatalf("applications on the page: %v", apps)
		}
		app := apps[0][1]
		mustContain(t, "stay page with an application", body, "Southtown Borough Council", "SBC-4471", `id="event-`+app+`"`)
		// An acceptance with no offer is refused beside the application, and nothing changes.
		resp, body = rw.post(t, stay+"/housing-events", url.Values{"application": {app}, "kind": {"offer_accepted"}, "event_date": {today}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#kind"`) || !strings.Contains(body, `id="kind"`) {
			t.Fatalf("bad event: %d %s", resp.StatusCode, errorSummary(body))
		}
		if m := applicationRow.FindStringSubmatch(body); m == nil || m[2] != "applied" {
			t.Fatalf("a refused event changed the application: %v", m)
		}
		for _, e := range []url.Values{
			{"kind": {"registered"}, "event_band": {"Band A"}},
			{"kind": {"offer_made"}, "detail": {"Southtown North"}},
			{"kind": {"offer_accepted"}},
			{"kind": {"housed"}},
		} {
			e.Set("application", app)
			e.Set("event_date", today)
			if resp, body := rw.post(t, stay+"/housing-events", e); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: %d %s", e.Get("kind"), resp.StatusCode, errorSummary(body))
			}
		}
		_, body = rw.get(t, stay)
		if m := applicationRow.FindStringSubmatch(body); m == nil || m[2] != "housed" {
			t.Fatalf("application after housing: %v", m)
		}
		mustContain(t, "stay page after housing", body, "Band A", "Southtown North")
		// The departure form suggests social housing.
		if !departSelects(body, "social_housing") {
			t.Error("the departure form does not pre-select social housing")
		}
		if strings.Contains(body, `id="event-`+app+`"`) {
			t.Error("a housed application still offers its event form")
		}
		// The departure the form suggests is recorded.
		resp, _ = rw.post(t, stay+"/depart", url.Values{"date": {today}, "reason": {"planned_move_on"}, "move_on": {"social_housing"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("depart: %d", resp.StatusCode)
		}
		p, err := w.svc.MoveOnPlan(context.Background(), w.fdActor, strings.TrimPrefix(stay, "/refuge/stays/"))
		if err != nil || len(p.Applications) != 1 || p.Applications[0].Status != refuge.Housed || len(p.Applications[0].Events) != 5 {
			t.Fatalf("plan read by the client's worker: %+v %v", p, err)
		}
	})
}

// departSelects reports whether the departure form pre-selects the
// destination.
func departSelects(body, moveOn string) bool {
	i := strings.Index(body, `<select id="move_on"`)
	if i < 0 {
		return false
	}
	end := strings.Index(body[i:], "</select>")
	return end > 0 && strings.Contains(body[i:i+end], `<option value="`+moveOn+`" selected>`)
}
