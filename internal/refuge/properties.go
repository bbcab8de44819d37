package refuge

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// Kind of property.
type Kind string

const (
	Communal  Kind = "refuge"    // one building, many rooms
	Satellite Kind = "satellite" // dispersed, self-contained units
)

// Gender of the service a property runs.
type Gender string

const (
	Women Gender = "women"
	Men   Gender = "men"
	Mixed Gender = "mixed"
)

var (
	kinds   = []Kind{Communal, Satellite}
	genders = []Gender{Women, Men, Mixed}
)

// Criteria is what a property can accept. A unit overrides GroundFloor
// and Wheelchair for itself.
type Criteria struct {
	Service          Gender
	MaxHouseholdSize int
	MaxChildren      int
	MaxBoyAge        int // the oldest boy it can take; 17: no restriction
	Wheelchair       bool
	GroundFloor      bool
	MentalHealth     bool
	SubstanceUse     bool
	ComplexNeeds     bool
	NRPF             bool // no recourse to public funds accepted
	Pets             bool
	OutOfArea        bool // referrals from outside its council area
	Languages        []string
}

// NewUnit is a room or flat of a new property. IDs may be given (the demo
// loader keeps its own); empty means a new ID.
type NewUnit struct {
	ID          string
	Name        string
	GroundFloor bool
	Wheelchair  bool
	Bedspaces   int
	BedspaceIDs []string // optional: as many IDs as Bedspaces
}

// NewProperty is what the property form (or the demo loader) sends.
type NewProperty struct {
	ID      string // optional
	TeamID  string
	Name    string
	Kind    Kind
	Town    string
	Area    string
	Address string
	Accepts Criteria
	Units   []NewUnit
}

// Unit is a room or flat.
type Unit struct {
	ID          string
	PropertyID  string
	Name        string
	GroundFloor bool
	Wheelchair  bool
	BedspaceIDs []string
}

// Property is a property as a reader sees it. Address is empty unless the
// reader runs the property (CanSeeAddress).
type Property struct {
	ID             string
	OrganisationID string
	TeamID         string
	Name           string
	Kind           Kind
	Town, Area     string
	Address        string
	CanSeeAddress  bool
	Accepts        Criteria
	Units          []Unit
	Version        int
}

// Bedspaces counts the property's bedspaces.
func (p *Property) Bedspaces() int {
	n := 0
	for _, u := range p.Units {
		n += len(u.BedspaceIDs)
	}
	return n
}

const maxUnits, maxBedspaces = 200, 20

func (n *NewProperty) validate() error {
	var fe FieldErrors
	n.Name, n.Town, n.Area, n.Address = strings.TrimSpace(n.Name), strings.TrimSpace(n.Town), strings.TrimSpace(n.Area), strings.TrimSpace(n.Address)
	if n.TeamID == "" {
		fe.Add("team", "refuge.required")
	}
	checkText(&fe, "name", n.Name, true, maxNameLen, false)
	if !oneOf(n.Kind, kinds) {
		fe.Add("kind", "refuge.choose_one")
	}
	checkText(&fe, "town", n.Town, true, maxNameLen, false)
	checkText(&fe, "area", n.Area, true, maxNameLen, false)
	checkText(&fe, "address", n.Address, true, 1000, true)
	c := &n.Accepts
	if !oneOf(c.Service, genders) {
		fe.Add("service", "refuge.choose_one")
	}
	if c.MaxHouseholdSize < 1 || c.MaxHouseholdSize > maxBedspaces {
		fe.Add("max_household_size", "refuge.out_of_range", 1, maxBedspaces)
	}
	if c.MaxChildren < 0 || c.MaxChildren > maxBedspaces {
		fe.Add("max_children", "refuge.out_of_range", 0, maxBedspaces)
	}
	if c.MaxBoyAge < 0 || c.MaxBoyAge > 17 {
		fe.Add("max_boy_age", "refuge.out_of_range", 0, 17)
	}
	langs := c.Languages[:0:0]
	for _, l := range c.Languages {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if !cleanText(l, false) || strings.Contains(l, ",") || len(l) > 60 {
			fe.Add("languages", "refuge.text_invalid")
			break
		}
		if !slices.ContainsFunc(langs, func(x string) bool { return strings.EqualFold(x, l) }) {
			langs = append(langs, l)
		}
	}
	c.Languages = langs
	if len(n.Units) == 0 || len(n.Units) > maxUnits {
		fe.Add("units", "refuge.out_of_range", 1, maxUnits)
	}
	for i := range n.Units {
		u := &n.Units[i]
		u.Name = strings.TrimSpace(u.Name)
		if !cleanText(u.Name, false) || u.Name == "" || len(u.Name) > maxNameLen {
			fe.Add("units", "refuge.unit_invalid", i+1)
			break
		}
		if u.Bedspaces < 1 || u.Bedspaces > maxBedspaces || (u.BedspaceIDs != nil && len(u.BedspaceIDs) != u.Bedspaces) {
			fe.Add("units", "refuge.unit_invalid", i+1)
			break
		}
	}
	return fe.Err()
}

