package web

// selfReferralRoutes are the public self-referral page (selfreferral.go):
// no session is read or made on them.
func (s *Server) selfReferralRoutes() []route {
	return []route{
		{"GET /self-referral", Public, "", s.selfReferralForm},
		{"POST /self-referral", Public, "", s.selfReferral},
		{"GET /self-referral/thanks", Public, "", s.selfReferralThanks},
		{"GET /self-referral/static/{hash}/{file}", Public, "", s.selfReferralAsset},
	}
}
