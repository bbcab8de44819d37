package matching

import (
	_ "embed"
	"slices"
	"strings"
	"unicode/utf8"
)

// phoneticLen bounds a phonetic code: long names differ in their first
// consonants already, and a short code forgives a garbled ending.
const phoneticLen = 6

// Phonetic returns a phonetic code for a name: a skeleton of consonant
// classes, so that spellings that sound alike agree ("Smith", "Smyth";
// "Catherine", "Kathryn"; "Mohammed", "Muhammad", "Mohamed"; "Stephen",
// "Steven"; "Philips", "Phillips"; "McDonald", "MacDonald"). It is this
// package's own simplified cousin of Soundex and Metaphone:
//
//   - The name is normalised (vault.NormaliseName rules are assumed: lower
//     case, no accents) and everything but a-z is dropped, so "Smith-Holroyd"
//     is coded as one word.
//   - Silent or merged openings are reduced: kn, gn, pn → n; wr → r; ps → s;
//     wh → w; an opening x → s.
//   - Digraphs become one sound: ph → F; ch → X (K before r: Christopher);
//     sh, cz, sz → X; sch → SK; tch → X; th → T; ck → K; dge/dgi → J;
//     gh is silent after the first letter (Leigh, Wright) and K at the start.
//   - c is S before e, i, y and K elsewhere; g is J before e, i, y (Geoff,
//     Jeff) and K elsewhere; q → K; x → KS; z → S; v → F; b → P; d → T;
//     p is silent between m and s or t (Thompson, Thomson).
//   - Vowels, h, w and y are dropped, except that a name opening with a
//     vowel sound (after a dropped h: "Hollingworth", "Ollingworth") starts
//     with A.
//   - Runs of the same code collapse, and the code is cut to six.
//
// An empty result means the name has no letters to code.
func Phonetic(name string) string {
	w := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c >= 'a' && c <= 'z' {
			w = append(w, c)
		}
	}
	for _, p := range [][2]string{{"kn", "n"}, {"gn", "n"}, {"pn", "n"}, {"wr", "r"}, {"ps", "s"}, {"wh", "w"}, {"x", "s"}} {
		if rest, ok := strings.CutPrefix(string(w), p[0]); ok {
			w = append([]byte(p[1]), rest...)
			break
		}
	}
	at := func(i int) byte {
		if i >= 0 && i < len(w) {
			return w[i]
		}
		return 0
	}
	soft := func(c byte) bool { return c == 'e' || c == 'i' || c == 'y' }
	out := make([]byte, 0, phoneticLen+1)
	emit := func(code byte) {
		if n := len(out); n > 0 && out[n-1] == code {
			return
		}
		out = append(out, code)
	}
	for i := 0; i < len(w) && len(out) <= phoneticLen; i++ {
		c, next := w[i], at(i+1)
		switch c {
		case 'a', 'e', 'i', 'o', 'u', 'y':
			if len(out) == 0 {
				emit('A')
			}
		case 'h', 'w':
		case 'b':
			emit('P')
		case 'p':
			switch {
			case next == 'h':
				emit('F')
				i++
			case at(i-1) == 'm' && (next == 's' || next == 't'):
			default:
				emit('P')
			}
		case 'c':
			switch {
			case next == 'h':
				if at(i+2) == 'r' {
					emit('K')
				} else {
					emit('X')
				}
				i++
			case next == 'k' || next == 'q':
				emit('K')
				i++
			case next == 'z':
				emit('X')
				i++
			case soft(next):
				emit('S')
			default:
				emit('K')
			}
		case 'd':
			if next == 'g' && soft(at(i+2)) {
				emit('J')
				i++
			} else {
				emit('T')
			}
		case 'f', 'v':
			emit('F')
		case 'g':
			switch {
			case next == 'h':
				if i == 0 {
					emit('K')
				}
				i++
			case soft(next):
				emit('J')
			default:
				emit('K')
			}
		case 'j':
			emit('J')
		case 'k', 'q':
			emit('K')
		case 'l':
			emit('L')
		case 'm':
			emit('M')
		case 'n':
			emit('N')
		case 'r':
			emit('R')
		case 's':
			switch {
			case next == 'h' || next == 'z':
				emit('X')
				i++
			case next == 'c' && at(i+2) == 'h':
				emit('S')
				emit('K')
				i += 2
			default:
				emit('S')
			}
		case 't':
			switch {
			case next == 'h':
				emit('T')
				i++
			case next == 'c' && at(i+2) == 'h':
				emit('X')
				i += 2
			default:
				emit('T')
			}
		case 'x':
			emit('K')
			emit('S')
		case 'z':
			emit('S')
		}
	}
	if len(out) > phoneticLen {
		out = out[:phoneticLen]
	}
	return string(out)
}

