package web

import (
	"net/url"
	"strings"
	"testing"
)

// The new-property form never panics; a unit line with a name and no
// readable bedspace count is a field error (and -1, which the service
// refuses too), a blank line is skipped, and the row count stays bounded.
func FuzzPropertyForm(f *testing.F) {
	f.Add("8", "Flat A", "3", "1", "Room 2", "2", "")
	f.Add("x", "", "", "", "Room", "two", "on")
	f.Add("999999999999", " ", "-4", "\x00", "\u202e", "1e3", "1")
	f.Add("-1", "A", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, rows, name0, beds0, ground0, name1, beds1, wheel1 string) {
		n := unitRowCount(rows)
		if n < 1 || n > unitRowsMax {
			t.Fatalf("rows %q became %d", rows, n)
		}
		v := url.Values{"unit_name_0": {name0}, "unit_beds_0": {beds0}, "unit_ground_0": {ground0},
			"unit_name_1": {name1}, "unit_beds_1": {beds1}, "unit_wheelchair_1": {wheel1}}
		p, fe := propertyForm(v.Get, n)
		filled := 0
		for i, pair := range [][2]string{{name0, beds0}, {name1, beds1}} {
			if i < n && (strings.TrimSpace(pair[0]) != "" || strings.TrimSpace(pair[1]) != "") {
				filled++
			}
		}
		if len(p.Units) != filled {
			t.Fatalf("%d filled lines became %d units", filled, len(p.Units))
		}
		unitError := false
		for _, e := range fe {
			unitError = unitError || e.Field == "units"
		}
		for _, u := range p.Units {
			if u.Bedspaces == -1 && !unitError {
				t.Fatal("an unreadable bedspace count without a field error")
			}
		}
	})
}
