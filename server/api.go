package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/pprof"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Routes lists the API's routes with their policies (exported for tests
// through RouteTable).
func (s *Server) routeTable() []httpx.Route {
	pub := httpx.Public
	agent := httpx.Agent
	perm := httpx.NeedPerm
	return []httpx.Route{
		httpx.R("GET", "/healthz", pub, func(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
			httpx.WriteJSON(w, 200, api.Healthz{OK: true, Agents: s.hub.Count()})
		}),
		httpx.R("POST", "/agent/enroll", pub, func(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) { s.handleEnroll(w, r) }),
		httpx.R("GET", "/agent/ws", agent, func(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) { s.handleAgentWS(w, r) }),
		httpx.R("GET", "/agent/ca.pem", pub, func(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
			w.Header().Set("Content-Type", "application/x-pem-file")
			_, _ = w.Write(s.ca.PEM)
		}),

		httpx.R("GET", "/api/v1/openapi.json", pub, s.apiOpenAPI),
		httpx.R("GET", "/api/v1/overview", perm(httpx.PermView), s.apiOverview),
		httpx.R("GET", "/api/v1/events", perm(httpx.PermView), s.apiEvents),
		httpx.R("GET", "/api/v1/clients", perm(httpx.PermView), s.apiClients),
		httpx.R("POST", "/api/v1/clients", perm(httpx.PermClients), s.apiCreateClient),
		httpx.R("GET", "/api/v1/tokens", perm(httpx.PermClients), s.apiTokens),
		httpx.R("POST", "/api/v1/tokens", perm(httpx.PermClients), s.apiCreateToken),
		httpx.R("DELETE", "/api/v1/tokens/{id}", perm(httpx.PermClients), s.apiRevokeToken),
		httpx.R("GET", "/api/v1/devices", perm(httpx.PermView), s.apiDevices),
		httpx.R("GET", "/api/v1/devices/{id}", perm(httpx.PermView), s.apiDevice),
		httpx.R("DELETE", "/api/v1/devices/{id}", perm(httpx.PermClients), s.apiRevokeDevice),
		httpx.R("PATCH", "/api/v1/devices/{id}", perm(httpx.PermClients), s.apiUpdateDevice),
		httpx.R("POST", "/api/v1/devices/{id}/approve", perm(httpx.PermClients), s.apiApproveDevice),
		httpx.R("GET", "/api/v1/groups", perm(httpx.PermView), s.apiGroups),
		httpx.R("GET", "/api/v1/devices/{id}/runs", perm(httpx.PermView), s.apiDeviceRuns),
		httpx.R("POST", "/api/v1/devices/{id}/refresh", perm(httpx.PermView), s.apiRefresh),
		httpx.R("GET", "/api/v1/software", perm(httpx.PermView), s.apiSoftwareSearch),
		httpx.R("POST", "/api/v1/jobs", perm(httpx.PermView), s.apiCreateJob), // kind-specific permission checked inside
		httpx.R("GET", "/api/v1/jobs", perm(httpx.PermView), s.apiJobs),
		httpx.R("GET", "/api/v1/jobs/{id}", perm(httpx.PermView), s.apiJob),
		httpx.R("POST", "/api/v1/jobs/{id}/cancel", perm(httpx.PermView), s.apiCancelJob),
		httpx.R("GET", "/api/v1/runs/{id}", perm(httpx.PermView), s.apiRun),
		httpx.R("GET", "/api/v1/runs/{id}/output", perm(httpx.PermView), s.apiRunOutput),
		httpx.R("POST", "/api/v1/runs/{id}/cancel", perm(httpx.PermView), s.apiCancelRun),
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
	all = append(all, s.install.Routes()...)
	all = append(all, s.audit.Routes()...)
	all = append(all, s.shell.Routes()...)
	all = append(all, s.scripts.Routes()...)
	return append(all, s.updates.Routes()...)
}

// RouteInfo describes one API route and its auth policy, for the test
// that walks every route.
type RouteInfo struct {
	Method, Pattern string
	Public, Agent   bool
	Partial, Fresh  bool
	Perm            string
}

// Routes lists every API route with its policy.
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range s.allRoutes() {
		out = append(out, RouteInfo{Method: rt.Method, Pattern: rt.Pattern, Public: rt.Pol.Public, Agent: rt.Pol.Agent,
			Partial: rt.Pol.Partial, Fresh: rt.Pol.Fresh, Perm: rt.Pol.Perm})
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
	if dashboard {
		s.webRoutes(mux)
	}
	return securityHeaders(mux)
}

func (s *Server) serveRoute(w http.ResponseWriter, r *http.Request, rt httpx.Route) {
	if rt.Pol.Public || rt.Pol.Agent {
		rt.H(w, r, nil)
		return
	}
	// An agent's client certificate is never an operator credential.
	authn := s.accounts.Authenticate
	if rt.Pol.Partial {
		authn = s.accounts.FromPartial
	}
	p, err := authn(r)
	if err != nil {
		httpx.WriteError(w, http.StatusUnauthorized, "authentication required")
		return
	}
	p.Remote = s.clientIP(r)
	if rt.Pol.Perm != "" && !p.Has(rt.Pol.Perm) {
		httpx.WriteError(w, http.StatusForbidden, "permission denied: needs "+rt.Pol.Perm)
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
	rt.H(w, r, p)
}

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

func (s *Server) apiClients(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	cs, err := s.st.Clients()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	out := []api.Client{}
	for _, c := range cs {
		if p.CanSeeClient(c.ID) {
			out = append(out, toAPIClient(c))
		}
	}
	httpx.WriteJSON(w, 200, out)
}

var nameRE = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} ._&'()-]{0,99}$`)

func (s *Server) apiCreateClient(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.CreateClientRequest
	if err := httpx.DecodeBody(r, &req, 4096); err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if !nameRE.MatchString(req.Name) {
		httpx.WriteError(w, 400, "client name must be 1-100 letters, digits, spaces or . _ & ' ( ) -")
		return
	}
	if !p.AllClients {
		httpx.WriteError(w, 403, "only users scoped to all clients can create clients")
		return
	}
	c := store.Client{ID: httpx.NewID("c"), Name: req.Name, CreatedAt: s.now()}
	if err := s.st.CreateClient(c); errors.Is(err, store.ErrExists) {
		httpx.WriteError(w, 409, "a client with that name exists")
		return
	} else if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.fleet.SetClientName(c.ID, c.Name)
	s.alog.AuditP(p, "client.create", c.ID, map[string]string{"name": c.Name})
	httpx.WriteJSON(w, 201, toAPIClient(c))
}

// resolveClient accepts a client ID or name, within scope.
func (s *Server) resolveClient(p *httpx.Principal, ref string) (store.Client, bool) {
	cs, _ := s.st.Clients()
	for _, c := range cs {
		if (c.ID == ref || strings.EqualFold(c.Name, ref)) && p.CanSeeClient(c.ID) {
			return c, true
		}
	}
	return store.Client{}, false
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	ts, err := s.st.EnrollTokens("")
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	out := []api.EnrollToken{}
	for _, t := range ts {
		if p.CanSeeClient(t.ClientID) {
			out = append(out, toAPIEnrollToken(t))
		}
	}
	httpx.WriteJSON(w, 200, out)
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.CreateEnrollTokenRequest
	if err := httpx.DecodeBody(r, &req, 4096); err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	c, ok := s.resolveClient(p, req.Client)
	if !ok {
		httpx.WriteError(w, 404, "client not found")
		return
	}
	if req.ExpiresSeconds <= 0 {
		req.ExpiresSeconds = 7 * 24 * 3600
	}
	if req.ExpiresSeconds > 365*24*3600 || req.MaxUses < 0 || req.MaxUses > 1_000_000 {
		httpx.WriteError(w, 400, "expires_seconds must be at most a year and max_uses at most 1000000")
		return
	}
	secret := httpx.NewSecret("enr")
	t := store.EnrollToken{ID: httpx.NewID("et"), ClientID: c.ID, Hash: httpx.HashSecret(secret), Note: httpx.CleanText(req.Note, 200),
		CreatedAt: s.now(), CreatedBy: p.Name, ExpiresAt: s.now().Add(time.Duration(req.ExpiresSeconds) * time.Second),
		MaxUses: req.MaxUses, RequireApproval: req.RequireApproval || s.cfg.RequireApproval}
	if err := s.st.CreateEnrollToken(t); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.alog.AuditP(p, "token.create", t.ID, map[string]string{"client": c.ID, "max_uses": fmt.Sprint(t.MaxUses),
		"expires": t.ExpiresAt.Format(time.RFC3339), "require_approval": fmt.Sprint(t.RequireApproval)})
	httpx.WriteJSON(w, 201, api.EnrollTokenCreated{EnrollToken: toAPIEnrollToken(t), Token: secret, Install: s.install.Commands(secret)})
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	ts, _ := s.st.EnrollTokens("")
	for _, t := range ts {
		if t.ID == r.PathValue("id") && p.CanSeeClient(t.ClientID) {
			t, err := s.st.RevokeEnrollToken(t.ID)
			if err != nil {
				httpx.WriteError(w, 500, "internal error")
				return
			}
			s.alog.AuditP(p, "token.revoke", t.ID, map[string]string{"client": t.ClientID})
			httpx.WriteJSON(w, 200, toAPIEnrollToken(t))
			return
		}
	}
	httpx.WriteError(w, 404, "token not found")
}

func boolParam(r *http.Request, name string) (*bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, fmt.Errorf("%s must be true or false", name)
	}
	return &b, nil
}

