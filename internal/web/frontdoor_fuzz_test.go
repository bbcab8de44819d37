package web

import (
	"net/url"
	"testing"
	"time"

	"frontdoor/internal/errs"
	"frontdoor/internal/intake"
)

// fieldErrorsOnly fails unless err is nil or only field errors.
func fieldErrorsOnly(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	fields := errs.AllFields(err)
	if len(fields) == 0 {
		t.Fatalf("not a field error: %v", err)
	}
	for _, f := range fields {
		if f.Field == "" || f.Code != errs.Invalid {
			t.Fatalf("field error without a field: %v", f)
		}
	}
}

// Whatever the front door forms receive, the parsers answer with values
// and field errors, never a panic; the form is kept as typed; and what
// they accept, the service's validation can judge.
func FuzzFrontDoorForms(f *testing.F) {
	f.Add("phone", "out", "victim", "main", "advice_given", "yes", "2", "2026-03-14T09:30", "0190f2a0-0000-7000-8000-00000000abcd", "note", "07700 900456", "yes", "reason", "3", "closed")
	f.Add("", "", "", "", "", "", "", "", "", "", "", "", "", "", "")
	f.Add("\x00", "sideways", "x", "y", "z", "no", "-1", "tomorrow", " x ", "\xff", "+44", "maybe", "", "abc", "open")
	f.Add("letter", "in", "unknown", "male_victim", "other", "", "9999999999999999999", "2026-13-40T25:61", "", "", "", "", "", "99999999999999999999", "")
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, channel, direction, caller, line, outcome, followUp, callbackIn, due, client, note, number, voicemail, reason, version, status string) {
		v := url.Values{"channel": {channel}, "direction": {direction}, "caller_type": {caller}, "service_line": {line}, "outcome": {outcome},
			"follow_up": {followUp}, "callback_in": {callbackIn}, "callback_due": {due}, "client": {client}, "note": {note}, "number": {number},
			"voicemail": {voicemail}, "override_reason": {reason}}
		n, form, err := contactForm(v, now)
		fieldErrorsOnly(t, err)
		if form["note"] != note || form["callback_due"] != due {
			t.Fatal("the contact form lost what was typed")
		}
		if err == nil && callbackIn != "" && !n.FollowUp {
			t.Fatal("a callback time without a follow-up")
		}
		_, verr := intake.ValidateContact(n, now)
		fieldErrorsOnly(t, verr)

		rv := url.Values{"client": {client}, "source": {channel}, "risk_level": {outcome}, "summary": {note}, "referrer_org": {reason},
			"received_at": {due}, "given_name": {caller}, "family_name": {line}, "date_of_birth": {due}, "estimated_age": {version}}
		ref, rform, err := referralForm(rv)
		fieldErrorsOnly(t, err)
		if rform["summary"] != note {
			t.Fatal("the referral form lost what was typed")
		}
		if (ref.NewClient == nil) == (ref.ClientID == "") {
			t.Fatalf("referral for neither or both clients: %+v", ref)
		}

		tr, err := intake.ValidateTriage(triageForm(url.Values{"decision": {status}, "service": {line}, "team": {client}, "note": {note}}))
		fieldErrorsOnly(t, err)
		if err == nil && tr.Decision != intake.Allocate && tr.TeamID != "" {
			t.Fatal("a team without an allocation")
		}

		_, err = intake.ValidateCaseStatusChange(caseStatusForm(url.Values{"version": {version}, "status": {status}, "reason": {reason}, "note": {note}}))
		fieldErrorsOnly(t, err)

		_, err = firstContactForm(url.Values{"at": {due}})
		fieldErrorsOnly(t, err)
	})
}
