package server

import (
	"net/http"

	"github.com/steward-rmm/steward/server/httpx"
)

// clientIP is the caller's address. X-Forwarded-For is believed only when
// the direct peer is a configured trusted proxy.
func (s *Server) clientIP(r *http.Request) string { return httpx.ClientIP(r, s.cfg.TrustedProxies) }
