package web

func (s *Server) refugeRoutes() []route {
	return nil
}
