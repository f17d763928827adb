package contracts

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// rig serves the wing on a real bbolt store and audit log as the
// principal named in "X-Test-User".
type rig struct {
	t     testing.TB
	db    *boltstore.DB
	w     *Wing
	srv   *httptest.Server
	users map[string]*httpx.Principal
	now   time.Time
}

type scope struct{ st Store }

func (c scope) ResolveClient(p *httpx.Principal, ref string) (store.Client, bool) {
	cs, _ := c.st.Clients()
	for _, x := range cs {
		if (x.ID == ref || x.Name == ref) && p.CanSeeClient(x.ID) {
			return x, true
		}
	}
	return store.Client{}, false
}

func newRig(t testing.TB) *rig {
	r := &rig{t: t, now: time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	var err error
	if r.db, err = boltstore.Open(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.db.Close() })
	for _, c := range []string{"c_a", "c_b"} {
		if err := r.db.CreateClient(store.Client{ID: c, Name: strings.ToUpper(c[2:])}); err != nil {
			t.Fatal(err)
		}
	}
	clock := func() time.Time { return r.now }
	alog, err := auditlog.Open(auditlog.Config{DataDir: dir}, auditlog.Deps{Store: r.db, Now: clock, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(alog.Close)
	r.users = map[string]*httpx.Principal{
		"tina":  {Name: "tina", UserID: "u_tina", AllClients: true},
		"ann":   {Name: "ann", UserID: "u_ann", Clients: []string{"c_a"}},
		"carla": {Name: "carla", Portal: &httpx.PortalIdentity{ClientID: "c_a", ContactID: "ct_carla", Admin: true}},
		"viewer": {Name: "tina", UserID: "u_tina", Portal: &httpx.PortalIdentity{ClientID: "c_a", ContactID: "ct_carla", Admin: true,
			ViewedBy: "u_tina"}},
	}
	r.w = New(Deps{Store: r.db, Clients: scope{r.db}, Audit: alog, Now: clock})
	mux := http.NewServeMux()
	for _, rt := range r.w.Routes() {
		mux.HandleFunc(rt.Method+" "+rt.Pattern, func(rw http.ResponseWriter, q *http.Request) { rt.H(rw, q, r.users[q.Header.Get("X-Test-User")]) })
	}
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

// raw calls the wing and returns the status and body.
func (r *rig) raw(user, method, path string, body any) (int, []byte) {
	r.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, r.srv.URL+path, rd)
	req.Header.Set("X-Test-User", user)
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (r *rig) call(user, method, path string, body any, out any) int {
	r.t.Helper()
	code, b := r.raw(user, method, path, body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			r.t.Fatalf("%s %s: %d %s", method, path, code, b)
		}
	}
	return code
}

// contract creates a contract of client as tina.
func (r *rig) contract(client string, req api.ContractRequest) api.Contract {
	r.t.Helper()
	var c api.Contract
	if code := r.call("tina", "POST", "/api/v1/clients/"+client+"/contracts", req, &c); code != 201 {
		r.t.Fatalf("create contract: %d %+v", code, c)
	}
	return c
}

// entitlement adds an entitlement as tina.
func (r *rig) entitlement(contract string, req api.EntitlementRequest) api.Entitlement {
	r.t.Helper()
	var e api.Entitlement
	if code := r.call("tina", "POST", "/api/v1/contracts/"+contract+"/entitlements", req, &e); code != 201 {
		r.t.Fatalf("add entitlement: %d %+v", code, e)
	}
	return e
}

// audited reports whether the audit log has an event of action.
func (r *rig) audited(action string) bool {
	evs, err := r.db.Audit(store.AuditQuery{})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, e := range evs {
		if e.Action == action {
			return true
		}
	}
	return false
}
