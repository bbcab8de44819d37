package web

import "frontdoor/internal/access"

// outreachRoutes are support in the client's own home: a client's support
// plan (needs with their actions, the safety plan, outcome measures) and
// sessions, the worker's week, a session's record, lone-working check-ins
// and the duty managers' escalations.
//
// The client's plan page and the forms that start a plan or book sessions
// are the client's (ForRecord, the client's ID in the path). The rest are
// open to everyone who may search records; the outreach service then
// decides per record on the client's facts (or, for a diary and an
// escalation, on the worker's teams), answering 404 to someone with no
// part in it and 403 to someone who may see it but not take the step.
// Paths carry opaque IDs and the week's date only; the client a plan form
// is about travels in the form.
func (s *Server) outreachRoutes() []route {
	return []route{
		{"GET /people/{id}/plan", ForRecord, access.ReadRecord, s.outreachPlan},
		{"POST /people/{id}/plan", ForRecord, access.UpdateRecord, s.outreachStartPlan},
		{"POST /people/{id}/sessions", ForRecord, access.UpdateRecord, s.outreachBook},

		{"POST /outreach/plans/{id}/needs", Authorised, access.SearchRecords, s.outreachAddNeed},
		{"POST /outreach/needs/{id}", Authorised, access.SearchRecords, s.outreachUpdateNeed},
		{"POST /outreach/needs/{id}/actions", Authorised, access.SearchRecords, s.outreachAddAction},
		{"POST /outreach/actions/{id}/done", Authorised, access.SearchRecords, s.outreachActionDone},
		{"POST /outreach/plans/{id}/safety", Authorised, access.SearchRecords, s.outreachSafetyPlan},
		{"POST /outreach/plans/{id}/outcomes", Authorised, access.SearchRecords, s.outreachOutcome},

		{"GET /outreach/week", Authorised, access.SearchRecords, s.outreachWeek},
		{"GET /outreach/sessions/{id}", Authorised, access.SearchRecords, s.outreachSession},
		{"POST /outreach/sessions/{id}", Authorised, access.SearchRecords, s.outreachRecordSession},
		{"POST /outreach/sessions/{id}/checkin", Authorised, access.SearchRecords, s.outreachCheckIn},

		{"GET /outreach/escalations", Authorised, access.SearchRecords, s.outreachEscalations},
		{"POST /outreach/escalations/{id}/respond", Authorised, access.SearchRecords, s.outreachRespond},
	}
}
