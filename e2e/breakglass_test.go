package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/testserve"
	"frontdoor/internal/vault"
)

// linkFor has the administrator create a one-time link for the first
// account listed with the given role.
func (admin *page) linkFor(role string) string {
	return admin.linkWhere(role, `r.cells[2].textContent.trim() === "`+role+`"`)
}

// linkForUser does the same for one username.
func (admin *page) linkForUser(username string) string {
	return admin.linkWhere(username, `r.cells[0].textContent.trim() === "`+username+`"`)
}

func (admin *page) linkWhere(what, match string) string {
	admin.t.Helper()
	admin.do("open the staff list", chromedp.Navigate(admin.srv.URL+"/staff"), chromedp.WaitVisible(css("table")))
	admin.do("open "+what,
		chromedp.Click(chromedp.JSPath(`[...document.querySelectorAll("tbody tr")].find(r => `+match+`).querySelector("a")`)),
		chromedp.WaitVisible(css(`form[action$="/setup-link"] button`)),
		chromedp.Click(css(`form[action$="/setup-link"] button`)),
		chromedp.WaitVisible(css("#setup-link")),
	)
	link := admin.text("#setup-link")
	admin.srv.Personal(strings.TrimPrefix(link, admin.srv.URL+"/setup/"))
	return link
}

