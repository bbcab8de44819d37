package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/api"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/i18n"
	"frontdoor/internal/intake"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault"
	"frontdoor/internal/vault/vaulttest"
	"frontdoor/internal/web"
)

// srHarness is a server with the front door wired in, an organisation with
// a helpline team, and a client that keeps no cookies of its own (it
// fails the test if any arrive).
type srHarness struct {
	db    *store.DB
	vault *vault.Vault
	ts    *httptest.Server
	logs  *bytes.Buffer
}

func newSelfReferralHarness(t *testing.T, d store.Dialect) *srHarness {
	t.Helper()
	db := storetest.Open(t, d)
	v := vaulttest.New(t, db)
	rec := audit.NewRecorder(v.AuditKey(), time.Now, web.RequestID)
	accounts := auth.NewService(db, v, rec, time.Now)
	grants := &access.Grants{Vault: v, Record: rec, Now: time.Now}
	ppl := &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: time.Now}
	in := &intake.Service{DB: db, Vault: v, Record: rec, Now: time.Now, ClientFacts: ppl.Facts, People: ppl}
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		now := time.Now().UTC()
		if _, err := tx.Exec(context.Background(), `INSERT INTO organisations (id, name, kind, created_at) VALUES ('org-wa', 'Women''s Aid', 'charity', $1)`, now); err != nil {
			return err
		}
		_, err := tx.Exec(context.Background(), `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('wa-helpline', 'org-wa', 'Helpline', 'helpline', $1)`, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	a, err := api.New(api.Options{DB: db, Auth: accounts, Intake: in, Record: rec, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Options{DB: db, Auth: accounts, Grants: grants, People: ppl, Intake: in, Record: rec, Catalogue: i18n.MustLoad(),
		Logger: logger, API: a.Handler()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &srHarness{db: db, vault: v, ts: ts, logs: logs}
}

func (h *srHarness) send(t *testing.T, method, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, h.ts.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// A survivor's browser must be left with nothing: no cookie, ever,
	// and nothing cached.
	if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("%s %s set a cookie: %v", method, path, c)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s %s: Cache-Control %q", method, path, cc)
	}
	return resp, string(b)
}

func (h *srHarness) count(t *testing.T, query string) int {
	t.Helper()
	var n int
	if err := h.db.Read(context.Background(), func(tx *store.Tx) error { return tx.QueryRow(context.Background(), query, nil, &n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

func validSelfReferral() url.Values {
	return url.Values{"safe_phone": {"07700 900321"}, "safe_voicemail": {"unsafe"}, "safe_text": {"safe"}, "safe_email": {"not_known"},
		"safe_times": {"weekday mornings"}, "given_name": {"Marisol"}, "family_name": {"Vantongeren"}, "email": {""},
		"summary": {"My partner checks my phone."}, "age": {"41"}, "website": {""}}
}

// cspSources lists every source of every directive of a CSP.
func cspSources(csp string) []string {
	var out []string
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 1 {
			out = append(out, f[1:]...)
		}
	}
	return out
}

// The page is safe to visit: no cookie, not cached, nothing from another
// site, the quick exit on it (a plain link that works without script),
// the safety questions before anything else, and a plain word on what
// quick exit cannot hide.
func TestSelfReferralPageIsSafeToVisit(t *testing.T) {
	h := newSelfReferralHarness(t, store.SQLite)
	resp, body := h.send(t, "GET", "/self-referral", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /self-referral: %d", resp.StatusCode)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
	for _, src := range cspSources(csp) {
		if src != "'none'" && src != "'self'" && src != "data:" && !strings.HasPrefix(src, "'nonce-") {
			t.Errorf("the CSP allows %s", src)
		}
	}
	// Every resource the page loads is our own, and none comes from the
	// year-cached /static/ path, where it would stay in the browser's cache.
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		u := m[1]
		if strings.HasPrefix(u, "/static/") {
			t.Errorf("the page loads %s from the cached static path", u)
		}
		if strings.HasPrefix(u, "/") || strings.HasPrefix(u, "#") || u == web.QuickExitURL {
			continue
		}
		t.Errorf("the page refers to %s", u)
	}
	exit := regexp.MustCompile(`<a id="quick-exit"[^>]*>`).FindString(body)
	if !strings.Contains(exit, `href="`+web.QuickExitURL+`"`) || !strings.Contains(exit, "noreferrer") {
		t.Fatalf("quick exit link: %q", exit)
	}
	script := regexp.MustCompile(`<script nonce="([^"]+)" src="(/self-referral/static/[0-9a-f]+/quickexit\.js)"`).FindStringSubmatch(body)
	if script == nil || !strings.Contains(csp, "'nonce-"+html.UnescapeString(script[1])+"'") {
		t.Fatalf("the quick exit script is not loaded with the page's nonce")
	}
	// The page's own assets are not cached either (a cached quickexit.js
	// would tell of the visit), and only they are served there.
	r, js := h.send(t, "GET", script[2], nil)
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("quickexit.js: %d %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if r, _ := h.send(t, "GET", strings.Replace(script[2], "quickexit.js", "passkey.js", 1), nil); r.StatusCode != 404 {
		t.Fatalf("another asset through the self-referral path: %d", r.StatusCode)
	}
	for _, want := range []string{"location.replace", "'Escape'", "'Shift'", "innerHTML = ''", "quick-exit"} {
		if !strings.Contains(js, want) {
			t.Errorf("quickexit.js lacks %q", want)
		}
	}
	if strings.Index(body, `name="safe_phone"`) > strings.Index(body, `name="given_name"`) {
		t.Error("the page asks for a name before asking how it is safe to make contact")
	}
	for _, want := range []string{"does not delete your browsing history", "private or incognito window", `name="website"`, "Leave this field empty",
		`name="safe_voicemail"`, `name="safe_text"`, `name="safe_email"`, `name="safe_times"`, `name="age"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// The quick-exit button stays on screen.
	css := regexp.MustCompile(`href="(/self-referral/static/[0-9a-f]+/selfreferral\.css)"`).FindStringSubmatch(body)
	if css == nil {
		t.Fatal("no self-referral stylesheet")
	}
	resp, style := h.send(t, "GET", css[1], nil)
	if resp.StatusCode != 200 {
		t.Fatalf("selfreferral.css: %d", resp.StatusCode)
	}
	if !regexp.MustCompile(`\.quick-exit \{[^}]*position: fixed`).MatchString(style) {
		t.Error("the quick exit is not fixed on screen")
	}
}

// A self-referral lands in the triage queue; the answer is a neutral
// thank-you that repeats nothing that was typed.
func TestSelfReferralIsReceived(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newSelfReferralHarness(t, d)
		resp, _ := h.send(t, "POST", "/self-referral", validSelfReferral())
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/self-referral/thanks" {
			t.Fatalf("POST: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if n := h.count(t, `SELECT count(*) FROM intake_referrals WHERE received_via = 'self_referral' AND organisation_id = 'org-wa' AND created_by IS NULL`); n != 1 {
			t.Fatalf("%d self-referrals stored", n)
		}
		var rid string
		if err := h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.QueryRow(context.Background(), `SELECT id FROM intake_referrals`, nil, &rid)
		}); err != nil {
			t.Fatal(err)
		}
		if src, _ := storedReferral(t, h.db, h.vault, rid); src != "self" {
			t.Fatalf("the self-referral's source is %q", src)
		}
		resp, body := h.send(t, "GET", "/self-referral/thanks", nil)
		if resp.StatusCode != 200 || !strings.Contains(body, "within one working day") || !strings.Contains(body, `id="quick-exit"`) {
			t.Fatalf("thanks page: %d %s", resp.StatusCode, body)
		}
		for _, typed := range []string{"Marisol", "Vantongeren", "900321", "checks my phone", "weekday mornings"} {
			if strings.Contains(body, typed) || strings.Contains(h.logs.String(), typed) {
				t.Errorf("%q is echoed or logged", typed)
			}
		}
	})
}

// Every problem is shown at once, with what was typed kept, and nothing
// is stored.
func TestSelfReferralErrorsKeepWhatWasTyped(t *testing.T) {
	h := newSelfReferralHarness(t, store.SQLite)
	f := validSelfReferral()
	f.Set("safe_phone", "")
	f.Set("given_name", "")
	f.Set("age", "forty")
	f.Set("summary", "Please call <after> six")
	f.Set("safe_times", "only after six")
	resp, body := h.send(t, "POST", "/self-referral", f)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid form: %d", resp.StatusCode)
	}
	for _, field := range []string{"safe_phone", "given_name", "age"} {
		if !strings.Contains(body, `href="#`+field+`"`) {
			t.Errorf("no error for %s in the summary", field)
		}
	}
	for _, kept := range []string{`value="Vantongeren"`, `value="forty"`, "Please call &lt;after&gt; six", "only after six"} {
		if !strings.Contains(body, kept) {
			t.Errorf("what was typed is lost: %s", kept)
		}
	}
	if !regexp.MustCompile(`name="safe_voicemail" value="unsafe" checked`).MatchString(body) {
		t.Error("the voicemail answer is lost")
	}
	if n := h.count(t, `SELECT count(*) FROM intake_referrals`) + h.count(t, `SELECT count(*) FROM clients`); n != 0 {
		t.Fatalf("%d rows stored from an invalid form", n)
	}
}

// A filled honeypot is a bot: it is told all is well and nothing is kept.
func TestSelfReferralHoneypot(t *testing.T) {
	h := newSelfReferralHarness(t, store.SQLite)
	f := validSelfReferral()
	f.Set("website", "http://spam.example")
	resp, _ := h.send(t, "POST", "/self-referral", f)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/self-referral/thanks" {
		t.Fatalf("honeypot: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := h.count(t, `SELECT count(*) FROM intake_referrals`) + h.count(t, `SELECT count(*) FROM clients`); n != 0 {
		t.Fatalf("a bot's form was stored (%d rows)", n)
	}
}

// Posts are counted per source address, in the database, under a keyed
// hash of the address; over the limit the form comes back, kept, with 429.
func TestSelfReferralRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newSelfReferralHarness(t, d)
		limit := web.SelfReferralLimit
		web.SelfReferralLimit = 3
		t.Cleanup(func() { web.SelfReferralLimit = limit })
		bot := validSelfReferral()
		bot.Set("website", "x")
		for i := range 3 {
			if resp, _ := h.send(t, "POST", "/self-referral", bot); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("post %d: %d", i, resp.StatusCode)
			}
		}
		resp, body := h.send(t, "POST", "/self-referral", validSelfReferral())
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, `value="Marisol"`) {
			t.Fatalf("over the limit: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if n := h.count(t, `SELECT count(*) FROM intake_referrals`); n != 0 {
			t.Fatal("a form over the limit was stored")
		}
		if n := h.count(t, `SELECT count(*) FROM rate_limits WHERE bucket LIKE '%127.0.0.1%' OR bucket LIKE '%::1%'`); n != 0 {
			t.Fatal("the source address is stored in clear")
		}
		if n := h.count(t, `SELECT count(*) FROM rate_limits`); n != 1 {
			t.Fatalf("%d counters", n)
		}
	})
}

// The API is mounted beside the pages but outside their middleware: JSON,
// no HTML error pages, no cookies.
func TestAPIIsMountedOutsideTheBrowserSide(t *testing.T) {
	h := newSelfReferralHarness(t, store.SQLite)
	resp, body := h.send(t, "POST", "/api/v1/referrals", nil)
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Content-Type") != "application/json" || !strings.HasPrefix(body, `{"errors"`) {
		t.Fatalf("API through the web handler: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// A cross-site POST is the API's to judge (bearer tokens are not
	// ambient credentials), not refused by the browser side's CSRF guard.
	req, _ := http.NewRequest("POST", h.ts.URL+"/api/v1/referrals", strings.NewReader("{}"))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("cross-site API request: %d", r.StatusCode)
	}
	if resp, _ := h.send(t, "GET", "/api/v1/openapi.json", nil); resp.StatusCode != 200 {
		t.Fatalf("openapi.json: %d", resp.StatusCode)
	}
}

// storedReferral opens the source and risk level a referral's row holds
// (sealed, as the intake service wrote them).
func storedReferral(t *testing.T, db *store.DB, v interface {
	OpenString(string, ...string) (string, error)
}, referralID string) (source, risk string) {
	t.Helper()
	var sealed string
	if err := db.Read(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT details_sealed FROM intake_referrals WHERE id = $1`, []any{referralID}, &sealed)
	}); err != nil {
		t.Fatal(err)
	}
	plain, err := v.OpenString(sealed, "intake_referrals", referralID, "details")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Source    string `json:"source"`
		RiskLevel string `json:"risk_level"`
	}
	if err := json.Unmarshal([]byte(plain), &d); err != nil {
		t.Fatal(err)
	}
	return d.Source, d.RiskLevel
}
