// Package e2e drives the real frontdoor binary through headless Chromium,
// as a person would: open the printed link, fill the forms, read the page.
package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/testserve"
	"frontdoor/internal/vault"
)

// chromium finds the browser: FRONTDOOR_CHROMIUM, else the usual names.
func chromium(t *testing.T) string {
	if p := os.Getenv("FRONTDOOR_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	storetest.Unavailable(t, "Chromium", "no chromium on PATH; the README's test command installs Debian's chromium when run as root")
	return ""
}

// browser returns a chromedp context on a fresh headless Chromium profile.
func browser(t *testing.T) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// Generous: CI runs the browser beside every other package's tests on
	// two cores, and a walk signs several people in and may wait for a
	// background job (a hung page still fails the test well inside the
	// suite's timeout).
	ctx, cancel3 := context.WithTimeout(ctx, 8*time.Minute)
	t.Cleanup(cancel3)
	return ctx
}

// artifacts is the git-ignored directory screenshots go to.
func artifacts(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// page drives one browser: each person in a test gets their own, so their
// cookies never mix.
type page struct {
	t   *testing.T
	ctx context.Context
	srv *testserve.Server
}

func newPage(t *testing.T, srv *testserve.Server) *page {
	return &page{t: t, ctx: browser(t), srv: srv}
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

func (p *page) text(sel string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Text(css(sel)))
	if err != nil {
		p.t.Fatalf("read %s: %v\n%s", sel, err, p.srv.Stderr())
	}
	return v
}

func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v\n%s", what, err, p.srv.Stderr())
	}
}

func (p *page) url() string {
	u, _ := chromedp.Run(p.ctx, chromedp.Location())
	return u
}

