package risk_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/people"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault"
	"frontdoor/internal/vault/vaulttest"
)

var ctx = context.Background()

type world struct {
	db       *store.DB
	cfg      store.Config
	vault    *vault.Vault
	svc      *risk.Service
	people   *people.Service
	clock    time.Time
	outreach access.Actor // assigned caseworker
	partner  access.Actor // same team, not assigned
	helpline access.Actor // same organisation, other team: no relation
	manager  access.Actor
	admin    access.Actor
	org      string
	accounts *auth.Service
}

// clientFacts is what the people package will provide: the client's
// organisation, team and workers, plus restrictions and grants.
func clientFacts(grants *access.Grants) risk.ClientFacts {
	return func(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string) (access.Record, error) {
		rec := access.Record{ID: clientID}
		var team string
		err := tx.QueryRow(ctx, `SELECT organisation_id, team_id FROM clients WHERE id = $1`, []any{clientID}, &rec.OrganisationID, &team)
		if errors.Is(err, store.ErrNotFound) {
			return rec, errs.New(errs.NotFound, "error.not_found")
		}
		if err != nil {
			return rec, err
		}
		rec.TeamIDs = []string{team}
		rows, err := tx.Query(ctx, `SELECT staff_id FROM client_workers WHERE client_id = $1 ORDER BY staff_id`, clientID)
		if err != nil {
			return rec, err
		}
		defer rows.Close()
		for rows.Next() {
			var w string
			if err := rows.Scan(&w); err != nil {
				return rec, err
			}
			rec.AssignedStaff = append(rec.AssignedStaff, w)
		}
		if err := rows.Err(); err != nil {
			return rec, err
		}
		return rec, grants.Facts(ctx, tx, actor, &rec)
	}
}

func newWorld(t testing.TB, d store.Dialect) *world { return newWorldThrough(t, d, 0) }

