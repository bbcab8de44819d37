package demo

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdoor/internal/access"
)

func streamAll(t *testing.T, p *Partnership, cfg Config) []*Household {
	t.Helper()
	var hs []*Household
	if err := p.Households(cfg, func(h *Household) error { hs = append(hs, h); return nil }); err != nil {
		t.Fatal(err)
	}
	return hs
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Seed: 7}
	p1, p2 := NewPartnership(cfg), NewPartnership(cfg)
	if !reflect.DeepEqual(p1, p2) {
		t.Fatal("same seed gave different partnerships")
	}
	other := NewPartnership(Config{Seed: 8})
	if reflect.DeepEqual(p1.Staff, other.Staff) || p1.Organisations[0].ID == other.Organisations[0].ID {
		t.Fatal("different seeds gave the same partnership")
	}
	for _, i := range []int{0, 1, 17, 150, 299} {
		a, b := HouseholdAt(p1, cfg, i), HouseholdAt(p2, cfg, i)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("household %d differs between runs with the same seed", i)
		}
		c := HouseholdAt(other, Config{Seed: 8}, i)
		if c.ID == a.ID || reflect.DeepEqual(a.Client, c.Client) {
			t.Fatalf("household %d is the same under a different seed", i)
		}
	}
	if HouseholdAt(p1, cfg, -1) != nil || HouseholdAt(p1, cfg, p1.HouseholdCount(cfg)) != nil {
		t.Fatal("out-of-range index should give nil")
	}
}

func TestHouseholdAtMatchesStream(t *testing.T) {
	for _, scale := range []int{1, 3} {
		cfg := Config{Seed: 99, Scale: scale}
		p := NewPartnership(cfg)
		hs := streamAll(t, p, cfg)
		if len(hs) != p.HouseholdCount(cfg) {
			t.Fatalf("scale %d: streamed %d, HouseholdCount %d", scale, len(hs), p.HouseholdCount(cfg))
		}
		for i, h := range hs {
			if h.Index != i {
				t.Fatalf("household %d has Index %d", i, h.Index)
			}
			if !reflect.DeepEqual(h, HouseholdAt(p, cfg, i)) {
				t.Fatalf("scale %d: HouseholdAt(%d) differs from the stream", scale, i)
			}
		}
	}
}

// Shards generated concurrently give the same households as the stream.
func TestShardedGeneration(t *testing.T) {
	cfg := Config{Seed: 3, Scale: 2}
	p := NewPartnership(cfg)
	want := streamAll(t, p, cfg)
	got := make([]*Household, len(want))
	var wg sync.WaitGroup
	const shards = 4
	for s := range shards {
		wg.Go(func() {
			for i := s; i < len(got); i += shards {
				got[i] = HouseholdAt(p, cfg, i)
			}
		})
	}
	wg.Wait()
	if !reflect.DeepEqual(want, got) {
		t.Fatal("sharded generation differs from the stream")
	}
}

func TestHouseholdsStopsOnError(t *testing.T) {
	cfg := Config{}
	p := NewPartnership(cfg)
	stop := errors.New("stop")
	n := 0
	err := p.Households(cfg, func(*Household) error {
		n++
		if n == 5 {
			return stop
		}
		return nil
	})
	if err != stop || n != 5 {
		t.Fatalf("err %v after %d households", err, n)
	}
}

