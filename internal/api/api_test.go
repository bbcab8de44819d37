package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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
	"frontdoor/internal/vault/vaulttest"
)

var ctx = context.Background()

const (
	frontDoorOrg = "0190f2a0-0000-7000-8000-0000000000a1"
	policeOrg    = "0190f2a0-0000-7000-8000-0000000000b1"
	housingOrg   = "0190f2a0-0000-7000-8000-0000000000b2"
)

type harness struct {
	db       *store.DB
	accounts *auth.Service
	intake   *intake.Service
	api      *api.API
	ts       *httptest.Server
	logs     *syncBuffer
	// Tokens of the police organisation: create only, read only, both;
	// and the housing organisation's token with both scopes.
	create, read, both, housing string
	bothID                      string
}

// syncBuffer is a log buffer safe for concurrent requests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newHarness(t *testing.T, d store.Dialect, opts ...func(*api.Options)) *harness {
	t.Helper()
	db := storetest.Open(t, d)
	v := vaulttest.New(t, db)
	rec := audit.NewRecorder(v.AuditKey(), time.Now, api.RequestID)
	accounts := auth.NewService(db, v, rec, time.Now)
	grants := &access.Grants{Vault: v, Record: rec, Now: time.Now}
	ppl := &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: time.Now}
	in := &intake.Service{DB: db, Vault: v, Record: rec, Now: time.Now, ClientFacts: ppl.Facts, People: ppl}
	err := db.Write(ctx, func(tx *store.Tx) error {
		now := time.Now().UTC()
		for _, o := range [][3]string{{frontDoorOrg, "Women's Aid", "charity"}, {policeOrg, "County Police", "police"}, {housingOrg, "Homes Ltd", "housing_association"}} {
			if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, $3, $4)`, o[0], o[1], o[2], now); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('helpline', $1, 'Helpline', 'helpline', $2)`, frontDoorOrg, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	o := api.Options{DB: db, Auth: accounts, Intake: in, Record: rec, Catalogue: i18n.MustLoad(), Logger: slog.New(slog.NewJSONHandler(logs, nil)), RateLimit: 1000}
	for _, f := range opts {
		f(&o)
	}
	a, err := api.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a.Handler())
	t.Cleanup(ts.Close)
	h := &harness{db: db, accounts: accounts, intake: in, api: a, ts: ts, logs: logs}
	mk := func(org, name string, scopes ...string) (string, string) {
		secret, tok, err := accounts.CreateToken(ctx, "", org, name, scopes, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return secret, tok.ID
	}
	h.create, _ = mk(policeOrg, "Police create", api.ScopeCreate)
	h.read, _ = mk(policeOrg, "Police read", api.ScopeRead)
	h.both, h.bothID = mk(policeOrg, "Police system", api.ScopeCreate, api.ScopeRead)
	h.housing, _ = mk(housingOrg, "Housing system", api.ScopeCreate, api.ScopeRead)
	return h
}

type response struct {
	status int
	header http.Header
	body   string
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.body)
	}
}

