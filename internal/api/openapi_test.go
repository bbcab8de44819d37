package api_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/api"
	"frontdoor/internal/store"
)

type doc = map[string]any

func openAPIDoc(t *testing.T) doc {
	t.Helper()
	var d doc
	if err := json.Unmarshal(api.OpenAPI(), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// resolve follows a local $ref.
func resolve(t *testing.T, root doc, s doc) doc {
	t.Helper()
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		cur := any(root)
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, _ := cur.(doc)
			cur = m[part]
		}
		next, ok := cur.(doc)
		if !ok {
			t.Fatalf("$ref %s does not resolve", ref)
		}
		s = next
	}
}

// Every route of the router is in the document with its method and scope,
// and the document has no operation the router lacks.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	h := newHarness(t, store.SQLite)
	d := openAPIDoc(t)
	if d["openapi"] != "3.1.0" {
		t.Fatalf("openapi version %v", d["openapi"])
	}
	inDoc := map[string]string{}
	for path, item := range d["paths"].(doc) {
		for method, op := range item.(doc) {
			if !slices.Contains([]string{"get", "put", "post", "delete", "patch", "head", "options"}, method) {
				continue
			}
			scope := ""
			sec, ok := op.(doc)["security"].([]any)
			if !ok {
				t.Errorf("%s %s declares no security (use [] for none)", method, path)
			}
			for _, req := range sec {
				for scheme, scopes := range req.(doc) {
					if scheme != "bearer" {
						t.Errorf("%s %s uses unknown scheme %q", method, path, scheme)
					}
					for _, s := range scopes.([]any) {
						scope = s.(string)
					}
				}
			}
			inDoc[strings.ToUpper(method)+" "+path] = scope
		}
	}
	routes := h.api.Routes()
	if !reflect.DeepEqual(inDoc, routes) {
		t.Fatalf("document and router differ:\n document %v\n router   %v", inDoc, routes)
	}
	schemes := d["components"].(doc)["securitySchemes"].(doc)
	if b := schemes["bearer"].(doc); b["type"] != "http" || b["scheme"] != "bearer" {
		t.Fatalf("bearer scheme %v", b)
	}
	// Every error response of every operation uses the one error format.
	for path, item := range d["paths"].(doc) {
		for method, op := range item.(doc) {
			for code, resp := range op.(doc)["responses"].(doc) {
				if code[0] < '4' {
					continue
				}
				r := resolve(t, d, resp.(doc))
				s := resolve(t, d, r["content"].(doc)["application/json"].(doc)["schema"].(doc))
				if _, ok := s["properties"].(doc)["errors"]; !ok {
					t.Errorf("%s %s %s does not answer in the error format", method, path, code)
				}
			}
		}
	}
	// The document is served as it is.
	resp, err := http.Get(h.ts.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var served doc
	if err := json.NewDecoder(resp.Body).Decode(&served); err != nil || resp.StatusCode != 200 || !reflect.DeepEqual(served, d) {
		t.Fatalf("served document: %d %v", resp.StatusCode, err)
	}
}

