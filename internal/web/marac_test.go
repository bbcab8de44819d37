package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// riskCase is an organisation with a helpline team, a front door worker
// in it and one client of theirs, Ruth Adeyemi.
type riskCase struct {
	h      *harness
	org    string
	worker *harness
	staff  *auth.Staff
	client string // "/people/{id}"
}

func newRiskCase(t *testing.T, d store.Dialect) *riskCase {
	t.Helper()
	h := newHarness(t, d)
	ctx := context.Background()
	token, _ := h.auth.IssueSetupLink(ctx, "")
	_, first, err := h.auth.CompleteSetup(ctx, token, auth.SetupForm{OrganisationName: "Org", DisplayName: "First", Username: "first", Password: "amber quay lantern", Confirm: "amber quay lantern"})
	if err != nil {
		t.Fatal(err)
	}
	team := "0190f2a0-0000-7000-8000-0000000000c1"
	h.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ($1, $2, 'Helpline', 'helpline', $3)`, team, first.OrganisationID, h.clock.Now())
		return err
	})
	worker, st := h.asRole(t, first.OrganisationID, access.RoleFrontDoorWorker)
	h.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO team_members (team_id, staff_id) VALUES ($1, $2)`, team, st.ID)
		return err
	})
	resp, _ := worker.post(t, "/people", url.Values{"given_name": {"Ruth"}, "family_name": {"Adeyemi"}, "team": {team}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create client: %d", resp.StatusCode)
	}
	return &riskCase{h: h, org: first.OrganisationID, worker: worker, staff: st, client: resp.Header.Get("Location")}
}

// assess posts a checklist with yes "yes" answers and returns the result
// page's path and body.
func (rc *riskCase) assess(t *testing.T, yes, callouts int) (string, string) {
	t.Helper()
	set, _ := rc.h.srv.Options.Risk.Set(context.Background(), "dash", 0)
	form := url.Values{"source": {"client"}, "police_callouts": {strconv.Itoa(callouts)}}
	for i, it := range set.Items {
		v := "no"
		if i < yes {
			v = "yes"
		}
		form.Set("a_"+it.Key, v)
	}
	resp, _ := rc.worker.post(t, rc.client+"/risk", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("assess: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	resp, body := rc.worker.get(t, loc)
	if resp.StatusCode != 200 {
		t.Fatalf("result page: %d", resp.StatusCode)
	}
	return loc, body
}

func (rc *riskCase) count(t *testing.T, table string) int {
	var n int
	rc.h.db.Read(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT count(*) FROM `+table, nil, &n)
	})
	return n
}

// link finds the href of the element with the given id.
func linkByID(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`href="([^"]+)" id="` + regexp.QuoteMeta(id) + `"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link #%s on the page:\n%s", id, body)
	}
	return m[1]
}

