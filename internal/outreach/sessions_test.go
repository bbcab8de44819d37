package outreach_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
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
	"frontdoor/internal/vault/vaulttest"
)

func TestSessionsDiary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		unsafe := w.client(t, "Amina", people.Unsafe)
		safe := w.client(t, "Beth", people.Safe)
		monday := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
		visit := outreach.NewSessions{ClientID: unsafe, Kind: outreach.HomeVisit, Start: monday.Add(10 * time.Hour), Duration: time.Hour, Weeks: 4, Reminder: outreach.NoReminder}

		// A text reminder to a client whose texts are not safe is refused.
		bad := visit
		bad.Reminder = outreach.ByText
		_, err := w.svc.Book(ctx, w.worker, bad)
		if got := fieldNames(t, err); !slices.Equal(got, []string{"reminder"}) {
			t.Fatalf("unsafe reminder: %v", got)
		}
		bad = outreach.NewSessions{ClientID: unsafe, Kind: "picnic", Duration: 12 * time.Hour, Weeks: 99, Reminder: "pigeon"}
		_, err = w.svc.Book(ctx, w.worker, bad)
		if got := fieldNames(t, err); !slices.Equal(got, []string{"kind", "start", "duration", "weeks", "reminder"}) {
			t.Fatalf("bad booking: %v", got)
		}
		if n := w.count(t, `SELECT count(*) FROM outreach_sessions`); n != 0 {
			t.Fatalf("%d sessions written by refused bookings", n)
		}
		weekly, err := w.svc.Book(ctx, w.worker, visit)
		if err != nil || len(weekly) != 4 {
			t.Fatalf("weekly %v %v", weekly, err)
		}
		if n := w.count(t, `SELECT count(DISTINCT series_id) FROM outreach_sessions`); n != 1 {
			t.Fatalf("%d series for one weekly booking", n)
		}
		office, err := w.svc.Book(ctx, w.worker, outreach.NewSessions{ClientID: safe, Kind: outreach.Office, Start: monday.Add(34 * time.Hour), Duration: 30 * time.Minute, Weeks: 1, Reminder: outreach.ByText})
		if err != nil {
			t.Fatal(err)
		}
		// A colleague may be booked; a worker of another team may not.
		if _, err := w.svc.Book(ctx, w.worker, outreach.NewSessions{ClientID: safe, WorkerID: w.colleague.StaffID, Kind: outreach.Phone, Start: monday.Add(12 * time.Hour), Duration: time.Hour, Weeks: 1, Reminder: outreach.NoReminder}); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.Book(ctx, w.worker, outreach.NewSessions{ClientID: safe, WorkerID: w.other.StaffID, Kind: outreach.Phone, Start: monday.Add(12 * time.Hour), Duration: time.Hour, Weeks: 1, Reminder: outreach.NoReminder})
		if got := fieldNames(t, err); !slices.Equal(got, []string{"worker"}) {
			t.Fatalf("booking a worker who cannot work the client: %v", got)
		}
		_, err = w.svc.Book(ctx, w.other, visit)
		code(t, err, errs.Forbidden)

		week, err := w.svc.Week(ctx, w.worker, "", monday)
		if err != nil || len(week) != 2 || week[0].ID != weekly[0] || week[0].ClientName != "Amina Testperson" || week[1].ID != office[0] || week[1].ReminderUnsafe {
			t.Fatalf("week %+v %v", week, err)
		}
		if next, err := w.svc.Week(ctx, w.worker, "", monday.AddDate(0, 0, 7)); err != nil || len(next) != 1 || next[0].ID != weekly[1] {
			t.Fatalf("next week %+v %v", next, err)
		}
		if mw, err := w.svc.Week(ctx, w.manager, w.worker.StaffID, monday); err != nil || len(mw) != 2 {
			t.Fatalf("manager's view of the week %+v %v", mw, err)
		}
		for _, who := range []struct {
			name string
			err  error
		}{
			{"colleague", func() error { _, err := w.svc.Week(ctx, w.colleague, w.worker.StaffID, monday); return err }()},
			{"other team's manager", func() error { _, err := w.svc.Week(ctx, w.otherManager, w.worker.StaffID, monday); return err }()},
		} {
			if errs.CodeOf(who.err) != errs.Forbidden {
				t.Errorf("%s reads the worker's diary: %v", who.name, who.err)
			}
		}

		// The client's rules change after booking: the diary says the text
		// reminder is no longer safe.
		c, err := w.people.Open(ctx, w.worker, safe)
		if err != nil {
			t.Fatal(err)
		}
		c.Details.SafeContact.Text = people.Unsafe
		if _, err := w.people.Update(ctx, w.worker, safe, c.Version, people.NewClient{GivenName: c.GivenName, FamilyName: c.FamilyName, TeamID: "outreach-a", Details: c.Details}); err != nil {
			t.Fatal(err)
		}
		if week, _ := w.svc.Week(ctx, w.worker, "", monday); len(week) != 2 || !week[1].ReminderUnsafe {
			t.Fatalf("reminder not flagged unsafe after the rules changed: %+v", week)
		}

		// Recording: held with what was discussed and an agreed action.
		pid, err := w.svc.StartPlan(ctx, w.worker, unsafe)
		if err != nil {
			t.Fatal(err)
		}
		need, err := w.svc.AddNeed(ctx, w.worker, pid, outreach.NewNeed{Area: outreach.Housing, Need: "Rent arrears", Goals: "Keep the tenancy"})
		if err != nil {
			t.Fatal(err)
		}
		s0, err := w.svc.OpenSession(ctx, w.worker, weekly[0])
		if err != nil {
			t.Fatal(err)
		}
		err = w.svc.RecordSession(ctx, w.worker, weekly[0], s0.Version, outreach.SessionRecord{Status: outreach.Missed, Actions: []outreach.NewAction{{NeedID: need, Text: "x", Due: monday}}})
		if got := fieldNames(t, err); !slices.Equal(got, []string{"action_text"}) {
			t.Fatalf("actions on a missed session: %v", got)
		}
		err = w.svc.RecordSession(ctx, w.worker, weekly[0], s0.Version, outreach.SessionRecord{Status: outreach.Held, Discussed: "Talked through the arrears letter",
			Actions: []outreach.NewAction{{NeedID: need, Text: "Call the housing officer", OwnerID: w.worker.StaffID, Due: monday.AddDate(0, 0, 3)}}})
		if err != nil {
			t.Fatal(err)
		}
		code(t, w.svc.RecordSession(ctx, w.worker, weekly[0], s0.Version+1, outreach.SessionRecord{Status: outreach.Cancelled}), errs.Conflict)
		s0, err = w.svc.OpenSession(ctx, w.manager, weekly[0])
		if err != nil || s0.Status != outreach.Held || s0.Discussed != "Talked through the arrears letter" || s0.CheckedInAt.IsZero() {
			t.Fatalf("recorded session %+v %v", s0, err)
		}
		p, err := w.svc.Plan(ctx, w.worker, unsafe)
		if err != nil || len(p.Needs) != 1 || len(p.Needs[0].Actions) != 1 || p.Needs[0].Actions[0].SessionID != weekly[0] {
			t.Fatalf("agreed action not on the plan %+v %v", p, err)
		}
		// Another team of the organisation is refused the session, as it is
		// the client's record (it may break glass on that).
		if _, err := w.svc.OpenSession(ctx, w.other, weekly[0]); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("another team opens the session: %v", err)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "arrears letter", "housing officer")
	})
}

