package demo

import (
	"context"

	"frontdoor/internal/errs"
	"frontdoor/internal/refuge"
)

// PropertiesResult says what LoadProperties did.
type PropertiesResult struct {
	Loaded     bool // false: the partnership's properties were already there
	Properties int
	Units      int
	Bedspaces  int
}

// LoadProperties writes the partnership's refuges and satellite
// properties, their units and bedspaces, through the refuge service (the
// addresses sealed, each property audited as created by the system), all
// or nothing, keeping the generator's IDs so households' placements refer
// to them. p nil means NewPartnership(cfg). Call it after Load, which
// writes the teams the properties belong to; a second call finds the
// properties there and does nothing.
func LoadProperties(ctx context.Context, svc *refuge.Service, p *Partnership, cfg Config) (PropertiesResult, error) {
	if p == nil {
		p = NewPartnership(cfg.normalized())
	}
	list := PropertiesFor(p)
	res := PropertiesResult{Properties: len(list)}
	for _, n := range list {
		res.Units += len(n.Units)
		for _, u := range n.Units {
			res.Bedspaces += u.Bedspaces
		}
	}
	err := svc.ImportProperties(ctx, list)
	if e := errs.As(err); err != nil && e.Code == errs.Conflict && e.Key == "refuge.property_exists" {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.Loaded = true
	return res, nil
}

// PropertiesFor converts the partnership's properties to what the refuge
// service imports.
func PropertiesFor(p *Partnership) []refuge.NewProperty {
	out := make([]refuge.NewProperty, 0, len(p.Properties))
	for _, prop := range p.Properties {
		a := prop.Accepts
		n := refuge.NewProperty{
			ID: prop.ID, TeamID: prop.TeamID, Name: prop.Name, Kind: refuge.Kind(prop.Kind),
			Town: prop.Town, Area: prop.Area, Address: prop.Address,
			Accepts: refuge.Criteria{
				Service: refuge.Gender(a.Service), MaxHouseholdSize: a.MaxHouseholdSize, MaxChildren: a.MaxChildren,
				MaxBoyAge: a.MaxBoyAge, Wheelchair: a.Wheelchair, GroundFloor: a.GroundFloor, MentalHealth: a.MentalHealth,
				SubstanceUse: a.SubstanceUse, ComplexNeeds: a.ComplexNeeds, NRPF: a.NRPF, Pets: a.Pets, OutOfArea: a.OutOfArea,
				Languages: append([]string(nil), a.Languages...),
			},
		}
		for _, u := range prop.Units {
			nu := refuge.NewUnit{ID: u.ID, Name: u.Name, GroundFloor: u.GroundFloor, Wheelchair: u.WheelchairAccessible, Bedspaces: len(u.Bedspaces)}
			for _, b := range u.Bedspaces {
				nu.BedspaceIDs = append(nu.BedspaceIDs, b.ID)
			}
			n.Units = append(n.Units, nu)
		}
		out = append(out, n)
	}
	return out
}
