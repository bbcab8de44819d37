package api_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/i18n"
	"frontdoor/internal/outreach"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// A referral without safe_contact, which the document lists as required,
// is refused naming client.safe_contact, and so are the other required
// objects and fields left out; sent empty ({}), safe_contact is taken (every
// channel not known). Nothing is written for the refused ones.
func TestRequiredFieldsMustBeSent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d)
		for _, c := range []struct{ body, field string }{
			{`{"client": {"given_name": "Kira", "family_name": "Quill", "phone": "07700 900123"}, "referral": {"source": "police", "summary": "s"}}`, "client.safe_contact"},
			{`{"referral": {"source": "police", "summary": "s"}}`, "client"},
			{`{"client": {"given_name": "Kira", "family_name": "Quill", "phone": "07700 900123", "safe_contact": {}}}`, "referral"},
			{`{"client": {"given_name": "Kira", "phone": "07700 900123", "safe_contact": {}}, "referral": {"source": "police", "summary": "s"}}`, "client.family_name"},
			{`{"client": {"given_name": "Kira", "family_name": "Quill", "phone": "07700 900123", "safe_contact": null}, "referral": {"source": "police", "summary": "s"}}`, "client.safe_contact"},
		} {
			r := h.do(t, "POST", "/api/v1/referrals", h.create, "required-"+c.field, c.body)
			if f := fieldsOf(t, r); r.status != http.StatusUnprocessableEntity || !slices.Contains(f, c.field) {
				t.Errorf("%s: %d %s, want 422 naming %s", c.body, r.status, r.body, c.field)
			}
		}
		if n := h.count(t, `SELECT count(*) FROM clients`) + h.count(t, `SELECT count(*) FROM intake_referrals`) + h.count(t, `SELECT count(*) FROM api_idempotency`); n != 0 {
			t.Fatalf("%d rows written by refused referrals", n)
		}
		r := h.do(t, "POST", "/api/v1/referrals", h.create, "required-ok", `{"client": {"given_name": "Kira", "family_name": "Quill", "phone": "07700 900123", "safe_contact": {}},
			"referral": {"source": "police", "summary": "s"}}`)
		if r.status != http.StatusCreated {
			t.Fatalf("an empty safe_contact: %d %s", r.status, r.body)
		}
	})
}

// Text the JSON decoder would alter is refused, not silently replaced with
// U+FFFD: invalid UTF-8 or an unpaired surrogate escape in a field is 422
// naming the field (inside a list, the list); where no field of ours can
// be named for it, the body is 400. Nothing is written. A U+FFFD the
// sender meant is text like any other and is taken.
func TestBrokenTextIsRefusedNotReplaced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d)
		const rest = `"family_name": "Quill", "phone": "07700 900123", "safe_contact": {"times": "mornings"}}, "referral": {"source": "police", "summary": "Callout."}}`
		for _, c := range []struct {
			name, body string
			status     int
			field      string
		}{
			{"invalid UTF-8", "{\"client\": {\"given_name\": \"Kira\xff\", " + rest, 422, "client.given_name"},
			{"overlong encoding", "{\"client\": {\"given_name\": \"Kira\xc0\xaf\", " + rest, 422, "client.given_name"},
			{"nested", `{"client": {"given_name": "Kira", ` + strings.Replace(rest, "mornings", "morn\xe2\x28ings", 1), 422, "client.safe_contact.times"},
			{"lone high surrogate", `{"client": {"given_name": "Kira\ud800", ` + rest, 422, "client.given_name"},
			{"lone low surrogate", `{"client": {"given_name": "Kira", ` + strings.Replace(rest, "Callout.", `Call\udc00out.`, 1), 422, "referral.summary"},
			{"in a value of the wrong type", "{\"client\": {\"given_name\": {\"x\": \"\xff\"}, " + rest, 400, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := h.do(t, "POST", "/api/v1/referrals", h.create, "utf8-"+c.name, c.body)
				if r.status != c.status {
					t.Fatalf("%d %s, want %d", r.status, r.body, c.status)
				}
				f := fieldsOf(t, r)
				if c.field != "" && !slices.Contains(f, c.field) {
					t.Fatalf("fields %v, want %s", f, c.field)
				}
				if c.status == 400 && (len(f) != 1 || !strings.Contains(r.body, i18n.MustLoad().Printer(i18n.Default).T("api.body_not_utf8"))) {
					t.Fatalf("not told the body is not UTF-8: %s", r.body)
				}
				if strings.Contains(r.body, "Kira") || strings.Contains(r.body, "\ufffd") {
					t.Fatalf("a value is echoed: %s", r.body)
				}
			})
		}
		if n := h.count(t, `SELECT count(*) FROM clients`) + h.count(t, `SELECT count(*) FROM intake_referrals`) + h.count(t, `SELECT count(*) FROM api_idempotency`); n != 0 {
			t.Fatalf("%d rows written by refused referrals", n)
		}
		// A surrogate pair and a U+FFFD sent on purpose are text.
		r := h.do(t, "POST", "/api/v1/referrals", h.create, "utf8-ok", `{"client": {"given_name": "Kira \ud83c\udf3b \ufffd", `+rest)
		if r.status != http.StatusCreated {
			t.Fatalf("a surrogate pair and U+FFFD: %d %s", r.status, r.body)
		}
	})
}

