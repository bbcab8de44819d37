package api_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/api"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/i18n"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

// accommodation is a service with a helpline team, two refuges' teams and
// their staff, each with a staff token; a partner agency's token; a client
// with a child and an unsafe area; properties in a safe and an unsafe
// area.
type accommodation struct {
	*harness
	frontdoor, workerA, workerB          access.Actor
	frontdoorTok, workerATok, workerBTok string
	partnerTok                           string
	client, child, other                 string
	rowan, rowanUnit, damsonUnit         string
	lastUnit                             string
	rf                                   *refuge.Service
	manager                              access.Actor
	lead                                 access.Actor
	leadTok                              string
	ppl                                  *people.Service
	property                             func(name, area, address string, beds ...int) *refuge.Property
	mensProperty                         func(name string, beds int) *refuge.Property
}

func newAccommodation(t *testing.T, d store.Dialect) *accommodation {
	t.Helper()
	db := storetest.Open(t, d)
	v := vaulttest.New(t, db)
	rec := audit.NewRecorder(v.AuditKey(), time.Now, api.RequestID)
	accounts := auth.NewService(db, v, rec, time.Now)
	grants := &access.Grants{Vault: v, Record: rec, Now: time.Now}
	ppl := &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: time.Now}
	rf := &refuge.Service{DB: db, Vault: v, Record: rec, Now: time.Now, ClientFacts: ppl.Facts, ClientHousehold: ppl.Placement}
	err := db.Write(ctx, func(tx *store.Tx) error {
		now := time.Now().UTC()
		for _, o := range [][3]string{{frontDoorOrg, "Women's Aid", "charity"}, {policeOrg, "County Police", "police"}} {
			if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, $3, $4)`, o[0], o[1], o[2], now); err != nil {
				return err
			}
		}
		for _, team := range [][2]string{{"helpline", "helpline"}, {"refuge-a", "refuge"}, {"refuge-b", "refuge"}} {
			if _, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ($1, $2, $1, $3, $4)`, team[0], frontDoorOrg, team[1], now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	a, err := api.New(api.Options{DB: db, Auth: accounts, Refuge: rf, Record: rec, Catalogue: i18n.MustLoad(), Logger: slog.New(slog.NewJSONHandler(logs, nil)), RateLimit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a.Handler())
	t.Cleanup(ts.Close)
	h := &accommodation{harness: &harness{db: db, accounts: accounts, api: a, ts: ts, logs: logs}, ppl: ppl}
	staff := func(username string, role access.Role, team string) (access.Actor, string) {
		st, err := accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: frontDoorOrg, Username: username, DisplayName: username, Role: role, TeamIDs: []string{team}})
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := accounts.CreateStaffToken(ctx, "", st.ID, username+" system", []string{api.ScopeAccommodation}, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return access.Actor{StaffID: st.ID, Role: role, OrganisationID: frontDoorOrg, TeamIDs: []string{team}}, secret
	}
	h.frontdoor, h.frontdoorTok = staff("front.door", access.RoleFrontDoorWorker, "helpline")
	h.workerA, h.workerATok = staff("refuge.a", access.RoleRefugeWorker, "refuge-a")
	h.workerB, h.workerBTok = staff("refuge.b", access.RoleRefugeWorker, "refuge-b")
	manager, _ := staff("refuge.lead", access.RoleTeamManager, "refuge-a")
	h.rf, h.manager = rf, manager
	h.lead, h.leadTok = staff("front.lead", access.RoleTeamManager, "helpline")
	h.partnerTok, _, err = accounts.CreateToken(ctx, "", policeOrg, "Police system", []string{api.ScopeCreate, api.ScopeRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	mkClient := func(name string) string {
		c, err := ppl.Create(ctx, h.frontdoor, people.NewClient{GivenName: name, FamilyName: "Quillfeather"})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	h.client, h.other = mkClient("Zephyrine"), mkClient("Ottoline")
	ch, err := ppl.CreateChild(ctx, h.frontdoor, h.client, people.NewChild{GivenName: "Lena", FamilyName: "Quillfeather", Details: people.ChildDetails{EstimatedAge: 6, Gender: "female"}})
	if err != nil {
		t.Fatal(err)
	}
	h.child = ch.ID
	if err := rf.SetUnsafeAreas(ctx, h.frontdoor, h.client, []string{"Eastfield"}); err != nil {
		t.Fatal(err)
	}
	crit := refuge.Criteria{Service: refuge.Women, MaxHouseholdSize: 4, MaxChildren: 3, MaxBoyAge: 14, OutOfArea: true}
	property := func(name, area, address string, beds ...int) *refuge.Property {
		n := refuge.NewProperty{TeamID: "refuge-a", Name: name, Kind: refuge.Communal, Town: "Ashby", Area: area, Address: address, Accepts: crit}
		for i, b := range beds {
			n.Units = append(n.Units, refuge.NewUnit{Name: "Room " + string(rune('1'+i)), Bedspaces: b})
		}
		p, err := rf.CreateProperty(ctx, manager, n)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	rowan := property("Rowan House", "Northgate", "1 Hidden Row, Ashby", 3)
	h.rowan, h.rowanUnit = rowan.ID, rowan.Units[0].ID
	h.damsonUnit = property("Damson House", "Eastfield", "4 Hidden Row, Ashby", 3).Units[0].ID
	h.lastUnit = property("Elm Flat", "Westgate", "9 Hidden Row, Ashby", 2).Units[0].ID
	h.property = property
	h.mensProperty = func(name string, beds int) *refuge.Property {
		c := crit
		c.Service = refuge.Men
		p, err := rf.CreateProperty(ctx, manager, refuge.NewProperty{TeamID: "refuge-a", Name: name, Kind: refuge.Satellite, Town: "Ashby", Area: "Westgate",
			Address: name + " address", Accepts: c, Units: []refuge.NewUnit{{Name: "Flat 1", Bedspaces: beds}}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	return h
}

// woman is a new client recorded as a woman.
func (h *accommodation) woman(t *testing.T) string {
	t.Helper()
	c, err := h.ppl.Create(ctx, h.frontdoor, people.NewClient{GivenName: "Ada", FamilyName: "Quillfeather", Details: people.Details{Gender: "female"}})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func (h *accommodation) code(t *testing.T, r response) string {
	t.Helper()
	var eb errorBody
	r.decode(t, &eb)
	if len(eb.Errors) == 0 {
		t.Fatalf("no error in %s", r.body)
	}
	return eb.Errors[0].Code
}

func (h *accommodation) household() string {
	return `{"adults": 1, "children": [{"age": 6, "sex": "female"}], "service": "women"}`
}

// The whole walk through the API, each step as the token's member of
// staff: the front door worker searches (the unsafe area left out) and
// holds; the refuge's team offers; the client's worker accepts; the team
// admits and records the departure. Every step is decided as on the
// pages, and audited under the member of staff.
func TestAccommodationWalk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newAccommodation(t, d)
		r := h.do(t, "POST", "/api/v1/vacancies/search", h.frontdoorTok, "", `{"client_id": "`+h.client+`", "household": `+h.household()+`}`)
		if r.status != http.StatusOK {
			t.Fatalf("search: %d %s", r.status, r.body)
		}
		var found api.VacancyList
		r.decode(t, &found)
		var units []string
		for _, v := range found.Vacancies {
			units = append(units, v.UnitID)
		}
		if !slices.Contains(units, h.rowanUnit) || slices.Contains(units, h.damsonUnit) || strings.Contains(r.body, "Hidden Row") {
			t.Fatalf("search found %v (Rowan %s, Damson in the unsafe area %s): %s", units, h.rowanUnit, h.damsonUnit, r.body)
		}
		// Without a client the unsafe area is not known, so it is listed.
		r = h.do(t, "POST", "/api/v1/vacancies/search", h.frontdoorTok, "", `{"household": `+h.household()+`}`)
		if r.status != http.StatusOK || !strings.Contains(r.body, h.damsonUnit) {
			t.Fatalf("search without a client: %d %s", r.status, r.body)
		}
		if n := h.count(t, `SELECT count(*) FROM audit_events WHERE action = 'refuge.search' AND actor_id = $1 AND record_id = $2`, h.frontdoor.StaffID, h.client); n != 1 {
			t.Fatalf("%d searches audited on the client under the worker", n)
		}

		hold := `{"unit_id": "` + h.rowanUnit + `", "client_id": "` + h.client + `", "household": ` + h.household() + `}`
		r = h.do(t, "POST", "/api/v1/holds", h.frontdoorTok, "", hold)
		if r.status != http.StatusCreated {
			t.Fatalf("hold: %d %s", r.status, r.body)
		}
		var ref api.AccommodationReferral
		r.decode(t, &ref)
		if ref.ID == "" || ref.Status != "held" || ref.ClientID != h.client || ref.PropertyName != "Rowan House" || ref.Town != "Ashby" || ref.HeldUntil.IsZero() ||
			r.header.Get("Location") != "/api/v1/accommodation-referrals/"+ref.ID || !slices.Equal(ref.Actions, []string{"decline"}) || strings.Contains(r.body, "Hidden Row") {
			t.Fatalf("held: %+v %s", ref, r.header.Get("Location"))
		}
		path := "/api/v1/accommodation-referrals/" + ref.ID

		// Another refuge's worker does not learn of it.
		for _, p := range []string{path, path + "/offer"} {
			method := "GET"
			if strings.HasSuffix(p, "offer") {
				method = "POST"
			}
			if r := h.do(t, method, p, h.workerBTok, "", ""); r.status != http.StatusNotFound || h.code(t, r) != "not_found" {
				t.Fatalf("another refuge %s %s: %d %s", method, p, r.status, r.body)
			}
		}
		// The client's worker cannot offer; the refuge offers.
		if r := h.do(t, "POST", path+"/offer", h.frontdoorTok, "", ""); r.status != http.StatusForbidden || h.code(t, r) != "forbidden" {
			t.Fatalf("front door offering: %d %s", r.status, r.body)
		}
		r = h.do(t, "POST", path+"/offer", h.workerATok, "", "")
		if r.decode(t, &ref); r.status != http.StatusOK || ref.Status != "offered" || slices.Contains(ref.Actions, "accept") {
			t.Fatalf("offer: %d %s", r.status, r.body)
		}
		if r := h.do(t, "POST", path+"/offer", h.workerATok, "", ""); r.status != http.StatusConflict || h.code(t, r) != "conflict" {
			t.Fatalf("offer again: %d %s", r.status, r.body)
		}
		// The refuge cannot accept for the client; the client's worker does.
		if r := h.do(t, "POST", path+"/accept", h.workerATok, "", ""); r.status != http.StatusForbidden {
			t.Fatalf("refuge accepting: %d %s", r.status, r.body)
		}
		r = h.do(t, "GET", path, h.frontdoorTok, "", "")
		if r.decode(t, &ref); r.status != http.StatusOK || !slices.Equal(ref.Actions, []string{"accept", "decline"}) {
			t.Fatalf("client's worker reads: %d %s", r.status, r.body)
		}
		r = h.do(t, "POST", path+"/accept", h.frontdoorTok, "", "")
		if r.decode(t, &ref); r.status != http.StatusOK || ref.Status != "accepted" {
			t.Fatalf("accept: %d %s", r.status, r.body)
		}

		// The board shows the unit held for the referral, no address.
		r = h.do(t, "GET", "/api/v1/vacancies", h.workerATok, "", "")
		var board api.Board
		r.decode(t, &board)
		if r.status != http.StatusOK || len(board.Properties) != 3 || strings.Contains(r.body, "Hidden Row") {
			t.Fatalf("board: %d %s", r.status, r.body)
		}
		for _, p := range board.Properties {
			if p.ID == h.rowan && (p.Units[0].State != "held" || p.Units[0].ReferralID != ref.ID || p.FreeNow != 0) {
				t.Fatalf("Rowan on the board: %+v", p)
			}
		}
		if r := h.do(t, "GET", "/api/v1/vacancies", h.frontdoorTok, "", ""); r.status != http.StatusOK || strings.TrimSpace(r.body) != `{"properties":[]}` {
			t.Fatalf("the front door's board: %d %s", r.status, r.body)
		}

		// Admission: the front door cannot admit; the refuge does.
		today := time.Now().UTC().Format("2006-01-02")
		admit := `{"move_in": "` + today + `", "members": {"children": ["` + h.child + `"]}}`
		if r := h.do(t, "POST", path+"/admit", h.frontdoorTok, "", admit); r.status != http.StatusForbidden {
			t.Fatalf("front door admitting: %d %s", r.status, r.body)
		}
		r = h.do(t, "POST", path+"/admit", h.workerATok, "", admit)
		var stay api.StayView
		if r.decode(t, &stay); r.status != http.StatusCreated || stay.ClientID != h.client || !slices.Equal(stay.ChildIDs, []string{h.child}) ||
			stay.MoveIn != today || stay.Bedspaces != 3 || r.header.Get("Location") != "/api/v1/stays/"+stay.ID {
			t.Fatalf("admit: %d %s", r.status, r.body)
		}
		r = h.do(t, "GET", path, h.workerATok, "", "")
		ref = api.AccommodationReferral{}
		if r.decode(t, &ref); ref.Status != "admitted" || ref.StayID != stay.ID || len(ref.Actions) != 0 || !ref.HeldUntil.IsZero() {
			t.Fatalf("admitted referral: %s", r.body)
		}
		stayPath := "/api/v1/stays/" + stay.ID
		// The stay is the refuge's: the client's own worker may know of it
		// (403); another refuge is told nothing.
		for tok, want := range map[string]int{h.workerATok: 200, h.workerBTok: 404, h.frontdoorTok: 403} {
			if r := h.do(t, "GET", stayPath, tok, "", ""); r.status != want {
				t.Fatalf("reading the stay: %d, want %d: %s", r.status, want, r.body)
			}
		}
		r = h.do(t, "POST", stayPath+"/departure", h.workerATok, "", `{"date": "`+today+`", "reason": "planned_move_on", "move_on": "social_housing"}`)
		if r.decode(t, &stay); r.status != http.StatusOK || stay.MoveOut != today || stay.DepartureReason != "planned_move_on" || stay.MoveOn != "social_housing" {
			t.Fatalf("departure: %d %s", r.status, r.body)
		}
		if r := h.do(t, "POST", stayPath+"/departure", h.workerATok, "", `{"date": "`+today+`", "reason": "planned_move_on", "move_on": "social_housing"}`); r.status != http.StatusConflict {
			t.Fatalf("second departure: %d %s", r.status, r.body)
		}
		// Each step is audited under the member of staff.
		for action, actor := range map[string]string{"refuge.hold": h.frontdoor.StaffID, "refuge.offer": h.workerA.StaffID, "refuge.accept": h.frontdoor.StaffID,
			"refuge.admit": h.workerA.StaffID, "refuge.depart": h.workerA.StaffID} {
			if n := h.count(t, `SELECT count(*) FROM audit_events WHERE action = $1 AND actor_id = $2`, action, actor); n == 0 {
				t.Errorf("%s is not audited under its member of staff", action)
			}
		}
		// Nothing personal, no address and no record ID in the log.
		logs := h.logs.String()
		if !strings.Contains(logs, "POST /api/v1/accommodation-referrals/{id}/admit") {
			t.Fatalf("the log has no request lines: %s", logs)
		}
		for _, secret := range []string{"Zephyrine", "Quillfeather", "Hidden Row", h.client, h.child, ref.ID, stay.ID, "Eastfield"} {
			if strings.Contains(logs, secret) {
				t.Errorf("the log shows %q", secret)
			}
		}
	})
}

// Only a staff token works the accommodation routes: a partner agency's
// token is 403 staff_token_required, and a staff token is no use on the
// partner routes.
func TestAccommodationNeedsAStaffToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newAccommodation(t, d)
		for _, c := range [][3]string{
			{"POST", "/api/v1/vacancies/search", `{"household": {"adults": 1}}`},
			{"GET", "/api/v1/vacancies", ""},
			{"POST", "/api/v1/holds", `{"unit_id": "` + h.rowanUnit + `", "client_id": "` + h.client + `", "household": {"adults": 1}}`},
			{"GET", "/api/v1/stays/0190f2a0-0000-7000-8000-000000000001", ""},
		} {
			r := h.do(t, c[0], c[1], h.partnerTok, "", c[2])
			if r.status != http.StatusForbidden || h.code(t, r) != "staff_token_required" {
				t.Fatalf("partner token on %s %s: %d %s", c[0], c[1], r.status, r.body)
			}
		}
		if r := h.do(t, "GET", "/api/v1/referrals/0190f2a0-0000-7000-8000-000000000001", h.frontdoorTok, "", ""); r.status != http.StatusForbidden || h.code(t, r) != "forbidden" {
			t.Fatalf("staff token on a partner route: %d %s", r.status, r.body)
		}
		if r := h.do(t, "GET", "/api/v1/vacancies", "", "", ""); r.status != http.StatusUnauthorized {
			t.Fatalf("no token: %d %s", r.status, r.body)
		}
		if n := h.count(t, `SELECT count(*) FROM refuge_referrals`); n != 0 {
			t.Fatalf("%d referrals made by refused requests", n)
		}
	})
}

// A staff token is its member of staff as they are now: disabled, the
// token is 401 at once; moved off the team, the team's records are gone
// at once.
func TestStaffTokenFollowsTheStaffMember(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newAccommodation(t, d)
		r := h.do(t, "POST", "/api/v1/holds", h.frontdoorTok, "", `{"unit_id": "`+h.rowanUnit+`", "client_id": "`+h.client+`", "household": `+h.household()+`}`)
		var ref api.AccommodationReferral
		if r.decode(t, &ref); r.status != http.StatusCreated {
			t.Fatalf("hold: %d %s", r.status, r.body)
		}
		path := "/api/v1/accommodation-referrals/" + ref.ID
		if r := h.do(t, "GET", path, h.workerATok, "", ""); r.status != http.StatusOK {
			t.Fatalf("the refuge reads: %d %s", r.status, r.body)
		}
		// Worker A leaves the refuge's team.
		if err := h.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `DELETE FROM team_members WHERE staff_id = $1`, h.workerA.StaffID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if r := h.do(t, "GET", path, h.workerATok, "", ""); r.status != http.StatusNotFound {
			t.Fatalf("after leaving the team, reading: %d %s", r.status, r.body)
		}
		if r := h.do(t, "POST", path+"/offer", h.workerATok, "", ""); r.status != http.StatusNotFound {
			t.Fatalf("after leaving the team, offering: %d %s", r.status, r.body)
		}
		if r := h.do(t, "GET", "/api/v1/vacancies", h.workerATok, "", ""); r.status != http.StatusOK || strings.TrimSpace(r.body) != `{"properties":[]}` {
			t.Fatalf("after leaving the team, the board: %d %s", r.status, r.body)
		}
		// The front door worker is disabled: their token stops at once.
		if err := h.accounts.SetDisabled(ctx, "", h.frontdoor.StaffID, true, "left the service this morning"); err != nil {
			t.Fatal(err)
		}
		r = h.do(t, "GET", path, h.frontdoorTok, "", "")
		if r.status != http.StatusUnauthorized || h.code(t, r) != "unauthenticated" || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("disabled staff's token: %d %s", r.status, r.body)
		}
		if r := h.do(t, "POST", "/api/v1/vacancies/search", h.frontdoorTok, "", `{"household": {"adults": 1}}`); r.status != http.StatusUnauthorized {
			t.Fatalf("disabled staff's search: %d %s", r.status, r.body)
		}
	})
}

