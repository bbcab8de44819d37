package web

import (
	"net/http"

	"frontdoor/internal/access"
)

// Need says what a route requires before its handler runs. Every route
// declares one, and routes that touch anything beyond the signed-in
// person's own account declare the policy action too; a test fails if
// either is missing.
type Need string

const (
	Public      Need = "public"       // anyone: sign-in, setup links, static assets
	Operational Need = "operational"  // health, readiness, metrics: no personal data
	SignInStep  Need = "sign_in_step" // a session part-way through sign-in (second factor, enrolment)
	SignedIn    Need = "signed_in"    // a full session, for the person's own account only
	Authorised  Need = "authorised"   // a full session and the policy's yes for the route's action
	ForRecord   Need = "record"       // a full session; the handler's capability service asks the policy about the record
)

type route struct {
	pattern string
	need    Need
	action  access.Action // for Authorised routes
	handler http.HandlerFunc
}

// routeTable is every browser route: the core's here, each capability's
// in its own routes_*.go file.
func (s *Server) routeTable() []route {
	var all []route
	for _, part := range [][]route{s.coreRoutes(), s.frontDoorRoutes(), s.householdRoutes(), s.selfReferralRoutes(), s.apiRoutes(), s.riskRoutes(), s.refugeRoutes(), s.moveOnRoutes(), s.outreachRoutes(), s.partnerRoutes()} {
		all = append(all, part...)
	}
	return all
}

func (s *Server) coreRoutes() []route {
	return []route{
		{"GET /healthz", Operational, "", s.healthz},
		{"GET /readyz", Operational, "", s.readyz},
		{"GET /metrics", Operational, "", s.metrics.serve},
		{"GET /static/{hash}/{file}", Public, "", s.static},
		{"/", Public, "", s.notFound},

		{"GET /signin", Public, "", s.signinForm},
		{"POST /signin", Public, "", s.signin},
		{"GET /setup/{token}", Public, "", s.setupForm},
		{"POST /setup/{token}", Public, "", s.setup},
		{"GET /signin/code", SignInStep, "", s.codeForm},
		{"POST /signin/code", SignInStep, "", s.code},
		{"GET /enrol", SignInStep, "", s.enrolForm},
		{"POST /enrol", SignInStep, "", s.enrol},
		{"POST /enrol/passkey/options", SignInStep, "", s.enrolPasskeyOptions},
		{"POST /enrol/passkey", SignInStep, "", s.enrolPasskey},
		{"POST /signin/passkey/options", SignInStep, "", s.signinPasskeyOptions},
		{"POST /signin/passkey", SignInStep, "", s.signinPasskey},
		{"POST /signout", SignInStep, "", s.signout},

		{"GET /{$}", SignedIn, "", s.home},
		{"GET /account", SignedIn, "", s.account},
		{"POST /account/passkeys/options", SignedIn, "", s.accountPasskeyOptions},
		{"POST /account/passkeys", SignedIn, "", s.addPasskey},
		{"POST /account/password", SignedIn, "", s.changePassword},
		{"POST /account/sessions/{id}/end", SignedIn, "", s.endOwnSession},

		{"GET /people/new", Authorised, access.CreateRecord, s.newClientForm},
		{"POST /people", Authorised, access.CreateRecord, s.createClient},
		{"GET /people/{id}", ForRecord, access.ReadRecord, s.client},
		{"GET /people/{id}/edit", ForRecord, access.UpdateRecord, s.editClientForm},
		{"POST /people/{id}", ForRecord, access.UpdateRecord, s.updateClient},
		{"POST /people/{id}/break-glass", ForRecord, access.BreakGlass, s.breakGlass},
		{"GET /people/{id}/history", ForRecord, access.ViewHistory, s.clientHistory},
		{"POST /people/{id}/restrict", ForRecord, access.RestrictRecord, s.restrictClient},
		{"POST /people/{id}/unrestrict", ForRecord, access.LiftRestriction, s.unrestrictClient},

		{"GET /review", Authorised, access.ReviewAudit, s.review},
		{"GET /review/records/{id}", Authorised, access.ReviewAudit, s.recordHistory},

		{"GET /staff", Authorised, access.ManageAccounts, s.staffList},
		{"GET /staff/{id}", Authorised, access.ManageAccounts, s.staffDetail},
		{"POST /staff/{id}/sessions/{sid}/end", Authorised, access.ManageAccounts, s.endStaffSession},
		{"POST /staff/{id}/disable", Authorised, access.ManageAccounts, s.disableStaff},
		{"POST /staff/{id}/enable", Authorised, access.ManageAccounts, s.enableStaff},
		{"POST /staff/{id}/reset-factors", Authorised, access.ManageAccounts, s.resetFactors},
		{"POST /staff/{id}/setup-link", Authorised, access.ManageAccounts, s.newSetupLink},
	}
}

// RouteInfo is a route's declared requirement.
type RouteInfo struct {
	Need   Need
	Action access.Action
}

// Routes lists each pattern with what it needs, for tests and docs.
func (s *Server) Routes() map[string]RouteInfo {
	out := map[string]RouteInfo{}
	for _, r := range s.routes {
		out[r.pattern] = RouteInfo{r.need, r.action}
	}
	return out
}