// newWorldThrough is newWorld on a database migrated through version
// only (0: every migration).
func newWorldThrough(t testing.TB, d store.Dialect, version int) *world {
	cfg := storetest.Config(t, d)
	db := storetest.OpenConfigThrough(t, cfg, version)
	v := vaulttest.New(t, db)
	rec := audit.NewRecorder(v.AuditKey(), time.Now, nil)
	accounts := auth.NewService(db, v, rec, time.Now)
	grants := &access.Grants{Vault: v, Record: rec, Now: time.Now}
	org := "0190f2a0-0000-7000-8000-0000000000a1"
	w := &world{db: db, cfg: cfg, vault: v, clock: time.Now().UTC(), org: org, accounts: accounts}
	w.svc = &risk.Service{DB: db, Vault: v, Record: rec, Now: func() time.Time { return w.clock }, ClientFacts: clientFacts(grants)}
	w.people = &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: time.Now}
	db.Write(ctx, func(tx *store.Tx) error {
		tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Women''s Aid', 'charity', $2)`, org, time.Now().UTC())
		for _, team := range []string{"outreach", "helpline", "idva"} {
			tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ($1, $2, $1, $1, $3)`, team, org, time.Now().UTC())
		}
		return nil
	})
	mk := func(username string, role access.Role, team string) access.Actor {
		return w.staff(t, username, role, team)
	}
	w.outreach = mk("outreach.one", access.RoleOutreachWorker, "outreach")
	w.partner = mk("outreach.two", access.RoleOutreachWorker, "outreach")
	w.helpline = mk("helpline.one", access.RoleFrontDoorWorker, "helpline")
	w.manager = mk("outreach.lead", access.RoleTeamManager, "outreach")
	w.admin = mk("the.admin", access.RoleAdministrator, "")
	return w
}

// staff adds an account in the world's organisation, in team ("" for
// none), and returns it as an actor.
func (w *world) staff(t testing.TB, username string, role access.Role, team string) access.Actor {
	var teams []string
	if team != "" {
		teams = []string{team}
	}
	st, err := w.accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: w.org, Username: username, DisplayName: username, Role: role, TeamIDs: teams})
	if err != nil {
		t.Fatal(err)
	}
	return access.Actor{StaffID: st.ID, Role: role, OrganisationID: w.org, TeamIDs: teams}
}

func (w *world) client(t testing.TB, name string) string {
	c, err := w.people.Create(ctx, w.outreach, people.NewClient{GivenName: name, FamilyName: "Testperson"})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// answers answers the default set with the first yes items "yes", the
// next notKnown "not_known" and the rest "no".
func answers(yes, notKnown int) []risk.AnswerInput {
	var out []risk.AnswerInput
	for i, it := range risk.DefaultSet().Items {
		v := risk.No
		switch {
		case i < yes:
			v = risk.Yes
		case i < yes+notKnown:
			v = risk.NotKnown
		}
		out = append(out, risk.AnswerInput{Key: it.Key, Value: v, Source: risk.FromClient})
	}
	return out
}

func (w *world) count(t testing.TB, table string) int {
	var n int
	if err := w.db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM `+table, nil, &n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func (w *world) counts(t testing.TB) string {
	var parts []string
	for _, table := range []string{"risk_assessments", "risk_levels", "tasks", "marac_referrals", "audit_events"} {
		parts = append(parts, fmt.Sprintf("%s=%d", table, w.count(t, table)))
	}
	return strings.Join(parts, " ")
}

func fields(t testing.TB, err error) []string {
	t.Helper()
	var fe risk.FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("want FieldErrors, got %v", err)
	}
	if errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("FieldErrors code %s", errs.CodeOf(err))
	}
	for _, e := range fe {
		if !strings.HasPrefix(e.Key, "risk.") {
			t.Errorf("key %q outside risk.", e.Key)
		}
	}
	return fe.Names()
}

func TestDefaultSet(t *testing.T) {
	q := risk.DefaultSet()
	if len(q.Items) != 24 || q.Thresholds.High != 14 || q.Thresholds.Medium != 10 || q.ID != risk.DefaultSetID || q.Version != 1 {
		t.Fatalf("default set: %d items, thresholds %+v, %s v%d", len(q.Items), q.Thresholds, q.ID, q.Version)
	}
	seen := map[string]bool{}
	for _, it := range q.Items {
		if seen[it.Key] || it.Topic == "" || it.Wording != "" {
			t.Fatalf("item %+v", it)
		}
		seen[it.Key] = true
	}
}

func TestScoring(t *testing.T) {
	q := risk.DefaultSet()
	for _, c := range []struct {
		yes  int
		want risk.Level
	}{{0, risk.Standard}, {9, risk.Standard}, {10, risk.Medium}, {13, risk.Medium}, {14, risk.High}, {24, risk.High}} {
		if got := q.Level(c.yes); got != c.want {
			t.Errorf("%d yes: %s, want %s", c.yes, got, c.want)
		}
	}
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.client(t, "Amina")
		for _, tc := range []struct {
			yes, notKnown int
			want          risk.Level
		}{{0, 24, risk.Standard}, {9, 15, risk.Standard}, {10, 14, risk.Medium}, {13, 11, risk.Medium}, {14, 0, risk.High}, {24, 0, risk.High}} {
			r, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: c, Answers: answers(tc.yes, tc.notKnown)})
			if err != nil {
				t.Fatal(err)
			}
			if r.YesCount != tc.yes || r.Scored != tc.want || r.Final != tc.want || r.SetID != "dash" || r.SetVersion != 1 {
				t.Errorf("%d yes, %d not known: %+v", tc.yes, tc.notKnown, r)
			}
		}
	})
}

