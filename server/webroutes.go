package server

import (
	"net/http"

	"github.com/steward-rmm/steward/server/web"
)

// webRoutes serves the dashboard: index.html for the app's own paths and
// the embedded static files under /assets/ (see package web). It returns
// mux wrapped so that an unknown page gets the app's own "page not found"
// and an unknown /api/ path a JSON 404.
func (s *Server) webRoutes(mux *http.ServeMux) http.Handler {
	h, err := web.New()
	if err != nil {
		// The files are embedded at build time; a failure here is a broken
		// build, and the API still works without the dashboard.
		s.log.Error("dashboard assets", "err", err)
		return mux
	}
	h.Register(mux)
	return h.WithNotFound(mux)
}
