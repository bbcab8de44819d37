package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

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
	f.Add("{\"client\": {\"given_name\": \"A\xff\", \"family_name\": \"B\", \"safe_contact\": {}}, \"referral\": {\"source\": \"police\", \"summary\": \"s\"}}", "application/json")
	f.Add(`{"client": {"given_name": "A\ud800", "family_name": "B\ud83c\udf3b", "safe_contact": {"times": "\udc00"}}, "referral": {"source": "police", "summary": "s"}}`, "application/json")
	f.Add(`{"client": {"given_name": "A", "family_name": "B"}, "referral": {"source": "police", "summary": "s"}}`, "application/json")
	f.Add(`null`, "application/json")
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
			exactKeys(t, v, referralBody.keys, "")
			unaltered(t, body, v)
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

// Whatever bytes arrive as the body of an accommodation route, the
// parsers (strict decoding, then the household, admission and departure
// readers) answer with an input or with errors of the expected shapes;
// never a panic. Accepted bodies have only our keys, spelt exactly; field
// errors name JSON paths of ours.
func FuzzDecodeAccommodation(f *testing.F) {
	f.Add(uint8(0), `{"client_id": "0190f2a0-0000-7000-8000-000000000001", "household": {"adults": 1, "children": [{"age": 6, "sex": "female"}], "service": "women", "nrpf": true}}`)
	f.Add(uint8(0), `{"household": {"adults": 9, "children": [{"age": 30, "sex": "boy"}, {"age": -1}], "language": "\u0000"}}`)
	f.Add(uint8(0), `{"household": {"adults": 1, "children": [{"age": 3, "SEX": "male"}, [], 1, {"sex": {"x": []}}]}}`)
	f.Add(uint8(0), `{"household": {"children": {"age": 3}}}`)
	f.Add(uint8(1), `{"unit_id": "nope", "client_id": "", "household": {"adults": 0}}`)
	f.Add(uint8(1), `{"unit_id": "0190f2a0-0000-7000-8000-000000000001", "unit_id": "x"}`)
	f.Add(uint8(2), `{"by": "client", "reason": "other", "note": "line\nline"}`)
	f.Add(uint8(2), `{"by": ["client"]}`)
	f.Add(uint8(3), `{"move_in": "2026-12-01", "members": {"adults": ["0190f2a0-0000-7000-8000-000000000001"], "children": ["Lena"]}}`)
	f.Add(uint8(3), `{"move_in": "31/12/2026", "members": [{"adults": []}]}`)
	f.Add(uint8(4), `{"date": "2026-13-01", "reason": "bored", "move_on": "moon"}`)
	f.Add(uint8(4), `{"date": "2026-12-01"} trailing`)
	f.Fuzz(func(t *testing.T, kind uint8, body string) {
		var (
			spec *bodySpec
			err  error
			name = identity
		)
		var fields []*errs.Error
		switch kind % 5 {
		case 0:
			spec, name = searchBody, householdPath
			var req VacancySearchRequest
			if req, err = decodeBody[VacancySearchRequest](strings.NewReader(body), "application/json", 4096, spec); err == nil {
				_, herr := req.Household.household(req.ClientID)
				fields = errs.AllFields(herr)
			}
		case 1:
			spec, name = holdBody, householdPath
			var req HoldRequest
			if req, err = decodeBody[HoldRequest](strings.NewReader(body), "application/json", 4096, spec); err == nil {
				_, herr := req.Household.household(req.ClientID)
				fields = errs.AllFields(herr)
			}
		case 2:
			spec = declineBody
			_, err = decodeBody[DeclineRequest](strings.NewReader(body), "application/json", 4096, spec)
		case 3:
			spec, name = admitBody, admitPath
			var req AdmitRequest
			if req, err = decodeBody[AdmitRequest](strings.NewReader(body), "application/json", 4096, spec); err == nil {
				_, fe := req.admission()
				fields = fe
			}
		case 4:
			spec = departureBody
			var req DepartureRequest
			if req, err = decodeBody[DepartureRequest](strings.NewReader(body), "application/json", 4096, spec); err == nil {
				_, fe := req.departure()
				fields = fe
			}
		}
		if err == nil {
			var v any
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatalf("accepted a body that is not JSON: %v", err)
			}
			exactKeys(t, v, spec.keys, "")
			unaltered(t, body, v)
			for _, fe := range fields {
				if p := name(fe.Field); !jsonName.MatchString(p) || fe.Code != errs.Invalid || fe.Key == "" {
					t.Fatalf("field error %+v named %q", fe, p)
				}
			}
			return
		}
		var bad *errBody
		switch {
		case errors.As(err, &bad):
			if bad.status < 400 || bad.status >= 500 || !strings.HasPrefix(bad.p.Reason, "api.") {
				t.Fatalf("body error %+v", bad)
			}
			if bad.p.Field != "" && !echoableIn(spec.keys, bad.p.Field) {
				t.Fatalf("echoes a key that is not a field name: %q", bad.p.Field)
			}
		case len(errs.AllFields(err)) > 0:
			for _, fe := range errs.AllFields(err) {
				if p := name(fe.Field); !jsonName.MatchString(fe.Field) || !jsonName.MatchString(p) || fe.Code != errs.Invalid {
					t.Fatalf("field error %+v named %q", fe, p)
				}
			}
		default:
			t.Fatalf("unexpected error %T %v", err, err)
		}
	})
}

