package server

import (
	"net/http"
	"net/http/pprof"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
)

// routeTable lists the wiring's own routes: health, the OpenAPI
// document, the event stream and the operator's diagnostics.
func (s *Server) routeTable() []httpx.Route {
	pub := httpx.Public
	perm := httpx.NeedPerm
	return []httpx.Route{
		httpx.R("GET", "/healthz", pub, func(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
			httpx.WriteJSON(w, 200, api.Healthz{OK: true, Agents: s.hub.Count()})
		}),
		httpx.R("GET", "/api/v1/openapi.json", pub, s.apiOpenAPI),
		httpx.R("GET", "/api/v1/events", perm(httpx.PermView), s.apiEvents),
		httpx.R("GET", "/metrics", perm(httpx.PermAdmin), func(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
			s.metric.handler().ServeHTTP(w, r)
		}),
		httpx.R("GET", "/debug/pprof/{name...}", perm(httpx.PermAdmin), func(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
			switch r.PathValue("name") {
			case "profile":
				pprof.Profile(w, r)
			case "trace":
				pprof.Trace(w, r)
			case "":
				pprof.Index(w, r)
			default:
				pprof.Handler(r.PathValue("name")).ServeHTTP(w, r)
			}
		}),
	}
}

// allRoutes is every API route with its policy; the route walker test
// checks each one.
func (s *Server) allRoutes() []httpx.Route {
	all := append(s.routeTable(), s.accounts.Routes()...)
	all = append(all, s.devices.Routes()...)
	all = append(all, s.jobs.Routes()...)
	all = append(all, s.link.Routes()...)
	all = append(all, s.install.Routes()...)
	all = append(all, s.audit.Routes()...)
	all = append(all, s.shell.Routes()...)
	all = append(all, s.scripts.Routes()...)
	all = append(all, s.notify.Routes()...)
	all = append(all, s.alerts.Routes()...)
	all = append(all, s.vault.Routes()...)
	all = append(all, s.attach.Routes()...)
	all = append(all, s.assets.Routes()...)
	all = append(all, s.tickets.Routes()...)
	all = append(all, s.toolbox.Routes()...)
	all = append(all, s.helpdesk.Routes()...)
	all = append(all, s.updates.Routes()...)
	all = append(all, s.portal.Routes()...)
	all = append(all, s.auto.Routes()...)
	all = append(all, s.contract.Routes()...)
	all = append(all, s.invoices.Routes()...)
	all = append(all, s.consent.Routes()...)
	return append(all, s.clients.Routes()...)
}

// RouteInfo describes one API route and its auth policy, for the test
// that walks every route.
type RouteInfo struct {
	Method, Pattern string
	Public, Agent   bool
	Partial, Fresh  bool
	Perm            string
	// Portal and PortalAdmin: a customer portal route (see httpx.Policy).
	Portal, PortalAdmin bool
}

// Routes lists every API route with its policy.
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range s.allRoutes() {
		out = append(out, RouteInfo{Method: rt.Method, Pattern: rt.Pattern, Public: rt.Pol.Public, Agent: rt.Pol.Agent,
			Partial: rt.Pol.Partial, Fresh: rt.Pol.Fresh, Perm: rt.Pol.Perm,
			Portal: rt.Pol.Portal, PortalAdmin: rt.Pol.PortalAdmin})
	}
	return out
}

// routes serves the routes whose pattern serve accepts, and the dashboard
// when dashboard is set (with --agent-listen, each listener serves its part).
func (s *Server) routes(serve func(pattern string) bool, dashboard bool) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.allRoutes() {
		rt := rt
		if !serve(rt.Pattern) {
			continue
		}
		mux.HandleFunc(rt.Method+" "+rt.Pattern, func(w http.ResponseWriter, r *http.Request) {
			s.serveRoute(w, r, rt)
		})
	}
	var h http.Handler = mux
	if dashboard {
		h = s.webRoutes(mux)
	}
	return securityHeaders(h)
}

func (s *Server) serveRoute(w http.ResponseWriter, r *http.Request, rt httpx.Route) {
	if rt.Pol.Public || rt.Pol.Agent {
		rt.H(w, r, nil)
		return
	}
	// An agent's client certificate is never an operator credential.
	p, err := s.authenticate(r, rt)
	if err != nil {
		httpx.WriteError(w, http.StatusUnauthorized, "authentication required")
		return
	}
	p.Remote = s.clientIP(r)
	s.serveAs(w, r, rt, p)
}