// From the result page to the IDVA task; allocating an IDVA opens the
// case to them.
func TestTaskPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		rc := newRiskCase(t, d)
		_, body := rc.assess(t, 15, 0)
		taskLink := linkByID(t, body, "idva-task")
		if !strings.HasPrefix(taskLink, "/tasks#task-") {
			t.Fatalf("IDVA task link %q", taskLink)
		}
		taskID := strings.TrimPrefix(taskLink, "/tasks#task-")
		idva, idvaStaff := rc.h.asRole(t, rc.org, access.RoleIDVA)
		if resp, _ := idva.get(t, rc.client); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("IDVA opening the client before allocation: %d", resp.StatusCode)
		}

		resp, body := rc.worker.get(t, "/tasks")
		for _, want := range []string{`id="task-` + taskID + `"`, "Allocate an IDVA", "Ruth Adeyemi", `value="` + idvaStaff.ID + `"`} {
			if resp.StatusCode != 200 || !strings.Contains(body, want) {
				t.Fatalf("tasks page lacks %q (%d):\n%s", want, resp.StatusCode, body)
			}
		}
		resp, body = rc.worker.post(t, "/tasks/"+taskID+"/allocate", url.Values{"idva": {""}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose the IDVA to allocate.") || !strings.Contains(body, `href="#idva"`) || !strings.Contains(body, `id="idva"`) {
			t.Fatalf("allocating nobody: %d\n%s", resp.StatusCode, body)
		}
		if resp, _ := idva.post(t, "/tasks/"+taskID+"/allocate", url.Values{"idva": {idvaStaff.ID}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("the IDVA allocating themselves without a relation: %d", resp.StatusCode)
		}
		resp, _ = rc.worker.post(t, "/tasks/"+taskID+"/allocate", url.Values{"idva": {idvaStaff.ID}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/tasks?done=allocated" {
			t.Fatalf("allocate: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, body := rc.worker.get(t, "/tasks?done=allocated"); !strings.Contains(body, "The IDVA is allocated") || strings.Contains(body, `id="task-`+taskID+`"`) {
			t.Fatalf("tasks after allocation:\n%s", body)
		}
		if resp, _ := idva.get(t, rc.client); resp.StatusCode != 200 {
			t.Fatalf("IDVA opening the client after allocation: %d", resp.StatusCode)
		}
		if resp, _ := rc.worker.post(t, "/tasks/"+taskID+"/allocate", url.Values{"idva": {idvaStaff.ID}}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("allocating twice: %d", resp.StatusCode)
		}
		if resp, _ := rc.worker.post(t, "/tasks/not-an-id/done", url.Values{"note": {"x"}}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("bad task ID: %d", resp.StatusCode)
		}
		commissioner, _ := rc.h.asRole(t, rc.org, access.RoleCommissioner)
		if resp, _ := commissioner.get(t, "/tasks"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("commissioner on /tasks: %d", resp.StatusCode)
		}
	})
}

var maracDoneButton = regexp.MustCompile(`id="done-([0-9a-f-]+)"`)

// From the result page to the MARAC referral; a meeting, the referral on
// its agenda, an action done and an outcome; colleagues without access
// see a restricted line.
func TestMARACPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		rc := newRiskCase(t, d)
		_, body := rc.assess(t, 15, 0)
		refLink := linkByID(t, body, "marac-referral")
		refID := strings.TrimPrefix(refLink, "/marac/referrals/")
		resp, body := rc.worker.get(t, refLink)
		if resp.StatusCode != 200 || !strings.Contains(body, "Ruth Adeyemi") || !strings.Contains(body, "Not yet on an agenda") || !strings.Contains(body, "high risk on the checklist") {
			t.Fatalf("referral page: %d\n%s", resp.StatusCode, body)
		}

		// Every problem with the meeting form at once; nothing written.
		resp, body = rc.worker.post(t, "/marac/meetings", url.Values{"date": {"14/03/2026"}, "time": {"25:00"}, "area": {""}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad meeting: %d", resp.StatusCode)
		}
		for _, f := range []string{"date", "time", "area"} {
			if !strings.Contains(body, `href="#`+f+`"`) {
				t.Errorf("bad meeting: no error for %s", f)
			}
		}
		if !strings.Contains(body, `value="14/03/2026"`) {
			t.Error("the meeting form lost what was typed")
		}
		if n := rc.count(t, "marac_meetings"); n != 0 {
			t.Fatalf("%d meetings written by an invalid form", n)
		}
		day := rc.h.clock.Now().AddDate(0, 0, 7).Format("2006-01-02")
		resp, _ = rc.worker.post(t, "/marac/meetings", url.Values{"date": {day}, "time": {"10:30"}, "area": {"North"}})
		meeting := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(meeting, "/marac/meetings/") {
			t.Fatalf("create meeting: %d to %q", resp.StatusCode, meeting)
		}
		meetingID := strings.TrimPrefix(meeting, "/marac/meetings/")
		resp, body = rc.worker.get(t, "/marac")
		if resp.StatusCode != 200 || !strings.Contains(body, `href="/marac/meetings/`+meetingID+`"`) || !strings.Contains(body, `id="referral-`+refID+`"`) || !strings.Contains(body, "Ruth Adeyemi") {
			t.Fatalf("MARAC page: %d\n%s", resp.StatusCode, body)
		}
		resp, body = rc.worker.get(t, meeting)
		if resp.StatusCode != 200 || !strings.Contains(body, `id="add-`+refID+`"`) || !strings.Contains(body, "Nothing is on the agenda yet.") {
			t.Fatalf("meeting page: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = rc.worker.post(t, refLink+"/agenda", url.Values{"meeting": {meetingID}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != meeting {
			t.Fatalf("add to agenda: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, body := rc.worker.get(t, meeting); !strings.Contains(body, `id="item-`+refID+`"`) || !strings.Contains(body, "Ruth Adeyemi") {
			t.Fatalf("agenda:\n%s", body)
		}

		// The action form: every error at once, then an action.
		before := rc.count(t, "marac_actions")
		resp, body = rc.worker.post(t, refLink+"/actions", url.Values{"owner": {""}, "due": {"2026-13-45"}, "text": {""}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("empty action: %d", resp.StatusCode)
		}
		for _, f := range []string{"owner", "due", "text"} {
			if !strings.Contains(body, `href="#`+f+`"`) {
				t.Errorf("empty action: no error for %s", f)
			}
		}
		if rc.count(t, "marac_actions") != before {
			t.Fatal("an invalid action was written")
		}
		due := rc.h.clock.Now().AddDate(0, 0, 21).Format("2006-01-02")
		resp, _ = rc.worker.post(t, refLink+"/actions", url.Values{"owner": {rc.staff.ID}, "due": {due}, "text": {"Refer for sanctuary locks"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("action: %d", resp.StatusCode)
		}
		if resp, _ := rc.worker.post(t, refLink+"/outcome", url.Values{"outcome": {"Police marker on the address"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("outcome: %d", resp.StatusCode)
		}
		_, body = rc.worker.get(t, refLink)
		m := maracDoneButton.FindStringSubmatch(body)
		if m == nil || !strings.Contains(body, "Refer for sanctuary locks") || !strings.Contains(body, "Police marker on the address") || !strings.Contains(body, "Test front_door_worker") {
			t.Fatalf("referral after the meeting:\n%s", body)
		}
		if resp, _ := rc.worker.post(t, "/marac/actions/"+m[1]+"/done", url.Values{"referral": {refID}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("action done: %d", resp.StatusCode)
		}
		if _, body := rc.worker.get(t, meeting); !strings.Contains(body, "Police marker on the address") || !strings.Contains(body, "Refer for sanctuary locks") || !strings.Contains(body, "· Done") {
			t.Fatalf("meeting after the actions:\n%s", body)
		}

		// A colleague with no relation to the client sees a restricted
		// line, and cannot open the referral.
		other, _ := rc.h.asRole(t, rc.org, access.RoleOutreachWorker)
		resp, body = other.get(t, meeting)
		if resp.StatusCode != 200 || !strings.Contains(body, "Restricted record") || strings.Contains(body, "Ruth") || strings.Contains(body, "sanctuary") {
			t.Fatalf("colleague's view of the meeting: %d\n%s", resp.StatusCode, body)
		}
		if resp, _ := other.get(t, refLink); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("colleague opening the referral: %d", resp.StatusCode)
		}
		if resp, _ := other.post(t, refLink+"/outcome", url.Values{"outcome": {"overwritten"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("colleague recording an outcome: %d", resp.StatusCode)
		}
		if resp, _ := rc.worker.get(t, "/marac/meetings/0190f2a0-0000-7000-8000-00000000dead"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("missing meeting: %d", resp.StatusCode)
		}
	})
}

// Potential escalation: one click refers; a change of circumstance makes
// the review due and shows on the tasks page.
func TestEscalationAndReviewRequestPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		rc := newRiskCase(t, d)
		if resp, body := rc.worker.post(t, rc.client+"/risk/review-request", url.Values{"reason": {"moved house"}}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("review request before any assessment: %d\n%s", resp.StatusCode, body)
		}
		result, body := rc.assess(t, 10, 3)
		if !strings.Contains(body, "Potential escalation: 3 police call-outs in 12 months") || !strings.Contains(body, `id="refer-marac"`) || strings.Contains(body, `id="marac-referral"`) {
			t.Fatalf("escalation on the result page:\n%s", body)
		}
		aid := result[strings.LastIndex(result, "/")+1:]
		if i := strings.Index(aid, "?"); i >= 0 {
			aid = aid[:i]
		}
		resp, _ := rc.worker.post(t, rc.client+"/risk/"+aid+"/marac-referral", url.Values{"reason": {""}})
		ref := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(ref, "/marac/referrals/") {
			t.Fatalf("one-click referral: %d to %q", resp.StatusCode, ref)
		}
		if _, body := rc.worker.get(t, ref); !strings.Contains(body, "potential escalation: 3 police call-outs in 12 months") {
			t.Fatalf("escalation referral:\n%s", body)
		}
		if _, body := rc.worker.get(t, result); linkByID(t, body, "marac-referral") != ref || strings.Contains(body, `id="refer-marac"`) {
			t.Fatalf("result page after referring:\n%s", body)
		}

		resp, body = rc.worker.get(t, rc.client+"/risk/review-request")
		if resp.StatusCode != 200 || !strings.Contains(body, `name="reason"`) {
			t.Fatalf("review request form: %d", resp.StatusCode)
		}
		resp, body = rc.worker.post(t, rc.client+"/risk/review-request", url.Values{"reason": {"  "}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#reason"`) {
			t.Fatalf("empty review request: %d\n%s", resp.StatusCode, body)
		}
		if _, body := rc.worker.get(t, "/tasks"); strings.Contains(body, "Change of circumstance") {
			t.Fatal("a review is due before any request")
		}
		resp, _ = rc.worker.post(t, rc.client+"/risk/review-request", url.Values{"reason": {"Perpetrator released from custody"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("review request: %d", resp.StatusCode)
		}
		resp, body = rc.worker.get(t, "/tasks")
		if resp.StatusCode != 200 || !strings.Contains(body, "Change of circumstance") || !strings.Contains(body, "Ruth Adeyemi") {
			t.Fatalf("tasks page after the request: %d\n%s", resp.StatusCode, body)
		}
	})
}