// Whatever bytes arrive as the body of an outreach or agency route, the
// parsers (strict decoding, then the outcome, booking and session-record
// readers) answer with an input or with errors of the expected shapes;
// never a panic. Accepted bodies have only our keys, spelt exactly; field
// errors name JSON paths of ours.
func FuzzDecodeOutreach(f *testing.F) {
	f.Add(uint8(0), `{"area": "safety", "need": "n", "goals": "g"}`)
	f.Add(uint8(1), `{"need": "n", "goals": "g", "progress": "p", "status": "met", "version": 1}`)
	f.Add(uint8(1), `{"need": "n", "version": "1"}`)
	f.Add(uint8(2), `{"text": "t", "owner_id": "nobody", "due": "2026-12-32"}`)
	f.Add(uint8(3), `{"safety_plan": "", "version": 2, "Version": 3}`)
	f.Add(uint8(4), `{"stage": "start", "scores": [{"area": "safety", "score": 2}, {"area": "safety", "score": 3}], "feels_safer": 2, "abuse_stopped": "no"}`)
	f.Add(uint8(4), `{"scores": [{"area": "x", "score": "9"}, [], 1]}`)
	f.Add(uint8(5), `{"kind": "home_visit", "start": "2026-12-01T10:00:00Z", "duration_minutes": 60, "weeks": 2, "reminder": "none", "worker_id": "x"}`)
	f.Add(uint8(5), `{"start": "0000-01-01T00:00:00Z", "duration_minutes": -1}`)
	f.Add(uint8(6), `{"status": "held", "discussed": "d", "actions": [{"need_id": "0190f2a0-0000-7000-8000-000000000001", "text": "t", "due": "2026-12-01"}], "version": 1}`)
	f.Add(uint8(6), `{"actions": [{"need_id": "", "due": "soon"}, {"NEED_ID": 1}]}`)
	f.Add(uint8(7), `{"agreement_id": "0190f2a0-0000-7000-8000-000000000001", "kind": "legal", "consent": true, "share": ["name", "dob"], "request": "r"}`)
	f.Add(uint8(8), `{"note": "n", "version": 1}`)
	f.Add(uint8(9), `{"to": "done", "note": "n", "version": 1}`)
	f.Add(uint8(10), `{"volunteer_id": "v", "kind": "befriending", "purpose": "p", "share_address": "yes"}`)
	f.Fuzz(func(t *testing.T, kind uint8, body string) {
		var (
			spec   *bodySpec
			err    error
			name   = outreachPath
			fields []*errs.Error
		)
		switch kind % 11 {
		case 0:
			spec = needBody
			_, err = decodeBody[NeedRequest](strings.NewReader(body), "application/json", 4096, spec)
		case 1:
			spec = needUpdateBody
			_, err = decodeBody[NeedUpdateRequest](strings.NewReader(body), "application/json", 4096, spec)
		case 2:
			spec, name = actionBody, actionPath
			_, err = decodeBody[ActionRequest](strings.NewReader(body), "application/json", 4096, spec)
		case 3:
			spec = safetyPlanBody
			_, err = decodeBody[SafetyPlanRequest](strings.NewReader(body), "application/json", 4096, spec)
		case 4:
			spec = outcomeBody
			var req OutcomeRequest
			if req, err = decodeBody[OutcomeRequest](strings.NewReader(body), "application/json", 4096, spec); err == nil {
				_, fields = req.outcome()
			}
		case 5:
			spec = bookBody
			var req BookRequest
			if req, err = decodeBody[BookRequest](strings.NewReader(body), "application/json", 4096, spec); err == nil {
				_, fields = req.sessions("0190f2a0-0000-7000-8000-000000000001")
			}
		case 6:
			spec, name = recordSessionBody, sessionPath
			var req RecordSessionRequest
			if req, err = decodeBody[RecordSessionRequest](strings.NewReader(body), "application/json", 4096, spec); err == nil {
				_, fields = req.record()
			}
		case 7:
			spec = partnerReferralBody
			_, err = decodeBody[PartnerReferralRequest](strings.NewReader(body), "application/json", 4096, spec)
		case 8:
			spec = withdrawBody
			_, err = decodeBody[WithdrawRequest](strings.NewReader(body), "application/json", 4096, spec)
		case 9:
			spec, name = agencyStatusBody, agencyPath
			_, err = decodeBody[AgencyStatusRequest](strings.NewReader(body), "application/json", 4096, spec)
		case 10:
			spec = matchBody
			_, err = decodeBody[MatchRequest](strings.NewReader(body), "application/json", 4096, spec)
		}
		if err == nil {
			var v any
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatalf("accepted a body that is not JSON: %v", err)
			}
			exactKeys(t, v, spec.keys, "")
			unaltered(t, body, v)
			for _, fe := range fields {
				if p := name(fe.Field); !jsonName.MatchString(p) || fe.Code != errs.Invalid || fe.Key == "" {
					t.Fatalf("field error %+v named %q", fe, p)
				}
			}
			return
		}
		var bad *errBody
		switch {
		case errors.As(err, &bad):
			if bad.status < 400 || bad.status >= 500 || !strings.HasPrefix(bad.p.Reason, "api.") {
				t.Fatalf("body error %+v", bad)
			}
			if bad.p.Field != "" && !echoableIn(spec.keys, bad.p.Field) {
				t.Fatalf("echoes a key that is not a field name: %q", bad.p.Field)
			}
		case len(errs.AllFields(err)) > 0:
			for _, fe := range errs.AllFields(err) {
				if p := name(fe.Field); !jsonName.MatchString(fe.Field) || !jsonName.MatchString(p) || fe.Code != errs.Invalid {
					t.Fatalf("field error %+v named %q", fe, p)
				}
			}
		default:
			t.Fatalf("unexpected error %T %v", err, err)
		}
	})
}

