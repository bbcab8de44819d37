package outreach_test

import (
	"slices"
	"testing"
	"time"

	"frontdoor/internal/outreach"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// An action's due date and a booking's start are held to sensible ranges
// (the pages and the API alike): an action due 9999-12-31, or six years
// ago, is refused naming the field, on its own and agreed at a session; a
// first session more than 366 days ahead is refused. Nothing is written;
// dates just inside the ranges are taken.
func TestDatesWithinRange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.client(t, "Amina", people.Unsafe)
		pid, err := w.svc.StartPlan(ctx, w.worker, c)
		if err != nil {
			t.Fatal(err)
		}
		nid, err := w.svc.AddNeed(ctx, w.worker, pid, outreach.NewNeed{Area: outreach.Safety, Need: "n", Goals: "g"})
		if err != nil {
			t.Fatal(err)
		}
		today := w.now().Truncate(24 * time.Hour)
		for _, due := range []time.Time{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), today.AddDate(-6, 0, 0), today.AddDate(outreach.MaxDueYears, 0, 1)} {
			_, err := w.svc.AddAction(ctx, w.worker, outreach.NewAction{NeedID: nid, Text: "Call back", Due: due})
			if got := fieldNames(t, err); !slices.Equal(got, []string{"due"}) {
				t.Fatalf("due %s: %v", due.Format(time.DateOnly), got)
			}
		}
		start := today.Add(10 * time.Hour)
		sid, err := w.svc.Book(ctx, w.worker, outreach.NewSessions{ClientID: c, Kind: outreach.Office, Start: start, Duration: time.Hour, Weeks: 1, Reminder: outreach.NoReminder})
		if err != nil {
			t.Fatal(err)
		}
		s, err := w.svc.OpenSession(ctx, w.worker, sid[0])
		if err != nil {
			t.Fatal(err)
		}
		err = w.svc.RecordSession(ctx, w.worker, sid[0], s.Version, outreach.SessionRecord{Status: outreach.Held, Discussed: "d",
			Actions: []outreach.NewAction{{NeedID: nid, Text: "Call back", Due: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}}})
		if got := fieldNames(t, err); !slices.Equal(got, []string{"action_due"}) {
			t.Fatalf("action agreed at a session due 9999-12-31: %v", got)
		}
		for _, far := range []time.Time{time.Date(9999, 12, 25, 10, 0, 0, 0, time.UTC), w.now().AddDate(0, 0, outreach.MaxBookAheadDays+1)} {
			_, err := w.svc.Book(ctx, w.worker, outreach.NewSessions{ClientID: c, Kind: outreach.Office, Start: far, Duration: time.Hour, Weeks: 2, Reminder: outreach.NoReminder})
			if got := fieldNames(t, err); !slices.Equal(got, []string{"start"}) {
				t.Fatalf("start %s: %v", far, got)
			}
		}
		if n := w.count(t, `SELECT count(*) FROM outreach_actions`) + w.count(t, `SELECT count(*) FROM outreach_sessions WHERE status <> 'booked'`); n != 0 {
			t.Fatalf("%d actions or recorded sessions written by refused input", n)
		}
		if n := w.count(t, `SELECT count(*) FROM outreach_sessions`); n != 1 {
			t.Fatalf("%d sessions, want the one booked", n)
		}
		// Just inside the ranges.
		for _, due := range []time.Time{today.AddDate(-outreach.MaxDueYears, 0, 0), today.AddDate(outreach.MaxDueYears, 0, 0)} {
			if _, err := w.svc.AddAction(ctx, w.worker, outreach.NewAction{NeedID: nid, Text: "Call back", Due: due}); err != nil {
				t.Fatalf("due %s: %v", due.Format(time.DateOnly), err)
			}
		}
		if _, err := w.svc.Book(ctx, w.worker, outreach.NewSessions{ClientID: c, Kind: outreach.Office, Start: w.now().AddDate(0, 0, outreach.MaxBookAheadDays),
			Duration: time.Hour, Weeks: 1, Reminder: outreach.NoReminder}); err != nil {
			t.Fatal(err)
		}
	})
}
