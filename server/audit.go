package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// clientIP is the caller's address. X-Forwarded-For is believed only when
// the direct peer is a configured trusted proxy.
func (s *Server) clientIP(r *http.Request) string { return httpx.ClientIP(r, s.cfg.TrustedProxies) }

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	q := r.URL.Query()
	after, _ := strconv.ParseUint(q.Get("after"), 10, 64)
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	action, actor, client := q.Get("action"), q.Get("actor"), q.Get("client")
	if client != "" {
		c, ok := s.resolveClient(p, client)
		if !ok {
			httpx.WriteError(w, 404, "client not found")
			return
		}
		client = c.ID
	}
	evs, err := s.st.Audit(store.AuditQuery{After: after, Action: action, Actor: actor, Client: client, Limit: limit})
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, toAPIAuditEvents(evs))
}

func (s *Server) apiAuditVerify(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	n, err := s.alog.Verify()
	if err != nil {
		out := api.AuditVerify{OK: false, Records: n, Error: err.Error()}
		var br *store.AuditBreak
		if errors.As(err, &br) {
			out.FirstBad = &br.Seq
		}
		httpx.WriteJSON(w, 200, out)
		return
	}
	httpx.WriteJSON(w, 200, api.AuditVerify{OK: true, Records: n})
}