// The last free unit held twice: the second is 409 no_longer_available,
// with a message that says so, and nothing is written for it.
func TestSecondHoldIsNoLongerAvailable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newAccommodation(t, d)
		body := func(client string) string {
			return `{"unit_id": "` + h.lastUnit + `", "client_id": "` + client + `", "household": {"adults": 1, "service": "women"}}`
		}
		if r := h.do(t, "POST", "/api/v1/holds", h.frontdoorTok, "", body(h.client)); r.status != http.StatusCreated {
			t.Fatalf("first hold: %d %s", r.status, r.body)
		}
		r := h.do(t, "POST", "/api/v1/holds", h.frontdoorTok, "", body(h.other))
		var eb errorBody
		r.decode(t, &eb)
		if r.status != http.StatusConflict || len(eb.Errors) != 1 || eb.Errors[0].Code != "no_longer_available" || !strings.Contains(eb.Errors[0].Reason, "no longer available") {
			t.Fatalf("second hold: %d %s", r.status, r.body)
		}
		if n := h.count(t, `SELECT count(*) FROM refuge_referrals`); n != 1 {
			t.Fatalf("%d referrals after a lost hold", n)
		}
		if n := h.count(t, `SELECT count(*) FROM refuge_claims WHERE released_at IS NULL`); n != 2 {
			t.Fatalf("%d live claims on a two-bedspace unit", n)
		}
		// Holds of one unit at the same moment, for four households: one
		// wins, every other is told the unit is no longer available.
		results := make([]response, 6)
		room := h.property("Ash Room", "Westgate", "11 Hidden Row, Ashby", 1).Units[0].ID
		clients := []string{h.woman(t), h.woman(t), h.woman(t), h.woman(t)}
		var wg sync.WaitGroup
		for i := range results {
			client := clients[i%len(clients)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = h.do(t, "POST", "/api/v1/holds", h.frontdoorTok, "", `{"unit_id": "`+room+`", "client_id": "`+client+`", "household": {"adults": 1}}`)
			}()
		}
		wg.Wait()
		won := 0
		for _, r := range results {
			switch {
			case r.status == http.StatusCreated:
				won++
			case r.status != http.StatusConflict || !strings.Contains(r.body, `"no_longer_available"`):
				t.Fatalf("a concurrent hold: %d %s", r.status, r.body)
			}
		}
		if won != 1 {
			t.Fatalf("%d concurrent holds of one unit won", won)
		}
		if n := h.count(t, `SELECT count(*) FROM refuge_referrals`); n != 2 {
			t.Fatalf("%d referrals after the concurrent holds", n)
		}
	})
}

