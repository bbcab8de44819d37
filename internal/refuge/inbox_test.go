package refuge_test

import (
	"testing"
	"time"

	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

func TestInbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		w.svc.HoldFor = time.Hour
		a, b, c, e := w.mother(t, "Amina"), w.mother(t, "Beth"), w.mother(t, "Carys"), w.mother(t, "Dana")
		p := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", criteria(), 3, 3, 3)
		other := refuge.NewProperty{TeamID: "refuge-b", Name: "Birch House", Kind: refuge.Satellite, Town: "Beckton", Area: "Riverside",
			Address: "9 Hidden Lane", Accepts: criteria(), Units: []refuge.NewUnit{{Name: "Flat 1", Bedspaces: 3}}}
		if err := w.svc.ImportProperties(ctx, []refuge.NewProperty{other}); err != nil {
			t.Fatal(err)
		}
		board, err := w.svc.Board(ctx, w.workerB)
		if err != nil || len(board) != 1 {
			t.Fatalf("board of refuge B %+v %v", board, err)
		}
		hold := func(client, unit string) *refuge.Referral {
			t.Helper()
			r, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: unit, Household: family(client)})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		lapsed := hold(a, p.Units[0].ID)
		declined := hold(b, p.Units[1].ID)
		if err := w.svc.Decline(ctx, w.workerA, declined.ID, refuge.Decline{By: refuge.ByRefuge, Reason: refuge.NeedsNotMet}); err != nil {
			t.Fatal(err)
		}
		w.advance(time.Hour + time.Minute) // the first hold lapses, unswept
		live := hold(c, p.Units[2].ID)
		theirs := hold(e, board[0].Units[0].ID)

		got, err := w.svc.Inbox(ctx, w.workerA)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, it := range got {
			ids = append(ids, it.ReferralID)
		}
		want := []string{live.ID, lapsed.ID, declined.ID}
		if len(ids) != 3 || ids[0] != want[0] || ids[1] != want[1] || ids[2] != want[2] {
			t.Fatalf("inbox of refuge A %v, want live first then newest ended %v", ids, want)
		}
		if it := got[0]; it.Status != refuge.Held || it.Adults != 1 || it.Children != 2 || it.PropertyName != "Rowan House" || it.UnitName != "Room 3" || !it.HeldUntil.Equal(w.now().Add(time.Hour)) {
			t.Errorf("live item %+v", it)
		}
		if it := got[1]; it.Status != refuge.Expired || it.Live() || it.Reason != refuge.OtherReason {
			t.Errorf("lapsed hold shows %+v, want expired", it)
		}
		if it := got[2]; it.Status != refuge.Declined || it.Reason != refuge.NeedsNotMet {
			t.Errorf("declined item %+v", it)
		}
		// The manager of the team sees the same; refuge B only its own.
		if m, err := w.svc.Inbox(ctx, w.managerA); err != nil || len(m) != 3 {
			t.Fatalf("manager's inbox %+v %v", m, err)
		}
		if bs, err := w.svc.Inbox(ctx, w.workerB); err != nil || len(bs) != 1 || bs[0].ReferralID != theirs.ID {
			t.Fatalf("refuge B's inbox %+v %v", bs, err)
		}
		// People who run no property have an empty inbox, whatever they referred.
		for _, who := range []struct {
			name  string
			items func() ([]refuge.InboxItem, error)
		}{
			{"front door", func() ([]refuge.InboxItem, error) { return w.svc.Inbox(ctx, w.frontdoor) }},
			{"outreach", func() ([]refuge.InboxItem, error) { return w.svc.Inbox(ctx, w.outreach) }},
			{"administrator", func() ([]refuge.InboxItem, error) { return w.svc.Inbox(ctx, w.admin) }},
			{"commissioner", func() ([]refuge.InboxItem, error) { return w.svc.Inbox(ctx, w.commissioner) }},
		} {
			if items, err := who.items(); err != nil || len(items) != 0 {
				t.Errorf("%s's inbox %+v %v, want empty", who.name, items, err)
			}
		}
		// Past the window, referrals that ended drop out: the decline does;
		// the holds the sweep has just expired stay for the window.
		w.advance(refuge.InboxWindow)
		if n, err := w.svc.ReleaseExpired(ctx); err != nil || n != 3 { // two of refuge A, one of B
			t.Fatalf("sweep %d %v", n, err)
		}
		got, err = w.svc.Inbox(ctx, w.workerA)
		if err != nil || len(got) != 2 || got[0].Status != refuge.Expired || got[1].Status != refuge.Expired {
			t.Fatalf("inbox after the window %+v %v", got, err)
		}
	})
}
