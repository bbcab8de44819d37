// Package api is the JSON API for partner agencies' systems (police,
// housing, children's services): they send referrals into the front door's
// triage queue and follow their progress. It also carries accommodation
// (vacancy search, holds, offers, admissions, departures) for staff
// tokens, which act as one member of staff under the same access policy
// as the pages (accommodation.go), and outreach (support plans, sessions,
// check-ins, partner referrals, volunteer matches) for staff tokens, with
// the partner referrals sent to an agency for that agency's own token
// (outreach.go). It is a separate router from the
// browser pages: bearer tokens (auth.APIToken, scoped) and JSON only; no
// sessions, no cookies, no CSRF tokens, no HTML.
//
// Every request is authenticated by its token, checked for the route's
// scope and counted against the token's rate limit (in the database, shared
// by every node). Error bodies carry a code and a safe message (and the
// fields at fault), never a cause; logs carry the route pattern, status and
// token ID, never a path, a body or anything personal. The routes and their
// shapes are described by the OpenAPI document at /api/v1/openapi.json,
// which a test keeps in step with the router and the Go types.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"frontdoor/internal/api/ratelimit"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/i18n"
	"frontdoor/internal/intake"
	"frontdoor/internal/outreach"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
)

// Options configure the API.
type Options struct {
	DB     *store.DB
	Auth   *auth.Service
	Intake *intake.Service
	// Refuge serves the accommodation routes (staff tokens only); without
	// it they answer 503.
	Refuge *refuge.Service
	// Outreach serves the outreach routes (staff tokens) and the agency
	// routes (partner tokens); without it they answer 503.
	Outreach *outreach.Service
	// Record and ReadLog put refusals into the audit trail (by group
	// commit through ReadLog when set).
	Record  audit.Recorder
	ReadLog audit.ReadLog
	// Catalogue gives the (English) messages of error bodies.
	Catalogue *i18n.Catalogue
	Logger    *slog.Logger
	Now       func() time.Time
	// RateLimit is how many requests one token may make per RateWindow
	// (defaults: 120 a minute).
	RateLimit  int
	RateWindow time.Duration
	// MaxBody bounds a request body (default 64 KiB).
	MaxBody int64
}

// API is the partner agencies' JSON API.
type API struct {
	Options
	limiter *ratelimit.Limiter
	routes  []route
	mux     *http.ServeMux
}

// Scopes the routes need (auth.TokenScopes).
const (
	ScopeCreate = "referral.create"
	ScopeRead   = "referral.read"
)

type route struct {
	pattern string // "METHOD /path", as http.ServeMux takes it
	scope   string // "" for the public document
	handler func(w http.ResponseWriter, r *http.Request, t *auth.APIToken)
}

// New builds the API.
func New(o Options) (*API, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Catalogue == nil {
		c, err := i18n.Load()
		if err != nil {
			return nil, err
		}
		o.Catalogue = c
	}
	if o.RateLimit <= 0 {
		o.RateLimit = 120
	}
	if o.RateWindow <= 0 {
		o.RateWindow = time.Minute
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 64 << 10
	}
	a := &API{Options: o, limiter: &ratelimit.Limiter{DB: o.DB, Now: o.Now}, mux: http.NewServeMux()}
	a.routes = []route{
		{"POST /api/v1/referrals", ScopeCreate, a.createReferral},
		{"GET /api/v1/referrals/{id}", ScopeRead, a.getReferral},
		{"GET /api/v1/openapi.json", "", a.openAPI},
	}
	a.routes = append(a.routes, a.accommodationRoutes()...)
	a.routes = append(a.routes, a.outreachRoutes()...)
	for _, rt := range a.routes {
		a.mux.Handle(rt.pattern, a.guard(rt))
	}
	a.mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, http.StatusNotFound, problem{Code: string(errs.NotFound), Reason: a.msg("api.no_such_route")})
	}))
	return a, nil
}