// JaroWinkler returns the Jaro-Winkler similarity of a and b, from 0 (no
// characters in common) to 1 (equal), comparing runes. Two empty strings
// are equal (1). The prefix bonus uses the usual scale 0.1 over at most
// four characters.
func JaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	ra, rb := []rune(a), []rune(b)
	if !utf8.ValidString(a) || !utf8.ValidString(b) {
		ra, rb = bytesAsRunes(a), bytesAsRunes(b)
	}
	j := jaro(ra, rb)
	prefix := 0
	for prefix < min(4, len(ra), len(rb)) && ra[prefix] == rb[prefix] {
		prefix++
	}
	return j + float64(prefix)*0.1*(1-j)
}

func bytesAsRunes(s string) []rune {
	r := make([]rune, len(s))
	for i := range len(s) {
		r[i] = rune(s[i])
	}
	return r
}

func jaro(a, b []rune) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	window := max(len(a), len(b))/2 - 1
	window = max(window, 0)
	matchA := make([]bool, len(a))
	matchB := make([]bool, len(b))
	m := 0
	for i := range a {
		lo, hi := max(0, i-window), min(len(b)-1, i+window)
		for k := lo; k <= hi; k++ {
			if !matchB[k] && a[i] == b[k] {
				matchA[i], matchB[k] = true, true
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	transpositions, k := 0, 0
	for i := range a {
		if !matchA[i] {
			continue
		}
		for !matchB[k] {
			k++
		}
		if a[i] != b[k] {
			transpositions++
		}
		k++
	}
	mf := float64(m)
	return (mf/float64(len(a)) + mf/float64(len(b)) + (mf-float64(transpositions)/2)/mf) / 3
}

//go:embed nicknames.txt
var nicknameData string

// groups maps a given name to the canonical names of the groups it is in
// (nicknames.txt): "bob" → [robert]; "chris" → [christina christine
// christopher]. A canonical name maps to itself among the others.
var groups = parseNicknames(nicknameData)

func parseNicknames(data string) map[string][]string {
	m := map[string][]string{}
	for line := range strings.SplitSeq(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names := strings.Fields(line)
		head := names[0]
		for _, n := range names {
			if !slices.Contains(m[n], head) {
				m[n] = append(m[n], head)
			}
		}
	}
	for n := range m {
		slices.Sort(m[n])
	}
	return m
}

// Canonical returns the canonical forms of a normalised given name: the
// heads of the nickname groups it belongs to ("bob" → ["robert"], "chris"
// → ["christina", "christine", "christopher"]), or the name itself when it
// is in no group. Only the first word of a given name counts.
func Canonical(given string) []string {
	first, _, _ := strings.Cut(given, " ")
	if c, ok := groups[first]; ok {
		return c
	}
	if first == "" {
		return nil
	}
	return []string{first}
}

// sameGroup reports whether two normalised given names share a nickname
// group.
func sameGroup(a, b string) bool {
	ca, cb := Canonical(a), Canonical(b)
	for _, x := range ca {
		if slices.Contains(cb, x) {
			return true
		}
	}
	return false
}
