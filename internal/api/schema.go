package api

// The OpenAPI document is the one statement of what a request body may
// hold, and the API holds every body to it. Each route with a body
// compiles its schema from the embedded document (bodyOf); decodeBody
// checks the body against it before a handler sees it: each required field
// present, each value of its type (null is no value of any type), enum,
// minLength and maxLength (in characters), minimum and maximum, minItems
// and maxItems, pattern, and the formats date (YYYY-MM-DD), date-time
// (RFC 3339) and uuid (an ID as the service gives them out). A keyword
// this file does not enforce is refused when the schema is compiled, at
// program start, so the document cannot promise a rule that nobody
// enforces. The rules that need the database or today's date (a date
// within range, a unit that fits, a reminder the client's rules allow)
// stay with the capability, which applies them to the pages alike.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"frontdoor/internal/errs"
	"frontdoor/internal/id"
)

// schema is a compiled JSON Schema of a request body, or of a value in it.
type schema struct {
	typ                  string // object, array, string, integer or boolean
	format               string // date, date-time or uuid (strings only)
	enum                 []string
	required             []string
	props                []property // in the document's order
	items                *schema
	minLength, maxLength int // -1: no bound
	minItems, maxItems   int // -1: no bound
	minimum, maximum     *int64
	pattern              *regexp.Regexp
}

type property struct {
	name string
	s    *schema
}

// bodySpec is what decodeBody holds one route's body to: the keys of its
// Go type (checkKeys) and the document's schema.
type bodySpec struct {
	route  string
	keys   keySchema
	schema *schema
}

// bodyOf is the spec of route's request body ("POST /api/v1/holds"),
// whose Go type is T. A route the document gives no JSON body, or a
// schema with a keyword not enforced here, stops the program: it is a
// fault of the build, and every test finds it. Called while the package
// is initialised, one at a time.
func bodyOf[T any](route string) *bodySpec {
	s, err := bodySchema(embeddedDocument, route)
	if err != nil {
		panic("api: the OpenAPI document's body of " + route + ": " + err.Error())
	}
	return &bodySpec{route: route, keys: schemaOf(reflect.TypeFor[T]()), schema: s}
}

// document is an OpenAPI document read for its schemas; each object on
// the way to one is parsed once (not safe for concurrent use).
type document struct {
	raw     json.RawMessage
	objects map[string]map[string]json.RawMessage // by the keys to it
}

func newDocument(raw []byte) *document {
	return &document{raw: raw, objects: map[string]map[string]json.RawMessage{}}
}

var embeddedDocument = newDocument(openAPIDocument)

// bodySchema compiles the schema of route's application/json request body.
func bodySchema(doc *document, route string) (*schema, error) {
	method, path, ok := strings.Cut(route, " ")
	if !ok {
		return nil, errors.New("not a route")
	}
	raw, err := doc.lookup("paths", path, strings.ToLower(method), "requestBody", "content", "application/json", "schema")
	if err != nil {
		return nil, err
	}
	return compile(doc, raw, 0)
}

// lookup follows keys down the document's objects.
func (d *document) lookup(keys ...string) (json.RawMessage, error) {
	raw, at := d.raw, ""
	for _, k := range keys {
		m, ok := d.objects[at]
		if !ok {
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, fmt.Errorf("%s: not an object", k)
			}
			d.objects[at] = m
		}
		next, ok := m[k]
		if !ok {
			return nil, fmt.Errorf("no %q", k)
		}
		raw, at = next, at+"\x00"+k
	}
	return raw, nil
}

// orderedKeys is the keys of the object raw in the order written, with
// their values.
func orderedKeys(raw json.RawMessage) ([]string, map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, errors.New("not an object")
	}
	var keys []string
	vals := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		if _, dup := vals[k]; dup {
			return nil, nil, fmt.Errorf("%q twice", k)
		}
		keys = append(keys, k)
		vals[k] = v
	}
	return keys, vals, nil
}

// Keywords that say nothing a body must obey.
var annotations = []string{"description", "example", "examples", "title"}

