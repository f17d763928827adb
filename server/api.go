package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
)

// policy is a route's auth rule. Every route declares one; the route table
// test walks them all.
type policy struct {
	public bool   // no credentials (login, enrollment, CA download)
	agent  bool   // agent client certificate
	perm   string // operator permission required
	fresh  bool   // needs a recent second factor
	// partial admits a session that has passed only the password (the
	// two-factor and logout routes); handlers check what they need.
	partial bool
}

type route struct {
	method, pattern string
	pol             policy
	h               func(w http.ResponseWriter, r *http.Request, p *principal)
}

// Routes lists the API's routes with their policies (exported for tests
// through RouteTable).
func (s *Server) routeTable() []route {
	pub := policy{public: true}
	agent := policy{agent: true}
	perm := func(p string) policy { return policy{perm: p} }
	fresh := func(p string) policy { return policy{perm: p, fresh: true} }
	return []route{
		{"GET", "/healthz", pub, func(w http.ResponseWriter, r *http.Request, _ *principal) {
			writeJSON(w, 200, api.Healthz{OK: true, Agents: s.hub.Count()})
		}},
		{"POST", "/agent/enroll", pub, func(w http.ResponseWriter, r *http.Request, _ *principal) { s.handleEnroll(w, r) }},
		{"GET", "/agent/ws", agent, func(w http.ResponseWriter, r *http.Request, _ *principal) { s.handleAgentWS(w, r) }},
		{"GET", "/agent/ca.pem", pub, func(w http.ResponseWriter, r *http.Request, _ *principal) {
			w.Header().Set("Content-Type", "application/x-pem-file")
			_, _ = w.Write(s.ca.PEM)
		}},
		{"GET", "/agent/download/{os}/{file}", pub, s.apiAgentDownload},

		{"GET", "/api/v1/openapi.json", pub, s.apiOpenAPI},
		{"GET", "/api/v1/me", perm(permView), s.apiMe},
		{"GET", "/api/v1/overview", perm(permView), s.apiOverview},
		{"GET", "/api/v1/events", perm(permView), s.apiEvents},
		{"GET", "/api/v1/clients", perm(permView), s.apiClients},
		{"POST", "/api/v1/clients", perm(permClients), s.apiCreateClient},
		{"GET", "/api/v1/tokens", perm(permClients), s.apiTokens},
		{"POST", "/api/v1/tokens", perm(permClients), s.apiCreateToken},
		{"DELETE", "/api/v1/tokens/{id}", perm(permClients), s.apiRevokeToken},
		{"GET", "/api/v1/devices", perm(permView), s.apiDevices},
		{"GET", "/api/v1/devices/{id}", perm(permView), s.apiDevice},
		{"DELETE", "/api/v1/devices/{id}", perm(permClients), s.apiRevokeDevice},
		{"PATCH", "/api/v1/devices/{id}", perm(permClients), s.apiUpdateDevice},
		{"POST", "/api/v1/devices/{id}/approve", perm(permClients), s.apiApproveDevice},
		{"GET", "/api/v1/groups", perm(permView), s.apiGroups},
		{"GET", "/api/v1/devices/{id}/runs", perm(permView), s.apiDeviceRuns},
		{"GET", "/api/v1/devices/{id}/shell", fresh(permShell), s.apiShell}, // also needs a ticket
		{"POST", "/api/v1/devices/{id}/shell/ticket", fresh(permShell), s.apiShellTicket},
		{"POST", "/api/v1/devices/{id}/refresh", perm(permView), s.apiRefresh},
		{"GET", "/api/v1/software", perm(permView), s.apiSoftwareSearch},
		{"POST", "/api/v1/jobs", perm(permView), s.apiCreateJob}, // kind-specific permission checked inside
		{"GET", "/api/v1/jobs", perm(permView), s.apiJobs},
		{"GET", "/api/v1/jobs/{id}", perm(permView), s.apiJob},
		{"POST", "/api/v1/jobs/{id}/cancel", perm(permView), s.apiCancelJob},
		{"GET", "/api/v1/runs/{id}", perm(permView), s.apiRun},
		{"GET", "/api/v1/runs/{id}/output", perm(permView), s.apiRunOutput},
		{"POST", "/api/v1/runs/{id}/cancel", perm(permView), s.apiCancelRun},
		{"GET", "/api/v1/scripts", perm(permView), s.apiScripts},
		{"POST", "/api/v1/scripts", perm(permRun), s.apiPutScript},
		{"GET", "/api/v1/scripts/{script}", perm(permView), s.apiScript}, // ID or name, within scope
		{"DELETE", "/api/v1/scripts/{script}", perm(permRun), s.apiDeleteScript},
		{"GET", "/api/v1/audit", perm(permAudit), s.apiAudit},
		{"GET", "/api/v1/audit/verify", perm(permAudit), s.apiAuditVerify},
		{"GET", "/api/v1/shells", perm(permRecordings), s.apiShellRecordings}, // scoped to the caller's clients
		{"GET", "/api/v1/shells/{id}/recording", perm(permRecordings), s.apiShellRecording},
		{"GET", "/metrics", perm(permAdmin), func(w http.ResponseWriter, r *http.Request, _ *principal) {
			s.metric.handler().ServeHTTP(w, r)
		}},
		{"GET", "/debug/pprof/{name...}", perm(permAdmin), func(w http.ResponseWriter, r *http.Request, _ *principal) {
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
		}},
	}
}

