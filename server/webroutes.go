package server

import (
	"net/http"

	"github.com/steward-rmm/steward/server/web"
)

// webRoutes serves the dashboard: index.html for the app's own paths and
// the embedded static files under /assets/ (see package web).
func (s *Server) webRoutes(mux *http.ServeMux) {
	h, err := web.New()
	if err != nil {
		// The files are embedded at build time; a failure here is a broken
		// build, and the API still works without the dashboard.
		s.log.Error("dashboard assets", "err", err)
		return
	}
	h.Register(mux)
}