func (p *page) screenshot(name string) string {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatal(err)
	}
	path := filepath.Join(artifacts(p.t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// choosePasswordAndEnrol is what a new person does with their one-time
// link: choose a password, scan the QR code (here: read the key), type the
// code, and save the recovery codes. It returns the TOTP secret and codes.
func (p *page) choosePasswordAndEnrol(link, password string) (string, []string) {
	p.t.Helper()
	p.do("open the setup link", chromedp.Navigate(link))
	if h := p.text("h1"); h != "Choose your password" {
		p.t.Fatalf("setup page heading %q", h)
	}
	p.do("choose a password",
		chromedp.SendKeys(css("#password"), password),
		chromedp.SendKeys(css("#confirm"), password),
		chromedp.Click(css("main button[type=submit]")),
		chromedp.WaitVisible(css("#secret")),
	)
	if h := p.text("h1"); h != "Set up your second factor" {
		p.t.Fatalf("after the password: %q", h)
	}
	if src, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.querySelector("img").src.slice(0, 22)`)); src != "data:image/png;base64," {
		p.t.Errorf("no QR code image: %q", src)
	}
	secret := p.text("#secret")
	p.srv.Personal(password, secret)
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		p.t.Fatal(err)
	}
	p.do("enter the first code",
		chromedp.SendKeys(css("#code"), code),
		chromedp.Click(css("main button[type=submit]")),
		chromedp.WaitVisible(css("#recovery-codes")),
	)
	codes := strings.Fields(p.text("#recovery-codes"))
	p.srv.Personal(codes...)
	if len(codes) != 10 {
		p.t.Fatalf("recovery codes: %q", codes)
	}
	p.do("continue", chromedp.Click(css("a.button")), chromedp.WaitVisible(css("main h1")))
	return secret, codes
}

func TestSignInWithSecondFactorAndAccessControl(t *testing.T) {
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
		s.Personal("harbour lights at dawn", strings.TrimPrefix(s.SetupLink(t), s.URL+"/setup/"))
		admin := newPage(t, s)

		// A mismatch is reported in an error summary that links to the field.
		admin.do("open the setup link", chromedp.Navigate(s.SetupLink(t)))
		admin.do("submit mismatched passwords",
			chromedp.SendKeys(css("#password"), "harbour lights at dusk"),
			chromedp.SendKeys(css("#confirm"), "harbour lights at dawn"),
			chromedp.Click(css("main button[type=submit]")),
			chromedp.WaitVisible(css(".error-summary")),
		)
		if summary := admin.text(".error-summary"); !strings.Contains(summary, "The two passwords are not the same.") {
			t.Fatalf("error summary %q", summary)
		}
		admin.do("follow the error link", chromedp.Click(css(".error-summary a")))
		if focused, _ := chromedp.Run(admin.ctx, chromedp.Evaluate[string](`document.activeElement.id`)); focused != "confirm" {
			t.Errorf("the error link moved focus to %q, want the confirm field", focused)
		}
		_, codes := admin.choosePasswordAndEnrol(s.SetupLink(t), "harbour lights at dusk")
		home := admin.text("main")
		admin.screenshot("home-" + string(d))
		for _, want := range []string{"Welcome", "The partnership", "Refuge", "IDVA service", "Male victim service"} {
			if !strings.Contains(home, want) {
				t.Errorf("home page lacks %q:\n%s", want, home)
			}
		}

		// The administrator gives a front door worker a one-time link.
		admin.do("open the staff list", chromedp.Click(css(`nav a[href="/staff"]`)), chromedp.WaitVisible(css("table")))
		if staff := admin.text("main"); !strings.Contains(staff, "Data protection lead") || !strings.Contains(staff, "Invited: no password yet") {
			t.Errorf("staff page:\n%s", staff)
		}
		admin.do("open a front door worker",
			chromedp.Click(chromedp.JSPath(`[...document.querySelectorAll("tbody tr")].find(r => r.textContent.includes("Front door worker")).querySelector("a")`)),
			chromedp.WaitVisible(css(`button[formaction$="/reset-factors"]`)),
			chromedp.Click(css(`form[action$="/setup-link"] button`)),
			chromedp.WaitVisible(css("#setup-link")),
		)
		link := admin.text("#setup-link")
		s.Personal(strings.TrimPrefix(link, s.URL+"/setup/"))

		// The worker, in their own browser, sets up and is refused the
		// administrator's pages.
		worker := newPage(t, s)
		worker.choosePasswordAndEnrol(link, "kettle on the landing")
		worker.do("try the staff list", chromedp.Navigate(s.URL+"/staff"), chromedp.WaitVisible(css("main h1")))
		if body := worker.text("main"); !strings.Contains(body, "Your account does not have access to this.") {
			t.Errorf("worker on /staff:\n%s", body)
		}
		worker.screenshot("access-denied-" + string(d))

		// The administrator signs out and back in with a recovery code.
		admin.do("sign out", chromedp.Click(css(".signout button")), chromedp.WaitVisible(css("#username")))
		admin.do("visit signed out", chromedp.Navigate(s.URL+"/staff"), chromedp.WaitVisible(css("#username")))
		if !strings.HasSuffix(admin.url(), "/signin") {
			t.Errorf("signed-out visit to /staff ended at %s", admin.url())
		}
		admin.do("password",
			chromedp.SendKeys(css("#username"), "admin"),
			chromedp.SendKeys(css("#password"), "harbour lights at dusk"),
			chromedp.Submit(css("#password")),
			chromedp.WaitVisible(css("#code")),
		)
		admin.do("a wrong code", chromedp.SendKeys(css("#code"), "000000"), chromedp.Submit(css("#code")), chromedp.WaitVisible(css(".error-summary")))
		admin.do("a recovery code",
			chromedp.SendKeys(css("#code"), codes[0]),
			chromedp.Submit(css("#code")),
			chromedp.WaitVisible(css("section.org")),
		)
		admin.do("own account", chromedp.Navigate(s.URL+"/account"), chromedp.WaitVisible(css("main table")))
		if acct := admin.text("main"); !strings.Contains(acct, "9 unused recovery codes") || !strings.Contains(acct, "this browser") {
			t.Errorf("account page:\n%s", acct)
		}
	})
}

func TestIdleSessionEnds(t *testing.T) {
	s := testserve.Start(t, nil, "--data", filepath.Join(t.TempDir(), "data"), "--session-idle", "3s")
	s.Personal("Idle Test Trust", "Ida Lester", "i.lester", "quiet afternoon tea")
	p := newPage(t, s)
	p.do("open the setup link", chromedp.Navigate(s.SetupLink(t)))
	p.do("set up",
		chromedp.SendKeys(css("#organisation"), "Idle Test Trust"),
		chromedp.SendKeys(css("#name"), "Ida Lester"),
		chromedp.SendKeys(css("#username"), "i.lester"),
		chromedp.SendKeys(css("#password"), "quiet afternoon tea"),
		chromedp.SendKeys(css("#confirm"), "quiet afternoon tea"),
		chromedp.Click(css("main button[type=submit]")),
		chromedp.WaitVisible(css("#secret")),
	)
	code, _ := totp.GenerateCode(p.text("#secret"), time.Now())
	p.do("enrol", chromedp.SendKeys(css("#code"), code), chromedp.Click(css("main button[type=submit]")), chromedp.WaitVisible(css("#recovery-codes")))
	p.do("home", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(css("section.org")))
	time.Sleep(4 * time.Second)
	p.do("come back after the idle timeout", chromedp.Navigate(s.URL+"/account"), chromedp.WaitVisible(css("#username")))
	if !strings.HasSuffix(p.url(), "/signin") {
		t.Fatalf("after the idle timeout the page is %s", p.url())
	}
}
