package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/testserve"
	"frontdoor/internal/vault"
)

// addAuthenticator gives the page a virtual platform authenticator that
// answers at once, as a phone's or laptop's screen lock would.
func (p *page) addAuthenticator() {
	p.t.Helper()
	p.do("add a virtual authenticator", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true,
		}})
		return err
	}))
}

// Chrome refuses an IP address as a passkey's site: browse by name.
func localhost(u string) string { return strings.Replace(u, "://127.0.0.1:", "://localhost:", 1) }

func TestPasskeyInsteadOfAuthenticatorApp(t *testing.T) {
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
		const password = "lanterns along the quay"
		s.Personal(password, "office laptop", strings.TrimPrefix(s.SetupLink(t), s.URL+"/setup/"))
		base := localhost(s.URL)
		p := newPage(t, s)

		p.do("open the setup link", chromedp.Navigate(localhost(s.SetupLink(t))))
		p.addAuthenticator()
		p.do("choose a password",
			chromedp.SendKeys(css("#password"), password),
			chromedp.SendKeys(css("#confirm"), password),
			chromedp.Click(css("main button[type=submit]")),
			chromedp.WaitVisible(css("#secret")),
		)
		// The passkey form appears once the script has its options.
		p.do("create a passkey instead of scanning the code",
			chromedp.WaitVisible(css("#passkey")),
			chromedp.SendKeys(css("#passkey_name"), "office laptop"),
			chromedp.Click(css("#passkey")),
			chromedp.WaitVisible(css("#recovery-codes")),
		)
		codes := strings.Fields(p.text("#recovery-codes"))
		s.Personal(codes...)
		if len(codes) != 10 {
			t.Fatalf("recovery codes after a passkey: %q", codes)
		}
		p.do("continue", chromedp.Click(css("a.button")), chromedp.WaitVisible(css("section.org")))

		p.do("own account", chromedp.Navigate(base+"/account"), chromedp.WaitVisible(css("#passkeys")))
		if list := p.text("#passkeys"); !strings.Contains(list, "office laptop") || !strings.Contains(list, "Not yet") {
			t.Errorf("passkey list:\n%s", list)
		}
		p.do("the add-a-passkey form shows", chromedp.WaitVisible(css("#passkey")))
		p.screenshot("passkey-account-" + string(d))

		p.do("sign out", chromedp.Click(css(".signout button")), chromedp.WaitVisible(css("#username")))
		p.do("password",
			chromedp.SendKeys(css("#username"), "admin"),
			chromedp.SendKeys(css("#password"), password),
			chromedp.Submit(css("#password")),
			chromedp.WaitVisible(css("#code")),
		)
		p.do("use the passkey instead of a code",
			chromedp.WaitVisible(css("#passkey")),
			chromedp.Click(css("#passkey")),
			chromedp.WaitVisible(css("section.org")),
		)
		if u := p.url(); u != base+"/" {
			t.Errorf("after the passkey the page is %s", u)
		}
		p.do("own account again", chromedp.Navigate(base+"/account"), chromedp.WaitVisible(css("#passkeys")))
		if list := p.text("#passkeys"); strings.Contains(list, "Not yet") {
			t.Errorf("the passkey's last use is not shown:\n%s", list)
		}
	})
}
