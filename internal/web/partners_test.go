package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// asIn signs in a new account of another organisation (a partner
// agency's user), as f.as does for the harness's own.
func (f *frontDoor) asIn(t *testing.T, orgID, username string, role access.Role) *harness {
	t.Helper()
	h, _ := f.staffIn(t, orgID, username, role)
	return h
}

// seeOther checks a form was accepted and returns where it leads.
func seeOther(t *testing.T, what string) func(*http.Response, string) string {
	return func(resp *http.Response, body string) string {
		t.Helper()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d\n%s", what, resp.StatusCode, errorSummary(body))
		}
		return resp.Header.Get("Location")
	}
}

// hiddenOrRefused: the page answers as missing or refused.
func hiddenOrRefused(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
		t.Errorf("%s: %d, want 403 or 404", what, resp.StatusCode)
	}
}

// An administrator registers an agency and a consent-based agreement; a
// worker refers a client sharing her name and address (consent refused
// first, nothing saved); the agency's user sees exactly what was shared,
// not the client's record, and moves the referral to done; the worker
// sees its history.
func TestPartnerReferralPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		f := newFrontDoor(t, d)
		attachOutreach(f)
		admin := f.as(t, "p.admin", access.RoleAdministrator, "helpline")
		dpl := f.as(t, "p.dpl", access.RoleDataProtectionLead, "helpline")
		worker := f.as(t, "p.worker", access.RoleOutreachWorker, "outreach")
		wa := f.actor(t, "p.worker", "outreach")
		c, err := f.srv.Options.People.Create(ctx, wa, people.NewClient{GivenName: "Amina", FamilyName: "Okafor", TeamID: "team-outreach",
			Details: people.Details{Address: "5 Secret Lane", SafeContact: people.SafeContact{Phone: "07700 900123", Text: people.Safe}}})
		if err != nil {
			t.Fatal(err)
		}

		// Administration: the administrator's and the lead's own pages.
		if resp, _ := worker.get(t, "/partners"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a worker reached the partners page: %d", resp.StatusCode)
		}
		if resp, body := admin.get(t, "/partners"); resp.StatusCode != 200 || !strings.Contains(body, `href="/partners"`) {
			t.Fatalf("admin partners page: %d", resp.StatusCode)
		}
		if resp, body := dpl.get(t, "/partners"); resp.StatusCode != 200 || !strings.Contains(body, `action="/partners"`) {
			t.Fatalf("lead's partners page: %d", resp.StatusCode)
		}
		resp, body := admin.post(t, "/partners", url.Values{"name": {""}, "kind": {"wizards"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad agency: %d", resp.StatusCode)
		}
		mustContain(t, "bad agency", body, `href="#name"`, `href="#kind"`)
		loc := seeOther(t, "register")(admin.post(t, "/partners", url.Values{"name": {"Lockfast Security"}, "kind": {"security"}}))
		agency := strings.TrimPrefix(loc, "/partners#agency-")
		if loc := seeOther(t, "lead registers")(dpl.post(t, "/partners", url.Values{"name": {"Hollinshire Police"}, "kind": {"police"}})); !strings.HasPrefix(loc, "/partners#agency-") {
			t.Errorf("the lead's registration leads to %q", loc)
		}
		yearAgo := f.clock.Now().AddDate(-1, 0, 0).Format("2006-01-02")
		resp, body = admin.post(t, "/partners/"+agency+"/agreements", url.Values{"title": {""}, "legal_basis": {"consent"}, "starts_on": {yearAgo}, "ends_on": {"someday"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad agreement: %d", resp.StatusCode)
		}
		mustContain(t, "bad agreement", body, `href="#ends_on"`, `value="someday"`)
		seeOther(t, "agreement")(admin.post(t, "/partners/"+agency+"/agreements", url.Values{"title": {"Sanctuary scheme ISA"}, "legal_basis": {"consent"},
			"reference": {"ISA-7"}, "starts_on": {yearAgo}}))
		_, body = admin.get(t, "/partners")
		mustContain(t, "partners page", body, "Lockfast Security", "Sanctuary scheme ISA", `data-live="true" data-basis="consent"`,
			`frontdoor user add --organisation "Lockfast Security" --role partner_agency_user`)
		fitter := f.asIn(t, agency, "lock.fitter", access.RolePartnerAgencyUser)

		// The worker's page offers the live agreement with its basis.
		if _, body := worker.get(t, "/people/"+c.ID); !strings.Contains(body, `href="/people/`+c.ID+`/partners"`) || !strings.Contains(body, `href="/people/`+c.ID+`/volunteers"`) {
			t.Error("the client page does not link to partner referrals and volunteers")
		}
		resp, body = worker.get(t, "/people/"+c.ID+"/partners")
		if resp.StatusCode != 200 {
			t.Fatalf("client partners page: %d", resp.StatusCode)
		}
		isa := find(t, "agreement choice", body, `<option value="([0-9a-f-]{36})" data-basis="consent"`)
		mustContain(t, "refer form", body, "Lockfast Security: Sanctuary scheme ISA (legal basis: Consent)", `id="consent-required"`, `id="share-safe_phone"`)

		refer := url.Values{"agreement": {isa}, "kind": {"target_hardening"}, "share": {"name", "address"}, "request": {"Fit new locks front and back, and a door chain"}}
		resp, body = worker.post(t, "/people/"+c.ID+"/partners", refer)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("no consent: %d", resp.StatusCode)
		}
		mustContain(t, "no consent", body, `href="#consent"`, "relies on the client&#39;s consent", `id="share-address" checked`, "door chain")
		if n := f.count(t, "partner_referrals"); n != 0 {
			t.Fatalf("%d referrals saved without consent", n)
		}
		refer.Set("consent", "yes")
		loc = seeOther(t, "refer")(worker.post(t, "/people/"+c.ID+"/partners", refer))
		rid := strings.TrimPrefix(loc, "/people/"+c.ID+"/partners#referral-")

		// The agency: what was shared, nothing else, not the record.
		if _, body := fitter.get(t, "/"); !strings.Contains(body, `href="/agency"`) {
			t.Error("the agency user's navigation lacks Referrals")
		}
		resp, body = fitter.get(t, "/")
		if resp.StatusCode != 200 {
			t.Fatalf("agency home: %d", resp.StatusCode)
		}
		mustContain(t, "agency home", body, `id="referral-`+rid+`"`, "Amina Okafor", "5 Secret Lane", "Fit new locks front and back", "Sanctuary scheme ISA")
		if strings.Contains(body, "07700 900123") || strings.Contains(body, "/people/"+c.ID) {
			t.Error("the agency sees the safe phone or a link to the record")
		}
		for _, p := range []string{"/people/" + c.ID, "/people/" + c.ID + "/partners", "/people/" + c.ID + "/volunteers", "/partners"} {
			resp, _ := fitter.get(t, p)
			hiddenOrRefused(t, "agency on "+p, resp)
		}
		if resp, _ := worker.post(t, "/agency/referrals/"+rid, url.Values{"version": {"1"}, "status": {"accepted"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a worker used the agency's move: %d, want 403", resp.StatusCode)
		}
		if resp, body := fitter.get(t, "/agency"); resp.StatusCode != 200 || !strings.Contains(body, rid) {
			t.Errorf("the agency's own page: %d", resp.StatusCode)
		}
		resp, body = fitter.post(t, "/agency/referrals/"+rid, url.Values{"version": {"1"}, "status": {"done"}, "note": {"Too soon"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "cannot move to that status") {
			t.Fatalf("done before accepted: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		for i, step := range [][2]string{{"accepted", ""}, {"in_progress", "Booked for Thursday"}, {"done", "Locks fitted"}} {
			seeOther(t, step[0])(fitter.post(t, "/agency/referrals/"+rid, url.Values{"version": {string(rune('1' + i))}, "status": {step[0]}, "note": {step[1]}}))
		}
		_, body = fitter.get(t, "/")
		mustContain(t, "agency after done", body, `id="referral-`+rid+`" data-status="done"`, "Locks fitted")

		// The worker sees the history.
		_, body = worker.get(t, "/people/"+c.ID+"/partners")
		mustContain(t, "worker's history", body, `id="referral-`+rid+`" data-status="done"`, `<li data-status="sent">`, `<li data-status="accepted">`,
			"Booked for Thursday", "Locks fitted")
		if strings.Contains(body, `id="withdraw-`+rid+`"`) {
			t.Error("a done referral can still be withdrawn")
		}

		// A second referral, withdrawn by the worker with a note; the
		// agency sees it withdrawn, with nothing left to move.
		loc = seeOther(t, "second referral")(worker.post(t, "/people/"+c.ID+"/partners", url.Values{"agreement": {isa}, "kind": {"other"},
			"share": {"name"}, "request": {"Check the back gate"}, "consent": {"yes"}}))
		second := strings.TrimPrefix(loc, "/people/"+c.ID+"/partners#referral-")
		resp, body = worker.post(t, "/partner-referrals/"+second+"/withdraw", url.Values{"client": {c.ID}, "version": {"1"}, "note": {""}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#note"`) {
			t.Fatalf("withdraw without a note: %d\n%s", resp.StatusCode, errorSummary(body))
		}
		seeOther(t, "withdraw")(worker.post(t, "/partner-referrals/"+second+"/withdraw", url.Values{"client": {c.ID}, "version": {"1"}, "note": {"She moved away"}}))
		_, body = fitter.get(t, "/")
		mustContain(t, "agency after withdrawal", body, `id="referral-`+second+`" data-status="withdrawn"`, "She moved away")
		if strings.Contains(body, `id="move-`+second+`"`) {
			t.Error("the agency can still move a withdrawn referral")
		}

		// Nothing personal in the log.
		for _, secret := range []string{"5 Secret Lane", "07700 900123", "door chain", "Locks fitted", "Okafor"} {
			if strings.Contains(f.logs.String(), secret) {
				t.Errorf("the log holds %q", secret)
			}
		}
	})
}

// A volunteer matched to a client sees her name, the safe-contact rules
// and the appointments, not her address or risk, and never the record;
// supervision recorded by the team manager shows on the volunteer's
// page; once the match ends the client is gone from it.
func TestVolunteerPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		f := newFrontDoor(t, d)
		attachOutreach(f)
		worker := f.as(t, "v.worker", access.RoleOutreachWorker, "outreach")
		manager := f.as(t, "v.manager", access.RoleTeamManager, "outreach")
		volunteer := f.as(t, "v.volunteer", access.RoleVolunteer, "outreach")
		other := f.as(t, "v.other", access.RoleOutreachWorker, "idva")
		wa, va := f.actor(t, "v.worker", "outreach"), f.actor(t, "v.volunteer", "outreach")
		c, err := f.srv.Options.People.Create(ctx, wa, people.NewClient{GivenName: "Amina", FamilyName: "Okafor", TeamID: "team-outreach",
			Details: people.Details{Address: "5 Secret Lane", SafeContact: people.SafeContact{Phone: "07700 900123", Times: "Weekdays 10 to 12", Text: people.Unsafe}}})
		if err != nil {
			t.Fatal(err)
		}
		page := "/people/" + c.ID + "/volunteers"

		if _, body := volunteer.get(t, "/"); !strings.Contains(body, `href="/volunteer"`) || !strings.Contains(body, `id="no-matches"`) {
			t.Fatalf("unmatched volunteer's home\n%s", errorSummary(body))
		}
		resp, body := worker.get(t, page)
		if resp.StatusCode != 200 {
			t.Fatalf("volunteers page: %d", resp.StatusCode)
		}
		mustContain(t, "volunteers page", body, `<option value="`+va.StaffID+`">Staff v.volunteer</option>`)
		if resp, _ := other.get(t, page); resp.StatusCode != http.StatusForbidden {
			t.Errorf("another team's worker on the volunteers page: %d", resp.StatusCode)
		}
		resp, body = worker.post(t, page, url.Values{"volunteer": {va.StaffID}, "kind": {"appointments"}, "purpose": {""}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#purpose"`) {
			t.Fatalf("match without purpose: %d", resp.StatusCode)
		}
		loc := seeOther(t, "match")(worker.post(t, page, url.Values{"volunteer": {va.StaffID}, "kind": {"appointments"}, "purpose": {"Goes with her to court"}}))
		mid := strings.TrimPrefix(loc, page+"#match-")
		resp, body = worker.post(t, "/volunteer-matches/"+mid+"/appointments", url.Values{"client": {c.ID}, "date": {"soon"}, "time": {"10:00"}, "what": {""}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad appointment: %d", resp.StatusCode)
		}
		mustContain(t, "bad appointment", body, `href="#date"`, `href="#what"`, `value="soon"`)
		when := f.clock.Now().Add(48 * time.Hour).In(time.Local)
		seeOther(t, "appointment")(worker.post(t, "/volunteer-matches/"+mid+"/appointments", url.Values{"client": {c.ID}, "date": {when.Format("2006-01-02")},
			"time": {"10:00"}, "what": {"County court hearing"}}))

		// The volunteer's limited view.
		resp, body = volunteer.get(t, "/")
		if resp.StatusCode != 200 {
			t.Fatalf("volunteer home: %d", resp.StatusCode)
		}
		mustContain(t, "volunteer home", body, "Amina Okafor", "07700 900123", "Weekdays 10 to 12", "County court hearing", "Goes with her to court")
		for _, hidden := range []string{"5 Secret Lane", `id="risk"`, "/people/" + c.ID} {
			if strings.Contains(body, hidden) {
				t.Errorf("the volunteer sees %q", hidden)
			}
		}
		for _, p := range []string{"/people/" + c.ID, page, "/people/" + c.ID + "/partners", "/people/" + c.ID + "/plan"} {
			resp, _ := volunteer.get(t, p)
			hiddenOrRefused(t, "volunteer on "+p, resp)
		}

		// Supervision by the team manager, from the client's page.
		if _, body := manager.get(t, page); !strings.Contains(body, `action="/volunteers/`+va.StaffID+`/supervision"`) {
			t.Fatal("the manager has no supervision form")
		}
		if _, body := worker.get(t, page); strings.Contains(body, `/supervision"`) {
			t.Error("a worker is offered the supervision form")
		}
		if resp, _ := worker.post(t, "/volunteers/"+va.StaffID+"/supervision", url.Values{"client": {c.ID}, "held_at": {when.Format("2006-01-02")}, "notes": {"x"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a worker recorded supervision: %d", resp.StatusCode)
		}
		seeOther(t, "supervision")(manager.post(t, "/volunteers/"+va.StaffID+"/supervision", url.Values{"client": {c.ID},
			"held_at": {f.clock.Now().In(time.Local).Format("2006-01-02")}, "notes": {"Debrief after court; wellbeing fine"}}))
		_, body = volunteer.get(t, "/")
		mustContain(t, "volunteer's supervision", body, "Debrief after court; wellbeing fine")

		// The match ends: the client is gone from the volunteer's page.
		seeOther(t, "end")(worker.post(t, "/volunteer-matches/"+mid+"/end", url.Values{"client": {c.ID}}))
		_, body = volunteer.get(t, "/")
		if strings.Contains(body, "Amina Okafor") || !strings.Contains(body, `id="no-matches"`) {
			t.Error("the ended match still shows the client")
		}
		_, body = worker.get(t, page)
		mustContain(t, "ended match", body, `id="match-`+mid+`" data-ended="true"`)

		for _, secret := range []string{"5 Secret Lane", "07700 900123", "County court", "Debrief", "Okafor"} {
			if strings.Contains(f.logs.String(), secret) {
				t.Errorf("the log holds %q", secret)
			}
		}
	})
}
