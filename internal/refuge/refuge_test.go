package refuge_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault"
	"frontdoor/internal/vault/vaulttest"
)

var ctx = context.Background()

const org = "0190f2a0-0000-7000-8000-0000000000a1"

type world struct {
	db     *store.DB
	cfg    store.Config
	svc    *refuge.Service
	people *people.Service
	vault  *vault.Vault
	clock  time.Time
	mu     sync.Mutex

	workerA, managerA, workerB, frontdoor, frontdoorLead, outreach, admin, commissioner access.Actor
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
	w := &world{db: db, cfg: cfg, vault: v, clock: time.Now().UTC().Truncate(time.Second)}
	w.people = &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: time.Now}
	w.svc = &refuge.Service{DB: db, Vault: v, Record: rec, Now: w.now, ClientFacts: w.people.Facts, ClientHousehold: w.people.Placement}
	err := db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Refuge Trust', 'charity', $2)`, org, time.Now().UTC()); err != nil {
			return err
		}
		for _, team := range []string{"refuge-a", "refuge-b", "helpline", "outreach"} {
			service := strings.TrimSuffix(strings.TrimSuffix(team, "-a"), "-b")
			if _, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ($1, $2, $1, $3, $4)`, team, org, service, time.Now().UTC()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(username string, role access.Role, team string) access.Actor {
		var teams []string
		if team != "" {
			teams = []string{team}
		}
		st, err := accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: org, Username: username, DisplayName: username, Role: role, TeamIDs: teams})
		if err != nil {
			t.Fatal(err)
		}
		return access.Actor{StaffID: st.ID, Role: role, OrganisationID: org, TeamIDs: teams}
	}
	w.workerA = mk("refuge.a", access.RoleRefugeWorker, "refuge-a")
	w.managerA = mk("refuge.lead", access.RoleTeamManager, "refuge-a")
	w.workerB = mk("refuge.b", access.RoleRefugeWorker, "refuge-b")
	w.frontdoor = mk("front.door", access.RoleFrontDoorWorker, "helpline")
	w.frontdoorLead = mk("front.lead", access.RoleTeamManager, "helpline")
	w.outreach = mk("out.reach", access.RoleOutreachWorker, "outreach")
	w.admin = mk("the.admin", access.RoleAdministrator, "")
	w.commissioner = mk("the.commissioner", access.RoleCommissioner, "")
	return w
}

func (w *world) client(t testing.TB, name string) string {
	t.Helper()
	c, err := w.people.Create(ctx, w.frontdoor, people.NewClient{GivenName: name, FamilyName: "Testperson"})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// child records a child of the client: Sami is a boy of 14 and Lena a
// girl of 6 (the children of family), anyone else a boy of 14.
func (w *world) child(t testing.TB, clientID, name string) string {
	t.Helper()
	d := people.ChildDetails{EstimatedAge: 14, Gender: "male"}
	if name == "Lena" {
		d = people.ChildDetails{DateOfBirth: w.now().AddDate(-6, 0, -10).Format(time.DateOnly), Gender: "female"}
	}
	c, err := w.people.CreateChild(ctx, w.frontdoor, clientID, people.NewChild{GivenName: name, FamilyName: "Testperson", Details: d})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// mother is a client whose record has the children of family.
func (w *world) mother(t testing.TB, name string) string {
	t.Helper()
	c := w.client(t, name)
	w.child(t, c, "Sami")
	w.child(t, c, "Lena")
	return c
}

// criteria is a women's refuge that takes a household of up to four with
// boys up to 14.
func criteria() refuge.Criteria {
	return refuge.Criteria{Service: refuge.Women, MaxHouseholdSize: 4, MaxChildren: 3, MaxBoyAge: 14, MentalHealth: true, OutOfArea: true, Languages: []string{"English", "Polish"}}
}

func (w *world) property(t testing.TB, name, town, area, address string, c refuge.Criteria, beds ...int) *refuge.Property {
	t.Helper()
	n := refuge.NewProperty{TeamID: "refuge-a", Name: name, Kind: refuge.Communal, Town: town, Area: area, Address: address, Accepts: c}
	for i, b := range beds {
		n.Units = append(n.Units, refuge.NewUnit{Name: "Room " + string(rune('1'+i)), Bedspaces: b})
	}
	p, err := w.svc.CreateProperty(ctx, w.managerA, n)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (w *world) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := w.db.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, query, args, &n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

func code(t testing.TB, err error, want errs.Code, key string) {
	t.Helper()
	if errs.CodeOf(err) != want || (key != "" && errs.As(err).Key != key) {
		t.Fatalf("got %v (%s), want %s %s", err, errs.CodeOf(err), want, key)
	}
}

func fields(t testing.TB, err error) []string {
	t.Helper()
	var fe refuge.FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("want field errors, got %v", err)
	}
	for _, e := range fe {
		if !strings.HasPrefix(e.Key, "refuge.") {
			t.Errorf("key %q outside refuge.", e.Key)
		}
	}
	return fe.Names()
}

func units(vs []refuge.Vacancy) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.UnitID)
	}
	slices.Sort(out)
	return out
}

// mother with two children, one a boy of 14.
func family(clientID string) refuge.Household {
	return refuge.Household{ClientID: clientID, Adults: 1, Children: []refuge.Child{{Age: 14, Boy: true}, {Age: 6}}, Service: refuge.Women}
}

func TestSearchCriteria(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.mother(t, "Amina")
		good := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row, Ashby", criteria(), 3, 2, 1)
		young := criteria()
		young.MaxBoyAge = 12
		w.property(t, "Birch House", "Ashby", "Northgate", "2 Secret Row, Ashby", young, 3)
		small := criteria()
		small.MaxHouseholdSize = 2
		w.property(t, "Cedar House", "Ashby", "Northgate", "3 Secret Row, Ashby", small, 3)
		unsafe := w.property(t, "Damson House", "Ashby", "Eastfield", "4 Secret Row, Ashby", criteria(), 4)
		men := criteria()
		men.Service = refuge.Men
		w.property(t, "Elder House", "Ashby", "Northgate", "5 Secret Row, Ashby", men, 3)
		mixed := criteria()
		mixed.Service = refuge.Mixed
		mixedP := w.property(t, "Fir Court", "Beckton", "Riverside", "6 Secret Row, Beckton", mixed, 3)

		if err := w.svc.SetUnsafeAreas(ctx, w.frontdoor, c, []string{"  eastfield ", "Quarry Lane"}); err != nil {
			t.Fatal(err)
		}
		got, err := w.svc.Search(ctx, w.frontdoor, family(c))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{good.Units[0].ID, mixedP.Units[0].ID}
		slices.Sort(want)
		if !slices.Equal(units(got), want) {
			t.Fatalf("search %+v, want units %v", got, want)
		}
		for _, v := range got {
			if v.Town == "" || v.Area == "" {
				t.Fatalf("vacancy without town or area: %+v", v)
			}
		}
		// Without the client, the unsafe area does not apply.
		anon := family("")
		got, err = w.svc.Search(ctx, w.frontdoor, anon)
		if err != nil || !slices.Contains(units(got), unsafe.Units[0].ID) || len(got) != 3 {
			t.Fatalf("anonymous search %+v %v", got, err)
		}
		// A hold on the unsafe property is refused, saying why.
		_, err = w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: unsafe.Units[0].ID, Household: family(c)})
		code(t, err, errs.Invalid, "refuge.fit_unsafe_area")
		// Other needs filter too.
		for _, tc := range []struct {
			mod  func(*refuge.Household)
			want int
		}{
			{func(h *refuge.Household) { h.Language = "polish" }, 3},
			{func(h *refuge.Household) { h.Language = "Tigrinya" }, 0},
			{func(h *refuge.Household) { h.NRPF = true }, 0},
			{func(h *refuge.Household) { h.Pets = true }, 0},
			{func(h *refuge.Household) { h.SubstanceUse = true }, 0},
			{func(h *refuge.Household) { h.Wheelchair = true }, 0},
			{func(h *refuge.Household) { h.Area = "beckton" }, 1},
			{func(h *refuge.Household) { h.Service = refuge.Men }, 2}, // mixed + the men's property
			// A single adult: the rooms of one and two bedspaces, not the
			// family rooms of three and four (the size rule, fit.go).
			{func(h *refuge.Household) { h.Children = nil }, 2},
		} {
			h := family("")
			tc.mod(&h)
			got, err := w.svc.Search(ctx, w.frontdoor, h)
			if err != nil || len(got) != tc.want {
				t.Errorf("search %+v: %d results %v, want %d", h, len(got), err, tc.want)
			}
		}
		// Unsafe areas read back (sealed at rest).
		if a, err := w.svc.UnsafeAreas(ctx, w.frontdoor, c); err != nil || !slices.Equal(a, []string{"Quarry Lane", "eastfield"}) {
			t.Fatalf("unsafe areas %v %v", a, err)
		}
		// Someone with no relation to the client may neither set nor use them.
		code(t, w.svc.SetUnsafeAreas(ctx, w.outreach, c, []string{"x"}), errs.Forbidden, "")
		_, err = w.svc.Search(ctx, w.outreach, family(c))
		code(t, err, errs.Forbidden, "")
		_, err = w.svc.Search(ctx, w.admin, anon)
		code(t, err, errs.Forbidden, "")
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "Quarry Lane", "1 Secret Row", "6 Secret Row")
	})
}

func TestAddressVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		p := w.property(t, "Rowan House", "Ashby", "Northgate", "17 Hidden Lane, Ashby QA1 2BC", criteria(), 2)
		for _, tc := range []struct {
			name  string
			actor access.Actor
			sees  bool
		}{
			{"own worker", w.workerA, true},
			{"own manager", w.managerA, true},
			{"other refuge team", w.workerB, false},
			{"front door", w.frontdoor, false},
		} {
			before := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'property.address_read' AND record_kind = 'property' AND record_id = $1`, p.ID)
			got, err := w.svc.OpenProperty(ctx, tc.actor, p.ID)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got.CanSeeAddress != tc.sees || (got.Address != "") != tc.sees || got.Town != "Ashby" || got.Area != "Northgate" {
				t.Fatalf("%s: %+v", tc.name, got)
			}
			if tc.sees && got.Address != "17 Hidden Lane, Ashby QA1 2BC" {
				t.Fatalf("%s: address %q", tc.name, got.Address)
			}
			after := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'property.address_read' AND record_kind = 'property' AND record_id = $1`, p.ID)
			if tc.sees != (after == before+1) {
				t.Fatalf("%s: address reads audited %d -> %d", tc.name, before, after)
			}
		}
		_, err := w.svc.OpenProperty(ctx, w.admin, p.ID)
		code(t, err, errs.Forbidden, "")
		_, err = w.svc.OpenProperty(ctx, w.workerA, "0190f2a0-0000-7000-8000-00000000dead")
		code(t, err, errs.NotFound, "")
		// The board belongs to the team that runs the property.
		if b, err := w.svc.Board(ctx, w.workerB); err != nil || len(b) != 0 {
			t.Fatalf("other team's board %+v %v", b, err)
		}
		if b, err := w.svc.Board(ctx, w.workerA); err != nil || len(b) != 1 || b[0].FreeNow != 2 {
			t.Fatalf("board %+v %v", b, err)
		}
		// Only a manager of the team (or an administrator) adds properties.
		_, err = w.svc.CreateProperty(ctx, w.workerA, refuge.NewProperty{TeamID: "refuge-a", Name: "X", Kind: refuge.Satellite, Town: "T", Area: "A", Address: "addr", Accepts: criteria(), Units: []refuge.NewUnit{{Name: "Flat A", Bedspaces: 2}}})
		code(t, err, errs.Forbidden, "")
		_, err = w.svc.CreateProperty(ctx, w.admin, refuge.NewProperty{TeamID: "refuge-b", Name: "X", Kind: refuge.Satellite, Town: "T", Area: "A", Address: "9 Other Close", Accepts: criteria(), Units: []refuge.NewUnit{{Name: "Flat A", Bedspaces: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		// Criteria change with optimistic concurrency.
		c := criteria()
		c.Pets = true
		v, err := w.svc.UpdateCriteria(ctx, w.workerA, p.ID, 1, c)
		if err != nil || v != 2 {
			t.Fatalf("update criteria %d %v", v, err)
		}
		_, err = w.svc.UpdateCriteria(ctx, w.workerA, p.ID, 1, c)
		code(t, err, errs.Conflict, "")
		_, err = w.svc.UpdateCriteria(ctx, w.workerB, p.ID, 2, c)
		code(t, err, errs.Forbidden, "")
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "17 Hidden Lane", "QA1 2BC", "9 Other Close")
	})
}

func TestHoldExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		w.svc.HoldFor = time.Hour
		a, b := w.mother(t, "Amina"), w.mother(t, "Beth")
		p := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", criteria(), 3)
		unit := p.Units[0].ID
		first, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: unit, Household: family(a)})
		if err != nil || first.Status != refuge.Held || !first.HeldUntil.Equal(w.now().Add(time.Hour)) {
			t.Fatalf("hold %+v %v", first, err)
		}
		board, err := w.svc.Board(ctx, w.workerA)
		if err != nil || board[0].FreeNow != 0 || board[0].Units[0].State != refuge.UnitHeld || board[0].Units[0].ReferralID != first.ID {
			t.Fatalf("board %+v %v", board, err)
		}
		if got, _ := w.svc.Search(ctx, w.frontdoor, family("")); len(got) != 0 {
			t.Fatalf("held unit in search %+v", got)
		}
		_, err = w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: unit, Household: family(b)})
		code(t, err, errs.Conflict, "refuge.no_longer_available")

		// Past its expiry the hold is free in every query, swept or not.
		w.advance(time.Hour + time.Second)
		board, err = w.svc.Board(ctx, w.workerA)
		if err != nil || board[0].FreeNow != 3 || board[0].Units[0].State != refuge.UnitFree {
			t.Fatalf("board after expiry %+v %v", board, err)
		}
		if got, _ := w.svc.Search(ctx, w.frontdoor, family("")); len(got) != 1 {
			t.Fatalf("expired hold not free in search %+v", got)
		}
		_, err = w.svc.Offer(ctx, w.workerA, first.ID)
		code(t, err, errs.Conflict, "refuge.hold_expired")
		// The next hold releases the expired one in its own transaction.
		second, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: unit, Household: family(b)})
		if err != nil {
			t.Fatal(err)
		}
		if n := w.count(t, `SELECT count(*) FROM refuge_referrals WHERE id = $1 AND status = 'expired' AND turnaway_reason = 'other'`, first.ID); n != 1 {
			t.Fatal("first referral not expired")
		}
		// The background sweep releases the second once it lapses.
		if n, err := w.svc.ReleaseExpired(ctx); err != nil || n != 0 {
			t.Fatalf("sweep before expiry %d %v", n, err)
		}
		w.advance(2 * time.Hour)
		if n, err := w.svc.ReleaseExpired(ctx); err != nil || n != 1 {
			t.Fatalf("sweep %d %v", n, err)
		}
		if n := w.count(t, `SELECT count(*) FROM refuge_claims WHERE released_at IS NULL`); n != 0 {
			t.Fatalf("%d claims live after the sweep", n)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'refuge.hold_expired' AND record_kind = 'client' AND record_id = $1`, b); n != 1 {
			t.Fatalf("expiry of %s audited %d times", second.ID, n)
		}
		counts, err := w.svc.Turnaways(ctx, w.commissioner, w.now().Add(-24*time.Hour), w.now().Add(time.Hour))
		if err != nil || counts[refuge.OtherReason] != 2 {
			t.Fatalf("turnaways %v %v", counts, err)
		}
	})
}

func TestFullFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.client(t, "Amina")
		boy, girl := w.child(t, c, "Sami"), w.child(t, c, "Lena")
		stranger := w.child(t, w.client(t, "Other"), "Nobody")
		p := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", criteria(), 3, 1)
		unit := p.Units[0].ID

		ref, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: unit, Household: family(c)})
		if err != nil {
			t.Fatal(err)
		}
		// The client's side cannot offer; the refuge cannot accept for the client.
		_, err = w.svc.Offer(ctx, w.frontdoor, ref.ID)
		code(t, err, errs.Forbidden, "")
		_, err = w.svc.Offer(ctx, w.workerB, ref.ID)
		code(t, err, errs.NotFound, "")
		if _, err := w.svc.Offer(ctx, w.workerA, ref.ID); err != nil {
			t.Fatal(err)
		}
		// Reading the referral: the refuge's team and the client's worker,
		// each with what they may do; another refuge does not learn of it.
		if v, err := w.svc.OpenReferral(ctx, w.workerA, ref.ID); err != nil || !v.Runs || v.ForClient || v.PropertyName != "Rowan House" || v.Status != refuge.Offered {
			t.Fatalf("the refuge reads its referral: %+v %v", v, err)
		}
		if v, err := w.svc.OpenReferral(ctx, w.frontdoor, ref.ID); err != nil || v.Runs || !v.ForClient || v.Town != "Ashby" {
			t.Fatalf("the client's worker reads the referral: %+v %v", v, err)
		}
		_, err = w.svc.OpenReferral(ctx, w.workerB, ref.ID)
		code(t, err, errs.NotFound, "")
		_, err = w.svc.Accept(ctx, w.workerA, ref.ID)
		code(t, err, errs.Forbidden, "")
		if r, err := w.svc.Accept(ctx, w.frontdoor, ref.ID); err != nil || r.Status != refuge.Accepted {
			t.Fatalf("accept %+v %v", r, err)
		}
		// Admission checks the household: only the client's children, room for them.
		_, err = w.svc.Admit(ctx, w.workerA, ref.ID, refuge.Admission{MoveIn: w.now(), ChildIDs: []string{boy, stranger}})
		if got := fields(t, err); !slices.Equal(got, []string{"children"}) {
			t.Fatalf("fields %v", got)
		}
		_, err = w.svc.Admit(ctx, w.frontdoor, ref.ID, refuge.Admission{MoveIn: w.now(), ChildIDs: []string{boy, girl}})
		code(t, err, errs.Forbidden, "")
		stay, err := w.svc.Admit(ctx, w.workerA, ref.ID, refuge.Admission{MoveIn: w.now(), ChildIDs: []string{boy, girl}})
		if err != nil {
			t.Fatal(err)
		}
		if len(stay.BedspaceIDs) != 3 || stay.ClientID != c || !slices.Equal(stay.ChildIDs, []string{boy, girl}) {
			t.Fatalf("stay %+v", stay)
		}
		_, err = w.svc.Admit(ctx, w.workerA, ref.ID, refuge.Admission{MoveIn: w.now()})
		code(t, err, errs.Conflict, "refuge.state_changed")

		board, err := w.svc.Board(ctx, w.workerA)
		if err != nil || board[0].FreeNow != 1 || board[0].Units[0].State != refuge.UnitOccupied || board[0].Units[0].StayID != stay.ID {
			t.Fatalf("board %+v %v", board, err)
		}
		// Expected move-out: one click, on the board.
		out := w.now().AddDate(0, 0, 30)
		if err := w.svc.SetExpectedMoveOut(ctx, w.workerA, stay.ID, out); err != nil {
			t.Fatal(err)
		}
		code(t, w.svc.SetExpectedMoveOut(ctx, w.workerB, stay.ID, out), errs.NotFound, "")
		board, _ = w.svc.Board(ctx, w.workerA)
		if len(board[0].Expected) != 1 || board[0].Expected[0].Bedspaces != 3 || board[0].Expected[0].Date.Format(time.DateOnly) != out.UTC().Format(time.DateOnly) {
			t.Fatalf("expected %+v", board[0].Expected)
		}
		// An occupied unit cannot be held.
		_, err = w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: unit, Household: family(w.mother(t, "Beth"))})
		code(t, err, errs.Conflict, "refuge.no_longer_available")

		// Twenty days later they move on.
		w.advance(20 * 24 * time.Hour)
		err = w.svc.Depart(ctx, w.workerA, stay.ID, refuge.Departure{Date: w.now().AddDate(0, 0, 1), Reason: "moved", MoveOn: "castle"})
		if got := fields(t, err); !slices.Equal(got, []string{"date", "reason", "move_on"}) {
			t.Fatalf("fields %v", got)
		}
		if err := w.svc.Depart(ctx, w.workerA, stay.ID, refuge.Departure{Date: w.now(), Reason: "planned_move_on", MoveOn: refuge.SocialHousing}); err != nil {
			t.Fatal(err)
		}
		code(t, w.svc.Depart(ctx, w.workerA, stay.ID, refuge.Departure{Date: w.now(), Reason: "planned_move_on", MoveOn: refuge.SocialHousing}), errs.Conflict, "")
		got, err := w.svc.OpenStay(ctx, w.workerA, stay.ID)
		if err != nil || got.MoveOn != refuge.SocialHousing || got.LengthDays(w.now()) != 20 {
			t.Fatalf("stay %+v %v", got, err)
		}
		board, _ = w.svc.Board(ctx, w.workerA)
		if board[0].FreeNow != 4 {
			t.Fatalf("board after departure %+v", board)
		}
		// Occupancy over the 30 days around the stay: 3 bedspaces × 20 nights of 4 × 30.
		from := w.now().AddDate(0, 0, -25)
		occ, err := w.svc.Occupancy(ctx, w.workerA, from, from.AddDate(0, 0, 30))
		if err != nil || len(occ) != 1 || occ[0].BedspaceDays != 120 || occ[0].OccupiedDays != 60 || occ[0].VoidDays != 60 || occ[0].Departures != 1 || occ[0].AverageStayDays != 20 {
			t.Fatalf("occupancy %+v %v", occ, err)
		}
		if occ, err := w.svc.Occupancy(ctx, w.commissioner, from, from.AddDate(0, 0, 30)); err != nil || len(occ) != 1 {
			t.Fatalf("commissioner occupancy %+v %v", occ, err)
		}
		if occ, err := w.svc.Occupancy(ctx, w.workerB, from, from.AddDate(0, 0, 30)); err != nil || len(occ) != 0 {
			t.Fatalf("other team's occupancy %+v %v", occ, err)
		}
		// Every step is in the client's history.
		for _, action := range []string{"refuge.hold", "refuge.offer", "refuge.accept", "refuge.admit", "refuge.expected_move_out", "refuge.depart"} {
			if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = $1 AND record_kind = 'client' AND record_id = $2`, action, c); n != 1 {
				t.Errorf("%s audited %d times on the client", action, n)
			}
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'refuge.admit' AND record_kind = 'child'`); n != 2 {
			t.Errorf("admission audited on %d children", n)
		}
	})
}

