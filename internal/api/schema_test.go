package api

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// A document that promises a rule the checker does not enforce does not
// compile: an unknown keyword or format, an object that allows other
// keys, a required field that is not a property, a constraint on the
// wrong type, a $ref that goes nowhere or round in a circle.
func TestSchemaRefusesWhatItCannotEnforce(t *testing.T) {
	for _, s := range []string{
		`{"type": "object", "additionalProperties": false, "properties": {"a": {"type": "integer", "exclusiveMinimum": 0}}}`,
		`{"type": "object", "additionalProperties": false, "properties": {"a": {"type": "string", "format": "email"}}}`,
		`{"type": "object", "additionalProperties": false, "properties": {"a": {"oneOf": [{"type": "string"}]}}}`,
		`{"type": "object", "properties": {"a": {"type": "string"}}}`,
		`{"type": "object", "additionalProperties": false, "required": ["b"], "properties": {"a": {"type": "string"}}}`,
		`{"type": "object", "additionalProperties": false, "properties": {"a": {"type": "integer", "maxLength": 3}}}`,
		`{"type": "object", "additionalProperties": false, "properties": {"a": {"type": "number"}}}`,
		`{"type": "object", "additionalProperties": false, "properties": {"a": {"$ref": "#/components/schemas/Nowhere"}}}`,
		`{"type": "object", "additionalProperties": false, "properties": {"a": {"$ref": "#/components/schemas/Loop"}}}`,
		`{"type": "array"}`,
	} {
		doc := newDocument([]byte(`{"components": {"schemas": {"Loop": {"$ref": "#/components/schemas/Loop"}}}}`))
		if _, err := compile(doc, json.RawMessage(s), 0); err == nil {
			t.Errorf("compiled %s", s)
		}
	}
}

// The checks name each field once, by JSON path, breadth first in the
// document's order, anything in a list by the list; a field left out is
// required, one sent null or of another type is the wrong type.
func TestSchemaNamesEveryFieldAtFault(t *testing.T) {
	s, err := compile(newDocument(nil), json.RawMessage(`{"type": "object", "additionalProperties": false, "required": ["a", "b", "o"], "properties": {
		"o": {"type": "object", "additionalProperties": false, "required": ["x"], "properties": {"x": {"type": "string"}, "y": {"type": "string", "format": "date"}}},
		"l": {"type": "array", "maxItems": 1, "items": {"type": "object", "additionalProperties": false, "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 1}}}},
		"a": {"type": "string", "enum": ["yes", "no"]},
		"b": {"type": "string", "minLength": 1, "maxLength": 3},
		"c": {"type": "boolean"}}}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	check := func(body string) []string {
		dec := json.NewDecoder(strings.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range s.check(v) {
			out = append(out, f.Field+" "+f.Key)
		}
		return out
	}
	for _, c := range []struct {
		body string
		want []string
	}{
		{`{"a": "yes", "b": "abc", "o": {"x": ""}}`, nil},
		{`{"a": "yes", "b": "", "o": {"x": "", "y": "2026-12-01"}, "l": [{"n": 1}], "c": true}`, []string{"b api.empty"}},
		{`{"l": [{"n": 0}], "o": {"y": "1/12/2026"}, "c": null}`,
			[]string{"a api.required", "b api.required", "c api.wrong_type", "o.x api.required", "o.y api.accommodation.date_invalid", "l api.at_least"}},
		{`{"a": "maybe", "b": "abcé", "o": null, "l": [{"n": "1"}, {}]}`, []string{"o api.wrong_type", "l api.too_many", "a api.choose", "b field.too_long"}},
		{`{"a": "no", "b": "a", "o": {"x": "x"}, "l": [{}]}`, []string{"l api.required"}},
	} {
		if got := check(c.body); !slices.Equal(got, c.want) {
			t.Errorf("%s:\n got  %v\n want %v", c.body, got, c.want)
		}
	}
}

// faithful tells text the decoder keeps as sent from text it would alter.
func TestFaithful(t *testing.T) {
	for s, want := range map[string]bool{
		`"plain"`: true, `"é ☃ \u00e9"`: true, `"\ud83c\udf3b"`: true, `"\\ud800"`: true, `"\ufffd"`: true, "\"\xef\xbf\xbd\"": true,
		"\"\xff\"": false, "\"\xc0\xaf\"": false, `"\ud800"`: false, `"\udc00"`: false, `"\ud800\u0041"`: false, `"a\ud83c"`: false, `"\uDBFF\uDFFF"`: true,
	} {
		if got := faithful([]byte(s)); got != want {
			t.Errorf("faithful(%q) = %v, want %v", s, got, want)
		}
		// What encoding/json makes of it, for the record: the unfaithful
		// ones come out with U+FFFD.
		var v string
		if err := json.Unmarshal([]byte(s), &v); err == nil && !want && !strings.Contains(v, "\ufffd") {
			t.Errorf("%q decodes to %q without a replacement", s, v)
		}
	}
}
