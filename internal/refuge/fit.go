package refuge

import (
	"slices"
	"strings"
)

// One predicate decides whether a unit fits a household: the vacancy
// search offers exactly the units it passes, and a hold is refused for
// any unit it fails, with every reason (field "unit"). fitsProperty is
// the property's half (a search skips a whole property on it), fitsUnit
// the unit's; fits is both. With why nil they stop at the first failure
// (the search's hot loop); otherwise each failure is added to why.
//
// The client's unsafe areas are checked beside it (Service.unsafe), since
// they need the vault's blind index.

// Bedspaces and household size. A unit fits a household of n people when
// it has room for all of them and, if it has more than smallUnit
// bedspaces, no more than spareBedspaces beyond n: a single or double
// room takes anyone it has room for, but a family flat is kept for a
// family, so a single adult is never offered (nor can hold) a
// five-bedspace flat. A household of two fits units of 2 or 3 bedspaces,
// of three 3 or 4, of four 4 or 5.
const (
	smallUnit      = 2
	spareBedspaces = 1
)

// BedspacesFit is the size rule above: whether a unit of bedspaces fits
// a household of n people (the demo data follows it too).
func BedspacesFit(bedspaces, n int) bool {
	return bedspaces >= n && (bedspaces <= smallUnit || bedspaces <= n+spareBedspaces)
}

// verdict collects a predicate's failures: without why it answers at the
// first, with why it records each.
type verdict struct {
	why *FieldErrors
	ok  bool
}

// fail records a failure and reports whether to stop looking.
func (v *verdict) fail(key string, args ...any) bool {
	v.ok = false
	if v.why == nil {
		return true
	}
	v.why.Add("unit", key, args...)
	return false
}

// fitsProperty checks the property's criteria: its service, the
// household's size and children, support needs, language, funds, pets,
// and where the household comes from and searched. (A case whose check
// fails calls v.fail, which ends the switch only when not collecting.)
func fitsProperty(p *Property, h Household, why *FieldErrors) bool {
	c, v := p.Accepts, verdict{why: why, ok: true}
	switch {
	case h.Service != "" && c.Service != Mixed && c.Service != h.Service && v.fail("refuge.fit_service_"+string(c.Service)):
	case h.Size() > c.MaxHouseholdSize && v.fail("refuge.fit_household_size", c.MaxHouseholdSize, h.Size()):
	case len(h.Children) > c.MaxChildren && v.fail("refuge.fit_children", c.MaxChildren, len(h.Children)):
	case h.oldestBoy() > c.MaxBoyAge && v.fail("refuge.fit_boy_age", c.MaxBoyAge):
	case h.MentalHealth && !c.MentalHealth && v.fail("refuge.fit_mental_health"):
	case h.SubstanceUse && !c.SubstanceUse && v.fail("refuge.fit_substance_use"):
	case h.ComplexNeeds && !c.ComplexNeeds && v.fail("refuge.fit_complex_needs"):
	case h.NRPF && !c.NRPF && v.fail("refuge.fit_nrpf"):
	case h.Pets && !c.Pets && v.fail("refuge.fit_pets"):
	case h.Language != "" && !slices.ContainsFunc(c.Languages, func(l string) bool { return strings.EqualFold(l, h.Language) }) && v.fail("refuge.fit_language"):
	case h.HomeTown != "" && !c.OutOfArea && normArea(h.HomeTown) != normArea(p.Town) && v.fail("refuge.fit_out_of_area"):
	case h.Area != "" && normArea(h.Area) != normArea(p.Town) && normArea(h.Area) != normArea(p.Area) && v.fail("refuge.fit_area"):
	}
	return v.ok
}

// fitsUnit checks the unit: its bedspaces against the household's size
// (BedspacesFit) and its access (a wheelchair-accessible unit counts as
// ground floor).
func fitsUnit(u Unit, h Household, why *FieldErrors) bool {
	beds, n, v := len(u.BedspaceIDs), h.Size(), verdict{why: why, ok: true}
	switch {
	case beds < n && v.fail("refuge.fit_too_small", beds, n):
	case !BedspacesFit(beds, n) && beds >= n && v.fail("refuge.fit_too_large", beds, n):
	case h.Wheelchair && !u.Wheelchair && v.fail("refuge.fit_wheelchair"):
	case h.GroundFloor && !u.GroundFloor && !u.Wheelchair && v.fail("refuge.fit_ground_floor"):
	}
	return v.ok
}

// fits is the whole predicate: the property's criteria and the unit's.
func fits(p *Property, u Unit, h Household, why *FieldErrors) bool {
	okProperty := fitsProperty(p, h, why)
	if !okProperty && why == nil {
		return false
	}
	return fitsUnit(u, h, why) && okProperty
}
