package outreach_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/outreach"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault"
	"frontdoor/internal/vault/vaulttest"
)

var ctx = context.Background()

const org = "0190f2a0-0000-7000-8000-0000000000b1"

type world struct {
	db       *store.DB
	cfg      store.Config
	vault    *vault.Vault
	svc      *outreach.Service
	people   *people.Service
	accounts *auth.Service
	mu       sync.Mutex
	clock    time.Time

	worker, colleague, manager, other, otherManager, volunteer access.Actor
}

func (w *world) now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.clock
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.clock = w.clock.Add(d)
}

func newWorld(t testing.TB, d store.Dialect) *world { t.Helper(); return newWorldThrough(t, d, 0) }

// newWorldThrough is newWorld on a database migrated through version
// only (0: every migration).
func newWorldThrough(t testing.TB, d store.Dialect, version int) *world {
	t.Helper()
	cfg := storetest.Config(t, d)
	db := storetest.OpenConfigThrough(t, cfg, version)
	v := vaulttest.New(t, db)
	rec := audit.NewRecorder(v.AuditKey(), time.Now, nil)
	accounts := auth.NewService(db, v, rec, time.Now)
	grants := &access.Grants{Vault: v, Record: rec, Now: time.Now}
	w := &world{db: db, cfg: cfg, vault: v, accounts: accounts, clock: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	w.people = &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: time.Now}
	w.svc = &outreach.Service{DB: db, Vault: v, Record: rec, Now: w.now, Clients: w.people, BaseURL: "https://frontdoor.example"}
	if err := db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Outreach Trust', 'charity', $2)`, org, time.Now().UTC()); err != nil {
			return err
		}
		for _, team := range []string{"outreach-a", "outreach-b"} {
			if _, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ($1, $2, $1, 'outreach', $3)`, team, org, time.Now().UTC()); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	mk := func(username string, role access.Role, team string) access.Actor {
		st, err := accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: org, Username: username, DisplayName: "Staff " + username, Role: role, TeamIDs: []string{team}})
		if err != nil {
			t.Fatal(err)
		}
		return access.Actor{StaffID: st.ID, Role: role, OrganisationID: org, TeamIDs: []string{team}}
	}
	w.worker = mk("out.worker", access.RoleOutreachWorker, "outreach-a")
	w.colleague = mk("out.colleague", access.RoleOutreachWorker, "outreach-a")
	w.manager = mk("out.manager", access.RoleTeamManager, "outreach-a")
	w.other = mk("other.worker", access.RoleOutreachWorker, "outreach-b")
	w.otherManager = mk("other.manager", access.RoleTeamManager, "outreach-b")
	w.volunteer = mk("a.volunteer", access.RoleVolunteer, "outreach-a")
	return w
}

// client is a client of team A, created by its worker, with the given
// text rule ("safe", "unsafe" or "").
func (w *world) client(t testing.TB, name, text string) string {
	t.Helper()
	c, err := w.people.Create(ctx, w.worker, people.NewClient{GivenName: name, FamilyName: "Testperson", TeamID: "outreach-a",
		Details: people.Details{Address: "5 Secret Lane", SafeContact: people.SafeContact{Text: text, Phone: "07700 900123"}}})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func code(t testing.TB, err error, want errs.Code) {
	t.Helper()
	if errs.CodeOf(err) != want {
		t.Fatalf("got %v (%s), want %s", err, errs.CodeOf(err), want)
	}
}

func fieldNames(t testing.TB, err error) []string {
	t.Helper()
	fe := errs.AllFields(err)
	if len(fe) == 0 {
		t.Fatalf("want field errors, got %v", err)
	}
	var names []string
	for _, e := range fe {
		if !strings.HasPrefix(e.Key, "outreach.") {
			t.Errorf("key %q outside outreach.", e.Key)
		}
		names = append(names, e.Field)
	}
	return names
}

func (w *world) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := w.db.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, query, args, &n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSupportPlan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.client(t, "Amina", "safe")
		pid, err := w.svc.StartPlan(ctx, w.worker, c)
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.StartPlan(ctx, w.colleague, c)
		code(t, err, errs.Conflict)

		// Three need areas; each area once.
		needs := map[outreach.Area]string{}
		for _, a := range []outreach.Area{outreach.Safety, outreach.Money, outreach.Wellbeing} {
			nid, err := w.svc.AddNeed(ctx, w.worker, pid, outreach.NewNeed{Area: a, Need: "Need in " + string(a), Goals: "Goal for " + string(a)})
			if err != nil {
				t.Fatal(err)
			}
			needs[a] = nid
		}
		_, err = w.svc.AddNeed(ctx, w.worker, pid, outreach.NewNeed{Area: outreach.Money, Need: "again", Goals: "again"})
		if got := fieldNames(t, err); !slices.Equal(got, []string{"area"}) {
			t.Fatalf("second money need: %v", got)
		}
		_, err = w.svc.AddNeed(ctx, w.worker, pid, outreach.NewNeed{Area: "astrology", Need: "", Goals: "x\x00"})
		if got := fieldNames(t, err); !slices.Equal(got, []string{"area", "need", "goals"}) {
			t.Fatalf("bad need: %v", got)
		}
		due := w.now().AddDate(0, 0, 7)
		aid, err := w.svc.AddAction(ctx, w.worker, outreach.NewAction{NeedID: needs[outreach.Money], Text: "Apply for a budgeting loan", OwnerID: w.worker.StaffID, Due: due})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddAction(ctx, w.worker, outreach.NewAction{NeedID: needs[outreach.Safety], Text: "Change the locks", Due: due}); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.AddAction(ctx, w.worker, outreach.NewAction{NeedID: needs[outreach.Safety], Text: "x", OwnerID: w.worker.StaffID + "0", Due: due})
		if got := fieldNames(t, err); !slices.Equal(got, []string{"owner"}) {
			t.Fatalf("unknown owner: %v", got)
		}
		if err := w.svc.CompleteAction(ctx, w.colleague, aid); err != nil {
			t.Fatal(err)
		}
		code(t, w.svc.CompleteAction(ctx, w.worker, aid), errs.Conflict)
		v, err := w.svc.SaveSafetyPlan(ctx, w.worker, pid, 1, "Code word with her sister: 'blue'. Bag at the neighbour's.")
		if err != nil || v != 2 {
			t.Fatalf("safety plan %d %v", v, err)
		}
		_, err = w.svc.SaveSafetyPlan(ctx, w.colleague, pid, 1, "stale")
		code(t, err, errs.Conflict)

		// Someone from another team may neither read nor change it.
		_, err = w.svc.Plan(ctx, w.other, c)
		code(t, err, errs.Forbidden)
		_, err = w.svc.AddNeed(ctx, w.other, pid, outreach.NewNeed{Area: outreach.Legal, Need: "n", Goals: "g"})
		code(t, err, errs.Forbidden)
		// A volunteer not matched to the client is told nothing.
		code(t, w.svc.CompleteAction(ctx, w.volunteer, aid), errs.NotFound)

		p, err := w.svc.Plan(ctx, w.manager, c)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Open || len(p.Needs) != 3 || p.Needs[0].Area != outreach.Safety || p.Needs[1].Area != outreach.Money || !strings.Contains(p.SafetyPlan, "blue") {
			t.Fatalf("plan %+v", p)
		}
		money := p.Needs[1]
		if len(money.Actions) != 1 || !money.Actions[0].Done() || money.Actions[0].Text != "Apply for a budgeting loan" {
			t.Fatalf("money actions %+v", money.Actions)
		}
		if err := w.svc.UpdateNeed(ctx, w.worker, money.ID, money.Version, outreach.NeedUpdate{Need: money.Need, Goals: money.Goals, Progress: "Loan granted", Status: outreach.NeedMet}); err != nil {
			t.Fatal(err)
		}
		code(t, w.svc.UpdateNeed(ctx, w.worker, money.ID, money.Version, outreach.NeedUpdate{Need: "x", Goals: "y", Status: outreach.NeedActive}), errs.Conflict)

		// Outcomes: start first, every area scored, exit closes the plan.
		scores := map[outreach.Area]int{outreach.Safety: 2, outreach.Money: 1, outreach.Wellbeing: 2}
		err = w.svc.RecordOutcome(ctx, w.worker, pid, outreach.NewOutcome{Stage: outreach.AtReview, Scores: scores, FeelsSafer: 2, AbuseStopped: outreach.No})
		if got := fieldNames(t, err); !slices.Equal(got, []string{"stage"}) {
			t.Fatalf("review before start: %v", got)
		}
		err = w.svc.RecordOutcome(ctx, w.worker, pid, outreach.NewOutcome{Stage: outreach.AtStart, Scores: map[outreach.Area]int{outreach.Safety: 2, outreach.Legal: 3}, FeelsSafer: 2, AbuseStopped: outreach.No})
		if got := fieldNames(t, err); !slices.Contains(got, "score_money") || !slices.Contains(got, "score_legal") {
			t.Fatalf("incomplete scores: %v", got)
		}
		err = w.svc.RecordOutcome(ctx, w.worker, pid, outreach.NewOutcome{Stage: outreach.AtStart, Scores: scores, FeelsSafer: 9, AbuseStopped: "maybe"})
		if got := fieldNames(t, err); !slices.Equal(got, []string{"feels_safer", "abuse_stopped"}) {
			t.Fatalf("bad measures: %v", got)
		}
		if n := w.count(t, `SELECT count(*) FROM outreach_outcomes`); n != 0 {
			t.Fatalf("%d outcomes written by refused requests", n)
		}
		for _, o := range []outreach.NewOutcome{
			{Stage: outreach.AtStart, Scores: scores, FeelsSafer: 2, AbuseStopped: outreach.No},
			{Stage: outreach.AtReview, Scores: map[outreach.Area]int{outreach.Safety: 3, outreach.Money: 4, outreach.Wellbeing: 3}, FeelsSafer: 3, AbuseStopped: outreach.NotKnown},
			{Stage: outreach.AtExit, Scores: map[outreach.Area]int{outreach.Safety: 4, outreach.Money: 5, outreach.Wellbeing: 4}, FeelsSafer: 5, AbuseStopped: outreach.Yes},
		} {
			if err := w.svc.RecordOutcome(ctx, w.worker, pid, o); err != nil {
				t.Fatal(err)
			}
		}
		p, err = w.svc.Plan(ctx, w.worker, c)
		if err != nil || p.Open || len(p.Outcomes) != 3 || p.Outcomes[2].Scores[outreach.Money] != 5 || p.Outcomes[0].FeelsSafer != 2 {
			t.Fatalf("closed plan %+v %v", p, err)
		}
		// A closed plan takes no changes; a new plan can start.
		_, err = w.svc.AddNeed(ctx, w.worker, pid, outreach.NewNeed{Area: outreach.Legal, Need: "n", Goals: "g"})
		code(t, err, errs.Conflict)
		next, err := w.svc.StartPlan(ctx, w.worker, c)
		if err != nil {
			t.Fatal(err)
		}
		// The new plan has its own areas. The area is sealed; the index that
		// keeps each once a plan differs between plans, so a copy of the
		// database cannot tell that two needs share an area.
		if _, err := w.svc.AddNeed(ctx, w.worker, next, outreach.NewNeed{Area: outreach.Money, Need: "Debts again", Goals: "A budget"}); err != nil {
			t.Fatal(err)
		}
		if n, distinct := w.count(t, `SELECT count(*) FROM outreach_needs`), w.count(t, `SELECT count(DISTINCT area_index) FROM outreach_needs`); n != 4 || distinct != n {
			t.Errorf("%d needs with %d area indexes: a money need in each plan shares one", n, distinct)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events WHERE record_id = $1 AND action LIKE 'outreach.%'`, c); n < 12 {
			t.Errorf("only %d outreach audit events on the client", n)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "budgeting loan", "neighbour", "Loan granted", "Goal for money")
	})
}
