// Package web serves the browser pages and the operational endpoints
// (health, readiness, metrics). Handlers are thin: parse, call a
// capability package, render a template whose every string comes from the
// message catalogue.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/i18n"
	"frontdoor/internal/intake"
	"frontdoor/internal/matching"
	"frontdoor/internal/outreach"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/review"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
)

// Options configure a Server.
type Options struct {
	DB     *store.DB
	Auth   *auth.Service
	Grants *access.Grants
	People *people.Service
	Risk   *risk.Service
	Intake *intake.Service
	Refuge *refuge.Service
	// Outreach is support in the client's home and lone working; nil:
	// the outreach pages answer 404.
	Outreach *outreach.Service
	// Matches finds likely existing people at intake and keeps the
	// counter-allegation alerts.
	Matches *matching.Index
	// Record appends to the audit trail inside a transaction.
	Record audit.Recorder
	// ReadLog records refusals by group commit; nil records each in a
	// transaction of its own through Record.
	ReadLog audit.ReadLog
	// Review is the data protection lead's oversight (package review).
	Review    *review.Service
	Catalogue *i18n.Catalogue
	Logger    *slog.Logger
	// Secure is true when browsers reach us over HTTPS (our own TLS or a
	// TLS proxy in front): cookies then carry Secure and the __Host- prefix.
	Secure bool
	// BehindProxy trusts the proxy's X-Forwarded-For entry for the source
	// address used by sign-in throttling.
	BehindProxy bool
	// BaseURL is the public address, for links the pages show; empty uses
	// the request's Host.
	BaseURL string
	// API is the partner agencies' JSON API (package api), mounted at
	// /api/ outside the browser middleware: bearer tokens and JSON only,
	// no sessions, cookies or CSRF. Nil: no API.
	API http.Handler
	// Registry receives the metrics; nil makes a private one.
	Registry *prometheus.Registry
	Now      func() time.Time
}

// Server is the HTTP side of frontdoor.
type Server struct {
	Options
	pages   *pages
	metrics *metrics
	routes  []route
	mux     *http.ServeMux
}

// New builds the server and its routes.
func New(o Options) (*Server, error) {
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p, err := loadPages(o.Catalogue)
	if err != nil {
		return nil, err
	}
	s := &Server{Options: o, pages: p, mux: http.NewServeMux()}
	s.metrics = newMetrics(o.Registry, o.DB)
	s.routes = s.routeTable()
	for _, r := range s.routes {
		s.mux.Handle(r.pattern, s.guard(r))
	}
	return s, nil
}

// Handler returns the whole application with its middleware. Cross-origin
// protection rejects state-changing requests that a browser marks as coming
// from another site (Sec-Fetch-Site / Origin), on top of SameSite=Strict
// cookies. The API, when there is one, has its own router and middleware
// under /api/ (bearer tokens, JSON): no browser middleware touches it.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, http.StatusForbidden, "error.cross_origin")
	}))
	browser := s.observe(s.secureHeaders(cop.Handler(s.mux)))
	if s.API == nil {
		return browser
	}
	root := http.NewServeMux()
	root.Handle("/api/", s.API)
	root.Handle("/", browser)
	return root
}

// Ready reports whether the database answers and its schema is current.
func (s *Server) Ready(ctx context.Context) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		return false, "database unreachable"
	}
	st, err := s.DB.Status(ctx)
	if err != nil {
		return false, "schema check failed"
	}
	if !st.UpToDate() {
		return false, "migrations pending"
	}
	return true, "ready"
}
