package refuge_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/errs"
	"frontdoor/internal/refuge"
)

func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{
		"adults=1&child_age=14&child_boy=1&child_age=6&child_boy=0&service=women&area=Ashby",
		"adults=x&child_age=-1&language=%00",
		"client=0190f2a0-0000-7000-8000-0000000000a1&nrpf=on&pets=true&wheelchair=1",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		h, err := refuge.ParseSearch(v)
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid || len(errs.AllFields(err)) == 0 {
				t.Fatalf("error not a field error: %v", err)
			}
			return
		}
		if h.Adults < 1 || h.Adults > 4 || len(h.Children) > 20 {
			t.Fatalf("accepted %+v", h)
		}
		for _, c := range h.Children {
			if c.Age < 0 || c.Age > 17 {
				t.Fatalf("accepted child %+v", c)
			}
		}
		if h.Service != "" && h.Service != refuge.Women && h.Service != refuge.Men {
			t.Fatalf("accepted service %q", h.Service)
		}
	})
}

func TestParseSearch(t *testing.T) {
	v, _ := url.ParseQuery("adults=1&child_age=14&child_boy=on&child_age=6&child_boy=&service=women&language=Polish&nrpf=on")
	h, err := refuge.ParseSearch(v)
	if err != nil || h.Adults != 1 || len(h.Children) != 2 || !h.Children[0].Boy || h.Children[1].Boy || h.Children[0].Age != 14 || !h.NRPF || h.Language != "Polish" {
		t.Fatalf("%+v %v", h, err)
	}
	v, _ = url.ParseQuery("adults=none&child_age=x&service=other")
	_, err = refuge.ParseSearch(v)
	if got := errs.AllFields(err); len(got) != 3 {
		t.Fatalf("fields %v", err)
	}
}

// The stay page's children's task and move-on form parsers never panic;
// a date they cannot read is always a field error, never a silent zero;
// what they accept is what the service may be asked.
func FuzzMoveOnForms(f *testing.F) {
	f.Add("0190f2a0-0000-7000-8000-0000000000a1", "done", "Kingsmead Primary", "social_housing", "2026-03-01", "0", "Ashby DC", "offer_made", "Band B")
	f.Add("not-an-id", "open", "a\x00b", "castle", "soon", "-1", "", "applied", "")
	f.Add("", "", "", "", "2026-02-30", "x", " ", "", "\u202e")
	f.Add(" ", "not_needed", "\r\n", "unknown", " 2026-01-01 ", "99999999999999999999", "\t", "housed", "1")
	f.Fuzz(func(t *testing.T, id, status, note, goal, date, version, provider, kind, band string) {
		v := url.Values{"task": {id}, "application": {id}, "status": {status}, "note": {note}, "goal": {goal}, "target_date": {date},
			"notes": {note}, "version": {version}, "provider": {provider}, "applied_on": {date}, "reference": {note}, "band": {band},
			"kind": {kind}, "event_date": {date}, "event_band": {band}, "detail": {note}}
		check := func(what string, fe refuge.FieldErrors, read time.Time) {
			t.Helper()
			for _, e := range fe {
				if e.Field == "" || errs.CodeOf(e) != errs.Invalid {
					t.Fatalf("%s: %v is not a field error", what, e)
				}
			}
			if strings.TrimSpace(date) != "" && read.IsZero() && len(fe) == 0 {
				t.Fatalf("%s: date %q neither read nor refused", what, date)
			}
		}
		taskID, st, gotNote, fe := refuge.ParseTaskClosing(v.Get)
		if len(fe) == 0 && (taskID == "" || (st != refuge.TaskDone && st != refuge.TaskNotNeeded) || gotNote != note) {
			t.Fatalf("accepted task %q %q", taskID, st)
		}
		p, ver, fe := refuge.ParsePlan(v.Get)
		check("plan", fe, p.TargetDate)
		if len(fe) == 0 && ver < 0 {
			t.Fatalf("accepted version %d", ver)
		}
		a, fe := refuge.ParseHousingApplication(v.Get)
		check("application", fe, a.AppliedOn)
		app, e, fe := refuge.ParseHousingEvent(v.Get)
		check("event", fe, e.Date)
		if len(fe) == 0 && app == "" {
			t.Fatal("an event for no application")
		}
	})
}
