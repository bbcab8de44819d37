package api

import (
	"encoding/json"
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
	f.Add(`{"client": {"given_name": "", "GIVEN_NAME": "Kira", "family_name": "B", "safe_contact": {}}, "referral": {"source": "police", "summary": "s"}}`, "application/json")
	f.Add(`{"client": {"given_name": "A", "given_name": "B", "family_name": "B", "safe_contact": {}}, "referral": {"source": "police", "summary": "s"}}`, "application/json")
	f.Add(`{"client": {"safe_contact": {"Text": "safe", "text": [[{"a": {}}]]}}}`, "application/json")
	f.Add(`{"client": {"ſafe_contact": {}, "given_name": {"x": [1, {"y": null}]}}}`, "application/json")
	f.Add(`{"client": [[[[[[[[[[]]]]]]]]]], "referral": "x"}`, "application/json")
	f.Add(`{"client": {"given_name": "A"`, "application/json")
	f.Fuzz(func(t *testing.T, body, contentType string) {
		req, err := decodeReferral(strings.NewReader(body), contentType, 4096)
		if err == nil {
			// An accepted body maps onto the intake service's input.
			req.incoming()
			// ...and every key in it is one of ours, spelt exactly.
			var v any
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatalf("accepted a body that is not JSON: %v", err)
			}
			exactKeys(t, v, referralKeys, "")
			return
		}
		var bad *errBody
		switch {
		case errors.As(err, &bad):
			if bad.status < 400 || bad.status >= 500 || !strings.HasPrefix(bad.p.Reason, "api.") {
				t.Fatalf("body error %+v", bad)
			}
			if bad.p.Field != "" && bad.p.Field != "Content-Type" && !echoable(bad.p.Field) {
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

// echoable says whether a key path named in a body error gives nothing
// away: every key above the last is one of ours, and the last is shaped
// like a field name or is one of ours in other letter case.
func echoable(path string) bool {
	keys := strings.Split(path, ".")
	allowed := referralKeys
	for _, k := range keys[:len(keys)-1] {
		sub, ok := allowed[k]
		if !ok || sub == nil {
			return false
		}
		allowed = sub
	}
	last := keys[len(keys)-1]
	if snakeName.MatchString(last) {
		return true
	}
	for name := range allowed {
		if strings.EqualFold(name, last) && asciiKey.MatchString(last) {
			return true
		}
	}
	return false
}

// exactKeys fails unless every object key in v, at every level the
// request has, is exactly one of the allowed keys there.
func exactKeys(t *testing.T, v any, allowed keySchema, path string) {
	t.Helper()
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	for k, val := range obj {
		sub, ok := allowed[k]
		if !ok {
			t.Fatalf("accepted key %q at %q", k, path)
		}
		if sub != nil {
			exactKeys(t, val, sub, path+k+".")
		}
	}
}