func TestTurnaways(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		p := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", criteria(), 3, 3)
		a, b, c := w.mother(t, "Amina"), w.mother(t, "Beth"), w.client(t, "Cara")
		ra, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: p.Units[0].ID, Household: family(a)})
		if err != nil {
			t.Fatal(err)
		}
		rb, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: p.Units[1].ID, Household: family(b)})
		if err != nil {
			t.Fatal(err)
		}
		err = w.svc.Decline(ctx, w.workerA, ra.ID, refuge.Decline{By: "landlord", Reason: "bored", Note: "bad\x00note"})
		if got := fields(t, err); !slices.Equal(got, []string{"by", "reason", "note"}) {
			t.Fatalf("fields %v", got)
		}
		code(t, w.svc.Decline(ctx, w.frontdoor, ra.ID, refuge.Decline{By: refuge.ByRefuge, Reason: refuge.Risk}), errs.Forbidden, "")
		if err := w.svc.Decline(ctx, w.workerA, ra.ID, refuge.Decline{By: refuge.ByRefuge, Reason: refuge.NeedsNotMet, Note: "needs one-to-one support at night"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Offer(ctx, w.workerA, rb.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.Decline(ctx, w.frontdoor, rb.ID, refuge.Decline{By: refuge.ByClient, Reason: refuge.ClientDeclined}); err != nil {
			t.Fatal(err)
		}
		code(t, w.svc.Decline(ctx, w.frontdoor, rb.ID, refuge.Decline{By: refuge.ByClient, Reason: refuge.ClientDeclined}), errs.Conflict, "")
		if err := w.svc.RecordTurnaway(ctx, w.frontdoor, refuge.Household{ClientID: c, Adults: 1}, refuge.NoSpace); err != nil {
			t.Fatal(err)
		}
		counts, err := w.svc.Turnaways(ctx, w.commissioner, w.now().Add(-time.Hour), w.now().Add(time.Hour))
		want := map[refuge.TurnawayReason]int{refuge.NoSpace: 1, refuge.NeedsNotMet: 1, refuge.Risk: 0, refuge.ClientDeclined: 1, refuge.OtherReason: 0}
		if err != nil || len(counts) != len(want) {
			t.Fatalf("turnaways %v %v", counts, err)
		}
		for k, n := range want {
			if counts[k] != n {
				t.Errorf("%s: %d, want %d", k, counts[k], n)
			}
		}
		_, err = w.svc.Turnaways(ctx, w.admin, w.now().Add(-time.Hour), w.now())
		code(t, err, errs.Forbidden, "")
		// Both units are free again.
		if board, _ := w.svc.Board(ctx, w.workerA); board[0].FreeNow != 6 {
			t.Fatalf("board %+v", board)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "needs one-to-one support at night")
	})
}

func TestFieldErrorsWriteNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		events := w.count(t, `SELECT count(*) FROM audit_events`)
		_, err := w.svc.CreateProperty(ctx, w.managerA, refuge.NewProperty{Name: " ", Kind: "castle", Town: "A\x01", Area: "", Address: "",
			Accepts: refuge.Criteria{Service: "adults", MaxHouseholdSize: 0, MaxChildren: -1, MaxBoyAge: 18, Languages: []string{"a,b"}}})
		want := []string{"team", "name", "kind", "town", "area", "address", "service", "max_household_size", "max_children", "max_boy_age", "languages", "units"}
		if got := fields(t, err); !slices.Equal(got, want) {
			t.Fatalf("fields %v, want %v", got, want)
		}
		_, err = w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{Household: refuge.Household{Adults: 0, Children: []refuge.Child{{Age: 19}}, Service: "mixed", Language: "x\x00"}})
		if got := fields(t, err); !slices.Equal(got, []string{"unit", "client", "adults", "children", "service", "language"}) {
			t.Fatalf("hold fields %v", got)
		}
		if w.count(t, `SELECT count(*) FROM refuge_properties`)+w.count(t, `SELECT count(*) FROM refuge_referrals`) != 0 || w.count(t, `SELECT count(*) FROM audit_events`) != events {
			t.Fatal("invalid input wrote something")
		}
	})
}

