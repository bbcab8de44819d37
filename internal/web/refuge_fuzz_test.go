package web

import (
	"net/url"
	"strings"
	"testing"
)

// The accommodation form parsers never panic, and a number or date they
// cannot read is always a field error, never a silent zero.
func FuzzRefugeForms(f *testing.F) {
	f.Add("2026-03-01", "planned_move_on", "social_housing", "4", "3", "17", "Polish, Urdu", "Easttown\nNorth", "0190f2a0-0000-7000-8000-00000000beef")
	f.Add("soon", "", "moon", "x", "-1", "", ",,,", "\r\n\r\n", "not-an-id")
	f.Add(" ", "0", "0", "0", "0", "0", "0", "0", "0")
	f.Add("2026-02-30", "\x00", "", "99999999999999999999", "3", "1e3", "\u202e", "a\x00b", "")
	f.Fuzz(func(t *testing.T, date, reason, moveOn, size, children, boy, langs, areas, child string) {
		v := url.Values{"date": {date}, "move_in": {date}, "reason": {reason}, "move_on": {moveOn}, "max_household_size": {size},
			"max_children": {children}, "max_boy_age": {boy}, "languages": {langs}, "service": {reason}}
		d, fe := departureForm(v.Get)
		if strings.TrimSpace(date) != "" && d.Date.IsZero() && len(fe) == 0 {
			t.Fatalf("date %q neither read nor refused", date)
		}
		a, fe := admissionForm(v.Get, []string{child})
		if strings.TrimSpace(date) != "" && a.MoveIn.IsZero() && len(fe) == 0 {
			t.Fatalf("move-in %q neither read nor refused", date)
		}
		if len(a.ChildIDs) > 1 {
			t.Fatalf("one child became %d", len(a.ChildIDs))
		}
		c, fe := criteriaForm(v.Get)
		if (c.MaxHouseholdSize == -1 || c.MaxChildren == -1 || c.MaxBoyAge == -1) && len(fe) == 0 {
			t.Fatal("an unreadable number without a field error")
		}
		for _, l := range c.Languages {
			if l == "" {
				t.Fatal("an empty language")
			}
		}
		for _, a := range unsafeAreasForm(areas) {
			if a == "" {
				t.Fatal("an empty unsafe area")
			}
		}
		_ = declineForm(v.Get)
	})
}
