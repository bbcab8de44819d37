package intake_test

import (
	"slices"
	"strings"
	"testing"

	"frontdoor/internal/errs"
	"frontdoor/internal/intake"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// keyOf is the key of the first field error on field.
func keyOf(err error, field string) string {
	for _, e := range errs.AllFields(err) {
		if e.Field == field {
			return e.Key
		}
	}
	return ""
}

// overrideEvents counts the contact.log audit events of a client whose
// purpose says the safe-contact rules were overridden for what.
func (w *world) overrideEvents(t *testing.T, clientID, what string) int {
	t.Helper()
	var n int
	for _, e := range w.events(t, clientID) {
		if e.Action == "contact.log" && strings.Contains(e.Purpose, "override") && strings.Contains(e.Purpose, what) {
			n++
		}
	}
	return n
}

// An outgoing call or text to a client needs the number dialled, and it
// must be the client's safe number, not their main one: a blank number is
// no longer waved through. A refusal names every problem and writes
// nothing; an override reason lets it through, audited.
func TestOutgoingCallNeedsTheSafeNumber(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c, err := w.people.Create(ctx, w.outreach, people.NewClient{GivenName: "Rosa", FamilyName: "Lind", Details: people.Details{
			Phone:       "07700 900111", // the main number: he checks this phone
			SafeContact: people.SafeContact{Phone: "07700 900456", Voicemail: people.Safe, Text: people.Safe, Email: people.Safe, Post: people.Safe}}})
		if err != nil {
			t.Fatal(err)
		}
		out := func(ch intake.Channel, number string) intake.NewContact {
			return intake.NewContact{Channel: ch, Direction: intake.Outbound, CallerType: intake.CallerVictim, ServiceLine: intake.LineMain,
				Outcome: intake.AdviceGiven, ClientID: c.ID, Number: number}
		}
		contacts, events := w.count(t, "intake_contacts"), w.count(t, "audit_events")

		for _, tc := range []struct {
			name string
			n    intake.NewContact
			want []string
			key  string
		}{
			{"blank call", out(intake.Phone, ""), []string{"number", "override_reason"}, "intake.number_required"},
			{"spaces", out(intake.Phone, "   "), []string{"number", "override_reason"}, "intake.number_required"},
			{"blank text", out(intake.Text, ""), []string{"number", "override_reason"}, "intake.number_required"},
			{"main number", out(intake.Phone, "07700 900111"), []string{"number", "override_reason"}, "intake.number_not_safe"},
			{"main number text", out(intake.Text, "+44 7700 900111"), []string{"number", "override_reason"}, "intake.number_not_safe"},
			{"no digits", out(intake.Phone, "the usual"), []string{"number", "override_reason"}, "intake.number_not_safe"},
		} {
			_, err := w.svc.LogContact(ctx, w.outreach, tc.n)
			if got := fields(t, err); !slices.Equal(got, tc.want) || keyOf(err, "number") != tc.key {
				t.Errorf("%s: %v (%s), want %v (%s)", tc.name, got, keyOf(err, "number"), tc.want, tc.key)
			}
		}
		// A blank number and other mistakes, all at once.
		bad := out(intake.Phone, "")
		bad.Outcome, bad.FollowUp = "shrug", true
		_, err = w.svc.LogContact(ctx, w.outreach, bad)
		if got := fields(t, err); !slices.Equal(got, []string{"outcome", "callback_due", "number", "override_reason"}) {
			t.Errorf("all at once: %v", got)
		}
		// A reason too short does not override.
		short := out(intake.Phone, "")
		short.OverrideReason = "urgent"
		_, err = w.svc.LogContact(ctx, w.outreach, short)
		if got := fields(t, err); !slices.Equal(got, []string{"number", "override_reason"}) || keyOf(err, "override_reason") != "intake.override_reason_too_short" {
			t.Errorf("short reason: %v", err)
		}
		if w.count(t, "intake_contacts") != contacts || w.count(t, "audit_events") != events {
			t.Fatal("a refused contact wrote something")
		}

		// The safe number, however it is written: no override.
		for _, n := range []intake.NewContact{out(intake.Phone, "07700 900456"), out(intake.Phone, "07700-900-456"), out(intake.Text, "+44 (0)7700 900456")} {
			ct, err := w.svc.LogContact(ctx, w.outreach, n)
			if err != nil || ct.Override {
				t.Fatalf("%s to %q: %+v %v", n.Channel, n.Number, ct, err)
			}
		}
		// Incoming: nothing to dial, nothing checked.
		in := out(intake.Phone, "")
		in.Direction = intake.Inbound
		if _, err := w.svc.LogContact(ctx, w.outreach, in); err != nil {
			t.Fatalf("incoming call: %v", err)
		}
		// An anonymous outgoing call has no rules to check.
		anon := out(intake.Phone, "")
		anon.ClientID = ""
		if _, err := w.svc.LogContact(ctx, w.outreach, anon); err != nil {
			t.Fatalf("anonymous outgoing call: %v", err)
		}

		// The main number with a reason: recorded as an override, audited.
		main := out(intake.Phone, "07700 900111")
		main.OverrideReason = "police asked us to confirm she is safe; the safe phone is off"
		ct, err := w.svc.LogContact(ctx, w.outreach, main)
		if err != nil || !ct.Override || ct.OverrideReason != main.OverrideReason {
			t.Fatalf("override %+v %v", ct, err)
		}
		if n := w.overrideEvents(t, c.ID, "number_not_safe"); n != 1 {
			t.Fatalf("%d override events for the main number", n)
		}
		if got := w.count(t, "intake_contacts"); got != contacts+6 {
			t.Fatalf("%d contacts written, want 6", got-contacts)
		}
	})
}

