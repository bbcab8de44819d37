package api_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/api"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/i18n"
	"frontdoor/internal/outreach"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

// outreachWorld is an outreach service with two teams: a worker and a
// colleague on team A, a worker on team B, a volunteer, each member of
// staff with an outreach staff token; a client of team A whose rules mark
// texts unsafe; two partner agencies (a locksmith under a consent
// agreement, and the police) each with its own token; and the police
// organisation's referral token.
type outreachWorld struct {
	*harness
	svc                                  *outreach.Service
	worker, colleague, other, volunteer  access.Actor
	workerTok, colleagueTok, otherTok    string
	client                               string
	locksmith, police, isa               string
	locksmithTok, policeTok, referralTok string
	locksmithTokID                       string
}

func newOutreachWorld(t *testing.T, d store.Dialect) *outreachWorld {
	t.Helper()
	db := storetest.Open(t, d)
	v := vaulttest.New(t, db)
	rec := audit.NewRecorder(v.AuditKey(), time.Now, nil)
	accounts := auth.NewService(db, v, rec, time.Now)
	grants := &access.Grants{Vault: v, Record: rec, Now: time.Now}
	ppl := &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: time.Now}
	svc := &outreach.Service{DB: db, Vault: v, Record: rec, Now: time.Now, Clients: ppl}
	err := db.Write(ctx, func(tx *store.Tx) error {
		now := time.Now().UTC()
		for _, o := range [][3]string{{frontDoorOrg, "Outreach Trust", "charity"}, {policeOrg, "County Police", "police"}} {
			if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, $3, $4)`, o[0], o[1], o[2], now); err != nil {
				return err
			}
		}
		for _, team := range []string{"outreach-a", "outreach-b"} {
			if _, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ($1, $2, $1, 'outreach', $3)`, team, frontDoorOrg, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	a, err := api.New(api.Options{DB: db, Auth: accounts, Outreach: svc, Record: rec, Catalogue: i18n.MustLoad(), Logger: slog.New(slog.NewJSONHandler(logs, nil)), RateLimit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a.Handler())
	t.Cleanup(ts.Close)
	w := &outreachWorld{harness: &harness{db: db, accounts: accounts, api: a, ts: ts, logs: logs}, svc: svc}
	staff := func(orgID, username string, role access.Role, teams ...string) (access.Actor, string) {
		st, err := accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: orgID, Username: username, DisplayName: username, Role: role, TeamIDs: teams})
		if err != nil {
			t.Fatal(err)
		}
		actor := access.Actor{StaffID: st.ID, Role: role, OrganisationID: orgID, TeamIDs: teams}
		// Neither role can ever use the outreach scope, so neither gets
		// a token (TestStaffTokenRefusedForRoleThatCannotUseScope).
		if role == access.RoleAdministrator || role == access.RoleVolunteer {
			return actor, ""
		}
		secret, _, err := accounts.CreateStaffToken(ctx, "", st.ID, username+" system", []string{api.ScopeOutreach}, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return actor, secret
	}
	w.worker, w.workerTok = staff(frontDoorOrg, "out.worker", access.RoleOutreachWorker, "outreach-a")
	w.colleague, w.colleagueTok = staff(frontDoorOrg, "out.colleague", access.RoleOutreachWorker, "outreach-a")
	w.other, w.otherTok = staff(frontDoorOrg, "other.worker", access.RoleOutreachWorker, "outreach-b")
	w.volunteer, _ = staff(frontDoorOrg, "a.volunteer", access.RoleVolunteer, "outreach-a")
	admin, _ := staff(frontDoorOrg, "the.admin", access.RoleAdministrator)
	c, err := ppl.Create(ctx, w.worker, people.NewClient{GivenName: "Zephyrine", FamilyName: "Quillfeather", TeamID: "outreach-a",
		Details: people.Details{Address: "5 Secret Lane", SafeContact: people.SafeContact{Text: people.Unsafe, Phone: "07700 900123"}}})
	if err != nil {
		t.Fatal(err)
	}
	w.client = c.ID
	if w.locksmith, err = svc.RegisterAgency(ctx, admin, "Lockfast Security", "security"); err != nil {
		t.Fatal(err)
	}
	if w.police, err = svc.RegisterAgency(ctx, admin, "Hollinshire Police", "police"); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	if w.isa, err = svc.AddAgreement(ctx, admin, outreach.Agreement{PartnerID: w.locksmith, Title: "Sanctuary scheme ISA", LegalBasis: outreach.ConsentBasis,
		StartsOn: today.AddDate(-1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	agencyTok := func(orgID, name string) (string, string) {
		secret, tok, err := accounts.CreateToken(ctx, "", orgID, name, []string{auth.ScopeAgencyRead, auth.ScopeAgencyUpdate}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return secret, tok.ID
	}
	w.locksmithTok, w.locksmithTokID = agencyTok(w.locksmith, "Lockfast jobs")
	w.policeTok, _ = agencyTok(w.police, "Police jobs")
	if w.referralTok, _, err = accounts.CreateToken(ctx, "", policeOrg, "Police referrals", []string{api.ScopeCreate, api.ScopeRead}, time.Hour); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *outreachWorld) code(t *testing.T, r response) string {
	t.Helper()
	var eb errorBody
	r.decode(t, &eb)
	if len(eb.Errors) == 0 {
		t.Fatalf("no error in %s", r.body)
	}
	return eb.Errors[0].Code
}

func (w *outreachWorld) created(t *testing.T, r response, what string) string {
	t.Helper()
	var c api.Created
	if r.decode(t, &c); r.status != http.StatusCreated || c.ID == "" {
		t.Fatalf("%s: %d %s", what, r.status, r.body)
	}
	return c.ID
}

// The support plan through the API as the client's worker: start (once),
// needs, actions, the safety plan, outcomes; each as on the pages and
// audited under the worker. Another team's worker and a partner token are
// refused.
func TestOutreachPlanThroughAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newOutreachWorld(t, d)
		planPath := "/api/v1/clients/" + w.client + "/plan"
		if r := w.do(t, "GET", planPath, w.workerTok, "", ""); r.status != http.StatusNotFound {
			t.Fatalf("no plan yet: %d %s", r.status, r.body)
		}
		r := w.do(t, "POST", planPath, w.workerTok, "", "")
		pid := w.created(t, r, "start")
		if r.header.Get("Location") != planPath {
			t.Fatalf("location %q", r.header.Get("Location"))
		}
		if r := w.do(t, "POST", planPath, w.workerTok, "", ""); r.status != http.StatusConflict || w.code(t, r) != "conflict" {
			t.Fatalf("second plan: %d %s", r.status, r.body)
		}
		// Refusals: a bad body names its fields; another team's worker
		// and a partner token get nothing.
		r = w.do(t, "POST", "/api/v1/plans/"+pid+"/needs", w.workerTok, "", `{"area": "moon", "need": "", "goals": "x"}`)
		if got := fieldsOf(t, r); r.status != http.StatusUnprocessableEntity || !slices.Equal(got, []string{"area", "need"}) {
			t.Fatalf("bad need: %d %v", r.status, got)
		}
		if r := w.do(t, "POST", "/api/v1/plans/"+pid+"/needs", w.workerTok, "", `{"area": "safety", "Need": "x"}`); r.status != http.StatusBadRequest {
			t.Fatalf("misspelt key: %d %s", r.status, r.body)
		}
		for _, c := range []struct{ method, path, body string }{
			{"GET", planPath, ""},
			{"POST", planPath, ""},
			{"POST", "/api/v1/plans/" + pid + "/needs", `{"area": "safety", "need": "n", "goals": "g"}`},
		} {
			r := w.do(t, c.method, c.path, w.otherTok, "", c.body)
			if r.status != http.StatusForbidden && r.status != http.StatusNotFound {
				t.Fatalf("another team's worker %s %s: %d %s", c.method, c.path, r.status, r.body)
			}
			r = w.do(t, c.method, c.path, w.referralTok, "", c.body)
			if r.status != http.StatusForbidden || w.code(t, r) != "staff_token_required" {
				t.Fatalf("partner token %s %s: %d %s", c.method, c.path, r.status, r.body)
			}
		}

		// A partner token with the referral scopes (following referrals the
		// agency sends in) does not read the referrals sent to the agency.
		if r := w.do(t, "GET", "/api/v1/agency/referrals", w.referralTok, "", ""); r.status != http.StatusForbidden {
			t.Fatalf("a referral.read token on the agency's referrals: %d %s", r.status, r.body)
		}
		nid := w.created(t, w.do(t, "POST", "/api/v1/plans/"+pid+"/needs", w.workerTok, "", `{"area": "safety", "need": "Feels unsafe at home", "goals": "New locks"}`), "need")
		due := time.Now().UTC().AddDate(0, 0, 14).Format("2006-01-02")
		if r := w.do(t, "POST", "/api/v1/needs/"+nid+"/actions", w.workerTok, "", `{"text": "Refer for target hardening", "due": "14/12/2026"}`); r.status != http.StatusUnprocessableEntity ||
			!slices.Equal(fieldsOf(t, r), []string{"due"}) {
			t.Fatalf("bad due date: %d %s", r.status, r.body)
		}
		if r := w.do(t, "POST", "/api/v1/needs/0190f2a0-0000-7000-8000-000000000999/actions", w.workerTok, "", `{"text": "x", "due": "`+due+`"}`); r.status != http.StatusNotFound {
			t.Fatalf("action on no need: %d %s", r.status, r.body)
		}
		aid := w.created(t, w.do(t, "POST", "/api/v1/needs/"+nid+"/actions", w.workerTok, "", `{"text": "Refer for target hardening", "owner_id": "`+w.worker.StaffID+`", "due": "`+due+`"}`), "action")
		if r := w.do(t, "POST", "/api/v1/actions/"+aid+"/done", w.workerTok, "", ""); r.status != http.StatusOK {
			t.Fatalf("done: %d %s", r.status, r.body)
		}
		if r := w.do(t, "POST", "/api/v1/actions/"+aid+"/done", w.workerTok, "", ""); r.status != http.StatusConflict {
			t.Fatalf("done twice: %d %s", r.status, r.body)
		}
		var plan api.SupportPlan
		r = w.do(t, "GET", planPath, w.workerTok, "", "")
		if r.decode(t, &plan); r.status != http.StatusOK || len(plan.Needs) != 1 || len(plan.Needs[0].Actions) != 1 || plan.Needs[0].Actions[0].DoneAt.IsZero() || !plan.CanUpdate {
			t.Fatalf("plan: %d %s", r.status, r.body)
		}
		needVersion := plan.Needs[0].Version
		upd := `{"need": "Feels unsafe at home", "goals": "New locks, a door chain", "progress": "Referral made", "status": "active", "version": ` + strconv.Itoa(needVersion) + `}`
		if r := w.do(t, "POST", "/api/v1/needs/"+nid, w.workerTok, "", upd); r.status != http.StatusOK {
			t.Fatalf("update need: %d %s", r.status, r.body)
		}
		if r := w.do(t, "POST", "/api/v1/needs/"+nid, w.workerTok, "", upd); r.status != http.StatusConflict {
			t.Fatalf("stale need update: %d %s", r.status, r.body)
		}
		var saved api.Saved
		r = w.do(t, "POST", "/api/v1/plans/"+pid+"/safety-plan", w.workerTok, "", `{"safety_plan": "Bag packed at a friend's", "version": `+strconv.Itoa(plan.Version)+`}`)
		if r.decode(t, &saved); r.status != http.StatusOK || saved.Version != plan.Version+1 {
			t.Fatalf("safety plan: %d %s", r.status, r.body)
		}
		bad := `{"stage": "start", "scores": [{"area": "safety", "score": 9}], "feels_safer": 0, "abuse_stopped": "maybe"}`
		if r := w.do(t, "POST", "/api/v1/plans/"+pid+"/outcomes", w.workerTok, "", bad); r.status != http.StatusUnprocessableEntity ||
			!slices.Equal(fieldsOf(t, r), []string{"feels_safer", "abuse_stopped", "scores"}) {
			t.Fatalf("bad outcome: %d %s", r.status, r.body)
		}
		good := `{"stage": "start", "scores": [{"area": "safety", "score": 2}], "feels_safer": 2, "abuse_stopped": "no"}`
		if r := w.do(t, "POST", "/api/v1/plans/"+pid+"/outcomes", w.workerTok, "", good); r.status != http.StatusOK {
			t.Fatalf("outcome: %d %s", r.status, r.body)
		}
		r = w.do(t, "GET", planPath, w.workerTok, "", "")
		if r.decode(t, &plan); r.status != http.StatusOK || plan.SafetyPlan != "Bag packed at a friend's" || plan.Needs[0].Progress != "Referral made" ||
			len(plan.Outcomes) != 1 || plan.Outcomes[0].Stage != "start" || !slices.Equal(plan.Outcomes[0].Scores, []api.AreaScore{{Area: "safety", Score: 2}}) {
			t.Fatalf("plan after: %d %s", r.status, r.body)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action LIKE 'outreach.%' AND actor_id = $1 AND record_id = $2`, w.worker.StaffID, w.client); n < 6 {
			t.Fatalf("%d outreach events audited under the worker", n)
		}
		if logs := w.logs.String(); strings.Contains(logs, "Zephyrine") || strings.Contains(logs, "unsafe at home") || strings.Contains(logs, w.client) {
			t.Fatalf("personal data in the logs: %s", logs)
		}
	})
}

// Sessions: a reminder the client's rules mark unsafe is refused naming
// the field; booking, the week, the session, the record; a check-in by
// anyone but the worker does not find the session.
func TestOutreachSessionsThroughAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newOutreachWorld(t, d)
		// The visit began an hour or two ago: a check-in is due when the
		// worker leaves.
		start := time.Now().UTC().Add(-time.Hour).Truncate(time.Hour)
		path := "/api/v1/clients/" + w.client + "/sessions"
		r := w.do(t, "POST", path, w.workerTok, "", `{"kind": "home_visit", "start": "`+start.Format(time.RFC3339)+`", "duration_minutes": 60, "reminder": "text"}`)
		if got := fieldsOf(t, r); r.status != http.StatusUnprocessableEntity || !slices.Equal(got, []string{"reminder"}) {
			t.Fatalf("unsafe reminder: %d %s", r.status, r.body)
		}
		r = w.do(t, "POST", path, w.workerTok, "", `{"kind": "home_visit", "start": "tomorrow", "duration_minutes": 0, "weeks": 99, "reminder": "none"}`)
		if got := fieldsOf(t, r); r.status != http.StatusUnprocessableEntity || !slices.Contains(got, "start") {
			t.Fatalf("bad booking: %d %s", r.status, r.body)
		}
		r = w.do(t, "POST", path, w.workerTok, "", `{"kind": "home_visit", "start": "`+start.Format(time.RFC3339)+`", "duration_minutes": 0, "weeks": 99, "reminder": "none"}`)
		if got := fieldsOf(t, r); r.status != http.StatusUnprocessableEntity || !slices.Equal(got, []string{"duration_minutes", "weeks"}) {
			t.Fatalf("bad booking: %d %s", r.status, r.body)
		}
		r = w.do(t, "POST", path, w.workerTok, "", `{"kind": "home_visit", "start": "`+start.Format(time.RFC3339)+`", "duration_minutes": 60, "weeks": 2, "reminder": "none"}`)
		var booked api.SessionsBooked
		if r.decode(t, &booked); r.status != http.StatusCreated || len(booked.IDs) != 2 {
			t.Fatalf("book: %d %s", r.status, r.body)
		}
		sid := booked.IDs[0]
		var week api.SessionList
		r = w.do(t, "GET", "/api/v1/sessions?from="+start.Format("2006-01-02"), w.workerTok, "", "")
		if r.decode(t, &week); r.status != http.StatusOK || len(week.Sessions) != 1 || week.Sessions[0].ID != sid || week.Sessions[0].ClientID != w.client ||
			week.Sessions[0].Kind != "home_visit" || !week.Sessions[0].Start.Equal(start) {
			t.Fatalf("week: %d %s", r.status, r.body)
		}
		if r := w.do(t, "GET", "/api/v1/sessions?from=next-week", w.workerTok, "", ""); r.status != http.StatusUnprocessableEntity || !slices.Equal(fieldsOf(t, r), []string{"from"}) {
			t.Fatalf("bad from: %d %s", r.status, r.body)
		}
		if r := w.do(t, "GET", "/api/v1/sessions?from="+start.Format("2006-01-02"), w.colleagueTok, "", ""); r.status != http.StatusOK || strings.Contains(r.body, sid) {
			t.Fatalf("the colleague's week: %d %s", r.status, r.body)
		}
		// Only the worker checks in for their own visit: a colleague who
		// works the client is refused, and so is another team of the
		// organisation (which could break glass on her record).
		for tok, want := range map[string]int{w.colleagueTok: http.StatusForbidden, w.otherTok: http.StatusForbidden} {
			if r := w.do(t, "POST", "/api/v1/sessions/"+sid+"/checkin", tok, "", ""); r.status != want {
				t.Fatalf("someone else's check-in: %d, want %d: %s", r.status, want, r.body)
			}
		}
		if r := w.do(t, "POST", "/api/v1/sessions/"+sid+"/checkin", w.workerTok, "", ""); r.status != http.StatusOK {
			t.Fatalf("check-in: %d %s", r.status, r.body)
		}
		var s api.SessionView
		r = w.do(t, "GET", "/api/v1/sessions/"+sid, w.workerTok, "", "")
		if r.decode(t, &s); r.status != http.StatusOK || s.CheckedInAt.IsZero() || s.Status != "booked" {
			t.Fatalf("session: %d %s", r.status, r.body)
		}
		if r := w.do(t, "GET", "/api/v1/sessions/"+sid, w.otherTok, "", ""); r.status != http.StatusForbidden {
			t.Fatalf("another team's worker reads the session: %d %s, want 403 as for the client's record", r.status, r.body)
		}
		// Record it held, with an action on the plan's need.
		pid := w.created(t, w.do(t, "POST", "/api/v1/clients/"+w.client+"/plan", w.workerTok, "", ""), "plan")
		nid := w.created(t, w.do(t, "POST", "/api/v1/plans/"+pid+"/needs", w.workerTok, "", `{"area": "housing", "need": "Tenancy at risk", "goals": "Keep the flat"}`), "need")
		due := time.Now().UTC().AddDate(0, 0, 7).Format("2006-01-02")
		if r := w.do(t, "POST", "/api/v1/sessions/"+sid, w.workerTok, "", `{"status": "held", "version": `+strconv.Itoa(s.Version)+`}`); r.status != http.StatusUnprocessableEntity ||
			!slices.Equal(fieldsOf(t, r), []string{"discussed"}) {
			t.Fatalf("held without notes: %d %s", r.status, r.body)
		}
		rec := `{"status": "held", "discussed": "Rent arrears letter", "actions": [{"need_id": "` + nid + `", "text": "Call the housing officer", "due": "` + due + `"}], "version": ` + strconv.Itoa(s.Version) + `}`
		r = w.do(t, "POST", "/api/v1/sessions/"+sid, w.workerTok, "", rec)
		if r.decode(t, &s); r.status != http.StatusOK || s.Status != "held" || s.Discussed != "Rent arrears letter" {
			t.Fatalf("record: %d %s", r.status, r.body)
		}
		if r := w.do(t, "POST", "/api/v1/sessions/"+sid, w.workerTok, "", rec); r.status != http.StatusConflict {
			t.Fatalf("recorded twice: %d %s", r.status, r.body)
		}
		var plan api.SupportPlan
		r = w.do(t, "GET", "/api/v1/clients/"+w.client+"/plan", w.workerTok, "", "")
		if r.decode(t, &plan); len(plan.Needs) != 1 || len(plan.Needs[0].Actions) != 1 ||
			plan.Needs[0].Actions[0].SessionID != sid {
			t.Fatalf("action agreed at the session: %s", r.body)
		}
		if logs := w.logs.String(); strings.Contains(logs, "Rent arrears") || strings.Contains(logs, "Zephyrine") {
			t.Fatalf("personal data in the logs: %s", logs)
		}
	})
}

// Partner referrals: consent is needed under a consent agreement; the
// worker sees what was shared; the agency's own token sees only the
// referrals sent to it (never the client's ID) and moves one on to done,
// audited with no actor and naming the token; another agency's token does
// not find it.
func TestOutreachPartnerReferralsThroughAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newOutreachWorld(t, d)
		path := "/api/v1/clients/" + w.client + "/partner-referrals"
		body := `{"agreement_id": "` + w.isa + `", "kind": "target_hardening", "share": ["name", "address"], "request": "Fit new locks front and back"`
		r := w.do(t, "POST", path, w.workerTok, "", body+`}`)
		if got := fieldsOf(t, r); r.status != http.StatusUnprocessableEntity || !slices.Equal(got, []string{"consent"}) {
			t.Fatalf("no consent: %d %s", r.status, r.body)
		}
		if r := w.do(t, "POST", path, w.otherTok, "", body+`, "consent": true}`); r.status != http.StatusForbidden && r.status != http.StatusNotFound {
			t.Fatalf("another team's worker: %d %s", r.status, r.body)
		}
		if n := w.count(t, `SELECT count(*) FROM partner_referrals`); n != 0 {
			t.Fatalf("%d referrals written by refused requests", n)
		}
		var sent api.PartnerReferralView
		r = w.do(t, "POST", path, w.workerTok, "", body+`, "consent": true}`)
		if r.decode(t, &sent); r.status != http.StatusCreated || sent.ClientID != w.client || sent.Shared.Address != "5 Secret Lane" || sent.Status != "sent" ||
			sent.PartnerID != w.locksmith || !slices.Equal(sent.Moves, []string{"withdrawn"}) {
			t.Fatalf("refer: %d %s", r.status, r.body)
		}
		var list api.PartnerReferralList
		r = w.do(t, "GET", path, w.workerTok, "", "")
		if r.decode(t, &list); r.status != http.StatusOK || len(list.Referrals) != 1 {
			t.Fatalf("client's referrals: %d %s", r.status, r.body)
		}
		// Staff tokens cannot use the agency routes; agency tokens cannot
		// use the staff routes.
		if r := w.do(t, "GET", "/api/v1/agency/referrals", w.workerTok, "", ""); r.status != http.StatusForbidden {
			t.Fatalf("staff token on the agency route: %d %s", r.status, r.body)
		}
		if r := w.do(t, "GET", path, w.locksmithTok, "", ""); r.status != http.StatusForbidden || w.code(t, r) != "staff_token_required" {
			t.Fatalf("agency token on a staff route: %d %s", r.status, r.body)
		}

		// The police see none of it.
		r = w.do(t, "GET", "/api/v1/agency/referrals", w.policeTok, "", "")
		if r.decode(t, &list); r.status != http.StatusOK || len(list.Referrals) != 0 {
			t.Fatalf("police list: %d %s", r.status, r.body)
		}
		status := "/api/v1/agency/referrals/" + sent.ID + "/status"
		if r := w.do(t, "POST", status, w.policeTok, "", `{"to": "accepted", "version": 1}`); r.status != http.StatusNotFound {
			t.Fatalf("police move the locksmith's referral: %d %s", r.status, r.body)
		}
		// The locksmith sees it, shared fields only.
		r = w.do(t, "GET", "/api/v1/agency/referrals", w.locksmithTok, "", "")
		if r.decode(t, &list); r.status != http.StatusOK || len(list.Referrals) != 1 || list.Referrals[0].ID != sent.ID || list.Referrals[0].ClientID != "" ||
			strings.Contains(r.body, w.client) || list.Referrals[0].Shared.Name != "Zephyrine Quillfeather" || !slices.Equal(list.Referrals[0].Moves, []string{"accepted", "declined"}) {
			t.Fatalf("locksmith list: %d %s", r.status, r.body)
		}
		v := list.Referrals[0].Version
		if r := w.do(t, "POST", status, w.locksmithTok, "", `{"to": "done", "version": `+strconv.Itoa(v)+`}`); r.status != http.StatusUnprocessableEntity ||
			!slices.Equal(fieldsOf(t, r), []string{"to"}) {
			t.Fatalf("skip to done: %d %s", r.status, r.body)
		}
		var moved api.PartnerReferralView
		r = w.do(t, "POST", status, w.locksmithTok, "", `{"to": "accepted", "version": `+strconv.Itoa(v)+`}`)
		if r.decode(t, &moved); r.status != http.StatusOK || moved.Status != "accepted" || moved.ClientID != "" {
			t.Fatalf("accept: %d %s", r.status, r.body)
		}
		if r := w.do(t, "POST", status, w.locksmithTok, "", `{"to": "done", "version": `+strconv.Itoa(v)+`}`); r.status != http.StatusConflict {
			t.Fatalf("stale move: %d %s", r.status, r.body)
		}
		r = w.do(t, "POST", status, w.locksmithTok, "", `{"to": "done", "note": "Locks fitted", "version": `+strconv.Itoa(moved.Version)+`}`)
		if r.decode(t, &moved); r.status != http.StatusOK || moved.Status != "done" || len(moved.Events) != 3 || moved.Events[2].Note != "Locks fitted" {
			t.Fatalf("done: %d %s", r.status, r.body)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'partner.referral_done' AND COALESCE(actor_id, '') = '' AND record_id = $1 AND purpose LIKE $2`,
			w.client, "%via API token "+w.locksmithTokID); n != 1 {
			t.Fatalf("%d agency moves audited naming the token", n)
		}
		// The worker sees it done and can no longer withdraw it.
		if r := w.do(t, "POST", "/api/v1/partner-referrals/"+sent.ID+"/withdraw", w.workerTok, "", `{"note": "No longer needed", "version": `+strconv.Itoa(moved.Version)+`}`); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("withdraw a done referral: %d %s", r.status, r.body)
		}
		// A second referral is withdrawn by the worker; the locksmith
		// then sees it withdrawn and can move it nowhere.
		r = w.do(t, "POST", path, w.workerTok, "", body+`, "consent": true}`)
		if r.decode(t, &sent); r.status != http.StatusCreated {
			t.Fatalf("second referral: %d %s", r.status, r.body)
		}
		r = w.do(t, "POST", "/api/v1/partner-referrals/"+sent.ID+"/withdraw", w.workerTok, "", `{"note": "She moved away", "version": `+strconv.Itoa(sent.Version)+`}`)
		if r.decode(t, &sent); r.status != http.StatusOK || sent.Status != "withdrawn" {
			t.Fatalf("withdraw: %d %s", r.status, r.body)
		}
		if logs := w.logs.String(); strings.Contains(logs, "Secret Lane") || strings.Contains(logs, "Zephyrine") || !strings.Contains(logs, w.locksmithTokID) {
			t.Fatalf("logs: %s", logs)
		}
	})
}

