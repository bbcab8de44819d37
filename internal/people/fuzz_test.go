package people_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"frontdoor/internal/errs"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
)

// Whatever the new-client form carries, the answer is a record that reads
// back exactly as typed (trimmed), or an error naming the field; never a
// fault, never half a record.
func FuzzCreateClient(f *testing.F) {
	w := newWorld(f, store.SQLite)
	f.Add("Grace", "Okafor")
	f.Add("", "")
	f.Add("Zoë\u0301", "O'Brien-Ní Bhriain")
	f.Add(strings.Repeat("a", 201), "b")
	f.Add("\x00", "\xff")
	f.Fuzz(func(t *testing.T, given, family string) {
		c, err := w.svc.Create(ctx, w.outreach, people.NewClient{GivenName: given, FamilyName: family})
		if err != nil {
			if e := errs.As(err); e.Field == "" {
				t.Fatalf("create(%q, %q): error without a field: %v", given, family, err)
			}
			return
		}
		got, err := w.svc.Open(ctx, w.outreach, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.GivenName != strings.TrimSpace(given) || got.FamilyName != strings.TrimSpace(family) {
			t.Fatalf("stored %q %q, read back %q %q", given, family, got.GivenName, got.FamilyName)
		}
		if !utf8.ValidString(given+family) || strings.ContainsFunc(given+family, unicode.IsControl) {
			t.Fatalf("accepted a name that is not clean text: %q %q", given, family)
		}
	})
}

// Whatever the child form carries, the answer is a child that reads back
// as typed (trimmed), or field errors; never a fault, never half a record.
func FuzzChildForm(f *testing.F) {
	w := newWorld(f, store.SQLite)
	mother, err := w.svc.Create(ctx, w.outreach, people.NewClient{GivenName: "Grace", FamilyName: "Okafor"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Amara", "Okafor", "02/09/2017", "", "Hilda Road Primary", "asthma")
	f.Add("", "", "", "", "", "")
	f.Add("Sam", "", "", "7", "", "line one\nline two")
	f.Add("Zoë", "Ní", "2017-13-01", "x", "\x00", "\xff")
	f.Add("Kid", "B", "01/01/1990", "30", "", "")
	f.Fuzz(func(t *testing.T, given, family, dob, age, school, needs string) {
		n := people.ChildFromForm(url.Values{"given_name": {given}, "family_name": {family}, "date_of_birth": {dob}, "estimated_age": {age}, "school": {school}, "needs": {needs}})
		c, err := w.svc.CreateChild(ctx, w.outreach, mother.ID, n)
		if err != nil {
			if len(errs.AllFields(err)) == 0 {
				t.Fatalf("create child: error without a field: %v", err)
			}
			return
		}
		got, err := w.svc.OpenChild(ctx, w.outreach, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.GivenName != strings.TrimSpace(given) || got.FamilyName != strings.TrimSpace(family) || got.Details.School != strings.TrimSpace(school) ||
			got.Details.Needs != strings.TrimSpace(needs) {
			t.Fatalf("stored %q %q %q %q, read back %+v", given, family, school, needs, got)
		}
		if got.Details.EstimatedAge < 0 || got.Details.EstimatedAge > people.MaxChildAge {
			t.Fatalf("accepted age %q as %d", age, got.Details.EstimatedAge)
		}
		back := people.ChildFormValues(people.NewChild{GivenName: got.GivenName, FamilyName: got.FamilyName, Details: got.Details})
		if again := people.ChildFromForm(formOf(back)); again.Details != got.Details {
			t.Fatalf("the edit form does not round-trip: %+v != %+v", again.Details, got.Details)
		}
	})
}

// Whatever the perpetrator form carries: a record that reads back as
// typed, or field errors.
func FuzzPerpetratorForm(f *testing.F) {
	w := newWorld(f, store.SQLite)
	client, err := w.svc.Create(ctx, w.outreach, people.NewClient{GivenName: "Grace", FamilyName: "Okafor"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Darren", "Pike", "ex_partner", "Daz\nD", "30/06/1984", "", "07700 900999", "blue van")
	f.Add("", "", "", "", "", "", "", "")
	f.Add("", "Pike", "partner", "\n\n", "", "40", "", "")
	f.Add("\x00", "P", "enemy", "a", "1984-02-30", "-3", "12", "\xff")
	f.Fuzz(func(t *testing.T, given, family, rel, aliases, dob, age, phone, vehicle string) {
		n := people.PerpetratorFromForm(url.Values{"given_name": {given}, "family_name": {family}, "relationship": {rel}, "aliases": {aliases},
			"date_of_birth": {dob}, "estimated_age": {age}, "phone": {phone}, "vehicle": {vehicle}})
		p, err := w.svc.CreatePerpetrator(ctx, w.outreach, client.ID, n)
		if err != nil {
			if len(errs.AllFields(err)) == 0 {
				t.Fatalf("create perpetrator: error without a field: %v", err)
			}
			return
		}
		got, err := w.svc.OpenPerpetrator(ctx, w.outreach, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.GivenName != strings.TrimSpace(given) || got.FamilyName != strings.TrimSpace(family) || got.Details.Vehicle != strings.TrimSpace(vehicle) ||
			got.GivenName+got.FamilyName == "" || len(got.Clients) != 1 || got.Clients[0].Relationship != strings.TrimSpace(rel) {
			t.Fatalf("stored %q %q %q, read back %+v", given, family, vehicle, got)
		}
		for _, a := range got.Details.Aliases {
			if a == "" || a != strings.TrimSpace(a) || strings.Contains(a, "\n") {
				t.Fatalf("alias stored untrimmed: %q", a)
			}
		}
	})
}

func formOf(m map[string]string) url.Values {
	v := url.Values{}
	for k, x := range m {
		v.Set(k, x)
	}
	return v
}
