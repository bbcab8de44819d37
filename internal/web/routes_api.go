package web

// apiRoutes is empty on purpose: the partner agencies' JSON API is a
// separate router (package api, Options.API) that Handler mounts at /api/,
// outside the browser middleware (no sessions, no CSRF, no HTML). Its
// routes are listed by api.API.Routes and described by its OpenAPI
// document.
func (s *Server) apiRoutes() []route {
	return nil
}