// An outgoing walk_in is a home visit: it always needs an override reason.
// An outgoing web chat follows the text rule. Refusals write nothing.
func TestOutgoingHomeVisitAndWebChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		mk := func(text string) string {
			c, err := w.people.Create(ctx, w.outreach, people.NewClient{GivenName: "Mai", FamilyName: "Tran", Details: people.Details{
				SafeContact: people.SafeContact{Phone: "07700 900456", Times: "weekdays 10-12", Voicemail: people.Safe, Text: text, Email: people.Safe, Post: people.Safe}}})
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		textSafe, textUnsafe := mk(people.Safe), mk(people.Unsafe)
		out := func(ch intake.Channel, client string) intake.NewContact {
			return intake.NewContact{Channel: ch, Direction: intake.Outbound, CallerType: intake.CallerVictim, ServiceLine: intake.LineMain,
				Outcome: intake.AdviceGiven, ClientID: client}
		}
		contacts, events := w.count(t, "intake_contacts"), w.count(t, "audit_events")

		// A home visit, even where every channel is safe.
		_, err := w.svc.LogContact(ctx, w.outreach, out(intake.WalkIn, textSafe))
		if got := fields(t, err); !slices.Equal(got, []string{"channel", "override_reason"}) || keyOf(err, "channel") != "intake.home_visit_needs_reason" {
			t.Fatalf("home visit: %v", err)
		}
		short := out(intake.WalkIn, textSafe)
		short.OverrideReason = "welfare"
		_, err = w.svc.LogContact(ctx, w.outreach, short)
		if got := fields(t, err); !slices.Equal(got, []string{"channel", "override_reason"}) || keyOf(err, "override_reason") != "intake.override_reason_too_short" {
			t.Fatalf("home visit, short reason: %v", err)
		}
		_, err = w.svc.LogContact(ctx, w.outreach, out(intake.WebChat, textUnsafe))
		if got := fields(t, err); !slices.Equal(got, []string{"channel", "override_reason"}) || keyOf(err, "channel") != "intake.unsafe_webchat" {
			t.Fatalf("web chat where texts are unsafe: %v", err)
		}
		if w.count(t, "intake_contacts") != contacts || w.count(t, "audit_events") != events {
			t.Fatal("a refused contact wrote something")
		}

		visit := out(intake.WalkIn, textSafe)
		visit.OverrideReason = "agreed with her by phone this morning; he is in custody until Friday"
		ct, err := w.svc.LogContact(ctx, w.outreach, visit)
		if err != nil || !ct.Override || ct.Channel != intake.WalkIn {
			t.Fatalf("home visit with a reason: %+v %v", ct, err)
		}
		if n := w.overrideEvents(t, textSafe, "home_visit_needs_reason"); n != 1 {
			t.Fatalf("%d override events for the home visit", n)
		}
		if ct, err := w.svc.LogContact(ctx, w.outreach, out(intake.WebChat, textSafe)); err != nil || ct.Override {
			t.Fatalf("web chat where texts are safe: %+v %v", ct, err)
		}
		// She walked in: nothing to check.
		in := out(intake.WalkIn, textUnsafe)
		in.Direction = intake.Inbound
		if _, err := w.svc.LogContact(ctx, w.outreach, in); err != nil {
			t.Fatalf("incoming walk-in: %v", err)
		}
		if got := w.count(t, "intake_contacts"); got != contacts+3 {
			t.Fatalf("%d contacts written, want 3", got-contacts)
		}
	})
}