// Volunteer matches: the worker matches a volunteer (no address or
// contact details in the answer), lists and ends it; another team's
// worker cannot.
func TestOutreachVolunteerMatchesThroughAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newOutreachWorld(t, d)
		path := "/api/v1/clients/" + w.client + "/volunteer-matches"
		if r := w.do(t, "POST", path, w.workerTok, "", `{"volunteer_id": "`+w.worker.StaffID+`", "kind": "befriending", "purpose": "Walks"}`); r.status != http.StatusUnprocessableEntity ||
			!slices.Equal(fieldsOf(t, r), []string{"volunteer_id"}) {
			t.Fatalf("a worker as volunteer: %d %s", r.status, r.body)
		}
		if r := w.do(t, "POST", path, w.workerTok, "", `{"volunteer_id": "nobody", "kind": "befriending", "purpose": "Walks"}`); r.status != http.StatusUnprocessableEntity ||
			!slices.Equal(fieldsOf(t, r), []string{"volunteer_id"}) {
			t.Fatalf("not an ID: %d %s", r.status, r.body)
		}
		body := `{"volunteer_id": "` + w.volunteer.StaffID + `", "kind": "appointments", "purpose": "Goes with her to court", "share_address": true}`
		if r := w.do(t, "POST", path, w.otherTok, "", body); r.status != http.StatusForbidden && r.status != http.StatusNotFound {
			t.Fatalf("another team's worker: %d %s", r.status, r.body)
		}
		mid := w.created(t, w.do(t, "POST", path, w.workerTok, "", body), "match")
		var list api.MatchList
		r := w.do(t, "GET", path, w.workerTok, "", "")
		if r.decode(t, &list); r.status != http.StatusOK || len(list.Matches) != 1 || list.Matches[0].ID != mid || list.Matches[0].Ended || !list.Matches[0].ShareAddress ||
			list.Matches[0].Purpose != "Goes with her to court" || strings.Contains(r.body, "Secret Lane") || strings.Contains(r.body, "07700") {
			t.Fatalf("matches: %d %s", r.status, r.body)
		}
		if r := w.do(t, "POST", "/api/v1/volunteer-matches/"+mid+"/end", w.otherTok, "", ""); r.status != http.StatusForbidden && r.status != http.StatusNotFound {
			t.Fatalf("another team's worker ends it: %d %s", r.status, r.body)
		}
		if r := w.do(t, "POST", "/api/v1/volunteer-matches/"+mid+"/end", w.workerTok, "", ""); r.status != http.StatusOK {
			t.Fatalf("end: %d %s", r.status, r.body)
		}
		r = w.do(t, "GET", path, w.workerTok, "", "")
		if r.decode(t, &list); len(list.Matches) != 1 || !list.Matches[0].Ended {
			t.Fatalf("ended: %s", r.body)
		}
		if r := w.do(t, "POST", "/api/v1/volunteer-matches/not-an-id/end", w.workerTok, "", ""); r.status != http.StatusNotFound {
			t.Fatalf("bad id: %d %s", r.status, r.body)
		}
	})
}