// hook is a webhook receiver that fails its first `fail` calls.
type hook struct {
	srv    *httptest.Server
	fail   atomic.Int32
	mu     sync.Mutex
	bodies []string
	sigs   []string
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if h.fail.Add(-1) >= 0 {
			rw.WriteHeader(http.StatusBadGateway)
			return
		}
		h.mu.Lock()
		h.bodies = append(h.bodies, string(b))
		h.sigs = append(h.sigs, r.Header.Get("X-Frontdoor-Signature"))
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.bodies)
}

func TestLoneWorkingEscalation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		h := newHook(t)
		h.fail.Store(1)
		w.svc.Channels = []outreach.Channel{&outreach.Webhook{URL: h.srv.URL, Secret: "shared-secret"}}
		c := w.client(t, "Amina", people.Safe)
		start := w.now().Add(time.Hour)
		book := func(at time.Time) string {
			t.Helper()
			ids, err := w.svc.Book(ctx, w.worker, outreach.NewSessions{ClientID: c, Kind: outreach.HomeVisit, Start: at, Duration: time.Hour, Weeks: 1, Reminder: outreach.NoReminder})
			if err != nil {
				t.Fatal(err)
			}
			return ids[0]
		}
		missed, checked := book(start), book(start)
		// A colleague who works the client is refused; only the worker checks in.
		code(t, w.svc.CheckIn(ctx, w.colleague, checked), errs.Forbidden)
		// Not before the visit: that would silence its alarm.
		code(t, w.svc.CheckIn(ctx, w.worker, checked), errs.Conflict)
		w.advance(90 * time.Minute)
		if err := w.svc.CheckIn(ctx, w.worker, checked); err != nil {
			t.Fatal(err)
		}

		// Not before the end plus the grace.
		w.advance(30*time.Minute + outreach.DefaultCheckInGrace - time.Minute)
		if n, err := w.svc.Escalate(ctx); err != nil || n != 0 {
			t.Fatalf("escalated early: %d %v", n, err)
		}
		w.advance(2 * time.Minute)
		// Two nodes run the job at once: one escalation.
		var wg sync.WaitGroup
		var raised atomic.Int32
		for range 4 {
			wg.Go(func() {
				n, err := w.svc.Escalate(ctx)
				if err != nil && errs.CodeOf(err) != errs.Conflict {
					t.Error(err)
				}
				raised.Add(int32(n))
			})
		}
		wg.Wait()
		if raised.Load() != 1 || w.count(t, `SELECT count(*) FROM outreach_escalations`) != 1 {
			t.Fatalf("raised %d escalations, want 1 (the visit checked in raises none)", raised.Load())
		}

		list, err := w.svc.Escalations(ctx, w.manager)
		if err != nil || len(list) != 1 {
			t.Fatalf("duty manager's escalations %+v %v", list, err)
		}
		e := list[0]
		if e.SessionID != missed || e.WorkerName != "Staff out.worker" || e.ClientName != "Amina Testperson" || !e.Open() || e.Notices["webhook"] != "pending" || e.VisitAddress != "5 Secret Lane" {
			t.Fatalf("escalation %+v", e)
		}
		if l, err := w.svc.Escalations(ctx, w.otherManager); err != nil || len(l) != 0 {
			t.Fatalf("another team's manager sees %+v %v", l, err)
		}
		_, err = w.svc.Escalations(ctx, w.colleague)
		code(t, err, errs.Forbidden)

		// The gateway fails once; the notice is retried after a backoff.
		if n, err := w.svc.Deliver(ctx); err != nil || n != 0 {
			t.Fatalf("deliver against a failing gateway: %d %v", n, err)
		}
		if n, _ := w.svc.Deliver(ctx); n != 0 {
			t.Fatal("retried before the backoff")
		}
		w.advance(2 * time.Minute)
		var sent atomic.Int32
		for range 3 {
			wg.Go(func() {
				n, err := w.svc.Deliver(ctx)
				if err != nil && errs.CodeOf(err) != errs.Conflict {
					t.Error(err)
				}
				sent.Add(int32(n))
			})
		}
		wg.Wait()
		got := h.received()
		if sent.Load() != 1 || len(got) != 1 {
			t.Fatalf("sent %d, gateway received %d, want exactly one", sent.Load(), len(got))
		}
		var body outreach.WebhookBody
		if err := json.Unmarshal([]byte(got[0]), &body); err != nil || body.EscalationID != e.ID || body.Event != "lone_working.overdue" ||
			!strings.HasPrefix(body.Link, "https://frontdoor.example/") {
			t.Fatalf("webhook body %s %v", got[0], err)
		}
		mac := hmac.New(sha256.New, []byte("shared-secret"))
		mac.Write([]byte(got[0]))
		if h.sigs[0] != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			t.Error("webhook signature does not verify")
		}
		for _, personal := range []string{"Amina", "Testperson", "Secret Lane", "07700", "out.worker"} {
			if strings.Contains(got[0], personal) {
				t.Errorf("webhook body carries %q", personal)
			}
		}

		// The duty manager responds, once; nobody else may.
		code(t, w.svc.Respond(ctx, w.otherManager, e.ID, "Called her"), errs.NotFound)
		if got := fieldNames(t, w.svc.Respond(ctx, w.manager, e.ID, " ")); !slices.Equal(got, []string{"response"}) {
			t.Fatalf("empty response: %v", got)
		}
		if err := w.svc.Respond(ctx, w.manager, e.ID, "Rang the worker, she is safe; phone battery died"); err != nil {
			t.Fatal(err)
		}
		code(t, w.svc.Respond(ctx, w.manager, e.ID, "again"), errs.Conflict)
		list, _ = w.svc.Escalations(ctx, w.manager)
		if len(list) != 1 || list[0].Open() || list[0].RespondedByName != "Staff out.manager" || list[0].Notices["webhook"] != "sent" || list[0].VisitAddress != "" {
			t.Fatalf("answered escalation %+v", list)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action IN ('outreach.escalation_raised', 'outreach.escalation_response') AND record_id = $1`, missed); n != 2 {
			t.Errorf("escalation audited %d times, want raised and response", n)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "battery died")

		// Visits long past (a restored backup, lone working newly on) are
		// not escalated.
		book(w.now().Add(time.Minute))
		w.advance(3 * 24 * time.Hour)
		if n, err := w.svc.Escalate(ctx); err != nil || n != 0 {
			t.Fatalf("escalated a visit days old: %d %v", n, err)
		}
	})
}
