package demo

import (
	"slices"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/refuge"
	"frontdoor/internal/risk"
)

// Household is one client household: the client, their children, the people
// who harmed them, and everything the service has recorded.
type Household struct {
	ID    string
	Index int // position in the stream

	// Service is the main service working with the household: "outreach",
	// "idva", "refuge" or "male_victim"; TeamID and KeyWorkerID say who.
	Service, TeamID, KeyWorkerID string

	Client          Person
	Children        []Person
	Perpetrators    []Perpetrator
	Referrals       []Referral
	Contacts        []Contact
	RiskAssessments []RiskAssessment
	Placements      []Placement
	Events          []Event // in time order

	Opened time.Time // first referral
	Closed time.Time // zero while the case is open

	// Ground truth for matching tests; -1 when not applicable.
	// NearDuplicateOf: an earlier household whose client this client nearly
	// duplicates (nickname, transposed date of birth, same phone).
	// MatchesPerpetratorOf: a household whose perpetrator this client closely
	// matches (counter-allegation material).
	NearDuplicateOf      int
	MatchesPerpetratorOf int
}

// People is the number of people in the household: the client, the children
// and the perpetrators.
func (h *Household) People() int { return 1 + len(h.Children) + len(h.Perpetrators) }

// Person is a client or a child (children are clients too). Either
// DateOfBirth or EstimatedAge is set.
type Person struct {
	ID                    string
	GivenName, FamilyName string
	Aliases               []string
	DateOfBirth           time.Time
	EstimatedAge          int
	Gender                string // "female", "male", "non_binary"
	Phone, Email          string
	Address, Town         string
	Language              string
	InterpreterNeeded     bool
	NRPF                  bool
	Disabilities          []string
	SafeContact           SafeContact
	School, GP            string
}

// SafeContact is how and when it is safe to get in touch.
type SafeContact struct {
	SafePhone, SafeTimes                         string
	VoicemailSafe, TextSafe, EmailSafe, PostSafe bool
	Codeword, WhoElseMayAnswer                   string
}

// Perpetrator is a person who harmed the client. Either DateOfBirth or
// EstimatedAge is set.
type Perpetrator struct {
	ID                    string
	GivenName, FamilyName string
	Aliases               []string
	DateOfBirth           time.Time
	EstimatedAge          int
	Gender                string
	Relationship          string // to the client: "ex_partner", "partner", "spouse", "ex_spouse", "family_member"
	Phone                 string
	Description, Vehicle  string
	KnownAddresses        []string
	Conditions            []string // bail conditions and orders
}

// Referral is a route into the service. Source is one of "self", "police",
// "health", "childrens_services", "housing", "other_agency", "contact";
// AgencyID names the referring partner agency when there is one.
type Referral struct {
	ID, Source, AgencyID string
	Received             time.Time
	Service, TeamID      string
	Risk                 string // "standard", "medium", "high"
	Outcome              string // "accepted", "turnaway_no_space", "turnaway_needs_not_met"
}

// Contact is a helpline call, webchat, e-mail, text or walk-in.
type Contact struct {
	ID          string
	Time        time.Time
	Channel     string // "phone", "webchat", "email", "text", "walk_in"
	CallerType  string // "victim", "professional", "friend_or_family", "anonymous"
	ServiceLine string // "main", "male"
	Outcome     string
	StaffID     string
}

// RiskAssessment is one completed risk checklist: 24 answers, each "yes",
// "no" or "not_known".
type RiskAssessment struct {
	ID                    string
	Completed             time.Time
	Answers               []string
	YesCount              int
	ProfessionalJudgement bool
	PoliceCallouts12m     int
	Level                 string // "standard", "medium", "high"
	StaffID               string
}

// Placement is a stay in a refuge room or satellite unit. The household has
// the whole unit; BedspaceIDs are the bedspaces it uses (BedspaceID, the
// client's, is the first). MoveOut is zero while still resident.
type Placement struct {
	ID, PropertyID, UnitID, BedspaceID string
	BedspaceIDs                        []string
	MoveIn, MoveOut                    time.Time
	DepartureReason                    string // empty while resident
	MoveOnDestination                  string // "own_tenancy", "social_housing", "private_rented", "family_or_friends", "another_refuge", "returned_to_perpetrator", "unknown"
}

// Event is one line of a household's timeline. SubjectID is set when the
// event is about one person (a child) rather than the household.
type Event struct {
	ID        string
	Time      time.Time
	Kind      string
	Note      string
	StaffID   string
	SubjectID string
}

// Rates of special households (only among households not in refuge).
const (
	nearDupRate   = 0.05
	counterRate   = 0.04
	heavyRate     = 0.01 // households with ~200 events
	placedPercent = 45   // share of households offered a refuge slot, capacity permitting
	slotDays      = 104  // each unit is let in slots of this many days...
	slotsPerUnit  = 7    // ...seven of which fit in the two-year window
	day           = int64(86400)
)