func (h *harness) do(t *testing.T, method, path, token, key, body string, header ...string) response {
	t.Helper()
	req, _ := http.NewRequest(method, h.ts.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

const validBody = `{
  "client": {"given_name": "Zephyrine", "family_name": "Quillfeather", "date_of_birth": "1988-04-02", "phone": "07700 900123",
    "safe_contact": {"phone": "07700 900456", "times": "weekdays 10-2", "voicemail": "unsafe", "text": "safe"}},
  "referral": {"source": "police", "referrer_org": "County Police", "risk_level": "high", "summary": "Callout last night; children present."}
}`

func (h *harness) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := h.db.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, query, args, &n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

type errorBody struct {
	Errors []struct {
		Field  string `json:"field"`
		Code   string `json:"code"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

func fieldsOf(t *testing.T, r response) []string {
	t.Helper()
	var eb errorBody
	r.decode(t, &eb)
	var out []string
	for _, e := range eb.Errors {
		if e.Reason == "" || strings.HasPrefix(e.Reason, "[") {
			t.Errorf("error without a catalogue message: %+v", e)
		}
		out = append(out, e.Field)
	}
	return out
}

// A referral arrives: 201 with its ID and time, in the front door's queue
// with a new client in the helpline team, with no staff actor, audited by
// channel; the retry with the same key and body is the same answer and
// creates nothing.
func TestCreateReferralIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d)
		first := h.do(t, "POST", "/api/v1/referrals", h.create, "police-ref-0001", validBody)
		if first.status != http.StatusCreated {
			t.Fatalf("create: %d %s", first.status, first.body)
		}
		var got api.ReferralCreated
		first.decode(t, &got)
		if got.ID == "" || got.ReceivedAt.IsZero() || first.header.Get("Location") != "/api/v1/referrals/"+got.ID {
			t.Fatalf("create answered %+v, Location %q", got, first.header.Get("Location"))
		}
		if cc := first.header.Get("Cache-Control"); cc != "no-store" || first.header.Get("Set-Cookie") != "" {
			t.Fatalf("Cache-Control %q, Set-Cookie %q", cc, first.header.Get("Set-Cookie"))
		}
		again := h.do(t, "POST", "/api/v1/referrals", h.create, "police-ref-0001", strings.ReplaceAll(validBody, "\n", " "))
		if again.status != http.StatusCreated || again.body != first.body {
			t.Fatalf("replay: %d %s, want %s", again.status, again.body, first.body)
		}
		if n := h.count(t, `SELECT count(*) FROM intake_referrals`); n != 1 {
			t.Fatalf("%d referrals after a replay", n)
		}
		if n := h.count(t, `SELECT count(*) FROM clients`); n != 1 {
			t.Fatalf("%d clients after a replay", n)
		}
		if n := h.count(t, `SELECT count(*) FROM intake_referrals WHERE id = $1 AND organisation_id = $2 AND received_via = 'api'
			AND created_by IS NULL AND api_token_id IS NOT NULL AND idempotency_key = 'police-ref-0001'`,
			got.ID, frontDoorOrg); n != 1 {
			t.Fatal("the referral row is not as sent")
		}
		if src, risk := storedReferral(t, h.db, h.intake.Vault, got.ID); src != "police" || risk != "high" {
			t.Fatalf("the referral row holds source %q, risk %q; want police, high", src, risk)
		}
		if n := h.count(t, `SELECT count(*) FROM clients WHERE team_id = 'helpline' AND created_by IS NULL`); n != 1 {
			t.Fatal("the client is not in the front door's helpline team")
		}
		if n := h.count(t, `SELECT count(*) FROM audit_events WHERE action = 'referral.receive' AND actor_id = '' AND purpose LIKE 'api token %'`); n != 1 {
			t.Fatalf("%d referral.receive events with no actor naming the channel", n)
		}
		if n := h.count(t, `SELECT count(*) FROM audit_events WHERE action = 'referral.receive_replay'`); n != 1 {
			t.Fatalf("%d replay events", n)
		}
		// Another key is another referral; another token may reuse a key.
		if r := h.do(t, "POST", "/api/v1/referrals", h.create, "police-ref-0002", validBody); r.status != http.StatusCreated || r.body == first.body {
			t.Fatalf("second key: %d %s", r.status, r.body)
		}
		if r := h.do(t, "POST", "/api/v1/referrals", h.housing, "police-ref-0001", validBody); r.status != http.StatusCreated || r.body == first.body {
			t.Fatalf("same key, another token: %d %s", r.status, r.body)
		}
		if n := h.count(t, `SELECT count(*) FROM intake_referrals`); n != 3 {
			t.Fatalf("%d referrals, want 3", n)
		}
		// The referral is in the front door's triage queue.
		var queued int
		h.db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM intake_referrals r WHERE organisation_id = $1
				AND NOT EXISTS (SELECT 1 FROM intake_triage t WHERE t.referral_id = r.id)`, []any{frontDoorOrg}, &queued)
		})
		if queued != 3 {
			t.Fatalf("%d referrals waiting for triage", queued)
		}
	})
}

// Twenty requests with the same key at once make one referral and one
// client, and every one of them gets its ID.
func TestConcurrentSameKeyMakesOneReferral(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d)
		var wg sync.WaitGroup
		results := make([]response, 20)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = h.do(t, "POST", "/api/v1/referrals", h.create, "burst-key", validBody)
			}()
		}
		wg.Wait()
		for i, r := range results {
			if r.status != http.StatusCreated || r.body != results[0].body {
				t.Errorf("request %d: %d %s (first: %s)", i, r.status, r.body, results[0].body)
			}
		}
		if n := h.count(t, `SELECT count(*) FROM intake_referrals`); n != 1 {
			t.Fatalf("%d referrals from one key", n)
		}
		if n := h.count(t, `SELECT count(*) FROM clients`); n != 1 {
			t.Fatalf("%d clients from one key", n)
		}
	})
}

