package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/id"
	"frontdoor/internal/intake"
	"frontdoor/internal/matching"
	"frontdoor/internal/people"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
	"frontdoor/internal/web"
)

// recordFixture is one client and everything around it that the record
// routes act on, set up so that every test actor stands in one relation
// to each of the records (the client, its child and perpetrator, and
// everything decided on the client's facts: referral, case, assessment,
// task, MARAC referral and action).
type recordFixture struct {
	rel                                                   access.Relation
	client, child, perpetrator, referral, caseID          string
	assessment, task, maracReferral, maracAction, creator string
	// restrictedTo is the restriction on the client and the perpetrator
	// (nil: none); restore puts it back after a route that may lift it.
	restrictedTo []string
}

// unknownID is a well-formed ID that names nothing.
const unknownID = "0190f2a0-0000-7000-8000-00000000dead"

// recordRoutes maps every ForRecord route to the request that exercises
// it on a fixture: the path, and for a POST a form that passes whatever
// the handler checks before it asks the policy, and then fails (a stale
// version, a conflict, an empty field) or does something harmless, so
// that no call changes the relations the next calls rely on.
var recordRoutes = map[string]func(fx *recordFixture) (string, url.Values){
	// The client.
	"GET /people/{id}":      func(fx *recordFixture) (string, url.Values) { return "/people/" + fx.client, nil },
	"GET /people/{id}/edit": func(fx *recordFixture) (string, url.Values) { return "/people/" + fx.client + "/edit", nil },
	"POST /people/{id}": func(fx *recordFixture) (string, url.Values) {
		return "/people/" + fx.client, url.Values{"version": {"999"}, "given_name": {"Stale"}, "family_name": {"Edit"}}
	},
	"POST /people/{id}/break-glass": func(fx *recordFixture) (string, url.Values) {
		// Too short a reason: refused after the policy said yes.
		return "/people/" + fx.client + "/break-glass", url.Values{"reason": {"short"}}
	},
	"GET /people/{id}/history": func(fx *recordFixture) (string, url.Values) { return "/people/" + fx.client + "/history", nil },
	"POST /people/{id}/restrict": func(fx *recordFixture) (string, url.Values) {
		// Naming nobody who exists: the insert fails and rolls back.
		return "/people/" + fx.client + "/restrict", url.Values{"staff": {unknownID}}
	},
	"POST /people/{id}/unrestrict": func(fx *recordFixture) (string, url.Values) {
		return "/people/" + fx.client + "/unrestrict", url.Values{} // the fixture is restored after it
	},

	// The front door.
	"GET /referrals/{id}": func(fx *recordFixture) (string, url.Values) { return "/referrals/" + fx.referral, nil },
	"POST /referrals/{id}": func(fx *recordFixture) (string, url.Values) {
		// Already triaged: a conflict after the policy said yes.
		return "/referrals/" + fx.referral, url.Values{"do": {"triage"}, "decision": {"signpost"}, "note": {"signposted to the GP"}}
	},
	"GET /people/{id}/timeline": func(fx *recordFixture) (string, url.Values) { return "/people/" + fx.client + "/timeline", nil },
	"POST /people/{id}/cases/{case}": func(fx *recordFixture) (string, url.Values) {
		return "/people/" + fx.client + "/cases/" + fx.caseID, url.Values{"version": {"999"}, "status": {"active"}}
	},

	// Outreach: the client's support plan and sessions. The fixture's
	// client has a plan already, so starting one is a conflict; her
	// safe-contact rules mark no channel safe, so a valid booking with a
	// text reminder is refused after the policy said yes.
	"GET /people/{id}/plan": func(fx *recordFixture) (string, url.Values) { return "/people/" + fx.client + "/plan", nil },
	"POST /people/{id}/plan": func(fx *recordFixture) (string, url.Values) {
		return "/people/" + fx.client + "/plan", url.Values{}
	},
	"POST /people/{id}/sessions": func(fx *recordFixture) (string, url.Values) {
		return "/people/" + fx.client + "/sessions", url.Values{"kind": {"phone"}, "date": {time.Now().AddDate(0, 0, 2).Format("2006-01-02")},
			"time": {"10:00"}, "minutes": {"30"}, "weeks": {"1"}, "reminder": {"text"}}
	},

	// Partner referrals and volunteers: the client's. A referral under an
	// agreement that does not exist and a match with a volunteer who does
	// not exist are refused after the policy said yes, writing nothing.
	"GET /people/{id}/partners": func(fx *recordFixture) (string, url.Values) { return "/people/" + fx.client + "/partners", nil },
	"POST /people/{id}/partners": func(fx *recordFixture) (string, url.Values) {
		return "/people/" + fx.client + "/partners", url.Values{"agreement": {unknownID}, "kind": {"target_hardening"}, "share": {"name"},
			"request": {"table test of the policy"}, "consent": {"yes"}}
	},
	"GET /people/{id}/volunteers": func(fx *recordFixture) (string, url.Values) { return "/people/" + fx.client + "/volunteers", nil },
	"POST /people/{id}/volunteers": func(fx *recordFixture) (string, url.Values) {
		return "/people/" + fx.client + "/volunteers", url.Values{"volunteer": {unknownID}, "kind": {"befriending"}, "purpose": {"table test of the policy"}}
	},

	// Accommodation: the client's unsafe areas.
	"GET /people/{id}/unsafe-areas": func(fx *recordFixture) (string, url.Values) { return "/people/" + fx.client + "/unsafe-areas", nil },
	"POST /people/{id}/unsafe-areas": func(fx *recordFixture) (string, url.Values) {
		// None: replaces none with none, and changes no relation.
		return "/people/" + fx.client + "/unsafe-areas", url.Values{"unsafe_areas": {""}}
	},

	// The household.
	"GET /people/{id}/children/new": func(fx *recordFixture) (string, url.Values) {
		return "/people/" + fx.client + "/children/new", nil
	},
	"POST /people/{id}/children/new": func(fx *recordFixture) (string, url.Values) {
		return "/people/" + fx.client + "/children/new", url.Values{"given_name": {""}}
	},
	"GET /children/{id}":      func(fx *recordFixture) (string, url.Values) { return "/children/" + fx.child, nil },
	"GET /children/{id}/edit": func(fx *recordFixture) (string, url.Values) { return "/children/" + fx.child + "/edit", nil },
	"POST /children/{id}/edit": func(fx *recordFixture) (string, url.Values) {
		return "/children/" + fx.child + "/edit", url.Values{"version": {"999"}, "given_name": {""}}
	},
	"GET /people/{id}/perpetrators/new": func(fx *recordFixture) (string, url.Values) {
		return "/people/" + fx.client + "/perpetrators/new", nil
	},
	"POST /people/{id}/perpetrators/new": func(fx *recordFixture) (string, url.Values) {
		return "/people/" + fx.client + "/perpetrators/new", url.Values{"given_name": {""}}
	},
	"GET /people/{id}/perpetrators/link": func(fx *recordFixture) (string, url.Values) {
		return "/people/" + fx.client + "/perpetrators/link", nil
	},
	"POST /people/{id}/perpetrators/link": func(fx *recordFixture) (string, url.Values) {
		// The client's own perpetrator: already linked, a conflict.
		return "/people/" + fx.client + "/perpetrators/link", url.Values{"action": {"link"}, "perpetrator": {fx.perpetrator}, "relationship": {"partner"}}
	},
	"GET /perpetrators/{id}":      func(fx *recordFixture) (string, url.Values) { return "/perpetrators/" + fx.perpetrator, nil },
	"GET /perpetrators/{id}/edit": func(fx *recordFixture) (string, url.Values) { return "/perpetrators/" + fx.perpetrator + "/edit", nil },
	"POST /perpetrators/{id}/edit": func(fx *recordFixture) (string, url.Values) {
		return "/perpetrators/" + fx.perpetrator + "/edit", url.Values{"version": {"999"}, "given_name": {""}}
	},

	// Risk, tasks and MARAC.
	"GET /people/{id}/risk/new": func(fx *recordFixture) (string, url.Values) { return "/people/" + fx.client + "/risk/new", nil },
	"POST /people/{id}/risk": func(fx *recordFixture) (string, url.Values) {
		// No answers: every item missing, after the policy said yes.
		return "/people/" + fx.client + "/risk", url.Values{"source": {"client"}, "police_callouts": {"0"}}
	},
	"GET /people/{id}/risk/{aid}": func(fx *recordFixture) (string, url.Values) {
		return "/people/" + fx.client + "/risk/" + fx.assessment, nil
	},
	"POST /people/{id}/risk/{aid}/marac-referral": func(fx *recordFixture) (string, url.Values) {
		// A high assessment suggests no escalation: a conflict.
		return "/people/" + fx.client + "/risk/" + fx.assessment + "/marac-referral", url.Values{"reason": {""}}
	},
	"GET /people/{id}/risk/review-request": func(fx *recordFixture) (string, url.Values) {
		return "/people/" + fx.client + "/risk/review-request", nil
	},
	"POST /people/{id}/risk/review-request": func(fx *recordFixture) (string, url.Values) {
		return "/people/" + fx.client + "/risk/review-request", url.Values{"reason": {"table test of the policy"}}
	},
	"POST /tasks/{id}/allocate": func(fx *recordFixture) (string, url.Values) {
		// The task is already done: a conflict.
		return "/tasks/" + fx.task + "/allocate", url.Values{"idva": {unknownID}}
	},
	"POST /tasks/{id}/done": func(fx *recordFixture) (string, url.Values) {
		return "/tasks/" + fx.task + "/done", url.Values{"note": {"table test of the policy"}}
	},
	"GET /marac/referrals/{id}": func(fx *recordFixture) (string, url.Values) { return "/marac/referrals/" + fx.maracReferral, nil },
	"POST /marac/referrals/{id}/agenda": func(fx *recordFixture) (string, url.Values) {
		// Already heard: a conflict.
		return "/marac/referrals/" + fx.maracReferral + "/agenda", url.Values{"meeting": {unknownID}}
	},
	"POST /marac/referrals/{id}/actions": func(fx *recordFixture) (string, url.Values) {
		return "/marac/referrals/" + fx.maracReferral + "/actions", url.Values{"owner": {""}, "text": {""}}
	},
	"POST /marac/referrals/{id}/outcome": func(fx *recordFixture) (string, url.Values) {
		return "/marac/referrals/" + fx.maracReferral + "/outcome", url.Values{"outcome": {"Police marker on the address"}}
	},
	"POST /marac/actions/{id}/done": func(fx *recordFixture) (string, url.Values) {
		// Already done: a conflict.
		return "/marac/actions/" + fx.maracAction + "/done", url.Values{"referral": {fx.maracReferral}}
	},
}