// unaltered fails unless the accepted body decodes to exactly the text
// sent: valid UTF-8, and a U+FFFD only where the sender wrote one (the
// decoder's replacement of an unpaired surrogate escape is not).
func unaltered(t *testing.T, body string, v any) {
	t.Helper()
	if !utf8.ValidString(body) {
		t.Fatalf("accepted a body that is not UTF-8: %q", body)
	}
	sent := strings.Count(body, "\ufffd") + strings.Count(strings.ToLower(body), `\ufffd`)
	var got int
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			got += strings.Count(x, "\ufffd")
		case []any:
			for _, el := range x {
				walk(el)
			}
		case map[string]any:
			for k, el := range x {
				got += strings.Count(k, "\ufffd")
				walk(el)
			}
		}
	}
	walk(v)
	if got > sent {
		t.Fatalf("accepted a body the decoder altered (%d replacement characters, %d sent): %q", got, sent, body)
	}
}

// echoable says whether a key path named in a body error gives nothing
// away: every key above the last is one of ours, and the last is shaped
// like a field name or is one of ours in other letter case.
func echoable(path string) bool { return echoableIn(referralBody.keys, path) }

func echoableIn(allowed keySchema, path string) bool {
	keys := strings.Split(path, ".")
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
		if sub == nil {
			continue
		}
		if list, ok := val.([]any); ok {
			for _, el := range list {
				exactKeys(t, el, sub, path+k+".")
			}
			continue
		}
		exactKeys(t, val, sub, path+k+".")
	}
}
