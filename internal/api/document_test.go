package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/api"
	"frontdoor/internal/auth"
	"frontdoor/internal/outreach"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// docExample is a valid request of one operation, in a world where it
// succeeds: the harness whose server and database it uses, a token, the
// path with its IDs, the body, and whether it needs an Idempotency-Key.
type docExample struct {
	h     *harness
	token string
	path  string
	body  string
	key   bool
}

// breakage is an example body with one thing wrong, and the field the
// answer must name.
type breakage struct {
	what, field string
	body        []byte
}

// marker is in every broken value the walk makes up: an answer must not
// repeat it.
const marker = "Qx7"

// The API holds every request body to its OpenAPI document. Walking the
// document (not a list kept by hand), each operation with a body is sent
// its valid example with each required field left out in turn (at every
// depth), and with each documented constraint broken in turn (enum,
// minLength, maxLength, minimum, maximum, maxItems, minItems, pattern,
// formats), a value of the wrong type, null, a control character, broken
// UTF-8 and an unpaired surrogate in each field, each field inside a list
// through the list's first element: every one is 422 naming the field,
// repeats nothing sent and changes nothing (no audit event, so no write).
// Then the example itself succeeds with the operation's documented status.
func TestEveryBodyIsHeldToTheDocument(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		root := openAPIDoc(t)
		examples := documentExamples(t, d)
		type operation struct {
			id, method, path string
			op               doc
		}
		var ops []operation
		for path, item := range root["paths"].(doc) {
			for method, op := range item.(doc) {
				if _, ok := op.(doc)["requestBody"]; ok {
					ops = append(ops, operation{op.(doc)["operationId"].(string), strings.ToUpper(method), path, op.(doc)})
				}
			}
		}
		sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
		if len(ops) < 17 {
			t.Fatalf("only %d operations with a body in the document", len(ops))
		}
		for id := range examples {
			if !slices.ContainsFunc(ops, func(o operation) bool { return o.id == id }) {
				t.Errorf("example for %s, which the document does not have", id)
			}
		}
		keys := 0
		for _, o := range ops {
			t.Run(o.id, func(t *testing.T) {
				mk, ok := examples[o.id]
				if !ok {
					t.Fatalf("no valid example for %s %s: add one", o.method, o.path)
				}
				ex := mk(t)
				if !pathOf(o.path, ex.path) {
					t.Fatalf("example path %s is not %s", ex.path, o.path)
				}
				success := ""
				for code := range o.op["responses"].(doc) {
					if code[0] == '2' {
						success = code
					}
				}
				body := o.op["requestBody"].(doc)["content"].(doc)["application/json"].(doc)["schema"].(doc)
				send := func(b []byte) response {
					key := ""
					if ex.key {
						keys++
						key = fmt.Sprint("walk-", keys)
					}
					return ex.h.do(t, o.method, ex.path, ex.token, key, string(b))
				}
				audited := ex.h.count(t, `SELECT count(*) FROM audit_events`)
				broken := breakages(t, root, body, ex.body)
				if len(broken) < 5 {
					t.Fatalf("only %d ways to break the body", len(broken))
				}
				for _, b := range broken {
					r := send(b.body)
					if r.status != http.StatusUnprocessableEntity || !slices.Contains(fieldsOf(t, r), b.field) {
						t.Errorf("%s: %d %s, want 422 naming %s (body %s)", b.what, r.status, r.body, b.field, b.body)
					}
					if strings.Contains(r.body, marker) {
						t.Errorf("%s: the answer repeats what was sent: %s", b.what, r.body)
					}
				}
				if n := ex.h.count(t, `SELECT count(*) FROM audit_events`); n != audited {
					t.Errorf("%d audit events from refused bodies", n-audited)
				}
				if r := send([]byte(ex.body)); strconv.Itoa(r.status) != success {
					t.Fatalf("the valid example: %d %s, want %s", r.status, r.body, success)
				}
			})
		}
	})
}

