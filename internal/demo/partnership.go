package demo

import (
	"math"
	"strings"
	"time"

	"frontdoor/internal/access"
)

// Config selects a world. The zero value is the demo world.
type Config struct {
	Seed  int64     // same seed, same world
	Scale int       // 1 = the demo (about 300 clients); N = roughly N times the clients; <1 treated as 1
	Now   time.Time // the "today" the two-year history ends at; zero means DefaultNow
}

// DefaultNow is the "today" of a Config whose Now is zero.
var DefaultNow = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// HouseholdsPerScale is the number of client households per unit of Scale.
const HouseholdsPerScale = 300

// PeoplePerScale is the measured average number of people (client, children
// and perpetrators) that one unit of Scale yields: 300 households at about
// 3.33 people each (1 client + ~1.25 children + ~1.08 perpetrators). It is
// what ScaleForPeople divides by; TestPeoplePerScale keeps it honest.
const PeoplePerScale = 1000

// EventsPerPerson is the average timeline length per person the generator
// aims for, so 1,000,000 people come with about 10,000,000 events.
const EventsPerPerson = 10

// ScaleForPeople returns the Scale whose world holds about n people (clients,
// children and perpetrators). ScaleForPeople(1_000_000) == 1000, which is
// 300,000 households and about 10 M timeline events.
func ScaleForPeople(n int) int {
	s := (n + PeoplePerScale/2) / PeoplePerScale
	return max(s, 1)
}

func (c Config) normalized() Config {
	if c.Scale < 1 {
		c.Scale = 1
	}
	if c.Now.IsZero() {
		c.Now = DefaultNow
	}
	return c
}

// Partnership: the organisations, teams, staff, properties. Small, in memory.
// Build it with NewPartnership; household generation relies on indexes that
// NewPartnership computes.
type Partnership struct {
	Organisations   []Organisation
	Teams           []Team
	Staff           []Staff
	Properties      []Property
	PartnerAgencies []PartnerAgency
	Towns           []Town

	ix *index
}

// Organisation Kind is one of "charity", "housing_association",
// "refuge_operator", "partner_agency", "commissioner".
type Organisation struct{ ID, Name, Kind string }

// Team Service is one of "helpline", "outreach", "idva", "refuge",
// "male_victim", "children", "management", "data_protection",
// "administration", "volunteers".
type Team struct{ ID, OrganisationID, Name, Service string }

// Staff is a user account. Team managers are also members of the management
// team; partner agency users and commissioners belong to no team.
type Staff struct {
	ID, OrganisationID    string
	TeamIDs               []string
	Username, DisplayName string
	Role                  access.Role
}

// Property is a refuge (one building, many rooms) or a satellite property
// (one or more self-contained dispersed units). Address is fictional but
// treated as confidential by the application.
type Property struct {
	ID, TeamID, Name, Kind string // Kind: "refuge" | "satellite"
	Town, Area             string
	Address                string
	Units                  []Unit
	Accepts                Criteria
}

// Unit is a room (refuge) or flat (satellite) let to one household at a time.
type Unit struct {
	ID, Name                          string
	Bedspaces                         []Bedspace
	GroundFloor, WheelchairAccessible bool
}

type Bedspace struct{ ID string }

// Criteria are what a referrer searches vacancies on. MaxBoyAge is the oldest
// boy the property can take (17 means no restriction).
type Criteria struct {
	Service                                  string // "women" | "men" | "mixed"
	MaxHouseholdSize, MaxChildren, MaxBoyAge int
	Wheelchair, GroundFloor, MentalHealth    bool
	SubstanceUse, ComplexNeeds, NRPF, Pets   bool
	OutOfArea                                bool
	Languages                                []string
}

// PartnerAgency Kind is one of "police", "housing", "childrens_services",
// "gp", "solicitor", "security_installer". OrganisationID is set when the
// agency has user accounts (an Organisation of kind "partner_agency").
type PartnerAgency struct {
	ID, Name, Kind string
	OrganisationID string
	Town           string // empty for county-wide agencies
}

