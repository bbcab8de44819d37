package people_test

import (
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