func TestScaleOneWorld(t *testing.T) {
	cfg := Config{Seed: 2026}
	p := NewPartnership(cfg)
	hs := streamAll(t, p, cfg)
	now := DefaultNow
	start := now.AddDate(-2, 0, 0)

	if n := len(hs); n < 250 || n > 400 {
		t.Fatalf("%d clients at scale 1", n)
	}

	// Organisations, towns, properties.
	kinds := map[string]int{}
	for _, o := range p.Organisations {
		kinds[o.Kind]++
	}
	for _, k := range []string{"charity", "housing_association", "refuge_operator", "commissioner", "partner_agency"} {
		if kinds[k] == 0 {
			t.Errorf("no organisation of kind %s", k)
		}
	}
	if len(p.Towns) != 2 {
		t.Errorf("%d towns at scale 1", len(p.Towns))
	}
	propKinds := map[string]int{}
	for _, pr := range p.Properties {
		propKinds[pr.Kind]++
		if pr.Kind == "refuge" && (len(pr.Units) < 8 || len(pr.Units) > 10) {
			t.Errorf("refuge %s has %d units", pr.Name, len(pr.Units))
		}
		if pr.Address == "" || pr.Town == "" || pr.Accepts.Service == "" {
			t.Errorf("property %s incomplete", pr.Name)
		}
	}
	if propKinds["refuge"] != 2 || propKinds["satellite"] != 6 {
		t.Errorf("properties: %v", propKinds)
	}
	services := map[string]bool{}
	for _, tm := range p.Teams {
		services[tm.Service] = true
	}
	for _, s := range []string{"helpline", "outreach", "idva", "refuge", "male_victim", "children", "management", "volunteers"} {
		if !services[s] {
			t.Errorf("no %s team", s)
		}
	}

	// Staff: every role, unique lowercase usernames, one admin called admin.
	roles := map[access.Role]int{}
	users := map[string]bool{}
	for _, s := range p.Staff {
		roles[s.Role]++
		if users[s.Username] {
			t.Errorf("duplicate username %q", s.Username)
		}
		users[s.Username] = true
		if s.Username != strings.ToLower(s.Username) || strings.ContainsAny(s.Username, " '") {
			t.Errorf("username %q is not a plain lowercase login", s.Username)
		}
		if !s.Role.Valid() {
			t.Errorf("invalid role %q", s.Role)
		}
	}
	for _, r := range access.Roles {
		if roles[r] == 0 {
			t.Errorf("no staff with role %s", r)
		}
	}
	for _, r := range []access.Role{access.RoleDataProtectionLead, access.RoleAdministrator, access.RolePartnerAgencyUser, access.RoleCommissioner} {
		if roles[r] != 1 {
			t.Errorf("%d staff with role %s, want 1", roles[r], r)
		}
	}
	for _, r := range []access.Role{access.RoleFrontDoorWorker, access.RoleOutreachWorker, access.RoleIDVA, access.RoleRefugeWorker, access.RoleVolunteer, access.RoleTeamManager} {
		if roles[r] < 2 {
			t.Errorf("only %d staff with role %s", roles[r], r)
		}
	}
	if !users["admin"] {
		t.Error("no admin account")
	}

	// Every ID in the world is unique.
	ids := map[string]string{}
	seen := func(id, what string) {
		t.Helper()
		if len(id) != 36 || id[14] != '7' {
			t.Errorf("%s ID %q is not UUIDv7-shaped", what, id)
		}
		if prev, ok := ids[id]; ok {
			t.Errorf("ID %s used by %s and %s", id, prev, what)
		}
		ids[id] = what
	}
	for _, o := range p.Organisations {
		seen(o.ID, "organisation")
	}
	teamIDs := map[string]bool{}
	for _, tm := range p.Teams {
		seen(tm.ID, "team")
		teamIDs[tm.ID] = true
	}
	staffIDs := map[string]bool{}
	for _, s := range p.Staff {
		seen(s.ID, "staff")
		staffIDs[s.ID] = true
		for _, tid := range s.TeamIDs {
			if !teamIDs[tid] {
				t.Errorf("staff %s in unknown team", s.Username)
			}
		}
	}
	agencyIDs := map[string]bool{}
	for _, a := range p.PartnerAgencies {
		seen(a.ID, "agency")
		agencyIDs[a.ID] = true
	}
	type bedKey struct{ prop, unit, bed string }
	beds := map[bedKey]bool{}
	for _, pr := range p.Properties {
		seen(pr.ID, "property")
		if !teamIDs[pr.TeamID] {
			t.Errorf("property %s run by unknown team", pr.Name)
		}
		for _, u := range pr.Units {
			seen(u.ID, "unit")
			for _, b := range u.Bedspaces {
				seen(b.ID, "bedspace")
				beds[bedKey{pr.ID, u.ID, b.ID}] = true
			}
		}
	}

	inWindow := func(tm time.Time, what string) {
		t.Helper()
		if tm.Before(start) || tm.After(now) {
			t.Errorf("%s at %v is outside the window", what, tm)
		}
	}
	type stay struct{ from, to time.Time }
	occupied := map[string][]stay{}
	var kids, refs, contacts, ras, placements, male, dups, counters int
	for _, h := range hs {
		seen(h.ID, "household")
		seen(h.Client.ID, "client")
		for _, c := range h.Children {
			seen(c.ID, "child")
			if age := now.Year() - c.DateOfBirth.Year(); age < 0 || age > 18 {
				t.Errorf("child aged %d", age)
			}
		}
		for _, x := range h.Perpetrators {
			seen(x.ID, "perpetrator")
		}
		if !teamIDs[h.TeamID] || !staffIDs[h.KeyWorkerID] {
			t.Errorf("household %d: unknown team or key worker", h.Index)
		}
		inWindow(h.Opened, "opened")
		if !h.Closed.IsZero() {
			inWindow(h.Closed, "closed")
		}
		for _, r := range h.Referrals {
			seen(r.ID, "referral")
			inWindow(r.Received, "referral")
			if r.AgencyID != "" && !agencyIDs[r.AgencyID] {
				t.Errorf("referral from unknown agency")
			}
			if !teamIDs[r.TeamID] {
				t.Errorf("referral to unknown team")
			}
		}
		for _, c := range h.Contacts {
			seen(c.ID, "contact")
			inWindow(c.Time, "contact")
			if !staffIDs[c.StaffID] {
				t.Errorf("contact by unknown staff")
			}
		}
		if len(h.RiskAssessments) == 0 {
			t.Errorf("household %d has no risk assessment", h.Index)
		}
		for _, ra := range h.RiskAssessments {
			seen(ra.ID, "risk assessment")
			inWindow(ra.Completed, "risk assessment")
			if len(ra.Answers) != 24 {
				t.Fatalf("%d answers", len(ra.Answers))
			}
			yes := 0
			for _, a := range ra.Answers {
				switch a {
				case "yes":
					yes++
				case "no", "not_known":
				default:
					t.Fatalf("answer %q", a)
				}
			}
			if yes != ra.YesCount {
				t.Errorf("YesCount %d, %d yes answers", ra.YesCount, yes)
			}
			if ra.YesCount >= 14 && ra.Level != "high" {
				t.Errorf("%d yes answers but level %s", ra.YesCount, ra.Level)
			}
		}
		for _, pm := range h.Placements {
			seen(pm.ID, "placement")
			inWindow(pm.MoveIn, "move-in")
			to := now
			if !pm.MoveOut.IsZero() {
				inWindow(pm.MoveOut, "move-out")
				if !pm.MoveOut.After(pm.MoveIn) || pm.DepartureReason == "" || pm.MoveOnDestination == "" {
					t.Errorf("bad departure %+v", pm)
				}
				to = pm.MoveOut
			}
			if len(pm.BedspaceIDs) != 1+len(h.Children) || pm.BedspaceIDs[0] != pm.BedspaceID {
				t.Errorf("household of %d in %d bedspaces", 1+len(h.Children), len(pm.BedspaceIDs))
			}
			for _, b := range pm.BedspaceIDs {
				if !beds[bedKey{pm.PropertyID, pm.UnitID, b}] {
					t.Fatalf("placement references a bedspace that does not exist")
				}
				for _, s := range occupied[b] {
					if pm.MoveIn.Before(s.to) && s.from.Before(to) {
						t.Errorf("bedspace %s double-booked", b)
					}
				}
				occupied[b] = append(occupied[b], stay{pm.MoveIn, to})
			}
		}
		var last time.Time
		for _, e := range h.Events {
			seen(e.ID, "event")
			inWindow(e.Time, "event")
			if e.Time.Before(last) {
				t.Errorf("household %d: events out of order", h.Index)
			}
			last = e.Time
			if e.Kind == "" || e.Note == "" || !staffIDs[e.StaffID] {
				t.Errorf("incomplete event %+v", e)
			}
		}
		kids += len(h.Children)
		refs += len(h.Referrals)
		contacts += len(h.Contacts)
		ras += len(h.RiskAssessments)
		placements += len(h.Placements)
		if h.Client.Gender == "male" {
			male++
			if h.Service != "male_victim" && h.Service != "refuge" {
				t.Errorf("male client served by %s", h.Service)
			}
		}
		if j := h.NearDuplicateOf; j >= 0 {
			dups++
			o := hs[j].Client
			c := h.Client
			if j >= h.Index || (c.FamilyName != o.FamilyName && c.GivenName != o.GivenName) {
				t.Errorf("household %d is not a near-duplicate of %d: %s %s / %s %s", h.Index, j, c.GivenName, c.FamilyName, o.GivenName, o.FamilyName)
			}
		}
		if j := h.MatchesPerpetratorOf; j >= 0 {
			counters++
			o := hs[j].Perpetrators[0]
			if h.Client.FamilyName != o.FamilyName || h.Client.DateOfBirth.IsZero() {
				t.Errorf("household %d client does not match perpetrator of %d", h.Index, j)
			}
		}
	}
	n := len(hs)
	if kids == 0 || refs < n || contacts < n || ras < n || placements == 0 {
		t.Errorf("kids %d referrals %d contacts %d assessments %d placements %d", kids, refs, contacts, ras, placements)
	}
	if pc := 100 * male / n; pc < 5 || pc > 16 {
		t.Errorf("%d%% male clients", pc)
	}
	if dups == 0 || counters == 0 {
		t.Errorf("%d near-duplicates, %d counter-allegation clients", dups, counters)
	}
}

