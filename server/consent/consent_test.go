package consent

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/events"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

type scope struct{ st store.ClientStore }

func (s scope) ResolveClient(p *httpx.Principal, ref string) (store.Client, bool) {
	c, err := s.st.Client(ref)
	return c, err == nil && p.CanSeeClient(c.ID)
}

// effects records what revocation and expiry asked the shell and jobs
// wings to end.
type effects struct{ shells, jobs []string }

func (e *effects) CloseForClient(client, reason string) int {
	e.shells = append(e.shells, client+": "+reason)
	return 1
}

func (e *effects) CancelQueuedForClient(client, reason string) (int, error) {
	e.jobs = append(e.jobs, client+": "+reason)
	return 2, nil
}

type rig struct {
	t   *testing.T
	now time.Time
	w   *Wing
	db  *boltstore.DB
	fx  *effects
}

func newRig(t *testing.T) *rig {
	r := &rig{t: t, now: time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC), fx: &effects{}}
	dir := t.TempDir()
	var err error
	if r.db, err = boltstore.Open(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.db.Close() })
	for _, c := range []string{"c_a", "c_b", "c_c"} {
		if err := r.db.CreateClient(store.Client{ID: c, Name: strings.ToUpper(c[2:])}); err != nil {
			t.Fatal(err)
		}
	}
	clock := func() time.Time { return r.now }
	log := slog.New(slog.DiscardHandler)
	alog, err := auditlog.Open(auditlog.Config{DataDir: dir}, auditlog.Deps{Store: r.db, Now: clock, Log: log,
		DeviceClient: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(alog.Close)
	fl, err := fleet.New(r.db, events.New())
	if err != nil {
		t.Fatal(err)
	}
	r.w = New(Deps{Config: Config{PublicURL: func() string { return "https://rmm.example/" }}, Store: r.db, Clients: scope{r.db},
		Fleet: fl, Shells: r.fx, Jobs: r.fx, Audit: alog, Now: clock, Log: log})
	return r
}

// call serves one of the wing's routes as p.
func (r *rig) call(p *httpx.Principal, method, path string, body, out any) (int, string) {
	r.t.Helper()
	mux := http.NewServeMux()
	for _, rt := range r.w.Routes() {
		mux.HandleFunc(rt.Method+" "+rt.Pattern, func(rw http.ResponseWriter, q *http.Request) { rt.H(rw, q, p) })
	}
	b, _ := json.Marshal(body)
	if body == nil {
		b = nil
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(method, path, bytes.NewReader(b)))
	if out != nil && rec.Code < 300 {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			r.t.Fatal(err)
		}
	}
	var er api.Error
	_ = json.Unmarshal(rec.Body.Bytes(), &er)
	return rec.Code, er.Error
}

func (r *rig) require(client string) {
	r.t.Helper()
	if err := r.db.SetConsentRequired(store.ConsentSetting{ClientID: client, Required: true, UpdatedAt: r.now}); err != nil {
		r.t.Fatal(err)
	}
	r.w.refresh()
}

func (r *rig) grant(client string, roles []string, end time.Time) api.ConsentGrant {
	r.t.Helper()
	admin := &httpx.Principal{Name: "Carol", Portal: &httpx.PortalIdentity{ClientID: client, ContactID: "ct", Admin: true}}
	var cr api.ConsentRequest
	tech := &httpx.Principal{Name: "tech", AllClients: true}
	if code, msg := r.call(tech, "POST", "/api/v1/clients/"+client+"/consent/requests", api.ConsentRequestCreate{Roles: Roles, Days: 30}, &cr); code != 201 {
		r.t.Fatalf("request: %d %s", code, msg)
	}
	var g api.ConsentGrant
	if code, msg := r.call(admin, "POST", "/api/v1/portal/grants/requests/"+cr.ID+"/accept", api.ConsentAcceptRequest{Roles: roles, EndsAt: end}, &g); code != 201 {
		r.t.Fatalf("accept: %d %s", code, msg)
	}
	return g
}

