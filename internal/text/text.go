// Package text checks free text typed by people before a capability seals
// and stores it: valid UTF-8, no control characters (a line break and a
// tab only where the field is multi-line), required and length limits,
// each failure a field error under the capability's message prefix.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"frontdoor/internal/errs"
)

// Clean reports whether v is valid UTF-8 without control characters
// (line breaks and tabs allowed when multiline).
func Clean(v string, multiline bool) bool {
	return utf8.ValidString(v) && !strings.ContainsFunc(v, func(r rune) bool {
		return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))
	})
}

// Check adds at most one field error for v: prefix+".text_invalid",
// prefix+".required" or prefix+".too_long" (with the limit in runes).
func Check(fe *errs.Fields, prefix, field, v string, required bool, max int, multiline bool) {
	switch {
	case !Clean(v, multiline):
		fe.Add(field, prefix+".text_invalid")
	case required && strings.TrimSpace(v) == "":
		fe.Add(field, prefix+".required")
	case utf8.RuneCountInString(v) > max:
		fe.Add(field, prefix+".too_long", max)
	}
}