// serveAs serves rt for the authenticated principal p: the route's policy,
// CSRF, the second factor, consent narrowing, then the handler.
func (s *Server) serveAs(w http.ResponseWriter, r *http.Request, rt httpx.Route, p *httpx.Principal) {
	// Portal principals and operator principals never share a route: a
	// customer sees nothing of the MSP's tools, a technician calls the
	// portal only through "view as the customer" (a portal principal).
	if (p.Portal != nil) != rt.Pol.Portal {
		httpx.WriteError(w, http.StatusNotFound, "not found")
		return
	}
	if rt.Pol.PortalAdmin && !p.Portal.Admin {
		httpx.WriteError(w, http.StatusForbidden, "permission denied: needs a customer admin")
		return
	}
	// A technician viewing as the customer changes nothing, whatever the
	// portal route.
	if p.Portal != nil && p.Portal.ViewedBy != "" && r.Method != http.MethodGet && r.Method != http.MethodHead {
		httpx.WriteError(w, http.StatusForbidden, "read only: a technician viewing as the customer cannot change anything")
		return
	}
	// Has also needs the seat of the permission's module (remote support
	// for run, shell, power, patch, services); Denied then names the seat.
	if rt.Pol.Perm != "" && !p.Has(rt.Pol.Perm) {
		httpx.WriteError(w, http.StatusForbidden, p.Denied(rt.Pol.Perm))
		return
	}
	if p.Via == "session" && r.Method != http.MethodGet && r.Method != http.MethodHead {
		if !s.accounts.CheckCSRF(r, p) {
			httpx.WriteError(w, http.StatusForbidden, "missing or wrong CSRF token")
			return
		}
	}
	if rt.Pol.Fresh && !s.accounts.Fresh(p) {
		httpx.WriteNeedFresh(w, "this action needs a fresh two-factor check")
		return
	}
	if p.Portal == nil && !rt.Pol.NoConsent {
		// Clients that require consent and have no grant covering this
		// route leave the scope; a handler's "not found" about one of
		// them becomes a refusal naming the missing grant.
		s.consent.Narrow(p, r.Method, rt.Pol.Perm)
		if p.Consent != nil {
			cw := &httpx.ConsentWriter{ResponseWriter: w, P: p, Explain: func() string { return s.consent.Explain(p, r) }}
			rt.H(cw, r, p)
			s.consent.Done(p, r, rt.Pattern, cw.Status)
			return
		}
	}
	rt.H(w, r, p)
}

// authenticate finds the caller of a route: on a portal route the
// portal's session first, elsewhere the operator's credentials first.
// The other kind is tried next, so that a caller of the wrong kind is
// answered 404 by the gate in serveRoute rather than 401.
func (s *Server) authenticate(r *http.Request, rt httpx.Route) (*httpx.Principal, error) {
	first, second := s.accounts.Authenticate, s.portal.Authenticate
	if rt.Pol.Partial {
		first = s.accounts.FromPartial
	}
	if rt.Pol.Portal {
		first, second = s.portal.Authenticate, s.accounts.Authenticate
	}
	p, err := first(r)
	if err != nil {
		if q, err2 := second(r); err2 == nil {
			return q, nil
		}
	}
	return p, err
}

// HandlerAs serves every API route as if p had authenticated (a copy of
// p per request), for in-process tests of routes whose principals have
// no sign-in here yet (the customer portal's). Never served.
func (s *Server) HandlerAs(p httpx.Principal) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.allRoutes() {
		if rt.Pol.Public || rt.Pol.Agent {
			continue
		}
		mux.HandleFunc(rt.Method+" "+rt.Pattern, func(w http.ResponseWriter, r *http.Request) {
			pp := p
			s.serveAs(w, r, rt, &pp)
		})
	}
	return mux
}

// clientIP is the caller's address. X-Forwarded-For is believed only when
// the direct peer is a configured trusted proxy.
func (s *Server) clientIP(r *http.Request) string { return httpx.ClientIP(r, s.cfg.TrustedProxies) }

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Strict-Transport-Security", "max-age=31536000")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}
