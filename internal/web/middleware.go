package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
)

type ctxKey int

const (
	keyNonce ctxKey = iota
	keyRequestID
	keyStaff
	keyRoute
	keySession
)

func nonceOf(r *http.Request) string     { s, _ := r.Context().Value(keyNonce).(string); return s }
func requestIDOf(r *http.Request) string { s, _ := r.Context().Value(keyRequestID).(string); return s }
func staffOf(r *http.Request) *auth.Staff {
	st, _ := r.Context().Value(keyStaff).(*auth.Staff)
	return st
}

// statusWriter remembers the status for logs and metrics.
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

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives each request an ID, recovers panics into a plain error
// page, and logs and counts the request by its route pattern. Paths are
// never logged: they can hold setup tokens, and later record IDs.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var b [8]byte
		rand.Read(b[:])
		rid := hex.EncodeToString(b[:])
		// The mux matches on a copy of the request further in, so the
		// route's guard writes the pattern into this holder for us.
		route := new(string)
		ctx := context.WithValue(r.Context(), keyRequestID, rid)
		r = r.WithContext(context.WithValue(ctx, keyRoute, route))
		// The same reference the error pages quote, as the API gives it:
		// it joins a request with its log line and audit events.
		w.Header().Set("X-Request-Id", rid)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				// The stack has file names and lines, not request data.
				s.Logger.Error("panic in handler", "request_id", rid, "route", *route, "panic", slog.AnyValue(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.renderError(sw, r, http.StatusInternalServerError, "error.internal")
				}
			}
			pattern := *route
			if pattern == "" {
				pattern = "unmatched"
			}
			d := time.Since(start)
			s.metrics.observe(pattern, r.Method, sw.status, d)
			if pattern != "GET /healthz" && pattern != "GET /readyz" && pattern != "GET /metrics" {
				s.Logger.Info("request", "request_id", rid, "route", pattern, "status", sw.status, "duration_ms", float64(d.Microseconds())/1000)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// secureHeaders sets a strict Content-Security-Policy with a per-request
// nonce, keeps every response out of caches (pages may hold personal
// data; static assets override this), and refuses framing and sniffing.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [18]byte
		rand.Read(b[:])
		nonce := base64.StdEncoding.EncodeToString(b[:])
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.Secure {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyNonce, nonce)))
	})
}

// guard enforces a route's Need before its handler runs.
func (s *Server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if holder, ok := r.Context().Value(keyRoute).(*string); ok {
			*holder = rt.pattern
		}
		if r.Method == http.MethodPost && !s.readForm(w, r) {
			return
		}
		if rt.need == Public || rt.need == Operational {
			rt.handler(w, r)
			return
		}
		se := s.currentSession(r)
		switch {
		case se == nil:
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/signin", http.StatusSeeOther)
				return
			}
			s.renderError(w, r, http.StatusUnauthorized, "error.signin_required")
			return
		case rt.need == SignInStep:
			// Sign-out works at any stage; the steps only at their own.
		case se.Stage != auth.StageFull:
			// Part-way through sign-in: only the next step is reachable.
			http.Redirect(w, r, stagePage(se.Stage), http.StatusSeeOther)
			return
		}
		ctx := context.WithValue(r.Context(), keyStaff, se.Staff)
		r = r.WithContext(context.WithValue(ctx, keySession, se))
		if rt.need == Authorised {
			// Service-wide actions only: a record action needs the record's
			// facts, which only the handler's capability service has.
			if err := access.RequireService(actorOf(se), rt.action); err != nil {
				s.formError(w, r, "error", view{}, err)
				return
			}
		}
		rt.handler(w, r)
	})
}

func stagePage(stage string) string {
	if stage == auth.StageEnrol {
		return "/enrol"
	}
	return "/signin/code"
}

func actorOf(se *auth.Session) access.Actor {
	return access.Actor{StaffID: se.Staff.ID, Role: se.Staff.Role, OrganisationID: se.Staff.OrganisationID, TeamIDs: se.TeamIDs}
}

func sessionOf(r *http.Request) *auth.Session {
	se, _ := r.Context().Value(keySession).(*auth.Session)
	return se
}

func (s *Server) cookieName() string {
	if s.Secure {
		return "__Host-frontdoor-session"
	}
	return "frontdoor-session"
}

func (s *Server) sessionToken(r *http.Request) string {
	c, err := r.Cookie(s.cookieName())
	if err != nil {
		return ""
	}
	return c.Value
}

func (s *Server) currentSession(r *http.Request) *auth.Session {
	token := s.sessionToken(r)
	if token == "" {
		return nil
	}
	se, err := s.Auth.Session(r.Context(), token)
	if err != nil {
		return nil
	}
	return se
}

// source is the address a request came from, for sign-in throttling: the
// proxy's last X-Forwarded-For entry when --behind-proxy (the one our proxy
// added; earlier ones are the client's to invent), else the peer address.
func (s *Server) source(r *http.Request) string {
	if s.BehindProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); ip != "" {
				return throttleSource(ip)
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return throttleSource(host)
}

// throttleSource groups IPv6 addresses by their /64, the block one
// customer usually holds, so rotating addresses inside it does not reset
// the count; IPv4 addresses count one by one.
func throttleSource(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() != nil {
		return addr
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

func (s *Server) setSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: token, Path: "/", HttpOnly: true, Secure: s.Secure, SameSite: http.SameSiteStrictMode})
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.Secure, SameSite: http.SameSiteStrictMode})
}

// RequestID returns the ID of the request a context belongs to, or "" off
// a request (the command line); the audit trail records it.
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(keyRequestID).(string)
	return s
}

// readForm parses a POST body once, before any handler, within formLimit:
// a larger body is answered "too large" rather than read as an empty
// form (which would blame the first field).
func (s *Server) readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	err := r.ParseForm()
	if err == nil {
		return true
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		s.renderError(w, r, http.StatusRequestEntityTooLarge, "error.too_large")
	} else {
		s.renderError(w, r, http.StatusBadRequest, "error.bad_form")
	}
	return false
}
