package e2e

import (
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
	admin.t.Helper()
	admin.do("open the staff list", chromedp.Navigate(admin.srv.URL+"/staff"), chromedp.WaitVisible(css("table")))
	admin.do("open a "+role,
		chromedp.Click(chromedp.JSPath(`[...document.querySelectorAll("tbody tr")].find(r => r.cells[2].textContent.trim() === "`+role+`").querySelector("a")`)),
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

		// A front door worker records a new client.
		fdw := newPage(t, s)
		fdw.choosePasswordAndEnrol(frontDoorLink, "blue kettle morning")
		fdw.do("new client",
			chromedp.Click(css(`nav a[href="/people/new"]`)),
			chromedp.WaitVisible(css("#given_name")),
			chromedp.SendKeys(css("#given_name"), "Temperance"),
			chromedp.SendKeys(css("#family_name"), "Okonkwo-Hale"),
			chromedp.Click(css("main button[type=submit]")),
			chromedp.WaitVisible(css("#client-name")),
		)
		if name := fdw.text("#client-name"); name != "Temperance Okonkwo-Hale" {
			t.Fatalf("client page shows %q", name)
		}
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
	})
}
