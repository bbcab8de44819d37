package demo

import "frontdoor/internal/access"

// index is the partnership pre-digested for household generation: who can be
// allocated from each team, which units exist and when their occupancy slots
// start. It is built once by NewPartnership and only read afterwards, so
// households can be generated from many goroutines at once.
type index struct {
	meta      buildMeta
	units     []unitRef
	teams     []teamStaff
	towns     []townInfo
	police    int // partner agency indexes
	childrens int
	other     []int // solicitors and the security installer
}

type unitRef struct {
	prop, unit int
	phase      int // days from the window start to the first slot
	service    string
	beds       int
	maxBoyAge  int
	wheelchair bool
	town       int
	team       int
}

// teamStaff lists a team's staff IDs by role (indexed like access.Roles).
type teamStaff struct{ byRole [][]string }

func (t *teamStaff) role(r access.Role) []string { return t.byRole[roleIndex(r)] }

// first returns the staff of the first role the team has anyone in, falling
// back to its managers so a pick never sees an empty list.
func (t *teamStaff) first(roles ...access.Role) []string {
	for _, r := range roles {
		if s := t.role(r); len(s) > 0 {
			return s
		}
	}
	return t.role(access.RoleTeamManager)
}

type townInfo struct {
	nurseries, primaries, secondaries, colleges, gps []string
	gpIdx                                            []int // partner agency indexes of the GPs
	housing                                          int   // partner agency index
}

func roleIndex(r access.Role) int {
	for i, k := range access.Roles {
		if k == r {
			return i
		}
	}
	return 0
}

func buildIndex(p *Partnership, cfg Config, meta buildMeta) *index {
	ix := &index{meta: meta}
	teamByID := map[string]int{}
	for i, t := range p.Teams {
		teamByID[t.ID] = i
	}
	ix.teams = make([]teamStaff, len(p.Teams))
	for i := range ix.teams {
		ix.teams[i].byRole = make([][]string, len(access.Roles))
	}
	for _, s := range p.Staff {
		if len(s.TeamIDs) == 0 {
			continue
		}
		// Only the home team: managers also sit in "management", but they are
		// allocated work through the team they manage.
		t := teamByID[s.TeamIDs[0]]
		ri := roleIndex(s.Role)
		ix.teams[t].byRole[ri] = append(ix.teams[t].byRole[ri], s.ID)
	}

	townByName := map[string]int{}
	for i, t := range p.Towns {
		townByName[t.Name] = i
	}
	for pi, pr := range p.Properties {
		for ui, u := range pr.Units {
			ur := newRng(cfg.Seed, uint64(len(ix.units)), streamUnitPhase)
			ix.units = append(ix.units, unitRef{
				prop: pi, unit: ui, phase: ur.intn(slotDays), service: pr.Accepts.Service,
				beds: len(u.Bedspaces), maxBoyAge: pr.Accepts.MaxBoyAge, wheelchair: u.WheelchairAccessible,
				town: townByName[pr.Town], team: teamByID[pr.TeamID],
			})
		}
	}

	r := newRng(cfg.Seed, 1, streamPartnership)
	ix.towns = make([]townInfo, len(p.Towns))
	for i, t := range p.Towns {
		ti := &ix.towns[i]
		ti.nurseries = []string{
			pick(&r, []string{"Little Acorns", "Busy Bees", "Rainbow", "Tiny Steps"}) + " Nursery, " + t.Name,
			t.Neighbourhoods[1] + " Children's Centre Nursery",
		}
		ti.primaries = []string{
			"St " + pick(&r, saints) + "'s C of E Primary School",
			t.Neighbourhoods[2] + " Primary School",
			pick(&r, streetStems) + " Lane Community Primary",
		}
		ti.secondaries = []string{t.Name + " Academy", t.Neighbourhoods[3] + " High School"}
		ti.colleges = []string{t.Name + " College"}
	}
	for ai, a := range p.PartnerAgencies {
		switch a.Kind {
		case "police":
			ix.police = ai
		case "childrens_services":
			ix.childrens = ai
		case "housing":
			ix.towns[townByName[a.Town]].housing = ai
		case "gp":
			t := &ix.towns[townByName[a.Town]]
			t.gps = append(t.gps, a.Name)
			t.gpIdx = append(t.gpIdx, ai)
		default:
			ix.other = append(ix.other, ai)
		}
	}
	return ix
}
