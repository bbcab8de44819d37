package e2e

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/testserve"
	"frontdoor/internal/vault"
	"frontdoor/internal/web"
)

// startOn starts frontdoor on the engine under test, with extra args
// (--demo for the walk).
func startOn(t *testing.T, d store.Dialect, extra ...string) *testserve.Server {
	t.Helper()
	args := append([]string{}, extra...)
	var env []string
	if d == store.Postgres {
		args = append(args, "--database-url", storetest.PostgresURL(t))
		env = []string{"FRONTDOOR_MASTER_KEY=" + vault.NewMasterKey().Encode()}
	} else {
		args = append(args, "--data", filepath.Join(t.TempDir(), "data"))
	}
	return testserve.Start(t, env, args...)
}

// js runs a script on the page for the steps a person does with many
// clicks (choosing an answer on each of twenty-odd questions).
func js(script string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](script)
}

// has fails the test unless text holds every want.
func has(t *testing.T, what, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// pathOf is the path of an address on the server.
func pathOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// fillNewClient types a new client's details on the referral form.
func (p *page) fillNewClient(given, family, dob, phone string) {
	p.t.Helper()
	p.do("type the client's details",
		chromedp.WaitVisible(css("#given_name")),
		chromedp.SendKeys(css("#given_name"), given),
		chromedp.SendKeys(css("#family_name"), family),
		chromedp.SendKeys(css("#date_of_birth"), dob),
		chromedp.SendKeys(css("#phone"), phone),
	)
}

// fillReferral types the referral part of the form.
func (p *page) fillReferral(source, org, level, summary string) {
	p.t.Helper()
	p.do("type the referral",
		chromedp.SetValue(css("#source"), source),
		chromedp.SendKeys(css("#referrer_org"), org),
		chromedp.SetValue(css("#risk_level"), level),
		chromedp.SendKeys(css("#summary"), summary),
	)
}

func TestFrontDoorWalk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		began := time.Now()
		s := startOn(t, d, "--demo")
		t.Logf("%s: the demo server started in %s", d, time.Since(began).Round(time.Second))
		s.Personal("Temperance", "Okonkwo-Hale", "Tempy", "Okonkwo Hale", "Darius", "Blackwood", "1990-04-03", "1990-03-04",
			"1985-07-12", "07700 900123", "07700 900124", "marigold", "Northshire Police",
			"caller is frightened to go home", "ex-partner threatened her at work", "new partner says he is the victim")
		admin := newPage(t, s)
		admin.choosePasswordAndEnrol(s.SetupLink(t), "harbour lights at dusk")

		// 1. The administrator makes one-time links for a front door
		// worker and for the helpline's manager (seed 1: y.farah).
		fdwLink := admin.linkFor("Front door worker")
		mgrLink := admin.linkForUser("y.farah")

		// 2. The worker sets up and logs a helpline call in a few fields.
		fdw := newPage(t, s)
		fdw.choosePasswordAndEnrol(fdwLink, "blue kettle morning")
		fdw.do("log a contact",
			chromedp.Click(css(`nav a[href="/contacts/new"]`)),
			chromedp.WaitVisible(css("#channel")),
		)
		if h := fdw.text("main h1"); h != "Log a contact" {
			t.Fatalf("contact page heading %q", h)
		}
		fdw.do("a call from a victim, signposted",
			chromedp.SetValue(css("#direction"), "in"),
			chromedp.SetValue(css("#channel"), "phone"),
			chromedp.SetValue(css("#caller_type"), "victim"),
			chromedp.SetValue(css("#outcome"), "signposted"),
			chromedp.SendKeys(css("#note"), "caller is frightened to go home"),
			chromedp.Click(css("main form button[type=submit]")),
			chromedp.WaitVisible(css("#logged")),
		)
		if msg := fdw.text("#logged"); msg != "Contact logged." {
			t.Errorf("after logging a contact: %q", msg)
		}
		fdw.screenshot("frontdoor-contact-" + string(d))

		// 3. A referral with a new client.
		fdw.do("new referral", chromedp.Click(css(`nav a[href="/referrals/new"]`)), chromedp.WaitVisible(css("#given_name")))
		// The worker is in the helpline team: it is the team offered.
		has(t, "the referral form's team list", fdw.text("#team"), "Front Door Helpline")
		fdw.fillNewClient("Temperance", "Okonkwo-Hale", "1990-04-03", "07700 900123")
		fdw.do("safe contact",
			chromedp.SendKeys(css("#safe_phone"), "07700 900124"),
			chromedp.SendKeys(css("#safe_times"), "weekdays 10 to 12"),
			chromedp.SetValue(css("#safe_voicemail"), "unsafe"),
			chromedp.SetValue(css("#safe_text"), "safe"),
			chromedp.SendKeys(css("#codeword"), "marigold"),
		)
		fdw.fillReferral("police", "Northshire Police", "high", "ex-partner threatened her at work")
		fdw.do("save the referral",
			chromedp.Click(css(`button[name=do][value=create]`)),
			chromedp.WaitVisible(css("#referral")),
		)
		if h := fdw.text("main h1"); h != "Referral: Temperance Okonkwo-Hale" {
			t.Fatalf("referral page heading %q", h)
		}
		has(t, "the referral", fdw.text("#referral"), "Police (Northshire Police)", "High", "ex-partner threatened her at work", "Not yet")
		has(t, "the safe-contact box", fdw.text("#safe-contact"), "07700 900124", "marigold", "NOT safe")
		firstReferral := pathOf(t, fdw.url())
		clientPath := pathOf(t, attr(fdw, "main h1 a", "href")) // the case page
		clientPath = strings.TrimSuffix(clientPath, "/timeline")

		// A second referral, typed with a nickname, the family name without
		// its hyphen and the day and month swapped, finds her.
		fdw.do("another referral", chromedp.Click(css(`nav a[href="/referrals/new"]`)))
		fdw.fillNewClient("Tempy", "Okonkwo Hale", "1990-03-04", "07700 900123")
		fdw.do("check for existing records",
			chromedp.Click(css(`button[name=do][value=check]`)),
			chromedp.WaitVisible(css("#suggestions")),
		)
		sugg := fdw.text("#suggestions")
		has(t, "the suggestions", sugg, "Existing records", "Use this record: Temperance Okonkwo-Hale, born 1990",
			"Same phone number", "None of these: create a new record")
		if v, _ := chromedp.Run(fdw.ctx, chromedp.Value(css("#given_name"))); v != "Tempy" {
			t.Errorf("the check lost what was typed: given name %q", v)
		}
		fdw.screenshot("frontdoor-suggestions-" + string(d))
		fdw.do("use her record",
			chromedp.Click(chromedp.JSPath(`[...document.querySelectorAll("#suggestions label")].find(l => l.textContent.includes("Temperance Okonkwo-Hale")).querySelector("input")`)),
		)
		fdw.fillReferral("health", "Northshire GP surgery", "medium", "GP saw bruising at an appointment")
		fdw.do("save the second referral",
			chromedp.Click(css(`button[name=do][value=create]`)),
			chromedp.WaitVisible(css("#referral")),
		)
		if h := fdw.text("main h1"); h != "Referral: Temperance Okonkwo-Hale" {
			t.Fatalf("second referral heading %q (a second client?)", h)
		}
		if p := pathOf(t, attr(fdw, "main h1 a", "href")); p != clientPath+"/timeline" {
			t.Errorf("the second referral is for %s, not the first client %s", p, clientPath)
		}

		// 4. The triage queue shows both, with how long they have waited.
		fdw.do("triage queue", chromedp.Click(css(`nav a[href="/triage"]`)), chromedp.WaitVisible(css("#queue")))
		row := func(ref string) string {
			v, err := chromedp.Run(fdw.ctx, chromedp.Evaluate[string](fmt.Sprintf(
				`(r => r ? r.innerText : "")(document.querySelector('#queue a[href=%q]')?.closest("tr"))`, ref)))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		r1 := row(firstReferral)
		has(t, "the queue row", r1, "Temperance Okonkwo-Hale", "High", "Police", "0 h")
		fdw.screenshot("frontdoor-triage-queue-" + string(d))
		fdw.do("open the referral", chromedp.Click(css(fmt.Sprintf(`#queue a[href=%q]`, firstReferral))), chromedp.WaitVisible(css("#decision")))

		// Allocate to the IDVA service's team.
		idvaTeam, err := chromedp.Run(fdw.ctx, chromedp.Evaluate[string](
			`[...document.querySelectorAll("#team option")].find(o => o.textContent.includes("(IDVA service)")).textContent.replace(/ \(IDVA service\)$/, "")`))
		if err != nil || idvaTeam == "" {
			t.Fatalf("no IDVA team to allocate to: %q %v", idvaTeam, err)
		}
		fdw.do("allocate",
			chromedp.SetValue(css("#decision"), "allocate"),
			chromedp.SetValue(css("#service"), "idva"),
			js(`(s => { s.value = [...s.options].find(o => o.textContent.includes("(IDVA service)")).value })(document.querySelector("#team"))`),
			chromedp.SendKeys(css("#note"), "high risk: needs an IDVA this week"),
			chromedp.Click(css("#triage button[type=submit]")),
			chromedp.WaitNotPresent(css("#decision")),
		)
		has(t, "the triage decision", fdw.text("#triage"), "Allocate: IDVA service", idvaTeam, "high risk: needs an IDVA this week")
		fdw.do("record first contact",
			chromedp.Click(css(`form:has(input[name=do][value=first_contact]) button[type=submit]`)),
			chromedp.WaitNotPresent(css(`input[name=do][value=first_contact]`)),
		)
		if fc := fdw.text("#first-contact"); !strings.Contains(fc, "0 h 0 min after the referral") {
			t.Errorf("first contact: %q", fc)
		}
		fdw.screenshot("frontdoor-triaged-" + string(d))
		fdw.do("the case page", chromedp.Click(css("main h1 a")), chromedp.WaitVisible(css("#cases")))
		has(t, "the case page", fdw.text("#cases"), "IDVA service", idvaTeam)
		has(t, "the timeline", fdw.text("#timeline"), "Triage: Allocate → IDVA service", "Referral")

		// 5. A risk assessment that scores high, from the client's record.
		fdw.do("open the record", chromedp.Navigate(s.URL+clientPath), chromedp.WaitVisible(css("#client-name")))
		fdw.do("assess", chromedp.Click(css("#assess-link")), chromedp.WaitVisible(css("ol.risk-items")))
		if h := fdw.text("main h1"); h != "Risk assessment" {
			t.Fatalf("risk form heading %q", h)
		}
		items, _ := chromedp.Run(fdw.ctx, chromedp.Evaluate[int](`document.querySelectorAll("ol.risk-items fieldset").length`))
		if items < 15 {
			t.Fatalf("the risk form has %d questions", items)
		}
		fdw.do("answer yes to 16 questions",
			js(`document.querySelectorAll("ol.risk-items fieldset").forEach((f, i) => f.querySelector('input[value="' + (i < 16 ? "yes" : "no") + '"]').click())`),
			chromedp.SendKeys(css("#police_callouts"), "1"),
			chromedp.Click(css("main form > button[type=submit]")),
			chromedp.WaitVisible(css("#risk-level")),
		)
		if lvl := fdw.text("#risk-level"); lvl != "HIGH RISK" {
			t.Fatalf("risk result %q", lvl)
		}
		has(t, "what the assessment set in motion", fdw.text("#risk-actions"),
			"An IDVA allocation task has been created.", "A MARAC referral has been made.")
		fdw.screenshot("frontdoor-risk-high-" + string(d))
		result := fdw.url()
		taskHref := attr(fdw, "#idva-task", "href")
		fdw.do("the IDVA task", chromedp.Click(css("#idva-task")), chromedp.WaitVisible(css("#open-tasks")))
		task := "#" + strings.SplitN(taskHref, "#", 2)[1]
		has(t, "the IDVA task", fdw.text(task), "Allocate an IDVA", "Temperance Okonkwo-Hale")
		fdw.do("back to the result", chromedp.Navigate(result), chromedp.WaitVisible(css("#marac-referral")))
		fdw.do("the MARAC referral", chromedp.Click(css("#marac-referral")), chromedp.WaitVisible(css("#referral-client")))
		if h := fdw.text("main h1"); h != "MARAC referral" {
			t.Errorf("MARAC referral heading %q", h)
		}
		has(t, "the MARAC referral", fdw.text("#referral"), "Temperance Okonkwo-Hale", "First referral in 12 months")
		fdw.screenshot("frontdoor-marac-referral-" + string(d))

		// 6. The perpetrator, from the client's record.
		fdw.do("open the record", chromedp.Navigate(s.URL+clientPath), chromedp.WaitVisible(css("#add-perpetrator-link")))
		fdw.do("record a perpetrator",
			chromedp.Click(css("#add-perpetrator-link")),
			chromedp.WaitVisible(css("#relationship")),
			chromedp.SetValue(css("#relationship"), "ex_partner"),
			chromedp.SendKeys(css("#given_name"), "Darius"),
			chromedp.SendKeys(css("#family_name"), "Blackwood"),
			chromedp.SendKeys(css("#date_of_birth"), "12/07/1985"),
			chromedp.Click(css("main form button[type=submit]")),
			chromedp.WaitNotPresent(css("#relationship")),
		)
		has(t, "the perpetrator record", fdw.text("main"), "Darius Blackwood")
		fdw.do("back to her record", chromedp.Navigate(s.URL+clientPath), chromedp.WaitVisible(css("#perpetrators")))
		has(t, "her perpetrators", fdw.text("#perpetrators"), "Darius Blackwood (Ex-partner)")

		// A referral for a new client with his name and date of birth: a
		// possible counter-allegation.
		fdw.do("a referral for him", chromedp.Click(css(`nav a[href="/referrals/new"]`)))
		fdw.fillNewClient("Darius", "Blackwood", "1985-07-12", "07700 900999")
		fdw.fillReferral("self", "", "standard", "new partner says he is the victim")
		fdw.do("save", chromedp.Click(css(`button[name=do][value=create]`)), chromedp.WaitVisible(css("#referral")))
		if h := fdw.text("main h1"); h != "Referral: Darius Blackwood" {
			t.Fatalf("referral heading %q", h)
		}
		dariusClient := strings.TrimSuffix(pathOf(t, attr(fdw, "main h1 a", "href")), "/timeline")

		// The helpline's manager sees the unread alert on her home page.
		mgr := newPage(t, s)
		mgr.choosePasswordAndEnrol(mgrLink, "copper lantern field")
		mgr.do("home", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(css("#alerts")))
		has(t, "the manager's alerts", mgr.text("#alerts"), "Possible counter-allegations")
		mine, _ := chromedp.Run(mgr.ctx, chromedp.Evaluate[string](fmt.Sprintf(
			`[...document.querySelectorAll("#alerts li")].filter(li => li.querySelector('a[href=%q]')).map(li => li.innerText).join("\n")`, dariusClient)))
		has(t, "the manager's alert about the new client", mine, "Client record", "Same name", "Same date of birth", "Mark as read")
		mgr.screenshot("frontdoor-manager-alert-" + string(d))
		mgr.do("open the client record",
			chromedp.Click(css(fmt.Sprintf(`#alerts a[href=%q]`, dariusClient))),
			chromedp.WaitVisible(css("#client-name")),
		)
		if n := mgr.text("#client-name"); n != "Darius Blackwood" {
			t.Errorf("the alert's client record shows %q", n)
		}
		// The worker holds both records (she made them), so she is shown
		// the alert too (matching.Index.visible: a worker assigned to
		// either record). The demo's own alerts may be listed with it.
		alertFor := fmt.Sprintf(`[...document.querySelectorAll("#alerts li")].filter(li => li.querySelector('a[href=%q]'))`, dariusClient)
		fdw.do("home", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(css("#caseload")))
		if n, _ := chromedp.Run(fdw.ctx, chromedp.Evaluate[int](alertFor+`.length`)); n != 1 {
			t.Errorf("the worker of both records sees %d alerts about the new client, want 1", n)
		}
		has(t, "the worker's alerts", fdw.text("#alerts"), "Possible counter-allegations")
		// Marking it read is per person: the manager's stays.
		fdw.do("mark read", chromedp.Click(chromedp.JSPath(alertFor+`[0].querySelector("button")`)))
		if !fdw.waitFor(`location.hash === "#alerts" && document.readyState === "complete" && `+alertFor+`.length === 0`, 10*time.Second) {
			t.Errorf("the alert stays on the worker's home page after she marked it read (at %s)", fdw.url())
		}
		mgr.do("home again", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(css("#caseload")))
		if n, _ := chromedp.Run(mgr.ctx, chromedp.Evaluate[int](alertFor+`.length`)); n != 1 {
			t.Errorf("after the worker read it, the manager sees %d alerts about the new client, want 1", n)
		}
		t.Logf("%s: the front door walk took %s", d, time.Since(began).Round(time.Second))
	})
}