// At a larger scale, events per person stays near ten and the
// PeoplePerScale constant (and so ScaleForPeople) stays honest.
func TestEventsPerPerson(t *testing.T) {
	if ScaleForPeople(1_000_000) != 1000 {
		t.Fatalf("ScaleForPeople(1e6) = %d", ScaleForPeople(1_000_000))
	}
	cfg := Config{Seed: 5, Scale: 1000}
	p := NewPartnership(cfg)
	n := p.HouseholdCount(cfg)
	var hh, people, events, heavy int
	for i := 0; i < n; i += n / 4000 {
		h := HouseholdAt(p, cfg, i)
		hh++
		people += h.People()
		events += len(h.Events)
		if len(h.Events) >= 150 {
			heavy++
		}
	}
	ratio := float64(events) / float64(people)
	if ratio < 9 || ratio > 11 {
		t.Errorf("%.2f events per person", ratio)
	}
	perScale := float64(people) / float64(hh) * HouseholdsPerScale
	if perScale < 0.95*PeoplePerScale || perScale > 1.05*PeoplePerScale {
		t.Errorf("%.0f people per unit of scale, PeoplePerScale says %d", perScale, PeoplePerScale)
	}
	if heavy == 0 {
		t.Error("no heavy (~200 event) households")
	}
}

