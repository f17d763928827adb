package server

import "net/http"

// webRoutes serves the dashboard.
func (s *Server) webRoutes(mux *http.ServeMux) {}
