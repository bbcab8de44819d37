package web

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/outreach"
)

// The partner and volunteer form parsers never panic; a date or time they
// cannot read is a field error against its own input and is read as no
// time (which the service refuses, so nothing is saved from it); the
// fields to share are each read once, none empty; consent and the shared
// address are ticked only by "yes".
func FuzzPartnerForms(f *testing.F) {
	const client = "0190f2a0-0000-7000-8000-00000000beef"
	f.Add("2026-12-07", "10:30", "2026-12-01", "", "name", "address", "yes", "Fit new locks", "accepted")
	f.Add("soon", "25:99", "last week", "2026-02-30", "name", "name", "on", "", "done")
	f.Add(" ", " ", " ", " ", "", "safe_phone ", "YES", " \t", "")
	f.Add("2026-13-01", "1e3", "2026-02-29", "tomorrow", "codeword", "everything", "yes ", "a\x00b", "withdrawn")
	f.Fuzz(func(t *testing.T, date, clock, starts, ends, share1, share2, tick, text, status string) {
		v := url.Values{"date": {date}, "time": {clock}, "what": {text}, "held_at": {date}, "notes": {text},
			"starts_on": {starts}, "ends_on": {ends}, "title": {text}, "reference": {text}, "legal_basis": {status},
			"agreement": {client}, "kind": {status}, "request": {text}, "consent": {tick}, "share": {share1, share2},
			"volunteer": {client}, "purpose": {text}, "share_address": {tick}, "status": {status}, "note": {text}, "name": {text}}

		a, fe := partnerAgreementForm(v.Get, client)
		for _, e := range fe {
			switch e.Field {
			case "starts_on":
				if !a.StartsOn.IsZero() {
					t.Fatalf("starts %q refused but read", starts)
				}
			case "ends_on":
				if !a.EndsOn.IsZero() {
					t.Fatalf("ends %q refused but read", ends)
				}
			default:
				t.Fatalf("a parse error against %q, which the agreement form does not have", e.Field)
			}
		}
		if a.PartnerID != client {
			t.Fatalf("the agreement's agency is %q, not the path's", a.PartnerID)
		}

		n := partnerReferralForm(v.Get, v["share"], client)
		if n.ClientID != client || n.Consent != (tick == "yes") {
			t.Fatalf("referral read as %+v", n)
		}
		seen := map[outreach.ShareField]bool{}
		for _, s := range n.Share {
			if s == "" || seen[s] {
				t.Fatalf("share %q read empty or twice: %v", s, n.Share)
			}
			seen[s] = true
		}
		for _, s := range []string{share1, share2} {
			if sf := outreach.ShareField(strings.TrimSpace(s)); sf != "" && !slices.Contains(n.Share, sf) {
				t.Fatalf("share %q ticked but not read: %v", s, n.Share)
			}
		}

		if m := volunteerMatchForm(v.Get, client); m.ClientID != client || m.ShareAddress != (tick == "yes") {
			t.Fatalf("match read as %+v", m)
		}
		partnerAgencyForm(v.Get)
		partnerMoveForm(v.Get)

		at, _, fe := volunteerAppointmentForm(v.Get, time.UTC)
		for _, e := range fe {
			if e.Field != "date" && e.Field != "time" {
				t.Fatalf("a parse error against %q, which the appointment form does not have", e.Field)
			}
			if !at.IsZero() {
				t.Fatalf("%s refused but a time was read", e.Field)
			}
		}
		held, _, fe := supervisionForm(v.Get, time.UTC)
		for _, e := range fe {
			if e.Field != "held_at" || !held.IsZero() {
				t.Fatalf("supervision: %q refused, held read as %v", e.Field, held)
			}
		}
	})
}
