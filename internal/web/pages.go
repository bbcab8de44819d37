package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/i18n"
	"frontdoor/internal/people"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pages holds one parsed template set per page and language, each the
// layout plus the page with "t" bound to that language's printer, and the
// static assets under content-hashed paths so they can be cached forever
// and a changed file is never served stale. The sets are made once at
// start: cloning a set per request to bind the printer cost more than
// executing most pages.
type pages struct {
	cat    *i18n.Catalogue
	byName map[string]map[string]*template.Template // page → language → set
	assets map[string]asset                         // file name → content
}

type asset struct {
	hash string
	body []byte
	mime string
}

func loadPages(cat *i18n.Catalogue) (*pages, error) {
	p := &pages{cat: cat, byName: map[string]map[string]*template.Template{}, assets: map[string]asset{}}
	err := fs.WalkDir(staticFiles, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFiles.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		mime := "application/octet-stream"
		switch path.Ext(name) {
		case ".css":
			mime = "text/css; charset=utf-8"
		case ".js":
			mime = "text/javascript; charset=utf-8"
		case ".svg":
			mime = "image/svg+xml"
		}
		p.assets[path.Base(name)] = asset{hash: hex.EncodeToString(sum[:8]), body: b, mime: mime}
		return nil
	})
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
		// Bound to each language's printer below.
		"t":     func(key string, args ...any) string { return key },
		"tcode": func(prefix, code string) string { return code },
		"field": func(v view, name, label, hint string) formField {
			return formField{Name: name, Label: label, Hint: hint, Value: v.Form[name], Error: v.Field[name]}
		},
		"channels":    func() []string { return people.Channels },
		"list":        func(s ...string) []string { return s },
		"add":         func(a, b int) int { return a + b },
		"safety":      func() []string { return []string{people.NotKnown, people.Safe, people.Unsafe} },
		"immigration": func() []string { return people.ImmigrationStatuses },
		"asset": func(name string) string {
			a, ok := p.assets[name]
			if !ok {
				return "/static/missing/" + name
			}
			return "/static/" + a.hash + "/" + name
		},
		// uncachedAsset is an asset served with no-store, for the public
		// self-referral pages.
		"uncachedAsset": func(name string) string {
			a, ok := p.assets[name]
			if !ok {
				return "/self-referral/static/missing/" + name
			}
			return "/self-referral/static/" + a.hash + "/" + name
		},
	}
	// The layout and the shared partials (files named _*.html) go into
	// every page's template set.
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFiles, n)
		if err != nil {
			return nil, err
		}
		byLang := map[string]*template.Template{}
		for _, lang := range cat.Languages() {
			lt, err := t.Clone()
			if err != nil {
				return nil, err
			}
			pr := cat.Printer(lang)
			byLang[lang] = lt.Funcs(template.FuncMap{"t": pr.T, "tcode": func(prefix, code string) string { return wordCode(cat, pr, prefix, code) }})
		}
		p.byName[strings.TrimSuffix(base, ".html")] = byLang
	}
	return p, nil
}

// view is what every template receives.
type view struct {
	Lang      string
	Nav       bool // a full session: show the navigation
	CanCreate bool // the policy lets this person create client records
	// Uncached pages (the public self-referral page) load their assets
	// from a no-store path, so the browser's cache keeps no trace of them.
	Uncached  bool
	Title     string // catalogue key
	Nonce     string
	RequestID string
	Staff     any
	// Errors lists field errors for the error summary at the top of a
	// form; Field maps field name → message for the inline ones.
	Errors []fieldError
	Field  map[string]string
	Form   map[string]string
	Data   any
}

type fieldError struct{ Field, Message string }

// wordCode says a stored code (an audit action, a record kind) in words:
// the catalogue's prefix+code when it has one, else the code with its
// punctuation turned into spaces, never a bracketed key.
func wordCode(cat *i18n.Catalogue, pr i18n.Printer, prefix, code string) string {
	if cat.Has(prefix + code) {
		return pr.T(prefix + code)
	}
	return strings.NewReplacer("_", " ", ".", " ").Replace(code)
}

