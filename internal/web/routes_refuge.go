package web

import "frontdoor/internal/access"

// refugeRoutes are accommodation: the vacancy board and search, holds,
// referrals to a vacancy, stays, properties and a client's unsafe areas.
//
// The vacancy, referral, stay and property routes are open to everyone
// who may search records (caseworkers, their managers); the refuge
// service then decides per record on the property's team or the client's
// facts, answering 404 to someone with no part in it and 403 to someone
// who may see it but not take the step. Nothing a survivor's household
// needs travels in a URL: searches and holds are POSTs, paths carry
// opaque IDs only.
func (s *Server) refugeRoutes() []route {
	return []route{
		{"GET /vacancies", Authorised, access.SearchRecords, s.vacancies},
		{"POST /vacancies/search", Authorised, access.SearchRecords, s.searchVacancies},
		{"POST /vacancies/units/{id}/hold", Authorised, access.SearchRecords, s.holdVacancy},
		{"POST /vacancies/units/{id}/vacate", Authorised, access.SearchRecords, s.vacateUnit},
		{"POST /vacancies/turnaway", Authorised, access.SearchRecords, s.recordTurnaway},

		{"GET /refuge/referrals", Authorised, access.SearchRecords, s.refugeInbox},
		{"GET /refuge/referrals/{id}", Authorised, access.SearchRecords, s.refugeReferral},
		{"POST /refuge/referrals/{id}/offer", Authorised, access.SearchRecords, s.offerReferral},
		{"POST /refuge/referrals/{id}/accept", Authorised, access.SearchRecords, s.acceptReferral},
		{"POST /refuge/referrals/{id}/decline", Authorised, access.SearchRecords, s.declineReferral},
		{"POST /refuge/referrals/{id}/admit", Authorised, access.SearchRecords, s.admitReferral},

		{"GET /refuge/stays/{id}", Authorised, access.SearchRecords, s.refugeStay},
		{"POST /refuge/stays/{id}/expected-move-out", Authorised, access.SearchRecords, s.setExpectedMoveOut},
		{"POST /refuge/stays/{id}/depart", Authorised, access.SearchRecords, s.departStay},

		{"GET /refuge/properties/new", Authorised, access.ManageProperties, s.newProperty},
		{"POST /refuge/properties", Authorised, access.ManageProperties, s.createProperty},
		{"GET /refuge/properties/{id}", Authorised, access.SearchRecords, s.refugeProperty},
		{"POST /refuge/properties/{id}/criteria", Authorised, access.SearchRecords, s.updatePropertyCriteria},

		{"GET /people/{id}/unsafe-areas", ForRecord, access.ReadRecord, s.unsafeAreas},
		{"POST /people/{id}/unsafe-areas", ForRecord, access.UpdateRecord, s.saveUnsafeAreas},
	}
}