// Routes maps each of the API's patterns ("METHOD /path") to the token
// scope it needs ("" for none), for tests and docs.
func (a *API) Routes() map[string]string {
	out := make(map[string]string, len(a.routes))
	for _, r := range a.routes {
		out[r.pattern] = r.scope
	}
	return out
}

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyRoute
)

// RequestID is the ID of the API request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(keyRequestID).(string)
	return s
}

// statusWriter remembers the status for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// logged holds what the log line says about a request beyond its status.
type logged struct {
	route string
	token string
}

// Handler is the API with its middleware: a request ID, headers that keep
// responses out of caches and browsers' hands, panic recovery into a JSON
// error, and one log line per request by route pattern (never the path).
func (a *API) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var b [8]byte
		rand.Read(b[:])
		rid := hex.EncodeToString(b[:])
		info := &logged{route: "unmatched"}
		ctx := context.WithValue(context.WithValue(r.Context(), keyRequestID, rid), keyRoute, info)
		r = r.WithContext(ctx)
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Request-Id", rid)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				a.Logger.Error("panic in API handler", "request_id", rid, "route", info.route, "panic", slog.AnyValue(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					a.fail(sw, r, http.StatusInternalServerError, problem{Code: string(errs.Internal), Reason: a.msg("error.internal")})
				}
			}
			a.Logger.Info("api request", "request_id", rid, "route", info.route, "token", info.token, "status", sw.status,
				"duration_ms", float64(time.Since(start).Microseconds())/1000)
		}()
		a.mux.ServeHTTP(sw, r)
	})
}

// guard authenticates the bearer token, checks the route's scope and the
// token's rate limit before the handler runs.
func (a *API) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := r.Context().Value(keyRoute).(*logged)
		if info != nil {
			info.route = rt.pattern
		}
		if rt.scope == "" {
			rt.handler(w, r, nil)
			return
		}
		bearer, ok := bearerToken(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="frontdoor"`)
			a.fail(w, r, http.StatusUnauthorized, problem{Code: string(errs.Unauthenticated), Reason: a.msg("api.token_missing")})
			return
		}
		t, err := a.Auth.AuthenticateToken(r.Context(), bearer)
		if err != nil {
			if errs.CodeOf(err) == errs.Unauthenticated {
				w.Header().Set("WWW-Authenticate", `Bearer realm="frontdoor", error="invalid_token"`)
				a.fail(w, r, http.StatusUnauthorized, problem{Code: string(errs.Unauthenticated), Reason: a.msg("api.token_invalid")})
				return
			}
			a.fault(w, r, err)
			return
		}
		if info != nil {
			info.token = t.ID
		}
		// A route of staff work needs a token that acts for a member of
		// staff; a partner agency's token is told so plainly.
		if slices.Contains(auth.StaffTokenScopes, rt.scope) && t.StaffID == "" {
			if !a.refused(w, r, t, rt, "a partner agency's token on a route of staff work") {
				return
			}
			a.fail(w, r, http.StatusForbidden, problem{Code: codeStaffTokenRequired, Reason: a.msg("api.staff_token_required")})
			return
		}
		if !t.Allows(rt.scope) {
			if !a.refused(w, r, t, rt, "the token is not scoped for "+rt.scope) {
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="frontdoor", error="insufficient_scope", scope="`+rt.scope+`"`)
			a.fail(w, r, http.StatusForbidden, problem{Code: string(errs.Forbidden), Reason: a.msg("api.scope_missing", rt.scope)})
			return
		}
		// An organisation that can never use the scope (a commissioning
		// body) is refused whatever its token carries.
		if err := t.PartnerScopeRefusal(rt.scope); err != nil {
			if !a.refused(w, r, t, rt, "the token's organisation can never use "+rt.scope) {
				return
			}
			e := errs.As(err)
			a.fail(w, r, http.StatusForbidden, problem{Code: string(errs.Forbidden), Reason: a.msg(e.Key, e.Args...)})
			return
		}
		ok, wait, err := a.limiter.Allow(r.Context(), "api_token:"+t.ID, a.RateLimit, a.RateWindow)
		if err != nil {
			a.fault(w, r, err)
			return
		}
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
			a.fail(w, r, http.StatusTooManyRequests, problem{Code: "rate_limited", Reason: a.msg("api.rate_limited")})
			return
		}
		rt.handler(w, r, t)
	})
}