func compile(doc *document, raw json.RawMessage, depth int) (*schema, error) {
	if depth > 32 {
		return nil, errors.New("schemas nest too deep (a $ref cycle?)")
	}
	keys, vals, err := orderedKeys(raw)
	if err != nil {
		return nil, err
	}
	if ref, ok := vals["$ref"]; ok {
		for _, k := range keys {
			if k != "$ref" && !slices.Contains(annotations, k) {
				return nil, fmt.Errorf("%s beside $ref", k)
			}
		}
		var p string
		if err := json.Unmarshal(ref, &p); err != nil || !strings.HasPrefix(p, "#/") {
			return nil, fmt.Errorf("$ref %s is not local", ref)
		}
		var parts []string
		for _, part := range strings.Split(strings.TrimPrefix(p, "#/"), "/") {
			parts = append(parts, strings.NewReplacer("~1", "/", "~0", "~").Replace(part))
		}
		target, err := doc.lookup(parts...)
		if err != nil {
			return nil, fmt.Errorf("$ref %s: %v", p, err)
		}
		s, err := compile(doc, target, depth+1)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p, err)
		}
		return s, nil
	}
	s := &schema{minLength: -1, maxLength: -1, minItems: -1, maxItems: -1}
	additional := true
	for _, k := range keys {
		v := vals[k]
		var err error
		switch k {
		case "type":
			err = json.Unmarshal(v, &s.typ)
			if err == nil && !slices.Contains([]string{"object", "array", "string", "integer", "boolean"}, s.typ) {
				err = fmt.Errorf("type %q is not checked", s.typ)
			}
		case "format":
			err = json.Unmarshal(v, &s.format)
			if err == nil && !slices.Contains([]string{"date", "date-time", "uuid"}, s.format) {
				err = fmt.Errorf("format %q is not checked", s.format)
			}
		case "enum":
			err = json.Unmarshal(v, &s.enum)
		case "required":
			err = json.Unmarshal(v, &s.required)
		case "properties":
			var names []string
			var props map[string]json.RawMessage
			if names, props, err = orderedKeys(v); err == nil {
				for _, name := range names {
					ps, perr := compile(doc, props[name], depth+1)
					if perr != nil {
						return nil, fmt.Errorf("%s: %v", name, perr)
					}
					s.props = append(s.props, property{name, ps})
				}
			}
		case "items":
			if s.items, err = compile(doc, v, depth+1); err != nil {
				err = fmt.Errorf("items: %v", err)
			}
		case "minLength":
			err = json.Unmarshal(v, &s.minLength)
		case "maxLength":
			err = json.Unmarshal(v, &s.maxLength)
		case "minItems":
			err = json.Unmarshal(v, &s.minItems)
		case "maxItems":
			err = json.Unmarshal(v, &s.maxItems)
		case "minimum":
			err = json.Unmarshal(v, &s.minimum)
		case "maximum":
			err = json.Unmarshal(v, &s.maximum)
		case "pattern":
			var p string
			if err = json.Unmarshal(v, &p); err == nil {
				s.pattern, err = regexp.Compile(p)
			}
		case "additionalProperties":
			// Unknown keys are refused by checkKeys (400), as the
			// document says with additionalProperties false.
			err = json.Unmarshal(v, &additional)
			if err == nil && additional {
				err = errors.New("additionalProperties must be false")
			}
		default:
			if !slices.Contains(annotations, k) {
				err = fmt.Errorf("keyword %q is not checked", k)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", k, err)
		}
	}
	switch {
	case s.typ == "":
		return nil, errors.New("no type")
	case s.typ == "object" && additional:
		return nil, errors.New("an object without additionalProperties false")
	case s.typ == "array" && s.items == nil:
		return nil, errors.New("an array without items")
	case s.format != "" && s.typ != "string", s.pattern != nil && s.typ != "string",
		(s.minLength >= 0 || s.maxLength >= 0) && s.typ != "string":
		return nil, errors.New("a string keyword on a " + s.typ)
	case (s.minimum != nil || s.maximum != nil) && s.typ != "integer":
		return nil, errors.New("a number keyword on a " + s.typ)
	case (s.minItems >= 0 || s.maxItems >= 0) && s.typ != "array":
		return nil, errors.New("an array keyword on a " + s.typ)
	case len(s.enum) > 0 && s.typ != "string":
		return nil, errors.New("an enum on a " + s.typ)
	}
	for _, r := range s.required {
		if !slices.ContainsFunc(s.props, func(p property) bool { return p.name == r }) {
			return nil, fmt.Errorf("required %q is not a property", r)
		}
	}
	return s, nil
}