const (
	kindNormal = iota
	kindNearDup
	kindCounter
)

// HouseholdCount returns the number of client households of the world:
// 300 per unit of Scale.
func (p *Partnership) HouseholdCount(cfg Config) int {
	return HouseholdsPerScale * cfg.normalized().Scale
}

// Households calls fn with each client household in index order, stopping
// at the first error. Nothing is retained between calls: fn may keep the
// household, and memory use does not grow with Scale.
func (p *Partnership) Households(cfg Config, fn func(*Household) error) error {
	pl := newPlan(p, cfg)
	for i := range pl.n {
		if err := fn(pl.household(i)); err != nil {
			return err
		}
	}
	return nil
}

// HouseholdAt returns household i, the same value Households gives for that
// index, or nil if i is out of range. Household i depends only on the
// partnership, the Seed, the Scale and i, so generation can be sharded.
func HouseholdAt(p *Partnership, cfg Config, i int) *Household {
	pl := newPlan(p, cfg)
	if i < 0 || i >= pl.n {
		return nil
	}
	return pl.household(i)
}

// plan holds what every household of one world shares.
type plan struct {
	cfg     Config
	p       *Partnership
	ix      *index
	n       int
	start   time.Time
	win     int64 // window length in seconds
	tod0    int64 // seconds past midnight of the window start
	winDays int
	slots   int // unit occupancy slots in the window
	placed  int // households that get one of them
	hperm   affine
	sperm   affine
	phperm  affine // client phone numbers
	pphperm affine // perpetrator phone numbers
}

func newPlan(p *Partnership, cfg Config) *plan {
	if p.ix == nil {
		panic("demo: the Partnership must come from NewPartnership")
	}
	cfg = cfg.normalized()
	pl := &plan{cfg: cfg, p: p, ix: p.ix, n: HouseholdsPerScale * cfg.Scale}
	pl.start = cfg.Now.AddDate(-2, 0, 0)
	pl.win = int64(cfg.Now.Sub(pl.start) / time.Second)
	pl.winDays = int(pl.win / day)
	pl.tod0 = int64(pl.start.Hour()*3600 + pl.start.Minute()*60 + pl.start.Second())
	pl.slots = len(p.ix.units) * slotsPerUnit
	pl.placed = min(pl.slots, pl.n*placedPercent/100)
	r := newRng(cfg.Seed, 0, streamPlan)
	pl.hperm = newAffine(&r, pl.n)
	pl.sperm = newAffine(&r, pl.slots)
	pl.phperm = newAffine(&r, pl.n)
	pl.pphperm = newAffine(&r, pl.n)
	return pl
}

// slotOf says whether household i lives in refuge and where: households are
// shuffled by one bijection and the first `placed` of them take the slots in
// the order of a second one. Distinct households therefore never share a
// (unit, slot), and slots never overlap in time, so no bedspace is ever
// double-booked, without any household looking at another.
func (pl *plan) slotOf(i int) (unit, slot int, ok bool) {
	c := pl.hperm.at(i)
	if c >= pl.placed {
		return 0, 0, false
	}
	s := pl.sperm.at(c)
	return s / slotsPerUnit, s % slotsPerUnit, true
}

func (pl *plan) at(off int64) time.Time { return pl.start.Add(time.Duration(off) * time.Second) }

// clock moves an offset to hour:minute (UTC) of the same day.
func (pl *plan) clock(off int64, hour, minute int) int64 {
	tod := (pl.tod0 + off) % day
	return off - tod + int64(hour)*3600 + int64(minute)*60
}

// identity is the part of a person another household may need to copy.
type identity struct {
	comm          *community
	gender        string
	given, family string
	age           int // whole years at Now
	dob           time.Time
	dobKnown      bool
	phone, email  string
	aliases       []string
}

// kindOf is the first draw of household i's core stream: cheap enough to
// scan backwards for a normal household to duplicate.
func (pl *plan) kindOf(i int) int {
	if i == 0 {
		return kindNormal
	}
	if _, _, placed := pl.slotOf(i); placed {
		return kindNormal
	}
	r := newRng(pl.cfg.Seed, uint64(i), streamCore)
	k := r.float()
	switch {
	case k < nearDupRate:
		return kindNearDup
	case k < nearDupRate+counterRate:
		return kindCounter
	}
	return kindNormal
}

// earlierNormal picks an earlier, ordinary household for i to echo.
func (pl *plan) earlierNormal(i int, r *rng) int {
	j := i - 1 - r.intn(min(i, 5000))
	for ; j >= 0; j-- {
		if pl.kindOf(j) == kindNormal {
			return j
		}
	}
	return -1
}

