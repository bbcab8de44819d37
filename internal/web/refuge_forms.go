package web

import (
	"strconv"
	"strings"

	"frontdoor/internal/errs"
	"frontdoor/internal/refuge"
)

// admissionForm reads the admit form: the move-in date and the client's
// children who moved in (the referred client always does).
func admissionForm(get func(string) string, children []string) (refuge.Admission, errs.Fields) {
	var fe errs.Fields
	a := refuge.Admission{MoveIn: parseDate(&fe, "move_in", get("move_in"))}
	a.ChildIDs = validIDs(&fe, "children", children)
	return a, fe
}

// departureForm reads the departure form.
func departureForm(get func(string) string) (refuge.Departure, errs.Fields) {
	var fe errs.Fields
	d := refuge.Departure{Date: parseDate(&fe, "date", get("date")),
		Reason: refuge.DepartureReason(strings.TrimSpace(get("reason"))), MoveOn: refuge.MoveOn(strings.TrimSpace(get("move_on")))}
	return d, fe
}

// declineForm reads a decline: who declines, why, and an optional note.
func declineForm(get func(string) string) refuge.Decline {
	return refuge.Decline{By: refuge.Decider(strings.TrimSpace(get("by"))), Reason: refuge.TurnawayReason(strings.TrimSpace(get("reason"))), Note: get("note")}
}

// criteriaForm reads what a property accepts. A number that does not
// parse is a field error and is sent on as -1, which the service refuses
// too, so nothing is written.
func criteriaForm(get func(string) string) (refuge.Criteria, errs.Fields) {
	var fe errs.Fields
	num := func(field string) int {
		v := strings.TrimSpace(get(field))
		n, err := strconv.Atoi(v)
		if err != nil {
			fe.Add(field, "refuge.number")
			return -1
		}
		return n
	}
	on := func(field string) bool { return get(field) == "on" || get(field) == "1" }
	c := refuge.Criteria{
		Service:          refuge.Gender(strings.TrimSpace(get("service"))),
		MaxHouseholdSize: num("max_household_size"),
		MaxChildren:      num("max_children"),
		MaxBoyAge:        num("max_boy_age"),
		Wheelchair:       on("wheelchair"),
		GroundFloor:      on("ground_floor"),
		MentalHealth:     on("mental_health"),
		SubstanceUse:     on("substance_use"),
		ComplexNeeds:     on("complex_needs"),
		NRPF:             on("nrpf"),
		Pets:             on("pets"),
		OutOfArea:        on("out_of_area"),
	}
	for _, l := range strings.Split(get("languages"), ",") {
		if l = strings.TrimSpace(l); l != "" {
			c.Languages = append(c.Languages, l)
		}
	}
	return c, fe
}

// unsafeAreasForm reads the unsafe areas, one a line.
func unsafeAreasForm(text string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
