package web

import "frontdoor/internal/access"

// partnerRoutes are partner agencies, referrals to them and volunteers.
//
// Agencies and their information sharing agreements are recorded by
// administrators and the data protection lead (ManageSharing).
//
// A client's partner referrals and volunteer matches are the client's
// (ForRecord, the client's ID in the path). Withdrawing a referral,
// ending a match, adding an appointment and recording a supervision are
// open to everyone who may search records; the service then decides on
// the client's facts (or, for supervision, on the manager's teams).
//
// A partner agency user's work queue (AgencyReferrals) and a volunteer's
// matched clients (MatchedClients) are their own pages; the home page
// shows the same to them. The service decides on each referral (the
// policy's referral.update on the shared-with-agency relation) and each
// match.
func (s *Server) partnerRoutes() []route {
	return []route{
		{"GET /partners", Authorised, access.ManageSharing, s.partnersPage},
		{"POST /partners", Authorised, access.ManageSharing, s.partnersRegister},
		{"POST /partners/{id}/agreements", Authorised, access.ManageSharing, s.partnersAgreement},

		{"GET /people/{id}/partners", ForRecord, access.ReadRecord, s.clientPartners},
		{"POST /people/{id}/partners", ForRecord, access.UpdateRecord, s.referToPartner},
		{"POST /partner-referrals/{id}/withdraw", Authorised, access.SearchRecords, s.withdrawPartnerReferral},

		{"GET /people/{id}/volunteers", ForRecord, access.ReadRecord, s.clientVolunteers},
		{"POST /people/{id}/volunteers", ForRecord, access.UpdateRecord, s.matchVolunteer},
		{"POST /volunteer-matches/{id}/end", Authorised, access.SearchRecords, s.endVolunteerMatch},
		{"POST /volunteer-matches/{id}/appointments", Authorised, access.SearchRecords, s.addVolunteerAppointment},
		{"POST /volunteers/{id}/supervision", Authorised, access.SearchRecords, s.recordSupervision},

		{"GET /agency", Authorised, access.AgencyReferrals, s.agencyPage},
		{"POST /agency/referrals/{id}", Authorised, access.AgencyReferrals, s.agencyMove},
		{"GET /volunteer", Authorised, access.MatchedClients, s.volunteerPage},
	}
}