// clientCore is household i's client identity as drawn (before any
// duplication), from the core stream alone.
func (pl *plan) clientCore(i int) identity {
	u, _, placed := pl.slotOf(i)
	r := newRng(pl.cfg.Seed, uint64(i), streamCore)
	r.float() // the kind draw
	var gender string
	service := ""
	if placed {
		service = pl.ix.units[u].service
	}
	switch service {
	case "women":
		gender = "female"
	case "men":
		gender = "male"
	case "mixed":
		gender = pick(&r, []string{"female", "female", "female", "male", "male", "non_binary"})
	default:
		x := r.float()
		switch {
		case x < 0.085:
			gender = "male"
		case x < 0.092:
			gender = "non_binary"
		default:
			gender = "female"
		}
	}
	id := pl.drawIdentity(&r, gender, communities[weighted(&r, communityCum)], 0)
	id.phone = phone("07700 900", pl.phperm.at(i)%1000)
	id.email = email(&r, id.given, id.family)
	if r.chance(0.05) {
		// A previous married or birth name.
		id.aliases = []string{id.given + " " + id.comm.surname(&r, gender != "male")}
	}
	return id
}

// perpCore is the identity of household i's main perpetrator.
func (pl *plan) perpCore(i int, client identity) identity {
	r := newRng(pl.cfg.Seed, uint64(i), streamPerp)
	var gender string
	switch client.gender {
	case "female":
		gender = "male"
		if r.chance(0.05) {
			gender = "female"
		}
	case "male":
		gender = "female"
		if r.chance(0.2) {
			gender = "male"
		}
	default:
		gender = pick(&r, []string{"male", "female"})
	}
	comm := client.comm
	if r.chance(0.25) {
		comm = communities[weighted(&r, communityCum)]
	}
	age := max(18, client.age+r.between(-4, 9))
	id := pl.drawIdentity(&r, gender, comm, age)
	if r.chance(0.4) {
		// Married or once married: shares the client's family name.
		id.family = client.family
		if gender == "male" {
			id.family = maleFormOf(id.family)
		} else {
			id.family = femaleFormOf(id.family)
		}
	}
	if r.chance(0.3) {
		id.dobKnown = false
	}
	id.phone = phone("01632 960", pl.pphperm.at(i)%1000)
	if r.chance(0.25) {
		if nn, ok := nicknames[id.given]; ok {
			id.aliases = append(id.aliases, pick(&r, nn)+" "+id.family)
		}
		if r.chance(0.5) {
			id.aliases = append(id.aliases, id.given+" "+comm.surname(&r, gender != "male"))
		}
	}
	return id
}

// drawIdentity draws names and a date of birth; age 0 means draw a client age.
func (pl *plan) drawIdentity(r *rng, gender string, c *community, age int) identity {
	female := gender == "female" || (gender == "non_binary" && r.chance(0.5))
	id := identity{comm: c, gender: gender, dobKnown: !r.chance(0.04)}
	if female {
		id.given = pick(r, c.female)
	} else {
		id.given = pick(r, c.male)
	}
	id.family = c.surname(r, female)
	if age == 0 {
		b := clientAgeBuckets[weighted(r, clientAgeCum)]
		age = r.between(b[0], b[1])
	}
	id.age = age
	id.dob = dateOnly(pl.cfg.Now.AddDate(-age, 0, -1-r.intn(364)))
	return id
}

func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func email(r *rng, given, family string) string {
	if r.chance(0.3) {
		return ""
	}
	var b strings.Builder
	b.WriteString(fold(given))
	b.WriteString(pick(r, []string{".", "_", ""}))
	b.WriteString(fold(family))
	b.WriteString(itoa(r.between(1, 99)))
	b.WriteString(pick(r, []string{"@example.com", "@example.org", "@example.net"}))
	return b.String()
}

// nearDuplicate turns an earlier client's identity into a second record of
// the same person as a busy front door would take it down.
func nearDuplicate(r *rng, src identity) identity {
	id := src
	id.email = ""
	changed := false
	if nn, ok := nicknames[src.given]; ok && r.chance(0.9) {
		id.given = pick(r, nn)
		changed = true
	}
	if d, m := src.dob.Day(), int(src.dob.Month()); d <= 12 && d != m && r.chance(0.7) {
		id.dob = time.Date(src.dob.Year(), time.Month(d), m, 0, 0, 0, 0, time.UTC)
		changed = true
	}
	if !changed {
		id.family = transpose(r, src.family)
	}
	if r.chance(0.15) {
		id.phone = "" // not given this time; names and date of birth must do
	}
	id.dobKnown = true
	return id
}

// transpose swaps two adjacent letters: a typing slip.
func transpose(r *rng, s string) string {
	rs := []rune(s)
	if len(rs) < 4 {
		return s
	}
	for range 4 {
		k := 1 + r.intn(len(rs)-2)
		if rs[k] != rs[k+1] { // swapping "ee" in Greenwood would change nothing
			rs[k], rs[k+1] = rs[k+1], rs[k]
			break
		}
	}
	return string(rs)
}