func TestImportSet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		custom := `{"id":"dash","name":"DASH (licensed wording)","thresholds":{"high":2,"medium":1},"items":[
			{"key":"a","topic":"first","wording":"Licensed question one?"},{"key":"b","topic":"second"},{"key":"c","topic":"third"}]}`
		if _, err := w.svc.ImportSet(ctx, w.outreach, []byte(custom)); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("caseworker importing a set: %v", err)
		}
		q, err := w.svc.ImportSet(ctx, w.admin, []byte(custom))
		if err != nil || q.Version != 2 || q.Items[0].Wording != "Licensed question one?" {
			t.Fatalf("import: %+v %v", q, err)
		}
		if q, err := w.svc.ImportSet(ctx, w.admin, []byte(custom)); err != nil || q.Version != 3 {
			t.Fatalf("second import: %+v %v", q, err)
		}
		if got, err := w.svc.Set(ctx, "dash", 1); err != nil || len(got.Items) != 24 {
			t.Fatalf("version 1 still there: %v", err)
		}
		bad := `{"id":"Bad Id","name":"","thresholds":{"high":1,"medium":1},"items":[{"key":"a","topic":"x"},{"key":"a","topic":""}]}`
		_, err = w.svc.ImportSet(ctx, w.admin, []byte(bad))
		if got := fields(t, err); !slices.Equal(got, []string{"id", "name", "items[1].key", "items[1].topic", "thresholds.high"}) {
			t.Fatalf("invalid set fields: %v", got)
		}
		_, err = risk.ParseSet([]byte(`{"id":"x","name":"x","thresholds":{"high":1,"medium":0},"items":[]}`))
		if got := fields(t, err); !slices.Equal(got, []string{"items", "thresholds.medium"}) {
			t.Fatalf("empty set fields: %v", got)
		}
		// An assessment on the latest version uses its items and thresholds.
		c := w.client(t, "Bea")
		r, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: c, Answers: []risk.AnswerInput{
			{Key: "a", Value: risk.Yes, Source: risk.FromProfessional}, {Key: "b", Value: risk.Yes, Source: risk.FromClient}, {Key: "c", Value: risk.No, Source: risk.FromOther}}})
		if err != nil || r.SetVersion != 3 || r.Final != risk.High {
			t.Fatalf("assessment on the custom set: %+v %v", r, err)
		}
		// An explicit older version is still usable.
		if _, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: c, SetVersion: 1, Answers: answers(0, 0)}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestJudgement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.client(t, "Chloe")
		before := w.counts(t)
		_, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: c, Answers: answers(11, 0), Judgement: risk.High})
		if got := fields(t, err); !slices.Equal(got, []string{"judgement_reason"}) {
			t.Fatalf("raising without a reason: %v", got)
		}
		_, err = w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: c, Answers: answers(11, 0), Judgement: risk.Standard, JudgementReason: "she seems fine today"})
		if got := fields(t, err); !slices.Equal(got, []string{"judgement"}) {
			t.Fatalf("lowering: %v", got)
		}
		if after := w.counts(t); after != before {
			t.Fatalf("an invalid assessment wrote: %s, then %s", before, after)
		}
		reason := "new partner released from prison next week"
		r, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: c, Answers: answers(11, 0), Judgement: risk.High, JudgementReason: reason})
		if err != nil || r.Scored != risk.Medium || r.Final != risk.High || r.ReferralID == "" || r.IDVATaskID == "" {
			t.Fatalf("raised: %+v %v", r, err)
		}
		a, err := w.svc.Get(ctx, w.outreach, r.AssessmentID)
		if err != nil || a.JudgementReason != reason || a.Final != risk.High || len(a.Answers) != 24 || a.Answers[0].Topic != "current injury" {
			t.Fatalf("read back: %+v %v", a, err)
		}
	})
}

func TestAllErrorsAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.client(t, "Dana")
		as := answers(3, 0)
		missing := as[5].Key
		as = slices.Delete(as, 5, 6)
		as[0].Value = "maybe"
		before := w.counts(t)
		_, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: c, Answers: as, PoliceCallouts: -1})
		got := fields(t, err)
		want := []string{"answers." + as[0].Key, "answers." + missing, "police_callouts"}
		if !slices.Equal(got, want) {
			t.Fatalf("fields %v, want %v", got, want)
		}
		if after := w.counts(t); after != before {
			t.Fatalf("an invalid assessment wrote: %s, then %s", before, after)
		}
	})
}

