package server

// installRoutes serves install scripts and agent packages.
func (s *Server) installRoutes() []route { return nil }
