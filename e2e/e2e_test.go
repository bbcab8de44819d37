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

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/testserve"
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
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
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

func TestDemoAdministratorSetsPasswordAndSeesHome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		args := []string{"--demo"}
		if d == store.Postgres {
			args = append(args, "--database-url", storetest.PostgresURL(t))
		} else {
			args = append(args, "--data", filepath.Join(t.TempDir(), "data"))
		}
		s := testserve.Start(t, nil, args...)
		link := s.SetupLink(t)
		ctx := browser(t)
		css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
		text := func(sel string) string {
			t.Helper()
			v, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
			if err != nil {
				t.Fatalf("read %s: %v\n%s", sel, err, s.Stderr())
			}
			return v
		}
		do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			if err := chromedp.Do(ctx, steps...); err != nil {
				t.Fatalf("%s: %v\n%s", what, err, s.Stderr())
			}
		}

		do("open the setup link", chromedp.Navigate(link))
		if h := text("h1"); h != "Choose your password" {
			t.Fatalf("setup page heading %q", h)
		}
		// A mismatch is reported in an error summary that links to the field.
		do("submit mismatched passwords",
			chromedp.SendKeys(css("#password"), "harbour lights at dusk"),
			chromedp.SendKeys(css("#confirm"), "harbour lights at dawn"),
			chromedp.Click(css("button[type=submit]")),
			chromedp.WaitVisible(css(".error-summary")),
		)
		if summary := text(".error-summary"); !strings.Contains(summary, "The two passwords are not the same.") {
			t.Fatalf("error summary %q", summary)
		}
		do("follow the error link", chromedp.Click(css(".error-summary a")))
		if focused, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`)); focused != "confirm" {
			t.Errorf("the error link moved focus to %q, want the confirm field", focused)
		}
		do("choose a password",
			chromedp.SendKeys(css("#password"), "harbour lights at dusk"),
			chromedp.SendKeys(css("#confirm"), "harbour lights at dusk"),
			chromedp.Click(css("button[type=submit]")),
			chromedp.WaitVisible(css("section.org")),
		)
		home := text("main")
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		shot := filepath.Join(artifacts(t), "home-"+string(d)+".png")
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Welcome", "The partnership", "Refuge", "IDVA service", "Male victim service"} {
			if !strings.Contains(home, want) {
				t.Errorf("home page lacks %q:\n%s", want, home)
			}
		}
		// The administrator reaches the staff list, signs out, and a
		// signed-out visit lands on the sign-in page.
		do("open the staff list", chromedp.Click(css(`nav a[href="/staff"]`)), chromedp.WaitVisible(css("table")))
		if staff := text("main"); !strings.Contains(staff, "Data protection lead") || !strings.Contains(staff, "Invited: no password yet") {
			t.Errorf("staff page:\n%s", staff)
		}
		do("sign out", chromedp.Click(css(".signout button")), chromedp.WaitVisible(css("#username")))
		do("visit signed out", chromedp.Navigate(s.URL+"/staff"), chromedp.WaitVisible(css("#username")))
		if url, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(url, "/signin") {
			t.Errorf("signed-out visit to /staff ended at %s", url)
		}
		do("sign back in",
			chromedp.SendKeys(css("#username"), "admin"),
			chromedp.SendKeys(css("#password"), "harbour lights at dusk"),
			chromedp.Submit(css("#password")),
			chromedp.WaitVisible(css("section.org")),
		)
		if t.Failed() {
			t.Logf("screenshot: %s", shot)
		}
	})
}