// formField is one text input as the shared form templates draw it.
type formField struct{ Name, Label, Hint, Value, Error string }

// printer words messages in the language the request asks for (the
// catalogue's best match for Accept-Language).
func (s *Server) printer(r *http.Request) i18n.Printer {
	return s.Catalogue.Printer(s.Catalogue.Match(r.Header.Get("Accept-Language")))
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	pr := s.printer(r)
	t, ok := s.pages.byName[page][pr.Lang]
	if !ok {
		panic("web: no template " + page + " in " + pr.Lang)
	}
	v.Lang, v.Nonce, v.RequestID = pr.Lang, nonceOf(r), requestIDOf(r)
	if st := staffOf(r); st != nil && v.Staff == nil {
		v.Staff = st
	}
	if se := sessionOf(r); se != nil && se.Stage == auth.StageFull {
		v.Nav = true
		v.CanCreate = access.Decide(actorOf(se), access.CreateRecord, access.Record{}).Allow
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		s.Logger.Error("render failed", "page", page, "request_id", v.RequestID, "err", err)
		http.Error(w, pr.T("error.internal"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderError shows a plain error page: a safe message and the request ID
// to quote to support, never the cause.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, key string) {
	title := "error.title"
	switch status {
	case http.StatusForbidden:
		title = "error.title_forbidden"
	case http.StatusNotFound:
		title = "error.title_not_found"
	case http.StatusUnauthorized:
		title = "signin.title"
	case http.StatusUnprocessableEntity, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusBadRequest:
		title = "error.title_cannot"
	}
	s.render(w, r, status, "error", view{Title: title, Data: key})
}

// formError re-renders a form with the error against its field, or shows
// the error page for errors that are not about a field.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, page string, v view, err error) {
	s.formErrorStatus(w, r, 0, page, v, err)
}

// formErrorStatus is formError answering status (0: by the error's code).
func (s *Server) formErrorStatus(w http.ResponseWriter, r *http.Request, status int, page string, v view, err error) {
	e := errs.As(err)
	if e.Code == errs.Internal {
		s.Logger.Error("request failed", "request_id", requestIDOf(r), "err", err)
	}
	// A refusal goes into the audit trail before it is answered; if it
	// cannot be recorded, nothing else is said.
	if rerr := audit.RecordRefusal(r.Context(), s.DB, s.Record, s.ReadLog, err); rerr != nil {
		s.Logger.Error("recording a refusal failed", "request_id", requestIDOf(r), "err", rerr)
		s.renderError(w, r, http.StatusServiceUnavailable, "error.unavailable")
		return
	}
	pr := s.printer(r)
	if status == 0 {
		status = statusOf(e.Code)
	}
	fields := errs.AllFields(err)
	if len(fields) == 0 && e.Code == errs.Unauthenticated && page != "error" {
		fields = []*errs.Error{{Code: e.Code, Key: e.Key, Args: e.Args, Field: "form"}}
	}
	if len(fields) == 0 {
		s.renderError(w, r, status, e.Key)
		return
	}
	// Every field error at once: in the summary at the top, and beside
	// each field.
	v.Field = map[string]string{}
	for _, f := range fields {
		msg := pr.T(f.Key, f.Args...)
		v.Errors = append(v.Errors, fieldError{Field: f.Field, Message: msg})
		if _, seen := v.Field[f.Field]; !seen {
			v.Field[f.Field] = msg
		}
	}
	s.render(w, r, status, page, v)
}

func statusOf(c errs.Code) int {
	switch c {
	case errs.Invalid:
		return http.StatusUnprocessableEntity
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.Forbidden:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	a, ok := s.pages.assets[r.PathValue("file")]
	if !ok || a.hash != r.PathValue("hash") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.mime)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(a.body)
}
