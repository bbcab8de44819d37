package vault

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// BlindIndexLen is the length of a blind index: 32 lower-case hex digits
// (the first 16 bytes of the HMAC).
const BlindIndexLen = 32

// BlindIndex is a keyed hash of a normalised value for equality lookups
// on an encrypted field: HMAC-SHA256 under the blind-index key of
// purpose || 0x00 || normalised, its first 16 bytes in hex (BlindIndexLen
// characters). The same value gives the same index in this database, and
// unrelated indexes under different purposes or in another database.
// Without the key, a copy of the database cannot test guesses (a phone
// number or a date of birth) against it.
//
// purpose names what is indexed, for example "person.phone"; it must be
// non-empty and hold no NUL byte. Normalise the value first (NormalisePhone,
// NormaliseName, NormaliseDate) so that spellings of one value agree.
func (v *Vault) BlindIndex(purpose, normalised string) string {
	if purpose == "" || strings.IndexByte(purpose, 0) >= 0 {
		panic(fmt.Sprintf("vault: blind index purpose %q must be non-empty without NUL", purpose))
	}
	m := hmac.New(sha256.New, v.blind)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(normalised))
	return hex.EncodeToString(m.Sum(nil)[:BlindIndexLen/2])
}

// NormalisePhone reduces a phone number to digits so that ways of writing
// it agree: "+44 7700 900123", "07700-900123", "0044 (0)7700 900 123" and
// "447700900123" all give "07700900123". UK numbers in international form
// become national (leading 0); other international numbers keep a leading
// "+" and their digits. Anything but digits and a leading + or 00 is
// ignored; no digits at all gives "".
func NormalisePhone(s string) string {
	s = strings.TrimSpace(s)
	plus := strings.HasPrefix(s, "+")
	var d strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			d.WriteRune(r)
		} else if r >= '０' && r <= '９' { // full-width digits
			d.WriteRune('0' + r - '０')
		}
	}
	digits := d.String()
	if digits == "" {
		return ""
	}
	intl := plus
	if !plus && strings.HasPrefix(digits, "00") {
		intl, digits = true, digits[2:]
	}
	if !intl && strings.HasPrefix(digits, "44") && len(digits) == 12 {
		// A UK national number starts with 0, so twelve digits starting 44
		// are an international number typed without the +.
		intl = true
	}
	if !intl {
		return digits
	}
	if rest, ok := strings.CutPrefix(digits, "44"); ok {
		// "+44 (0)7700…": the national trunk 0 written in brackets.
		return "0" + strings.TrimPrefix(rest, "0")
	}
	return "+" + digits
}

// special maps letters that Unicode decomposition leaves whole to the
// spelling people type without them.
var special = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d", 'þ': "th",
	'ł': "l", 'ı': "i", 'ħ': "h", 'ŧ': "t", 'ŋ': "n", 'ĸ': "k", 'ſ': "s",
}

// NormaliseName prepares a name for a blind index: lower case, accents and
// other diacritics removed ("Zoë" → "zoe", "Łukasz" → "lukasz"),
// apostrophes dropped ("O’Brien" → "obrien"), hyphens and other punctuation
// as spaces, runs of space collapsed and trimmed ("Anne-Marie  Smith" →
// "anne marie smith").
func NormaliseName(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFKD.String(s) {
		r = unicode.ToLower(r)
		switch {
		case unicode.Is(unicode.Mn, r):
			// combining mark: the accent of the letter before it
		case r == '\'' || r == '’' || r == '‘' || r == '`' || r == 'ʼ' || r == '´':
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			if sub, ok := special[r]; ok {
				b.WriteString(sub)
			} else {
				b.WriteRune(r)
			}
		default:
			space = true
		}
	}
	return b.String()
}

// dateLayouts are the ways people write a date in the UK, day first.
var dateLayouts = []string{"2006-01-02", "2/1/2006", "2-1-2006", "2.1.2006", "2006/1/2", "2 1 2006", "2 Jan 2006", "2 January 2006"}

// NormaliseDate turns a date into YYYY-MM-DD. It accepts YYYY-MM-DD,
// YYYY/MM/DD and the UK's day-first forms (14/03/1987, 14-3-1987,
// 14.03.1987, 14 Mar 1987, 14 March 1987). A two-digit year is refused as
// ambiguous, and so is a day that does not exist.
func NormaliseDate(s string) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	for _, layout := range dateLayouts {
		t, err := time.Parse(layout, s)
		if err == nil && t.Year() >= 1000 {
			return t.Format("2006-01-02"), nil
		}
	}
	// The value is not repeated: it may be a date of birth.
	return "", errors.New("not a date in the form YYYY-MM-DD or DD/MM/YYYY")
}