// breakages walks the schema s of a body beside the example and makes
// the example wrong in each way the document forbids.
func breakages(t *testing.T, root doc, s doc, example string) []breakage {
	t.Helper()
	var out []breakage
	add := func(what string, path []any, field string, v any, raw ...string) {
		b := edit(t, example, path, v)
		if len(raw) > 0 {
			b = bytes.Replace(b, []byte(`"`+marker+`-raw"`), []byte(raw[0]), 1)
		}
		out = append(out, breakage{what: what + " at " + dotted(path, true), field: field, body: b})
	}
	var walk func(s doc, path []any)
	walk = func(s doc, path []any) {
		s = resolve(t, root, s)
		typ, _ := s["type"].(string)
		field, typeField := dotted(path, false), dotted(path, true)
		if len(path) > 0 {
			// The decoder names a value of the wrong type by its path
			// without indexes; the document's checks name anything in a
			// list by the list.
			wrong := map[string]any{"string": 7, "integer": marker, "boolean": marker, "object": marker, "array": marker}[typ]
			add("wrong type", path, typeField, wrong)
			add("null", path, field, nil)
		}
		switch typ {
		case "string":
			_, enum := s["enum"]
			format, _ := s["format"].(string)
			pattern, _ := s["pattern"].(string)
			if enum {
				add("not in the enum", path, field, marker+"-none")
			}
			if n, ok := s["minLength"].(float64); ok && n > 0 {
				add("shorter than minLength", path, field, strings.Repeat("a", int(n)-1))
			}
			if n, ok := s["maxLength"].(float64); ok {
				add("longer than maxLength", path, field, strings.Repeat("é", int(n)+1))
			}
			switch format {
			case "date":
				add("not a date", path, field, "2026-02-30")
				add("not a date", path, field, "31/12/2026")
			case "date-time":
				add("not a date-time", path, field, "2026-12-01 10:00")
			case "uuid":
				add("not an ID", path, field, marker+"-not-an-id")
				add("not an ID", path, field, "0190F2A0-0000-7000-8000-0000000000A1")
			case "":
			default:
				t.Errorf("%s: format %s: add a way to break it", field, format)
			}
			if pattern != "" {
				re := regexp.MustCompile(pattern)
				for _, v := range []string{marker + "!", "", " ", "é", marker + "\x7f"} {
					if !re.MatchString(v) {
						add("not matching the pattern", path, field, v)
						break
					}
				}
			}
			if !enum && format == "" && pattern == "" {
				// Free text: the capability's text rules, as on the pages.
				add("a control character", path, field, marker+"\a")
			}
			add("broken UTF-8", path, field, marker+"-raw", "\"a\xffb\"")
			add("an unpaired surrogate", path, field, marker+"-raw", `"a\ud800b"`)
		case "integer":
			if n, ok := s["minimum"].(float64); ok {
				add("below the minimum", path, field, int64(n)-1)
			}
			if n, ok := s["maximum"].(float64); ok {
				add("above the maximum", path, field, int64(n)+1)
			}
		case "boolean":
		case "object":
			props, _ := s["properties"].(doc)
			names := make([]string, 0, len(props))
			for name := range props {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				p := append(slices.Clip(path), any(name))
				if slices.Contains(asList(s["required"]), any(name)) {
					add("left out", p, dotted(p, false), deleted{})
				}
				walk(props[name].(doc), p)
			}
		case "array":
			list, _ := lookupPath(t, example, path).([]any)
			if len(list) == 0 {
				t.Errorf("the example has no element in %s to break", field)
				return
			}
			if n, ok := s["maxItems"].(float64); ok {
				more := make([]any, int(n)+1)
				for i := range more {
					more[i] = list[0]
				}
				add("more than maxItems", path, field, more)
			}
			if n, ok := s["minItems"].(float64); ok && n > 0 {
				add("fewer than minItems", path, field, list[:int(n)-1])
			}
			walk(s["items"].(doc), append(slices.Clip(path), any(0)))
		default:
			t.Errorf("%s: type %v: add a way to break it", field, typ)
		}
	}
	walk(s, nil)
	return out
}

// pathOf reports whether path is the document's template with IDs in
// its {parameters}.
func pathOf(template, path string) bool {
	want, got := strings.Split(template, "/"), strings.Split(path, "/")
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		if strings.HasPrefix(want[i], "{") {
			if len(got[i]) != 36 {
				return false
			}
		} else if want[i] != got[i] {
			return false
		}
	}
	return true
}

// deleted, as the value of an edit, leaves the field out.
type deleted struct{}

// dotted is path as the answer names it: up to the first list (the
// document's checks), or every key without indexes (the decoder).
func dotted(path []any, throughLists bool) string {
	var keys []string
	for _, p := range path {
		k, ok := p.(string)
		if !ok {
			if !throughLists {
				break
			}
			continue
		}
		keys = append(keys, k)
	}
	return strings.Join(keys, ".")
}

