package server

// updateRoutes serves signed agent releases and the update API.
func (s *Server) updateRoutes() []route { return nil }