// CreateProperty adds a property run by one of the actor's teams: a team
// manager of that team, or an administrator of its organisation.
func (s *Service) CreateProperty(ctx context.Context, actor access.Actor, n NewProperty) (*Property, error) {
	if err := n.validate(); err != nil {
		return nil, err
	}
	var p *Property
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		org, err := teamOrganisation(ctx, tx, n.TeamID)
		if err != nil {
			return err
		}
		ok := org == actor.OrganisationID && access.Decide(actor, access.ManageProperties, access.Record{}).Allow &&
			(actor.Role == access.RoleAdministrator || slices.Contains(actor.TeamIDs, n.TeamID))
		if !ok {
			return errForbidden
		}
		p, err = s.insertProperty(ctx, tx, actor, org, n)
		return err
	})
	return p, err
}

// ImportProperties writes properties for the system (the demo loader, an
// import): no actor, each property audited as created by the system. All
// or nothing.
func (s *Service) ImportProperties(ctx context.Context, list []NewProperty) error {
	for i := range list {
		if err := list[i].validate(); err != nil {
			return err
		}
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		orgs := map[string]string{}
		for _, n := range list {
			org, ok := orgs[n.TeamID]
			if !ok {
				var err error
				if org, err = teamOrganisation(ctx, tx, n.TeamID); err != nil {
					return err
				}
				orgs[n.TeamID] = org
			}
			if _, err := s.insertProperty(ctx, tx, access.Actor{}, org, n); err != nil {
				return err
			}
		}
		return nil
	})
}

func teamOrganisation(ctx context.Context, tx *store.Tx, teamID string) (string, error) {
	var org string
	err := tx.QueryRow(ctx, `SELECT organisation_id FROM teams WHERE id = $1`, []any{teamID}, &org)
	if errors.Is(err, store.ErrNotFound) {
		return "", errs.Field("team", "refuge.team_unknown")
	}
	return org, err
}

