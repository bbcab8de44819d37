package web_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/i18n"
	"frontdoor/internal/intake"
	"frontdoor/internal/matching"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/review"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
	"frontdoor/internal/web"
)

// clock is the harness's time: tests move it on instead of sleeping (a
// TOTP code is single use, so a second sign-in needs the next step).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type harness struct {
	clock  *clock
	db     *store.DB
	grants *access.Grants
	srv    *web.Server
	ts     *httptest.Server
	client *http.Client
	logs   *bytes.Buffer
	auth   *auth.Service
}

func newHarness(t *testing.T, d store.Dialect) *harness {
	t.Helper()
	db := storetest.Open(t, d)
	logs := &bytes.Buffer{}
	c := &clock{t: time.Now().Truncate(30 * time.Second)}
	v := vaulttest.New(t, db)
	rec := audit.NewRecorder(v.AuditKey(), c.Now, web.RequestID)
	a := auth.NewService(db, v, rec, c.Now)
	grants := &access.Grants{Vault: v, Record: rec, Now: c.Now}
	clients := &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: c.Now}
	risks := &risk.Service{DB: db, Vault: v, Record: rec, Now: c.Now, ClientFacts: clients.Facts}
	// Wired as serve wires them, so pages see what production shows.
	matches := &matching.Index{Vault: v, DB: db, Record: rec, Now: c.Now, Facts: clients.MatchFacts}
	clients.Matches = matches
	in := &intake.Service{DB: db, Vault: v, Record: rec, Now: c.Now, ClientFacts: clients.Facts, People: clients, Matches: matches}
	refuges := &refuge.Service{DB: db, Vault: v, Record: rec, Now: c.Now, ClientFacts: clients.Facts, ClientHousehold: clients.Placement}
	// Audited reads by group commit, as serve records them.
	reads := audit.NewBatcher(db, v.AuditKey(), audit.BatcherOptions{Now: c.Now})
	t.Cleanup(func() { reads.Close() })
	readLog := audit.NewReadLog(reads, web.RequestID)
	clients.ReadLog, risks.ReadLog, in.ReadLog, refuges.ReadLog = readLog, readLog, readLog, readLog
	srv, err := web.New(web.Options{DB: db, Auth: a, Grants: grants, People: clients, Risk: risks, Intake: in, Matches: matches, Refuge: refuges, Record: rec, ReadLog: readLog, Now: c.Now,
		Review:    &review.Service{DB: db, Grants: grants, Accounts: a, Vault: v, Record: rec, ReadLog: readLog, Now: c.Now, RecordOrganisation: clients.RecordOrganisation},
		Catalogue: i18n.MustLoad(), Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &harness{clock: c, db: db, grants: grants, srv: srv, ts: ts, client: client, logs: logs, auth: a}
}

func (h *harness) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	resp, err := h.client.Get(h.ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (h *harness) post(t *testing.T, path string, form url.Values, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", h.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestEveryRouteDeclaresWhatItNeeds(t *testing.T) {
	h := newHarness(t, store.SQLite)
	known := map[web.Need]bool{web.Public: true, web.SignInStep: true, web.SignedIn: true, web.Authorised: true, web.ForRecord: true, web.Operational: true}
	routes := h.srv.Routes()
	if len(routes) < 10 {
		t.Fatalf("only %d routes", len(routes))
	}
	actions := map[access.Action]bool{}
	for _, a := range append(append([]access.Action{}, access.RecordActions...), access.ServiceActions...) {
		actions[a] = true
	}
	for pattern, info := range routes {
		if !known[info.Need] {
			t.Errorf("route %q needs %q, which is not a known requirement", pattern, info.Need)
		}
		if info.Need == web.Authorised && (!actions[info.Action] || info.Action.IsRecordAction()) {
			t.Errorf("route %q is authorised by the guard but names no service-wide action (%q)", pattern, info.Action)
		}
		if info.Need == web.ForRecord && !info.Action.IsRecordAction() {
			t.Errorf("route %q serves a record but names no record action (%q)", pattern, info.Action)
		}
		if info.Need != web.Authorised && info.Need != web.ForRecord && info.Action != "" {
			t.Errorf("route %q names action %q but does not ask the policy", pattern, info.Action)
		}
		// Only the person's own account is reachable without a policy action.
		if info.Need == web.SignedIn && !(pattern == "GET /{$}" || strings.Contains(pattern, "/account")) {
			t.Errorf("route %q is open to any signed-in person without a policy action", pattern)
		}
	}
}

// Every key the templates and the Go code name exists in the English
// catalogue, so no page ever shows a raw key.
func TestEveryMessageKeyIsInTheCatalogue(t *testing.T) {
	cat := i18n.MustLoad()
	keys := map[string]bool{}
	tmplKey := regexp.MustCompile(`\bt "([a-z_.]+)"`)
	// (field . "name" "label.key" "hint.key"): the label and hint are keys.
	fieldKeys := regexp.MustCompile(`\(field \S+ "[a-z_]+" "([a-z_.]*)" "([a-z_.]*)"\)`)
	goKey := regexp.MustCompile(`errs\.(New|Field|Wrap)\([^"]*"([a-z_.]+)"(?:,\s*"([a-z_.]+)")?`)
	root := "../.."
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		switch {
		case strings.HasSuffix(p, ".html"):
			for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
				keys[m[1]] = true
			}
			for _, m := range fieldKeys.FindAllStringSubmatch(string(b), -1) {
				for _, k := range m[1:] {
					if k != "" {
						keys[k] = true
					}
				}
			}
		case strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go"):
			for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
				k := m[2]
				if m[3] != "" {
					k = m[3]
				} else if m[1] == "Field" {
					// errs.Field(field, key) with a key in a variable: the
					// literal is the field name, and the key's literals are
					// found where they are written.
					continue
				}
				keys[k] = true
			}
		}
		return nil
	})
	for _, r := range access.Roles {
		keys["role."+string(r)] = true
	}
	if len(keys) < 20 {
		t.Fatalf("found only %d keys: the scan is broken", len(keys))
	}
	for k := range keys {
		if !cat.Has(k) {
			t.Errorf("message key %q is used but not in the English catalogue", k)
		}
	}
}

