package web_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
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
	"frontdoor/internal/matching"
	"frontdoor/internal/people"
	"frontdoor/internal/review"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
	"frontdoor/internal/web"
)

// frontDoor is a harness with the whole front door wired (intake,
// matching), an organisation with helpline, outreach and IDVA teams, and a
// way to sign in staff of any role in any team.
type frontDoor struct {
	*harness
	org string
}

func newFrontDoor(t *testing.T, d store.Dialect) *frontDoor {
	t.Helper()
	db := storetest.Open(t, d)
	logs := &bytes.Buffer{}
	c := &clock{t: time.Now().Truncate(30 * time.Second)}
	v := vaulttest.New(t, db)
	rec := audit.NewRecorder(v.AuditKey(), c.Now, requestID)
	a := auth.NewService(db, v, rec, c.Now)
	grants := &access.Grants{Vault: v, Record: rec, Now: c.Now}
	clients := &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: c.Now}
	matches := &matching.Index{Vault: v, DB: db, Record: rec, Now: c.Now, Facts: clients.MatchFacts}
	clients.Matches = matches
	risks := &risk.Service{DB: db, Vault: v, Record: rec, Now: c.Now, ClientFacts: clients.Facts}
	in := &intake.Service{DB: db, Vault: v, Record: rec, Now: c.Now, ClientFacts: clients.Facts, People: clients, Matches: matches}
	// Audited reads by group commit, as serve records them.
	reads := audit.NewBatcher(db, v.AuditKey(), audit.BatcherOptions{Now: c.Now})
	t.Cleanup(func() { reads.Close() })
	readLog := audit.NewReadLog(reads, requestID)
	clients.ReadLog, risks.ReadLog, in.ReadLog = readLog, readLog, readLog
	srv, err := web.New(web.Options{DB: db, Auth: a, Grants: grants, People: clients, Risk: risks, Intake: in, Matches: matches, Record: rec, ReadLog: readLog, Now: c.Now,
		Review:    &review.Service{DB: db, Grants: grants, Accounts: a, Vault: v, Record: rec, ReadLog: readLog, Now: c.Now, RecordOrganisation: clients.RecordOrganisation},
		Catalogue: i18n.MustLoad(), Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	h := &harness{clock: c, db: db, grants: grants, srv: srv, ts: ts, client: client, logs: logs, auth: a}
	ctx := context.Background()
	token, _ := a.IssueSetupLink(ctx, "")
	_, first, err := a.CompleteSetup(ctx, token, auth.SetupForm{OrganisationName: "Org", DisplayName: "First", Username: "first", Password: "amber quay lantern", Confirm: "amber quay lantern"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx, func(tx *store.Tx) error {
		for _, team := range []string{"helpline", "outreach", "idva"} {
			if _, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ($1, $2, $3, $3, $4)`,
				"team-"+team, first.OrganisationID, team, c.Now()); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return &frontDoor{harness: h, org: first.OrganisationID}
}

// requestID is a page's or an API request's ID, as serve stamps events.
func requestID(ctx context.Context) string {
	if id := web.RequestID(ctx); id != "" {
		return id
	}
	return api.RequestID(ctx)
}

// as signs in a new member of staff with a role, in a team of the
// organisation.
func (f *frontDoor) as(t *testing.T, username string, role access.Role, team string) *harness {
	t.Helper()
	h, _ := f.staffIn(t, f.org, username, role, "team-"+team)
	return h
}

func (f *frontDoor) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.db.Read(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT count(*) FROM `+table, nil, &n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func newClientForm(given, family string) url.Values {
	return url.Values{"given_name": {given}, "family_name": {family}, "team": {"team-helpline"}, "source": {"police"}, "risk_level": {"high"},
		"referrer_org": {"Northshire Police"}, "summary": {"call-out last night; wants to leave"}, "safe_phone": {"07700 900456"},
		"safe_voicemail": {"unsafe"}, "safe_text": {"unsafe"}, "safe_email": {"safe"}, "safe_post": {"unsafe"}, "do": {"create"}}
}

var referralLocation = regexp.MustCompile(`^/referrals/([0-9a-f-]{36})$`)

// A helpline worker logs an anonymous call with a callback in a few
// fields, sees it in the callback queue and marks it done; a bad form
// names every problem and keeps what was typed.
func TestFrontDoorLogACall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		f := newFrontDoor(t, d)
		worker := f.as(t, "helpline.one", access.RoleFrontDoorWorker, "helpline")
		resp, body := worker.get(t, "/contacts/new")
		if resp.StatusCode != 200 || !strings.Contains(body, `name="callback_in"`) {
			t.Fatalf("contact form: %d", resp.StatusCode)
		}
		resp, body = worker.post(t, "/contacts/new", url.Values{"channel": {"fax"}, "direction": {"in"}, "caller_type": {"victim"},
			"service_line": {"main"}, "outcome": {"shrug"}, "callback_due": {"tomorrow"}, "note": {"rang from the bus stop"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad contact: %d", resp.StatusCode)
		}
		mustContain(t, "bad contact page", body, `href="#channel"`, `href="#outcome"`, `href="#callback_due"`, "rang from the bus stop")
		if n := f.count(t, "intake_contacts"); n != 0 {
			t.Fatalf("a bad contact wrote %d rows", n)
		}
		resp, _ = worker.post(t, "/contacts/new", url.Values{"channel": {"phone"}, "direction": {"in"}, "caller_type": {"unknown"},
			"service_line": {"main"}, "outcome": {"callback_needed"}, "callback_in": {"2"}, "note": {"call back after the school run"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/contacts/new?logged=1" {
			t.Fatalf("log call: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = worker.get(t, "/callbacks")
		mustContain(t, "callbacks", body, "call back after the school run", "Anonymous caller")
		id := regexp.MustCompile(`action="/callbacks/([0-9a-f-]{36})/done"`).FindStringSubmatch(body)
		if resp.StatusCode != 200 || id == nil {
			t.Fatalf("callbacks: %d", resp.StatusCode)
		}
		if _, body := worker.get(t, "/"); !strings.Contains(body, "call back after the school run") {
			t.Error("the home page does not show the callback due")
		}
		if resp, _ := worker.post(t, "/callbacks/"+id[1]+"/done", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("done: %d", resp.StatusCode)
		}
		if _, body := worker.get(t, "/callbacks"); strings.Contains(body, "call back after the school run") {
			t.Fatal("a done callback is still in the queue")
		}
		// The note never reaches the database in clear, nor the log.
		if strings.Contains(f.logs.String(), "school run") {
			t.Fatal("the note is in the log")
		}
	})
}

// A referral with a new client: every error of both parts at once and
// nothing written; the check for existing records keeps what was typed;
// then the referral is triaged to the IDVA team and the case page shows
// it all; a stale case change is refused.
func TestFrontDoorReferralTriageAndCasePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		f := newFrontDoor(t, d)
		worker := f.as(t, "helpline.one", access.RoleFrontDoorWorker, "helpline")
		colleague := f.as(t, "helpline.two", access.RoleFrontDoorWorker, "helpline")
		idva := f.as(t, "idva.one", access.RoleIDVA, "idva")

		resp, body := worker.get(t, "/referrals/new")
		if resp.StatusCode != 200 || !strings.Contains(body, "Check for existing records") {
			t.Fatalf("referral form: %d", resp.StatusCode)
		}
		bad := newClientForm("", "Okafor")
		bad.Set("summary", "")
		bad.Set("date_of_birth", "31/02/1990")
		resp, body = worker.post(t, "/referrals/new", bad)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad referral: %d", resp.StatusCode)
		}
		mustContain(t, "bad referral", body, `href="#given_name"`, `href="#summary"`, `href="#date_of_birth"`, `value="Okafor"`)
		if f.count(t, "clients") != 0 || f.count(t, "intake_referrals") != 0 {
			t.Fatal("a bad referral wrote something")
		}

		form := newClientForm("Maya", "Okafor")
		form.Set("date_of_birth", "1990-04-02")
		form.Set("do", "check")
		resp, body = worker.post(t, "/referrals/new", form)
		if resp.StatusCode != 200 {
			t.Fatalf("check: %d", resp.StatusCode)
		}
		mustContain(t, "check with no match", body, `id="no-suggestions"`, `value="Maya"`, "call-out last night; wants to leave")
		form.Set("do", "create")
		resp, _ = worker.post(t, "/referrals/new", form)
		m := referralLocation.FindStringSubmatch(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || m == nil {
			t.Fatalf("create: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		refID := m[1]

		// The same person again: the check offers the record, and using it
		// makes no second client.
		again := newClientForm("Maya", "Okafor")
		again.Set("date_of_birth", "1990-04-02")
		again.Set("do", "check")
		_, body = worker.post(t, "/referrals/new", again)
		sug := regexp.MustCompile(`name="client" value="([0-9a-f-]{36})"`).FindStringSubmatch(body)
		if sug == nil || !strings.Contains(body, "Use this record") || !strings.Contains(body, "born 1990") {
			t.Fatalf("no suggestion for the same person:\n%s", body)
		}
		again.Set("do", "create")
		again.Set("client", sug[1])
		again.Set("chosen", "1")
		again.Set("summary", "second call from the police")
		if resp, _ := worker.post(t, "/referrals/new", again); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("referral for the chosen record: %d", resp.StatusCode)
		}
		if n := f.count(t, "clients"); n != 1 {
			t.Fatalf("%d clients after choosing the existing record", n)
		}

		// The queue: a helpline colleague sees both.
		resp, body = colleague.get(t, "/triage")
		if resp.StatusCode != 200 || strings.Count(body, "Maya Okafor") != 2 {
			t.Fatalf("queue: %d\n%s", resp.StatusCode, body)
		}
		if _, body := idva.get(t, "/triage"); strings.Contains(body, "Okafor") {
			t.Fatal("the IDVA team sees the helpline's queue")
		}
		// Triage: all errors, then allocate to the IDVA service.
		resp, body = colleague.post(t, "/referrals/"+refID, url.Values{"do": {"triage"}, "decision": {"decline"}, "service": {"idva"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad triage: %d", resp.StatusCode)
		}
		mustContain(t, "bad triage", body, `href="#reason"`, `href="#service"`)
		resp, body = colleague.post(t, "/referrals/"+refID, url.Values{"do": {"triage"}, "decision": {"allocate"}, "service": {"idva"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("triage: %d %s", resp.StatusCode, regexp.MustCompile(`(?s)error-summary.*?</ul>`).FindString(body))
		}
		resp, body = colleague.post(t, "/referrals/"+refID, url.Values{"do": {"triage"}, "decision": {"signpost"}, "note": {"GP"}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "already been triaged") {
			t.Fatalf("second triage: %d", resp.StatusCode)
		}
		resp, _ = colleague.post(t, "/referrals/"+refID, url.Values{"do": {"first_contact"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("first contact: %d", resp.StatusCode)
		}

		// The allocated IDVA team reads the case page now.
		_, body = worker.get(t, "/referrals/"+refID)
		mustContain(t, "referral page", body, "IDVA service", "Northshire Police", `id="safe-contact"`)
		clientID := regexp.MustCompile(`href="/people/([0-9a-f-]{36})/timeline"`).FindStringSubmatch(body)
		if clientID == nil {
			t.Fatal("no link to the case page")
		}
		resp, body = idva.get(t, "/people/"+clientID[1]+"/timeline")
		if resp.StatusCode != 200 {
			t.Fatalf("IDVA case page: %d", resp.StatusCode)
		}
		mustContain(t, "case page", body, `id="safe-contact"`, "Maya Okafor", "Referral", "Triage", "call-out last night; wants to leave", `name="version" value="1"`,
			"Triage: Allocate → IDVA service", "Staff helpline.two (helpline.two)")
		caseID := regexp.MustCompile(`action="/people/[0-9a-f-]{36}/cases/([0-9a-f-]{36})"`).FindStringSubmatch(body)
		if caseID == nil {
			t.Fatal("no case status form")
		}
		path := "/people/" + clientID[1] + "/cases/" + caseID[1]
		resp, body = idva.post(t, path, url.Values{"version": {"1"}, "status": {"closed"}, "note": {"she moved"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#reason"`) || !strings.Contains(body, "she moved") {
			t.Fatalf("close without reason: %d", resp.StatusCode)
		}
		if resp, _ := idva.post(t, path, url.Values{"version": {"1"}, "status": {"allocated"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("allocate case: %d", resp.StatusCode)
		}
		resp, body = worker.post(t, path, url.Values{"version": {"1"}, "status": {"closed"}, "reason": {"moved_away"}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Someone changed this case") {
			t.Fatalf("stale change: %d", resp.StatusCode)
		}
		// The worker's home page lists the client on their caseload.
		if _, body := worker.get(t, "/"); !strings.Contains(body, "Maya Okafor") || !strings.Contains(body, `id="caseload"`) {
			t.Error("the caseload does not show the new client")
		}
	})
}

// An outgoing text to a client whose rules say texts are not safe is
// refused with the reason, the rules shown first; with a written reason it
// goes through and the case page says it was an override.
func TestFrontDoorUnsafeContactRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		f := newFrontDoor(t, d)
		worker := f.as(t, "helpline.one", access.RoleFrontDoorWorker, "helpline")
		clientID := referNewClient(t, worker, "Rosa", "Lind")

		resp, body := worker.get(t, "/contacts/new?client="+clientID)
		if resp.StatusCode != 200 || strings.Index(body, `id="safe-contact"`) > strings.Index(body, "<form method=\"post\" action=\"/contacts/new\"") {
			t.Fatalf("the safe-contact rules are not first: %d", resp.StatusCode)
		}
		mustContain(t, "contact form", body, "NOT safe", `value="out" selected`)
		text := url.Values{"client": {clientID}, "channel": {"text"}, "direction": {"out"}, "caller_type": {"victim"}, "service_line": {"main"},
			"outcome": {"advice_given"}, "note": {"sent the refuge address"}}
		resp, body = worker.post(t, "/contacts/new", text)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("unsafe text: %d", resp.StatusCode)
		}
		mustContain(t, "refused text", body, "Text messages are NOT marked safe", `href="#override_reason"`, "sent the refuge address", `id="safe-contact"`)
		if n := f.count(t, "intake_contacts"); n != 0 {
			t.Fatalf("a refused contact wrote %d rows", n)
		}
		text.Set("override_reason", "no other way to reach her before the hearing; she asked for it")
		resp, _ = worker.post(t, "/contacts/new", text)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/people/"+clientID+"/timeline" {
			t.Fatalf("override: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = worker.get(t, "/people/"+clientID+"/timeline")
		mustContain(t, "case page", body, "Safe-contact rules overridden: no other way to reach her before the hearing")
	})
}

// referNewClient refers a new client through the referral form and
// returns the client's ID from the referral page's link.
func referNewClient(t *testing.T, worker *harness, given, family string) string {
	t.Helper()
	resp, _ := worker.post(t, "/referrals/new", newClientForm(given, family))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	_, body := worker.get(t, resp.Header.Get("Location"))
	m := regexp.MustCompile(`href="/people/([0-9a-f-]{36})/timeline"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no link to the case page")
	}
	return m[1]
}

// TestCasePageShowsNewestFirst: a long history opens at its newest fifty
// entries, newest at the top, with a link to the whole of it.
func TestCasePageShowsNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		f := newFrontDoor(t, d)
		worker := f.as(t, "helpline.one", access.RoleFrontDoorWorker, "helpline")
		clientID := referNewClient(t, worker, "Rosa", "Lind")
		for i := range 55 {
			f.clock.Advance(time.Minute)
			resp, _ := worker.post(t, "/contacts/new", url.Values{"client": {clientID}, "channel": {"phone"}, "direction": {"in"}, "caller_type": {"victim"},
				"service_line": {"main"}, "outcome": {"advice_given"}, "note": {fmt.Sprintf("call number %d", i+1)}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("contact %d: %d", i+1, resp.StatusCode)
			}
		}
		// 55 contacts and the referral.
		_, body := worker.get(t, "/people/"+clientID+"/timeline")
		if n := strings.Count(body, `<li class="entry-`); n != 50 {
			t.Fatalf("the case page shows %d entries, want the newest 50", n)
		}
		mustContain(t, "case page", body, `id="timeline-all"`, "Show all 56")
		// Every read the page made is in the trail, recorded before it showed.
		for _, action := range []string{"record.read", "risk.read", "case.list", "timeline.read"} {
			var n int
			if err := f.db.Read(context.Background(), func(tx *store.Tx) error {
				return tx.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = $1 AND record_id = $2`, []any{action, clientID}, &n)
			}); err != nil || n == 0 {
				t.Fatalf("the case page's %s is not in the audit trail (%d, %v)", action, n, err)
			}
		}
		if strings.Index(body, "call number 55<") > strings.Index(body, "call number 54<") || strings.Contains(body, "call number 5<") {
			t.Fatal("not the newest entries, newest first")
		}
		// A worker with no relation to her is refused, and the refusal
		// (which says the record exists) is in the trail.
		stranger := f.as(t, "outreach.one", access.RoleOutreachWorker, "outreach")
		if resp, _ := stranger.get(t, "/people/"+clientID+"/timeline"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a stranger opening the case page: %d, want 403", resp.StatusCode)
		}
		var denied int
		if err := f.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = 'access.refused' AND record_id = $1`, []any{clientID}, &denied)
		}); err != nil || denied != 1 {
			t.Fatalf("the refusal is %d times in the trail (%v), want once", denied, err)
		}
		_, body = worker.get(t, "/people/"+clientID+"/timeline?all=1")
		if n := strings.Count(body, `<li class="entry-`); n != 56 || strings.Contains(body, `id="timeline-all"`) {
			t.Fatalf("the whole timeline shows %d entries, want 56 and no link", n)
		}
	})
}
