package web

func (s *Server) selfReferralRoutes() []route {
	return nil
}