func (pl *plan) address(r *rng, town int) string {
	t := &pl.p.Towns[town]
	var b strings.Builder
	b.Grow(64)
	if r.chance(0.2) {
		b.WriteString("Flat ")
		b.WriteString(itoa(r.between(1, 24)))
		b.WriteString(", ")
	}
	b.WriteString(itoa(r.between(1, 180)))
	b.WriteByte(' ')
	b.WriteString(pick(r, streetStems))
	b.WriteByte(' ')
	b.WriteString(pick(r, streetKinds))
	b.WriteString(", ")
	b.WriteString(pick(r, t.Neighbourhoods))
	b.WriteString(", ")
	b.WriteString(t.Name)
	b.WriteByte(' ')
	b.WriteString(postcode(r, t.Postcode))
	return b.String()
}

// evSpec is a timeline entry before it gets an ID and its strings.
type evSpec struct {
	off     int64
	kind    uint8
	staff   string
	subject string
}

// household generates household i. Everything comes from i's own streams
// (and, for echoes, from another household's core streams), in a fixed order.
func (pl *plan) household(i int) *Household {
	ix := pl.ix
	h := &Household{Index: i, NearDuplicateOf: -1, MatchesPerpetratorOf: -1}
	unitIdx, slot, placed := pl.slotOf(i)
	kind := pl.kindOf(i)
	cid := pl.clientCore(i)
	pid := pl.perpCore(i, cid)
	r := newRng(pl.cfg.Seed, uint64(i), streamMain)
	h.ID = r.id()

	switch kind {
	case kindNearDup:
		if j := pl.earlierNormal(i, &r); j >= 0 {
			jc := pl.clientCore(j)
			cid = nearDuplicate(&r, jc)
			if r.chance(0.7) {
				pid = pl.perpCore(j, jc) // the same abuser, named again
			}
			h.NearDuplicateOf = j
		}
	case kindCounter:
		if j := pl.earlierNormal(i, &r); j >= 0 {
			jc := pl.clientCore(j)
			jp := pl.perpCore(j, jc)
			own := cid
			cid = jp
			cid.dobKnown = true
			cid.email = own.email
			if r.chance(0.5) {
				cid.phone = own.phone
			}
			if nn, ok := nicknames[jp.given]; ok && r.chance(0.3) {
				cid.given = pick(&r, nn)
			}
			pid = jc // naming the real victim as the abuser
			pid.aliases = nil
			h.MatchesPerpetratorOf = j
		}
	}
	male := cid.gender == "male"

	// Where the household lives and which town's services it falls to.
	var u *unitRef
	var prop *Property
	town := r.intn(len(pl.p.Towns))
	if placed {
		u = &ix.units[unitIdx]
		prop = &pl.p.Properties[u.prop]
		town = u.town
		if len(pl.p.Towns) > 1 && r.chance(0.7) {
			// Most families flee to a refuge outside their own town.
			town = (u.town + 1 + r.intn(len(pl.p.Towns)-1)) % len(pl.p.Towns)
		}
	}
	area := ix.meta.townArea[town]
	ti := &ix.towns[town]

	// Timeline anchors, in seconds from the window start.
	heavy := r.chance(heavyRate)
	var t0, end, moveIn, moveOut int64
	resident := false
	if placed {
		startDay := u.phase + slot*slotDays
		d := min(startDay+r.intn(7), pl.winDays-1)
		moveIn = pl.clock(int64(d)*day, r.between(10, 19), r.intn(60))
		var stay int
		switch x := r.float(); {
		case x < 0.12:
			stay = r.between(1, 13)
		case x < 0.7:
			stay = r.between(30, 90)
		default:
			stay = r.between(60, slotDays-9)
		}
		moveOut = pl.clock(moveIn+int64(stay)*day, r.between(9, 16), r.intn(60))
		after := moveOut
		if moveOut >= pl.win {
			resident, after = true, pl.win-1
		}
		t0 = max(0, moveIn-r.int64n(10*day))
		end = min(pl.win-1, after+r.int64n(90*day))
		if heavy {
			end = min(pl.win-1, max(end, t0+300*day))
		}
	} else {
		var dur int64
		if heavy {
			dur = int64(r.between(250, 600)) * day
			t0 = r.int64n(max(day, pl.win-250*day))
		} else {
			if r.chance(0.6) {
				dur = int64(r.between(7, 90)) * day
			} else {
				dur = int64(r.between(90, 360)) * day
			}
			t0 = r.int64n(pl.win - 2*day)
		}
		end = min(pl.win-1, t0+dur)
	}
	span := max(end-t0, 1)
	within := func() int64 { return t0 + r.int64n(span) }
	// office hours: casework happens in the day, inside the case's span.
	office := func(off int64) int64 {
		return min(end, max(t0, pl.clock(off, r.between(8, 18), r.intn(60))))
	}

	// The client.
	c := &h.Client
	c.ID = r.id()
	c.GivenName, c.FamilyName, c.Gender = cid.given, cid.family, cid.gender
	c.Aliases = cid.aliases
	if cid.dobKnown {
		c.DateOfBirth = cid.dob
	} else {
		c.EstimatedAge = cid.age
	}
	c.Phone, c.Email = cid.phone, cid.email
	c.Town = pl.p.Towns[town].Name
	c.Address = pl.address(&r, town)
	c.Language = "English"
	if cid.comm.otherLangPc > 0 && r.intn(100) < cid.comm.otherLangPc {
		c.Language = pick(&r, cid.comm.languages)
		c.InterpreterNeeded = r.chance(0.6)
	}
	if cid.comm.otherLangPc > 0 && r.chance(0.08) && (prop == nil || prop.Accepts.NRPF) {
		c.NRPF = true
	}
	if r.chance(0.22) {
		d := pick(&r, disabilityKinds)
		if d == "wheelchair_user" && u != nil && !u.wheelchair {
			d = "mobility"
		}
		c.Disabilities = []string{d}
		if r.chance(0.3) {
			if d2 := pick(&r, disabilityKinds); d2 != d && d2 != "wheelchair_user" {
				c.Disabilities = append(c.Disabilities, d2)
			}
		}
	}
	sc := &c.SafeContact
	switch x := r.float(); {
	case x < 0.6:
		sc.SafePhone = c.Phone
	case x < 0.85:
		sc.SafePhone = phone("020 7946 0", r.intn(1000)) // a friend's number
	}
	sc.SafeTimes = pick(&r, safeTimes)
	sc.VoicemailSafe = r.chance(0.35)
	sc.TextSafe = r.chance(0.5)
	sc.EmailSafe = c.Email != "" && r.chance(0.4)
	sc.PostSafe = !placed && r.chance(0.3)
	if r.chance(0.4) {
		sc.Codeword = pick(&r, codewords)
	}
	sc.WhoElseMayAnswer = pick(&r, whoElse)
	c.GP = pick(&r, ti.gps)

	// Children.
	nk := weighted(&r, kidsCum)
	if u != nil {
		nk = min(nk, u.beds-1)
		// A family unit is for a family the size of it (the service's
		// rule, refuge.BedspacesFit): enough children to fill it.
		for nk < u.beds-1 && !refuge.BedspacesFit(u.beds, 1+nk) {
			nk++
		}
	}
	maxKidAge := min(17, cid.age-16)
	if maxKidAge < 0 {
		nk = 0
	}
	for range nk {
		k := Person{ID: r.id(), Town: c.Town, Address: c.Address, GP: c.GP, Language: c.Language}
		girl := r.chance(0.5)
		age := r.intn(maxKidAge + 1)
		comm := cid.comm
		if r.chance(0.3) {
			comm = pid.comm
		}
		if girl {
			k.Gender, k.GivenName = "female", pick(&r, comm.female)
		} else {
			if u != nil && age > u.maxBoyAge {
				age = r.intn(u.maxBoyAge + 1)
			}
			k.Gender, k.GivenName = "male", pick(&r, comm.male)
		}
		fam := cid.family
		if r.chance(0.35) {
			fam = pid.family
		}
		if girl {
			k.FamilyName = femaleFormOf(fam)
		} else {
			k.FamilyName = maleFormOf(fam)
		}
		k.DateOfBirth = dateOnly(pl.cfg.Now.AddDate(-age, 0, -1-r.intn(364)))
		switch {
		case age >= 16:
			k.School = pick(&r, ti.colleges)
		case age >= 11:
			k.School = pick(&r, ti.secondaries)
		case age >= 4:
			k.School = pick(&r, ti.primaries)
		case age >= 2:
			k.School = pick(&r, ti.nurseries)
		}
		if r.chance(0.08) {
			k.Disabilities = []string{pick(&r, []string{"neurodivergent", "learning_disability", "deaf", "long_term_illness"})}
		}
		h.Children = append(h.Children, k)
	}

	// Perpetrators.
	p0 := Perpetrator{
		ID: r.id(), GivenName: pid.given, FamilyName: pid.family, Aliases: pid.aliases,
		Gender: pid.gender, Phone: pid.phone,
		Relationship: relationships[weighted(&r, relationshipCum)],
	}
	if pid.dobKnown {
		p0.DateOfBirth = pid.dob
	} else {
		p0.EstimatedAge = pid.age
	}
	pl.perpDetails(&r, &p0, c, town)
	h.Perpetrators = append(h.Perpetrators, p0)
	if r.chance(0.08) {
		// A second abuser, usually from the wider family.
		g := pick(&r, []string{"male", "male", "female"})
		pi := pl.drawIdentity(&r, g, cid.comm, max(18, cid.age+r.between(-10, 25)))
		if r.chance(0.6) {
			pi.family = pid.family
			if g == "female" {
				pi.family = femaleFormOf(pi.family)
			} else {
				pi.family = maleFormOf(pi.family)
			}
		}
		p1 := Perpetrator{
			ID: r.id(), GivenName: pi.given, FamilyName: pi.family, Gender: g,
			Relationship: "family_member", EstimatedAge: pi.age,
		}
		pl.perpDetails(&r, &p1, c, town)
		h.Perpetrators = append(h.Perpetrators, p1)
	}

	// Risk assessments: one latent severity drives the answers, call-outs and
	// judgement, and eases a little at each reassessment.
	sev := (r.float() + r.float()) / 2
	if placed {
		sev = 0.3 + 0.7*sev
	}
	nRA := 1
	if r.chance(0.35) {
		nRA++
	}
	if r.chance(0.15) {
		nRA++
	}
	if heavy {
		nRA = r.between(3, 6)
	}
	raTimes := make([]int64, nRA)
	raTimes[0] = office(min(end, t0+r.int64n(3*day)))
	for k := 1; k < nRA; k++ {
		raTimes[k] = office(raTimes[0] + r.int64n(max(end-raTimes[0], 1)))
	}
	slices.Sort(raTimes)

	// Who works the case.
	service, team := "outreach", ix.meta.areas[area].outreach
	for k := range nRA {
		s := min(1, max(0, sev-0.12*float64(k)+(r.float()-0.5)*0.2))
		h.RiskAssessments = append(h.RiskAssessments, riskAssessment(&r, s, pl.at(raTimes[k])))
	}
	level := h.RiskAssessments[0].Level
	switch {
	case placed:
		service, team = "refuge", u.team
	case male:
		service, team = "male_victim", ix.meta.male
	case level == "high":
		service, team = "idva", ix.meta.areas[area].idva
	}
	ts := &ix.teams[team]
	// The key worker's role follows the service; the men's satellite units
	// are run by the male victim service, whose workers are outreach workers.
	var workers []string
	switch service {
	case "refuge":
		workers = ts.first(access.RoleRefugeWorker, access.RoleOutreachWorker)
	case "idva":
		workers = ts.first(access.RoleIDVA)
	default:
		if level == "high" {
			workers = ts.first(access.RoleIDVA, access.RoleOutreachWorker)
		} else {
			workers = ts.first(access.RoleOutreachWorker)
		}
	}
	h.Service, h.TeamID = service, pl.p.Teams[team].ID
	h.KeyWorkerID = pick(&r, workers)
	managers := ts.role(access.RoleTeamManager)
	helplineTeam := &ix.teams[ix.meta.helpline]
	if male {
		helplineTeam = &ix.teams[ix.meta.male]
	}
	frontDoor := helplineTeam.role(access.RoleFrontDoorWorker)
	children := ix.teams[ix.meta.areas[area].children].role(access.RoleOutreachWorker)
	volunteers := ix.teams[ix.meta.areas[area].volunteers].role(access.RoleVolunteer)
	idvas := ix.teams[ix.meta.areas[area].idva].role(access.RoleIDVA)
	for k := range h.RiskAssessments {
		if k == 0 && !placed {
			h.RiskAssessments[k].StaffID = pick(&r, frontDoor)
		} else {
			h.RiskAssessments[k].StaffID = h.KeyWorkerID
		}
	}

	// Referrals.
	srcCum := refSourcesF
	if male {
		srcCum = refSourcesM
	}
	nRef := 1
	if x := r.float(); x < 0.05 {
		nRef = 3
	} else if x < 0.2 {
		nRef = 2
	}
	for k := range nRef {
		at := t0
		if k > 0 {
			at = within()
		}
		src := refSources[weighted(&r, srcCum)]
		ref := Referral{
			ID: r.id(), Source: src, AgencyID: pl.agencyFor(&r, src, town), Received: pl.at(at),
			Service: service, TeamID: h.TeamID, Risk: level, Outcome: "accepted",
		}
		h.Referrals = append(h.Referrals, ref)
	}
	turnaway := !placed && !male && r.chance(0.08)
	if turnaway {
		at := min(end, t0+r.int64n(5*day))
		out := "turnaway_no_space"
		if r.chance(0.3) {
			out = "turnaway_needs_not_met"
		}
		h.Referrals = append(h.Referrals, Referral{
			ID: r.id(), Source: "other_agency", AgencyID: pl.agencyFor(&r, "other_agency", town), Received: pl.at(at),
			Service: "refuge", TeamID: pl.p.Teams[ix.units[r.intn(len(ix.units))].team].ID, Risk: level, Outcome: out,
		})
	}
	h.Opened = h.Referrals[0].Received

	// Contacts.
	nc := 1 + r.intn(4)
	if heavy {
		nc = r.between(6, 15)
	}
	line := "main"
	if male {
		line = "male"
	}
	for k := range nc {
		at := within()
		if r.chance(0.8) {
			at = office(at) // the helpline is open all hours, but busiest by day
		}
		if k == 0 {
			at = max(0, t0-r.int64n(2*3600))
		}
		h.Contacts = append(h.Contacts, Contact{
			ID: r.id(), Time: pl.at(at), Channel: channels[weighted(&r, channelCum)],
			CallerType: callerTypes[weighted(&r, callerCum)], ServiceLine: line,
			Outcome: contactOutcomes[weighted(&r, contactOutcomeCum)], StaffID: pick(&r, frontDoor),
		})
	}

	// The refuge stay.
	if placed {
		unit := &prop.Units[u.unit]
		n := 1 + len(h.Children)
		pm := Placement{ID: r.id(), PropertyID: prop.ID, UnitID: unit.ID, MoveIn: pl.at(moveIn)}
		pm.BedspaceIDs = make([]string, n)
		for k := range n {
			pm.BedspaceIDs[k] = unit.Bedspaces[k].ID
		}
		pm.BedspaceID = pm.BedspaceIDs[0]
		if !resident {
			pm.MoveOut = pl.at(moveOut)
			pm.DepartureReason = departureReasons[weighted(&r, departureCum)]
			if moveOut-moveIn < 14*day && pm.DepartureReason == "planned_move_on" && r.chance(0.6) {
				pm.DepartureReason = pick(&r, []string{"left_voluntarily", "returned_to_perpetrator", "safety_compromised"})
			}
			switch pm.DepartureReason {
			case "planned_move_on":
				pm.MoveOnDestination = plannedDest[weighted(&r, plannedDestCum)]
			case "transferred", "safety_compromised":
				pm.MoveOnDestination = "another_refuge"
			case "returned_to_perpetrator":
				pm.MoveOnDestination = "returned_to_perpetrator"
			default:
				pm.MoveOnDestination = pick(&r, []string{"unknown", "unknown", "family_or_friends", "private_rented"})
			}
		}
		h.Placements = append(h.Placements, pm)
	}
	if !resident && end < pl.win-14*day {
		h.Closed = pl.at(end)
	}

	// The timeline: structured records first, then everyday casework up to
	// about ten events per person (or ~200 for the heavy households).
	people := h.People()
	target := people * (3 + r.intn(14))
	if heavy {
		target = r.between(180, 220)
	}
	specs := make([]evSpec, 0, target+16)
	add := func(off int64, kind int, staff, subject string) {
		specs = append(specs, evSpec{off: off, kind: uint8(kind), staff: staff, subject: subject})
	}
	for _, ref := range h.Referrals {
		kind := evReferral
		if ref.Outcome != "accepted" {
			kind = evTurnaway
		}
		add(int64(ref.Received.Sub(pl.start)/time.Second), kind, pick(&r, frontDoor), "")
	}
	for _, ct := range h.Contacts {
		add(int64(ct.Time.Sub(pl.start)/time.Second), evContact, ct.StaffID, "")
	}
	maracs := 0
	for k, ra := range h.RiskAssessments {
		off := raTimes[k]
		add(off, evRisk, ra.StaffID, "")
		if ra.Level == "high" && maracs < 2 {
			maracs++
			idva := pick(&r, idvas)
			add(min(end, off+r.int64n(2*day)), evMaracReferral, idva, "")
			add(min(end, pl.clock(off+int64(r.between(7, 28))*day, 10, 0)), evMaracMeeting, idva, "")
		}
	}
	if placed {
		add(moveIn, evMoveIn, h.KeyWorkerID, "")
		if !resident {
			add(moveOut, evMoveOut, h.KeyWorkerID, "")
		}
	}
	if !h.Closed.IsZero() {
		add(end, evCaseClosed, h.KeyWorkerID, "")
	}
	cum := fillerCum[service]
	for len(specs) < target {
		kind := firstFiller + weighted(&r, cum)
		staff, subject := h.KeyWorkerID, ""
		switch kind {
		case evChildSession, evSchool:
			if len(h.Children) == 0 {
				kind = evCaseNote
				break
			}
			subject = h.Children[r.intn(len(h.Children))].ID
			if kind == evChildSession {
				staff = pick(&r, children)
			}
		case evInterpreter:
			if !c.InterpreterNeeded {
				kind = evPhoneCall
			}
		case evVolunteer:
			staff = pick(&r, volunteers)
		case evSupervision:
			staff = pick(&r, managers)
		default:
			if r.chance(0.25) {
				staff = pick(&r, workers)
			}
		}
		add(office(within()), kind, staff, subject)
	}
	// Sort (offset, position) keys rather than the specs themselves: plain
	// integers sort fast and ties keep their insertion order.
	keys := make([]uint64, len(specs))
	for k := range specs {
		keys[k] = uint64(specs[k].off)<<20 | uint64(k)
	}
	slices.Sort(keys)
	h.Events = make([]Event, len(specs))
	evIDs := r.ids(len(specs))
	for k, key := range keys {
		s := &specs[key&(1<<20-1)]
		notes := eventNotes[s.kind]
		h.Events[k] = Event{
			ID: evIDs[36*k : 36*k+36], Time: pl.at(s.off), Kind: eventKinds[s.kind],
			Note: notes[r.intn(len(notes))], StaffID: s.staff, SubjectID: s.subject,
		}
	}
	return h
}