// allRoutes is every API route with its policy; the route walker test
// checks each one.
func (s *Server) allRoutes() []route {
	all := append(s.routeTable(), s.extraRoutes()...)
	all = append(all, s.installRoutes()...)
	return append(all, s.updateRoutes()...)
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
		out = append(out, RouteInfo{Method: rt.method, Pattern: rt.pattern, Public: rt.pol.public, Agent: rt.pol.agent,
			Partial: rt.pol.partial, Fresh: rt.pol.fresh, Perm: rt.pol.perm})
	}
	return out
}

// routes serves the routes whose pattern serve accepts, and the dashboard
// when dashboard is set (with --agent-listen, each listener serves its part).
func (s *Server) routes(serve func(pattern string) bool, dashboard bool) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.allRoutes() {
		rt := rt
		if !serve(rt.pattern) {
			continue
		}
		mux.HandleFunc(rt.method+" "+rt.pattern, func(w http.ResponseWriter, r *http.Request) {
			s.serveRoute(w, r, rt)
		})
	}
	if dashboard {
		s.webRoutes(mux)
	}
	return securityHeaders(mux)
}

func (s *Server) serveRoute(w http.ResponseWriter, r *http.Request, rt route) {
	if rt.pol.public || rt.pol.agent {
		rt.h(w, r, nil)
		return
	}
	// An agent's client certificate is never an operator credential.
	authn := s.auth.authenticate
	if rt.pol.partial {
		authn = s.auth.fromPartial
	}
	p, err := authn(r)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "authentication required")
		return
	}
	p.Remote = s.clientIP(r)
	if rt.pol.perm != "" && !p.has(rt.pol.perm) {
		writeError(w, http.StatusForbidden, "permission denied: needs "+rt.pol.perm)
		return
	}
	if p.Via == "session" && r.Method != http.MethodGet && r.Method != http.MethodHead {
		if !s.auth.checkCSRF(r, p) {
			writeError(w, http.StatusForbidden, "missing or wrong CSRF token")
			return
		}
	}
	if rt.pol.fresh && !s.auth.fresh(p) {
		writeNeedFresh(w, "this action needs a fresh two-factor check")
		return
	}
	rt.h(w, r, p)
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

func decodeBody(r *http.Request, v any, limit int64) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed JSON body: %w", err)
	}
	return nil
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, p *principal) {
	out := api.Me{ID: p.UserID, Name: p.Name, Role: p.Role, Perms: p.Perms,
		AllClients: p.AllClients, Clients: p.Clients, Via: p.Via}
	if u, err := s.st.User(p.UserID); err == nil {
		out.TOTPEnabled = u.TOTPSecret != ""
	}
	if p.Session != nil {
		out.CSRF = p.Session.CSRF
		out.SessionExpires = p.Session.ExpiresAt
		if !p.SecondFactorAt.IsZero() {
			out.FreshUntil = p.SecondFactorAt.Add(s.cfg.FreshTOTP).UTC()
		}
	}
	writeJSON(w, 200, out)
}

func (s *Server) apiClients(w http.ResponseWriter, r *http.Request, p *principal) {
	cs, err := s.st.Clients()
	if err != nil {
		writeError(w, 500, "internal error")
		return
	}
	out := []api.Client{}
	for _, c := range cs {
		if p.canSeeClient(c.ID) {
			out = append(out, toAPIClient(c))
		}
	}
	writeJSON(w, 200, out)
}

var nameRE = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} ._&'()-]{0,99}$`)