// TestNeed: reading needs either role, anything else manage devices; the
// MSP's own administration needs no grant.
func TestNeed(t *testing.T) {
	for _, c := range []struct {
		method, perm string
		want         []string
		gated        bool
	}{
		{"GET", httpx.PermView, []string{api.ConsentHelpdeskView, api.ConsentManageDevices}, true},
		{"GET", httpx.PermSessions, []string{api.ConsentHelpdeskView, api.ConsentManageDevices}, true},
		{"POST", httpx.PermView, []string{api.ConsentManageDevices}, true}, // job creation checks its perm inside
		{"GET", httpx.PermShell, []string{api.ConsentManageDevices}, true},
		{"GET", httpx.PermFilesRead, []string{api.ConsentManageDevices}, true},
		{"PUT", httpx.PermVaultWrite, []string{api.ConsentManageDevices}, true},
		{"POST", httpx.PermUsers, nil, false},
		{"GET", httpx.PermAudit, nil, false},
		{"POST", httpx.PermClients, nil, false},
	} {
		got, gated := Need(c.method, c.perm)
		if gated != c.gated || !slices.Equal(got, c.want) {
			t.Errorf("Need(%s, %s) = %v %v, want %v %v", c.method, c.perm, got, gated, c.want, c.gated)
		}
	}
}

// TestNarrow: an all-clients principal gets an explicit scope without
// the clients that require consent and lack a covering grant, with the
// refusal naming the grant; a help-desk grant lets reading through but
// not acting; a scoped principal keeps only its own clients; nothing
// changes without a client requiring consent, nor for a portal principal.
func TestNarrow(t *testing.T) {
	r := newRig(t)
	p := &httpx.Principal{Name: "tech", AllClients: true}
	r.w.Narrow(p, "POST", httpx.PermRun)
	if !p.AllClients || p.Consent != nil {
		t.Fatalf("narrowed with no client requiring consent: %+v", p)
	}
	r.require("c_b")
	r.require("c_c")
	r.grant("c_c", []string{api.ConsentHelpdeskView}, r.now.Add(time.Hour))
	p = &httpx.Principal{Name: "tech", AllClients: true}
	r.w.Narrow(p, "POST", httpx.PermRun)
	if p.AllClients || !slices.Equal(p.Clients, []string{"c_a"}) || !slices.Equal(p.ClientScope(), []string{"c_a"}) || p.Scope().Has("c_b") {
		t.Fatalf("acting: scope %v %v", p.AllClients, p.Clients)
	}
	if p.CanSeeClient("c_b") || p.Consent.Refusal() != `client "B" requires consent: no active grant covering 'manage devices' (request access on the client's page)` {
		t.Fatalf("refusal = %q", p.Consent.Refusal())
	}
	p = &httpx.Principal{Name: "tech", AllClients: true}
	r.w.Narrow(p, "GET", httpx.PermView)
	if !slices.Equal(p.Clients, []string{"c_a", "c_c"}) || p.Consent.Granted["c_c"] == "" {
		t.Fatalf("reading: scope %v granted %v", p.Clients, p.Consent.Granted)
	}
	if !p.CanSeeClient("c_c") || p.Consent.Used()["c_c"] == "" {
		t.Fatalf("use of the help-desk grant not recorded: %v", p.Consent.Used())
	}
	p = &httpx.Principal{Name: "ann", Clients: []string{"c_b"}}
	r.w.Narrow(p, "GET", httpx.PermView)
	if p.Clients == nil || len(p.Clients) != 0 || p.CanSeeClient("c_a") {
		t.Fatalf("scoped: %v", p.Clients)
	}
	p = &httpx.Principal{Name: "Carol", Portal: &httpx.PortalIdentity{ClientID: "c_b"}}
	r.w.Narrow(p, "GET", httpx.PermView)
	if p.Consent != nil {
		t.Fatal("a portal principal was narrowed")
	}
	// The end of the grant is exact, before any sweep.
	r.now = r.now.Add(time.Hour)
	p = &httpx.Principal{Name: "tech", AllClients: true}
	r.w.Narrow(p, "GET", httpx.PermView)
	if slices.Contains(p.Clients, "c_c") || !strings.Contains(p.Consent.Withheld["c_c"], "'read-only help-desk view'") {
		t.Fatalf("after the grant's end: %v %v", p.Clients, p.Consent.Withheld)
	}
}

