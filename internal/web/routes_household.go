package web

import "frontdoor/internal/access"

// householdRoutes are the children and perpetrators around a client, and
// person search. Adding to a client's household is changing the client
// (UpdateRecord on it); the people service asks the policy about each
// record with its own facts.
func (s *Server) householdRoutes() []route {
	return []route{
		{"GET /people", Authorised, access.SearchRecords, s.searchForm},
		{"POST /people/search", Authorised, access.SearchRecords, s.searchPeople},

		{"GET /people/{id}/children/new", ForRecord, access.UpdateRecord, s.newChildForm},
		{"POST /people/{id}/children/new", ForRecord, access.UpdateRecord, s.createChild},
		{"GET /children/{id}", ForRecord, access.ReadRecord, s.child},
		{"GET /children/{id}/edit", ForRecord, access.UpdateRecord, s.editChildForm},
		{"POST /children/{id}/edit", ForRecord, access.UpdateRecord, s.updateChild},

		{"GET /people/{id}/perpetrators/new", ForRecord, access.UpdateRecord, s.newPerpetratorForm},
		{"POST /people/{id}/perpetrators/new", ForRecord, access.UpdateRecord, s.createPerpetrator},
		{"GET /people/{id}/perpetrators/link", ForRecord, access.UpdateRecord, s.linkPerpetratorForm},
		{"POST /people/{id}/perpetrators/link", ForRecord, access.UpdateRecord, s.linkPerpetrator},
		{"GET /perpetrators/{id}", ForRecord, access.ReadRecord, s.perpetrator},
		{"GET /perpetrators/{id}/edit", ForRecord, access.UpdateRecord, s.editPerpetratorForm},
		{"POST /perpetrators/{id}/edit", ForRecord, access.UpdateRecord, s.updatePerpetrator},
	}
}