// riskAssessment draws a checklist whose "yes" answers track severity s.
func riskAssessment(r *rng, s float64, at time.Time) RiskAssessment {
	ra := RiskAssessment{ID: r.id(), Completed: at, Answers: make([]string, len(dashYes))}
	f := 0.35 + 1.35*s
	for q, base := range dashYes {
		x := r.float()
		switch {
		case x < 0.04:
			ra.Answers[q] = answerNotKnown
		case x < 0.04+0.96*min(0.97, base*f):
			ra.Answers[q] = answerYes
			ra.YesCount++
		default:
			ra.Answers[q] = answerNo
		}
	}
	for range 6 {
		if r.chance(s * s * 0.5) {
			ra.PoliceCallouts12m++
		}
	}
	ra.ProfessionalJudgement = r.chance(0.03 + 0.25*s*s)
	switch {
	case ra.YesCount >= 14 || ra.ProfessionalJudgement || ra.PoliceCallouts12m >= 3:
		ra.Level = "high"
	case ra.YesCount >= 10:
		ra.Level = "medium"
	default:
		ra.Level = "standard"
	}
	return ra
}

// agencyFor names the partner agency behind a referral source.
func (pl *plan) agencyFor(r *rng, source string, town int) string {
	ags := pl.p.PartnerAgencies
	switch source {
	case "police":
		return ags[pl.ix.police].ID
	case "childrens_services":
		return ags[pl.ix.childrens].ID
	case "housing":
		return ags[pl.ix.towns[town].housing].ID
	case "health":
		return ags[pick(r, pl.ix.towns[town].gpIdx)].ID
	case "other_agency":
		return ags[pick(r, pl.ix.other)].ID
	}
	return ""
}

