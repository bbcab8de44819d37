package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"frontdoor/internal/access"
	"frontdoor/internal/api"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/id"
	"frontdoor/internal/intake"
	"frontdoor/internal/outreach"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/web"
)

// The access table: every page and API route that takes a record's ID,
// for every role, in every place a member of staff can stand to a client
// (her own team, her organisation, the partner organisation running her
// refuge stay, the partner agency she was referred to, an unrelated
// organisation, and her own team and the partner when she is restricted
// to others). Each answer must be what the rules say; a refusal must say
// nothing a random ID would not, name nobody, and leave one event in the
// audit trail.

// placement is where a column's staff work.
type placement struct {
	name string
	org  string
	team string // "" for none
}

// outcome is what a request must get: allowed (neither 403 nor 404 nor a
// fault; it may still fail on its form), refused (403) or hidden (404,
// as for an ID that names nothing).
type outcome string

const (
	allowed outcome = "allowed"
	refused outcome = "refused"
	hidden  outcome = "hidden"
)

// column is one place a member of staff stands to one client.
type column struct {
	name string
	at   placement
	fx   *clientWorld
	// rel is how the column's staff (other than partner agency users)
	// stand to the client; agencyRel is a partner agency user's.
	rel, agencyRel access.Relation
	// runsRefuge: the column's refuge workers and managers run the
	// property of the client's stay.
	runsRefuge bool
}

// relation is the column's relation for a role.
func (c column) relation(role access.Role) access.Relation {
	if role == access.RolePartnerAgencyUser {
		return c.agencyRel
	}
	return c.rel
}

// asker is one member of staff of a column: a browser signed in, and a
// staff token when the role can hold one.
type asker struct {
	role    access.Role
	browser *harness
	actor   access.Actor
	token   string // "" when the role can never use a staff token
}

// clientWorld is one client and every record that belongs to her.
type clientWorld struct {
	name                                  string
	client, child, perpetrator            string
	referral, caseID                      string
	assessment, task, maracRef, maracAct  string
	meeting                               string
	plan, need, planAction                string
	session, escalation                   string
	partnerRef, agencyRef                 string
	match, volunteer                      string
	refugeRef, heldRef, stay, application string
	childTask                             string
	contact, alert                        string
	unit                                  string // a free unit for her household
	livingUnit                            string // the unit her household lives in
	creator                               access.Actor
	values                                []string // what a refusal must never show
}

// tableWorld is everything the table needs.
type tableWorld struct {
	*frontDoor
	api                             *httptest.Server
	orgB, orgC, agency, teamB       string
	isa                             string
	property                        string
	units                           []string
	manager, dutyManager, volunteer access.Actor
	partnerToken, referralToken     string
	inboundRef                      string
	columns                         []column
	askers                          map[string][]asker // placement name → one per role
}

// staffIn adds a member of staff anywhere and signs them in.
func (f *frontDoor) staffIn(t *testing.T, org, username string, role access.Role, teams ...string) (*harness, access.Actor) {
	t.Helper()
	ctx := context.Background()
	st, err := f.auth.AddStaff(ctx, auth.NewStaff{OrganisationID: org, Username: username, DisplayName: "Staff " + username, Role: role, TeamIDs: teams})
	if err != nil {
		t.Fatal(err)
	}
	link, _ := f.auth.IssueSetupLink(ctx, st.ID)
	partial, _, err := f.auth.CompleteSetup(ctx, link, auth.SetupForm{Password: "violet harbour signal", Confirm: "violet harbour signal"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.auth.BeginEnrolment(ctx, partial)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(e.Secret, f.clock.Now())
	full, _, err := f.auth.ConfirmEnrolment(ctx, partial, code)
	if err != nil {
		t.Fatal(err)
	}
	c := f.clone(t)
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(f.ts.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "frontdoor-session", Value: full, Path: "/"}})
	c.client.Jar = jar
	return c, access.Actor{StaffID: st.ID, Role: role, OrganisationID: org, TeamIDs: teams}
}

