package web

import "frontdoor/internal/access"

// moveOnRoutes are a stay's children's tasks (GP registration, school
// place) and its move-on plan with housing applications, all shown on the
// stay page.
//
// Like the other stay routes they are open to everyone who may search
// records; the refuge service decides per stay on the property's team
// (who change them) and the client's facts (whose worker may read them).
// Every form is a POST to the stay's path; the task or application it is
// about travels in the form, never personal data in a URL.
func (s *Server) moveOnRoutes() []route {
	return []route{
		{"POST /refuge/stays/{id}/child-tasks", Authorised, access.SearchRecords, s.completeChildTask},
		{"POST /refuge/stays/{id}/moveon-plan", Authorised, access.SearchRecords, s.saveMoveOnPlan},
		{"POST /refuge/stays/{id}/housing-applications", Authorised, access.SearchRecords, s.addHousingApplication},
		{"POST /refuge/stays/{id}/housing-events", Authorised, access.SearchRecords, s.recordHousingEvent},
	}
}
