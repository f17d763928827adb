package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/server/store"
)

// audit writes one event for an HTTP request by a non-operator (agents,
// anonymous callers).
func (s *Server) audit(r *http.Request, actor, action, target string, detail map[string]string) {
	s.appendAudit(store.AuditEvent{At: s.now().UTC(), Actor: actor, Action: action, Target: target,
		Detail: detail, Source: s.clientIP(r)})
}

// auditP writes one event for an operator action.
func (s *Server) auditP(p *principal, action, target string, detail map[string]string) {
	s.appendAudit(store.AuditEvent{At: s.now().UTC(), Actor: p.Name, Action: action, Target: target,
		Detail: detail, Source: p.Remote})
}

func (s *Server) auditSystem(action, target string, detail map[string]string) {
	s.appendAudit(store.AuditEvent{At: s.now().UTC(), Actor: "system", Action: action, Target: target, Detail: detail})
}

func (s *Server) appendAudit(e store.AuditEvent) {
	e, err := s.st.AppendAudit(e)
	if err != nil {
		s.log.Error("audit append failed", "action", e.Action, "err", err)
		return
	}
	if err := s.anchor.write(fmt.Sprintf("steward-audit seq=%d mac=%s", e.Seq, e.MAC)); err != nil {
		s.log.Error("audit anchor write failed", "seq", e.Seq, "err", err)
	}
}

// clientIP is the caller's address. X-Forwarded-For is believed only when
// the direct peer is a configured trusted proxy.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(s.cfg.TrustedProxies) > 0 && slices.Contains(s.cfg.TrustedProxies, host) {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	return host
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, p *principal) {
	q := r.URL.Query()
	after, _ := strconv.ParseUint(q.Get("after"), 10, 64)
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	action, actor := q.Get("action"), q.Get("actor")
	evs, err := s.st.Audit(after, func(e *store.AuditEvent) bool {
		return (action == "" || strings.HasPrefix(e.Action, action)) && (actor == "" || e.Actor == actor)
	}, limit)
	if err != nil {
		writeError(w, 500, "internal error")
		return
	}
	if evs == nil {
		evs = []store.AuditEvent{}
	}
	writeJSON(w, 200, evs)
}

func (s *Server) apiAuditVerify(w http.ResponseWriter, r *http.Request, p *principal) {
	n, err := s.verifyAudit()
	if err != nil {
		out := map[string]any{"ok": false, "records": n, "error": err.Error()}
		var br *store.AuditBreak
		if errors.As(err, &br) {
			out["first_bad"] = br.Seq
		}
		writeJSON(w, 200, out)
		return
	}
	writeJSON(w, 200, map[string]any{"ok": true, "records": n})
}