// An action due 9999-12-31 is refused naming the field, on its own and
// agreed at a session (named by the actions list); so is a booking that
// starts in year 9999. The forms apply the same rule (the outreach
// service's). Nothing is written.
func TestDatesOutOfRangeAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newOutreachWorld(t, d)
		pid, err := w.svc.StartPlan(ctx, w.worker, w.client)
		if err != nil {
			t.Fatal(err)
		}
		nid, err := w.svc.AddNeed(ctx, w.worker, pid, outreach.NewNeed{Area: outreach.Housing, Need: "n", Goals: "g"})
		if err != nil {
			t.Fatal(err)
		}
		ids, err := w.svc.Book(ctx, w.worker, outreach.NewSessions{ClientID: w.client, Kind: outreach.Office, Start: time.Now().UTC().Add(-time.Hour),
			Duration: time.Hour, Weeks: 1, Reminder: outreach.NoReminder})
		if err != nil {
			t.Fatal(err)
		}
		s, err := w.svc.OpenSession(ctx, w.worker, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		audited := w.count(t, `SELECT count(*) FROM audit_events`)
		for _, c := range []struct{ path, body, field string }{
			{"/api/v1/needs/" + nid + "/actions", `{"text": "Call back", "due": "9999-12-31"}`, "due"},
			{"/api/v1/sessions/" + ids[0], `{"status": "held", "discussed": "d", "actions": [{"need_id": "` + nid + `", "text": "Call back", "due": "9999-12-31"}], "version": ` +
				strconv.Itoa(s.Version) + `}`, "actions"},
			{"/api/v1/clients/" + w.client + "/sessions", `{"kind": "office", "start": "9999-12-25T10:00:00Z", "duration_minutes": 60, "weeks": 2, "reminder": "none"}`, "start"},
		} {
			r := w.do(t, "POST", c.path, w.workerTok, "", c.body)
			if got := fieldsOf(t, r); r.status != http.StatusUnprocessableEntity || !slices.Equal(got, []string{c.field}) {
				t.Errorf("%s %s: %d %s, want 422 naming %s", c.path, c.body, r.status, r.body, c.field)
			}
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events`); n != audited {
			t.Fatalf("%d audit events from refused requests", n-audited)
		}
		if n := w.count(t, `SELECT count(*) FROM outreach_actions`) + w.count(t, `SELECT count(*) FROM outreach_sessions WHERE status <> 'booked'`); n != 0 {
			t.Fatalf("%d actions or recorded sessions from refused requests", n)
		}
		if n := w.count(t, `SELECT count(*) FROM outreach_sessions`); n != 1 {
			t.Fatalf("%d sessions, want the one booked", n)
		}
	})
}

// Left out is not the same as sent empty: a safety plan sent as "" clears
// it, as the document says, but a body that leaves safety_plan (or the
// version) out is refused naming it, and the plan is as it was.
func TestLeftOutIsNotSentEmpty(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newOutreachWorld(t, d)
		pid, err := w.svc.StartPlan(ctx, w.worker, w.client)
		if err != nil {
			t.Fatal(err)
		}
		v, err := w.svc.SaveSafetyPlan(ctx, w.worker, pid, 1, "Bag packed at a friend's")
		if err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/plans/" + pid + "/safety-plan"
		for body, field := range map[string]string{`{"version": ` + strconv.Itoa(v) + `}`: "safety_plan", `{"safety_plan": ""}`: "version"} {
			r := w.do(t, "POST", path, w.workerTok, "", body)
			if got := fieldsOf(t, r); r.status != http.StatusUnprocessableEntity || !slices.Equal(got, []string{field}) {
				t.Errorf("%s: %d %s, want 422 naming %s", body, r.status, r.body, field)
			}
		}
		p, err := w.svc.Plan(ctx, w.worker, w.client)
		if err != nil || p.SafetyPlan != "Bag packed at a friend's" || p.Version != v {
			t.Fatalf("after refused bodies the plan is %+v %v", p, err)
		}
		if r := w.do(t, "POST", path, w.workerTok, "", `{"safety_plan": "", "version": `+strconv.Itoa(v)+`}`); r.status != http.StatusOK {
			t.Fatalf("cleared: %d %s", r.status, r.body)
		}
		if p, err := w.svc.Plan(ctx, w.worker, w.client); err != nil || p.SafetyPlan != "" {
			t.Fatalf("the plan is not cleared: %+v %v", p, err)
		}
	})
}