// The schemas say exactly what the Go types accept and answer: the same
// properties, and required exactly where there is no omitempty (or
// omitzero).
func TestOpenAPISchemasMatchTheGoTypes(t *testing.T) {
	d := openAPIDoc(t)
	schemas := d["components"].(doc)["schemas"].(doc)
	post := d["paths"].(doc)["/api/v1/referrals"].(doc)["post"].(doc)
	body := post["requestBody"].(doc)["content"].(doc)["application/json"].(doc)["schema"].(doc)
	checkSchema(t, d, "ReferralRequest", reflect.TypeFor[api.ReferralRequest](), resolve(t, d, body))
	checkSchema(t, d, "ReferralCreated", reflect.TypeFor[api.ReferralCreated](), schemas["ReferralCreated"].(doc))
	checkSchema(t, d, "ReferralStatus", reflect.TypeFor[api.ReferralStatus](), schemas["ReferralStatus"].(doc))
	checkSchema(t, d, "Error", reflect.TypeFor[api.ErrorBody](), schemas["Error"].(doc))

	// The accommodation and outreach routes: each request body and each
	// answer.
	for _, c := range []struct {
		path, method string
		body         reflect.Type
		status       string
		answer       reflect.Type
	}{
		{"/api/v1/vacancies/search", "post", reflect.TypeFor[api.VacancySearchRequest](), "200", reflect.TypeFor[api.VacancyList]()},
		{"/api/v1/vacancies", "get", nil, "200", reflect.TypeFor[api.Board]()},
		{"/api/v1/holds", "post", reflect.TypeFor[api.HoldRequest](), "201", reflect.TypeFor[api.AccommodationReferral]()},
		{"/api/v1/accommodation-referrals/{id}", "get", nil, "200", reflect.TypeFor[api.AccommodationReferral]()},
		{"/api/v1/accommodation-referrals/{id}/offer", "post", nil, "200", reflect.TypeFor[api.AccommodationReferral]()},
		{"/api/v1/accommodation-referrals/{id}/accept", "post", nil, "200", reflect.TypeFor[api.AccommodationReferral]()},
		{"/api/v1/accommodation-referrals/{id}/decline", "post", reflect.TypeFor[api.DeclineRequest](), "200", reflect.TypeFor[api.AccommodationReferral]()},
		{"/api/v1/accommodation-referrals/{id}/admit", "post", reflect.TypeFor[api.AdmitRequest](), "201", reflect.TypeFor[api.StayView]()},
		{"/api/v1/stays/{id}", "get", nil, "200", reflect.TypeFor[api.StayView]()},
		{"/api/v1/stays/{id}/departure", "post", reflect.TypeFor[api.DepartureRequest](), "200", reflect.TypeFor[api.StayView]()},

		// The outreach routes (staff tokens) and the agency routes
		// (partner tokens).
		{"/api/v1/clients/{id}/plan", "get", nil, "200", reflect.TypeFor[api.SupportPlan]()},
		{"/api/v1/clients/{id}/plan", "post", nil, "201", reflect.TypeFor[api.Created]()},
		{"/api/v1/plans/{id}/needs", "post", reflect.TypeFor[api.NeedRequest](), "201", reflect.TypeFor[api.Created]()},
		{"/api/v1/needs/{id}", "post", reflect.TypeFor[api.NeedUpdateRequest](), "200", reflect.TypeFor[api.Saved]()},
		{"/api/v1/needs/{id}/actions", "post", reflect.TypeFor[api.ActionRequest](), "201", reflect.TypeFor[api.Created]()},
		{"/api/v1/actions/{id}/done", "post", nil, "200", reflect.TypeFor[api.Saved]()},
		{"/api/v1/plans/{id}/safety-plan", "post", reflect.TypeFor[api.SafetyPlanRequest](), "200", reflect.TypeFor[api.Saved]()},
		{"/api/v1/plans/{id}/outcomes", "post", reflect.TypeFor[api.OutcomeRequest](), "200", reflect.TypeFor[api.Saved]()},
		{"/api/v1/clients/{id}/sessions", "post", reflect.TypeFor[api.BookRequest](), "201", reflect.TypeFor[api.SessionsBooked]()},
		{"/api/v1/sessions", "get", nil, "200", reflect.TypeFor[api.SessionList]()},
		{"/api/v1/sessions/{id}", "get", nil, "200", reflect.TypeFor[api.SessionView]()},
		{"/api/v1/sessions/{id}", "post", reflect.TypeFor[api.RecordSessionRequest](), "200", reflect.TypeFor[api.SessionView]()},
		{"/api/v1/sessions/{id}/checkin", "post", nil, "200", reflect.TypeFor[api.Saved]()},
		{"/api/v1/clients/{id}/partner-referrals", "get", nil, "200", reflect.TypeFor[api.PartnerReferralList]()},
		{"/api/v1/clients/{id}/partner-referrals", "post", reflect.TypeFor[api.PartnerReferralRequest](), "201", reflect.TypeFor[api.PartnerReferralView]()},
		{"/api/v1/partner-referrals/{id}/withdraw", "post", reflect.TypeFor[api.WithdrawRequest](), "200", reflect.TypeFor[api.PartnerReferralView]()},
		{"/api/v1/clients/{id}/volunteer-matches", "get", nil, "200", reflect.TypeFor[api.MatchList]()},
		{"/api/v1/clients/{id}/volunteer-matches", "post", reflect.TypeFor[api.MatchRequest](), "201", reflect.TypeFor[api.Created]()},
		{"/api/v1/volunteer-matches/{id}/end", "post", nil, "200", reflect.TypeFor[api.Saved]()},
		{"/api/v1/agency/referrals", "get", nil, "200", reflect.TypeFor[api.PartnerReferralList]()},
		{"/api/v1/agency/referrals/{id}/status", "post", reflect.TypeFor[api.AgencyStatusRequest](), "200", reflect.TypeFor[api.PartnerReferralView]()},
	} {
		op, ok := d["paths"].(doc)[c.path].(doc)[c.method].(doc)
		if !ok {
			t.Errorf("%s %s is not in the document", c.method, c.path)
			continue
		}
		at := strings.ToUpper(c.method) + " " + c.path
		rb, hasBody := op["requestBody"].(doc)
		switch {
		case c.body == nil && hasBody:
			t.Errorf("%s: the document gives a body the handler does not read", at)
		case c.body != nil && !hasBody:
			t.Errorf("%s: the document gives no request body", at)
		case c.body != nil:
			checkSchema(t, d, at+" body", c.body, rb["content"].(doc)["application/json"].(doc)["schema"].(doc))
		}
		resp, ok := op["responses"].(doc)[c.status].(doc)
		if !ok {
			t.Errorf("%s: no %s response", at, c.status)
			continue
		}
		checkSchema(t, d, at+" "+c.status, c.answer, resp["content"].(doc)["application/json"].(doc)["schema"].(doc))
	}
}

