package web

import "net/http"

// Need says what a route requires before its handler runs. The access
// policy (internal/access) will refine "signed in" into per-record actions;
// every route must declare one, and a test fails if one does not.
type Need string

const (
	Public      Need = "public"        // anyone, signed in or not
	SignedIn    Need = "signed_in"     // any staff session
	AdminOnly   Need = "administrator" // account and configuration work
	Operational Need = "operational"   // health, readiness, metrics: no personal data
)

type route struct {
	pattern string
	need    Need
	handler http.HandlerFunc
}

func (s *Server) routeTable() []route {
	return []route{
		{"GET /healthz", Operational, s.healthz},
		{"GET /readyz", Operational, s.readyz},
		{"GET /metrics", Operational, s.metrics.serve},
		{"GET /static/{hash}/{file}", Public, s.static},

		{"GET /{$}", SignedIn, s.home},
		{"GET /signin", Public, s.signinForm},
		{"POST /signin", Public, s.signin},
		{"POST /signout", SignedIn, s.signout},
		{"GET /setup/{token}", Public, s.setupForm},
		{"POST /setup/{token}", Public, s.setup},
		{"GET /staff", AdminOnly, s.staffList},
	}
}

// Routes lists each pattern with what it needs, for tests and docs.
func (s *Server) Routes() map[string]Need {
	out := map[string]Need{}
	for _, r := range s.routes {
		out[r.pattern] = r.need
	}
	return out
}