func newTableWorld(t *testing.T, d store.Dialect) *tableWorld {
	t.Helper()
	ctx := context.Background()
	f := newFrontDoor(t, d)
	f.auth.IdleTimeout = 72 * time.Hour
	f.auth.AbsoluteTimeout = 72 * time.Hour
	rs := attachRefuge(f)
	os := attachOutreach(f)
	w := &tableWorld{frontDoor: f, orgB: "0190f2a0-0000-7000-8000-0000000000b1", orgC: "0190f2a0-0000-7000-8000-0000000000c1",
		teamB: "team-b-refuge", askers: map[string][]asker{}}
	now := f.clock.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.db.Write(ctx, func(tx *store.Tx) error {
		for _, o := range [][3]string{{w.orgB, "Partner Refuge Trust", "refuge_operator"}, {w.orgC, "Unrelated Housing", "housing_association"}} {
			if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, $3, $4)`, o[0], o[1], o[2], now); err != nil {
				return err
			}
		}
		for _, tm := range [][3]string{{w.teamB, w.orgB, "refuge"}, {"team-c", w.orgC, "outreach"}} {
			if _, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ($1, $2, $1, $3, $4)`, tm[0], tm[1], tm[2], now); err != nil {
				return err
			}
		}
		return nil
	}))

	// The partner organisation runs a refuge with a unit for each
	// household and each hold.
	w.property = "0190f2a0-0000-7000-8000-00000000b0b0"
	var units []refuge.NewUnit
	for i := range 6 {
		id := fmt.Sprintf("0190f2a0-0000-7000-8000-00000000b0%02d", i+1)
		w.units = append(w.units, id)
		units = append(units, refuge.NewUnit{ID: id, Name: fmt.Sprintf("Flat %d", i+1), Bedspaces: 2})
	}
	must(rs.ImportProperties(ctx, []refuge.NewProperty{{ID: w.property, TeamID: w.teamB, Name: "Partner House", Kind: refuge.Satellite,
		Town: "Southtown", Area: "South", Address: "9 Secret Row, Southtown", Accepts: refuge.Criteria{Service: refuge.Women, MaxHouseholdSize: 3, MaxChildren: 2, MaxBoyAge: 17, OutOfArea: true},
		Units: units}}))

	// People the fixtures need: the client's creator, the outreach team's
	// managers (one restricts, one is on duty), a refuge worker and
	// manager of the partner, a volunteer, the partnership's
	// administrator (who registers the agency).
	_, w.manager = f.staffIn(t, f.org, "fx.manager", access.RoleTeamManager, "team-outreach")
	_, w.dutyManager = f.staffIn(t, f.org, "fx.duty", access.RoleTeamManager, "team-outreach")
	_, w.volunteer = f.staffIn(t, f.org, "fx.volunteer", access.RoleVolunteer, "team-outreach")
	_, refugeWorker := f.staffIn(t, w.orgB, "fx.refuge", access.RoleRefugeWorker, w.teamB)
	_, admin := f.staffIn(t, f.org, "fx.admin", access.RoleAdministrator)
	agencyID, err := os.RegisterAgency(ctx, admin, "Locks For Safety", "security")
	must(err)
	w.agency = agencyID
	w.isa, err = os.AddAgreement(ctx, admin, outreach.Agreement{PartnerID: agencyID, Title: "Sanctuary ISA", LegalBasis: "public_task", StartsOn: now.AddDate(-1, 0, 0)})
	must(err)

	f1 := w.clientFixture(t, "Open", 0, refugeWorker)
	f2 := w.clientFixture(t, "Restricted", 2, refugeWorker)
	must(f.srv.Options.People.Restrict(ctx, w.manager, f2.client, []string{f2.creator.StaffID}))

	// A partner agency's token (the agency's own system) and a referral
	// token of the partnership's police, with one referral sent in.
	var tok string
	tok, _, err = f.auth.CreateToken(ctx, "", agencyID, "agency system", []string{auth.ScopeAgencyRead, auth.ScopeAgencyUpdate}, 24*time.Hour)
	must(err)
	w.partnerToken = tok

	// Where the columns' staff stand.
	places := []placement{
		{"own team", f.org, "team-outreach"}, {"own organisation", f.org, "team-helpline"}, {"partner organisation", w.orgB, w.teamB},
		{"partner agency", agencyID, ""}, {"unrelated", w.orgC, "team-c"},
	}
	for _, p := range places {
		for _, role := range access.Roles {
			username := strings.ReplaceAll(p.name, " ", ".") + "." + string(role)
			var teams []string
			if p.team != "" {
				teams = []string{p.team}
			}
			b, a := f.staffIn(t, p.org, username, role, teams...)
			as := asker{role: role, browser: b, actor: a}
			if auth.StaffScopeUsable(role, auth.ScopeAccommodation) && auth.StaffScopeUsable(role, auth.ScopeOutreach) {
				as.token, _, err = f.auth.CreateStaffToken(ctx, "", a.StaffID, "table", []string{auth.ScopeAccommodation, auth.ScopeOutreach}, 24*time.Hour)
				must(err)
			}
			w.askers[p.name] = append(w.askers[p.name], as)
		}
	}
	w.columns = []column{
		{name: "own team", at: places[0], fx: f1, rel: access.SameTeam, agencyRel: access.SameTeam},
		{name: "own organisation", at: places[1], fx: f1, rel: access.SameOrganisation, agencyRel: access.SameOrganisation},
		{name: "partner organisation", at: places[2], fx: f1, rel: access.PartnerTeam, agencyRel: access.NoRelation, runsRefuge: true},
		{name: "partner agency", at: places[3], fx: f1, rel: access.NoRelation, agencyRel: access.SharedWithAgency},
		{name: "unrelated", at: places[4], fx: f1, rel: access.NoRelation, agencyRel: access.NoRelation},
		{name: "restricted, own team", at: places[0], fx: f2, rel: access.RestrictedOther, agencyRel: access.RestrictedOther},
		{name: "restricted, partner", at: places[2], fx: f2, rel: access.RestrictedOutside, agencyRel: access.RestrictedOutside, runsRefuge: true},
	}

	// The API server, over the same services.
	o := f.srv.Options
	a, err := api.New(api.Options{DB: f.db, Auth: f.auth, Intake: o.Intake, Refuge: o.Refuge, Outreach: o.Outreach, Record: o.Record, ReadLog: o.ReadLog, Now: f.clock.Now})
	must(err)
	w.api = httptest.NewServer(a.Handler())
	t.Cleanup(w.api.Close)
	return w
}