func TestHighRiskAndRepeatMARAC(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		start := w.clock
		a, b := w.client(t, "Esi"), w.client(t, "Fern")
		first, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: a, Answers: answers(15, 0), MARACReason: "threats with a knife at the school gate"})
		if err != nil || first.Final != risk.High || first.RepeatMARAC || first.ReferralID == "" || first.IDVATaskID == "" {
			t.Fatalf("first high: %+v %v", first, err)
		}
		if n, m := w.count(t, "tasks"), w.count(t, "marac_referrals"); n != 1 || m != 1 {
			t.Fatalf("after one high assessment: %d tasks, %d referrals", n, m)
		}
		if _, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: b, Answers: answers(14, 0)}); err != nil {
			t.Fatal(err)
		}
		w.clock = start.AddDate(0, 3, 0)
		second, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: a, Answers: answers(16, 0)})
		if err != nil || !second.RepeatMARAC || second.ReferralID == "" || second.IDVATaskID != "" {
			t.Fatalf("three months later: %+v %v", second, err)
		}
		w.clock = start.AddDate(0, 13, 0)
		later, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: b, Answers: answers(20, 0)})
		if err != nil || later.RepeatMARAC || later.ReferralID == "" {
			t.Fatalf("thirteen months later: %+v %v", later, err)
		}
		if n := w.count(t, "marac_referrals"); n != 4 {
			t.Fatalf("%d referrals, want 4", n)
		}
		ref, err := w.svc.GetReferral(ctx, w.outreach, first.ReferralID)
		if err != nil || ref.Reason != "threats with a knife at the school gate" || ref.Repeat || ref.AssessmentID != first.AssessmentID {
			t.Fatalf("referral: %+v %v", ref, err)
		}

		// Escalation: medium with three call-outs suggests, never refers.
		c := w.client(t, "Gita")
		before := w.count(t, "marac_referrals")
		r, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: c, Answers: answers(10, 0), PoliceCallouts: 3})
		if err != nil || r.Final != risk.Medium || !r.EscalationSuggested || r.ReferralID != "" || r.IDVATaskID != "" {
			t.Fatalf("escalation: %+v %v", r, err)
		}
		if r, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: w.client(t, "Gwen"), Answers: answers(10, 0), PoliceCallouts: 2}); err != nil || r.EscalationSuggested {
			t.Fatalf("two call-outs: %+v %v", r, err)
		}
		if n := w.count(t, "marac_referrals"); n != before {
			t.Fatalf("escalation made a referral: %d -> %d", before, n)
		}
	})
}

func TestAccessAuditAndSealing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.client(t, "Hana")
		as := answers(14, 0)
		as[0].Comment = "bruising to the left forearm seen today"
		n := risk.NewAssessment{ClientID: c, Answers: as, MARACReason: "escalating after separation in March"}
		// The helpline worker may break glass, so is refused; the
		// administrator never may, so is told nothing.
		for who, want := range map[*access.Actor]errs.Code{&w.helpline: errs.Forbidden, &w.admin: errs.NotFound} {
			if _, err := w.svc.Assess(ctx, *who, n); errs.CodeOf(err) != want {
				t.Fatalf("%s assessing: %v, want %s", who.Role, err, want)
			}
		}
		r, err := w.svc.Assess(ctx, w.outreach, n)
		if err != nil {
			t.Fatal(err)
		}
		for who, want := range map[*access.Actor]errs.Code{&w.helpline: errs.Forbidden, &w.admin: errs.NotFound} {
			if _, err := w.svc.Get(ctx, *who, r.AssessmentID); errs.CodeOf(err) != want {
				t.Fatalf("%s reading: %v, want %s", who.Role, err, want)
			}
			if _, err := w.svc.History(ctx, *who, c); errs.CodeOf(err) != want {
				t.Fatalf("%s history: %v, want %s", who.Role, err, want)
			}
		}
		got, err := w.svc.Get(ctx, w.partner, r.AssessmentID)
		if err != nil || got.Answers[0].Comment != as[0].Comment || got.Answers[0].Value != risk.Yes {
			t.Fatalf("colleague reading: %+v %v", got, err)
		}
		if h, err := w.svc.History(ctx, w.outreach, c); err != nil || len(h) != 1 || h[0].Final != risk.High {
			t.Fatalf("history: %+v %v", h, err)
		}

		// MARAC: a meeting, the referral on its agenda, an action, an outcome.
		if _, err := w.svc.CreateMeeting(ctx, w.admin, risk.NewMeeting{Date: w.clock.AddDate(0, 0, 7), Area: "North"}); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("administrator creating a meeting: %v", err)
		}
		m, err := w.svc.CreateMeeting(ctx, w.manager, risk.NewMeeting{Date: w.clock.AddDate(0, 0, 7), Area: "North"})
		if err != nil {
			t.Fatal(err)
		}
		action := risk.NewAction{OwnerStaffID: w.outreach.StaffID, Due: w.clock.AddDate(0, 0, 14), Text: "arrange sanctuary locks with the installer"}
		if _, err := w.svc.RecordAction(ctx, w.outreach, r.ReferralID, action); errs.As(err).Field != "meeting" {
			t.Fatalf("action before the agenda: %v", err)
		}
		if err := w.svc.AddToAgenda(ctx, w.helpline, m.ID, r.ReferralID); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("helpline adding to the agenda: %v", err)
		}
		if err := w.svc.AddToAgenda(ctx, w.outreach, m.ID, r.ReferralID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.RecordAction(ctx, w.outreach, r.ReferralID, action); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.RecordAction(ctx, w.outreach, r.ReferralID, risk.NewAction{OwnerStaffID: "nobody", Due: w.clock, Text: "x"}); errs.As(err).Field != "owner" {
			t.Fatalf("unknown owner: %v", err)
		}
		if err := w.svc.RecordOutcome(ctx, w.outreach, r.ReferralID, "police to flag the address; housing transfer"); err != nil {
			t.Fatal(err)
		}
		ref, err := w.svc.GetReferral(ctx, w.manager, r.ReferralID)
		if err != nil || ref.MeetingID != m.ID || ref.Outcome != "police to flag the address; housing transfer" || len(ref.Actions) != 1 || ref.Actions[0].Text != action.Text {
			t.Fatalf("referral after the meeting: %+v %v", ref, err)
		}

		// Restricted to the assigned worker: the colleague gets not-found.
		if err := w.people.Restrict(ctx, w.manager, c, []string{w.outreach.StaffID}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Get(ctx, w.partner, r.AssessmentID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("restricted read: %v", err)
		}
		if _, err := w.svc.Assess(ctx, w.partner, n); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("restricted assess: %v", err)
		}
		if _, err := w.svc.GetReferral(ctx, w.partner, r.ReferralID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("restricted referral: %v", err)
		}
		if _, err := w.svc.Get(ctx, w.outreach, r.AssessmentID); err != nil {
			t.Fatalf("named worker: %v", err)
		}
		if _, err := w.svc.History(ctx, w.outreach, "0190f2a0-0000-7000-8000-00000000dead"); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("missing client: %v", err)
		}

		var events []audit.Event
		w.db.Read(ctx, func(tx *store.Tx) error {
			events, err = audit.History(ctx, tx, c, 200)
			return err
		})
		counts := map[string]int{}
		for _, e := range events {
			counts[e.Action]++
		}
		if counts["risk.assess"] != 1 || counts["risk.read"] != 3 || counts["task.create"] != 1 || counts["marac.refer"] != 1 ||
			counts["marac.agenda"] != 1 || counts["marac.action"] != 1 || counts["marac.outcome"] != 1 || counts["marac.read"] != 1 {
			t.Fatalf("audit: %v", counts)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, as[0].Comment, "escalating after separation", "sanctuary locks with the installer", "police to flag the address")
	})
}

