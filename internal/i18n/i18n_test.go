package i18n

import (
	"strings"
	"testing"
)

func TestCatalogueLoadsAndHasEnglish(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Keys(Default)) == 0 {
		t.Fatal("English catalogue is empty")
	}
	for _, k := range c.Keys(Default) {
		if strings.TrimSpace(c.Printer(Default).T(k)) == "" {
			t.Errorf("key %q has an empty English message", k)
		}
	}
}

// Another language may lack keys (English shows instead) but must not
// invent keys English does not have: that would be a typo nobody sees.
func TestOtherLanguagesOnlyUseKnownKeys(t *testing.T) {
	c := MustLoad()
	for _, lang := range c.Languages() {
		for _, k := range c.Keys(lang) {
			if !c.Has(k) {
				t.Errorf("%s has key %q that English lacks", lang, k)
			}
		}
	}
}

func TestMissingKeyIsVisible(t *testing.T) {
	c := MustLoad()
	if got := c.Printer("en").T("no.such.key"); got != "[no.such.key]" {
		t.Fatalf("missing key rendered as %q", got)
	}
}

func TestMatch(t *testing.T) {
	c := &Catalogue{langs: map[string]map[string]string{"en": {}, "cy": {}}}
	cases := map[string]string{
		"":                        "en",
		"cy":                      "cy",
		"cy-GB,en;q=0.8":          "cy",
		"fr-FR,fr;q=0.9,en;q=0.5": "en",
		"pl, cy;q=0.3":            "cy",
		";;,,":                    "en",
	}
	for header, want := range cases {
		if got := c.Match(header); got != want {
			t.Errorf("Match(%q) = %q, want %q", header, got, want)
		}
	}
	if c.Printer("xx").Lang != "en" {
		t.Error("unknown language did not fall back to English")
	}
}

func FuzzMatch(f *testing.F) {
	c := MustLoad()
	f.Add("en-GB,en;q=0.9")
	f.Add("cy;q=abc,,;")
	f.Fuzz(func(t *testing.T, header string) {
		lang := c.Match(header)
		if _, ok := c.langs[lang]; !ok {
			t.Fatalf("Match(%q) = %q, not a catalogue language", header, lang)
		}
	})
}