// clientFixture makes a client of the outreach team with every kind of
// record that belongs to a client, her household living in the partner's
// refuge (units[first]), a second hold on units[first+1] that she declined
// (so that offering, accepting or admitting it is a conflict once access
// is decided), and values a refusal must never show.
func (w *tableWorld) clientFixture(t *testing.T, name string, first int, refugeWorker access.Actor) *clientWorld {
	t.Helper()
	ctx := context.Background()
	f := w.frontDoor
	o := f.srv.Options
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s fixture: %v", name, err)
		}
	}
	fx := &clientWorld{name: name}
	_, fx.creator = f.staffIn(t, f.org, "creator."+strings.ToLower(name), access.RoleOutreachWorker, "team-outreach")
	by := fx.creator
	given, family := "Table"+name, "Client"+name
	address := "17 " + name + " Gardens"
	c, err := o.People.Create(ctx, by, people.NewClient{GivenName: given, FamilyName: family, TeamID: "team-outreach",
		Details: people.Details{Gender: "female", Address: address, DateOfBirth: "1991-03-04",
			SafeContact: people.SafeContact{Phone: "07700 900777", Text: people.Unsafe, Voicemail: people.Unsafe, Email: people.Unsafe, Post: people.Unsafe}}})
	must(err)
	fx.client = c.ID
	ch, err := o.People.CreateChild(ctx, by, c.ID, people.NewChild{GivenName: "Kid" + name, FamilyName: family})
	must(err)
	fx.child = ch.ID
	p, err := o.People.CreatePerpetrator(ctx, by, c.ID, people.NewPerpetrator{GivenName: "Perp" + name, FamilyName: "Harm" + name, Relationship: "ex_partner",
		Details: people.PerpetratorDetails{DateOfBirth: "1985-05-06"}})
	must(err)
	fx.perpetrator = p.ID
	// Someone presenting as a victim who matches her perpetrator: a
	// counter-allegation alert for the team's managers.
	presenting, err := o.People.Create(ctx, by, people.NewClient{GivenName: "Perp" + name, FamilyName: "Harm" + name, TeamID: "team-outreach",
		Details: people.Details{DateOfBirth: "1985-05-06"}})
	must(err)
	must(f.db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT id FROM match_alerts WHERE client_id = $1 AND perpetrator_id = $2`, []any{presenting.ID, p.ID}, &fx.alert)
	}))
	fx.values = []string{given, family, address, "Kid" + name, "Perp" + name, "07700 900777"}

	// The front door: a referral triaged into an outreach case, and a
	// call with a callback.
	ref, err := o.Intake.CreateReferral(ctx, by, intake.NewReferral{ClientID: c.ID, Source: intake.FromPolice, RiskLevel: intake.RiskHigh, Summary: "call-out last night"})
	must(err)
	fx.referral = ref.ID
	tr, err := o.Intake.TriageReferral(ctx, by, ref.ID, intake.NewTriage{Decision: intake.Allocate, Service: intake.Outreach, TeamID: "team-outreach"})
	must(err)
	fx.caseID = tr.CaseID
	contact, err := o.Intake.LogContact(ctx, by, intake.NewContact{Channel: "phone", Direction: "in", CallerType: "victim", ServiceLine: "main",
		Outcome: "callback_needed", FollowUp: true, CallbackDue: f.clock.Now().Add(48 * time.Hour), ClientID: c.ID, Note: "call back " + name})
	must(err)
	fx.contact = contact.ID

	// Risk: a high assessment, its IDVA task closed, its MARAC referral
	// heard with one action, done.
	set, err := o.Risk.Set(ctx, risk.DefaultSetID, 0)
	must(err)
	n := risk.NewAssessment{ClientID: c.ID}
	for i, it := range set.Items {
		v := risk.No
		if i < 15 {
			v = risk.Yes
		}
		n.Answers = append(n.Answers, risk.AnswerInput{Key: it.Key, Value: v, Source: risk.FromClient})
	}
	res, err := o.Risk.Assess(ctx, by, n)
	must(err)
	fx.assessment, fx.task, fx.maracRef = res.AssessmentID, res.IDVATaskID, res.ReferralID
	must(o.Risk.CloseTask(ctx, by, fx.task, "an IDVA already works with her"))
	m, err := o.Risk.CreateMeeting(ctx, w.manager, risk.NewMeeting{Date: f.clock.Now().AddDate(0, 0, 7), Area: "North " + name})
	must(err)
	fx.meeting = m.ID
	must(o.Risk.AddToAgenda(ctx, by, m.ID, fx.maracRef))
	fx.maracAct, err = o.Risk.RecordAction(ctx, by, fx.maracRef, risk.NewAction{OwnerStaffID: by.StaffID, Due: f.clock.Now().AddDate(0, 0, 21), Text: "Refer for sanctuary locks"})
	must(err)
	must(o.Risk.CompleteAction(ctx, by, fx.maracAct))

	// Outreach: a plan with a need and a done action; a home visit whose
	// check-in was missed, escalated and answered; a visit to come.
	fx.plan, err = o.Outreach.StartPlan(ctx, by, c.ID)
	must(err)
	fx.need, err = o.Outreach.AddNeed(ctx, by, fx.plan, outreach.NewNeed{Area: outreach.Housing, Need: "a safe home", Goals: "locks fitted"})
	must(err)
	fx.planAction, err = o.Outreach.AddAction(ctx, by, outreach.NewAction{NeedID: fx.need, Text: "Call the locksmith", OwnerID: by.StaffID, Due: f.clock.Now().AddDate(0, 0, 7)})
	must(err)
	must(o.Outreach.CompleteAction(ctx, by, fx.planAction))
	late, err := o.Outreach.Book(ctx, by, outreach.NewSessions{ClientID: c.ID, Kind: outreach.HomeVisit, Start: f.clock.Now().Add(time.Hour), Duration: time.Hour, Weeks: 1, Reminder: outreach.NoReminder})
	must(err)
	f.clock.Advance(3 * time.Hour)
	if k, err := o.Outreach.Escalate(ctx); err != nil || k != 1 {
		t.Fatalf("%s fixture: %d escalations of the missed check-in, %v", name, k, err)
	}
	esc, err := o.Outreach.Escalations(ctx, w.dutyManager)
	must(err)
	for _, e := range esc {
		if e.SessionID == late[0] {
			fx.escalation = e.ID
		}
	}
	if fx.escalation == "" {
		t.Fatalf("%s fixture: no escalation for the missed visit", name)
	}
	must(o.Outreach.Respond(ctx, w.dutyManager, fx.escalation, "rang the worker: safe, phone was flat"))
	sessions, err := o.Outreach.Book(ctx, by, outreach.NewSessions{ClientID: c.ID, Kind: outreach.HomeVisit, Start: f.clock.Now().Add(24 * time.Hour), Duration: time.Hour, Weeks: 1, Reminder: outreach.NoReminder})
	must(err)
	fx.session = sessions[0]

	// A partner referral to the agency; a volunteer match, ended.
	fx.partnerRef, err = o.Outreach.ReferToPartner(ctx, by, outreach.NewPartnerReferral{ClientID: c.ID, AgreementID: w.isa, Kind: "target_hardening", Share: []outreach.ShareField{"name"}, Request: "Locks for " + name})
	must(err)
	fx.match, err = o.Outreach.MatchVolunteer(ctx, by, outreach.NewMatch{ClientID: c.ID, VolunteerID: w.volunteer.StaffID, Kind: "befriending", Purpose: "Walks"})
	must(err)
	must(o.Outreach.EndMatch(ctx, by, fx.match))
	fx.volunteer = w.volunteer.StaffID

	// Accommodation: the household lives in the partner's refuge, with a
	// move-on plan and a housing application; a second hold has run out.
	rsv := o.Refuge
	household := refuge.Household{ClientID: c.ID, Adults: 1, Children: []refuge.Child{{Age: 6}}, Service: refuge.Women}
	held, err := rsv.Hold(ctx, by, refuge.HoldRequest{UnitID: w.units[first], Household: household})
	must(err)
	fx.refugeRef = held.ID
	_, err = rsv.Offer(ctx, refugeWorker, held.ID)
	must(err)
	_, err = rsv.Accept(ctx, by, held.ID)
	must(err)
	st, err := rsv.Admit(ctx, refugeWorker, held.ID, refuge.Admission{MoveIn: f.clock.Now(), ChildIDs: []string{ch.ID}})
	must(err)
	fx.stay, fx.livingUnit = st.ID, w.units[first]
	must(rsv.SaveMoveOnPlan(ctx, refugeWorker, st.ID, 0, refuge.PlanInput{Goal: refuge.SocialHousing, TargetDate: f.clock.Now().AddDate(0, 3, 0), Notes: "bidding"}))
	app, err := rsv.AddHousingApplication(ctx, refugeWorker, st.ID, refuge.NewHousingApplication{Provider: "Northshire Homes", AppliedOn: f.clock.Now(), Band: "A"})
	must(err)
	fx.application = app.ID
	tasks, err := rsv.ChildTasks(ctx, refugeWorker, st.ID)
	must(err)
	if len(tasks) == 0 {
		t.Fatalf("%s fixture: no children's tasks at admission", name)
	}
	fx.childTask = tasks[0].ID
	second, err := rsv.Hold(ctx, by, refuge.HoldRequest{UnitID: w.units[first+1], Household: household})
	must(err)
	fx.heldRef = second.ID
	must(rsv.Decline(ctx, by, second.ID, refuge.Decline{By: refuge.ByClient, Reason: "client_declined"}))
	fx.unit = w.units[first+1]
	return fx
}

// Every page route that takes a record's ID, with the request that
// exercises it on a column's client and the rule its answer follows.
// Requests that change something are made to fail after access has been
// decided (a stale version, a state that no longer allows it, a field
// left out) or to change nothing the relations rest on.
type tableRoute struct {
	pattern string
	api     bool
	request func(w *tableWorld, fx *clientWorld) (path string, body url.Values)
	json    func(w *tableWorld, fx *clientWorld) (path string, body any)
	want    func(c column, role access.Role) outcome
}

// onClient is the policy's answer for act on the client.
func onClient(act access.Action) func(c column, role access.Role) outcome {
	return func(c column, role access.Role) outcome {
		d := access.DecideRelation(access.Actor{StaffID: "s", Role: role, OrganisationID: "o"}, act, c.relation(role))
		switch {
		case d.Allow:
			return allowed
		case d.Hidden:
			return hidden
		}
		return refused
	}
}

// service is the answer of a route whose action is service-wide, with the
// record then answered by rule.
func service(act access.Action, then func(c column, role access.Role) outcome) func(c column, role access.Role) outcome {
	return func(c column, role access.Role) outcome {
		if !access.Decide(access.Actor{StaffID: "s", Role: role, OrganisationID: "o"}, act, access.Record{}).Allow {
			return refused
		}
		return then(c, role)
	}
}

// refugeRecord is the rule of the refuge's records about a client (the
// referral to a vacancy, the stay and what hangs off it): those the rule
// names may; anyone else who may read the client is refused (they know of
// her stay); everyone else is told nothing, and nobody the client is
// restricted from learns of any of it.
func refugeRecord(may func(c column, role access.Role) bool) func(c column, role access.Role) outcome {
	return func(c column, role access.Role) outcome {
		switch {
		case c.relation(role).Excluded():
			return hidden
		case may(c, role):
			return allowed
		case onClient(access.ReadRecord)(c, role) == allowed:
			return refused
		}
		return hidden
	}
}

// runsRefuge: the column's staff work for the refuge (its workers and
// managers on the team that runs it).
func runsRefuge(c column, role access.Role) bool {
	return c.runsRefuge && (role == access.RoleRefugeWorker || role == access.RoleTeamManager)
}

// readsClient and changesClient are the policy's answers on the client.
func readsClient(c column, role access.Role) bool {
	return onClient(access.ReadRecord)(c, role) == allowed
}
func changesClient(c column, role access.Role) bool {
	return onClient(access.UpdateRecord)(c, role) == allowed
}

func either(a, b func(c column, role access.Role) bool) func(c column, role access.Role) bool {
	return func(c column, role access.Role) bool { return a(c, role) || b(c, role) }
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func tableRoutes() []tableRoute {
	get := func(path func(fx *clientWorld) string) func(w *tableWorld, fx *clientWorld) (string, url.Values) {
		return func(w *tableWorld, fx *clientWorld) (string, url.Values) { return path(fx), nil }
	}
	post := func(path func(fx *clientWorld) string, body func(w *tableWorld, fx *clientWorld) url.Values) func(w *tableWorld, fx *clientWorld) (string, url.Values) {
		return func(w *tableWorld, fx *clientWorld) (string, url.Values) { return path(fx), body(w, fx) }
	}
	none := func(*tableWorld, *clientWorld) url.Values { return url.Values{} }
	soon := func(days int) string { return time.Now().AddDate(0, 0, days).Format("2006-01-02") }
	var routes []tableRoute
	// Every ForRecord route, as the record-route table requests it, on the
	// client's record.
	for pattern, req := range recordRoutes {
		info := pattern
		r := req
		routes = append(routes, tableRoute{pattern: info, request: func(w *tableWorld, fx *clientWorld) (string, url.Values) {
			return r(&recordFixture{client: fx.client, child: fx.child, perpetrator: fx.perpetrator, referral: fx.referral, caseID: fx.caseID,
				assessment: fx.assessment, task: fx.task, maracReferral: fx.maracRef, maracAction: fx.maracAct, creator: fx.creator.StaffID})
		}})
	}
	routes = append(routes,
		// The front door.
		tableRoute{pattern: "POST /callbacks/{id}/done", request: post(func(fx *clientWorld) string { return "/callbacks/" + fx.contact + "/done" }, none),
			// The front door's own work, as its referrals and cases: the
			// partner running her stay does not learn of it.
			want: service(access.CreateRecord, func(c column, role access.Role) outcome {
				if c.rel == access.PartnerTeam {
					return hidden
				}
				return onClient(access.UpdateRecord)(c, role)
			})},

		// A counter-allegation alert: for the managers of the organisation
		// who may read both records (here, the outreach team's), never when
		// either is restricted from them.
		tableRoute{pattern: "POST /alerts/{id}/read", request: post(func(fx *clientWorld) string { return "/alerts/" + fx.alert + "/read" }, none),
			want: service(access.CreateRecord, func(c column, role access.Role) outcome {
				if role == access.RoleTeamManager && c.rel == access.SameTeam {
					return allowed
				}
				return hidden
			})},

		// Outreach: the plan's parts, sessions, escalations.
		tableRoute{pattern: "POST /outreach/plans/{id}/needs", request: post(func(fx *clientWorld) string { return "/outreach/plans/" + fx.plan + "/needs" },
			func(w *tableWorld, fx *clientWorld) url.Values {
				// Housing is in the plan already: a conflict.
				return form("client", fx.client, "area", "housing", "need", "again", "goals", "again")
			}), want: service(access.SearchRecords, onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /outreach/needs/{id}", request: post(func(fx *clientWorld) string { return "/outreach/needs/" + fx.need },
			func(w *tableWorld, fx *clientWorld) url.Values {
				return form("client", fx.client, "version", "999", "need", "a safe home", "goals", "locks", "progress", "stale", "status", "active")
			}), want: service(access.SearchRecords, onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /outreach/needs/{id}/actions", request: post(func(fx *clientWorld) string { return "/outreach/needs/" + fx.need + "/actions" },
			func(w *tableWorld, fx *clientWorld) url.Values {
				return form("client", fx.client, "text", "Table action", "owner", "client", "due", soon(7))
			}), want: service(access.SearchRecords, onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /outreach/actions/{id}/done", request: post(func(fx *clientWorld) string { return "/outreach/actions/" + fx.planAction + "/done" },
			func(w *tableWorld, fx *clientWorld) url.Values { return form("client", fx.client) }),
			want: service(access.SearchRecords, onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /outreach/plans/{id}/safety", request: post(func(fx *clientWorld) string { return "/outreach/plans/" + fx.plan + "/safety" },
			func(w *tableWorld, fx *clientWorld) url.Values {
				return form("client", fx.client, "version", "999", "safety_plan", "stale")
			}), want: service(access.SearchRecords, onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /outreach/plans/{id}/outcomes", request: post(func(fx *clientWorld) string { return "/outreach/plans/" + fx.plan + "/outcomes" },
			func(w *tableWorld, fx *clientWorld) url.Values {
				return form("client", fx.client, "stage", "review", "score_housing", "3", "feels_safer", "3", "abuse_stopped", "yes")
			}),
			want: service(access.SearchRecords, onClient(access.UpdateRecord))},
		tableRoute{pattern: "GET /outreach/sessions/{id}", request: get(func(fx *clientWorld) string { return "/outreach/sessions/" + fx.session }),
			want: service(access.SearchRecords, onClient(access.ReadRecord))},
		tableRoute{pattern: "POST /outreach/sessions/{id}", request: post(func(fx *clientWorld) string { return "/outreach/sessions/" + fx.session },
			func(w *tableWorld, fx *clientWorld) url.Values { return form("version", "999", "status", "missed") }),
			want: service(access.SearchRecords, onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /outreach/sessions/{id}/checkin", request: post(func(fx *clientWorld) string { return "/outreach/sessions/" + fx.session + "/checkin" }, none),
			// Only the visit's own worker checks in: anyone else who may
			// read the client is refused.
			want: service(access.SearchRecords, func(c column, role access.Role) outcome {
				if onClient(access.ReadRecord)(c, role) == allowed {
					return refused
				}
				return onClient(access.ReadRecord)(c, role)
			})},
		tableRoute{pattern: "POST /outreach/escalations/{id}/respond", request: post(func(fx *clientWorld) string { return "/outreach/escalations/" + fx.escalation + "/respond" },
			func(w *tableWorld, fx *clientWorld) url.Values { return form("response", "answered already") }),
			// The team managers of the visiting worker's teams, even when
			// the client is restricted from them (they must be able to
			// send help); the answered escalation is then a conflict.
			want: service(access.SearchRecords, func(c column, role access.Role) outcome {
				if role == access.RoleTeamManager && c.at.team == "team-outreach" {
					return allowed
				}
				return hidden
			})},

		// Partner referrals and volunteers.
		tableRoute{pattern: "POST /partner-referrals/{id}/withdraw", request: post(func(fx *clientWorld) string { return "/partner-referrals/" + fx.partnerRef + "/withdraw" },
			func(w *tableWorld, fx *clientWorld) url.Values {
				return form("client", fx.client, "version", "999", "note", "sent in error")
			}),
			want: service(access.SearchRecords, onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /agency/referrals/{id}", request: post(func(fx *clientWorld) string { return "/agency/referrals/" + fx.partnerRef },
			func(w *tableWorld, fx *clientWorld) url.Values {
				return form("version", "999", "status", "accepted", "note", "stale")
			}),
			want: service(access.AgencyReferrals, onClient(access.UpdateReferral))},
		tableRoute{pattern: "POST /volunteer-matches/{id}/end", request: post(func(fx *clientWorld) string { return "/volunteer-matches/" + fx.match + "/end" },
			func(w *tableWorld, fx *clientWorld) url.Values { return form("client", fx.client) }),
			want: service(access.SearchRecords, onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /volunteer-matches/{id}/appointments", request: post(func(fx *clientWorld) string { return "/volunteer-matches/" + fx.match + "/appointments" },
			func(w *tableWorld, fx *clientWorld) url.Values {
				return form("client", fx.client, "date", soon(3), "time", "10:00", "what", "Court")
			}), want: service(access.SearchRecords, onClient(access.UpdateRecord))},

		// Accommodation: the referral to the refuge, the stay, move-on.
		tableRoute{pattern: "POST /vacancies/units/{id}/hold", request: post(func(fx *clientWorld) string { return "/vacancies/units/" + fx.unit + "/hold" },
			func(w *tableWorld, fx *clientWorld) url.Values {
				return form("client", fx.client, "adults", "1", "child_age", "6", "child_boy", "0", "service", "women")
			}), want: service(access.SearchRecords, onClient(access.UpdateRecord))},
		// The refuge frees a unit lived in by a household whose client is
		// restricted from it by the unit, not the stay: its team may,
		// restricted or not (it says nothing about who lived there);
		// anyone else is told nothing.
		tableRoute{pattern: "POST /vacancies/units/{id}/vacate", request: post(func(fx *clientWorld) string { return "/vacancies/units/" + fx.livingUnit + "/vacate" },
			func(w *tableWorld, fx *clientWorld) url.Values {
				return form("date", "2000-01-01", "reason", "planned_move_on", "move_on", "unknown")
			}), want: service(access.SearchRecords, func(c column, role access.Role) outcome {
			if runsRefuge(c, role) {
				return allowed
			}
			return hidden
		})},
		tableRoute{pattern: "GET /refuge/referrals/{id}", request: get(func(fx *clientWorld) string { return "/refuge/referrals/" + fx.refugeRef }),
			want: service(access.SearchRecords, refugeRecord(either(runsRefuge, readsClient)))},
		tableRoute{pattern: "POST /refuge/referrals/{id}/offer", request: post(func(fx *clientWorld) string { return "/refuge/referrals/" + fx.heldRef + "/offer" }, none),
			want: service(access.SearchRecords, refugeRecord(runsRefuge))},
		tableRoute{pattern: "POST /refuge/referrals/{id}/accept", request: post(func(fx *clientWorld) string { return "/refuge/referrals/" + fx.heldRef + "/accept" }, none),
			want: service(access.SearchRecords, refugeRecord(changesClient))},
		tableRoute{pattern: "POST /refuge/referrals/{id}/decline", request: post(func(fx *clientWorld) string { return "/refuge/referrals/" + fx.refugeRef + "/decline" },
			func(w *tableWorld, fx *clientWorld) url.Values { return form("by", "refuge", "reason", "no_space") }),
			want: service(access.SearchRecords, refugeRecord(runsRefuge))},
		tableRoute{pattern: "POST /refuge/referrals/{id}/admit", request: post(func(fx *clientWorld) string { return "/refuge/referrals/" + fx.heldRef + "/admit" },
			func(w *tableWorld, fx *clientWorld) url.Values { return form("move_in", soon(0)) }),
			want: service(access.SearchRecords, refugeRecord(runsRefuge))},
		tableRoute{pattern: "GET /refuge/stays/{id}", request: get(func(fx *clientWorld) string { return "/refuge/stays/" + fx.stay }),
			want: service(access.SearchRecords, refugeRecord(runsRefuge))},
		tableRoute{pattern: "POST /refuge/stays/{id}/expected-move-out", request: post(func(fx *clientWorld) string { return "/refuge/stays/" + fx.stay + "/expected-move-out" },
			func(w *tableWorld, fx *clientWorld) url.Values { return form("expected_move_out", soon(60)) }),
			want: service(access.SearchRecords, refugeRecord(runsRefuge))},
		tableRoute{pattern: "POST /refuge/stays/{id}/depart", request: post(func(fx *clientWorld) string { return "/refuge/stays/" + fx.stay + "/depart" },
			func(w *tableWorld, fx *clientWorld) url.Values {
				return form("date", soon(0), "reason", "", "move_on", "")
			}),
			want: service(access.SearchRecords, refugeRecord(runsRefuge))},
		tableRoute{pattern: "POST /refuge/stays/{id}/child-tasks", request: post(func(fx *clientWorld) string { return "/refuge/stays/" + fx.stay + "/child-tasks" },
			func(w *tableWorld, fx *clientWorld) url.Values {
				return form("task", fx.childTask, "status", "done", "note", "registered")
			}),
			want: service(access.SearchRecords, refugeRecord(runsRefuge))},
		tableRoute{pattern: "POST /refuge/stays/{id}/moveon-plan", request: post(func(fx *clientWorld) string { return "/refuge/stays/" + fx.stay + "/moveon-plan" },
			func(w *tableWorld, fx *clientWorld) url.Values {
				return form("version", "999", "goal", "social_housing", "target_date", soon(90), "notes", "stale")
			}), want: service(access.SearchRecords, refugeRecord(runsRefuge))},
		tableRoute{pattern: "POST /refuge/stays/{id}/housing-applications", request: post(func(fx *clientWorld) string { return "/refuge/stays/" + fx.stay + "/housing-applications" },
			func(w *tableWorld, fx *clientWorld) url.Values {
				return form("provider", "Table Homes", "applied_on", soon(0))
			}),
			want: service(access.SearchRecords, refugeRecord(runsRefuge))},
		tableRoute{pattern: "POST /refuge/stays/{id}/housing-events", request: post(func(fx *clientWorld) string { return "/refuge/stays/" + fx.stay + "/housing-events" },
			func(w *tableWorld, fx *clientWorld) url.Values {
				// Housed straight after applying: refused once access is decided.
				return form("application", fx.application, "kind", "housed", "event_date", soon(0))
			}), want: service(access.SearchRecords, refugeRecord(runsRefuge))},

		// MARAC: a meeting lists its agenda (the client only where she may
		// be read); the meeting itself is the service's.
		tableRoute{pattern: "GET /marac/meetings/{id}", request: get(func(fx *clientWorld) string { return "/marac/meetings/" + fx.meeting }),
			want: service(access.CreateRecord, func(c column, role access.Role) outcome {
				if c.at.team == "team-outreach" || c.at.team == "team-helpline" {
					return allowed
				}
				return hidden
			})},
	)

	// The API's record routes, for staff tokens (and the agency's own).
	staff := func(want func(c column, role access.Role) outcome) func(c column, role access.Role) outcome {
		return func(c column, role access.Role) outcome {
			if !auth.StaffScopeUsable(role, auth.ScopeOutreach) {
				return "" // no token to ask with
			}
			return want(c, role)
		}
	}
	apiGet := func(path func(fx *clientWorld) string) func(w *tableWorld, fx *clientWorld) (string, any) {
		return func(w *tableWorld, fx *clientWorld) (string, any) { return path(fx), nil }
	}
	apiPost := func(path func(fx *clientWorld) string, body func(w *tableWorld, fx *clientWorld) any) func(w *tableWorld, fx *clientWorld) (string, any) {
		return func(w *tableWorld, fx *clientWorld) (string, any) { return path(fx), body(w, fx) }
	}
	routes = append(routes,
		tableRoute{pattern: "GET /api/v1/accommodation-referrals/{id}", api: true, json: apiGet(func(fx *clientWorld) string { return "/api/v1/accommodation-referrals/" + fx.refugeRef }),
			want: staff(refugeRecord(either(runsRefuge, readsClient)))},
		tableRoute{pattern: "POST /api/v1/accommodation-referrals/{id}/offer", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/accommodation-referrals/" + fx.heldRef + "/offer" },
			func(*tableWorld, *clientWorld) any { return map[string]any{} }), want: staff(refugeRecord(runsRefuge))},
		tableRoute{pattern: "POST /api/v1/accommodation-referrals/{id}/accept", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/accommodation-referrals/" + fx.heldRef + "/accept" },
			func(*tableWorld, *clientWorld) any { return map[string]any{} }), want: staff(refugeRecord(changesClient))},
		tableRoute{pattern: "POST /api/v1/accommodation-referrals/{id}/decline", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/accommodation-referrals/" + fx.refugeRef + "/decline" },
			func(*tableWorld, *clientWorld) any { return map[string]any{"by": "refuge", "reason": "no_space"} }), want: staff(refugeRecord(runsRefuge))},
		tableRoute{pattern: "POST /api/v1/accommodation-referrals/{id}/admit", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/accommodation-referrals/" + fx.heldRef + "/admit" },
			func(*tableWorld, *clientWorld) any { return map[string]any{"move_in": time.Now().Format("2006-01-02")} }), want: staff(refugeRecord(runsRefuge))},
		tableRoute{pattern: "GET /api/v1/stays/{id}", api: true, json: apiGet(func(fx *clientWorld) string { return "/api/v1/stays/" + fx.stay }),
			want: staff(refugeRecord(runsRefuge))},
		tableRoute{pattern: "POST /api/v1/stays/{id}/departure", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/stays/" + fx.stay + "/departure" },
			func(*tableWorld, *clientWorld) any {
				// Before the move-in: refused once access is decided.
				return map[string]any{"date": "2000-01-01", "reason": "planned_move_on", "move_on": "unknown"}
			}), want: staff(refugeRecord(runsRefuge))},
		tableRoute{pattern: "GET /api/v1/clients/{id}/plan", api: true, json: apiGet(func(fx *clientWorld) string { return "/api/v1/clients/" + fx.client + "/plan" }),
			want: staff(onClient(access.ReadRecord))},
		tableRoute{pattern: "POST /api/v1/clients/{id}/plan", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/clients/" + fx.client + "/plan" },
			func(*tableWorld, *clientWorld) any { return map[string]any{} }), want: staff(onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /api/v1/plans/{id}/needs", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/plans/" + fx.plan + "/needs" },
			func(*tableWorld, *clientWorld) any {
				return map[string]any{"area": "housing", "need": "again", "goals": "again"}
			}), want: staff(onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /api/v1/needs/{id}", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/needs/" + fx.need },
			func(*tableWorld, *clientWorld) any {
				return map[string]any{"version": 999, "need": "a safe home", "goals": "locks", "status": "active", "progress": "stale"}
			}), want: staff(onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /api/v1/needs/{id}/actions", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/needs/" + fx.need + "/actions" },
			func(*tableWorld, *clientWorld) any {
				// An owner who is no member of staff: refused once access is decided.
				return map[string]any{"text": "Call the council", "due": time.Now().AddDate(0, 0, 7).Format("2006-01-02"), "owner_id": unknownID}
			}), want: staff(onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /api/v1/actions/{id}/done", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/actions/" + fx.planAction + "/done" },
			func(*tableWorld, *clientWorld) any { return map[string]any{} }), want: staff(onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /api/v1/plans/{id}/safety-plan", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/plans/" + fx.plan + "/safety-plan" },
			func(*tableWorld, *clientWorld) any { return map[string]any{"version": 999, "safety_plan": "stale"} }), want: staff(onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /api/v1/plans/{id}/outcomes", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/plans/" + fx.plan + "/outcomes" },
			func(*tableWorld, *clientWorld) any {
				// A score for an area the plan has no need in.
				return map[string]any{"stage": "review", "scores": []map[string]any{{"area": "legal", "score": 3}}, "feels_safer": 3, "abuse_stopped": "yes"}
			}), want: staff(onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /api/v1/clients/{id}/sessions", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/clients/" + fx.client + "/sessions" },
			func(*tableWorld, *clientWorld) any {
				// A text reminder to a client whose rules mark texts unsafe.
				return map[string]any{"kind": "phone", "start": time.Now().AddDate(0, 0, 2).Format(time.RFC3339), "duration_minutes": 30, "weeks": 1, "reminder": "text"}
			}), want: staff(onClient(access.UpdateRecord))},
		tableRoute{pattern: "GET /api/v1/sessions/{id}", api: true, json: apiGet(func(fx *clientWorld) string { return "/api/v1/sessions/" + fx.session }),
			want: staff(onClient(access.ReadRecord))},
		tableRoute{pattern: "POST /api/v1/sessions/{id}", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/sessions/" + fx.session },
			func(*tableWorld, *clientWorld) any { return map[string]any{"version": 999, "status": "missed"} }), want: staff(onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /api/v1/sessions/{id}/checkin", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/sessions/" + fx.session + "/checkin" },
			func(*tableWorld, *clientWorld) any { return map[string]any{} }),
			want: staff(func(c column, role access.Role) outcome {
				if onClient(access.ReadRecord)(c, role) == allowed {
					return refused
				}
				return onClient(access.ReadRecord)(c, role)
			})},
		tableRoute{pattern: "GET /api/v1/clients/{id}/partner-referrals", api: true, json: apiGet(func(fx *clientWorld) string { return "/api/v1/clients/" + fx.client + "/partner-referrals" }),
			want: staff(onClient(access.ReadRecord))},
		tableRoute{pattern: "POST /api/v1/clients/{id}/partner-referrals", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/clients/" + fx.client + "/partner-referrals" },
			func(*tableWorld, *clientWorld) any {
				return map[string]any{"agreement_id": unknownID, "kind": "target_hardening", "share": []string{"name"}, "request": "Locks", "consent": true}
			}), want: staff(onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /api/v1/partner-referrals/{id}/withdraw", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/partner-referrals/" + fx.partnerRef + "/withdraw" },
			func(*tableWorld, *clientWorld) any { return map[string]any{"version": 999, "note": "sent in error"} }), want: staff(onClient(access.UpdateRecord))},
		tableRoute{pattern: "GET /api/v1/clients/{id}/volunteer-matches", api: true, json: apiGet(func(fx *clientWorld) string { return "/api/v1/clients/" + fx.client + "/volunteer-matches" }),
			want: staff(onClient(access.ReadRecord))},
		tableRoute{pattern: "POST /api/v1/clients/{id}/volunteer-matches", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/clients/" + fx.client + "/volunteer-matches" },
			func(*tableWorld, *clientWorld) any {
				return map[string]any{"volunteer_id": unknownID, "kind": "befriending", "purpose": "Walks", "share_address": false}
			}), want: staff(onClient(access.UpdateRecord))},
		tableRoute{pattern: "POST /api/v1/volunteer-matches/{id}/end", api: true, json: apiPost(func(fx *clientWorld) string { return "/api/v1/volunteer-matches/" + fx.match + "/end" },
			func(*tableWorld, *clientWorld) any { return map[string]any{} }), want: staff(onClient(access.UpdateRecord))},
	)
	return routes
}

// notFoundShape reduces an answer to what a reader could compare: the
// status and the body without its request reference.
var reference = regexp.MustCompile(`[0-9a-f]{16}`)

func shape(status int, body string) string {
	return fmt.Sprintf("%d %s", status, reference.ReplaceAllString(body, "REF"))
}

func (w *tableWorld) refusals(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.db.Read(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = $1`, []any{audit.ActionRefused}, &n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// refusalsOf counts the refusals the request with this ID recorded. The
// request has been answered, so its events are in the trail, among the
// newest: read those by the chain's key rather than search every refusal.
func (w *tableWorld) refusalsOf(t *testing.T, requestID string) int {
	t.Helper()
	if requestID == "" {
		t.Fatal("a response without its request ID")
	}
	n := 0
	if err := w.db.Read(context.Background(), func(tx *store.Tx) error {
		rows, err := tx.Query(context.Background(), `SELECT action, request_id FROM audit_events ORDER BY seq DESC LIMIT 32`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var action, rid string
			if err := rows.Scan(&action, &rid); err != nil {
				return err
			}
			if action == audit.ActionRefused && rid == requestID {
				n++
			}
		}
		return rows.Err()
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func (w *tableWorld) callAPI(t *testing.T, token, method, path string, body any) (int, string) {
	st, b, _ := w.callAPIWithID(t, token, method, path, body)
	return st, b
}

// callAPIWithID is callAPI with the request's ID, which its audit events
// carry.
func (w *tableWorld) callAPIWithID(t *testing.T, token, method, path string, body any) (int, string, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.api.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("X-Request-Id")
}

// swapID puts an ID that names nothing in place of the path's record ID.
var uuidInPath = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func swapID(path string) string {
	done := false
	return uuidInPath.ReplaceAllStringFunc(path, func(s string) string {
		if done {
			return s
		}
		done = true
		return id.New()
	})
}

func TestAccessTable(t *testing.T) {
	// The two engines' tables are apart in everything: run them side by
	// side (the table is the package's longest test).
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		t.Parallel()
		w := newTableWorld(t, d)
		routes := tableRoutes()

		// The table covers every page route that takes a record's ID, and
		// every API route with one.
		covered := map[string]bool{}
		for _, r := range routes {
			covered[r.pattern] = true
		}
		for pattern, info := range w.srv.Routes() {
			if !strings.Contains(pattern, "{id}") || info.Need == web.Public || info.Need == web.SignedIn || tableExempt[pattern] != "" {
				continue
			}
			if !covered[pattern] {
				t.Errorf("page route %q takes a record ID and is not in the access table", pattern)
			}
		}
		a, _ := api.New(api.Options{DB: w.db, Auth: w.auth})
		for pattern, scope := range a.Routes() {
			if !strings.Contains(pattern, "{id}") || tableExempt[pattern] != "" {
				continue
			}
			if !covered[pattern] {
				t.Errorf("API route %q (scope %s) takes a record ID and is not in the access table", pattern, scope)
			}
		}
		if t.Failed() {
			t.FailNow()
		}

		checked := 0
		randomAnswers := map[string]string{}
		for _, c := range w.columns {
			for _, as := range w.askers[c.at.name] {
				for _, r := range routes {
					want := outcome(allowed)
					if r.want != nil {
						want = r.want(c, as.role)
					} else {
						// A ForRecord route: the policy on its declared action.
						want = onClient(w.srv.Routes()[r.pattern].Action)(c, as.role)
						if e, ok := recordException(r.pattern, c.relation(as.role)); ok {
							want = e
						}
					}
					if want == "" {
						continue
					}
					method, _, _ := strings.Cut(r.pattern, " ")
					var status int
					var body, path string
					var random func() (int, string)
					var rid string
					if r.api {
						if as.token == "" {
							continue
						}
						var payload any
						path, payload = r.json(w, c.fx)
						status, body, rid = w.callAPIWithID(t, as.token, method, path, payload)
						random = func() (int, string) { return w.callAPI(t, as.token, method, swapID(path), payload) }
					} else {
						var f url.Values
						path, f = r.request(w, c.fx)
						var resp *http.Response
						if method == http.MethodGet {
							resp, body = as.browser.get(t, path)
						} else {
							resp, body = as.browser.post(t, path, f)
						}
						status, rid = resp.StatusCode, resp.Header.Get("X-Request-Id")
						random = func() (int, string) {
							var resp *http.Response
							var b string
							if method == http.MethodGet {
								resp, b = as.browser.get(t, swapID(path))
							} else {
								resp, b = as.browser.post(t, swapID(path), f)
							}
							return resp.StatusCode, b
						}
					}
					checked++
					where := fmt.Sprintf("%s, %s (%s) on %s", as.role, c.name, c.relation(as.role), r.pattern)
					got := allowed
					switch {
					case status == http.StatusForbidden:
						got = refused
					case status == http.StatusNotFound:
						got = hidden
					case status >= 500:
						t.Errorf("%s: status %d", where, status)
						continue
					}
					if got != want {
						t.Errorf("%s: %s (%d), want %s\n%s", where, got, status, want, errorSummary(body))
						continue
					}
					if got == allowed {
						continue
					}
					// A refusal: recorded once, names nobody, and (hidden)
					// reads as an ID that names nothing.
					if n := w.refusalsOf(t, rid); n != 1 {
						t.Errorf("%s: %d refusal events in the audit trail, want 1", where, n)
					}
					for _, v := range c.fx.values {
						if strings.Contains(body, v) {
							t.Errorf("%s: the refusal shows %q", where, v)
						}
					}
					if got == hidden {
						// What an ID that names nothing gets does not depend
						// on the column: asked once per route and person.
						key := r.pattern + " " + as.actor.StaffID
						nothing, ok := randomAnswers[key]
						if !ok {
							nothing = shape(random())
							randomAnswers[key] = nothing
						}
						if nothing != shape(status, body) {
							t.Errorf("%s: hidden answer differs from an ID that names nothing:\n  record: %s\n  random: %s", where, shape(status, body)[:min(200, len(shape(status, body)))], nothing[:min(200, len(nothing))])
						}
					}
				}
			}
		}
		// The agency's own system, by its token: its referral about the open
		// client it may move on (a stale version is a conflict); the one
		// about the client restricted since does not exist for it, as an
		// ID that names nothing, and the refusal is recorded.
		move := map[string]any{"version": 999, "to": "accepted", "note": "stale"}
		open, restricted := w.columns[0].fx, w.columns[5].fx
		if st, body := w.callAPI(t, w.partnerToken, "POST", "/api/v1/agency/referrals/"+open.partnerRef+"/status", move); st == 403 || st == 404 || st >= 500 {
			t.Errorf("the agency's token moving its referral: %d %s", st, body)
		}
		before := w.refusals(t)
		st, body := w.callAPI(t, w.partnerToken, "POST", "/api/v1/agency/referrals/"+restricted.partnerRef+"/status", move)
		rs, rb := w.callAPI(t, w.partnerToken, "POST", "/api/v1/agency/referrals/"+id.New()+"/status", move)
		if st != http.StatusNotFound || shape(st, body) != shape(rs, rb) || w.refusals(t)-before != 1 {
			t.Errorf("the agency's token on a restricted client's referral: %d %s (random: %d %s), %d refusals recorded", st, body, rs, rb, w.refusals(t)-before)
		}
		checked += 2
		t.Logf("%d route × role × place checks over %d routes", checked, len(routes))
	})
}

// tableExempt are the routes with an ID that is not a person's record,
// each with the table or test that covers them instead.
var tableExempt = map[string]string{
	"GET /staff/{id}":                           "an account, not a client's record: TestAdministratorsAreScopedToTheirOrganisation, TestAccountsAndAdministration",
	"POST /staff/{id}/disable":                  "an account: TestAdministratorsAreScopedToTheirOrganisation",
	"POST /staff/{id}/enable":                   "an account: TestAdministratorsAreScopedToTheirOrganisation",
	"POST /staff/{id}/reset-factors":            "an account: TestAdministratorsAreScopedToTheirOrganisation",
	"POST /staff/{id}/setup-link":               "an account: TestAdministratorsAreScopedToTheirOrganisation",
	"POST /staff/{id}/sessions/{sid}/end":       "an account's session: TestAdministratorsAreScopedToTheirOrganisation",
	"POST /account/sessions/{id}/end":           "the reader's own session: TestAccountsAndAdministration",
	"GET /review/records/{id}":                  "the data protection lead's review of their organisation's records and accounts: TestReviewIsTheLeadsOwnOrganisation",
	"POST /partners/{id}/agreements":            "a partner agency (an organisation), for administrators: TestPartnerReferralPages",
	"GET /refuge/properties/{id}":               "a property, not a person's: TestFrontDoorNeverSeesAnAddress",
	"POST /refuge/properties/{id}/criteria":     "a property: TestFrontDoorNeverSeesAnAddress",
	"POST /volunteers/{id}/supervision":         "a volunteer's supervision (an account): TestVolunteerPages",
	"GET /api/v1/referrals/{id}":                "a partner system's own referral, by its token: TestReadReferralStatus",
	"POST /api/v1/agency/referrals/{id}/status": "the agency's own token: checked after the table, below",
}

// recordException is recordRouteExceptions for the table's relations.
func recordException(pattern string, rel access.Relation) (outcome, bool) {
	for _, e := range recordRouteExceptions {
		if e.pattern == pattern && e.relation == rel {
			switch e.status {
			case http.StatusNotFound:
				return hidden, true
			case http.StatusForbidden:
				return refused, true
			}
			return allowed, true
		}
	}
	return "", false
}

var _ = slices.Contains[[]string]
