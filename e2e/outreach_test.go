package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdoor/internal/access"
	"frontdoor/internal/demo"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/testserve"
	"frontdoor/internal/vault"
)

// TestOutreachWalk is issue 6's walk: an outreach worker builds a plan
// with three need areas, books weekly visits, records one, misses a
// lone-working check-in, and the duty manager sees the escalation; a
// home-security referral goes to a partner user who marks it done; a
// volunteer signs in and sees only their matched client.
func TestOutreachWalk(t *testing.T) {
	// From the demo (seed 1, what --demo loads): an outreach worker, a team
	// manager of the same team (the duty manager) and a volunteer of the
	// same organisation.
	world := demo.NewPartnership(demo.Config{Seed: 1})
	var worker, manager, volunteer demo.Staff
	for _, s := range world.Staff {
		if s.Role == access.RoleOutreachWorker && worker.ID == "" && len(s.TeamIDs) > 0 {
			for _, m := range world.Staff {
				if m.Role == access.RoleTeamManager && slices.Contains(m.TeamIDs, s.TeamIDs[0]) {
					worker, manager = s, m
					break
				}
			}
		}
	}
	for _, s := range world.Staff {
		if s.Role == access.RoleVolunteer && s.OrganisationID == worker.OrganisationID {
			volunteer = s
			break
		}
	}
	if worker.ID == "" || volunteer.ID == "" {
		t.Fatal("the demo has no outreach worker with a team manager, or no volunteer in their organisation")
	}

	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		var env, db []string
		if d == store.Postgres {
			env = []string{"FRONTDOOR_MASTER_KEY=" + vault.NewMasterKey().Encode()}
			db = []string{"--database-url", storetest.PostgresURL(t)}
		} else {
			db = []string{"--data", filepath.Join(t.TempDir(), "data")}
		}
		s := testserve.Start(t, env, append([]string{"--demo"}, db...)...)
		s.Personal("Rosalind", "Featherstonehaugh", "14 Wren Close", "harbour lights at dusk", "blue kettle morning",
			"copper gate evening", "amber field noon", "silver birch night", "Talked through the arrears letter")
		invite := func(username string) string {
			t.Helper()
			res := testserve.Run(t, env, append([]string{"user", "invite", "--username", username, "--base-url", s.URL}, db...)...)
			link := setupLinkRe.FindString(res.Stdout)
			if res.Code != 0 || link == "" {
				t.Fatalf("user invite %s: exit %d\n%s%s", username, res.Code, res.Stdout, res.Stderr)
			}
			s.Personal(strings.TrimPrefix(link, s.URL+"/setup/"))
			return link
		}
		admin := newPage(t, s)
		admin.choosePasswordAndEnrol(s.SetupLink(t), "harbour lights at dusk")

		// 1. The outreach worker records a client with her address.
		ow := newPage(t, s)
		ow.choosePasswordAndEnrol(invite(worker.Username), "blue kettle morning")
		ow.do("new client",
			chromedp.Click(css(`nav a[href="/people/new"]`)),
			chromedp.WaitVisible(css("#given_name")),
			chromedp.SendKeys(css("#given_name"), "Rosalind"),
			chromedp.SendKeys(css("#family_name"), "Featherstonehaugh"),
			js(`(a => a && (a.value = "14 Wren Close"))(document.querySelector("#address"))`),
			chromedp.Click(css("main button[type=submit]")),
			chromedp.WaitVisible(css("#client-name")),
		)
		client := strings.TrimPrefix(pathOf(t, ow.url()), "/people/")

		// 2. A support plan with three need areas.
		ow.do("open the support plan", chromedp.Click(css("#support-plan-link")), chromedp.WaitVisible(css("#start-plan")))
		ow.do("start the plan", chromedp.Click(css("#start-plan")), chromedp.WaitVisible(css("#add-need")))
		for _, n := range []struct{ area, need, goals string }{
			{"safety", "Ex-partner knows the address and has come to the door twice.", "Locks changed; a safety plan she can follow."},
			{"money", "Lost the household income; rent arrears of two months.", "Benefits in payment and a plan for the arrears."},
			{"wellbeing", "Not sleeping; panic when the doorbell rings.", "Linked to counselling; sleeping better."},
		} {
			ow.do("add the "+n.area+" need",
				chromedp.SetValue(css("#new-area"), n.area),
				chromedp.SendKeys(css("#new-need"), n.need),
				chromedp.SendKeys(css("#new-goals"), n.goals),
				markStale,
				chromedp.Click(css("#add-need")),
				chromedp.WaitNotPresent(css("body[data-stale]")),
				chromedp.WaitVisible(css(fmt.Sprintf(`#needs [data-area="%s"]`, n.area))),
			)
		}
		if n, _ := chromedp.Run(ow.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#needs article.need").length`)); n != 3 {
			t.Fatalf("the plan shows %d needs, want 3", n)
		}

		// 3. Weekly home visits: the first began a quarter of an hour ago
		// (she records it when she is back); and a single visit that ended
		// an hour ago whose check-in never came.
		book := func(what string, start time.Time, weeks int) {
			t.Helper()
			ow.do(what,
				chromedp.SetValue(css("#kind"), "home_visit"),
				chromedp.SetValue(css("#date"), start.Format("2006-01-02")),
				chromedp.SetValue(css("#time"), start.Format("15:04")),
				chromedp.SetValue(css("#minutes"), "60"),
				chromedp.SetValue(css("#weeks"), fmt.Sprint(weeks)),
				chromedp.SetValue(css("#reminder"), "none"),
				markStale,
				chromedp.Click(css("#book")),
				chromedp.WaitNotPresent(css("body[data-stale]")),
				chromedp.WaitVisible(css("#session-table")),
			)
		}
		now := time.Now()
		book("book weekly home visits", now.Add(-15*time.Minute), 4)
		book("book the visit she will not check in from", now.Add(-2*time.Hour), 1)
		rows, _ := chromedp.Run(ow.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#session-table tbody tr").length`))
		if rows != 5 {
			t.Fatalf("the plan lists %d sessions, want 5", rows)
		}

		// 4. Her week shows them; she records the first visit as held.
		ow.do("open my week", chromedp.Click(css(`nav a[href="/outreach/week"]`)), chromedp.WaitVisible(css("#week")))
		week := ow.text("#week")
		has(t, "the worker's week", week, "Rosalind Featherstonehaugh")
		first, err := chromedp.Run(ow.ctx, chromedp.Evaluate[string](fmt.Sprintf(
			`[...document.querySelectorAll("#week [id^=session-]")].map(e => e.id.slice(8)).find(id => document.querySelector("#session-" + id).textContent.includes(%q)) || ""`,
			now.Add(-15*time.Minute).Format("15:04"))))
		if err != nil || first == "" {
			t.Fatalf("the week does not show the visit at %s (%v):\n%s", now.Add(-15*time.Minute).Format("15:04"), err, week)
		}
		ow.do("record the visit",
			chromedp.Navigate(s.URL+"/outreach/sessions/"+first),
			chromedp.WaitVisible(css("#record")),
			chromedp.Click(css(`input[name=status][value=held]`)),
			chromedp.SendKeys(css("#discussed"), "Talked through the arrears letter"),
			chromedp.Click(css("#record")),
			chromedp.WaitVisible(css(`#session-status[data-status="held"]`)),
		)
		has(t, "the recorded session", ow.text("main"), "Talked through the arrears letter")
		ow.screenshot("outreach-session-" + string(d))

		// 5. The duty manager sees the missed check-in escalated (the job
		// runs every 30 seconds) and records the response.
		dm := newPage(t, s)
		dm.choosePasswordAndEnrol(invite(manager.Username), "copper gate evening")
		deadline := time.Now().Add(100 * time.Second)
		for {
			dm.do("open the escalations", chromedp.Navigate(s.URL+"/outreach/escalations"), chromedp.WaitVisible(css("main h1")))
			if n, _ := chromedp.Run(dm.ctx, chromedp.Evaluate[int](`document.querySelectorAll("[id^=escalation-]").length`)); n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no escalation after 100 s:\n%s", dm.text("main"))
			}
			time.Sleep(3 * time.Second)
		}
		esc := dm.text("main")
		has(t, "the escalation", esc, worker.DisplayName, "Rosalind Featherstonehaugh")
		if n, _ := chromedp.Run(dm.ctx, chromedp.Evaluate[int](`document.querySelectorAll("[id^=escalation-]").length`)); n != 1 {
			t.Errorf("%d escalations, want only the visit without a check-in:\n%s", n, esc)
		}
		dm.do("respond",
			chromedp.SendKeys(css(`textarea[name=response]`), "Rang her mobile: safe, battery had died. Back at the office."),
			markStale,
			chromedp.Click(css(`[id^=respond-]`)),
			chromedp.WaitNotPresent(css("body[data-stale]")),
		)
		has(t, "the answered escalation", dm.text("main"), "battery had died")
		dm.screenshot("outreach-escalation-" + string(d))

		// 6. The administrator records the home-security installer and the
		// sharing agreement; the installer's user is added.
		admin.do("open partner agencies", chromedp.Navigate(s.URL+"/partners"), chromedp.WaitVisible(css("#register-agency")))
		admin.do("register the installer",
			chromedp.SendKeys(css("#name"), "Lockfast Security"),
			chromedp.SetValue(css("#kind"), "security"),
			chromedp.Click(css("#register-agency")),
			chromedp.WaitReady(css(`[id^=add-agreement-]`)),
		)
		admin.do("record the agreement",
			js(`document.querySelector("#agencies article.agency details").open = true`),
			js(`document.querySelector("#agencies article.agency form [name=title]").value = "Sanctuary scheme sharing agreement"`),
			js(`document.querySelector("#agencies article.agency form [name=legal_basis]").value = "consent"`),
			markStale,
			chromedp.Click(css(`[id^=add-agreement-]`)),
			chromedp.WaitNotPresent(css("body[data-stale]")),
			chromedp.WaitVisible(css(`[id^=agreement-]`)),
		)
		res := testserve.Run(t, env, append([]string{"user", "add", "--organisation", "Lockfast Security", "--role", "partner_agency_user",
			"--username", "lock.fitter", "--name", "Lock Fitter", "--base-url", s.URL}, db...)...)
		fitterLink := setupLinkRe.FindString(res.Stdout)
		if res.Code != 0 || fitterLink == "" {
			t.Fatalf("user add: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
		}
		s.Personal(strings.TrimPrefix(fitterLink, s.URL+"/setup/"))

		// 7. The worker refers to the installer, sharing the name and the
		// address only, with the client's consent.
		ow.do("open the client's partner referrals",
			chromedp.Navigate(s.URL+"/people/"+client),
			chromedp.Click(css("#partners-link")),
			chromedp.WaitVisible(css("#send-referral")),
		)
		ow.do("refer for target hardening",
			js(`(s => s.value = [...s.options].find(o => o.value).value)(document.querySelector("#agreement"))`),
			chromedp.SetValue(css("#kind"), "target_hardening"),
			js(`document.querySelectorAll("input[name=share]").forEach(c => c.checked = c.value === "name" || c.value === "address")`),
			chromedp.SendKeys(css("#request"), "New locks front and back and a door chain, please, within the week."),
			js(`document.querySelector("#consent").checked = true`),
			markStale,
			chromedp.Click(css("#send-referral")),
			chromedp.WaitNotPresent(css("body[data-stale]")),
			chromedp.WaitVisible(css(`[id^=referral-][data-status="sent"]`)),
		)

		// 8. The installer's user sees the shared fields only, and marks
		// the work done.
		fit := newPage(t, s)
		fit.choosePasswordAndEnrol(fitterLink, "amber field noon")
		fit.do("open the agency's referrals", chromedp.Navigate(s.URL+"/agency"), chromedp.WaitVisible(css(`[id^=referral-]`)))
		shown := fit.text("#referrals")
		has(t, "the agency's referral", shown, "Rosalind Featherstonehaugh", "14 Wren Close", "door chain")
		for _, step := range []struct{ to, note string }{{"accepted", ""}, {"done", "Locks fitted front and back; chain fitted."}} {
			fit.do("move the referral to "+step.to,
				js(fmt.Sprintf(`document.querySelector("[id^=status-]").value = %q`, step.to)),
				js(fmt.Sprintf(`document.querySelector("[id^=note-]").value = %q`, step.note)),
				markStale,
				chromedp.Click(css(`[id^=move-]`)),
				chromedp.WaitNotPresent(css("body[data-stale]")),
				chromedp.WaitVisible(css(fmt.Sprintf(`[id^=referral-][data-status=%q]`, step.to))),
			)
		}
		fit.do("the agency tries the client's record", chromedp.Navigate(s.URL+"/people/"+client), chromedp.WaitVisible(css("main h1")))
		if m := fit.text("main"); strings.Contains(m, "14 Wren Close") || strings.Contains(m, "Rosalind") {
			t.Errorf("the partner user reached the client's record: %q", fit.text("main h1"))
		}
		ow.do("the worker sees it done", chromedp.Navigate(s.URL+"/people/"+client+"/partners"),
			chromedp.WaitVisible(css(`[id^=referral-][data-status="done"]`)))
		has(t, "the worker's view of the referral", ow.text("#referrals"), "Locks fitted front and back")

		// 9. The worker matches a volunteer; the volunteer sees that client
		// only, in the limited view.
		ow.do("match a volunteer",
			chromedp.Navigate(s.URL+"/people/"+client+"/volunteers"),
			chromedp.WaitVisible(css("#match-volunteer")),
			chromedp.SetValue(css("#volunteer"), volunteer.ID),
			chromedp.SetValue(css("#kind"), "befriending"),
			chromedp.SendKeys(css("#purpose"), "A weekly walk and coffee"),
			markStale,
			chromedp.Click(css("#match-volunteer")),
			chromedp.WaitNotPresent(css("body[data-stale]")),
			chromedp.WaitVisible(css(`[id^=match-]`)),
		)
		vol := newPage(t, s)
		vol.choosePasswordAndEnrol(invite(volunteer.Username), "silver birch night")
		vol.do("open my clients", chromedp.Navigate(s.URL+"/volunteer"), chromedp.WaitVisible(css("#my-clients")))
		mine := vol.text("#my-clients")
		has(t, "the volunteer's clients", mine, "Rosalind Featherstonehaugh")
		if n, _ := chromedp.Run(vol.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#my-clients [id^=match-]").length`)); n != 1 {
			t.Errorf("the volunteer sees %d clients, want only the matched one:\n%s", n, mine)
		}
		for _, hidden := range []string{"14 Wren Close", "arrears", "Locks fitted"} {
			if strings.Contains(vol.text("main"), hidden) {
				t.Errorf("the volunteer's page shows %q", hidden)
			}
		}
		vol.do("the volunteer tries the full record", chromedp.Navigate(s.URL+"/people/"+client), chromedp.WaitVisible(css("main h1")))
		if strings.Contains(vol.text("main"), "14 Wren Close") || strings.Contains(vol.text("main"), "Talked through") {
			t.Error("the volunteer reached the client's full record")
		}
		vol.screenshot("outreach-volunteer-" + string(d))
	})
}