// recordRouteVariants are further requests for routes whose handler
// branches on the form before anything asks the policy: each branch must
// answer as the policy says.
var recordRouteVariants = map[string]func(fx *recordFixture) (string, url.Values){
	"POST /people/{id}/perpetrators/link": func(fx *recordFixture) (string, url.Values) {
		// The search button of the link page.
		return "/people/" + fx.client + "/perpetrators/link", url.Values{"action": {"search"}, "q": {"Perpetrator"}}
	},
}

// orgScoped is why the front door's referrals and cases answer 404 across
// organisations.
const orgScoped = "intake looks referrals and cases up within the actor's own organisation (intake.loadReferral, setCaseStatus): " +
	"another organisation's are answered as missing whatever the relation (the partner running her refuge stay included: triage is the front door's work), " +
	"so their existence does not cross organisations"

// recordRouteExceptions are the routes that deliberately answer other
// than the policy's decision would suggest, each with the reason.
var recordRouteExceptions = []struct {
	pattern  string
	relation access.Relation
	status   int
	reason   string
}{
	{"GET /referrals/{id}", access.NoRelation, http.StatusNotFound, orgScoped},
	{"POST /referrals/{id}", access.NoRelation, http.StatusNotFound, orgScoped},
	{"POST /people/{id}/cases/{case}", access.NoRelation, http.StatusNotFound, orgScoped},
	{"GET /referrals/{id}", access.PartnerTeam, http.StatusNotFound, orgScoped},
	{"POST /referrals/{id}", access.PartnerTeam, http.StatusNotFound, orgScoped},
	{"POST /people/{id}/cases/{case}", access.PartnerTeam, http.StatusNotFound, orgScoped},
}