func decodeExample(t *testing.T, example string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(example))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("example is not JSON: %v", err)
	}
	return v
}

func lookupPath(t *testing.T, example string, path []any) any {
	v := decodeExample(t, example)
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// edit is the example with the value at path set to v (deleted{}: left
// out), making objects on the way as needed.
func edit(t *testing.T, example string, path []any, v any) []byte {
	t.Helper()
	top := decodeExample(t, example)
	var set func(cur any, path []any) any
	set = func(cur any, path []any) any {
		if len(path) == 0 {
			return v
		}
		switch k := path[0].(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				m = map[string]any{}
			}
			if _, del := v.(deleted); del && len(path) == 1 {
				delete(m, k)
				return m
			}
			m[k] = set(m[k], path[1:])
			return m
		case int:
			l, _ := cur.([]any)
			if k >= len(l) {
				t.Fatalf("no element %d to edit", k)
			}
			l[k] = set(l[k], path[1:])
			return l
		}
		return cur
	}
	b, err := json.Marshal(set(top, path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// documentExamples is a valid request of every operation with a body, by
// operationId, each made ready in its world when called: the referral
// harness, the accommodation world (with a property of four units for
// the walk) and the outreach world. Each example gets fresh tokens, so the
// walk does not meet the rate limit.
func documentExamples(t *testing.T, d store.Dialect) map[string]func(t *testing.T) docExample {
	ref := newHarness(t, d)
	acc := newAccommodation(t, d)
	out := newOutreachWorld(t, d)
	staffToken := func(t *testing.T, accounts *auth.Service, staffID, scope string) string {
		secret, _, err := accounts.CreateStaffToken(ctx, "", staffID, "Document walk", []string{scope}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	today := time.Now().UTC().Format("2006-01-02")
	soon := time.Now().UTC().AddDate(0, 0, 14).Format("2006-01-02")

	// Accommodation: a property of four three-bedspace units. The
	// walk's holds are the client's, beside each other: further holds by
	// a team manager of her team, so the one-live-hold rule lets them be.
	crit := refuge.Criteria{Service: refuge.Women, MaxHouseholdSize: 4, MaxChildren: 3, MaxBoyAge: 14, OutOfArea: true}
	np := refuge.NewProperty{TeamID: "refuge-a", Name: "Walk House", Kind: refuge.Communal, Town: "Ashby", Area: "Northgate", Address: "2 Hidden Row, Ashby", Accepts: crit}
	for i := range 4 {
		np.Units = append(np.Units, refuge.NewUnit{Name: "Room " + strconv.Itoa(i+1), Bedspaces: 3})
	}
	walkHouse, err := acc.rf.CreateProperty(ctx, acc.manager, np)
	if err != nil {
		t.Fatal(err)
	}
	unit := func(i int) string { return walkHouse.Units[i].ID }
	household := `{"adults": 1, "children": [{"age": 6, "sex": "female"}], "service": "women"}`
	// accepted is a referral of the client for unit i, held, offered and
	// accepted.
	accepted := func(t *testing.T, i int) string {
		r, err := acc.rf.Hold(ctx, acc.lead, refuge.HoldRequest{UnitID: unit(i), Household: refuge.Household{ClientID: acc.client, Adults: 2, Service: refuge.Women}, FurtherHold: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := acc.rf.Offer(ctx, acc.workerA, r.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := acc.rf.Accept(ctx, acc.frontdoor, r.ID); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}

	// Outreach: the client's plan with a housing need, made once.
	var planID, needID string
	plan := func(t *testing.T) (string, string) {
		if planID == "" {
			var err error
			if planID, err = out.svc.StartPlan(ctx, out.worker, out.client); err != nil {
				t.Fatal(err)
			}
			if needID, err = out.svc.AddNeed(ctx, out.worker, planID, outreach.NewNeed{Area: outreach.Housing, Need: "Tenancy at risk", Goals: "Keep the flat"}); err != nil {
				t.Fatal(err)
			}
		}
		return planID, needID
	}
	current := func(t *testing.T) *outreach.Plan {
		p, err := out.svc.Plan(ctx, out.worker, out.client)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	partnerReferral := func(t *testing.T) (string, int) {
		rid, err := out.svc.ReferToPartner(ctx, out.worker, outreach.NewPartnerReferral{ClientID: out.client, AgreementID: out.isa, Kind: "target_hardening",
			Consent: true, Share: []outreach.ShareField{"name"}, Request: "Fit new locks"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := out.svc.OpenPartnerReferral(ctx, out.worker, rid)
		if err != nil {
			t.Fatal(err)
		}
		return rid, p.Version
	}
	worker := func(t *testing.T) string { return staffToken(t, out.accounts, out.worker.StaffID, api.ScopeOutreach) }

	return map[string]func(t *testing.T) docExample{
		"createReferral": func(t *testing.T) docExample {
			secret, _, err := ref.accounts.CreateToken(ctx, "", policeOrg, "Document walk", []string{"referral.create"}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return docExample{h: ref, token: secret, path: "/api/v1/referrals", key: true, body: `{
				"client": {"given_name": "Zephyrine", "family_name": "Quillfeather", "date_of_birth": "1988-04-02", "phone": "07700 900123", "email": "z@example.org",
					"safe_contact": {"phone": "07700 900456", "times": "weekdays 10-2", "voicemail": "unsafe", "text": "safe", "email": "not_known", "post": "unsafe",
						"codeword": "blue", "who_else_may_answer": "Her sister"}},
				"referral": {"source": "police", "referrer_org": "County Police", "risk_level": "high", "summary": "Callout last night; children present."}}`}
		},
		"searchVacancies": func(t *testing.T) docExample {
			return docExample{h: acc.harness, token: staffToken(t, acc.accounts, acc.frontdoor.StaffID, api.ScopeAccommodation), path: "/api/v1/vacancies/search",
				body: `{"client_id": "` + acc.client + `", "household": {"adults": 1, "children": [{"age": 6, "sex": "female"}], "service": "women",
					"wheelchair": false, "ground_floor": false, "mental_health": false, "substance_use": false, "complex_needs": false, "nrpf": false, "pets": false,
					"language": "English", "area": "Northgate", "home_town": "Ashby"}}`}
		},
		"holdVacancy": func(t *testing.T) docExample {
			return docExample{h: acc.harness, token: staffToken(t, acc.accounts, acc.lead.StaffID, api.ScopeAccommodation), path: "/api/v1/holds",
				body: `{"unit_id": "` + unit(0) + `", "client_id": "` + acc.client + `", "household": ` + household + `, "further_hold": true}`}
		},
		"declineAccommodation": func(t *testing.T) docExample {
			r, err := acc.rf.Hold(ctx, acc.lead, refuge.HoldRequest{UnitID: unit(1), Household: refuge.Household{ClientID: acc.client, Adults: 2, Service: refuge.Women}, FurtherHold: true})
			if err != nil {
				t.Fatal(err)
			}
			return docExample{h: acc.harness, token: staffToken(t, acc.accounts, acc.frontdoor.StaffID, api.ScopeAccommodation),
				path: "/api/v1/accommodation-referrals/" + r.ID + "/decline", body: `{"by": "client", "reason": "client_declined", "note": "Staying with family"}`}
		},
		"admitHousehold": func(t *testing.T) docExample {
			rid := accepted(t, 2)
			return docExample{h: acc.harness, token: staffToken(t, acc.accounts, acc.workerA.StaffID, api.ScopeAccommodation),
				path: "/api/v1/accommodation-referrals/" + rid + "/admit",
				body: `{"move_in": "` + today + `", "members": {"adults": ["` + acc.other + `"], "children": ["` + acc.child + `"]}}`}
		},
		"recordDeparture": func(t *testing.T) docExample {
			st, err := acc.rf.Admit(ctx, acc.workerA, accepted(t, 3), refuge.Admission{MoveIn: time.Now().UTC()})
			if err != nil {
				t.Fatal(err)
			}
			return docExample{h: acc.harness, token: staffToken(t, acc.accounts, acc.workerA.StaffID, api.ScopeAccommodation),
				path: "/api/v1/stays/" + st.ID + "/departure", body: `{"date": "` + today + `", "reason": "planned_move_on", "move_on": "social_housing"}`}
		},
		"addNeed": func(t *testing.T) docExample {
			pid, _ := plan(t)
			return docExample{h: out.harness, token: worker(t), path: "/api/v1/plans/" + pid + "/needs",
				body: `{"area": "safety", "need": "Feels unsafe at home", "goals": "New locks"}`}
		},
		"updateNeed": func(t *testing.T) docExample {
			_, nid := plan(t)
			version := 0
			for _, n := range current(t).Needs {
				if n.ID == nid {
					version = n.Version
				}
			}
			return docExample{h: out.harness, token: worker(t), path: "/api/v1/needs/" + nid,
				body: `{"need": "Tenancy at risk", "goals": "Keep the flat", "progress": "Arrears agreed", "status": "active", "version": ` + strconv.Itoa(version) + `}`}
		},
		"addAction": func(t *testing.T) docExample {
			_, nid := plan(t)
			return docExample{h: out.harness, token: worker(t), path: "/api/v1/needs/" + nid + "/actions",
				body: `{"text": "Call the housing officer", "owner_id": "` + out.worker.StaffID + `", "due": "` + soon + `"}`}
		},
		"saveSafetyPlan": func(t *testing.T) docExample {
			pid, _ := plan(t)
			return docExample{h: out.harness, token: worker(t), path: "/api/v1/plans/" + pid + "/safety-plan",
				body: `{"safety_plan": "Bag packed at a friend's", "version": ` + strconv.Itoa(current(t).Version) + `}`}
		},
		"recordOutcome": func(t *testing.T) docExample {
			pid, _ := plan(t)
			var scores []string
			for _, n := range current(t).Needs {
				scores = append(scores, `{"area": "`+string(n.Area)+`", "score": 3}`)
			}
			return docExample{h: out.harness, token: worker(t), path: "/api/v1/plans/" + pid + "/outcomes",
				body: `{"stage": "start", "scores": [` + strings.Join(scores, ", ") + `], "feels_safer": 3, "abuse_stopped": "no"}`}
		},
		"bookSessions": func(t *testing.T) docExample {
			start := time.Now().UTC().AddDate(0, 0, 1).Truncate(time.Hour).Format(time.RFC3339)
			return docExample{h: out.harness, token: worker(t), path: "/api/v1/clients/" + out.client + "/sessions",
				body: `{"kind": "office", "start": "` + start + `", "duration_minutes": 60, "weeks": 2, "reminder": "none", "worker_id": "` + out.worker.StaffID + `"}`}
		},
		"recordSession": func(t *testing.T) docExample {
			_, nid := plan(t)
			ids, err := out.svc.Book(ctx, out.worker, outreach.NewSessions{ClientID: out.client, Kind: outreach.Office, Start: time.Now().UTC().Add(-time.Hour),
				Duration: time.Hour, Weeks: 1, Reminder: outreach.NoReminder})
			if err != nil {
				t.Fatal(err)
			}
			s, err := out.svc.OpenSession(ctx, out.worker, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			return docExample{h: out.harness, token: worker(t), path: "/api/v1/sessions/" + ids[0],
				body: `{"status": "held", "discussed": "Rent arrears letter", "actions": [{"need_id": "` + nid + `", "text": "Call the housing officer",
					"owner_id": "` + out.worker.StaffID + `", "due": "` + soon + `"}], "version": ` + strconv.Itoa(s.Version) + `}`}
		},
		"referToPartner": func(t *testing.T) docExample {
			return docExample{h: out.harness, token: worker(t), path: "/api/v1/clients/" + out.client + "/partner-referrals",
				body: `{"agreement_id": "` + out.isa + `", "kind": "target_hardening", "consent": true, "share": ["name", "safe_phone"], "request": "Fit new locks"}`}
		},
		"withdrawPartnerReferral": func(t *testing.T) docExample {
			rid, version := partnerReferral(t)
			return docExample{h: out.harness, token: worker(t), path: "/api/v1/partner-referrals/" + rid + "/withdraw",
				body: `{"note": "She moved away", "version": ` + strconv.Itoa(version) + `}`}
		},
		"moveAgencyReferral": func(t *testing.T) docExample {
			rid, version := partnerReferral(t)
			secret, _, err := out.accounts.CreateToken(ctx, "", out.locksmith, "Document walk", []string{auth.ScopeAgencyUpdate}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return docExample{h: out.harness, token: secret, path: "/api/v1/agency/referrals/" + rid + "/status",
				body: `{"to": "accepted", "note": "We will call her", "version": ` + strconv.Itoa(version) + `}`}
		},
		"matchVolunteer": func(t *testing.T) docExample {
			return docExample{h: out.harness, token: worker(t), path: "/api/v1/clients/" + out.client + "/volunteer-matches",
				body: `{"volunteer_id": "` + out.volunteer.StaffID + `", "kind": "befriending", "purpose": "Walks in the park", "share_address": false}`}
		},
	}
}
