package tickets

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// contractsStub is a small contracts provider (the contracts wing lives
// on another branch): one contract "k1" of client c1 with SLA "s1", a
// ticket entitlement of 2 and an hours entitlement of 1 that refuse
// over-consumption, idempotent per source as CONTRACTS7.md says.
type contractsStub struct {
	mu   sync.Mutex
	used map[string]Consumption // kind/id -> consumption
}

func (c *contractsStub) ContractForTicket(_ context.Context, clientID, id string) (ContractRef, error) {
	if clientID != "c1" || (id != "" && id != "k1") {
		return ContractRef{}, fmt.Errorf("contract %q: %w", id, store.ErrNotFound)
	}
	return ContractRef{ID: "k1", ClientID: "c1", Name: "Support", SLAID: "s1", Active: true}, nil
}

func (c *contractsStub) Consume(_ context.Context, x Consumption) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	sold := map[string]float64{"tickets": 2, "hours": 1}[x.Unit]
	used := 0.0
	for k, u := range c.used {
		if u.Unit == x.Unit && k != x.SourceKind+"/"+x.SourceID {
			used += u.Quantity
		}
	}
	if used+x.Quantity > sold {
		return fmt.Errorf("entitlement %q: sold %g, used %g, asked %g: %w", x.Unit, sold, used, x.Quantity, store.ErrConflict)
	}
	c.used[x.SourceKind+"/"+x.SourceID] = x
	return nil
}

func (c *contractsStub) Release(_ context.Context, kind, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.used, kind+"/"+id)
	return nil
}

type scope struct{ st store.Store }

func (s scope) ResolveClient(p *httpx.Principal, ref string) (store.Client, bool) {
	c, err := s.st.Client(ref)
	return c, err == nil && p.CanSeeClient(c.ID)
}

func (s scope) Device(*httpx.Principal, string) (fleet.View, bool) { return fleet.View{}, false }

type audits struct {
	mu  sync.Mutex
	evs []string
}

func (a *audits) AuditP(p *httpx.Principal, action, target string, _ map[string]string) {
	a.mu.Lock()
	a.evs = append(a.evs, action+" "+target)
	a.mu.Unlock()
}
func (a *audits) Audit(*http.Request, string, string, string, map[string]string) {}
func (a *audits) AuditSystem(string, string, map[string]string)                  {}
func (a *audits) Append(store.AuditEvent)                                        {}

type rig struct {
	t   *testing.T
	w   *Wing
	st  store.Store
	k   *contractsStub
	now time.Time
}

