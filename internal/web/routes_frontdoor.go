package web

import "frontdoor/internal/access"

// frontDoorRoutes are the single front door: contacts and callbacks,
// referrals and the triage queue, and a client's case page. Queues and
// forms are for the people who hold cases (CreateRecord); anything about
// one referral or client is ForRecord, decided by the intake service on
// the client's facts.
func (s *Server) frontDoorRoutes() []route {
	return []route{
		{"GET /contacts/new", Authorised, access.CreateRecord, s.newContactForm},
		{"POST /contacts/new", Authorised, access.CreateRecord, s.logContact},
		{"GET /callbacks", Authorised, access.CreateRecord, s.callbacks},
		{"POST /callbacks/{id}/done", Authorised, access.CreateRecord, s.callbackDone},
		{"GET /referrals/new", Authorised, access.CreateRecord, s.newReferralForm},
		{"POST /referrals/new", Authorised, access.CreateRecord, s.createReferral},
		{"GET /triage", Authorised, access.CreateRecord, s.triageQueue},
		{"GET /referrals/{id}", ForRecord, access.ReadRecord, s.showReferral},
		{"POST /referrals/{id}", ForRecord, access.UpdateRecord, s.updateReferral},
		{"GET /people/{id}/timeline", ForRecord, access.ReadRecord, s.timeline},
		{"POST /people/{id}/cases/{case}", ForRecord, access.UpdateRecord, s.caseStatus},
		{"POST /alerts/{id}/read", Authorised, access.CreateRecord, s.alertRead},
	}
}
