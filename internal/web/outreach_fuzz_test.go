package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/id"
	"frontdoor/internal/outreach"
)

// The outreach form parsers never panic; whatever they cannot read is a
// field error against its input, and is sent on as a value the service
// refuses (so nothing is ever saved from a form that did not parse);
// what they do read is within bounds.
func FuzzOutreachForms(f *testing.F) {
	const need = "0190f2a0-0000-7000-8000-00000000beef"
	f.Add("2026-12-07", "10:30", "60", "4", "3", "me", need, "Call the housing officer", "2026-12-10", "2026-12-07", need)
	f.Add("soon", "25:99", "x", "99", "two", "boss", "not-an-id", "", "tomorrow", "last week", "nobody")
	f.Add(" ", " ", "-5", "-1", "-1", "client", "", " \t", " ", "", "")
	f.Add("2026-02-30", "10:00", "99999999999999999999", "1e3", "9", "", need, "a\x00b", "2026-13-01", "2026-02-29", need+"0")
	f.Fuzz(func(t *testing.T, date, clock, minutes, weeks, score, owner, needID, text, due, start, worker string) {
		v := url.Values{"date": {date}, "time": {clock}, "minutes": {minutes}, "weeks": {weeks}, "kind": {"home_visit"}, "reminder": {"none"},
			"score_safety": {score}, "score_money": {""}, "feels_safer": {score}, "stage": {"start"}, "abuse_stopped": {"no"},
			"owner": {owner}, "text": {text}, "due": {due}, "status": {"held"}, "discussed": {text},
			"action_1_need": {needID}, "action_1_text": {text}, "action_1_owner": {owner}, "action_1_due": {due},
			"action_3_text": {text}, "start": {start}, "worker": {worker}}
		const me = "0190f2a0-0000-7000-8000-0000000000aa"

		b, fe := outreachBookingForm(v.Get, time.UTC)
		for _, e := range fe {
			switch e.Field {
			case "date", "time":
				if !b.Start.IsZero() {
					t.Fatalf("%s %q refused but a start was read", e.Field, v.Get(e.Field))
				}
			case "minutes":
				if b.Duration != 0 {
					t.Fatalf("minutes %q refused but read as %v", minutes, b.Duration)
				}
			case "weeks":
				if b.Weeks != 0 {
					t.Fatalf("weeks %q refused but read as %d", weeks, b.Weeks)
				}
			default:
				t.Fatalf("a parse error against %q, which the booking form does not have", e.Field)
			}
		}
		if b.Duration < 0 || b.Duration > 24*time.Hour || b.Weeks < 0 {
			t.Fatalf("out of bounds: %v, %d weeks", b.Duration, b.Weeks)
		}
		if b.startField != "date" && b.startField != "time" {
			t.Fatalf("start errors go to %q", b.startField)
		}

		o, fe := outreachOutcomeForm(v.Get)
		for _, e := range fe {
			if e.Field == "feels_safer" && o.FeelsSafer >= outreach.ScaleMin {
				t.Fatalf("feels safer %q refused but read as %d", score, o.FeelsSafer)
			}
			if a, ok := strings.CutPrefix(e.Field, "score_"); ok && o.Scores[outreach.Area(a)] >= outreach.ScaleMin {
				t.Fatalf("score %q refused but read", score)
			}
		}
		if _, ok := o.Scores[outreach.Money]; ok {
			t.Fatal("an empty score was sent on")
		}

		a, fe := outreachActionForm(v.Get, need, me)
		if a.OwnerID != "" && a.OwnerID != me {
			t.Fatalf("owner %q read as %q", owner, a.OwnerID)
		}
		if strings.TrimSpace(due) != "" && a.Due.IsZero() && len(fe) == 0 {
			t.Fatalf("due %q neither read nor refused", due)
		}

		rec, fe := outreachRecordForm(v.Get, me)
		if len(rec.Actions) > agreedRows {
			t.Fatalf("%d agreed actions", len(rec.Actions))
		}
		for _, e := range fe {
			if !strings.HasPrefix(e.Field, "action_1_") && !strings.HasPrefix(e.Field, "action_3_") {
				t.Fatalf("a row error against %q", e.Field)
			}
		}
		if len(fe) == 0 {
			for _, a := range rec.Actions {
				if !id.Valid(a.NeedID) || a.Due.IsZero() || strings.TrimSpace(a.Text) == "" || (a.OwnerID != "" && a.OwnerID != me) {
					t.Fatalf("an unchecked action passed: %+v", a)
				}
			}
		}

		s, w, ok := outreachWeekQuery(v.Get, time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC), time.UTC)
		if ok && (s.IsZero() || (w != "" && !id.Valid(w))) {
			t.Fatalf("week query %q %q read as %v %q", start, worker, s, w)
		}
		if !ok && strings.TrimSpace(start) == "" && (strings.TrimSpace(worker) == "" || id.Valid(strings.TrimSpace(worker))) {
			t.Fatalf("a good week query %q %q refused", start, worker)
		}
		_ = outreachNeedForm(v.Get)
		_ = outreachNeedUpdateForm(v.Get)
	})
}