// The same key with a different body is refused and changes nothing.
func TestSameKeyDifferentBodyConflicts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d)
		if r := h.do(t, "POST", "/api/v1/referrals", h.create, "k-1", validBody); r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		other := strings.Replace(validBody, "Callout last night", "Another incident", 1)
		r := h.do(t, "POST", "/api/v1/referrals", h.create, "k-1", other)
		if r.status != http.StatusConflict {
			t.Fatalf("reused key: %d %s", r.status, r.body)
		}
		var eb errorBody
		r.decode(t, &eb)
		if len(eb.Errors) != 1 || eb.Errors[0].Code != "conflict" {
			t.Fatalf("conflict body %s", r.body)
		}
		if n := h.count(t, `SELECT count(*) FROM clients`); n != 1 {
			t.Fatalf("%d clients", n)
		}
	})
}

// Every field at fault is named at once, by its JSON path, and nothing is
// written.
func TestFieldErrorsAreNamed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d)
		body := `{"client": {"given_name": "", "family_name": "X", "date_of_birth": "31/31/1999", "email": "no-at-sign",
			"safe_contact": {"voicemail": "maybe", "phone": "12"}},
			"referral": {"source": "aliens", "risk_level": "extreme", "summary": ""}}`
		r := h.do(t, "POST", "/api/v1/referrals", h.create, "bad-1", body)
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("invalid body: %d %s", r.status, r.body)
		}
		got := map[string]bool{}
		for _, f := range fieldsOf(t, r) {
			got[f] = true
		}
		for _, want := range []string{"client.given_name", "client.date_of_birth", "client.email", "client.safe_contact.voicemail",
			"client.safe_contact.phone", "referral.source", "referral.risk_level", "referral.summary"} {
			if !got[want] {
				t.Errorf("no error for %s in %s", want, r.body)
			}
		}
		// No way to reach the person.
		r = h.do(t, "POST", "/api/v1/referrals", h.create, "bad-2", `{"client": {"given_name": "A", "family_name": "B", "safe_contact": {}},
			"referral": {"source": "health", "summary": "s"}}`)
		if f := fieldsOf(t, r); r.status != 422 || len(f) != 1 || f[0] != "client.phone" {
			t.Fatalf("no contact: %d %s", r.status, r.body)
		}
		// A wrong type is named too.
		r = h.do(t, "POST", "/api/v1/referrals", h.create, "bad-3", `{"client": {"given_name": "A", "family_name": "B", "estimated_age": "forty", "safe_contact": {}}, "referral": {"source": "health", "summary": "s"}}`)
		if f := fieldsOf(t, r); r.status != 422 || len(f) != 1 || f[0] != "client.estimated_age" {
			t.Fatalf("wrong type: %d %s", r.status, r.body)
		}
		if n := h.count(t, `SELECT count(*) FROM clients`) + h.count(t, `SELECT count(*) FROM intake_referrals`) + h.count(t, `SELECT count(*) FROM api_idempotency`); n != 0 {
			t.Fatalf("%d rows written by invalid requests", n)
		}
		// The key of an invalid request stays free for the corrected one.
		if r := h.do(t, "POST", "/api/v1/referrals", h.create, "bad-1", validBody); r.status != http.StatusCreated {
			t.Fatalf("corrected request: %d %s", r.status, r.body)
		}
	})
}

