package web

import "frontdoor/internal/access"

func (s *Server) riskRoutes() []route {
	return []route{
		{"GET /people/{id}/risk/new", ForRecord, access.UpdateRecord, s.newRiskAssessment},
		{"POST /people/{id}/risk", ForRecord, access.UpdateRecord, s.assessRisk},
		{"GET /people/{id}/risk/{aid}", ForRecord, access.ReadRecord, s.riskAssessment},
	}
}