// Town is a fictional town the partnership serves.
type Town struct {
	Name, Postcode string // Postcode is the (fictional, Q-prefixed) postcode area
	Neighbourhoods []string
}

// growth returns how many towns a scale has and how far (0..1) the
// partnership has grown from the demo towards its largest size (20 towns,
// ~400 properties, ~5,000 bedspaces, ~2,000 staff). It saturates at Scale 361,
// well below the Scale of the 1 M-people benchmark (1000).
func growth(scale int) (towns int, g float64) {
	towns = min(len(townNames), 1+int(math.Ceil(math.Sqrt(float64(scale)))))
	return towns, float64(towns-2) / float64(len(townNames)-2)
}

func grow(base, extra int, g float64) int { return base + int(math.Round(float64(extra)*g)) }

// NewPartnership builds the organisations, teams, staff and properties of the
// world cfg selects. At Scale 1: four provider/commissioner organisations and
// a police partner, two towns, two refuges and six satellite units, ~50 staff.
func NewPartnership(cfg Config) *Partnership {
	cfg = cfg.normalized()
	b := &builder{r: newRng(cfg.Seed, 0, streamPartnership), used: map[string]int{}, cfg: cfg}
	b.build()
	b.p.ix = buildIndex(b.p, cfg, b.meta)
	return b.p
}

type builder struct {
	r    rng
	cfg  Config
	p    *Partnership
	used map[string]int // usernames taken
	meta buildMeta
}

// buildMeta is what the builder knows that the exported data only implies.
type buildMeta struct {
	helpline, male, management int // team indexes
	areas                      []areaTeams
	townArea                   []int // town index -> area index
	propTown                   []int // property index -> town index
	propTeam                   []int // property index -> team index
	policeOrg                  string
}

type areaTeams struct{ outreach, idva, children, volunteers, dispersed int }

func (b *builder) org(name, kind string) string {
	id := b.r.id()
	b.p.Organisations = append(b.p.Organisations, Organisation{ID: id, Name: name, Kind: kind})
	return id
}

func (b *builder) team(orgID, name, service string) int {
	b.p.Teams = append(b.p.Teams, Team{ID: b.r.id(), OrganisationID: orgID, Name: name, Service: service})
	return len(b.p.Teams) - 1
}

func (b *builder) agency(name, kind, orgID, town string) {
	b.p.PartnerAgencies = append(b.p.PartnerAgencies, PartnerAgency{ID: b.r.id(), Name: name, Kind: kind, OrganisationID: orgID, Town: town})
}

// staff adds n accounts with role to the given teams (first team is the home team).
func (b *builder) staff(n int, orgID string, role access.Role, femalePc int, teams ...int) {
	for range n {
		c := communities[weighted(&b.r, communityCum)]
		female := b.r.intn(100) < femalePc
		given := pick(&b.r, c.male)
		if female {
			given = pick(&b.r, c.female)
		}
		family := c.surname(&b.r, female)
		base := fold(given)[:1] + "." + fold(family)
		user := base
		if role == access.RoleAdministrator && b.used["admin"] == 0 {
			user = "admin" // the well-known first administrator account
		} else if k := b.used[base]; k > 0 {
			user = base + itoa(k+1)
		}
		b.used[base]++
		b.used[user]++
		var tids []string
		for _, t := range teams {
			tids = append(tids, b.p.Teams[t].ID)
		}
		b.p.Staff = append(b.p.Staff, Staff{
			ID: b.r.id(), OrganisationID: orgID, TeamIDs: tids,
			Username: user, DisplayName: given + " " + family, Role: role,
		})
	}
}