// TestRevokeAndExpiryEffects: revoking ends the client's shells and
// queued jobs with the reason only while no other grant covers managing
// devices; the sweep does the same once at a grant's end, audited.
func TestRevokeAndExpiryEffects(t *testing.T) {
	r := newRig(t)
	r.require("c_a")
	g1 := r.grant("c_a", []string{api.ConsentManageDevices}, r.now.Add(time.Hour))
	g2 := r.grant("c_a", []string{api.ConsentManageDevices}, r.now.Add(2*time.Hour))
	admin := &httpx.Principal{Name: "Carol", Portal: &httpx.PortalIdentity{ClientID: "c_a", ContactID: "ct", Admin: true}}
	other := &httpx.Principal{Name: "Bob", Portal: &httpx.PortalIdentity{ClientID: "c_b", ContactID: "cb", Admin: true}}
	if code, _ := r.call(other, "POST", "/api/v1/portal/grants/"+g1.ID+"/revoke", nil, nil); code != 404 {
		t.Fatalf("another client's admin revoked: %d", code)
	}
	if code, msg := r.call(admin, "POST", "/api/v1/portal/grants/"+g1.ID+"/revoke", api.ConsentRevokeRequest{Reason: "x"}, nil); code != 200 {
		t.Fatalf("revoke: %d %s", code, msg)
	}
	if len(r.fx.shells) != 0 || len(r.fx.jobs) != 0 {
		t.Fatalf("effects while another grant covers: %v %v", r.fx.shells, r.fx.jobs)
	}
	if code, msg := r.call(admin, "POST", "/api/v1/portal/grants/"+g2.ID+"/renew", api.ConsentRenewRequest{EndsAt: r.now.AddDate(3, 0, 0)}, nil); code != 400 ||
		!strings.Contains(msg, "two years") {
		t.Fatalf("renew over two years: %d %s", code, msg)
	}
	var renewed api.ConsentGrant
	if code, _ := r.call(admin, "POST", "/api/v1/portal/grants/"+g2.ID+"/renew", api.ConsentRenewRequest{EndsAt: r.now.Add(3 * time.Hour)}, &renewed); code != 200 ||
		renewed.Renewals != 1 || !renewed.EndsAt.Equal(r.now.Add(3*time.Hour)) {
		t.Fatalf("renew: %d %+v", code, renewed)
	}
	r.now = r.now.Add(3 * time.Hour)
	r.w.sweep()
	r.w.sweep()
	want := "c_a: the customer's grant " + g2.ID + " ended at " + r.now.Format(time.RFC3339)
	if !slices.Equal(r.fx.shells, []string{want}) || !slices.Equal(r.fx.jobs, []string{want}) {
		t.Fatalf("expiry effects (once): %v %v", r.fx.shells, r.fx.jobs)
	}
	var cc api.ClientConsent
	if code, _ := r.call(admin, "GET", "/api/v1/portal/grants", nil, &cc); code != 200 || cc.History[0].Action != "consent.expire" ||
		cc.History[0].Detail["shells_closed"] != "1" || cc.History[0].Detail["jobs_cancelled"] != "2" || cc.Grants[0].Status != "expired" {
		t.Fatalf("history after expiry: %+v", cc)
	}
	viewer := &httpx.Principal{Name: "Carol", Portal: &httpx.PortalIdentity{ClientID: "c_a", Admin: true, ViewedBy: "u_1"}}
	if code, _ := r.call(viewer, "GET", "/api/v1/portal/grants", nil, nil); code != 403 {
		t.Fatalf("grants seen while viewing as the customer: %d", code)
	}
}