func (s *Service) insertProperty(ctx context.Context, tx *store.Tx, actor access.Actor, org string, n NewProperty) (*Property, error) {
	p := &Property{ID: n.ID, OrganisationID: org, TeamID: n.TeamID, Name: n.Name, Kind: n.Kind, Town: n.Town, Area: n.Area,
		Accepts: n.Accepts, Version: 1}
	if p.ID == "" {
		p.ID = id.New()
	}
	c := n.Accepts
	if _, err := tx.Exec(ctx, `INSERT INTO refuge_properties (id, organisation_id, team_id, name, kind, town, area, address_sealed,
		service, max_household, max_children, max_boy_age, wheelchair, ground_floor, mental_health, substance_use, complex_needs,
		nrpf, pets, out_of_area, languages, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
		p.ID, org, p.TeamID, p.Name, string(p.Kind), p.Town, p.Area, s.Vault.SealString(n.Address, "refuge_properties", p.ID, "address"),
		string(c.Service), c.MaxHouseholdSize, c.MaxChildren, c.MaxBoyAge, c.Wheelchair, c.GroundFloor, c.MentalHealth, c.SubstanceUse,
		c.ComplexNeeds, c.NRPF, c.Pets, c.OutOfArea, strings.Join(c.Languages, ","), s.now()); err != nil {
		if errors.Is(err, store.ErrUnique) {
			return nil, errs.New(errs.Conflict, "refuge.property_exists")
		}
		return nil, err
	}
	for i, nu := range n.Units {
		u := Unit{ID: nu.ID, PropertyID: p.ID, Name: nu.Name, GroundFloor: nu.GroundFloor || nu.Wheelchair, Wheelchair: nu.Wheelchair}
		if u.ID == "" {
			u.ID = id.New()
		}
		if _, err := tx.Exec(ctx, `INSERT INTO refuge_units (id, property_id, name, ground_floor, wheelchair, position) VALUES ($1, $2, $3, $4, $5, $6)`,
			u.ID, p.ID, u.Name, u.GroundFloor, u.Wheelchair, i); err != nil {
			return nil, err
		}
		for k := range nu.Bedspaces {
			bid := id.New()
			if nu.BedspaceIDs != nil {
				bid = nu.BedspaceIDs[k]
			}
			if _, err := tx.Exec(ctx, `INSERT INTO refuge_bedspaces (id, unit_id, property_id, position) VALUES ($1, $2, $3, $4)`,
				bid, u.ID, p.ID, k); err != nil {
				return nil, err
			}
			u.BedspaceIDs = append(u.BedspaceIDs, bid)
		}
		p.Units = append(p.Units, u)
	}
	p.Address, p.CanSeeAddress = n.Address, true
	return p, s.audit(ctx, tx, actor, "property.create", PropertyRecordKind, p.ID, "")
}

// propertyRow is a property's row without its address.
type propertyRow struct {
	Property
	service, kind, languages string
	sealed                   string
}

func (r *propertyRow) Dest() []any {
	c := &r.Accepts
	return []any{&r.ID, &r.OrganisationID, &r.TeamID, &r.Name, &r.kind, &r.Town, &r.Area, &r.sealed, &r.service,
		&c.MaxHouseholdSize, &c.MaxChildren, &c.MaxBoyAge, &c.Wheelchair, &c.GroundFloor, &c.MentalHealth, &c.SubstanceUse,
		&c.ComplexNeeds, &c.NRPF, &c.Pets, &c.OutOfArea, &r.languages, &r.Version}
}

const propertyCols = `p.id, p.organisation_id, p.team_id, p.name, p.kind, p.town, p.area, p.address_sealed, p.service,
	p.max_household, p.max_children, p.max_boy_age, p.wheelchair, p.ground_floor, p.mental_health, p.substance_use,
	p.complex_needs, p.nrpf, p.pets, p.out_of_area, p.languages, p.version`

type unitRow struct {
	Unit
	bedspace string
}

func (r *unitRow) Dest() []any {
	return []any{&r.ID, &r.PropertyID, &r.Name, &r.GroundFloor, &r.Wheelchair, &r.bedspace}
}

// loadProperties reads properties (all, or those of where) with their
// units and bedspaces, in name order. Addresses stay sealed.
func loadProperties(ctx context.Context, tx *store.Tx, where string, args ...any) ([]*propertyRow, error) {
	rows, err := store.QueryAll[propertyRow](ctx, tx, `SELECT `+propertyCols+` FROM refuge_properties p `+where+` ORDER BY p.town, p.name, p.id`, args...)
	if err != nil {
		return nil, err
	}
	out := make([]*propertyRow, len(rows))
	byID := map[string]*propertyRow{}
	for i := range rows {
		r := &rows[i]
		r.Kind, r.Accepts.Service = Kind(r.kind), Gender(r.service)
		if r.languages != "" {
			r.Accepts.Languages = strings.Split(r.languages, ",")
		}
		out[i], byID[r.ID] = r, r
	}
	if len(out) == 0 {
		return out, nil
	}
	units, err := store.QueryAll[unitRow](ctx, tx, `SELECT u.id, u.property_id, u.name, u.ground_floor, u.wheelchair, b.id
		FROM refuge_units u JOIN refuge_bedspaces b ON b.unit_id = u.id JOIN refuge_properties p ON p.id = u.property_id `+where+`
		ORDER BY u.property_id, u.position, b.position`, args...)
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		p := byID[u.PropertyID]
		if p == nil {
			continue
		}
		if k := len(p.Units); k == 0 || p.Units[k-1].ID != u.ID {
			p.Units = append(p.Units, u.Unit)
		}
		last := &p.Units[len(p.Units)-1]
		last.BedspaceIDs = append(last.BedspaceIDs, u.bedspace)
	}
	return out, nil
}

func (r *propertyRow) record() access.Record { return propertyRecord(r.ID, r.OrganisationID, r.TeamID) }

// OpenProperty reads one property. Those who run it get the address (the
// read is audited); anyone who may search vacancies gets the rest, with
// the town and area only.
func (s *Service) OpenProperty(ctx context.Context, actor access.Actor, propertyID string) (*Property, error) {
	var out *Property
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		list, err := loadProperties(ctx, tx, `WHERE p.id = $1`, propertyID)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return errNotFound
		}
		r := list[0]
		p := r.Property
		if !runsProperty(actor, access.ReadRecord, r.record()) {
			if err := service(actor, access.SearchRecords); err != nil {
				return err
			}
			out = &p
			return nil
		}
		if p.Address, err = s.Vault.OpenString(r.sealed, "refuge_properties", p.ID, "address"); err != nil {
			return err
		}
		p.CanSeeAddress = true
		out = &p
		return s.audit(ctx, tx, actor, "property.address_read", PropertyRecordKind, p.ID, "")
	})
	return out, err
}

// UpdateCriteria changes what a property accepts (version: the one the
// form was read at). Those who run it only.
func (s *Service) UpdateCriteria(ctx context.Context, actor access.Actor, propertyID string, version int, c Criteria) (int, error) {
	check := NewProperty{TeamID: "-", Name: "-", Kind: Communal, Town: "-", Area: "-", Address: "-", Accepts: c, Units: []NewUnit{{Name: "-", Bedspaces: 1}}}
	if err := check.validate(); err != nil {
		return 0, err
	}
	c = check.Accepts
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		r, err := s.propertyFor(ctx, tx, actor, propertyID)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE refuge_properties SET service = $1, max_household = $2, max_children = $3, max_boy_age = $4,
			wheelchair = $5, ground_floor = $6, mental_health = $7, substance_use = $8, complex_needs = $9, nrpf = $10, pets = $11,
			out_of_area = $12, languages = $13, version = version + 1 WHERE id = $14 AND version = $15`,
			string(c.Service), c.MaxHouseholdSize, c.MaxChildren, c.MaxBoyAge, c.Wheelchair, c.GroundFloor, c.MentalHealth,
			c.SubstanceUse, c.ComplexNeeds, c.NRPF, c.Pets, c.OutOfArea, strings.Join(c.Languages, ","), r.ID, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errStale
		}
		return s.audit(ctx, tx, actor, "property.update", PropertyRecordKind, r.ID, "criteria")
	})
	return version + 1, err
}