// The largest partnership: ~400 properties, ~5,000 bedspaces, ~2,000 staff.
func TestLargePartnership(t *testing.T) {
	p := NewPartnership(Config{Seed: 1, Scale: 3300})
	beds := 0
	for _, pr := range p.Properties {
		for _, u := range pr.Units {
			beds += len(u.Bedspaces)
		}
	}
	if n := len(p.Properties); n < 350 || n > 450 {
		t.Errorf("%d properties", n)
	}
	if beds < 4000 || beds > 6000 {
		t.Errorf("%d bedspaces", beds)
	}
	if n := len(p.Staff); n < 1600 || n > 2400 {
		t.Errorf("%d staff", n)
	}
	users := map[string]bool{}
	for _, s := range p.Staff {
		if users[s.Username] {
			t.Fatalf("duplicate username %q", s.Username)
		}
		users[s.Username] = true
	}
}

// No double-booked bedspace when demand exceeds capacity either.
func TestNoDoubleBookingAtScale(t *testing.T) {
	cfg := Config{Seed: 11, Scale: 40}
	p := NewPartnership(cfg)
	type stay struct{ from, to time.Time }
	occupied := map[string][]stay{}
	err := p.Households(cfg, func(h *Household) error {
		for _, pm := range h.Placements {
			to := cfg.normalized().Now
			if !pm.MoveOut.IsZero() {
				to = pm.MoveOut
			}
			for _, s := range occupied[pm.UnitID] {
				if pm.MoveIn.Before(s.to) && s.from.Before(to) {
					t.Fatalf("unit %s double-booked", pm.UnitID)
				}
			}
			occupied[pm.UnitID] = append(occupied[pm.UnitID], stay{pm.MoveIn, to})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(occupied) == 0 {
		t.Fatal("no placements")
	}
}

func TestFictional(t *testing.T) {
	real := []string{"London", "Manchester", "Birmingham", "Worcester", "Kidderminster", "Consett", "Hampshire", "Durham"}
	check := func(what, s string) {
		t.Helper()
		for _, r := range real {
			if strings.Contains(strings.ToLower(s), strings.ToLower(r)) {
				t.Errorf("%s %q contains the real place name %s", what, s, r)
			}
		}
	}
	for _, scale := range []int{1, 1000} {
		cfg := Config{Seed: int64(scale), Scale: scale}
		p := NewPartnership(cfg)
		for _, tn := range p.Towns {
			check("town", tn.Name)
			for _, nb := range tn.Neighbourhoods {
				check("neighbourhood", nb)
			}
		}
		for _, pr := range p.Properties {
			check("property", pr.Name)
			check("town", pr.Town)
			check("area", pr.Area)
			check("address", pr.Address)
		}
		for _, o := range p.Organisations {
			check("organisation", o.Name)
		}
		for _, a := range p.PartnerAgencies {
			check("agency", a.Name)
		}
		n := p.HouseholdCount(cfg)
		for i := 0; i < n; i += max(1, n/1000) {
			h := HouseholdAt(p, cfg, i)
			check("town", h.Client.Town)
			check("address", h.Client.Address)
			for _, c := range h.Children {
				check("school", c.School)
				check("GP", c.GP)
			}
			for _, x := range h.Perpetrators {
				for _, a := range x.KnownAddresses {
					check("address", a)
				}
				for _, c := range x.Conditions {
					check("condition", c)
				}
			}
			// Contact details must never reach a real person.
			if e := h.Client.Email; e != "" && !strings.HasSuffix(e, "@example.com") && !strings.HasSuffix(e, "@example.org") && !strings.HasSuffix(e, "@example.net") {
				t.Errorf("e-mail %q outside the reserved example domains", e)
			}
			if ph := h.Client.Phone; ph != "" && !strings.HasPrefix(ph, "07700 900") && !strings.HasPrefix(ph, "01632 960") {
				t.Errorf("phone %q outside the drama ranges", ph)
			}
		}
	}
}
