package web

import (
	"testing"
	"time"

	"frontdoor/internal/errs"
)

func maracFormOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// maracCheckParseErrors: a form parser's errors are field errors naming only
// the fields it parses.
func maracCheckParseErrors(t *testing.T, fe errs.Fields, allowed ...string) {
	t.Helper()
	for _, e := range fe {
		ok := false
		for _, a := range allowed {
			ok = ok || e.Field == a
		}
		if !ok || e.Code != errs.Invalid || e.Key == "" {
			t.Fatalf("parse error %+v", e)
		}
	}
}

// Whatever the meeting form carries, the parser answers with a meeting or
// field errors about the date and time, never a panic; an accepted date
// is the day and time typed, in UTC.
func FuzzMeetingForm(f *testing.F) {
	f.Add("2026-03-14", "10:30", "North")
	f.Add("2026-03-14", "", "")
	f.Add("14/03/2026", "25:00", "x")
	f.Add("", "10:00", "South")
	f.Add("2026-02-30", "9:5", "\x00")
	f.Add(" 2026-03-14 ", " 23:59 ", "  East  ")
	f.Fuzz(func(t *testing.T, date, clock, area string) {
		n, fe := meetingForm(maracFormOf(map[string]string{"date": date, "time": clock, "area": area}))
		maracCheckParseErrors(t, fe, "date", "time")
		if n.Area != area {
			t.Fatalf("area %q, typed %q", n.Area, area)
		}
		if len(fe) > 0 && !n.Date.IsZero() {
			t.Fatalf("a date despite errors: %v", n.Date)
		}
		if n.Date.IsZero() {
			return
		}
		if n.Date.Location() != time.UTC {
			t.Fatalf("date not in UTC: %v", n.Date)
		}
		if day, _ := time.Parse(maracDateLayout, n.Date.Format(maracDateLayout)); !day.Equal(n.Date.Truncate(24 * time.Hour)) {
			t.Fatalf("date %v does not round-trip", n.Date)
		}
	})
}

// The action form: an owner and text as typed, a due date or a field
// error about it.
func FuzzActionForm(f *testing.F) {
	f.Add("0190f2a0-0000-7000-8000-000000000001", "2026-04-01", "Refer for sanctuary locks")
	f.Add("", "", "")
	f.Add(" x ", "2026-13-45", "\xff")
	f.Add("owner", "01/04/2026", "line one\nline two")
	f.Fuzz(func(t *testing.T, owner, due, text string) {
		n, fe := actionForm(maracFormOf(map[string]string{"owner": owner, "due": due, "text": text}))
		maracCheckParseErrors(t, fe, "due")
		if n.Text != text {
			t.Fatalf("text %q, typed %q", n.Text, text)
		}
		if len(fe) > 0 && !n.Due.IsZero() {
			t.Fatalf("a due date despite errors: %v", n.Due)
		}
		if !n.Due.IsZero() && n.Due.Format(maracDateLayout) == "" {
			t.Fatal("unformattable due date")
		}
	})
}

// Parse errors and the service's field errors come back together, the
// parser's first; a refusal wins over both.
func TestWithParseErrors(t *testing.T) {
	parse := errs.Fields{errs.Field("date", "marac.date_invalid")}
	service := errs.Fields{errs.Field("area", "risk.required"), errs.Field("date", "risk.required")}
	got := maracWithParseErrors(parse, service)
	if names := got.(errs.Fields).Names(); len(names) != 2 || names[0] != "date" || names[1] != "area" || got.(errs.Fields)[0].Key != "marac.date_invalid" {
		t.Fatalf("merged: %v", got)
	}
	refused := errs.New(errs.Forbidden, "error.forbidden")
	if maracWithParseErrors(parse, refused) != error(refused) {
		t.Fatal("a refusal did not win")
	}
	if maracWithParseErrors(nil, nil) != nil {
		t.Fatal("no errors became some")
	}
}