// TestRequestExpiresAndHelpdeskView: a request unanswered for 90 days
// can no longer be accepted; the help-desk view is allowed only under an
// active grant with that role, and says why otherwise.
func TestRequestExpiresAndHelpdeskView(t *testing.T) {
	r := newRig(t)
	tech := &httpx.Principal{Name: "tech", AllClients: true}
	var cr api.ConsentRequest
	r.call(tech, "POST", "/api/v1/clients/c_a/consent/requests", api.ConsentRequestCreate{Roles: Roles, Days: 730, Message: "hi"}, &cr)
	if cr.Link != "https://rmm.example/portal/grants/"+cr.ID {
		t.Fatalf("link = %q", cr.Link)
	}
	for _, bad := range []api.ConsentRequestCreate{{Roles: nil, Days: 1}, {Roles: []string{"root"}, Days: 1}, {Roles: Roles, Days: 731}, {Roles: Roles, Days: 0}} {
		if code, _ := r.call(tech, "POST", "/api/v1/clients/c_a/consent/requests", bad, nil); code != 400 {
			t.Errorf("request %+v: %d", bad, code)
		}
	}
	ok, why, err := r.w.HelpdeskViewAllowed(t.Context(), "c_a")
	if ok || err != nil || !strings.Contains(why, "A has not granted the read-only help-desk view") {
		t.Fatalf("view without a grant: %v %q %v", ok, why, err)
	}
	if _, _, err := r.w.HelpdeskViewAllowed(t.Context(), "c_zz"); err == nil {
		t.Fatal("unknown client: no error")
	}
	r.now = r.now.Add(90 * 24 * time.Hour)
	admin := &httpx.Principal{Name: "Carol", Portal: &httpx.PortalIdentity{ClientID: "c_a", ContactID: "ct", Admin: true}}
	var got api.ConsentRequest
	if r.call(admin, "GET", "/api/v1/portal/grants/requests/"+cr.ID, nil, &got); got.Status != "expired" {
		t.Fatalf("status after 90 days: %q", got.Status)
	}
	if code, _ := r.call(admin, "POST", "/api/v1/portal/grants/requests/"+cr.ID+"/accept", api.ConsentAcceptRequest{Roles: Roles,
		EndsAt: r.now.Add(time.Hour)}, nil); code != 409 {
		t.Fatalf("accepting an expired request: %d", code)
	}
	r.grant("c_a", []string{api.ConsentManageDevices}, r.now.Add(time.Hour))
	if ok, _, _ := r.w.HelpdeskViewAllowed(t.Context(), "c_a"); ok {
		t.Fatal("view allowed by a grant without the help-desk role")
	}
	r.grant("c_a", []string{api.ConsentHelpdeskView}, r.now.Add(time.Hour))
	if ok, why, _ := r.w.HelpdeskViewAllowed(t.Context(), "c_a"); !ok || why != "" {
		t.Fatalf("view under a help-desk grant: %v %q", ok, why)
	}
}

// TestDefaultForNewClients: with the server default on, a new client
// requires consent at once (audited); with it off, it does not.
func TestDefaultForNewClients(t *testing.T) {
	for _, on := range []bool{true, false} {
		r := newRig(t)
		r.w.d.Config.DefaultRequired = on
		if err := r.db.CreateClient(store.Client{ID: "c_new", Name: "New"}); err != nil {
			t.Fatal(err)
		}
		admin := &httpx.Principal{Name: "admin", AllClients: true}
		r.w.ClientCreated(admin, "c_new", "New")
		var cc api.ClientConsent
		if code, _ := r.call(admin, "GET", "/api/v1/clients/c_new/consent", nil, &cc); code != 200 || cc.Required != on {
			t.Fatalf("default %v: %d required %v", on, code, cc.Required)
		}
		p := &httpx.Principal{Name: "tech", AllClients: true}
		r.w.Narrow(p, "POST", httpx.PermRun)
		if p.CanSeeClient("c_new") == on {
			t.Fatalf("default %v: scope %v %v", on, p.AllClients, p.Clients)
		}
		if on && (len(cc.History) != 1 || cc.History[0].Action != "consent.setting" || cc.History[0].Detail["why"] == "") {
			t.Fatalf("default not audited: %+v", cc.History)
		}
	}
}
