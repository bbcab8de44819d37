package web

func (s *Server) householdRoutes() []route {
	return nil
}
