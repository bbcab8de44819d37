package web

import (
	"net/http"
	"strconv"
	"strings"

	"frontdoor/internal/errs"
	"frontdoor/internal/refuge"
)

// Unit rows on the new-property form: as many as a typical refuge has to
// start with, more on request (the form is re-drawn with more rows, nothing
// saved), up to the service's limit.
const (
	unitRowsStart = 8
	unitRowsMore  = 8
	unitRowsMax   = 200
)

// criteriaValues is a property's criteria as the criteria fields show them.
func criteriaValues(c refuge.Criteria) map[string]string {
	on := func(b bool) string {
		if b {
			return "1"
		}
		return ""
	}
	return map[string]string{
		"service":            string(c.Service),
		"max_household_size": strconv.Itoa(c.MaxHouseholdSize),
		"max_children":       strconv.Itoa(c.MaxChildren),
		"max_boy_age":        strconv.Itoa(c.MaxBoyAge),
		"wheelchair":         on(c.Wheelchair),
		"ground_floor":       on(c.GroundFloor),
		"mental_health":      on(c.MentalHealth),
		"substance_use":      on(c.SubstanceUse),
		"complex_needs":      on(c.ComplexNeeds),
		"nrpf":               on(c.NRPF),
		"pets":               on(c.Pets),
		"out_of_area":        on(c.OutOfArea),
		"languages":          strings.Join(c.Languages, ", "),
	}
}

// unitRowCount reads how many unit rows the form had, within bounds.
func unitRowCount(v string) int {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return unitRowsStart
	}
	return min(n, unitRowsMax)
}

// propertyForm reads the new-property form: the property, what it accepts
// (criteriaForm) and its unit rows (unit_name_N, unit_beds_N,
// unit_ground_N, unit_wheelchair_N for N below rows). A row left blank is
// skipped; a row with a name and no whole number of bedspaces is a field
// error naming the row, and is sent on as -1 so the service refuses it too.
func propertyForm(get func(string) string, rows int) (refuge.NewProperty, errs.Fields) {
	c, fe := criteriaForm(get)
	n := refuge.NewProperty{
		TeamID:  strings.TrimSpace(get("team")),
		Name:    get("name"),
		Kind:    refuge.Kind(strings.TrimSpace(get("kind"))),
		Town:    get("town"),
		Area:    get("area"),
		Address: get("address"),
		Accepts: c,
	}
	for i := range rows {
		k := strconv.Itoa(i)
		name, beds := strings.TrimSpace(get("unit_name_"+k)), strings.TrimSpace(get("unit_beds_"+k))
		if name == "" && beds == "" {
			continue
		}
		b, err := strconv.Atoi(beds)
		if err != nil {
			fe.Add("units", "refuge.unit_invalid", i+1)
			b = -1
		}
		on := func(f string) bool { v := get(f + k); return v == "1" || v == "on" }
		n.Units = append(n.Units, refuge.NewUnit{Name: name, Bedspaces: b, GroundFloor: on("unit_ground_"), Wheelchair: on("unit_wheelchair_")})
	}
	return n, fe
}

// newPropertyPage is the new-property form.
type newPropertyPage struct {
	Teams []refuge.Team
	Kinds []refuge.Kind
	Rows  []int
}

func (s *Server) newPropertyRender(w http.ResponseWriter, r *http.Request, status int, v view, rows int, err error) {
	teams, terr := s.Refuge.PropertyTeams(r.Context(), actorOf(sessionOf(r)))
	if terr != nil {
		s.formError(w, r, "error", view{}, terr)
		return
	}
	page := newPropertyPage{Teams: teams, Kinds: []refuge.Kind{refuge.Communal, refuge.Satellite}}
	for i := range rows {
		page.Rows = append(page.Rows, i)
	}
	if v.Form == nil {
		v.Form = criteriaValues(refuge.Criteria{Service: refuge.Women, MaxHouseholdSize: 4, MaxChildren: 3, MaxBoyAge: 17})
		v.Form["kind"] = string(refuge.Communal)
		if len(teams) == 1 {
			v.Form["team"] = teams[0].ID
		}
	}
	v.Title, v.Data = "accommodation.new_property_title", page
	if err != nil {
		s.formError(w, r, "refuge_property_new", v, err)
		return
	}
	s.render(w, r, status, "refuge_property_new", v)
}

// newProperty shows the form to add a property, to those who may: a team
// manager for their own teams, an administrator for any team of theirs.
func (s *Server) newProperty(w http.ResponseWriter, r *http.Request) {
	s.newPropertyRender(w, r, http.StatusOK, view{}, unitRowsStart, nil)
}

// createProperty adds the property with its units and bedspaces in one
// transaction, or re-draws the form: with more unit rows when asked, with
// the field errors otherwise (nothing saved).
func (s *Server) createProperty(w http.ResponseWriter, r *http.Request) {
	rows := unitRowCount(r.PostFormValue("rows"))
	form := maracFormValues(r)
	if r.PostFormValue("more_units") != "" {
		s.newPropertyRender(w, r, http.StatusOK, view{Form: form}, min(rows+unitRowsMore, unitRowsMax), nil)
		return
	}
	n, parse := propertyForm(r.PostFormValue, rows)
	p, err := s.Refuge.CreateProperty(r.Context(), actorOf(sessionOf(r)), n)
	err = maracWithParseErrors(parse, err)
	switch {
	case err == nil:
		http.Redirect(w, r, "/refuge/properties/"+p.ID, http.StatusSeeOther)
	case len(errs.AllFields(err)) > 0:
		s.newPropertyRender(w, r, http.StatusUnprocessableEntity, view{Form: form}, rows, err)
	default:
		s.formError(w, r, "error", view{}, err)
	}
}