// The body is read strictly and the header checked, before anything else.
func TestRequestShapeIsStrict(t *testing.T) {
	h := newHarness(t, store.SQLite)
	cases := []struct {
		name, key, body string
		header          []string
		status          int
		field           string
	}{
		{"no key", "", validBody, nil, 400, "Idempotency-Key"},
		{"key too long", strings.Repeat("k", 256), validBody, nil, 400, "Idempotency-Key"},
		{"key with control", "a\tb", validBody, nil, 400, "Idempotency-Key"},
		{"unknown field", "k", `{"client": {"given_name": "A", "family_name": "B", "nickname": "x", "safe_contact": {}}, "referral": {"source": "health", "summary": "s"}}`, nil, 400, "client.nickname"},
		{"not json", "k", `{"client": `, nil, 400, ""},
		{"trailing data", "k", validBody + `{}`, nil, 400, ""},
		{"array", "k", `[1, 2]`, nil, 400, ""},
		{"form encoded", "k", "given_name=A", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "Content-Type"},
		{"too large", "k", `{"client": {"given_name": "` + strings.Repeat("a", 70<<10) + `"}}`, nil, 413, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(t, "POST", "/api/v1/referrals", h.create, c.key, c.body, c.header...)
			if r.status != c.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, c.status)
			}
			if f := fieldsOf(t, r); c.field != "" && (len(f) != 1 || f[0] != c.field) {
				t.Fatalf("fields %v, want %s", f, c.field)
			}
		})
	}
	if n := h.count(t, `SELECT count(*) FROM intake_referrals`); n != 0 {
		t.Fatalf("%d referrals from malformed requests", n)
	}
}

// Keys are matched exactly: one of ours in other letter case is an
// unknown field and a key given twice is refused, each a 400 naming the
// key's path (never a value), where encoding/json alone would take the
// first case-insensitively and let the last duplicate win. Nothing is
// written, and the valid body still makes a referral.
func TestKeysMustMatchExactlyOnce(t *testing.T) {
	h := newHarness(t, store.SQLite)
	const rest = `"family_name": "Quillfeather", "safe_contact": {"phone": "07700 900456", "text": "safe"}}, "referral": {"source": "police", "summary": "Callout."}}`
	cases := []struct {
		name, body, field, reason string
	}{
		{"wrong case", `{"client": {"given_name": "", "GIVEN_NAME": "Kira", ` + rest, "client.GIVEN_NAME", "api.unknown_field"},
		{"wrong case alone", `{"client": {"Given_Name": "Kira", ` + rest, "client.Given_Name", "api.unknown_field"},
		{"wrong case at the top", `{"Client": {"given_name": "Kira", ` + rest, "Client", "api.unknown_field"},
		{"wrong case nested", `{"client": {"given_name": "Kira", "family_name": "Q", "safe_contact": {"Text": "safe"}}, "referral": {"source": "police", "summary": "s"}}`,
			"client.safe_contact.Text", "api.unknown_field"},
		{"duplicate", `{"client": {"given_name": "", "given_name": "Kira", ` + rest, "client.given_name", "api.duplicate_key"},
		{"duplicate object", `{"client": {"given_name": "Kira", ` + rest[:len(rest)-1] + `, "referral": {"source": "police", "summary": "again"}}`, "referral", "api.duplicate_key"},
		{"duplicate nested", `{"client": {"given_name": "Kira", "family_name": "Q", "safe_contact": {"text": "unsafe", "text": "safe"}}, "referral": {"source": "police", "summary": "s"}}`,
			"client.safe_contact.text", "api.duplicate_key"},
		// A key not shaped like a field name is not echoed: it could be anything.
		{"not echoed", `{"client": {"given_name": "Kira", "Kira Quill 07700 900999": 1, ` + rest, "", "api.unknown_field"},
		{"folded non-ASCII", `{"client": {"given_name": "Kira", "family_name": "Q", "ſafe_contact": {}}, "referral": {"source": "police", "summary": "s"}}`, "", "api.unknown_field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !json.Valid([]byte(c.body)) {
				t.Fatalf("test body is not JSON: %s", c.body)
			}
			r := h.do(t, "POST", "/api/v1/referrals", h.create, "case-"+c.name, c.body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("%d %s, want 400", r.status, r.body)
			}
			var eb errorBody
			r.decode(t, &eb)
			want := i18n.MustLoad().Printer(i18n.Default).T(c.reason)
			if len(eb.Errors) != 1 || eb.Errors[0].Field != c.field || eb.Errors[0].Reason != want || strings.HasPrefix(want, "[") {
				t.Fatalf("errors %+v, want %q: %q", eb.Errors, c.field, want)
			}
			if strings.Contains(r.body, "Kira") || strings.Contains(r.body, "07700") {
				t.Fatalf("a value is echoed: %s", r.body)
			}
		})
	}
	if n := h.count(t, `SELECT count(*) FROM clients`) + h.count(t, `SELECT count(*) FROM intake_referrals`) + h.count(t, `SELECT count(*) FROM api_idempotency`); n != 0 {
		t.Fatalf("%d rows written by refused requests", n)
	}
	if r := h.do(t, "POST", "/api/v1/referrals", h.create, "case-valid", `{"client": {"given_name": "Kira", `+rest); r.status != http.StatusCreated {
		t.Fatalf("valid body: %d %s", r.status, r.body)
	}
	if r := h.do(t, "POST", "/api/v1/referrals", h.create, "case-valid-2", validBody); r.status != http.StatusCreated {
		t.Fatalf("valid body: %d %s", r.status, r.body)
	}
}

