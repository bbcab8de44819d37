package people

import (
	"net/url"
	"strconv"
	"strings"
)

// The household forms: what a browser posts, read into what the service
// takes, and a record turned back into form values for editing. Parsing
// never fails: a value that is not a number is kept out of range so the
// service reports it with every other problem at once.

// formAge reads an estimated age; anything but a whole number becomes -1,
// which validation refuses against the field.
func formAge(v string) int {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return -1
	}
	if n > 1000 {
		return 1000
	}
	return n
}

func ageValue(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// ChildFromForm reads the child form.
func ChildFromForm(v url.Values) NewChild {
	return NewChild{GivenName: v.Get("given_name"), FamilyName: v.Get("family_name"), Details: ChildDetails{
		DateOfBirth: v.Get("date_of_birth"), EstimatedAge: formAge(v.Get("estimated_age")), Gender: v.Get("gender"),
		School: v.Get("school"), GP: v.Get("gp"), Needs: v.Get("needs")}}
}

// ChildFormValues fills the child form from a record, for editing.
func ChildFormValues(n NewChild) map[string]string {
	d := n.Details
	return map[string]string{"given_name": n.GivenName, "family_name": n.FamilyName, "date_of_birth": d.DateOfBirth,
		"estimated_age": ageValue(d.EstimatedAge), "gender": d.Gender, "school": d.School, "gp": d.GP, "needs": d.Needs}
}

// PerpetratorFromForm reads the perpetrator form. Aliases come one per
// line.
func PerpetratorFromForm(v url.Values) NewPerpetrator {
	return NewPerpetrator{GivenName: v.Get("given_name"), FamilyName: v.Get("family_name"), Relationship: v.Get("relationship"),
		Details: PerpetratorDetails{Aliases: strings.Split(v.Get("aliases"), "\n"), DateOfBirth: v.Get("date_of_birth"),
			EstimatedAge: formAge(v.Get("estimated_age")), Phone: v.Get("phone"), Description: v.Get("description"), Vehicle: v.Get("vehicle"),
			KnownAddresses: v.Get("known_addresses"), Conditions: v.Get("conditions")}}
}

// PerpetratorFormValues fills the perpetrator form from a record, for
// editing.
func PerpetratorFormValues(n NewPerpetrator) map[string]string {
	d := n.Details
	return map[string]string{"given_name": n.GivenName, "family_name": n.FamilyName, "relationship": n.Relationship,
		"aliases": strings.Join(d.Aliases, "\n"), "date_of_birth": d.DateOfBirth, "estimated_age": ageValue(d.EstimatedAge),
		"phone": d.Phone, "description": d.Description, "vehicle": d.Vehicle, "known_addresses": d.KnownAddresses, "conditions": d.Conditions}
}

// FormValues keeps what the person typed, to show the form again.
func FormValues(v url.Values) map[string]string {
	out := map[string]string{}
	for k := range v {
		out[k] = v.Get(k)
	}
	return out
}
