package refuge

import (
	"net/url"
	"strconv"
	"strings"
)

// ParseSearch reads the vacancy search form (or query string) into a
// Household, with every field error at once. Fields: client, adults,
// child_age and child_boy (repeated, in step: child_boy is "1" or "on"
// for a boy, anything else a girl), service, wheelchair, ground_floor,
// mental_health, substance_use, complex_needs, nrpf, pets (checkboxes:
// "1", "on", "true"), language, area, home_town.
func ParseSearch(v url.Values) (Household, error) {
	var fe FieldErrors
	h := Household{
		ClientID:     strings.TrimSpace(v.Get("client")),
		Service:      Gender(strings.TrimSpace(v.Get("service"))),
		Wheelchair:   checked(v.Get("wheelchair")),
		GroundFloor:  checked(v.Get("ground_floor")),
		MentalHealth: checked(v.Get("mental_health")),
		SubstanceUse: checked(v.Get("substance_use")),
		ComplexNeeds: checked(v.Get("complex_needs")),
		NRPF:         checked(v.Get("nrpf")),
		Pets:         checked(v.Get("pets")),
		Language:     v.Get("language"),
		Area:         v.Get("area"),
		HomeTown:     v.Get("home_town"),
	}
	if len(h.ClientID) > 64 || !cleanText(h.ClientID, false) {
		fe.Add("client", "refuge.text_invalid")
		h.ClientID = ""
	}
	adults := strings.TrimSpace(v.Get("adults"))
	h.Adults = 1
	if adults != "" {
		n, err := strconv.Atoi(adults)
		if err != nil {
			fe.Add("adults", "refuge.number")
		} else {
			h.Adults = n
		}
	}
	ages, boys := v["child_age"], v["child_boy"]
	if len(ages) > maxHousehold {
		fe.Add("children", "refuge.out_of_range", 0, maxHousehold)
		ages = nil
	}
	for i, a := range ages {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		n, err := strconv.Atoi(a)
		if err != nil {
			fe.Add("children", "refuge.number")
			break
		}
		h.Children = append(h.Children, Child{Age: n, Boy: i < len(boys) && checked(boys[i])})
	}
	h.validate(&fe)
	return h, fe.Err()
}

func checked(v string) bool {
	switch strings.TrimSpace(strings.ToLower(v)) {
	case "1", "on", "true", "yes":
		return true
	}
	return false
}
