package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

// consent is a hand-written consent provider: the consent wing is built
// by another change, and its answer is all this wing relies on.
type consent struct {
	mu  sync.Mutex
	ok  bool
	why string
}

func (c *consent) set(ok bool, why string) {
	c.mu.Lock()
	c.ok, c.why = ok, why
	c.mu.Unlock()
}

func (c *consent) HelpdeskViewAllowed(_ context.Context, clientID string) (bool, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ok && clientID == "c_alpha", c.why, nil
}

// scope resolves clients by ID within an operator's scope.
type scope struct{ st store.Store }

func (s scope) ResolveClient(p *httpx.Principal, ref string) (store.Client, bool) {
	c, err := s.st.Client(ref)
	return c, err == nil && p.CanSeeClient(c.ID)
}

type rig struct {
	t   *testing.T
	st  *boltstore.DB
	w   *Wing
	con *consent
}

func newRig(t *testing.T, withConsent bool) *rig {
	dir := t.TempDir()
	st, err := boltstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	alog, err := auditlog.Open(auditlog.Config{DataDir: dir}, auditlog.Deps{Store: st, Now: time.Now, Log: log,
		DeviceClient: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(alog.Close)
	fl, err := fleet.New(st, events.New())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []store.Client{{ID: "c_alpha", Name: "Alpha"}, {ID: "c_bravo", Name: "Bravo"}} {
		if err := st.CreateClient(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CreateUser(store.User{ID: "u_tina", Name: "tina", Role: httpx.RoleHelpdesk, AllClients: true}); err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, st: st, con: &consent{}}
	d := Deps{Store: st, Clients: scope{st}, Fleet: fl, Audit: alog, Now: time.Now, Log: log}
	if withConsent {
		d.Consent = r.con
	}
	r.w = New(d)
	return r
}

// call runs one handler of the wing's route table as p (nil: no one),
// with the request's cookies, and returns the answer.
func (r *rig) call(p *httpx.Principal, method, pattern, path string, body any, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	r.t.Helper()
	var h httpx.Handler
	for _, rt := range r.w.Routes() {
		if rt.Method == method && rt.Pattern == pattern {
			h = rt.H
		}
	}
	if h == nil {
		r.t.Fatalf("no route %s %s", method, pattern)
	}
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	mux := http.NewServeMux()
	rec := httptest.NewRecorder()
	mux.HandleFunc(method+" "+pattern, func(w http.ResponseWriter, req *http.Request) { h(w, req, p) })
	mux.ServeHTTP(rec, req)
	return rec
}

func tech() *httpx.Principal {
	return &httpx.Principal{UserID: "u_tina", Name: "tina", Role: httpx.RoleHelpdesk, AllClients: true,
		Perms: httpx.RolePerms[httpx.RoleHelpdesk], Via: "token"}
}

// TestViewAsCustomer: a technician views a client's portal only while
// consent allows the help-desk view; the view is a portal principal of
// that client with ViewedBy set, no operator permission, read only; it
// ends the moment consent is withdrawn; it is audited and the customer
// sees it in their activity.
func TestViewAsCustomer(t *testing.T) {
	r := newRig(t, true)
	r.con.set(false, "no active grant with the read-only help-desk view role")
	var st api.PortalViewStatus
	rec := r.call(tech(), "GET", "/api/v1/clients/{client}/portal-view", "/api/v1/clients/c_alpha/portal-view", nil)
	if json.Unmarshal(rec.Body.Bytes(), &st); rec.Code != 200 || st.Available || !strings.Contains(st.Reason, "read-only help-desk view") {
		t.Fatalf("status without a grant: %d %s", rec.Code, rec.Body)
	}
	rec = r.call(tech(), "POST", "/api/v1/clients/{client}/portal-view", "/api/v1/clients/c_alpha/portal-view", nil)
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "no active grant") || len(rec.Result().Cookies()) != 0 {
		t.Fatalf("view without a grant: %d %s", rec.Code, rec.Body)
	}
	r.con.set(true, "")
	// Consent of one client never opens another.
	if rec := r.call(tech(), "POST", "/api/v1/clients/{client}/portal-view", "/api/v1/clients/c_bravo/portal-view", nil); rec.Code != 403 {
		t.Fatalf("view of Bravo with Alpha's grant: %d", rec.Code)
	}
	scoped := tech()
	scoped.AllClients, scoped.Clients = false, []string{"c_bravo"}
	if rec := r.call(scoped, "POST", "/api/v1/clients/{client}/portal-view", "/api/v1/clients/c_alpha/portal-view", nil); rec.Code != 404 {
		t.Fatalf("view of a client out of scope: %d", rec.Code)
	}
	rec = r.call(tech(), "POST", "/api/v1/clients/{client}/portal-view", "/api/v1/clients/c_alpha/portal-view", nil)
	cookies := rec.Result().Cookies()
	if rec.Code != 200 || len(cookies) != 1 || cookies[0].Name != sessionCookie || !cookies[0].HttpOnly || !cookies[0].Secure {
		t.Fatalf("view: %d %s %v", rec.Code, rec.Body, cookies)
	}
	req := httptest.NewRequest("GET", "/api/v1/portal/me", nil)
	req.AddCookie(cookies[0])
	p, err := r.w.Authenticate(req)
	if err != nil {
		t.Fatal(err)
	}
	if p.Portal == nil || p.Portal.ClientID != "c_alpha" || p.Portal.ViewedBy != "u_tina" || p.Portal.Admin || len(p.Perms) != 0 ||
		p.CanSeeClient("c_alpha") || p.Session == nil || p.Session.CSRF == "" {
		t.Fatalf("view principal: %+v %+v", p, p.Portal)
	}
	var me api.PortalMe
	rec = r.call(p, "GET", "/api/v1/portal/me", "/api/v1/portal/me", nil)
	if json.Unmarshal(rec.Body.Bytes(), &me); me.ViewedBy != "tina" || me.ClientName != "Alpha" || me.Admin {
		t.Fatalf("me while viewing: %s", rec.Body)
	}
	if rec := r.call(p, "PUT", "/api/v1/portal/me/password", "/api/v1/portal/me/password",
		api.PortalPasswordChange{Current: "x", New: "a-long-enough-password"}); rec.Code != 403 || !strings.Contains(rec.Body.String(), "read only") {
		t.Fatalf("a write while viewing: %d %s", rec.Code, rec.Body)
	}
	var act api.PortalActivityPage
	rec = r.call(p, "GET", "/api/v1/portal/activity", "/api/v1/portal/activity", nil)
	if json.Unmarshal(rec.Body.Bytes(), &act); len(act.Items) != 1 || act.Items[0].Action != "portal.view" || act.Items[0].Actor != "tina" {
		t.Fatalf("the customer's activity shows the view: %s", rec.Body)
	}
	// Withdrawn consent ends the view at once; so does a disabled technician.
	r.con.set(false, "revoked")
	if _, err := r.w.Authenticate(req); err == nil {
		t.Fatal("a view outlives the consent")
	}
	r.con.set(true, "")
	if _, err := r.w.Authenticate(req); err != nil {
		t.Fatal(err)
	}
	if _, err := r.st.UpdateUser("u_tina", func(u *store.User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := r.w.Authenticate(req); err == nil {
		t.Fatal("a view outlives its technician")
	}
}

// TestViewWithoutConsent: without a consent wing the view is refused
// with the reason, never opened.
func TestViewWithoutConsent(t *testing.T) {
	r := newRig(t, false)
	rec := r.call(tech(), "POST", "/api/v1/clients/{client}/portal-view", "/api/v1/clients/c_alpha/portal-view", nil)
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), noConsent) || len(rec.Result().Cookies()) != 0 {
		t.Fatalf("view without consent: %d %s", rec.Code, rec.Body)
	}
	// A view session stored anyhow (say, before consent was turned off)
	// does not authenticate.
	se := store.PortalSession{Hash: httpx.HashSecret("pview_x"), ClientID: "c_alpha", ViewedBy: "u_tina", CSRF: "c",
		ExpiresAt: time.Now().Add(time.Hour), SecondFactorAt: time.Now()}
	if err := r.st.PutPortalSession(se); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/api/v1/portal/me", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "pview_x"})
	if _, err := r.w.Authenticate(req); err == nil {
		t.Fatal("a view session authenticates without consent")
	}
}

// TestSignInLimits: failed sign-ins are limited per account and address
// (429 after five, even with the right password), and an unknown e-mail
// answers as a wrong password does.
func TestSignInLimits(t *testing.T) {
	r := newRig(t, false)
	hash, _ := hashPassword("right-password-1")
	if err := r.st.CreatePortalAccount(store.PortalAccount{ID: "pu_1", ClientID: "c_alpha", Email: "ann@alpha.example",
		PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	login := func(email, pw string) int {
		return r.call(nil, "POST", "/api/v1/portal/auth/login", "/api/v1/portal/auth/login", api.PortalLoginRequest{Email: email, Password: pw}).Code
	}
	if code := login("nobody@alpha.example", "whatever-password"); code != 401 {
		t.Fatalf("unknown e-mail: %d", code)
	}
	// Failures count per account and per address: with the one above,
	// this address reaches the limit.
	for i := 0; i < httpx.SignInMaxFailures-1; i++ {
		if code := login("ann@alpha.example", "wrong-password-1"); code != 401 {
			t.Fatalf("wrong password %d: %d", i, code)
		}
	}
	if code := login("ANN@alpha.example", "right-password-1"); code != 429 {
		t.Fatalf("the right password after %d failures: %d, want 429", httpx.SignInMaxFailures, code)
	}
	// A login posted as a form is refused (login CSRF).
	req := httptest.NewRequest("POST", "/api/v1/portal/auth/login", strings.NewReader("email=a&password=b"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	r.w.apiLogin(rec, req, nil)
	if rec.Code != http.StatusUnsupportedMediaType {
		t.Fatalf("form login: %d", rec.Code)
	}
}