func checkSchema(t *testing.T, root doc, at string, typ reflect.Type, s doc) {
	t.Helper()
	s = resolve(t, root, s)
	switch {
	case typ == reflect.TypeFor[time.Time]():
		if s["type"] != "string" || s["format"] != "date-time" {
			t.Errorf("%s: a time is not a date-time string in the document: %v", at, s)
		}
	case typ.Kind() == reflect.String:
		if s["type"] != "string" {
			t.Errorf("%s: type %v, want string", at, s["type"])
		}
	case typ.Kind() == reflect.Int:
		if s["type"] != "integer" {
			t.Errorf("%s: type %v, want integer", at, s["type"])
		}
	case typ.Kind() == reflect.Bool:
		if s["type"] != "boolean" {
			t.Errorf("%s: type %v, want boolean", at, s["type"])
		}
	case typ.Kind() == reflect.Slice:
		if s["type"] != "array" {
			t.Errorf("%s: type %v, want array", at, s["type"])
			return
		}
		checkSchema(t, root, at+"[]", typ.Elem(), s["items"].(doc))
	case typ.Kind() == reflect.Struct:
		if s["type"] != "object" {
			t.Errorf("%s: type %v, want object", at, s["type"])
			return
		}
		props, _ := s["properties"].(doc)
		var names, required []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" || name == "-" {
				t.Fatalf("%s.%s has no json name", at, f.Name)
			}
			names = append(names, name)
			if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
				required = append(required, name)
			}
			p, ok := props[name].(doc)
			if !ok {
				t.Errorf("%s.%s is not in the document", at, name)
				continue
			}
			checkSchema(t, root, at+"."+name, f.Type, p)
		}
		var docNames []string
		for k := range props {
			docNames = append(docNames, k)
		}
		var docRequired []string
		for _, r := range asList(s["required"]) {
			docRequired = append(docRequired, r.(string))
		}
		sort.Strings(names)
		sort.Strings(docNames)
		sort.Strings(required)
		sort.Strings(docRequired)
		if !slices.Equal(names, docNames) {
			t.Errorf("%s: properties %v in the document, %v in Go", at, docNames, names)
		}
		if !slices.Equal(required, docRequired) {
			t.Errorf("%s: required %v in the document, %v in Go (fields without omitempty)", at, docRequired, required)
		}
	default:
		t.Errorf("%s: no rule for Go type %s", at, typ)
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