// perpDetails fills in the description, vehicle, addresses and conditions.
func (pl *plan) perpDetails(r *rng, p *Perpetrator, client *Person, town int) {
	var b strings.Builder
	b.Grow(80)
	b.WriteString(pick(r, builds))
	b.WriteString(", ")
	if p.Gender == "female" {
		b.WriteString(pick(r, heightsF))
		b.WriteString(", ")
		b.WriteString(pick(r, hairF))
	} else {
		b.WriteString(pick(r, heightsM))
		b.WriteString(", ")
		b.WriteString(pick(r, hairM))
	}
	b.WriteString(", ")
	b.WriteString(pick(r, marks))
	p.Description = b.String()
	if r.chance(0.55) {
		const letters = "ABCDEFGHJKLMNPRSTVWXYZ"
		reg := []byte{'Q', letters[r.intn(len(letters))], byte('0' + r.intn(10)), byte('0' + r.intn(10)), ' ',
			letters[r.intn(len(letters))], letters[r.intn(len(letters))], letters[r.intn(len(letters))]}
		p.Vehicle = pick(r, vehicles) + ", reg " + string(reg) // Q-prefixed: not a current-format UK plate
	}
	p.KnownAddresses = []string{client.Address}
	if r.chance(0.5) {
		p.KnownAddresses = append(p.KnownAddresses, pl.address(r, (town+r.intn(2))%len(pl.p.Towns)))
	}
	if r.chance(0.35) {
		until := pl.cfg.Now.AddDate(0, r.between(1, 18), r.intn(28)).Format("2 January 2006")
		var cond string
		switch r.intn(5) {
		case 0:
			cond = "Police bail: no contact with the client directly or indirectly; not to enter " + client.Town
		case 1:
			cond = "Non-molestation order until " + until + ": no contact; not to come within 100 metres of the client's home"
		case 2:
			cond = "Restraining order until " + until
		case 3:
			cond = "Domestic violence protection order: no contact for 28 days"
		default:
			cond = "Child arrangements order: supervised contact only"
		}
		p.Conditions = []string{cond}
	}
}

// assessment is the checklist as the risk service takes it: the answers
// against the checklist's item keys in order, completed at completed.
func (ra RiskAssessment) assessment(clientID string, keys []string, completed time.Time) risk.NewAssessment {
	n := risk.NewAssessment{ClientID: clientID, PoliceCallouts: min(ra.PoliceCallouts12m, 20), CompletedAt: completed}
	for i, a := range ra.Answers {
		if i < len(keys) {
			n.Answers = append(n.Answers, risk.AnswerInput{Key: keys[i], Value: risk.Answer(a), Source: risk.FromClient})
		}
	}
	if ra.ProfessionalJudgement && ra.Level == "high" {
		n.Judgement, n.JudgementReason = risk.High, "Escalating abuse and recent threats to kill; professional judgement raises the level."
	}
	return n
}
