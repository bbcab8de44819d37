package web

func (s *Server) apiRoutes() []route {
	return nil
}
