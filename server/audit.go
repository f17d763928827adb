package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/api"
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
	s.appendAudit(store.AuditEvent{At: s.now().UTC(), Actor: "system", Action: action, Target: target, Detail: detail,
		Source: "system"})
}

func (s *Server) appendAudit(e store.AuditEvent) {
	if e.Client == "" {
		e.Client = s.auditClient(&e)
	}
	e, err := s.st.AppendAudit(e)
	if err != nil {
		s.log.Error("audit append failed", "action", e.Action, "err", err)
		return
	}
	if err := s.anchor.write(fmt.Sprintf("steward-audit seq=%d mac=%s", e.Seq, e.MAC)); err != nil {
		s.log.Error("audit anchor write failed", "seq", e.Seq, "err", err)
	}
}

// auditClient finds the client an event concerns: the "client" detail, or
// the client of its target, known by the target ID's prefix (c_ client,
// d_ device, r_ run, j_ job, u_ scoped user, and the client:ID and
// device:ID targets of agent updates). Events that concern no client
// return "".
func (s *Server) auditClient(e *store.AuditEvent) string {
	if c := e.Detail["client"]; c != "" {
		return c
	}
	target := e.Target
	if scope, id, ok := strings.Cut(target, ":"); ok {
		switch scope {
		case store.UpdateScopeClient:
			return id
		case store.UpdateScopeDevice:
			target = id
		default:
			return ""
		}
	}
	kind, _, _ := strings.Cut(target, "_")
	switch kind {
	case "c":
		return target
	case "d":
		if d, _, ok := s.fleet.Device(target); ok {
			return d.ClientID
		}
	case "r":
		if r, err := s.st.Run(target); err == nil {
			return r.ClientID
		}
	case "j":
		if j, err := s.st.Job(target); err == nil {
			return strings.Join(j.Clients, ",")
		}
	case "u":
		if u, err := s.st.User(target); err == nil && !u.AllClients {
			return strings.Join(u.Clients, ",")
		}
	}
	return ""
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
	action, actor, client := q.Get("action"), q.Get("actor"), q.Get("client")
	if client != "" {
		c, ok := s.resolveClient(p, client)
		if !ok {
			writeError(w, 404, "client not found")
			return
		}
		client = c.ID
	}
	evs, err := s.st.Audit(store.AuditQuery{After: after, Action: action, Actor: actor, Client: client, Limit: limit})
	if err != nil {
		writeError(w, 500, "internal error")
		return
	}
	writeJSON(w, 200, toAPIAuditEvents(evs))
}

func (s *Server) apiAuditVerify(w http.ResponseWriter, r *http.Request, p *principal) {
	n, err := s.verifyAudit()
	if err != nil {
		out := api.AuditVerify{OK: false, Records: n, Error: err.Error()}
		var br *store.AuditBreak
		if errors.As(err, &br) {
			out.FirstBad = &br.Seq
		}
		writeJSON(w, 200, out)
		return
	}
	writeJSON(w, 200, api.AuditVerify{OK: true, Records: n})
}