func (s *Server) apiDevices(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	q := r.URL.Query()
	f := fleet.Filter{Clients: p.ClientScope(), OS: q.Get("os"), Search: q.Get("search"), DeviceType: q.Get("type"),
		Sort: q.Get("sort"), Desc: q.Get("order") == "desc"}
	f.Group = q.Get("group") // folder, exact match
	var err error
	switch q.Get("approval") {
	case "":
	case fleet.ApprovalPending, fleet.ApprovalApproved:
		pending := q.Get("approval") == fleet.ApprovalPending
		f.Pending = &pending
	default:
		httpx.WriteError(w, 400, "approval must be pending or approved")
		return
	}
	for name, dst := range map[string]**bool{"online": &f.Online, "pending_reboot": &f.PendingReboot,
		"has_patches": &f.HasPatches, "security": &f.Security} {
		if *dst, err = boolParam(r, name); err != nil {
			httpx.WriteError(w, 400, err.Error())
			return
		}
	}
	if c := q.Get("client"); c != "" {
		cl, ok := s.resolveClient(p, c)
		if !ok {
			httpx.WriteError(w, 404, "client not found")
			return
		}
		f.Clients = []string{cl.ID}
	}
	if len(f.Search) > 256 {
		httpx.WriteError(w, 400, "search longer than 256 characters")
		return
	}
	f.Limit, f.Offset = 100, 0
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 50000 {
			httpx.WriteError(w, 400, "limit must be 1..50000")
			return
		}
	}
	if v := q.Get("offset"); v != "" {
		if f.Offset, err = strconv.Atoi(v); err != nil || f.Offset < 0 {
			httpx.WriteError(w, 400, "offset must be >= 0")
			return
		}
	}
	views, total := s.fleet.List(f)
	if views == nil {
		views = []fleet.View{}
	}
	for i := range views {
		s.redactDuplicate(p, &views[i])
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	if q.Get("format") == "csv" {
		writeDevicesCSV(w, views)
		return
	}
	httpx.WriteJSON(w, 200, api.DeviceList{Devices: toAPIDevices(views), Total: total, Offset: f.Offset, Limit: f.Limit})
}