func (b *builder) address(town Town) string {
	var sb strings.Builder
	sb.WriteString(itoa(b.r.between(1, 180)))
	sb.WriteByte(' ')
	sb.WriteString(pick(&b.r, streetStems))
	sb.WriteByte(' ')
	sb.WriteString(pick(&b.r, streetKinds))
	sb.WriteString(", ")
	sb.WriteString(town.Name)
	sb.WriteByte(' ')
	sb.WriteString(postcode(&b.r, town.Postcode))
	return sb.String()
}

// postcode returns a UK-shaped postcode in a Q area, e.g. "QH3 2TX".
func postcode(r *rng, area string) string {
	const letters = "ABDEFGHJLNPQRSTUWXYZ"
	buf := make([]byte, 0, 8)
	buf = append(buf, area...)
	buf = append(buf, byte('1'+r.intn(9)), ' ', byte('0'+r.intn(10)),
		letters[r.intn(len(letters))], letters[r.intn(len(letters))])
	return string(buf)
}

func (b *builder) build() {
	b.p = &Partnership{}
	nTowns, g := growth(b.cfg.Scale)
	for i := range nTowns {
		// Each town gets a handful of neighbourhoods, drawn without repeats.
		nb := append([]string(nil), neighbourhoods...)
		for k := len(nb) - 1; k > 0; k-- {
			j := b.r.intn(k + 1)
			nb[k], nb[j] = nb[j], nb[k]
		}
		b.p.Towns = append(b.p.Towns, Town{Name: townNames[i], Postcode: townPostcodes[i], Neighbourhoods: nb[:5]})
	}

	charity := b.org("Hollinshire Women's Aid", "charity")
	housing := b.org("Tenterfold Housing Association", "housing_association")
	refugeOp := b.org("Wrenhaven Refuge Trust", "refuge_operator")
	commissioner := b.org("Hollinshire Joint Commissioning Board", "commissioner")
	police := b.org("Hollinshire Constabulary", "partner_agency")
	b.meta.policeOrg = police
	childrensOrg := ""
	if g > 0 {
		childrensOrg = b.org("Hollinshire County Council Children's Services", "partner_agency")
	}

	// Partner agencies: county-wide police and children's services, then per
	// town housing options and GP practices, then a few solicitors and the
	// home security installer.
	b.agency("Hollinshire Constabulary", "police", police, "")
	b.agency("Hollinshire County Council Children's Services", "childrens_services", childrensOrg, "")
	for _, t := range b.p.Towns {
		b.agency(t.Name+" Borough Council Housing Options", "housing", "", t.Name)
		b.agency(t.Neighbourhoods[0]+" Medical Practice, "+t.Name, "gp", "", t.Name)
		b.agency(pick(&b.r, streetStems)+" "+pick(&b.r, []string{"Surgery", "Health Centre"})+", "+t.Name, "gp", "", t.Name)
	}
	for _, s := range []string{"Marsh Oduya Family Law", "Penrose and Achterberg Solicitors", "Tenter Yard Legal"}[:grow(2, 1, g)] {
		b.agency(s, "solicitor", "", "")
	}
	b.agency("Hearthguard Home Security CIC", "security_installer", "", "")

	// Central teams.
	b.meta.helpline = b.team(charity, "Front Door Helpline", "helpline")
	b.meta.male = b.team(charity, "Male Victim Service", "male_victim")
	b.meta.management = b.team(charity, "Management", "management")
	dp := b.team(charity, "Information Governance", "data_protection")
	admin := b.team(charity, "Business Support", "administration")

	// Area teams: each area covers two towns.
	nAreas := (nTowns + 1) / 2
	b.meta.townArea = make([]int, nTowns)
	for a := range nAreas {
		names := b.p.Towns[2*a].Name
		b.meta.townArea[2*a] = a
		if 2*a+1 < nTowns {
			names += " and " + b.p.Towns[2*a+1].Name
			b.meta.townArea[2*a+1] = a
		}
		sfx := " (" + names + ")"
		b.meta.areas = append(b.meta.areas, areaTeams{
			outreach:   b.team(charity, "Outreach"+sfx, "outreach"),
			idva:       b.team(charity, "IDVA Service"+sfx, "idva"),
			children:   b.team(charity, "Children and Young People"+sfx, "children"),
			volunteers: b.team(charity, "Volunteers"+sfx, "volunteers"),
			dispersed:  b.team(housing, "Dispersed Accommodation"+sfx, "refuge"),
		})
	}

	b.properties(nTowns, g, refugeOp)

	// Staff. Team sizes grow with g so the largest partnership has ~2,000.
	mgmt := b.meta.management
	b.staff(grow(5, 55, g), charity, access.RoleFrontDoorWorker, 85, b.meta.helpline)
	b.staff(grow(1, 3, g), charity, access.RoleTeamManager, 80, b.meta.helpline, mgmt)
	b.staff(grow(2, 10, g), charity, access.RoleFrontDoorWorker, 40, b.meta.male)
	b.staff(grow(2, 15, g), charity, access.RoleOutreachWorker, 40, b.meta.male)
	b.staff(grow(1, 5, g), charity, access.RoleIDVA, 50, b.meta.male)
	b.staff(grow(1, 2, g), charity, access.RoleTeamManager, 50, b.meta.male, mgmt)
	b.staff(grow(1, 4, g), charity, access.RoleTeamManager, 75, mgmt)
	b.staff(grow(1, 1, g), charity, access.RoleDataProtectionLead, 70, dp)
	b.staff(grow(1, 4, g), charity, access.RoleAdministrator, 70, admin)
	for _, at := range b.meta.areas {
		b.staff(grow(6, 32, g), charity, access.RoleOutreachWorker, 85, at.outreach)
		b.staff(grow(1, 1, g), charity, access.RoleTeamManager, 85, at.outreach, mgmt)
		b.staff(grow(4, 16, g), charity, access.RoleIDVA, 85, at.idva)
		b.staff(grow(1, 1, g), charity, access.RoleTeamManager, 85, at.idva, mgmt)
		b.staff(grow(3, 9, g), charity, access.RoleOutreachWorker, 85, at.children)
		b.staff(grow(1, 0, g), charity, access.RoleTeamManager, 85, at.children, mgmt)
		b.staff(grow(5, 20, g), charity, access.RoleVolunteer, 75, at.volunteers)
		b.staff(grow(1, 0, g), charity, access.RoleTeamManager, 85, at.volunteers, mgmt)
		b.staff(grow(2, 6, g), housing, access.RoleRefugeWorker, 85, at.dispersed)
		b.staff(grow(1, 0, g), housing, access.RoleTeamManager, 85, at.dispersed, mgmt)
	}
	for pi, ti := range b.meta.propTeam {
		if b.p.Properties[pi].Kind != "refuge" {
			continue
		}
		b.staff(grow(3, 5, g), refugeOp, access.RoleRefugeWorker, 95, ti)
		b.staff(1, refugeOp, access.RoleTeamManager, 95, ti, mgmt)
	}
	b.staff(grow(1, 30, g), police, access.RolePartnerAgencyUser, 55)
	if childrensOrg != "" {
		b.staff(grow(0, 10, g), childrensOrg, access.RolePartnerAgencyUser, 80)
	}
	b.staff(grow(1, 4, g), commissioner, access.RoleCommissioner, 60)
}