// attr reads an attribute of the first element matching sel.
func attr(p *page, sel, name string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).getAttribute(%q) || ""`, sel, name)))
	if err != nil {
		p.t.Fatalf("attribute %s of %s: %v", name, sel, err)
	}
	return v
}

// waitFor evaluates cond until it is true, across navigations (which
// end the page's script context under a polling script).
func (p *page) waitFor(cond string, limit time.Duration) bool {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](cond)); err == nil && ok {
			return true
		}
	}
	return false
}

// neutralSite stands in for the quick-exit site, so the test needs no
// internet: every request to its host is answered by the browser itself.
// It returns how many requests it answered.
func neutralSite(t *testing.T, p *page) func() int {
	t.Helper()
	exit, err := url.Parse(web.QuickExitURL)
	if err != nil {
		t.Fatal(err)
	}
	p.do("start the browser")
	paused := chromedp.Events(p.ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(p.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: exit.Scheme + "://" + exit.Host + "/*"}}}); err != nil {
		t.Fatal(err)
	}
	served := make(chan int, 100)
	n := 0
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			_, err := chromedp.Call(p.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
				RequestID: ev.RequestID, ResponseCode: 200,
				ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html; charset=utf-8"}},
				Body:            []byte(`<!doctype html><title>Weather</title><h1>Weather forecast</h1>`),
			})
			if err != nil {
				return
			}
			served <- 1
		}
	}()
	return func() int {
		for {
			select {
			case <-served:
				n++
			default:
				return n
			}
		}
	}
}

func TestSelfReferralQuickExit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		began := time.Now()
		s := startOn(t, d)
		exit, err := url.Parse(web.QuickExitURL)
		if err != nil {
			t.Fatal(err)
		}
		for _, how := range []struct {
			name string
			do   chromedp.Action[chromedp.Void]
		}{
			{"button", chromedp.Click(css("#quick-exit"))},
			{"escape", chromedp.KeyEvent(kb.Escape)},
			{"shift-three-times", chromedp.KeyEvent(kb.Shift + kb.Shift + kb.Shift)},
		} {
			// A fresh browser each time: whoever used it before left nothing.
			p := newPage(t, s)
			answered := neutralSite(t, p)
			// Something was open before the form, as on a real computer.
			p.do("an earlier page", chromedp.Navigate(s.URL+"/signin"), chromedp.WaitVisible(css("#username")))
			p.do("open the self-referral page", chromedp.Navigate(s.URL+"/self-referral"), chromedp.WaitVisible(css("#quick-exit")))
			if h := p.text("main h1"); h != "Ask us for support" {
				t.Fatalf("self-referral heading %q", h)
			}
			if b := p.text("#quick-exit"); b != "Leave this site" {
				t.Errorf("quick-exit button says %q", b)
			}
			// It stays on screen: pinned to the top of the viewport.
			top, _ := chromedp.Run(p.ctx, chromedp.Evaluate[float64](`(window.scrollTo(0, document.body.scrollHeight), document.querySelector("#quick-exit").getBoundingClientRect().top)`))
			if top < 0 || top > 200 {
				t.Errorf("scrolled down, the quick-exit button is at %vpx from the top", top)
			}
			if c, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.cookie`)); c != "" {
				t.Errorf("document.cookie on the self-referral page: %q", c)
			}
			jar, err := chromedp.Call(p.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{s.URL + "/self-referral", s.URL + "/"}})
			if err != nil {
				t.Fatal(err)
			}
			all, err := chromedp.CallBrowser(p.ctx, storage.GetCookies, storage.GetCookiesParams{})
			if err != nil {
				t.Fatal(err)
			}
			if len(jar.Cookies) != 0 || len(all.Cookies) != 0 {
				t.Errorf("the browser holds cookies after the sign-in and self-referral pages: %d for the site, %d in all", len(jar.Cookies), len(all.Cookies))
			}
			if how.name == "button" {
				p.screenshot("self-referral-" + string(d))
			}
			// Something typed, which must not be left on screen.
			p.do("start typing", chromedp.SendKeys(css("#summary"), "he checks my phone"), chromedp.Click(css("main h1")))
			before, _ := chromedp.Run(p.ctx, chromedp.Evaluate[int](`history.length`))

			p.do("leave by "+how.name, how.do)
			if !p.waitFor(fmt.Sprintf(`location.host === %q && document.readyState === "complete"`, exit.Host), 10*time.Second) {
				t.Fatalf("leaving by %s: the neutral site never loaded (at %s)", how.name, p.url())
			}
			if loc := p.url(); loc != web.QuickExitURL {
				t.Errorf("after leaving by %s the browser is at %s, want %s", how.name, loc, web.QuickExitURL)
			}
			if answered() == 0 {
				t.Errorf("leaving by %s never asked for the neutral site", how.name)
			}
			after, _ := chromedp.Run(p.ctx, chromedp.Evaluate[int](`history.length`))
			if after != before {
				t.Errorf("leaving by %s: history.length %d before, %d after: the form was left in the history", how.name, before, after)
			}
			entries, err := chromedp.Run(p.ctx, chromedp.NavigationEntries())
			if err != nil {
				t.Fatal(err)
			}
			var urls []string
			for _, e := range entries.Entries {
				urls = append(urls, e.URL)
				if strings.Contains(e.URL, "self-referral") {
					t.Errorf("leaving by %s: the history still holds %s", how.name, e.URL)
				}
			}
			// Back goes to what was open before, not to the form.
			// (history.back, not chromedp.NavigateBack: a page restored from
			// the back-forward cache fires no load event to wait for.)
			p.do("press Back", js(`history.back()`))
			if !p.waitFor(fmt.Sprintf(`location.host !== %q && document.readyState === "complete"`, exit.Host), 10*time.Second) {
				t.Errorf("leaving by %s: Back did not leave the neutral site; history %q", how.name, urls)
			}
			if loc := p.url(); strings.Contains(loc, "self-referral") {
				t.Errorf("leaving by %s: Back returns to the form (%s); history %q", how.name, loc, urls)
			}
			if how.name == "shift-three-times" {
				p.screenshot("self-referral-after-exit-" + string(d))
			}
		}

		// Shift pressed twice, then a capital letter typed, is not an exit.
		p := newPage(t, s)
		neutralSite(t, p)
		p.do("open the self-referral page", chromedp.Navigate(s.URL+"/self-referral"), chromedp.WaitVisible(css("#given_name")))
		p.do("type a name with capitals",
			chromedp.Click(css("#given_name")),
			chromedp.KeyEvent(kb.Shift+kb.Shift),
			chromedp.SendKeys(css("#given_name"), "Ann"),
			chromedp.KeyEvent(kb.Shift),
			chromedp.Sleep(300*time.Millisecond),
		)
		if loc := p.url(); !strings.HasSuffix(loc, "/self-referral") {
			t.Errorf("typing a name with capitals left the page for %s", loc)
		}
		t.Logf("%s: the quick-exit test took %s", d, time.Since(began).Round(time.Second))
	})
}
