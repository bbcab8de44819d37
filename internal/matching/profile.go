package matching

import (
	"strconv"
	"strings"
	"time"

	"frontdoor/internal/vault"
)

// profile is what matching keeps about a person, sealed as JSON in
// match_subjects.profile_sealed, and what a probe is turned into: names
// normalised (vault.NormaliseName), the date of birth as far as it is
// known, phones reduced to their last ten digits.
type profile struct {
	Names  []nameForm `json:"n"`
	DOB    string     `json:"d,omitempty"` // YYYY-MM-DD, YYYY-MM or YYYY
	Year   int        `json:"y,omitempty"` // birth year, exact or estimated
	Phones []string   `json:"p,omitempty"`
}

// nameForm is one name a person goes by: the recorded one first, then
// aliases.
type nameForm struct {
	G     string `json:"g,omitempty"`
	F     string `json:"f,omitempty"`
	Alias bool   `json:"a,omitempty"`
}

// date is a date of birth as far as it is known; zero parts are unknown.
type date struct{ Y, M, D int }

func (d date) full() bool { return d.Y > 0 && d.M > 0 && d.D > 0 }

func (d date) String() string {
	switch {
	case d.full():
		return time.Date(d.Y, time.Month(d.M), d.D, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
	case d.Y > 0 && d.M > 0:
		return strconv.Itoa(d.Y) + "-" + twoDigits(d.M)
	case d.Y > 0:
		return strconv.Itoa(d.Y)
	}
	return ""
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// parseDate reads a full date (YYYY-MM-DD or any form vault.NormaliseDate
// takes) or a partial one (YYYY-MM, YYYY). Anything else is unknown.
func parseDate(s string) date {
	s = strings.TrimSpace(s)
	if s == "" {
		return date{}
	}
	if n, err := vault.NormaliseDate(s); err == nil {
		t, _ := time.Parse("2006-01-02", n)
		return date{t.Year(), int(t.Month()), t.Day()}
	}
	y, m, _ := strings.Cut(s, "-")
	if m == "" {
		y, m, _ = strings.Cut(s, "/")
	}
	year, err := strconv.Atoi(y)
	if err != nil || len(y) != 4 || year < 1000 {
		return date{}
	}
	if m == "" {
		return date{Y: year}
	}
	month, err := strconv.Atoi(m)
	if err != nil || month < 1 || month > 12 {
		return date{Y: year}
	}
	return date{Y: year, M: month}
}

// transposed returns the date with day and month swapped, if that is a
// different, valid date.
func (d date) transposed() (date, bool) {
	if !d.full() || d.D == d.M || d.D > 12 {
		return date{}, false
	}
	return date{d.Y, d.D, d.M}, true
}

// phoneDigits reduces a phone number to the last ten digits of its
// normalised form, so national and international spellings agree. Fewer
// than seven digits is not a phone number to match on.
func phoneDigits(s string) string {
	n := vault.NormalisePhone(s)
	var b strings.Builder
	for i := 0; i < len(n); i++ {
		if n[i] >= '0' && n[i] <= '9' {
			b.WriteByte(n[i])
		}
	}
	d := b.String()
	if len(d) < 7 {
		return ""
	}
	if len(d) > 10 {
		d = d[len(d)-10:]
	}
	return d
}

// aliasForms reads an alias: "given family" (the first word is the given
// name), or one word, which may be another given name with the recorded
// family name or another family name with the recorded given name.
func aliasForms(alias, given, family string) []nameForm {
	a := vault.NormaliseName(alias)
	if a == "" {
		return nil
	}
	g, f, two := strings.Cut(a, " ")
	if two {
		return []nameForm{{G: g, F: f, Alias: true}}
	}
	return []nameForm{{G: a, F: family, Alias: true}, {G: given, F: a, Alias: true}}
}

func newProfile(given, family string, aliases []string, dob string, year int, phones []string) profile {
	p := profile{}
	g, f := vault.NormaliseName(given), vault.NormaliseName(family)
	if g != "" || f != "" {
		p.Names = append(p.Names, nameForm{G: g, F: f})
	}
	for _, a := range aliases {
		for _, nf := range aliasForms(a, g, f) {
			if !containsName(p.Names, nf) {
				p.Names = append(p.Names, nf)
			}
		}
	}
	d := parseDate(dob)
	p.DOB = d.String()
	p.Year = d.Y
	if p.Year == 0 && year >= 1000 && year <= 9999 {
		p.Year = year
	}
	for _, ph := range phones {
		if d := phoneDigits(ph); d != "" && !containsString(p.Phones, d) {
			p.Phones = append(p.Phones, d)
		}
	}
	return p
}

func containsName(list []nameForm, n nameForm) bool {
	for _, x := range list {
		if x.G == n.G && x.F == n.F {
			return true
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func subjectProfile(s Subject) profile {
	return newProfile(s.Given, s.Family, s.Aliases, s.DOB, s.BirthYear, s.Phones)
}

func probeProfile(p Probe) profile {
	return newProfile(p.Given, p.Family, p.Aliases, p.DOB, p.BirthYear, p.Phones)
}

// Blocking key types. A key is the vault's blind index, under purpose
// "match.<type>", of the organisation ID and a value, so that the database
// holds no plaintext and blocks never span organisations.
const (
	keyCanonFamily    = "gf"    // canonical given name + phonetic family name
	keyPhoneticNames  = "pgf"   // phonetic given + phonetic family name
	keyFamilyYear     = "fy"    // phonetic family name + birth year
	keyDOB            = "dob"   // full date of birth
	keyPhone          = "phone" // last ten digits of a phone number
	keySeparator      = "\x1f"
	maxKeysPerSubject = 64
)

// keyWeight ranks candidates before their profiles are opened: a shared
// phone or date of birth says more than a shared surname and birth year.
var keyWeight = map[string]float64{
	keyPhone: 3, keyDOB: 2, keyCanonFamily: 2, keyPhoneticNames: 1.5, keyFamilyYear: 1,
}

// rawKey is a blocking key before it is blind-indexed.
type rawKey struct{ typ, value string }

// familyCodes are the phonetic codes of a family name: of the whole, and
// of each word of a double-barrelled name.
func familyCodes(f string) []string {
	var out []string
	if c := Phonetic(f); c != "" {
		out = append(out, c)
	}
	if strings.Contains(f, " ") {
		for w := range strings.FieldsSeq(f) {
			if c := Phonetic(w); c != "" && !containsString(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// nameKeys are the name keys of one given/family pair; years are the birth
// years to pair with the family name (none when unknown).
func nameKeys(add func(typ, value string), g, f string, years []int) {
	first, _, _ := strings.Cut(g, " ")
	codes := familyCodes(f)
	gcode := Phonetic(first)
	for _, fc := range codes {
		if first != "" {
			for _, c := range Canonical(first) {
				add(keyCanonFamily, c+keySeparator+fc)
			}
		}
		if gcode != "" {
			add(keyPhoneticNames, gcode+keySeparator+fc)
		}
		for _, y := range years {
			add(keyFamilyYear, fc+keySeparator+strconv.Itoa(y))
		}
	}
}

// subjectKeys are the blocking keys stored for a subject.
func subjectKeys(p profile) []rawKey {
	var keys []rawKey
	seen := map[rawKey]bool{}
	add := func(typ, value string) {
		k := rawKey{typ, value}
		if !seen[k] && len(keys) < maxKeysPerSubject {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	var years []int
	if p.Year > 0 {
		years = []int{p.Year}
	}
	for _, n := range p.Names {
		nameKeys(add, n.G, n.F, years)
	}
	if d := parseDate(p.DOB); d.full() {
		add(keyDOB, d.String())
	}
	for _, ph := range p.Phones {
		add(keyPhone, ph)
	}
	return keys
}

// probeKeys are the keys a probe looks up: the subject keys it would have,
// and the variants a typing mistake makes: birth years either side, the
// date of birth with day and month swapped, given and family names
// swapped.
func probeKeys(p profile) []rawKey {
	var keys []rawKey
	seen := map[rawKey]bool{}
	add := func(typ, value string) {
		k := rawKey{typ, value}
		if !seen[k] && len(keys) < 2*maxKeysPerSubject {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	var years []int
	if p.Year > 0 {
		years = []int{p.Year, p.Year - 1, p.Year + 1}
	}
	for _, n := range p.Names {
		// The family name and birth year block is the broadest: look it up
		// only when there is no given name to block on (the worker has
		// typed the family name, or an initial). With a given name, a
		// candidate sharing only that block cannot reach LikelyScore.
		if len(firstWord(n.G)) > 1 {
			nameKeys(add, n.G, n.F, nil)
		} else {
			nameKeys(add, n.G, n.F, years)
		}
	}
	for _, n := range p.Names {
		if n.G != "" && n.F != "" {
			nameKeys(add, n.F, n.G, nil)
		}
	}
	if d := parseDate(p.DOB); d.full() {
		add(keyDOB, d.String())
		if t, ok := d.transposed(); ok {
			add(keyDOB, t.String())
		}
	}
	for _, ph := range p.Phones {
		add(keyPhone, ph)
	}
	return keys
}

// blind turns a raw key into what the database holds.
func blind(v Sealer, organisationID string, k rawKey) string {
	return v.BlindIndex("match."+k.typ, organisationID+keySeparator+k.value)
}
