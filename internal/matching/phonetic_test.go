package matching

import (
	"math"
	"slices"
	"strings"
	"testing"

	"frontdoor/internal/vault"
)

func TestPhoneticAgrees(t *testing.T) {
	same := [][]string{
		{"Smith", "Smyth", "Smithe"},
		{"Catherine", "Kathryn", "Katharine", "Cathryn"},
		{"Mohammed", "Muhammad", "Mohamed", "Mohammad"},
		{"Stephen", "Steven"},
		{"Philips", "Phillips", "Fillips"},
		{"McDonald", "MacDonald"},
		{"Thompson", "Thomson", "Tomson"},
		{"Clarke", "Clark"},
		{"Davies", "Davis"},
		{"Knight", "Night"},
		{"Wright", "Right"},
		{"Leigh", "Lee"},
		{"Aisha", "Ayesha", "Aysha"},
		{"Jon", "John"},
		{"Jonathan", "Jonathon"},
		{"Hollingworth", "Ollingworth"},
		{"Geoff", "Jeff"},
		{"Kaur", "Kour"},
		{"Mitchell", "Michell"},
		{"O'Brien", "OBrien", "O Brien"},
	}
	for _, group := range same {
		want := Phonetic(vault.NormaliseName(group[0]))
		if want == "" {
			t.Errorf("%s: empty code", group[0])
		}
		for _, n := range group[1:] {
			if got := Phonetic(vault.NormaliseName(n)); got != want {
				t.Errorf("Phonetic(%q) = %q, Phonetic(%q) = %q: want equal", group[0], want, n, got)
			}
		}
	}
	differ := [][2]string{
		{"Smith", "Jones"}, {"Robert", "Richard"}, {"Begum", "Bibi"}, {"Taylor", "Turner"},
		{"Kowalski", "Nowak"}, {"Khan", "Hussain"}, {"Patel", "Shah"},
	}
	for _, p := range differ {
		if a, b := Phonetic(p[0]), Phonetic(p[1]); a == b {
			t.Errorf("Phonetic(%q) = Phonetic(%q) = %q: want different", p[0], p[1], a)
		}
	}
}

