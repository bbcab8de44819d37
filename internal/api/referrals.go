package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/intake"
	"frontdoor/internal/people"
)

// ReferralRequest is the body of POST /api/v1/referrals. A field without
// omitempty is required (the OpenAPI document's required lists are checked
// against these tags).
type ReferralRequest struct {
	Client   ClientIn   `json:"client"`
	Referral ReferralIn `json:"referral"`
}

// ClientIn is the person the referral is about.
type ClientIn struct {
	GivenName    string        `json:"given_name"`
	FamilyName   string        `json:"family_name"`
	DateOfBirth  string        `json:"date_of_birth,omitempty"` // YYYY-MM-DD
	EstimatedAge int           `json:"estimated_age,omitempty"` // when the date of birth is not known
	Phone        string        `json:"phone,omitempty"`
	Email        string        `json:"email,omitempty"`
	SafeContact  SafeContactIn `json:"safe_contact"`
}

// SafeContactIn is how and when it is safe to get in touch. A channel not
// given is "not_known", which is treated as unsafe.
type SafeContactIn struct {
	Phone            string `json:"phone,omitempty"`
	Times            string `json:"times,omitempty"`
	Voicemail        string `json:"voicemail,omitempty"`
	Text             string `json:"text,omitempty"`
	Email            string `json:"email,omitempty"`
	Post             string `json:"post,omitempty"`
	Codeword         string `json:"codeword,omitempty"`
	WhoElseMayAnswer string `json:"who_else_may_answer,omitempty"`
}

// ReferralIn is the referral itself.
type ReferralIn struct {
	Source      string `json:"source"`
	ReferrerOrg string `json:"referrer_org,omitempty"`
	RiskLevel   string `json:"risk_level,omitempty"`
	Summary     string `json:"summary"`
}

// ReferralCreated is the answer to a POST, the same for a replay.
type ReferralCreated struct {
	ID         string    `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
}

// ReferralStatus is the answer to GET /api/v1/referrals/{id}.
type ReferralStatus struct {
	ID         string    `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	Status     string    `json:"status"`
}

// errBody is a problem with the request as a whole (not JSON, not an
// object, too large): a 400 or 413 naming the part at fault.
type errBody struct {
	status int
	p      problem
}

func (e *errBody) Error() string { return e.p.Code + ": " + e.p.Field }

// jsonName is a field path of ours; snakeName a key the sender used that
// is shaped like one (a misspelt field), which is safe to name back. Any
// other unknown key is not echoed: it could be anything, even personal.
var (
	jsonName  = regexp.MustCompile(`^[a-z0-9_.]{1,100}$`)
	snakeName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
)

// decodeReferral reads a referral body strictly (decodeBody).
func decodeReferral(body io.Reader, contentType string, max int64) (ReferralRequest, error) {
	return decodeBody[ReferralRequest](body, contentType, max, referralBody)
}

// bodyFaults is a body whose fields break the document's rules, answered
// 422 naming each (JSON paths of ours, never a value sent). Decoded says
// the body was read into the request type whole (no value of the wrong
// type), so that a handler may add the capability's own checks of it and
// name every problem at once.
type bodyFaults struct {
	fields  errs.Fields
	decoded bool
}

func (b *bodyFaults) Error() string { return b.fields.Error() }
func (b *bodyFaults) Unwrap() error { return b.fields }