// refused records a route the token may not use in the audit trail (the
// token named, as for every event a token's request records); false means
// it could not be recorded and the request has been answered.
func (a *API) refused(w http.ResponseWriter, r *http.Request, t *auth.APIToken, rt route, reason string) bool {
	err := errs.Refused(false, errs.Refusal{ActorID: t.StaffID, Action: "api.scope", RecordKind: "api_token", RecordID: t.ID,
		Reason: reason + " (" + rt.pattern + ")"})
	if rerr := a.recordRefusal(r, err); rerr != nil {
		a.fault(w, r, rerr)
		return false
	}
	return true
}

// recordRefusal puts the refusal err answers, if any, into the audit trail
// before the answer goes out.
func (a *API) recordRefusal(r *http.Request, err error) error {
	if a.Record == nil && a.ReadLog == nil {
		return nil
	}
	return audit.RecordRefusal(r.Context(), a.DB, a.Record, a.ReadLog, err)
}

// bearerToken takes the token from "Authorization: Bearer <token>".
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !equalFold(h[:7], "Bearer ") {
		return "", false
	}
	t := h[7:]
	for len(t) > 0 && t[0] == ' ' {
		t = t[1:]
	}
	return t, t != ""
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// problem is one entry of an error body. Field names the input at fault
// (a JSON path such as "client.given_name", or a header name); Reason is a
// safe message from the catalogue, never a cause or a value sent.
type problem struct {
	Field  string `json:"field,omitempty"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// ErrorBody is every error response: {"errors": [...]}.
type ErrorBody struct {
	Errors    []problem `json:"errors"`
	RequestID string    `json:"request_id,omitempty"`
}

func (a *API) msg(key string, args ...any) string {
	return a.Catalogue.Printer(i18n.Default).T(key, args...)
}

func (a *API) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"errors":[{"code":"internal","reason":"internal error"}]}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, status int, ps ...problem) {
	a.writeJSON(w, status, ErrorBody{Errors: ps, RequestID: RequestID(r.Context())})
}

// fault answers an error from a capability: field errors as 422 naming
// each field, others by code with the safe message; the cause of an
// internal error goes to the log (it carries no personal data).
func (a *API) fault(w http.ResponseWriter, r *http.Request, err error, fieldName ...func(string) string) {
	if rerr := a.recordRefusal(r, err); rerr != nil {
		a.Logger.Error("recording a refusal failed", "request_id", RequestID(r.Context()), "err", rerr)
		a.fail(w, r, http.StatusServiceUnavailable, problem{Code: string(errs.Unavailable), Reason: a.msg("error.unavailable")})
		return
	}
	if fields := errs.AllFields(err); len(fields) > 0 {
		name := func(f string) string { return f }
		if len(fieldName) > 0 {
			name = fieldName[0]
		}
		ps := make([]problem, 0, len(fields))
		for _, f := range fields {
			ps = append(ps, problem{Field: name(f.Field), Code: string(errs.Invalid), Reason: a.msg(f.Key, f.Args...)})
		}
		a.fail(w, r, http.StatusUnprocessableEntity, ps...)
		return
	}
	e := errs.As(err)
	status := http.StatusInternalServerError
	switch e.Code {
	case errs.Invalid:
		status = http.StatusUnprocessableEntity
	case errs.NotFound:
		status = http.StatusNotFound
	case errs.Conflict:
		status = http.StatusConflict
	case errs.Unavailable:
		status = http.StatusServiceUnavailable
	case errs.Unauthenticated:
		status = http.StatusUnauthorized
	case errs.Forbidden:
		status = http.StatusForbidden
	}
	if status >= 500 {
		a.Logger.Error("api request failed", "request_id", RequestID(r.Context()), "err", err)
	}
	a.fail(w, r, status, problem{Code: string(e.Code), Reason: a.msg(e.Key, e.Args...)})
}