// propertyFor loads a property the actor runs (UpdateRecord), or
// NotFound / Forbidden.
func (s *Service) propertyFor(ctx context.Context, tx *store.Tx, actor access.Actor, propertyID string) (*propertyRow, error) {
	list, err := loadProperties(ctx, tx, `WHERE p.id = $1`, propertyID)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errNotFound
	}
	if !runsProperty(actor, access.UpdateRecord, list[0].record()) {
		return nil, errForbidden
	}
	return list[0], nil
}

// liveClaims returns the bedspaces held or occupied at now (a hold past
// its expiry is free), with when each becomes free if known: a hold's
// expiry, or an occupied bedspace's expected move-out (zero: not known).
type claimState struct {
	Bedspace  string
	Referral  string
	Stay      string
	Expires   time.Time
	ExpectOut time.Time
}

type claimRow struct {
	bedspace         string
	referral, stay   *string
	expires, expects *time.Time
}

func (r *claimRow) Dest() []any {
	return []any{&r.bedspace, &r.referral, &r.stay, &r.expires, &r.expects}
}

func liveClaims(ctx context.Context, tx *store.Tx, now time.Time, where string, args ...any) (map[string]claimState, error) {
	rows, err := store.QueryAll[claimRow](ctx, tx, `SELECT c.bedspace_id, c.referral_id, c.stay_id, c.expires_at, st.expected_move_out
		FROM refuge_claims c LEFT JOIN refuge_stays st ON st.id = c.stay_id
		JOIN refuge_bedspaces b ON b.id = c.bedspace_id
		WHERE c.released_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > $1) `+where, append([]any{now}, args...)...)
	if err != nil {
		return nil, err
	}
	out := make(map[string]claimState, len(rows))
	for i := range rows {
		out[rows[i].bedspace] = rows[i].state()
	}
	return out, nil
}

func (r *claimRow) state() claimState {
	cs := claimState{Bedspace: r.bedspace}
	if r.referral != nil {
		cs.Referral = *r.referral
	}
	if r.stay != nil {
		cs.Stay = *r.stay
	}
	if r.expires != nil {
		cs.Expires = r.expires.UTC()
	}
	if r.expects != nil {
		cs.ExpectOut = r.expects.UTC()
	}
	return cs
}
