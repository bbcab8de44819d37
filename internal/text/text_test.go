package text

import (
	"strings"
	"testing"

	"frontdoor/internal/errs"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		v         string
		required  bool
		multiline bool
		want      string
	}{
		{"Amina", true, false, ""},
		{"", true, false, "x.required"},
		{"   ", true, false, "x.required"},
		{"", false, false, ""},
		{"two\nlines", false, false, "x.text_invalid"},
		{"two\nli\tne", false, true, ""},
		{"bell\a", false, true, "x.text_invalid"},
		{"\xff\xfe", false, true, "x.text_invalid"},
		{strings.Repeat("é", 11), false, false, "x.too_long"},
		{strings.Repeat("é", 10), false, false, ""},
	} {
		var fe errs.Fields
		Check(&fe, "x", "note", tc.v, tc.required, 10, tc.multiline)
		got := ""
		if len(fe) > 0 {
			got = fe[0].Key
			if fe[0].Field != "note" || len(fe) != 1 {
				t.Errorf("%q: %v", tc.v, fe)
			}
		}
		if got != tc.want {
			t.Errorf("%q (required %v, multiline %v): %q, want %q", tc.v, tc.required, tc.multiline, got, tc.want)
		}
	}
}