// TestHoldRace fires 100 concurrent holds at the last free bedspace:
// exactly one wins, every other gets "no longer available".
func TestHoldRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		p := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", criteria(), 1)
		const n = 100
		clients := make([]string, n)
		for i := range clients {
			clients[i] = w.client(t, "Client")
		}
		var wg sync.WaitGroup
		results := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				_, results[i] = w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: p.Units[0].ID, Household: refuge.Household{ClientID: clients[i], Adults: 1, Service: refuge.Women}})
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range results {
			switch {
			case err == nil:
				won++
			case errs.CodeOf(err) == errs.Conflict && errs.As(err).Key == "refuge.no_longer_available":
			default:
				t.Errorf("unexpected answer: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d holds won, want exactly 1", won)
		}
		byDB := 0
		for _, err := range results {
			if errors.Is(err, store.ErrUnique) || errors.Is(err, store.ErrSerialization) {
				byDB++
			}
		}
		t.Logf("%d of %d losers were stopped by the database (unique index or serialization failure), the rest by the check in the transaction", byDB, n-1)
		if live := w.count(t, `SELECT count(*) FROM refuge_claims WHERE released_at IS NULL`); live != 1 {
			t.Fatalf("%d live claims", live)
		}
	})
}

// TestClaimsUniqueInDatabase: the guarantee does not rest on the Go
// check; the database refuses a second live claim on a bedspace, and
// accepts a new one once the first is released.
func TestClaimsUniqueInDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		p := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", criteria(), 1)
		ref, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: p.Units[0].ID, Household: refuge.Household{ClientID: w.client(t, "A"), Adults: 1, Service: refuge.Women}})
		if err != nil {
			t.Fatal(err)
		}
		insert := func(claimID string) error {
			return w.db.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO refuge_claims (id, bedspace_id, referral_id, created_at) VALUES ($1, $2, $3, $4)`,
					claimID, p.Units[0].BedspaceIDs[0], ref.ID, time.Now().UTC())
				return err
			})
		}
		if err := insert("second-claim"); !errors.Is(err, store.ErrUnique) {
			t.Fatalf("second live claim: %v", err)
		}
		if err := w.svc.Decline(ctx, w.frontdoor, ref.ID, refuge.Decline{By: refuge.ByClient, Reason: refuge.ClientDeclined}); err != nil {
			t.Fatal(err)
		}
		if err := insert("after-release"); err != nil {
			t.Fatalf("claim after release: %v", err)
		}
	})
}

// TestSearchSeesOtherNodesAtOnce: each node keeps the catalogue and the
// claims in memory, yet a property added, a hold taken, an expected
// move-out set and a departure made through one node show in the next
// search and board of another, and a raw change to the tables (a restore,
// an operator's fix) is seen too.
func TestSearchSeesOtherNodesAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		other := &refuge.Service{DB: w.db, Vault: w.svc.Vault, Record: w.svc.Record, Now: w.now, ClientFacts: w.people.Facts, ClientHousehold: w.people.Placement}
		search := func(node *refuge.Service) []string {
			t.Helper()
			got, err := node.Search(ctx, w.frontdoor, family(""))
			if err != nil {
				t.Fatal(err)
			}
			return units(got)
		}
		if got := search(other); len(got) != 0 {
			t.Fatalf("vacancies before any property: %v", got)
		}
		p := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", criteria(), 3)
		unit := p.Units[0].ID
		if got := search(other); !slices.Equal(got, []string{unit}) {
			t.Fatalf("the other node does not see the new property: %v", got)
		}
		c := w.mother(t, "Amina")
		ref, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: unit, Household: family(c)})
		if err != nil {
			t.Fatal(err)
		}
		if got := search(other); len(got) != 0 {
			t.Fatalf("the other node offers a held unit: %v", got)
		}
		if _, err := w.svc.Offer(ctx, w.workerA, ref.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Accept(ctx, w.frontdoor, ref.ID); err != nil {
			t.Fatal(err)
		}
		stay, err := w.svc.Admit(ctx, w.workerA, ref.ID, refuge.Admission{MoveIn: w.now()})
		if err != nil {
			t.Fatal(err)
		}
		out := w.now().Add(72 * time.Hour).Truncate(24 * time.Hour)
		if err := w.svc.SetExpectedMoveOut(ctx, w.workerA, stay.ID, out); err != nil {
			t.Fatal(err)
		}
		board, err := other.Board(ctx, w.workerA)
		if err != nil || len(board) != 1 || board[0].Units[0].State != refuge.UnitOccupied || len(board[0].Expected) != 1 || !board[0].Expected[0].Date.Equal(out) {
			t.Fatalf("the other node's board after admission and expected move-out: %+v %v", board, err)
		}
		if err := w.svc.Depart(ctx, w.workerA, stay.ID, refuge.Departure{Date: w.now(), Reason: "planned_move_on", MoveOn: refuge.SocialHousing}); err != nil {
			t.Fatal(err)
		}
		if got := search(other); !slices.Equal(got, []string{unit}) {
			t.Fatalf("the other node does not see the unit free after departure: %v", got)
		}
		// A change made outside frontdoor moves the counters too.
		if err := w.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE refuge_properties SET max_household = 1 WHERE id = $1`, p.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got := search(other); len(got) != 0 {
			t.Fatalf("the other node ignores a changed property: %v", got)
		}
	})
}