// Unknown, revoked and expired tokens are 401 alike; a token without the
// scope is 403; JSON either way.
func TestAuthentication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d)
		expired, tok, err := h.accounts.CreateToken(ctx, "", policeOrg, "Expiring", []string{api.ScopeCreate}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		h.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE api_tokens SET expires_at = $1 WHERE id = $2`, time.Now().Add(-time.Minute).UTC(), tok.ID)
			return err
		})
		revoked, tok2, _ := h.accounts.CreateToken(ctx, "", policeOrg, "Revoked", []string{api.ScopeCreate}, time.Hour)
		if err := h.accounts.RevokeToken(ctx, "", tok2.ID); err != nil {
			t.Fatal(err)
		}
		for name, token := range map[string]string{"none": "", "unknown": "fdt_" + strings.Repeat("x", 40), "expired": expired, "revoked": revoked, "not a token": "hello"} {
			r := h.do(t, "POST", "/api/v1/referrals", token, "k", validBody)
			if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") || r.header.Get("Content-Type") != "application/json" {
				t.Errorf("%s token: %d %q %s", name, r.status, r.header.Get("WWW-Authenticate"), r.body)
			}
			var eb errorBody
			r.decode(t, &eb)
			if len(eb.Errors) != 1 || eb.Errors[0].Code != "unauthenticated" {
				t.Errorf("%s token body: %s", name, r.body)
			}
		}
		if r := h.do(t, "POST", "/api/v1/referrals", h.read, "k", validBody); r.status != http.StatusForbidden ||
			!strings.Contains(r.header.Get("WWW-Authenticate"), "insufficient_scope") {
			t.Errorf("read-only token creating: %d %s", r.status, r.body)
		}
		if r := h.do(t, "GET", "/api/v1/referrals/0190f2a0-0000-7000-8000-000000000001", h.create, "", ""); r.status != http.StatusForbidden {
			t.Errorf("create-only token reading: %d %s", r.status, r.body)
		}
		// A cookie is no credential here.
		if r := h.do(t, "POST", "/api/v1/referrals", "", "k", validBody, "Cookie", "frontdoor-session=abc"); r.status != http.StatusUnauthorized {
			t.Errorf("cookie instead of a token: %d", r.status)
		}
		if n := h.count(t, `SELECT count(*) FROM intake_referrals`); n != 0 {
			t.Fatalf("%d referrals without a valid token", n)
		}
		if r := h.do(t, "GET", "/api/v1/nothing", h.both, "", ""); r.status != http.StatusNotFound || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("unknown route: %d %s", r.status, r.body)
		}
	})
}

// A partner reads the status of what its organisation sent, nothing about
// the person, and nothing another organisation sent; the read is audited.
func TestReadReferralStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d)
		r := h.do(t, "POST", "/api/v1/referrals", h.create, "k-read", validBody)
		var created api.ReferralCreated
		r.decode(t, &created)
		// Another token of the same organisation may read it.
		r = h.do(t, "GET", "/api/v1/referrals/"+created.ID, h.read, "", "")
		if r.status != http.StatusOK {
			t.Fatalf("read: %d %s", r.status, r.body)
		}
		var st map[string]any
		r.decode(t, &st)
		if len(st) != 3 || st["id"] != created.ID || st["status"] != intake.StatusAwaitingTriage || st["received_at"] != created.ReceivedAt.Format(time.RFC3339Nano) {
			t.Fatalf("status body %s (created %+v)", r.body, created)
		}
		for _, secret := range []string{"Zephyrine", "Quillfeather", "Callout", "07700"} {
			if strings.Contains(r.body, secret) {
				t.Fatalf("the status shows %q", secret)
			}
		}
		if n := h.count(t, `SELECT count(*) FROM audit_events WHERE action = 'referral.status_read' AND actor_id = ''`); n != 1 {
			t.Fatalf("%d status reads audited", n)
		}
		// Another organisation's token: as if it did not exist.
		if r := h.do(t, "GET", "/api/v1/referrals/"+created.ID, h.housing, "", ""); r.status != http.StatusNotFound {
			t.Fatalf("another organisation reading: %d %s", r.status, r.body)
		}
		for _, bad := range []string{"0190f2a0-0000-7000-8000-000000000001", "not-an-id"} {
			if r := h.do(t, "GET", "/api/v1/referrals/"+bad, h.read, "", ""); r.status != http.StatusNotFound {
				t.Fatalf("%s: %d %s", bad, r.status, r.body)
			}
		}
	})
}

// Nothing the partner sent about the person appears in any answer or in
// the log, nor in clear in the database.
func TestNoPersonalDataInResponsesOrLogs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d)
		var bodies []string
		for _, r := range []response{
			h.do(t, "POST", "/api/v1/referrals", h.create, "pd-1", validBody),
			h.do(t, "POST", "/api/v1/referrals", h.create, "pd-1", validBody),
			h.do(t, "POST", "/api/v1/referrals", h.create, "pd-1", strings.Replace(validBody, "Zephyrine", "Zephyrina", 1)),
			h.do(t, "POST", "/api/v1/referrals", h.create, "pd-2", strings.Replace(validBody, `"1988-04-02"`, `"Zephyrine 1988"`, 1)),
			h.do(t, "POST", "/api/v1/referrals", h.create, "pd-3", strings.Replace(validBody, `"phone": "07700 900123"`, `"phone": 7700900123`, 1)),
			h.do(t, "POST", "/api/v1/referrals", h.create, "pd-4", strings.Replace(validBody, `"given_name"`, `"Zephyrine"`, 1)),
		} {
			bodies = append(bodies, r.body)
		}
		logs := h.logs.String()
		if !strings.Contains(logs, "POST /api/v1/referrals") {
			t.Fatalf("the log has no request lines: %s", logs)
		}
		for _, secret := range []string{"Zephyrine", "Zephyrina", "Quillfeather", "1988", "900123", "7700900123", "Callout", "children present", "weekdays"} {
			for i, b := range bodies {
				if strings.Contains(b, secret) {
					t.Errorf("response %d shows %q: %s", i, secret, b)
				}
			}
			if strings.Contains(logs, secret) {
				t.Errorf("the log shows %q", secret)
			}
			for _, q := range []string{
				`SELECT count(*) FROM clients WHERE given_name_sealed LIKE $1 OR family_name_sealed LIKE $1 OR details_sealed LIKE $1`,
				`SELECT count(*) FROM intake_referrals WHERE summary_sealed LIKE $1 OR referrer_org_sealed LIKE $1`,
				`SELECT count(*) FROM api_idempotency WHERE body_hash LIKE $1`,
				`SELECT count(*) FROM audit_events WHERE purpose LIKE $1`,
			} {
				if n := h.count(t, q, "%"+secret+"%"); n != 0 {
					t.Errorf("%q is in the database in clear (%s)", secret, q)
				}
			}
		}
	})
}

// A token's requests are counted in the database; over the limit it is
// told to wait.
func TestRateLimitPerToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d, func(o *api.Options) { o.RateLimit, o.RateWindow = 3, time.Hour })
		for i := range 3 {
			if r := h.do(t, "POST", "/api/v1/referrals", h.create, fmt.Sprint("rl-", i), validBody); r.status != http.StatusCreated {
				t.Fatalf("request %d: %d %s", i, r.status, r.body)
			}
		}
		r := h.do(t, "POST", "/api/v1/referrals", h.create, "rl-x", validBody)
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
			t.Fatalf("over the limit: %d %q %s", r.status, r.header.Get("Retry-After"), r.body)
		}
		// Another token has its own count.
		if r := h.do(t, "POST", "/api/v1/referrals", h.both, "rl-0", validBody); r.status != http.StatusCreated {
			t.Fatalf("another token: %d %s", r.status, r.body)
		}
		if n := h.count(t, `SELECT count(*) FROM rate_limits`); n != 2 {
			t.Fatalf("%d counters, want one per token", n)
		}
	})
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
