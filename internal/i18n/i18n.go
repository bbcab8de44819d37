// Package i18n is the message catalogue: every string a person reads on a
// page, in an error or on the command line's user-facing output comes from
// here by key. English is the reference; other languages add files with the
// same keys and fall back to English for any key they lack.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed messages/*.json
var files embed.FS

// Default is the reference language; every key exists in it.
const Default = "en"

// Catalogue holds the messages of every language.
type Catalogue struct {
	langs map[string]map[string]string
}

// Load reads the embedded catalogue.
func Load() (*Catalogue, error) {
	entries, err := fs.ReadDir(files, "messages")
	if err != nil {
		return nil, err
	}
	c := &Catalogue{langs: map[string]map[string]string{}}
	for _, e := range entries {
		b, err := files.ReadFile(path.Join("messages", e.Name()))
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", e.Name(), err)
		}
		// A language's messages may be split by capability: en.json,
		// en.intake.json... all merge into "en"; a key in two files is a
		// defect, not an override.
		lang, _, _ := strings.Cut(strings.TrimSuffix(e.Name(), ".json"), ".")
		if c.langs[lang] == nil {
			c.langs[lang] = map[string]string{}
		}
		for k, v := range m {
			if _, dup := c.langs[lang][k]; dup {
				return nil, fmt.Errorf("catalogue %s: key %q is already defined in another %s file", e.Name(), k, lang)
			}
			c.langs[lang][k] = v
		}
	}
	if _, ok := c.langs[Default]; !ok {
		return nil, fmt.Errorf("catalogue: no %s messages", Default)
	}
	return c, nil
}

// MustLoad is Load for program start, where a broken embedded catalogue is
// a build defect.
func MustLoad() *Catalogue {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// Languages lists the catalogue's languages, sorted.
func (c *Catalogue) Languages() []string {
	var out []string
	for l := range c.langs {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Keys lists the keys of a language, sorted.
func (c *Catalogue) Keys(lang string) []string {
	var out []string
	for k := range c.langs[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether the reference language has key.
func (c *Catalogue) Has(key string) bool {
	_, ok := c.langs[Default][key]
	return ok
}

// Printer renders messages in one language.
type Printer struct {
	Lang string
	c    *Catalogue
}

// Printer returns a printer for lang, or for the reference language when
// the catalogue does not have lang.
func (c *Catalogue) Printer(lang string) Printer {
	if _, ok := c.langs[lang]; !ok {
		lang = Default
	}
	return Printer{Lang: lang, c: c}
}

// T returns the message for key, formatted with args (fmt verbs in the
// message). A key missing everywhere shows as itself in brackets, so it is
// visible in a screenshot and caught by the catalogue tests.
func (p Printer) T(key string, args ...any) string {
	msg, ok := p.c.langs[p.Lang][key]
	if !ok {
		msg, ok = p.c.langs[Default][key]
	}
	if !ok {
		return "[" + key + "]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Match picks the best catalogue language for an Accept-Language header.
// Quality values are honoured in order of appearance, which is how
// browsers send them.
func (c *Catalogue) Match(acceptLanguage string) string {
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		if tag == "" {
			continue
		}
		if _, ok := c.langs[tag]; ok {
			return tag
		}
		base, _, _ := strings.Cut(tag, "-")
		if _, ok := c.langs[base]; ok {
			return base
		}
	}
	return Default
}
