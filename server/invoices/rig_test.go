package invoices

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// rig serves the wing on a real bbolt store and audit log as the
// principal in "X-Test-User". work and contracts stand in for the tickets
// and contracts wings (not on this branch): tables of entries and fees as
// those wings would answer them through the CONTRACTS7 interfaces.
type rig struct {
	t     *testing.T
	db    *boltstore.DB
	srv   *httptest.Server
	w     *Wing
	users map[string]*httpx.Principal
	now   time.Time
	work  *work
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

// work is the provider of billable entries and contract fees.
type work struct {
	mu      sync.Mutex
	entries map[string][]BillableEntry // by client
	fees    map[string][]ContractCharge
	rates   map[string]int64 // by contract
}

func (wk *work) BillableTimeEntries(_ context.Context, clientID string, from, to time.Time) ([]BillableEntry, error) {
	wk.mu.Lock()
	defer wk.mu.Unlock()
	var out []BillableEntry
	for _, e := range wk.entries[clientID] {
		if !e.At.Before(from) && e.At.Before(to) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (wk *work) ContractCharges(_ context.Context, clientID string, from, to time.Time) ([]ContractCharge, error) {
	wk.mu.Lock()
	defer wk.mu.Unlock()
	return append([]ContractCharge(nil), wk.fees[clientID]...), nil
}

func (wk *work) HourlyRate(_ context.Context, clientID, contractID string) (int64, bool, error) {
	wk.mu.Lock()
	defer wk.mu.Unlock()
	r, ok := wk.rates[contractID]
	return r, ok, nil
}

func newRig(t testing.TB, withWork bool) *rig {
	r := &rig{now: time.Date(2027, 4, 2, 9, 0, 0, 0, time.UTC)}
	if tt, ok := t.(*testing.T); ok {
		r.t = tt
	}
	dir := t.TempDir()
	var err error
	if r.db, err = boltstore.Open(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.db.Close() })
	for _, c := range []string{"c_a", "c_b"} {
		if err := r.db.CreateClient(store.Client{ID: c, Name: strings.ToUpper(c[2:]) + " Corp"}); err != nil {
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
		"ada":  {Name: "ada", AllClients: true, Perms: httpx.RolePerms[httpx.RoleAdmin]},
		"ann":  {Name: "ann", Clients: []string{"c_a"}, Perms: httpx.RolePerms[httpx.RoleAdmin]},
		"cust": {Name: "cust", Portal: &httpx.PortalIdentity{ClientID: "c_a", Admin: true}},
	}
	d := Deps{Store: r.db, Clients: scope{r.db}, Audit: alog, Now: clock}
	if withWork {
		r.work = &work{entries: map[string][]BillableEntry{}, fees: map[string][]ContractCharge{}, rates: map[string]int64{}}
		d.Work, d.Contracts = r.work, r.work
	}
	r.w = New(d)
	mux := http.NewServeMux()
	for _, rt := range r.w.Routes() {
		mux.HandleFunc(rt.Method+" "+rt.Pattern, func(rw http.ResponseWriter, q *http.Request) { rt.H(rw, q, r.users[q.Header.Get("X-Test-User")]) })
	}
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

// call makes a request and decodes a JSON answer into out; it returns
// the status and the raw body.
func (r *rig) call(user, method, path string, body any, out any) (int, []byte) {
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
		panic(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			panic(fmt.Sprintf("%s %s: %d %s", method, path, resp.StatusCode, b))
		}
	}
	return resp.StatusCode, b
}

// entries gives client n entries of 90 minutes in March 2027, IDs
// prefix-0..n-1, under contract ct.
func (r *rig) entries(client, prefix, ct string, n int) {
	r.work.mu.Lock()
	defer r.work.mu.Unlock()
	for i := range n {
		r.work.entries[client] = append(r.work.entries[client], BillableEntry{ID: fmt.Sprintf("%s-%d", prefix, i),
			TicketID: "tk1", TicketNumber: 42, TicketTitle: "Printer", UserName: "tina", Minutes: 90, ContractID: ct,
			At: time.Date(2027, 3, 1+i%28, 10, 0, 0, 0, time.UTC)})
	}
}
