package web

func (s *Server) frontDoorRoutes() []route {
	return nil
}