// properties creates refuges and satellite properties town by town.
func (b *builder) properties(nTowns int, g float64, refugeOp string) {
	r := &b.r
	used := map[string]int{}
	// uniqueName draws a name, retrying a few times before numbering it
	// ("Rowan House 2") once the big partnerships run out of combinations.
	uniqueName := func(stems, suffixes []string) string {
		n := ""
		for range 8 {
			n = pick(r, stems) + " " + pick(r, suffixes)
			if used[n] == 0 {
				break
			}
		}
		used[n]++
		if k := used[n]; k > 1 {
			n += " " + itoa(k)
		}
		return n
	}
	satCount := 0
	for ti, town := range b.p.Towns {
		area := b.meta.townArea[ti]
		for range grow(1, 3, g) {
			name := uniqueName(refugeNames, refugeSuffixes)
			team := b.team(refugeOp, name+" Refuge Team", "refuge")
			p := Property{
				ID: r.id(), TeamID: b.p.Teams[team].ID, Name: name, Kind: "refuge",
				Town: town.Name, Area: pick(r, town.Neighbourhoods), Address: b.address(town),
			}
			accessible := r.chance(0.7)
			nUnits := r.between(8, grow(10, 2, g))
			for u := range nUnits {
				beds := 1
				if u > 0 {
					beds = 1 + weighted(r, bedsCum)
				}
				p.Units = append(p.Units, b.unit("Room "+itoa(u+1), beds, u < 3, accessible && u == 0))
			}
			p.Accepts = b.criteria(p, "women")
			b.p.Properties = append(b.p.Properties, p)
			b.meta.propTown = append(b.meta.propTown, ti)
			b.meta.propTeam = append(b.meta.propTeam, team)
		}
		for range grow(3, 13, g) {
			service := "women"
			team := b.meta.areas[area].dispersed
			switch satCount % 6 {
			case 4:
				service, team = "men", b.meta.male
			case 5:
				service = "mixed"
			}
			satCount++
			name := uniqueName(satelliteNames, satelliteSuffixes)
			p := Property{
				ID: r.id(), TeamID: b.p.Teams[team].ID, Name: name, Kind: "satellite",
				Town: town.Name, Area: pick(r, town.Neighbourhoods), Address: b.address(town),
			}
			nUnits := 1 + r.intn(1+grow(0, 4, g))
			for u := range nUnits {
				p.Units = append(p.Units, b.unit("Flat "+string(rune('A'+u)), r.between(2, 5), r.chance(0.4), r.chance(0.15)))
			}
			p.Accepts = b.criteria(p, service)
			b.p.Properties = append(b.p.Properties, p)
			b.meta.propTown = append(b.meta.propTown, ti)
			b.meta.propTeam = append(b.meta.propTeam, team)
		}
	}
}