func TestBreakGlassInTheBrowser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		args := []string{"--demo"}
		var env []string
		if d == store.Postgres {
			args = append(args, "--database-url", storetest.PostgresURL(t))
			env = []string{"FRONTDOOR_MASTER_KEY=" + vault.NewMasterKey().Encode()}
		} else {
			args = append(args, "--data", filepath.Join(t.TempDir(), "data"))
		}
		s := testserve.Start(t, env, args...)
		s.Personal("Temperance", "Okonkwo-Hale", "caller is outside the house now")
		admin := newPage(t, s)
		admin.choosePasswordAndEnrol(s.SetupLink(t), "harbour lights at dusk")
		frontDoorLink := admin.linkFor("Front door worker")
		outreachLink := admin.linkFor("Outreach worker")
		dplLink := admin.linkFor("Data protection lead")
		// The demo (seed 1) makes y.farah the manager of the helpline team.
		managerLink := admin.linkForUser("y.farah")

		// A front door worker records a new client.
		fdw := newPage(t, s)
		fdw.choosePasswordAndEnrol(frontDoorLink, "blue kettle morning")
		fdw.do("new client",
			chromedp.Click(css(`nav a[href="/people/new"]`)),
			chromedp.WaitVisible(css("#given_name")),
			chromedp.SendKeys(css("#given_name"), "Temperance"),
			chromedp.SendKeys(css("#family_name"), "Okonkwo-Hale"),
			chromedp.SendKeys(css("#date_of_birth"), "31/02/1990"),
			chromedp.SendKeys(css("#email"), "not-an-email"),
			chromedp.Click(css("main button[type=submit]")),
			chromedp.WaitVisible(css(".error-summary")),
		)
		// Every error at once, and what was typed is kept.
		if sum := fdw.text(".error-summary"); !strings.Contains(sum, "Enter a real date") || !strings.Contains(sum, "Enter an email address") {
			t.Fatalf("error summary: %q", sum)
		}
		if v, _ := chromedp.Run(fdw.ctx, chromedp.Value(css("#family_name"))); v != "Okonkwo-Hale" {
			t.Fatalf("the form lost the family name: %q", v)
		}
		fdw.do("correct and save",
			chromedp.SendKeys(css("#safe_phone"), "07700 900456"),
			chromedp.SendKeys(css("#codeword"), "bluebell"),
			chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
				_, err := chromedp.Evaluate[bool](`(document.querySelector("#date_of_birth").value = "14/03/1987", document.querySelector("#email").value = "", document.querySelector("#safe_voicemail").value = "unsafe", document.querySelector("#safe_text").value = "safe", true)`)(ctx, tgt)
				return err
			}),
			chromedp.Click(css("main button[type=submit]")),
			chromedp.WaitVisible(css("#client-name")),
		)
		if name := fdw.text("#client-name"); name != "Temperance Okonkwo-Hale" {
			t.Fatalf("client page shows %q", name)
		}
		// Safe contact comes first on the record.
		if sc := fdw.text("#safe-contact"); !strings.Contains(sc, "bluebell") || !strings.Contains(sc, "NOT safe") || !strings.Contains(sc, "07700 900456") {
			t.Fatalf("safe-contact box: %q", sc)
		}
		s.Personal("bluebell", "07700 900456")
		record := fdw.url()

		// An outreach worker with no relation is refused, then opens it in
		// an emergency with a reason.
		ow := newPage(t, s)
		ow.choosePasswordAndEnrol(outreachLink, "green ferry evening")
		ow.do("open the record", chromedp.Navigate(record), chromedp.WaitVisible(css("main h1")))
		if h := ow.text("main h1"); h != "You do not work on this case" {
			t.Fatalf("outreach worker without a relation sees %q", h)
		}
		if body := ow.text("main"); strings.Contains(body, "Temperance") {
			t.Fatal("the refusal page shows the client's name")
		}
		ow.do("break-glass without a real reason",
			chromedp.SendKeys(css("#reason"), "urgent"),
			chromedp.Click(css("main button[type=submit]")),
			chromedp.WaitVisible(css(".error-summary")),
		)
		ow.do("break-glass with a reason",
			chromedp.Click(css("#reason-kind-client_in_contact")),
			chromedp.SendKeys(css("#reason"), "caller is outside the house now and needs the safe number"),
			chromedp.Click(css("main button[type=submit]")),
			chromedp.WaitVisible(css("#client-name")),
		)
		if banner := ow.text(".error-summary"); !strings.Contains(banner, "Emergency access") {
			t.Errorf("no break-glass banner: %q", banner)
		}
		ow.screenshot("break-glass-" + string(d))

		// The data protection lead sees it, with the reason.
		dpl := newPage(t, s)
		dpl.choosePasswordAndEnrol(dplLink, "silver orchard night")
		dpl.do("review", chromedp.Click(css(`nav a[href="/review"]`)), chromedp.WaitVisible(css("#break-glass")))
		if row := dpl.text("#break-glass"); !strings.Contains(row, "caller is outside the house now and needs the safe number") {
			t.Errorf("review page break-glass table:\n%s", row)
		}

		// The helpline's manager sees who opened the record, then restricts
		// it to themselves: the worker who created it no longer finds it.
		mgr := newPage(t, s)
		mgr.choosePasswordAndEnrol(managerLink, "copper lantern field")
		mgr.do("open the record", chromedp.Navigate(record), chromedp.WaitVisible(css("#history-link")))
		mgr.do("access history", chromedp.Click(css("#history-link")), chromedp.WaitVisible(css("#history")))
		if h := mgr.text("#history"); !strings.Contains(h, "Emergency access opened") || !strings.Contains(h, "Refused access") || !strings.Contains(h, "Record added") {
			t.Errorf("access history:\n%s", h)
		}
		mgr.do("restrict",
			chromedp.Navigate(record),
			chromedp.WaitVisible(css(`form[action$="/restrict"]`)),
			chromedp.Click(css(`form[action$="/restrict"] button[type=submit]`)),
			chromedp.WaitVisible(css("#restricted")),
		)
		fdw.do("reload the record", chromedp.Navigate(record), chromedp.WaitVisible(css("main h1")))
		if h := fdw.text("main h1"); h != "Page not found" {
			t.Errorf("creator after a restriction that does not name them sees %q", h)
		}
		ow.do("reload under break-glass", chromedp.Navigate(record), chromedp.WaitVisible(css("main h1")))
		if h := ow.text("main h1"); h != "Page not found" {
			t.Errorf("break-glass into a restricted record shows %q", h)
		}
	})
}