// decodeBody reads a request body strictly: JSON content type, at most max
// bytes, one object, only the keys of spec (spelt exactly, each once), no
// trailing data, every string exactly as sent (valid UTF-8, no unpaired
// surrogate escape), and the OpenAPI document's schema of the route's body
// obeyed (schema.go). Problems with fields are a *bodyFaults (422) naming
// every field at fault; anything else wrong with the body is an *errBody
// naming the part at fault. Messages are catalogue keys.
func decodeBody[T any](body io.Reader, contentType string, max int64, spec *bodySpec) (T, error) {
	var req T
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return req, &errBody{http.StatusUnsupportedMediaType, problem{Field: "Content-Type", Code: string(errs.Invalid), Reason: "api.content_type"}}
	}
	b, err := io.ReadAll(io.LimitReader(body, max+1))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return req, &errBody{http.StatusRequestEntityTooLarge, problem{Code: string(errs.Invalid), Reason: "api.body_too_large"}}
		}
		return req, &errBody{http.StatusBadRequest, problem{Code: string(errs.Invalid), Reason: "api.body_unreadable"}}
	}
	if int64(len(b)) > max {
		return req, &errBody{http.StatusRequestEntityTooLarge, problem{Code: string(errs.Invalid), Reason: "api.body_too_large"}}
	}
	// encoding/json matches keys without regard to letter case and lets
	// the last of two equal keys win, so {"given_name": "", "GIVEN_NAME":
	// "Kira"} would decode; check the keys exactly first, and find the
	// strings it would alter.
	faults, bad := checkKeys(b, spec.keys)
	if bad != nil {
		return req, bad
	}
	if len(faults) == 0 && !utf8.Valid(b) {
		// Broken text where no field of ours can be named for it (in a
		// value of the wrong type): refused whole rather than altered.
		return req, &errBody{http.StatusBadRequest, problem{Code: string(errs.Invalid), Reason: "api.body_not_utf8"}}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "" && jsonName.MatchString(typeErr.Field):
			return req, &bodyFaults{fields: addField(faults, errs.Field(typeErr.Field, "api.wrong_type"))}
		case errors.As(err, &typeErr):
			return req, &errBody{http.StatusBadRequest, problem{Code: string(errs.Invalid), Reason: "api.body_not_object"}}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			if !snakeName.MatchString(name) {
				name = ""
			}
			return req, &errBody{http.StatusBadRequest, problem{Field: name, Code: string(errs.Invalid), Reason: "api.unknown_field"}}
		default:
			return req, &errBody{http.StatusBadRequest, problem{Code: string(errs.Invalid), Reason: "api.body_not_json"}}
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return req, &errBody{http.StatusBadRequest, problem{Code: string(errs.Invalid), Reason: "api.body_not_json"}}
	}
	// The document's rules, on the body as sent: presence (a field left
	// out is not the same as one sent empty), null, enums, lengths,
	// ranges, formats.
	var v any
	generic := json.NewDecoder(bytes.NewReader(b))
	generic.UseNumber()
	if err := generic.Decode(&v); err != nil {
		return req, &errBody{http.StatusBadRequest, problem{Code: string(errs.Invalid), Reason: "api.body_not_json"}}
	}
	if _, ok := v.(map[string]any); !ok {
		return req, &errBody{http.StatusBadRequest, problem{Code: string(errs.Invalid), Reason: "api.body_not_object"}}
	}
	for _, f := range spec.schema.check(v) {
		faults = addField(faults, f)
	}
	if len(faults) > 0 {
		return req, &bodyFaults{fields: faults, decoded: true}
	}
	return req, nil
}

// addField appends f unless its field is already named.
func addField(fe errs.Fields, f *errs.Error) errs.Fields {
	if slices.Contains(fe.Names(), f.Field) {
		return fe
	}
	return append(fe, f)
}

// keySchema is the object keys allowed at one level of a request body,
// exactly as spelt in the json tags; a key maps to the keys of the object
// it holds (or, for an array of objects, the keys of each element), or to
// nil when it holds a plain value.
type keySchema map[string]keySchema

// schemaOf is the keySchema of a struct type, read from its json tags.
func schemaOf(t reflect.Type) keySchema {
	s := keySchema{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		var sub keySchema
		switch ft := f.Type; {
		case ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Time]():
			sub = schemaOf(ft)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct && ft.Elem() != reflect.TypeFor[time.Time]():
			sub = schemaOf(ft.Elem())
		}
		s[name] = sub
	}
	return s
}

// referralBody is what a ReferralRequest body is held to.
var referralBody = bodyOf[ReferralRequest]("POST /api/v1/referrals")

// asciiKey is a key that may be named back when it is one of ours in other
// letter case (GIVEN_NAME): ASCII only, so nothing but our own field name
// is echoed.
var asciiKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// checkKeys walks the body's tokens and refuses, as a 400 naming the key's
// path ("client.GIVEN_NAME"), the first object key that is not exactly
// (letter case included) one of the request's fields at its level, or that
// comes twice in one object. Values are never echoed, and a key is named
// only when it is shaped like a field name (see keyName). A body that is
// not JSON is api.body_not_json; one whose top level is not an object, or
// a field holding the wrong kind of value, is left for the decoder to
// report as it always has. Trailing data is not looked at here.
//
// It also returns, as field errors, the fields of ours whose string value
// the decoder would alter (see faithful); inside a list they are named by
// the list, as the schema's checks name them.
func checkKeys(b []byte, keys keySchema) (errs.Fields, *errBody) {
	w := &keyWalk{b: b, dec: json.NewDecoder(bytes.NewReader(b))}
	tok, err := w.dec.Token()
	if err != nil {
		return nil, &errBody{http.StatusBadRequest, problem{Code: string(errs.Invalid), Reason: "api.body_not_json"}}
	}
	if tok != json.Delim('{') {
		return nil, nil
	}
	if bad := w.object(keys, "", ""); bad != nil {
		return nil, bad
	}
	return w.faults, nil
}