// TestRefugeWritesKeepOneLockOrder: on PostgreSQL a hold locks the audit
// trail's head before it writes its claim (a serializable transaction),
// while a departure or the expired-holds sweep changes a claim first and
// appends to the audit trail after. The version counters the claims move
// must not be a third lock between them: with the counters locked at the
// change, the two transactions below deadlocked and PostgreSQL aborted one.
func TestRefugeWritesKeepOneLockOrder(t *testing.T) {
	w := newWorld(t, store.Postgres)
	for i, name := range []string{"Amina", "Grace"} {
		p := w.property(t, "House "+name, "Ashby", "Northgate", fmt.Sprintf("%d Secret Row", i+1), criteria(), 3)
		if _, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: p.Units[0].ID, Household: family(w.mother(t, name))}); err != nil {
			t.Fatal(err)
		}
	}
	var claims []string
	rows, err := w.db.Writer().QueryContext(ctx, `SELECT id FROM refuge_claims ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		claims = append(claims, id)
	}
	rows.Close()
	if len(claims) < 2 {
		t.Fatalf("claims: %v", claims)
	}
	claims = []string{claims[0], claims[len(claims)-1]} // one of each hold
	// The departure's order: a claim, then the audit head.
	depart, err := w.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer depart.Rollback()
	if _, err := depart.ExecContext(ctx, `UPDATE refuge_claims SET created_at = created_at WHERE id = $1`, claims[0]); err != nil {
		t.Fatal(err)
	}
	// The hold's order: the audit head, then a claim.
	hold, err := w.db.Writer().BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	if _, err := hold.ExecContext(ctx, `LOCK TABLE audit_head IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	holdDone, departDone := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := hold.ExecContext(ctx, `UPDATE refuge_claims SET created_at = created_at WHERE id = $1`, claims[1])
		if err == nil {
			err = hold.Commit()
		}
		holdDone <- err
	}()
	go func() {
		var seq int64
		err := depart.QueryRowContext(ctx, `SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE`).Scan(&seq)
		if err == nil {
			err = depart.Commit()
		}
		departDone <- err
	}()
	if err := <-holdDone; err != nil {
		t.Errorf("the hold's transaction: %v", err)
	}
	if err := <-departDone; err != nil {
		t.Errorf("the departure's transaction: %v", err)
	}
}