func (s *Server) apiCreateClient(w http.ResponseWriter, r *http.Request, p *principal) {
	var req api.CreateClientRequest
	if err := decodeBody(r, &req, 4096); err != nil {
		writeError(w, 400, err.Error())
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if !nameRE.MatchString(req.Name) {
		writeError(w, 400, "client name must be 1-100 letters, digits, spaces or . _ & ' ( ) -")
		return
	}
	if !p.AllClients {
		writeError(w, 403, "only users scoped to all clients can create clients")
		return
	}
	c := store.Client{ID: newID("c"), Name: req.Name, CreatedAt: s.now()}
	if err := s.st.CreateClient(c); errors.Is(err, store.ErrExists) {
		writeError(w, 409, "a client with that name exists")
		return
	} else if err != nil {
		writeError(w, 500, "internal error")
		return
	}
	s.fleet.SetClientName(c.ID, c.Name)
	s.auditP(p, "client.create", c.ID, map[string]string{"name": c.Name})
	writeJSON(w, 201, toAPIClient(c))
}

// resolveClient accepts a client ID or name, within scope.
func (s *Server) resolveClient(p *principal, ref string) (store.Client, bool) {
	cs, _ := s.st.Clients()
	for _, c := range cs {
		if (c.ID == ref || strings.EqualFold(c.Name, ref)) && p.canSeeClient(c.ID) {
			return c, true
		}
	}
	return store.Client{}, false
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request, p *principal) {
	ts, err := s.st.EnrollTokens("")
	if err != nil {
		writeError(w, 500, "internal error")
		return
	}
	out := []api.EnrollToken{}
	for _, t := range ts {
		if p.canSeeClient(t.ClientID) {
			out = append(out, toAPIEnrollToken(t))
		}
	}
	writeJSON(w, 200, out)
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request, p *principal) {
	var req api.CreateEnrollTokenRequest
	if err := decodeBody(r, &req, 4096); err != nil {
		writeError(w, 400, err.Error())
		return
	}
	c, ok := s.resolveClient(p, req.Client)
	if !ok {
		writeError(w, 404, "client not found")
		return
	}
	if req.ExpiresSeconds <= 0 {
		req.ExpiresSeconds = 7 * 24 * 3600
	}
	if req.ExpiresSeconds > 365*24*3600 || req.MaxUses < 0 || req.MaxUses > 1_000_000 {
		writeError(w, 400, "expires_seconds must be at most a year and max_uses at most 1000000")
		return
	}
	secret := newSecret("enr")
	t := store.EnrollToken{ID: newID("et"), ClientID: c.ID, Hash: hashSecret(secret), Note: cleanText(req.Note, 200),
		CreatedAt: s.now(), CreatedBy: p.Name, ExpiresAt: s.now().Add(time.Duration(req.ExpiresSeconds) * time.Second),
		MaxUses: req.MaxUses, RequireApproval: req.RequireApproval || s.cfg.RequireApproval}
	if err := s.st.CreateEnrollToken(t); err != nil {
		writeError(w, 500, "internal error")
		return
	}
	s.auditP(p, "token.create", t.ID, map[string]string{"client": c.ID, "max_uses": fmt.Sprint(t.MaxUses),
		"expires": t.ExpiresAt.Format(time.RFC3339), "require_approval": fmt.Sprint(t.RequireApproval)})
	writeJSON(w, 201, api.EnrollTokenCreated{EnrollToken: toAPIEnrollToken(t), Token: secret, Install: s.installCommands(r, secret)})
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request, p *principal) {
	ts, _ := s.st.EnrollTokens("")
	for _, t := range ts {
		if t.ID == r.PathValue("id") && p.canSeeClient(t.ClientID) {
			t, err := s.st.RevokeEnrollToken(t.ID)
			if err != nil {
				writeError(w, 500, "internal error")
				return
			}
			s.auditP(p, "token.revoke", t.ID, map[string]string{"client": t.ClientID})
			writeJSON(w, 200, toAPIEnrollToken(t))
			return
		}
	}
	writeError(w, 404, "token not found")
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

func (s *Server) apiDevices(w http.ResponseWriter, r *http.Request, p *principal) {
	q := r.URL.Query()
	f := fleet.Filter{Clients: p.clientScope(), OS: q.Get("os"), Search: q.Get("search"), DeviceType: q.Get("type"),
		Sort: q.Get("sort"), Desc: q.Get("order") == "desc"}
	f.Group = q.Get("group") // folder, exact match
	var err error
	switch q.Get("approval") {
	case "":
	case fleet.ApprovalPending, fleet.ApprovalApproved:
		pending := q.Get("approval") == fleet.ApprovalPending
		f.Pending = &pending
	default:
		writeError(w, 400, "approval must be pending or approved")
		return
	}
	for name, dst := range map[string]**bool{"online": &f.Online, "pending_reboot": &f.PendingReboot,
		"has_patches": &f.HasPatches, "security": &f.Security} {
		if *dst, err = boolParam(r, name); err != nil {
			writeError(w, 400, err.Error())
			return
		}
	}
	if c := q.Get("client"); c != "" {
		cl, ok := s.resolveClient(p, c)
		if !ok {
			writeError(w, 404, "client not found")
			return
		}
		f.Clients = []string{cl.ID}
	}
	if len(f.Search) > 256 {
		writeError(w, 400, "search longer than 256 characters")
		return
	}
	f.Limit, f.Offset = 100, 0
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 50000 {
			writeError(w, 400, "limit must be 1..50000")
			return
		}
	}
	if v := q.Get("offset"); v != "" {
		if f.Offset, err = strconv.Atoi(v); err != nil || f.Offset < 0 {
			writeError(w, 400, "offset must be >= 0")
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
	writeJSON(w, 200, api.DeviceList{Devices: toAPIDevices(views), Total: total, Offset: f.Offset, Limit: f.Limit})
}

// device finds a device in the caller's scope; out of scope is not found.
func (s *Server) device(p *principal, id string) (fleet.View, bool) {
	v, ok := s.fleet.View(id)
	if !ok || !p.canSeeClient(v.Client) {
		return fleet.View{}, false
	}
	return v, true
}

func (s *Server) apiDevice(w http.ResponseWriter, r *http.Request, p *principal) {
	v, ok := s.device(p, r.PathValue("id"))
	if !ok {
		writeError(w, 404, "device not found")
		return
	}
	s.redactDuplicate(p, &v)
	out := api.DeviceDetail{Device: toAPIDevice(v)}
	if rec, err := s.st.Inventory(v.ID); err == nil {
		if inv, err := fleet.DecodeInventory(rec); err == nil {
			out.Inventory = &inv
			out.InventoryUpdatedAt = rec.UpdatedAt
		}
	}
	if rec, err := s.st.Health(v.ID); err == nil {
		if h, err := fleet.DecodeHealth(rec); err == nil {
			out.Health = &h
			out.HealthUpdatedAt = rec.UpdatedAt
		}
	}
	writeJSON(w, 200, out)
}

func (s *Server) apiRevokeDevice(w http.ResponseWriter, r *http.Request, p *principal) {
	v, ok := s.device(p, r.PathValue("id"))
	if !ok {
		writeError(w, 404, "device not found")
		return
	}
	if err := s.revokeDevice(p, v, nil); err != nil {
		writeError(w, 500, "internal error")
		return
	}
	writeJSON(w, 200, api.DeviceRevoked{ID: v.ID, Revoked: true})
}

func (s *Server) apiRefresh(w http.ResponseWriter, r *http.Request, p *principal) {
	v, ok := s.device(p, r.PathValue("id"))
	if !ok {
		writeError(w, 404, "device not found")
		return
	}
	what := r.URL.Query().Get("what")
	switch what {
	case "", "inventory", "health", "patches":
	default:
		writeError(w, 400, "what must be inventory, health or patches")
		return
	}
	c := s.hub.Get(v.ID)
	if c == nil {
		writeError(w, 409, "device is offline")
		return
	}
	c.Send(protocol.MustEncode(protocol.TypeRefresh, "", protocol.Refresh{What: what}))
	writeJSON(w, 202, api.RefreshRequested{Requested: true})
}

func (s *Server) apiDeviceRuns(w http.ResponseWriter, r *http.Request, p *principal) {
	v, ok := s.device(p, r.PathValue("id"))
	if !ok {
		writeError(w, 404, "device not found")
		return
	}
	runs, err := s.st.DeviceRuns(v.ID, 100)
	if err != nil {
		writeError(w, 500, "internal error")
		return
	}
	writeJSON(w, 200, toAPIRuns(runs))
}

func (s *Server) apiOverview(w http.ResponseWriter, r *http.Request, p *principal) {
	sum := s.fleet.Summarize(p.clientScope())
	jobs, _ := s.st.Jobs(store.JobQuery{Limit: 10})
	var visible []store.Job
	for _, j := range jobs {
		if p.AllClients || j.CreatedBy == p.Name {
			visible = append(visible, j)
		}
	}
	writeJSON(w, 200, api.Overview{Devices: toAPISummaries(sum), RecentJobs: toAPIJobs(visible)})
}

func (s *Server) apiAgentDownload(w http.ResponseWriter, r *http.Request, _ *principal) {
	goos, file := r.PathValue("os"), r.PathValue("file")
	osOK := map[string]bool{"linux": true, "darwin": true, "windows": true}
	arch, sum := strings.CutSuffix(file, ".sha256")
	if !osOK[goos] || (arch != "amd64" && arch != "arm64") || s.cfg.AgentBinDir == "" {
		writeError(w, 404, "no agent build for that platform")
		return
	}
	name := "steward-agent-" + goos + "-" + arch
	if goos == "windows" {
		name += ".exe"
	}
	path := filepath.Join(s.cfg.AgentBinDir, name)
	f, err := os.Open(path)
	if err != nil {
		writeError(w, 404, "no agent build for that platform")
		return
	}
	defer f.Close()
	if sum {
		h, err := fileSHA256(f)
		if err != nil {
			writeError(w, 500, "internal error")
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, h)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, name, time.Time{}, f)
}