func newRig(t *testing.T) *rig {
	st, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, c := range []string{"c1", "c2"} {
		if err := st.CreateClient(store.Client{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutSLA(store.SLA{ID: "s1", Name: "Gold", Targets: []store.SLATarget{{Priority: "medium", FirstResponse: 60, Resolution: 240}}}); err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, st: st, k: &contractsStub{used: map[string]Consumption{}}, now: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	r.w = New(Deps{Store: st, Clients: scope{st}, Devices: scope{st}, Contracts: r.k, Audit: &audits{}, Now: func() time.Time { return r.now }})
	return r
}

var admin = &httpx.Principal{UserID: "u1", Name: "admin", AllClients: true, Perms: httpx.RolePerms[httpx.RoleAdmin]}

// call runs the route method+pattern as p with path values and a body.
func (r *rig) call(p *httpx.Principal, method, pattern string, vals map[string]string, body any, out any) (int, string) {
	r.t.Helper()
	for _, rt := range r.w.Routes() {
		if rt.Method != method || rt.Pattern != pattern {
			continue
		}
		b, _ := json.Marshal(body)
		req := httptest.NewRequest(method, pattern, bytes.NewReader(b))
		for k, v := range vals {
			req.SetPathValue(k, v)
		}
		rec := httptest.NewRecorder()
		rt.H(rec, req, p)
		if out != nil && rec.Code < 300 {
			if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
				r.t.Fatalf("%s %s: %v", method, pattern, err)
			}
		}
		return rec.Code, rec.Body.String()
	}
	r.t.Fatalf("no route %s %s", method, pattern)
	return 0, ""
}

// TestContracts: a new ticket goes under the client's default contract
// and takes its SLA; it counts one ticket, time counts hours; a refused
// over-consumption is a 409 with the provider's message and stores
// nothing; deleting a time entry releases it; billable entries are listed
// for invoices.
func TestContracts(t *testing.T) {
	r := newRig(t)
	var t1 api.Ticket
	if code, body := r.call(admin, "POST", "/api/v1/clients/{client}/tickets", map[string]string{"client": "c1"},
		map[string]any{"title": "one"}, &t1); code != 201 || t1.ContractID != "k1" || t1.SLAID != "s1" || t1.SLA == nil || t1.SLA.ResolutionDue == nil {
		t.Fatalf("under the default contract: %d %s", code, body)
	}
	if got := r.k.used["ticket/"+t1.ID]; got.Unit != "tickets" || got.TicketNumber != t1.Number || got.Quantity != 1 {
		t.Fatalf("ticket consumption = %+v", got)
	}
	if code, _ := r.call(admin, "POST", "/api/v1/clients/{client}/tickets", map[string]string{"client": "c1"}, map[string]any{"title": "two"}, nil); code != 201 {
		t.Fatalf("second: %d", code)
	}
	code, body := r.call(admin, "POST", "/api/v1/clients/{client}/tickets", map[string]string{"client": "c1"}, map[string]any{"title": "three"}, nil)
	if code != 409 || !strings.Contains(body, "sold 2, used 2, asked 1") {
		t.Fatalf("third past the ticket entitlement: %d %s", code, body)
	}
	if n, _ := r.st.CountTickets(store.TicketQuery{ClientID: "c1"}); n != 2 {
		t.Fatalf("a refused ticket was stored: %d tickets", n)
	}
	// Another client has no contract: its tickets have none.
	var t2 api.Ticket
	if code, _ := r.call(admin, "POST", "/api/v1/clients/{client}/tickets", map[string]string{"client": "c2"}, map[string]any{"title": "x"}, &t2); code != 201 || t2.ContractID != "" {
		t.Fatalf("client without a contract: %d %+v", code, t2)
	}
	if code, body := r.call(admin, "POST", "/api/v1/clients/{client}/tickets", map[string]string{"client": "c2"},
		map[string]any{"title": "x", "contract_id": "k1"}, nil); code != 400 || !strings.Contains(body, "contract not found") {
		t.Fatalf("another client's contract: %d %s", code, body)
	}
	var e1 api.TimeEntry
	if code, _ := r.call(admin, "POST", "/api/v1/tickets/{ticket}/time", map[string]string{"ticket": t1.ID},
		map[string]any{"minutes": 45, "billable": true, "note": "<b>fixed</b>"}, &e1); code != 201 || e1.ContractID != "k1" {
		t.Fatalf("time: %d %+v", code, e1)
	}
	if got := r.k.used["time_entry/"+e1.ID]; got.Unit != "hours" || got.Quantity != 0.75 {
		t.Fatalf("hours consumption = %+v", got)
	}
	code, body = r.call(admin, "POST", "/api/v1/tickets/{ticket}/time", map[string]string{"ticket": t1.ID}, map[string]any{"minutes": 30}, nil)
	if code != 409 || !strings.Contains(body, "asked 0.5") {
		t.Fatalf("past the hours: %d %s", code, body)
	}
	if es, _ := r.st.TimeEntries(t1.ID); len(es) != 1 {
		t.Fatalf("a refused entry was stored: %+v", es)
	}
	bill, err := r.w.BillableTimeEntries(context.Background(), "c1", r.now.Add(-time.Hour), r.now.Add(time.Hour))
	if err != nil || len(bill) != 1 || bill[0].Minutes != 45 || bill[0].TicketNumber != t1.Number || bill[0].Note != "<b>fixed</b>" || bill[0].TicketTitle != "one" {
		t.Fatalf("billable = %+v %v", bill, err)
	}
	if bill, _ := r.w.BillableTimeEntries(context.Background(), "c1", r.now.Add(time.Hour), r.now.Add(2*time.Hour)); len(bill) != 0 {
		t.Fatalf("billable outside the period = %+v", bill)
	}
	if code, _ := r.call(admin, "DELETE", "/api/v1/tickets/{ticket}/time/{entry}", map[string]string{"ticket": t1.ID, "entry": e1.ID}, nil, nil); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	if _, ok := r.k.used["time_entry/"+e1.ID]; ok {
		t.Fatal("deleted entry not released")
	}
	if code, _ := r.call(admin, "POST", "/api/v1/tickets/{ticket}/time", map[string]string{"ticket": t1.ID}, map[string]any{"minutes": 60}, nil); code != 201 {
		t.Fatalf("after the release the hour fits: %d", code)
	}
	// Without the contracts wing, tickets work without contracts.
	r.w.d.Contracts = nil
	if code, _ := r.call(admin, "POST", "/api/v1/clients/{client}/tickets", map[string]string{"client": "c1"}, map[string]any{"title": "no wing"}, nil); code != 201 {
		t.Fatalf("without contracts: %d", code)
	}
}

// TestPortal: a portal user sees only their own tickets of their own
// client (a customer admin all of the client's), never internal comments
// or time; writes are refused while a technician views as the customer.
func TestPortal(t *testing.T) {
	r := newRig(t)
	r.w.d.Contracts = nil
	mk := func(client, contact, title string) store.Ticket {
		tk := r.w.newTicket(client, "u1", "read")
		tk.ContactID, tk.Title = contact, title
		got, err := r.st.CreateTicket(tk, 0)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	own, other, foreign := mk("c1", "k-ann", "ann's"), mk("c1", "k-bob", "bob's"), mk("c2", "k-ann", "c2's")
	if err := r.st.AddTicketComment(store.TicketComment{ID: "m1", TicketID: own.ID, Body: "internal secret"}); err != nil {
		t.Fatal(err)
	}
	if err := r.st.AddTicketComment(store.TicketComment{ID: "m2", TicketID: own.ID, Public: true, Body: "we are on it"}); err != nil {
		t.Fatal(err)
	}
	if err := r.st.PutTimeEntry(store.TimeEntry{ID: "e1", TicketID: own.ID, Minutes: 5, Note: "time secret"}); err != nil {
		t.Fatal(err)
	}
	ann := &httpx.Principal{Name: "Ann", Portal: &httpx.PortalIdentity{ClientID: "c1", ContactID: "k-ann"}}
	boss := &httpx.Principal{Name: "Boss", Portal: &httpx.PortalIdentity{ClientID: "c1", ContactID: "k-boss", Admin: true}}
	viewer := &httpx.Principal{Name: "Ann", Portal: &httpx.PortalIdentity{ClientID: "c1", ContactID: "k-ann", ViewedBy: "u1"}}
	var l api.TicketList
	if code, _ := r.call(ann, "GET", "/api/v1/portal/tickets", nil, nil, &l); code != 200 || len(l.Tickets) != 1 || l.Tickets[0].ID != own.ID {
		t.Fatalf("ann's list: %d %+v", code, l)
	}
	if code, _ := r.call(boss, "GET", "/api/v1/portal/tickets", nil, nil, &l); code != 200 || len(l.Tickets) != 2 {
		t.Fatalf("the customer admin's list: %d %+v", code, l)
	}
	for _, id := range []string{other.ID, foreign.ID} {
		if code, _ := r.call(ann, "GET", "/api/v1/portal/tickets/{ticket}", map[string]string{"ticket": id}, nil, nil); code != 404 {
			t.Errorf("ann opens %s: %d", id, code)
		}
	}
	code, body := r.call(ann, "GET", "/api/v1/portal/tickets/{ticket}", map[string]string{"ticket": own.ID}, nil, nil)
	if code != 200 || strings.Contains(body, "secret") || !strings.Contains(body, "we are on it") {
		t.Fatalf("ann's ticket: %d %s", code, body)
	}
	var cm api.TicketComment
	if code, _ := r.call(ann, "POST", "/api/v1/portal/tickets/{ticket}/comments", map[string]string{"ticket": own.ID},
		map[string]any{"body": "<script>x</script> thanks", "public": false}, &cm); code != 201 || !cm.Public || cm.AuthorID != "contact:k-ann" {
		t.Fatalf("ann's reply: %d %+v", code, cm)
	}
	if got, _ := r.st.Ticket(own.ID); got.Activity != "waiting for technician" {
		t.Errorf("activity after the customer's reply = %q", got.Activity)
	}
	var created api.Ticket
	if code, _ := r.call(ann, "POST", "/api/v1/portal/tickets", nil, map[string]any{"title": "new one", "description": "help"}, &created); code != 201 ||
		created.ContactID != "k-ann" || created.ClientID != "c1" || created.Type != "request" {
		t.Fatalf("ann opens a ticket: %d %+v", code, created)
	}
	if code, _ := r.call(viewer, "POST", "/api/v1/portal/tickets", nil, map[string]any{"title": "as viewer"}, nil); code != 403 {
		t.Errorf("a viewing technician opens a ticket: %d", code)
	}
	if code, _ := r.call(viewer, "POST", "/api/v1/portal/tickets/{ticket}/comments", map[string]string{"ticket": own.ID}, map[string]any{"body": "x"}, nil); code != 403 {
		t.Errorf("a viewing technician replies: %d", code)
	}
	if code, _ := r.call(viewer, "GET", "/api/v1/portal/tickets/{ticket}", map[string]string{"ticket": own.ID}, nil, nil); code != 200 {
		t.Errorf("a viewing technician reads: %d", code)
	}
}

// TestFirstResponse: a technician's public reply stops the first-response
// clock; an internal one does not.
func TestFirstResponse(t *testing.T) {
	r := newRig(t)
	var tk api.Ticket
	r.call(admin, "POST", "/api/v1/clients/{client}/tickets", map[string]string{"client": "c1"}, map[string]any{"title": "x"}, &tk)
	r.now = r.now.Add(30 * time.Minute)
	r.call(admin, "POST", "/api/v1/tickets/{ticket}/comments", map[string]string{"ticket": tk.ID}, map[string]any{"body": "note"}, nil)
	if got, _ := r.st.Ticket(tk.ID); !got.SLA.FirstResponseAt.IsZero() {
		t.Fatalf("an internal note answered: %+v", got.SLA)
	}
	r.now = r.now.Add(time.Hour) // past the 60-minute target
	r.call(admin, "POST", "/api/v1/tickets/{ticket}/comments", map[string]string{"ticket": tk.ID}, map[string]any{"body": "hello", "public": true}, nil)
	got, _ := r.st.Ticket(tk.ID)
	if !got.SLA.FirstResponseAt.Equal(r.now) || !got.SLA.FirstResponseBreached.Equal(got.SLA.FirstResponseDue) {
		t.Fatalf("late first response: %+v", got.SLA)
	}
}
