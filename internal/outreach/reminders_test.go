package outreach_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"frontdoor/internal/errs"
	"frontdoor/internal/outreach"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

type fakeTexter struct {
	mu   sync.Mutex
	sent []string // "to|message"
	fail atomic.Int32
}

func (f *fakeTexter) Text(_ context.Context, to, msg string) error {
	if f.fail.Add(-1) >= 0 {
		return context.DeadlineExceeded
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, to+"|"+msg)
	return nil
}

// Text reminders go to the safe number within the lead time, once however
// many nodes run the job, never when the client's rules no longer mark
// texts safe, never for a session reminded by another channel, and name no
// service. The channel is not in clear: a copy of the database shows only
// which sessions still have a reminder to look at.
func TestTextReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		texts := &fakeTexter{}
		w.svc.Texts, w.svc.Zone = texts, time.UTC
		safe := w.client(t, "Amina", people.Safe)
		changed := w.client(t, "Beth", people.Safe)
		byPost := w.client(t, "Carol", people.Unsafe)
		c, err := w.people.Open(ctx, w.worker, byPost)
		if err != nil {
			t.Fatal(err)
		}
		c.Details.SafeContact.Email, c.Details.SafeContact.Post = people.Safe, people.Safe
		if _, err := w.people.Update(ctx, w.worker, byPost, c.Version, people.NewClient{GivenName: c.GivenName, FamilyName: c.FamilyName, TeamID: "outreach-a", Details: c.Details}); err != nil {
			t.Fatal(err)
		}
		book := func(client string, in time.Duration, r outreach.Reminder) string {
			t.Helper()
			ids, err := w.svc.Book(ctx, w.worker, outreach.NewSessions{ClientID: client, Kind: outreach.Office, Start: w.now().Add(in), Duration: time.Hour, Weeks: 1, Reminder: r})
			if err != nil {
				t.Fatal(err)
			}
			return ids[0]
		}
		soon := book(safe, 20*time.Hour, outreach.ByText)
		book(safe, 3*24*time.Hour, outreach.ByText) // too far ahead yet
		book(safe, 10*time.Hour, outreach.NoReminder)
		unsafeNow := book(changed, 5*time.Hour, outreach.ByText)
		cancelled := book(safe, 6*time.Hour, outreach.ByText)
		if err := w.svc.RecordSession(ctx, w.worker, cancelled, 1, outreach.SessionRecord{Status: outreach.Cancelled}); err != nil {
			t.Fatal(err)
		}
		// Carol's texts are not safe: her reminders go by email and post,
		// which are the worker's to send.
		emailed, posted := book(byPost, 4*time.Hour, outreach.ByEmail), book(byPost, 7*time.Hour, outreach.ByPost)
		if _, err := w.svc.Book(ctx, w.worker, outreach.NewSessions{ClientID: byPost, Kind: outreach.Office, Start: w.now().Add(8 * time.Hour), Duration: time.Hour,
			Weeks: 1, Reminder: outreach.ByText}); errs.AllFields(err) == nil {
			t.Fatalf("a text reminder booked for a client whose texts are not safe: %v", err)
		}
		// What a copy of the database shows: five sessions with a reminder
		// to look at, and no channel.
		if n := w.count(t, `SELECT count(*) FROM outreach_sessions WHERE remind`); n != 5 {
			t.Errorf("%d sessions with a reminder to look at, want 5 (one has none, one was cancelled)", n)
		}
		// Beth's texts stop being safe after the booking.
		c, err = w.people.Open(ctx, w.worker, changed)
		if err != nil {
			t.Fatal(err)
		}
		c.Details.SafeContact.Text = people.Unsafe
		if _, err := w.people.Update(ctx, w.worker, changed, c.Version, people.NewClient{GivenName: c.GivenName, FamilyName: c.FamilyName, TeamID: "outreach-a", Details: c.Details}); err != nil {
			t.Fatal(err)
		}

		// The gateway fails once: retried after the backoff.
		texts.fail.Store(1)
		if n, err := w.svc.SendReminders(ctx); err != nil || n != 0 {
			t.Fatalf("first run against a failing gateway: %d %v", n, err)
		}
		w.advance(2 * time.Minute)
		var wg sync.WaitGroup
		var sent atomic.Int32
		for range 3 {
			wg.Go(func() {
				n, err := w.svc.SendReminders(ctx)
				if err != nil {
					t.Error(err)
				}
				sent.Add(int32(n))
			})
		}
		wg.Wait()
		texts.mu.Lock()
		got := append([]string(nil), texts.sent...)
		texts.mu.Unlock()
		if sent.Load() != 1 || len(got) != 1 {
			t.Fatalf("sent %d, gateway got %v: want exactly Amina's soon reminder", sent.Load(), got)
		}
		want := "07700 900123|" + outreach.ReminderText(w.now().Add(20*time.Hour-2*time.Minute).UTC())
		if got[0] != want {
			t.Errorf("text %q, want %q", got[0], want)
		}
		for _, word := range []string{"outreach", "abuse", "Amina", "Staff", "refuge", "support"} {
			if strings.Contains(strings.ToLower(got[0]), strings.ToLower(word)) {
				t.Errorf("the reminder says %q", word)
			}
		}
		state := func(id string) (outreach.Reminder, string) {
			s, err := w.svc.OpenSession(ctx, w.worker, id)
			if err != nil {
				t.Fatal(err)
			}
			return s.Reminder, s.ReminderState
		}
		for _, want := range []struct {
			id, name string
			channel  outreach.Reminder
			state    string
		}{
			{soon, "soon", outreach.ByText, "sent"}, {unsafeNow, "unsafe", outreach.ByText, "skipped_unsafe"}, {cancelled, "cancelled", outreach.ByText, ""},
			{emailed, "by email", outreach.ByEmail, ""}, {posted, "by post", outreach.ByPost, ""},
		} {
			if ch, st := state(want.id); ch != want.channel || st != want.state {
				t.Errorf("%s: reminder %q, state %q; want %q, %q", want.name, ch, st, want.channel, want.state)
			}
		}
		// Every reminder due has been dealt with, whatever its channel; only
		// the far one is still to look at.
		if n := w.count(t, `SELECT count(*) FROM outreach_sessions WHERE remind`); n != 1 {
			t.Errorf("%d sessions still with a reminder to look at, want 1", n)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'outreach.reminder_skipped_unsafe' AND record_id = $1`, changed); n != 1 {
			t.Errorf("the skipped reminder audited %d times", n)
		}
		// Nothing more to send until the far session comes within the lead.
		if n, _ := w.svc.SendReminders(ctx); n != 0 {
			t.Fatalf("sent %d more", n)
		}
		w.advance(2 * 24 * time.Hour)
		if n, _ := w.svc.SendReminders(ctx); n != 1 {
			t.Fatalf("the later session's reminder: %d sent", n)
		}
	})
}