// Bad bodies are refused before anything is written: field errors are
// 422 naming every field by its JSON path; malformed bodies are 400; the
// referral and stay are as they were.
func TestAccommodationBadBodies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newAccommodation(t, d)
		r := h.do(t, "POST", "/api/v1/holds", h.frontdoorTok, "", `{"unit_id": "`+h.rowanUnit+`", "client_id": "`+h.client+`", "household": `+h.household()+`}`)
		var ref api.AccommodationReferral
		if r.decode(t, &ref); r.status != http.StatusCreated {
			t.Fatalf("hold: %d %s", r.status, r.body)
		}
		path := "/api/v1/accommodation-referrals/" + ref.ID
		audited := h.count(t, `SELECT count(*) FROM audit_events`)
		cases := []struct {
			name, tok, method, path, body string
			status                        int
			fields                        []string
		}{
			{"search household", h.frontdoorTok, "POST", "/api/v1/vacancies/search",
				`{"client_id": "not-an-id", "household": {"adults": 9, "children": [{"age": 30, "sex": "boy"}], "service": "cats"}}`, 422,
				[]string{"client_id", "household.adults", "household.children", "household.service"}},
			{"search wrong type", h.frontdoorTok, "POST", "/api/v1/vacancies/search", `{"household": {"adults": "one"}}`, 422, []string{"household.adults"}},
			{"search child wrong type", h.frontdoorTok, "POST", "/api/v1/vacancies/search", `{"household": {"adults": 1, "children": [{"age": "six", "sex": "female"}]}}`, 422, []string{"household.children.age"}},
			{"search unknown field", h.frontdoorTok, "POST", "/api/v1/vacancies/search", `{"household": {"adults": 1, "bedrooms": 2}}`, 400, []string{"household.bedrooms"}},
			{"search child unknown field", h.frontdoorTok, "POST", "/api/v1/vacancies/search", `{"household": {"adults": 1, "children": [{"age": 3, "sex": "male", "Name": "Sami"}]}}`, 400, []string{""}},
			{"search child wrong case", h.frontdoorTok, "POST", "/api/v1/vacancies/search", `{"household": {"adults": 1, "children": [{"age": 3, "SEX": "male"}]}}`, 400, []string{"household.children.SEX"}},
			{"search duplicate key", h.frontdoorTok, "POST", "/api/v1/vacancies/search", `{"household": {"adults": 1, "adults": 2}}`, 400, []string{"household.adults"}},
			{"hold", h.frontdoorTok, "POST", "/api/v1/holds", `{"unit_id": "nope", "household": {"adults": 0}}`, 422, []string{"unit_id", "client_id", "household.adults"}},
			{"hold unsuitable", h.frontdoorTok, "POST", "/api/v1/holds", `{"unit_id": "` + h.damsonUnit + `", "client_id": "` + h.client + `", "household": {"adults": 1}}`, 422,
				[]string{"household.service", "unit_id", "unit_id"}}, // no service known; too large; in the unsafe area
			{"hold not json", h.frontdoorTok, "POST", "/api/v1/holds", `{"unit_id": `, 400, []string{""}},
			{"decline", h.frontdoorTok, "POST", path + "/decline", `{"by": "cat", "reason": "bored"}`, 422, []string{"by", "reason"}},
			{"decline trailing", h.frontdoorTok, "POST", path + "/decline", `{"by": "client", "reason": "other"} {}`, 400, []string{""}},
			{"admit", h.workerATok, "POST", path + "/admit", `{"move_in": "31/12/2026", "members": {"children": ["Lena"]}}`, 422, []string{"move_in", "members.children"}},
			{"admit form", h.workerATok, "POST", path + "/admit", "move_in=2026-12-01", 415, []string{"Content-Type"}},
			{"departure", h.workerATok, "POST", "/api/v1/stays/0190f2a0-0000-7000-8000-000000000001/departure", `{"date": "2026-13-01", "reason": "bored", "move_on": "moon"}`, 422, []string{"date", "reason", "move_on"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var r response
				if c.name == "admit form" {
					r = h.do(t, c.method, c.path, c.tok, "", c.body, "Content-Type", "application/x-www-form-urlencoded")
				} else {
					r = h.do(t, c.method, c.path, c.tok, "", c.body)
				}
				if r.status != c.status {
					t.Fatalf("%d %s, want %d", r.status, r.body, c.status)
				}
				got := fieldsOf(t, r)
				slices.Sort(got)
				want := slices.Clone(c.fields)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("fields %v, want %v: %s", got, want, r.body)
				}
				if strings.Contains(r.body, "Sami") || strings.Contains(r.body, "cats") || strings.Contains(r.body, "moon") {
					t.Fatalf("a value is echoed: %s", r.body)
				}
			})
		}
		r = h.do(t, "GET", path, h.frontdoorTok, "", "")
		if r.decode(t, &ref); ref.Status != "held" {
			t.Fatalf("after refused requests the referral is %s", ref.Status)
		}
		if n := h.count(t, `SELECT count(*) FROM refuge_referrals`) + h.count(t, `SELECT count(*) FROM refuge_stays`); n != 1 {
			t.Fatalf("%d referrals and stays after refused requests", n)
		}
		// Only the read just now was audited.
		if n := h.count(t, `SELECT count(*) FROM audit_events`); n != audited+1 {
			t.Fatalf("%d audit events from refused requests", n-audited-1)
		}
	})
}
