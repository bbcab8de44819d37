package web

import "frontdoor/internal/access"

// riskRoutes are risk assessment, tasks and MARAC. Lists of meetings and
// tasks are for the people who hold cases (CreateRecord); everything that
// touches one client's case is ForRecord, decided by the risk service on
// the client's facts.
func (s *Server) riskRoutes() []route {
	return []route{
		{"GET /people/{id}/risk/new", ForRecord, access.UpdateRecord, s.newRiskAssessment},
		{"POST /people/{id}/risk", ForRecord, access.UpdateRecord, s.assessRisk},
		{"GET /people/{id}/risk/{aid}", ForRecord, access.ReadRecord, s.riskAssessment},
		{"POST /people/{id}/risk/{aid}/marac-referral", ForRecord, access.UpdateRecord, s.referEscalation},
		{"GET /people/{id}/risk/review-request", ForRecord, access.UpdateRecord, s.reviewRequestForm},
		{"POST /people/{id}/risk/review-request", ForRecord, access.UpdateRecord, s.requestReview},

		{"GET /tasks", Authorised, access.CreateRecord, s.tasks},
		{"POST /tasks/{id}/allocate", ForRecord, access.UpdateRecord, s.allocateTask},
		{"POST /tasks/{id}/done", ForRecord, access.UpdateRecord, s.closeTask},

		{"GET /marac", Authorised, access.CreateRecord, s.marac},
		{"POST /marac/meetings", Authorised, access.CreateRecord, s.createMeeting},
		{"GET /marac/meetings/{id}", Authorised, access.CreateRecord, s.maracMeeting},
		{"GET /marac/referrals/{id}", ForRecord, access.ReadRecord, s.maracReferral},
		{"POST /marac/referrals/{id}/agenda", ForRecord, access.UpdateRecord, s.addToAgenda},
		{"POST /marac/referrals/{id}/actions", ForRecord, access.UpdateRecord, s.recordAction},
		{"POST /marac/referrals/{id}/outcome", ForRecord, access.UpdateRecord, s.recordOutcome},
		{"POST /marac/actions/{id}/done", ForRecord, access.UpdateRecord, s.completeAction},
	}
}