// Every role against every route that serves one record, for every
// relation the actor can have to it: the answer over HTTP is the
// policy's. Hidden is 404, a refusal 403, and an allowed request is
// neither (it may still fail later: a conflict, a form error).
func TestEveryRoleAgainstEveryRecordRoute(t *testing.T) {
	f := newFrontDoor(t, store.SQLite)
	attachRefuge(f)
	attachOutreach(f)
	ctx := context.Background()

	// Every ForRecord route has a request, and every request a route.
	routes := f.srv.Routes()
	var patterns []string
	for pattern, info := range routes {
		if info.Need != web.ForRecord {
			continue
		}
		if recordRoutes[pattern] == nil {
			t.Errorf("ForRecord route %q has no request in recordRoutes: add one, so the table covers it", pattern)
			continue
		}
		patterns = append(patterns, pattern)
	}
	for pattern := range recordRoutes {
		if info, ok := routes[pattern]; !ok || info.Need != web.ForRecord {
			t.Errorf("recordRoutes names %q, which is not a ForRecord route", pattern)
		}
	}
	for pattern := range recordRouteVariants {
		if recordRoutes[pattern] == nil {
			t.Errorf("recordRouteVariants names %q, which has no request in recordRoutes", pattern)
		}
	}
	for _, e := range recordRouteExceptions {
		if recordRoutes[e.pattern] == nil || e.reason == "" {
			t.Errorf("exception for %q names no record route or gives no reason", e.pattern)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	slices.Sort(patterns)

	// The actors: one of each role, all in the helpline team of the
	// organisation.
	type actor struct {
		browser *harness
		access.Actor
	}
	var actors []actor
	var actorIDs []string
	for _, role := range access.Roles {
		username := "rec." + strings.ReplaceAll(string(role), "_", ".")
		browser := f.as(t, username, role, "helpline")
		st, err := f.auth.StaffByUsername(ctx, username)
		if err != nil {
			t.Fatal(err)
		}
		actors = append(actors, actor{browser, access.Actor{StaffID: st.ID, Role: role, OrganisationID: f.org, TeamIDs: []string{"team-helpline"}}})
		actorIDs = append(actorIDs, st.ID)
	}

	// Another organisation, for no relation at all.
	const orgB, teamB = "0190f2a0-0000-7000-8000-0000000000b0", "team-b-outreach"
	if err := f.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Org B', 'housing_association', $2)`, orgB, f.clock.Now()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ($1, $2, 'outreach', 'outreach', $3)`, teamB, orgB, f.clock.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	creators := map[string]access.Actor{}
	creator := func(username, org, team string) access.Actor {
		if a, ok := creators[username]; ok {
			return a
		}
		st, err := f.auth.AddStaff(ctx, auth.NewStaff{OrganisationID: org, Username: username, DisplayName: "Creator " + username, Role: access.RoleFrontDoorWorker, TeamIDs: []string{team}})
		if err != nil {
			t.Fatal(err)
		}
		a := access.Actor{StaffID: st.ID, Role: st.Role, OrganisationID: org, TeamIDs: []string{team}}
		creators[username] = a
		return a
	}
	helpline := func() access.Actor { return creator("creator.helpline", f.org, "team-helpline") }
	outreach := func() access.Actor { return creator("creator.outreach", f.org, "team-outreach") }

	fixtures := []*recordFixture{
		// The actors work the case: assigned to a client of another team.
		f.recordFixture(t, access.Assigned, outreach(), "team-outreach", func(fx *recordFixture) {
			f.assign(t, fx.client, actorIDs)
		}),
		// A client of the actors' own team, worked by a colleague.
		f.recordFixture(t, access.SameTeam, helpline(), "team-helpline", nil),
		// A client of another team of the actors' organisation.
		f.recordFixture(t, access.SameOrganisation, outreach(), "team-outreach", nil),
		// A client of another organisation.
		f.recordFixture(t, access.NoRelation, creator("creator.b", orgB, teamB), teamB, nil),
		// Another team's client restricted to named staff, the actors among
		// them: the restriction is what lets them in.
		f.recordFixture(t, access.RestrictedNamed, outreach(), "team-outreach", func(fx *recordFixture) {
			fx.restrictedTo = append(slices.Clone(actorIDs), fx.creator)
		}),
		// The actors' own team's client restricted to the colleague alone:
		// the restriction hides what the team would otherwise see.
		f.recordFixture(t, access.RestrictedOther, helpline(), "team-helpline", func(fx *recordFixture) {
			fx.restrictedTo = []string{fx.creator}
		}),
		// Another team's client, with a running break-glass grant each.
		f.recordFixture(t, access.BreakGlassActive, outreach(), "team-outreach", func(fx *recordFixture) {
			for _, a := range actors {
				f.breakGlass(t, a.Actor, fx.client)
			}
		}),
	}
	for _, fx := range fixtures {
		f.restore(t, fx)
	}

	// The fixtures stand as intended, for every actor and record kind;
	// checked again at the end, so no request changed them.
	checkRelations := func(when string) {
		for _, fx := range fixtures {
			for _, a := range actors {
				if err := f.db.Read(ctx, func(tx *store.Tx) error {
					for kind, recordID := range map[matching.Kind]string{matching.Client: fx.client, matching.Child: fx.child, matching.Perpetrator: fx.perpetrator} {
						rec, err := f.srv.Options.People.MatchFacts(ctx, tx, a.Actor, kind, recordID)
						if err != nil {
							return err
						}
						if got := access.RelationOf(a.Actor, rec); got != fx.rel {
							t.Errorf("%s: %s stands %q to the %s fixture's %v, want %q", when, a.Role, got, fx.rel, kind, fx.rel)
						}
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	checkRelations("before")
	if t.Failed() {
		t.FailNow()
	}

	exception := func(pattern string, rel access.Relation) (int, bool) {
		for _, e := range recordRouteExceptions {
			if e.pattern == pattern && e.relation == rel {
				return e.status, true
			}
		}
		return 0, false
	}
	checked := 0
	for _, fx := range fixtures {
		for _, a := range actors {
			for _, pattern := range patterns {
			requests:
				for _, request := range []func(*recordFixture) (string, url.Values){recordRoutes[pattern], recordRouteVariants[pattern]} {
					if request == nil {
						continue requests
					}
					info := routes[pattern]
					method, _, _ := strings.Cut(pattern, " ")
					path, form := request(fx)
					var resp *http.Response
					var body string
					if method == http.MethodGet {
						resp, body = a.browser.get(t, path)
					} else {
						resp, body = a.browser.post(t, path, form)
					}
					if pattern == "POST /people/{id}/unrestrict" {
						f.restore(t, fx)
					}
					d := access.DecideRelation(a.Actor, info.Action, fx.rel)
					got := resp.StatusCode
					var ok bool
					var want string
					status, excepted := exception(pattern, fx.rel)
					switch {
					case d.Hidden:
						ok, want = got == http.StatusNotFound, "404 (hidden)"
					case excepted:
						ok, want = got == status, fmt.Sprintf("%d (documented exception)", status)
					case !d.Allow:
						ok, want = got == http.StatusForbidden, "403 ("+d.Reason+")"
					default:
						ok, want = got != http.StatusForbidden && got != http.StatusNotFound && got < 500, "allowed ("+d.Reason+")"
					}
					if !ok {
						t.Errorf("%s on %s, %s (%s): status %d, policy says %s\n%s", a.Role, pattern, fx.rel, info.Action, got, want, errorSummary(body))
					}
					checked++
				}
			}
		}
	}
	checkRelations("after")
	if want := (len(patterns) + len(recordRouteVariants)) * len(access.Roles) * len(fixtures); checked != want || len(patterns) < 30 {
		t.Fatalf("%d role × route × relation checks over %d routes, want %d", checked, len(patterns), want)
	}
	t.Logf("%d role × route × relation checks: %d record routes, %d roles, %d relations", checked, len(patterns), len(access.Roles), len(fixtures))
}

// errorSummary is the part of a page that says what went wrong, for a
// failure message.
func errorSummary(body string) string {
	for _, marker := range []string{`error-summary`, `<h1`} {
		if i := strings.Index(body, marker); i >= 0 {
			return strings.Join(strings.Fields(body[i:min(len(body), i+300)]), " ")
		}
	}
	return ""
}

// recordFixture makes one client in team (by the creator, who is assigned
// to it) with a child, a perpetrator, a referral triaged into an outreach
// case, a high-risk assessment (its IDVA task closed, its MARAC referral
// heard at a meeting with one action, done) and, when the outreach service
// is wired, an open support plan, then applies the relation's own setup.
func (f *frontDoor) recordFixture(t *testing.T, rel access.Relation, by access.Actor, team string, setup func(*recordFixture)) *recordFixture {
	t.Helper()
	ctx := context.Background()
	o := f.srv.Options
	fx := &recordFixture{rel: rel, creator: by.StaffID}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s fixture: %v", rel, err)
		}
	}
	c, err := o.People.Create(ctx, by, people.NewClient{GivenName: "Client", FamilyName: string(rel), TeamID: team})
	must(err)
	fx.client = c.ID
	child, err := o.People.CreateChild(ctx, by, c.ID, people.NewChild{GivenName: "Child", FamilyName: string(rel)})
	must(err)
	fx.child = child.ID
	p, err := o.People.CreatePerpetrator(ctx, by, c.ID, people.NewPerpetrator{GivenName: "Perpetrator", FamilyName: string(rel), Relationship: "ex_partner"})
	must(err)
	fx.perpetrator = p.ID

	ref, err := o.Intake.CreateReferral(ctx, by, intake.NewReferral{ClientID: c.ID, Source: intake.FromPolice, RiskLevel: intake.RiskHigh, Summary: "call-out last night"})
	must(err)
	fx.referral = ref.ID
	// The case goes to an outreach team the fixture's relation already
	// accounts for (the client's own, or for a helpline client one no
	// actor is in).
	caseTeam := "team-outreach"
	if team == "team-b-outreach" {
		caseTeam = team
	}
	tr, err := o.Intake.TriageReferral(ctx, by, ref.ID, intake.NewTriage{Decision: intake.Allocate, Service: intake.Outreach, TeamID: caseTeam})
	must(err)
	fx.caseID = tr.CaseID

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
	if res.IDVATaskID == "" || res.ReferralID == "" {
		t.Fatalf("%s fixture: the high assessment made no IDVA task or MARAC referral", rel)
	}
	fx.assessment, fx.task, fx.maracReferral = res.AssessmentID, res.IDVATaskID, res.ReferralID
	must(o.Risk.CloseTask(ctx, by, fx.task, "an IDVA already works with her"))
	m, err := o.Risk.CreateMeeting(ctx, by, risk.NewMeeting{Date: f.clock.Now().AddDate(0, 0, 7), Area: "North"})
	must(err)
	must(o.Risk.AddToAgenda(ctx, by, m.ID, fx.maracReferral))
	fx.maracAction, err = o.Risk.RecordAction(ctx, by, fx.maracReferral, risk.NewAction{OwnerStaffID: by.StaffID, Due: f.clock.Now().AddDate(0, 0, 21), Text: "Refer for sanctuary locks"})
	must(err)
	must(o.Risk.CompleteAction(ctx, by, fx.maracAction))
	if o.Outreach != nil {
		_, err = o.Outreach.StartPlan(ctx, by, c.ID)
		must(err)
	}

	if setup != nil {
		setup(fx)
	}
	return fx
}

// restore puts a fixture's restriction back as it was made: on the client
// (the child follows it) and on the perpetrator itself, so that it stands
// restricted whether or not it follows its linked client's restriction.
func (f *frontDoor) restore(t *testing.T, fx *recordFixture) {
	t.Helper()
	ctx := context.Background()
	if err := f.db.Write(ctx, func(tx *store.Tx) error {
		for _, recordID := range []string{fx.client, fx.perpetrator} {
			if _, err := tx.Exec(ctx, `DELETE FROM record_restrictions WHERE record_id = $1`, recordID); err != nil {
				return err
			}
			for _, s := range fx.restrictedTo {
				if _, err := tx.Exec(ctx, `INSERT INTO record_restrictions (record_id, staff_id, created_by, created_at) VALUES ($1, $2, $3, $4)`,
					recordID, s, fx.creator, f.clock.Now()); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// breakGlass gives the actor a running break-glass grant on a client:
// through the grants service where the policy lets the role open one,
// else written directly, as a grant still running would be.
func (f *frontDoor) breakGlass(t *testing.T, a access.Actor, clientID string) {
	t.Helper()
	ctx := context.Background()
	if err := f.db.Write(ctx, func(tx *store.Tx) error {
		rec, err := f.srv.Options.People.Facts(ctx, tx, a, clientID)
		if err != nil {
			return err
		}
		if access.Decide(a, access.BreakGlass, rec).Allow {
			_, err := f.grants.BreakGlass(ctx, tx, a, rec, people.RecordKind, access.ImmediateDanger, "table test of the policy: emergency access")
			return err
		}
		grantID := id.New()
		now := f.clock.Now().UTC()
		_, err = tx.Exec(ctx, `INSERT INTO break_glass_grants (id, staff_id, record_id, reason_sealed, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			grantID, a.StaffID, clientID, f.grants.Vault.SealString("table test of the policy", "break_glass", grantID), now, now.Add(time.Hour))
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// assign makes staff assigned workers of a client.
func (f *frontDoor) assign(t *testing.T, clientID string, staffIDs []string) {
	t.Helper()
	ctx := context.Background()
	if err := f.db.Write(ctx, func(tx *store.Tx) error {
		for _, s := range staffIDs {
			if _, err := tx.Exec(ctx, `INSERT INTO client_workers (client_id, staff_id) VALUES ($1, $2)`, clientID, s); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