// Refuge rooms beyond the first (a single room) hold 1-4 bedspaces.
var bedsCum = cumulative(25, 30, 30, 15)

func (b *builder) unit(name string, beds int, ground, wheelchair bool) Unit {
	u := Unit{ID: b.r.id(), Name: name, GroundFloor: ground || wheelchair, WheelchairAccessible: wheelchair}
	for range beds {
		u.Bedspaces = append(u.Bedspaces, Bedspace{ID: b.r.id()})
	}
	return u
}

func (b *builder) criteria(p Property, service string) Criteria {
	r := &b.r
	c := Criteria{Service: service, OutOfArea: r.chance(0.9)}
	for _, u := range p.Units {
		c.MaxHouseholdSize = max(c.MaxHouseholdSize, len(u.Bedspaces))
		c.Wheelchair = c.Wheelchair || u.WheelchairAccessible
		c.GroundFloor = c.GroundFloor || u.GroundFloor
	}
	c.MaxChildren = c.MaxHouseholdSize - 1
	c.MaxBoyAge = 17
	if service == "women" {
		// Many women's refuges cannot take older boys.
		c.MaxBoyAge = pick(r, []int{12, 14, 15, 16, 17})
	}
	c.MentalHealth = r.chance(0.6)
	c.SubstanceUse = r.chance(0.3)
	c.ComplexNeeds = r.chance(0.2)
	c.NRPF = r.chance(0.3)
	c.Pets = r.chance(0.15)
	c.Languages = []string{"English"}
	for _, l := range []string{"Urdu", "Polish", "Punjabi", "Arabic", "Romanian", "Bengali"} {
		if r.chance(0.2) {
			c.Languages = append(c.Languages, l)
		}
	}
	return c
}