// check returns the field errors of v, a body decoded with UseNumber, at
// most one a field, breadth first: a body's own fields before the fields
// of the objects in it, each level in the document's order. A field is
// named by its JSON path (client.safe_contact.phone); anything inside an
// element of a list is named by the list (household.children, actions),
// as the capabilities name it. Messages are catalogue keys; no value sent
// is repeated.
func (s *schema) check(v any) errs.Fields {
	type visit struct {
		s       *schema
		v       any
		name    string
		present bool
		inList  bool
	}
	var fe errs.Fields
	add := func(field, key string, args ...any) {
		if !slices.Contains(fe.Names(), field) {
			fe.Add(field, key, args...)
		}
	}
	queue := []visit{{s: s, v: v, present: true}}
	for len(queue) > 0 {
		at := queue[0]
		queue = queue[1:]
		if !at.present {
			add(at.name, "api.required")
			continue
		}
		switch at.s.typ {
		case "object":
			obj, ok := at.v.(map[string]any)
			if !ok {
				add(at.name, "api.wrong_type")
				continue
			}
			for _, p := range at.s.props {
				val, present := obj[p.name]
				if !present && !slices.Contains(at.s.required, p.name) {
					continue
				}
				name := at.name
				switch {
				case at.inList:
				case name == "":
					name = p.name
				default:
					name += "." + p.name
				}
				queue = append(queue, visit{s: p.s, v: val, name: name, present: present, inList: at.inList})
			}
		case "array":
			list, ok := at.v.([]any)
			switch {
			case !ok:
				add(at.name, "api.wrong_type")
				continue
			case at.s.maxItems >= 0 && len(list) > at.s.maxItems:
				add(at.name, "api.too_many", at.s.maxItems)
			case at.s.minItems >= 0 && len(list) < at.s.minItems:
				add(at.name, "api.too_few", at.s.minItems)
			}
			for _, el := range list {
				queue = append(queue, visit{s: at.s.items, v: el, name: at.name, present: true, inList: true})
			}
		case "string":
			str, ok := at.v.(string)
			if !ok {
				add(at.name, "api.wrong_type")
				continue
			}
			if key, args := at.s.checkString(str); key != "" {
				add(at.name, key, args...)
			}
		case "integer":
			num, ok := at.v.(json.Number)
			n, err := strconv.ParseInt(string(num), 10, 64)
			switch {
			case !ok || err != nil:
				add(at.name, "api.wrong_type")
			case at.s.minimum != nil && n < *at.s.minimum:
				add(at.name, "api.at_least", *at.s.minimum)
			case at.s.maximum != nil && n > *at.s.maximum:
				add(at.name, "api.at_most", *at.s.maximum)
			}
		case "boolean":
			if _, ok := at.v.(bool); !ok {
				add(at.name, "api.wrong_type")
			}
		}
	}
	return fe
}

// checkString is the catalogue key (and its arguments) of the first rule
// v breaks, or "".
func (s *schema) checkString(v string) (string, []any) {
	n := utf8.RuneCountInString(v)
	switch {
	case len(s.enum) > 0 && !slices.Contains(s.enum, v):
		return "api.choose", nil
	case s.minLength == 1 && v == "":
		return "api.empty", nil
	case s.minLength >= 0 && n < s.minLength:
		return "api.too_short", []any{s.minLength}
	case s.maxLength >= 0 && n > s.maxLength:
		return "field.too_long", []any{s.maxLength}
	case s.pattern != nil && !s.pattern.MatchString(v):
		return "api.pattern", nil
	}
	switch s.format {
	case "date":
		if _, err := time.Parse(apiDate, v); err != nil {
			return "api.accommodation.date_invalid", nil
		}
	case "date-time":
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			return "api.outreach.time_invalid", nil
		}
	case "uuid":
		if !id.Valid(v) {
			return "api.accommodation.id_invalid", nil
		}
	}
	return "", nil
}

// faithful reports whether raw, the bytes of a JSON string token (and
// any separator before it), decodes to exactly the text sent. encoding/json
// turns invalid UTF-8 and an unpaired surrogate escape (\ud800) into
// U+FFFD without a word; such a value is refused instead, so that nothing
// sent is silently altered. raw is valid JSON: the decoder has read it.
func faithful(raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	hex4 := func(b []byte) rune {
		if len(b) < 4 {
			return -1
		}
		n, err := strconv.ParseUint(string(b[:4]), 16, 16)
		if err != nil {
			return -1
		}
		return rune(n)
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++
		if i >= len(raw) || raw[i] != 'u' {
			continue
		}
		r := hex4(raw[i+1:])
		i += 4
		switch {
		case 0xdc00 <= r && r <= 0xdfff:
			return false
		case 0xd800 <= r && r <= 0xdbff:
			if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if lo := hex4(raw[i+3:]); 0xdc00 <= lo && lo <= 0xdfff {
					i += 6
					continue
				}
			}
			return false
		}
	}
	return true
}