func TestDueReviews(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		start := w.clock
		high, std := w.client(t, "Iris"), w.client(t, "Jade")
		if _, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: high, Answers: answers(14, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: std, Answers: answers(2, 0)}); err != nil {
			t.Fatal(err)
		}
		if due, err := w.svc.DueReviews(ctx, w.outreach, start.AddDate(0, 0, 29)); err != nil || len(due) != 0 {
			t.Fatalf("day 29: %+v %v", due, err)
		}
		due, err := w.svc.DueReviews(ctx, w.outreach, start.AddDate(0, 0, 31))
		if err != nil || len(due) != 1 || due[0].ClientID != high || due[0].Level != risk.High {
			t.Fatalf("day 31: %+v %v", due, err)
		}
		if due, err := w.svc.DueReviews(ctx, w.outreach, start.AddDate(0, 0, 91)); err != nil || len(due) != 2 {
			t.Fatalf("day 91: %+v %v", due, err)
		}
		for _, other := range []access.Actor{w.partner, w.helpline} {
			if due, err := w.svc.DueReviews(ctx, other, start.AddDate(0, 0, 91)); err != nil || len(due) != 0 {
				t.Fatalf("%s (not assigned): %+v %v", other.Role, due, err)
			}
		}
		// The team's manager sees every due review of the team's clients.
		if due, err := w.svc.DueReviews(ctx, w.manager, start.AddDate(0, 0, 91)); err != nil || len(due) != 2 || due[0].ClientName != "Iris Testperson" {
			t.Fatalf("manager: %+v %v", due, err)
		}
		// A re-assessment moves the review date on.
		w.clock = start.AddDate(0, 0, 31)
		if _, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: high, Answers: answers(14, 0)}); err != nil {
			t.Fatal(err)
		}
		if due, err := w.svc.DueReviews(ctx, w.outreach, start.AddDate(0, 0, 32)); err != nil || len(due) != 0 {
			t.Fatalf("after re-assessment: %+v %v", due, err)
		}
		if h, err := w.svc.History(ctx, w.outreach, high); err != nil || len(h) != 2 || !h[0].CompletedAt.Before(h[1].CompletedAt) {
			t.Fatalf("history: %+v %v", h, err)
		}
	})
}