func TestPhoneticShape(t *testing.T) {
	for name, want := range map[string]string{
		"":             "",
		"h":            "",
		"Smith":        "SMT",
		"Christopher":  "KRSTFR",
		"Hollingworth": "ALNKRT",
		"Schmidt":      "SKMT",
		"Alexander":    "ALKSNT",
		"Xavier":       "SFR",
		"Mohammed":     "MT",
	} {
		if got := Phonetic(name); got != want {
			t.Errorf("Phonetic(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestJaroWinkler(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want float64
	}{
		// Reference values from Winkler's paper and common implementations.
		{"martha", "marhta", 0.9611},
		{"dwayne", "duane", 0.84},
		{"dixon", "dicksonx", 0.8133},
		{"jellyfish", "smellyfish", 0.8963},
		{"", "", 1},
		{"abc", "", 0},
		{"abc", "xyz", 0},
		{"same", "same", 1},
	} {
		got := JaroWinkler(c.a, c.b)
		if math.Abs(got-c.want) > 0.0005 {
			t.Errorf("JaroWinkler(%q, %q) = %.4f, want %.4f", c.a, c.b, got, c.want)
		}
		if back := JaroWinkler(c.b, c.a); math.Abs(back-got) > 1e-12 {
			t.Errorf("JaroWinkler not symmetric on %q, %q: %v vs %v", c.a, c.b, got, back)
		}
	}
}

func TestNicknames(t *testing.T) {
	for nick, canon := range map[string]string{
		"bob": "robert", "liz": "elizabeth", "beth": "elizabeth", "kate": "catherine", "katie": "catherine",
		"mo": "mohammed", "muhammad": "mohammed", "bill": "william", "peggy": "margaret", "robert": "robert",
		"kasia": "katarzyna", "shaun": "sean",
	} {
		if got := Canonical(nick); !slices.Contains(got, canon) {
			t.Errorf("Canonical(%q) = %v, want it to hold %q", nick, got, canon)
		}
	}
	if got := Canonical("chris"); len(got) < 2 {
		t.Errorf("Canonical(chris) = %v: want several groups", got)
	}
	if got := Canonical("zebedee"); !slices.Equal(got, []string{"zebedee"}) {
		t.Errorf("Canonical of an unknown name = %v", got)
	}
	// The table is a few hundred names, each written as NormaliseName
	// leaves it.
	if len(groups) < 300 {
		t.Errorf("only %d names in the nickname table", len(groups))
	}
	for n := range groups {
		if vault.NormaliseName(n) != n || strings.Contains(n, " ") {
			t.Errorf("nickname table name %q is not normalised", n)
		}
	}
}

func TestScoring(t *testing.T) {
	robert := newProfile("Robert", "Smith", nil, "1985-03-04", 0, []string{"07700 900123"})
	for _, c := range []struct {
		name   string
		probe  profile
		likely bool
		alert  bool
		reason string
	}{
		{"same name and date", newProfile("Robert", "Smith", nil, "1985-03-04", 0, nil), true, true, ReasonSameDOB},
		{"nickname alone", newProfile("Bob", "Smith", nil, "", 0, nil), true, false, ReasonNickname},
		{"nickname and date", newProfile("Bob", "Smith", nil, "04/03/1985", 0, nil), true, true, ReasonNickname},
		{"transposed date", newProfile("Robert", "Smyth", nil, "1985-04-03", 0, nil), true, true, ReasonDOBTransposed},
		{"year only", newProfile("Rob", "Smith", nil, "1985", 0, nil), true, false, ReasonBirthYear},
		{"estimated year", newProfile("Robert", "Smith", nil, "", 1986, nil), true, false, ReasonBirthYear},
		{"phone alone", newProfile("", "", nil, "", 0, []string{"+44 7700 900123"}), true, false, ReasonSamePhone},
		{"phone and name", newProfile("Robert", "Smith", nil, "", 0, []string{"+447700900123"}), true, true, ReasonSamePhone},
		{"swapped names", newProfile("Smith", "Robert", nil, "1985-03-04", 0, nil), true, true, ReasonNamesSwapped},
		{"alias", newProfile("Jane", "Doe", []string{"Bobby Smith"}, "1985-03-04", 0, nil), true, true, ReasonAlias},
		{"namesake born elsewhen", newProfile("Robert", "Smith", nil, "1962-11-20", 0, nil), false, false, ""},
		{"date alone", newProfile("", "", nil, "1985-03-04", 0, nil), false, false, ""},
		{"other person same date", newProfile("Amina", "Begum", nil, "1985-03-04", 0, nil), false, false, ""},
		{"relative", newProfile("Sarah", "Smith", nil, "", 0, nil), false, false, ""},
	} {
		sc, why := score(c.probe, robert)
		if atLeast(sc, LikelyScore) != c.likely || atLeast(sc, AlertScore) != c.alert {
			t.Errorf("%s: score %.3f %v: want likely %v alert %v", c.name, sc, why, c.likely, c.alert)
		}
		if c.reason != "" && !slices.Contains(why, c.reason) {
			t.Errorf("%s: reasons %v lack %s", c.name, why, c.reason)
		}
		if sc < 0 || sc > 1 {
			t.Errorf("%s: score %v out of range", c.name, sc)
		}
	}
}

func TestKeysHoldTheBlocks(t *testing.T) {
	// A probe must share at least one raw key with the subject it should
	// find, for every kind of variation.
	subject := subjectKeys(newProfile("Robert", "Smith", []string{"Bobby Jones"}, "1985-03-04", 0, []string{"07700 900123"}))
	for name, probe := range map[string]profile{
		"nickname":   newProfile("Bob", "Smith", nil, "", 0, nil),
		"misspelt":   newProfile("Robbert", "Smyth", nil, "", 0, nil),
		"transposed": newProfile("Xavier", "Unrelated", nil, "1985-04-03", 0, nil),
		"initial":    newProfile("R", "Smith", nil, "1986", 0, nil),
		"family":     newProfile("", "Smith", nil, "", 1984, nil),
		"phone":      newProfile("", "", nil, "", 0, []string{"+44 (0)7700 900 123"}),
		"swapped":    newProfile("Smith", "Robert", nil, "", 0, nil),
		"alias":      newProfile("Bob", "Jones", nil, "", 0, nil),
	} {
		keys := probeKeys(probe)
		shared := false
		for _, k := range keys {
			if slices.Contains(subject, k) {
				shared = true
			}
		}
		if !shared {
			t.Errorf("%s: probe keys %v share nothing with %v", name, keys, subject)
		}
	}
}

func FuzzNames(f *testing.F) {
	for _, s := range []string{"Robert", "O’Brien", "Anne-Marie  Smith", "Zoë", "Łukasz", "ß", "\xff\xfe", "McDonald-Smith", "x", ""} {
		f.Add(s, "Smith")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		na := vault.NormaliseName(a)
		if vault.NormaliseName(na) != na {
			t.Fatalf("NormaliseName not idempotent on %q", a)
		}
		code := Phonetic(na)
		if len(code) > phoneticLen || strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			t.Fatalf("Phonetic(%q) = %q", na, code)
		}
		if isASCII(na) && Phonetic(strings.ToUpper(na)) != code {
			t.Fatalf("Phonetic case-sensitive on %q", na)
		}
		for _, c := range Canonical(na) {
			if c == "" || strings.Contains(c, " ") {
				t.Fatalf("Canonical(%q) holds %q", na, c)
			}
		}
		jw := JaroWinkler(a, b)
		if jw < 0 || jw > 1 || math.IsNaN(jw) {
			t.Fatalf("JaroWinkler(%q, %q) = %v", a, b, jw)
		}
		if JaroWinkler(a, a) != 1 {
			t.Fatalf("JaroWinkler(%q, itself) != 1", a)
		}
		p := newProfile(a, b, []string{b + " " + a, a}, a, 0, []string{a, b})
		if len(subjectKeys(p)) > maxKeysPerSubject || len(probeKeys(p)) > 2*maxKeysPerSubject {
			t.Fatal("too many keys")
		}
		if sc, _ := score(p, p); sc < 0 || sc > 1 || math.IsNaN(sc) {
			t.Fatalf("score %v", sc)
		}
	})
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