// device finds a device in the caller's scope; out of scope is not found.
func (s *Server) device(p *httpx.Principal, id string) (fleet.View, bool) {
	v, ok := s.fleet.View(id)
	if !ok || !p.CanSeeClient(v.Client) {
		return fleet.View{}, false
	}
	return v, true
}

func (s *Server) apiDevice(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := s.device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "device not found")
		return
	}
	s.redactDuplicate(p, &v)
	out := api.DeviceDetail{Device: toAPIDevice(v)}
	if inv, err := s.st.Inventory(v.ID); err == nil {
		out.Inventory = &inv.Inventory
		out.InventoryUpdatedAt = inv.UpdatedAt
	}
	if h, err := s.st.Health(v.ID); err == nil {
		out.Health = &h.Health
		out.HealthUpdatedAt = h.UpdatedAt
	}
	httpx.WriteJSON(w, 200, out)
}

func (s *Server) apiRevokeDevice(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := s.device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "device not found")
		return
	}
	if err := s.revokeDevice(p, v, nil); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, api.DeviceRevoked{ID: v.ID, Revoked: true})
}

func (s *Server) apiRefresh(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := s.device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "device not found")
		return
	}
	what := r.URL.Query().Get("what")
	switch what {
	case "", "inventory", "health", "patches":
	default:
		httpx.WriteError(w, 400, "what must be inventory, health or patches")
		return
	}
	c := s.hub.Get(v.ID)
	if c == nil {
		httpx.WriteError(w, 409, "device is offline")
		return
	}
	c.Send(protocol.MustEncode(protocol.TypeRefresh, "", protocol.Refresh{What: what}))
	httpx.WriteJSON(w, 202, api.RefreshRequested{Requested: true})
}

func (s *Server) apiDeviceRuns(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := s.device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "device not found")
		return
	}
	runs, err := s.st.DeviceRuns(v.ID, 100)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, toAPIRuns(runs))
}

func (s *Server) apiOverview(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	sum := s.fleet.Summarize(p.ClientScope())
	jobs, _ := s.st.Jobs(store.JobQuery{Limit: 10})
	var visible []store.Job
	for _, j := range jobs {
		if p.AllClients || j.CreatedBy == p.Name {
			visible = append(visible, j)
		}
	}
	httpx.WriteJSON(w, 200, api.Overview{Devices: toAPISummaries(sum), RecentJobs: toAPIJobs(visible)})
}