func TestSignedOutVisitorIsSentToSignIn(t *testing.T) {
	h := newHarness(t, store.SQLite)
	resp, _ := h.get(t, "/")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin" {
		t.Fatalf("GET / signed out: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = h.get(t, "/staff")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET /staff signed out: %d", resp.StatusCode)
	}
	resp, body := h.get(t, "/signin")
	if resp.StatusCode != 200 || !strings.Contains(body, `<label for="username">Username</label>`) {
		t.Fatalf("sign-in page: %d %s", resp.StatusCode, body)
	}
}

func TestPagesCarrySecurityHeaders(t *testing.T) {
	h := newHarness(t, store.SQLite)
	resp, body := h.get(t, "/signin")
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'nonce-") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP = %q", csp)
	}
	for header, want := range map[string]string{"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	m := regexp.MustCompile(`href="(/static/[0-9a-f]+/app\.css)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no hashed stylesheet link on the page")
	}
	resp, _ = h.get(t, m[1])
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("stylesheet: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	if resp, _ := h.get(t, "/static/0000/app.css"); resp.StatusCode != 404 {
		t.Errorf("stale asset hash served: %d", resp.StatusCode)
	}
}

func TestFirstAdministratorThroughSetupLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d)
		token, err := h.auth.IssueSetupLink(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		resp, body := h.get(t, "/setup/"+token)
		if resp.StatusCode != 200 || !strings.Contains(body, "Organisation name") {
			t.Fatalf("setup page: %d", resp.StatusCode)
		}
		form := url.Values{"organisation": {"Hollinsford Women's Aid"}, "name": {"Morwenna Tregothnan"}, "username": {"m.tregothnan"},
			"password": {"lantern orchard cobalt"}, "confirm": {"lantern orchard cobalt!"}}
		resp, body = h.post(t, "/setup/"+token, form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "The two passwords are not the same.") || !strings.Contains(body, `href="#confirm"`) {
			t.Fatalf("mismatched confirmation: %d\n%s", resp.StatusCode, body)
		}
		if !strings.Contains(body, `value="Hollinsford Women&#39;s Aid"`) {
			t.Error("the form lost what was typed")
		}
		form.Set("confirm", "lantern orchard cobalt")
		resp, _ = h.post(t, "/setup/"+token, form)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/enrol" {
			t.Fatalf("setup: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		// Until a second factor is enrolled, nothing else is reachable.
		if resp, _ := h.get(t, "/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/enrol" {
			t.Fatalf("home before enrolment: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		secret := h.enrol(t)
		resp, body = h.get(t, "/")
		if resp.StatusCode != 200 || !strings.Contains(body, "Hollinsford Women&#39;s Aid") || !strings.Contains(body, "Signed in as Morwenna Tregothnan") {
			t.Fatalf("home after setup: %d\n%s", resp.StatusCode, body)
		}
		if resp, _ := h.get(t, "/setup/"+token); resp.StatusCode != 404 {
			t.Fatalf("used setup link answered %d", resp.StatusCode)
		}
		// Sign out, then back in: password, then code.
		h.post(t, "/signout", nil)
		if resp, _ := h.get(t, "/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatal("still signed in after signing out")
		}
		resp, body = h.post(t, "/signin", url.Values{"username": {"m.tregothnan"}, "password": {"wrong wrong wrong"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "The username or password is not right") {
			t.Fatalf("wrong password: %d", resp.StatusCode)
		}
		h.signIn(t, "m.tregothnan", "lantern orchard cobalt", secret)
		if resp, _ := h.get(t, "/staff"); resp.StatusCode != 200 {
			t.Fatalf("administrator's staff page: %d", resp.StatusCode)
		}

		// Nothing a person typed, and no secret, reaches the log.
		logs := h.logs.String()
		for _, secret := range []string{token, secret, "Hollinsford", "Morwenna", "Tregothnan", "m.tregothnan", "lantern orchard"} {
			if strings.Contains(logs, secret) {
				t.Errorf("log contains %q", secret)
			}
		}
		if !strings.Contains(logs, `"route":"POST /setup/{token}"`) {
			t.Errorf("requests are not logged by route pattern:\n%s", logs)
		}
	})
}

var secretPattern = regexp.MustCompile(`<code id="secret">([A-Z2-7]+)</code>`)

// enrol completes the enrolment page the session is on and returns the
// TOTP secret.
func (h *harness) enrol(t *testing.T) string {
	t.Helper()
	resp, body := h.get(t, "/enrol")
	m := secretPattern.FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil || !strings.Contains(body, `src="data:image/png;base64,`) {
		t.Fatalf("enrolment page: %d\n%s", resp.StatusCode, body)
	}
	resp, body = h.post(t, "/enrol", url.Values{"code": {"000000"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "That code is not right") {
		t.Fatalf("wrong enrolment code: %d", resp.StatusCode)
	}
	resp, body = h.post(t, "/enrol", url.Values{"code": {h.code(t, m[1])}})
	if resp.StatusCode != 200 || strings.Count(body, "<li><code>") != 10 {
		t.Fatalf("recovery codes page: %d\n%s", resp.StatusCode, body)
	}
	return m[1]
}

// code is the authenticator app's code now, by the harness clock.
func (h *harness) code(t *testing.T, secret string) string {
	c, err := totp.GenerateCode(secret, h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// signIn signs in with a password and a TOTP code. Codes are single use,
// so the clock moves to the next 30-second step first.
func (h *harness) signIn(t *testing.T, username, password, secret string) {
	t.Helper()
	resp, _ := h.post(t, "/signin", url.Values{"username": {username}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin/code" {
		t.Fatalf("password step: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	h.clock.Advance(30 * time.Second)
	if resp, body := h.post(t, "/signin/code", url.Values{"code": {h.code(t, secret)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("code step: %d\n%s", resp.StatusCode, body)
	}
}

// A worker signs in, reaches their own account page, and is refused the
// administrator's pages; the administrator disables them with a reason and
// their session ends at once.
func TestAccountsAndAdministration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		admin := newHarness(t, d)
		ctx := context.Background()
		token, _ := admin.auth.IssueSetupLink(ctx, "")
		admin.post(t, "/setup/"+token, url.Values{"organisation": {"Org"}, "name": {"Admin"}, "username": {"admin"}, "password": {"orchid balcony velvet"}, "confirm": {"orchid balcony velvet"}})
		admin.enrol(t)
		st, err := admin.auth.StaffByUsername(ctx, "admin")
		if err != nil {
			t.Fatal(err)
		}
		w, err := admin.auth.AddStaff(ctx, auth.NewStaff{OrganisationID: st.OrganisationID, Username: "worker", DisplayName: "Worker", Role: access.RoleFrontDoorWorker})
		if err != nil {
			t.Fatal(err)
		}
		worker := admin.clone(t)
		wt, _ := admin.auth.IssueSetupLink(ctx, w.ID)
		worker.post(t, "/setup/"+wt, url.Values{"password": {"marble canyon whistle"}, "confirm": {"marble canyon whistle"}})
		worker.enrol(t)
		if resp, body := worker.get(t, "/account"); resp.StatusCode != 200 || !strings.Contains(body, "this browser") || !strings.Contains(body, "10 unused recovery codes") {
			t.Fatalf("worker account page: %d", resp.StatusCode)
		}
		if resp, _ := worker.get(t, "/staff"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("worker on /staff: %d, want 403", resp.StatusCode)
		}
		if resp, _ := worker.post(t, "/staff/"+st.ID+"/disable", url.Values{"reason": {"taking over the instance"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("worker disabling the administrator: %d, want 403", resp.StatusCode)
		}

		resp, body := admin.get(t, "/staff/"+w.ID)
		if resp.StatusCode != 200 || !strings.Contains(body, "End session") {
			t.Fatalf("administrator's view of the worker: %d", resp.StatusCode)
		}
		var reads int
		admin.db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'staff.read' AND record_id = $1 AND actor_id = $2`, []any{w.ID, st.ID}, &reads)
		})
		if reads != 1 {
			t.Fatalf("%d audit events for the administrator opening the worker's account, want 1", reads)
		}
		resp, body = admin.post(t, "/staff/"+w.ID+"/disable", url.Values{"reason": {"x"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "at least 10 characters") {
			t.Fatalf("disable without a reason: %d", resp.StatusCode)
		}
		resp, _ = admin.post(t, "/staff/"+w.ID+"/disable", url.Values{"reason": {"left the organisation today"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("disable: %d", resp.StatusCode)
		}
		if resp, _ := worker.get(t, "/account"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("disabled worker's session still works: %d", resp.StatusCode)
		}
		if resp, _ := admin.get(t, "/staff/not-an-id"); resp.StatusCode != 404 {
			t.Fatalf("bad staff ID: %d", resp.StatusCode)
		}
	})
}

// clone is a second browser on the same server, with its own cookies.
func (h *harness) clone(t *testing.T) *harness {
	jar, _ := cookiejar.New(nil)
	c := *h
	c.client = &http.Client{Jar: jar, CheckRedirect: h.client.CheckRedirect}
	return &c
}

func TestCrossSitePostIsRefused(t *testing.T) {
	h := newHarness(t, store.SQLite)
	resp, body := h.post(t, "/signin", url.Values{"username": {"x"}, "password": {"y"}}, "Sec-Fetch-Site", "cross-site")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "came from another website") {
		t.Fatalf("cross-site POST: %d", resp.StatusCode)
	}
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d)
		if resp, body := h.get(t, "/healthz"); resp.StatusCode != 200 || body != "ok\n" {
			t.Fatalf("healthz: %d %q", resp.StatusCode, body)
		}
		if resp, body := h.get(t, "/readyz"); resp.StatusCode != 200 || body != "ready\n" {
			t.Fatalf("readyz: %d %q", resp.StatusCode, body)
		}
		token, _ := h.auth.IssueSetupLink(context.Background(), "")
		h.get(t, "/setup/"+token)
		h.get(t, "/no/such/page")
		resp, body := h.get(t, "/metrics")
		if resp.StatusCode != 200 {
			t.Fatalf("metrics: %d", resp.StatusCode)
		}
		for _, want := range []string{`frontdoor_http_requests_total{code="200",method="GET",route="GET /setup/{token}"} 1`,
			`route="/"`, "frontdoor_http_request_duration_seconds_bucket", `go_sql_open_connections{db_name="writer"}`} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		if strings.Contains(body, token) || strings.Contains(body, "/no/such/page") {
			t.Error("metrics carry a request path")
		}
	})
}

func TestReadinessFailsWhenMigrationsPending(t *testing.T) {
	cfg := storetest.Config(t, store.SQLite)
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv, err := web.New(web.Options{DB: db, Auth: auth.NewService(db, nil, nil, time.Now), Catalogue: i18n.MustLoad(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "migrations pending") {
		t.Fatalf("readyz before migrating: %d %q", rec.Code, rec.Body.String())
	}
}

func TestUnknownPageShowsNoDetail(t *testing.T) {
	h := newHarness(t, store.SQLite)
	resp, body := h.get(t, "/setup/not-a-real-token")
	if resp.StatusCode != 404 || !strings.Contains(body, "expired or has already been used") || !strings.Contains(body, "quote reference") {
		t.Fatalf("bad setup link: %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(body, "not-a-real-token") {
		t.Error("the error page echoes the token")
	}
}

func TestOversizedFormIsRefusedAsTooLarge(t *testing.T) {
	h := newHarness(t, store.SQLite)
	resp, body := h.post(t, "/signin", url.Values{"username": {"admin"}, "password": {strings.Repeat("x", 100<<10)}})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "This form is too large") {
		t.Fatalf("100 KiB form: %d", resp.StatusCode)
	}
	resp, body = h.get(t, "/no/such/page")
	if resp.StatusCode != 404 || !strings.Contains(body, "Page not found") {
		t.Fatalf("unknown page: %d", resp.StatusCode)
	}
}
