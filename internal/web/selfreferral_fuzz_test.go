package web

import (
	"net/url"
	"strings"
	"testing"

	"frontdoor/internal/intake"
	"frontdoor/internal/people"
)

// Whatever a browser (or a bot) posts, the self-referral form parser keeps
// exactly the form's fields to show again, sends only known safety answers
// and a self-referral, and never panics.
func FuzzParseSelfReferral(f *testing.F) {
	f.Add("safe_phone=07700+900123&safe_voicemail=unsafe&given_name=A&family_name=B&summary=help&age=30")
	f.Add("age=-4&safe_text=maybe&website=x")
	f.Add("age=999999999999999999999&summary=%00%ff")
	f.Add("given_name=a&given_name=b;c=d&&=&%zz")
	f.Fuzz(func(t *testing.T, raw string) {
		form, _ := url.ParseQuery(raw)
		in := parseSelfReferral(form)
		if len(in.Form) != len(selfReferralFields) {
			t.Fatalf("form keeps %d fields", len(in.Form))
		}
		for _, k := range selfReferralFields {
			if in.Form[k] != form.Get(k) {
				t.Fatalf("%s kept as %q, sent %q", k, in.Form[k], form.Get(k))
			}
		}
		sc := in.Client.Details.SafeContact
		for _, v := range []string{sc.Voicemail, sc.Text, sc.Email, sc.Post} {
			if v != people.Safe && v != people.Unsafe && v != people.NotKnown {
				t.Fatalf("safety answer %q", v)
			}
		}
		if in.Client.Details.EstimatedAge < -1 {
			t.Fatalf("age %d", in.Client.Details.EstimatedAge)
		}
		if in.Referral.Source != intake.FromSelf || in.Referral.RiskLevel != intake.RiskNotKnown {
			t.Fatalf("referral %+v", in.Referral)
		}
		if in.Honeypot != (strings.TrimSpace(form.Get(honeypotField)) != "") {
			t.Fatalf("honeypot %v for %q", in.Honeypot, form.Get(honeypotField))
		}
	})
}
