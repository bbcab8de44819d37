package api

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"frontdoor/internal/errs"
)

// Whatever bytes arrive as a referral body, the parser answers with a
// request or with an error of the expected shapes; never a panic. Field
// errors name fields of ours; body errors carry a status and a message key.
func FuzzDecodeReferral(f *testing.F) {
	f.Add(`{"client": {"given_name": "A", "family_name": "B", "safe_contact": {"voicemail": "safe"}}, "referral": {"source": "police", "summary": "s"}}`, "application/json")
	f.Add(`{"client": {"estimated_age": "x"}}`, "application/json; charset=utf-8")
	f.Add(`{"client": {"Nickname": 1}}`, "application/json")
	f.Add(`[]`, "application/json")
	f.Add(`{} {}`, "application/json")
	f.Add(`{"referral": null, "client": {"safe_contact": []}}`, "application/json")
	f.Add("\xff\xfe", "text/plain")
	f.Fuzz(func(t *testing.T, body, contentType string) {
		req, err := decodeReferral(strings.NewReader(body), contentType, 4096)
		if err == nil {
			// An accepted body maps onto the intake service's input.
			req.incoming()
			return
		}
		var bad *errBody
		switch {
		case errors.As(err, &bad):
			if bad.status < 400 || bad.status >= 500 || !strings.HasPrefix(bad.p.Reason, "api.") {
				t.Fatalf("body error %+v", bad)
			}
			if bad.p.Field != "" && bad.p.Field != "Content-Type" && !snakeName.MatchString(bad.p.Field) {
				t.Fatalf("echoes a key that is not a field name: %q", bad.p.Field)
			}
		case len(errs.AllFields(err)) > 0:
			for _, fe := range errs.AllFields(err) {
				if !jsonName.MatchString(fe.Field) || fe.Code != errs.Invalid {
					t.Fatalf("field error %+v", fe)
				}
			}
		default:
			t.Fatalf("unexpected error %T %v", err, err)
		}
		if len(body) > 4096 && bad != nil && bad.status != http.StatusRequestEntityTooLarge && bad.status != http.StatusUnsupportedMediaType {
			t.Fatalf("a body over the limit was read: %+v", bad)
		}
	})
}