// keyWalk is one walk of checkKeys over the body b.
type keyWalk struct {
	b      []byte
	dec    *json.Decoder
	faults errs.Fields
}

var errNotJSON = &errBody{http.StatusBadRequest, problem{Code: string(errs.Invalid), Reason: "api.body_not_json"}}

// value reads the next token, noting a string the decoder would alter
// against field.
func (w *keyWalk) value(field string) (json.Token, error) {
	start := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if _, ok := tok.(string); ok && err == nil && !faithful(w.b[start:w.dec.InputOffset()]) {
		w.faults = addField(w.faults, errs.Field(field, "field.invalid_text"))
	}
	return tok, err
}

// object checks the keys of an object whose '{' has been read, with path
// the keys above it ("client."); list, when not "", is the list the object
// is an element of, which names its faults.
func (w *keyWalk) object(allowed keySchema, path, list string) *errBody {
	seen := map[string]bool{}
	for {
		tok, err := w.dec.Token()
		if err != nil {
			return errNotJSON
		}
		if tok == json.Delim('}') {
			return nil
		}
		key, ok := tok.(string)
		if !ok {
			return errNotJSON
		}
		sub, known := allowed[key]
		switch {
		case !known:
			return &errBody{http.StatusBadRequest, problem{Field: keyName(allowed, path, key), Code: string(errs.Invalid), Reason: "api.unknown_field"}}
		case seen[key]:
			return &errBody{http.StatusBadRequest, problem{Field: path + key, Code: string(errs.Invalid), Reason: "api.duplicate_key"}}
		}
		seen[key] = true
		name := list
		if name == "" {
			name = path + key
		}
		tok, err = w.value(name)
		if err != nil {
			return errNotJSON
		}
		switch {
		case tok == json.Delim('{') && sub != nil:
			if bad := w.object(sub, path+key+".", list); bad != nil {
				return bad
			}
		case tok == json.Delim('['):
			// A list: each element's keys (of a list of objects) under
			// the field's path (no index: nothing of the sender's is
			// named), and each string element's text.
			if bad := w.array(sub, path+key+".", name); bad != nil {
				return bad
			}
		case tok == json.Delim('{'):
			// The wrong kind of value: the decoder names the field.
			if !skipValue(w.dec) {
				return errNotJSON
			}
		}
	}
}

// array checks the elements of a list whose '[' has been read: the keys
// of each object when allowed is the element's keys, the text of each
// string; anything else is left for the decoder. Faults are named list.
func (w *keyWalk) array(allowed keySchema, path, list string) *errBody {
	for {
		tok, err := w.value(list)
		if err != nil {
			return errNotJSON
		}
		switch {
		case tok == json.Delim(']'):
			return nil
		case tok == json.Delim('{') && allowed != nil:
			if bad := w.object(allowed, path, list); bad != nil {
				return bad
			}
		case tok == json.Delim('{') || tok == json.Delim('['):
			if !skipValue(w.dec) {
				return errNotJSON
			}
		}
	}
}

// skipValue reads to the end of an object or array whose opening delimiter
// has been read, without recursion (the body may nest deeply).
func skipValue(dec *json.Decoder) bool {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return true
}

// keyName is the path to name for an unknown key: the key is given only
// when it is shaped like a field name of ours (snake case) or is one of
// the fields at its level in other letter case; any other key could be
// anything, even personal, and is not echoed.
func keyName(allowed keySchema, path, key string) string {
	if snakeName.MatchString(key) {
		return path + key
	}
	if asciiKey.MatchString(key) {
		for name := range allowed {
			if strings.EqualFold(name, key) {
				return path + key
			}
		}
	}
	return ""
}

// incoming turns a request into the intake service's input.
func (req ReferralRequest) incoming() (people.NewClient, intake.IncomingReferral) {
	c, sc := req.Client, req.Client.SafeContact
	return people.NewClient{GivenName: c.GivenName, FamilyName: c.FamilyName, Details: people.Details{
			DateOfBirth: c.DateOfBirth, EstimatedAge: c.EstimatedAge, Phone: c.Phone, Email: c.Email,
			SafeContact: people.SafeContact{Phone: sc.Phone, Times: sc.Times, Voicemail: sc.Voicemail, Text: sc.Text, Email: sc.Email,
				Post: sc.Post, Codeword: sc.Codeword, WhoElseMayAnswer: sc.WhoElseMayAnswer},
		}}, intake.IncomingReferral{Source: intake.Source(req.Referral.Source), ReferrerOrg: req.Referral.ReferrerOrg,
			RiskLevel: intake.RiskLevel(req.Referral.RiskLevel), Summary: req.Referral.Summary}
}

