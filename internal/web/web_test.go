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
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/i18n"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/web"
)

type harness struct {
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
	a := auth.NewService(db, time.Now)
	srv, err := web.New(web.Options{DB: db, Auth: a, Catalogue: i18n.MustLoad(), Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &harness{srv: srv, ts: ts, client: client, logs: logs, auth: a}
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
	known := map[web.Need]bool{web.Public: true, web.SignedIn: true, web.AdminOnly: true, web.Operational: true}
	routes := h.srv.Routes()
	if len(routes) < 5 {
		t.Fatalf("only %d routes", len(routes))
	}
	for pattern, need := range routes {
		if !known[need] {
			t.Errorf("route %q needs %q, which is not a known requirement", pattern, need)
		}
	}
	// Pages with personal data must never be public.
	for _, p := range []string{"GET /{$}", "GET /staff", "POST /signout"} {
		if n := routes[p]; n == web.Public || n == web.Operational {
			t.Errorf("%s is %s", p, n)
		}
	}
}

// Every key the templates and the Go code name exists in the English
// catalogue, so no page ever shows a raw key.
func TestEveryMessageKeyIsInTheCatalogue(t *testing.T) {
	cat := i18n.MustLoad()
	keys := map[string]bool{}
	tmplKey := regexp.MustCompile(`\bt "([a-z_.]+)"`)
	goKey := regexp.MustCompile(`errs\.(?:New|Field|Wrap)\([^"]*"([a-z_.]+)"(?:,\s*"([a-z_.]+)")?`)
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
		case strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go"):
			for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
				k := m[1]
				if m[2] != "" {
					k = m[2]
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
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Fatalf("setup: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = h.get(t, "/")
		if resp.StatusCode != 200 || !strings.Contains(body, "Hollinsford Women&#39;s Aid") || !strings.Contains(body, "Signed in as Morwenna Tregothnan") {
			t.Fatalf("home after setup: %d\n%s", resp.StatusCode, body)
		}
		if resp, _ := h.get(t, "/setup/"+token); resp.StatusCode != 404 {
			t.Fatalf("used setup link answered %d", resp.StatusCode)
		}
		// Sign out, then back in with the new password.
		h.post(t, "/signout", nil)
		if resp, _ := h.get(t, "/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatal("still signed in after signing out")
		}
		resp, body = h.post(t, "/signin", url.Values{"username": {"m.tregothnan"}, "password": {"wrong wrong wrong"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "The username or password is not right") {
			t.Fatalf("wrong password: %d", resp.StatusCode)
		}
		resp, _ = h.post(t, "/signin", url.Values{"username": {"m.tregothnan"}, "password": {"lantern orchard cobalt"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in: %d", resp.StatusCode)
		}
		if resp, _ := h.get(t, "/staff"); resp.StatusCode != 200 {
			t.Fatalf("administrator's staff page: %d", resp.StatusCode)
		}

		// Nothing a person typed, and no secret, reaches the log.
		logs := h.logs.String()
		for _, secret := range []string{token, "Hollinsford", "Morwenna", "Tregothnan", "m.tregothnan", "lantern orchard"} {
			if strings.Contains(logs, secret) {
				t.Errorf("log contains %q", secret)
			}
		}
		if !strings.Contains(logs, `"route":"POST /setup/{token}"`) {
			t.Errorf("requests are not logged by route pattern:\n%s", logs)
		}
	})
}

func TestNonAdministratorCannotSeeStaffList(t *testing.T) {
	h := newHarness(t, store.SQLite)
	ctx := context.Background()
	token, _ := h.auth.IssueSetupLink(ctx, "")
	_, admin, err := h.auth.CompleteSetup(ctx, token, auth.SetupForm{OrganisationName: "Org", DisplayName: "Admin", Username: "admin", Password: "admin password 1", Confirm: "admin password 1"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := h.auth.AddStaff(ctx, auth.NewStaff{OrganisationID: admin.OrganisationID, Username: "worker", DisplayName: "Worker", Role: access.RoleFrontDoorWorker})
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := h.auth.IssueSetupLink(ctx, w.ID)
	h.auth.CompleteSetup(ctx, wt, auth.SetupForm{Password: "worker password 1", Confirm: "worker password 1"})
	h.post(t, "/signin", url.Values{"username": {"worker"}, "password": {"worker password 1"}})
	if resp, _ := h.get(t, "/"); resp.StatusCode != 200 {
		t.Fatalf("worker home: %d", resp.StatusCode)
	}
	if resp, _ := h.get(t, "/staff"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("worker on /staff: %d, want 403", resp.StatusCode)
	}
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
			`route="unmatched"`, "frontdoor_http_request_duration_seconds_bucket", `go_sql_open_connections{db_name="writer"}`} {
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
	srv, err := web.New(web.Options{DB: db, Auth: auth.NewService(db, time.Now), Catalogue: i18n.MustLoad(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
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