// fieldPaths maps the intake and people services' field names to the JSON
// paths of ReferralRequest.
var fieldPaths = map[string]string{
	"client.safe_phone":          "client.safe_contact.phone",
	"client.safe_times":          "client.safe_contact.times",
	"client.safe_voicemail":      "client.safe_contact.voicemail",
	"client.safe_text":           "client.safe_contact.text",
	"client.safe_email":          "client.safe_contact.email",
	"client.safe_post":           "client.safe_contact.post",
	"client.codeword":            "client.safe_contact.codeword",
	"client.who_else_may_answer": "client.safe_contact.who_else_may_answer",
}

// exposed lists the JSON paths a field error may name; any other field
// (one the API does not take) is reported against "client".
var exposed = map[string]bool{
	"client.given_name": true, "client.family_name": true, "client.date_of_birth": true, "client.estimated_age": true,
	"client.phone": true, "client.email": true,
	"referral.source": true, "referral.referrer_org": true, "referral.risk_level": true, "referral.summary": true,
}

func fieldPath(f string) string {
	if p, ok := fieldPaths[f]; ok {
		return p
	}
	if exposed[f] {
		return f
	}
	if strings.HasPrefix(f, "referral.") {
		return "referral"
	}
	return "client"
}

// MaxIdempotencyKeyLen is the longest Idempotency-Key accepted.
const MaxIdempotencyKeyLen = intake.MaxIdempotencyKeyLen

func (a *API) createReferral(w http.ResponseWriter, r *http.Request, t *auth.APIToken) {
	key := r.Header.Get("Idempotency-Key")
	if len(r.Header.Values("Idempotency-Key")) != 1 || !intake.ValidIdempotencyKey(key) {
		a.fail(w, r, http.StatusBadRequest, problem{Field: "Idempotency-Key", Code: string(errs.Invalid), Reason: a.msg("api.idempotency_key", MaxIdempotencyKeyLen)})
		return
	}
	req, err := decodeReferral(http.MaxBytesReader(w, r.Body, a.MaxBody), r.Header.Get("Content-Type"), a.MaxBody)
	var bad *errBody
	if errors.As(err, &bad) {
		p := bad.p
		p.Reason = a.msg(p.Reason)
		a.fail(w, r, bad.status, p)
		return
	}
	var faults *bodyFaults
	if errors.As(err, &faults) && faults.decoded {
		// Every problem at once: what the intake service would refuse
		// besides, without writing anything.
		client, ref := req.incoming()
		fe := faults.fields
		for _, f := range errs.AllFields(a.Intake.CheckIncoming(intake.Incoming{Client: client, Referral: ref})) {
			fe = addField(fe, errs.Field(fieldPath(f.Field), f.Key, f.Args...))
		}
		a.fault(w, r, fe)
		return
	}
	if err != nil {
		a.fault(w, r, err)
		return
	}
	org, err := a.Intake.FrontDoorOrganisation(r.Context())
	if err != nil {
		a.fault(w, r, err)
		return
	}
	client, ref := req.incoming()
	out, err := a.Intake.Receive(r.Context(), intake.Incoming{Via: intake.ViaAPI, OrganisationID: org, APITokenID: t.ID, IdempotencyKey: key,
		Client: client, Referral: ref})
	if err != nil {
		a.fault(w, r, err, fieldPath)
		return
	}
	w.Header().Set("Location", "/api/v1/referrals/"+out.ID)
	a.writeJSON(w, http.StatusCreated, ReferralCreated{ID: out.ID, ReceivedAt: out.ReceivedAt.UTC()})
}

func (a *API) getReferral(w http.ResponseWriter, r *http.Request, t *auth.APIToken) {
	rid := r.PathValue("id")
	if !id.Valid(rid) {
		a.fail(w, r, http.StatusNotFound, problem{Code: string(errs.NotFound), Reason: a.msg("error.not_found")})
		return
	}
	st, err := a.Intake.InboundStatus(r.Context(), t.OrganisationID, t.ID, rid)
	if err != nil {
		a.fault(w, r, err)
		return
	}
	a.writeJSON(w, http.StatusOK, ReferralStatus{ID: st.ID, ReceivedAt: st.ReceivedAt, Status: st.Status})
}
