package contracts

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
)

// TestContractRules: bad input is a clear 400 (413 when oversized),
// nothing stored; a user scoped to client A gets 404 for client B's
// contract, entitlements and drill-down; every change is audited.
func TestContractRules(t *testing.T) {
	r := newRig(t)
	for _, c := range []struct {
		req  api.ContractRequest
		want string
	}{
		{api.ContractRequest{}, "name"},
		{api.ContractRequest{Name: "x", Type: "forever"}, "type must be"},
		{api.ContractRequest{Name: "x", Start: "2027-02-30"}, "start must be a date"},
		{api.ContractRequest{Name: "x", Start: "2027-03-01", End: "2027-02-01"}, "end must not be before start"},
		{api.ContractRequest{Name: "x", AutoRenew: true}, "needs an end date"},
		{api.ContractRequest{Name: "x", Currency: "euro"}, "currency"},
		{api.ContractRequest{Name: "x", MonthlyFeeCents: -1}, "monthly_fee_cents"},
		{api.ContractRequest{Name: "x", SLAID: "a b"}, "sla_id"},
	} {
		var e api.Error
		if code := r.call("tina", "POST", "/api/v1/clients/c_a/contracts", c.req, &e); code != 400 || !strings.Contains(e.Error, c.want) {
			t.Errorf("%+v: %d %q, want 400 naming %q", c.req, code, e.Error, c.want)
		}
	}
	if code, _ := r.raw("tina", "POST", "/api/v1/clients/c_a/contracts", `{"name":`); code != 400 {
		t.Errorf("malformed JSON: %d", code)
	}
	if code, _ := r.raw("tina", "POST", "/api/v1/clients/c_a/contracts", `{"name":"`+strings.Repeat("x", 70<<10)+`"}`); code != 413 {
		t.Errorf("oversized body: %d", code)
	}
	var list api.ContractList
	if r.call("tina", "GET", "/api/v1/clients/c_a/contracts", nil, &list); len(list.Contracts) != 0 {
		t.Fatalf("bad input stored: %+v", list)
	}
	hostile := "<img src=x onerror=alert(1)> &amp; \"quoted\""
	k := r.contract("c_b", api.ContractRequest{Name: hostile, Type: "monitoring", Start: "2027-01-01", End: "2027-12-31",
		AutoRenew: true, NoticeDays: 60, Currency: "usd", MonthlyFeeCents: 9900})
	if k.Name != hostile || k.Currency != "USD" || k.RenewalMonths != 12 || k.NoticeBy != "2027-11-01" || !k.Active || k.Status != "active" {
		t.Errorf("created: %+v", k)
	}
	e := r.entitlement(k.ID, api.EntitlementRequest{Name: "Visits", Consumable: true, Unit: "visits", Quantity: 2})
	for _, path := range []string{"/api/v1/contracts/" + k.ID, "/api/v1/clients/c_b/contracts", "/api/v1/clients/c_b/activity",
		"/api/v1/contracts/" + k.ID + "/entitlements/" + e.ID + "/consumptions"} {
		if code, body := r.raw("ann", "GET", path, nil); code != 404 || strings.Contains(string(body), "onerror") {
			t.Errorf("ann (client A) GET %s: %d %s", path, code, body)
		}
	}
	for _, c := range []struct{ method, path string }{
		{"PUT", "/api/v1/contracts/" + k.ID}, {"POST", "/api/v1/contracts/" + k.ID + "/end"},
		{"POST", "/api/v1/contracts/" + k.ID + "/entitlements"}, {"PUT", "/api/v1/contracts/" + k.ID + "/entitlements/" + e.ID},
		{"DELETE", "/api/v1/contracts/" + k.ID + "/entitlements/" + e.ID},
		{"POST", "/api/v1/contracts/" + k.ID + "/entitlements/" + e.ID + "/consumptions"},
	} {
		if code, _ := r.raw("ann", c.method, c.path, map[string]any{"name": "x", "quantity": 1}); code != 404 {
			t.Errorf("ann %s %s: %d, want 404", c.method, c.path, code)
		}
	}
	// An entitlement named under another contract is not found.
	other := r.contract("c_b", api.ContractRequest{Name: "Other"})
	if code, _ := r.raw("tina", "GET", "/api/v1/contracts/"+other.ID+"/entitlements/"+e.ID+"/consumptions", nil); code != 404 {
		t.Errorf("entitlement through another contract: %d", code)
	}
	// Entitlement rules.
	for _, c := range []struct {
		req  api.EntitlementRequest
		want string
	}{
		{api.EntitlementRequest{Consumable: true, Quantity: 1}, "name"},
		{api.EntitlementRequest{Name: "x", Consumable: true, Unit: "Hours!", Quantity: 1}, "unit must be"},
		{api.EntitlementRequest{Name: "x", Consumable: true, Quantity: -1}, "quantity"},
		{api.EntitlementRequest{Name: "x", Expiry: "soon"}, "expiry"},
	} {
		var er api.Error
		if code := r.call("tina", "POST", "/api/v1/contracts/"+k.ID+"/entitlements", c.req, &er); code != 400 || !strings.Contains(er.Error, c.want) {
			t.Errorf("%+v: %d %q, want 400 naming %q", c.req, code, er.Error, c.want)
		}
	}
	// Manual delivery: two visits, a third refused (409 naming it), a
	// benefit cannot be consumed, a delivery can be removed.
	benefit := r.entitlement(k.ID, api.EntitlementRequest{Name: "Antivirus licences"})
	var c1 api.Consumption
	if code := r.call("tina", "POST", "/api/v1/contracts/"+k.ID+"/entitlements/"+e.ID+"/consumptions",
		api.ConsumptionRequest{Quantity: 2, Date: "2027-03-01", Note: "server room", TicketNumber: 12}, &c1); code != 201 ||
		c1.UserName != "tina" || c1.SourceKind != "manual" || c1.At.Format(dateFmt) != "2027-03-01" {
		t.Fatalf("delivery: %d %+v", code, c1)
	}
	var er api.Error
	if code := r.call("tina", "POST", "/api/v1/contracts/"+k.ID+"/entitlements/"+e.ID+"/consumptions", api.ConsumptionRequest{Quantity: 1}, &er); code != 409 ||
		!strings.Contains(er.Error, "Visits") || !strings.Contains(er.Error, "sold 2") || !strings.Contains(er.Error, "asked 1") {
		t.Errorf("third visit: %d %q", code, er.Error)
	}
	if code := r.call("tina", "POST", "/api/v1/contracts/"+k.ID+"/entitlements/"+benefit.ID+"/consumptions", api.ConsumptionRequest{Quantity: 1}, &er); code != 400 {
		t.Errorf("consuming a benefit: %d", code)
	}
	if code, _ := r.raw("tina", "DELETE", "/api/v1/contracts/"+k.ID+"/entitlements/"+e.ID, nil); code != 409 {
		t.Errorf("deleting a consumed entitlement: %d", code)
	}
	if code, _ := r.raw("ann", "DELETE", "/api/v1/contracts/"+k.ID+"/consumptions/"+c1.ID, nil); code != 404 {
		t.Errorf("ann deleting B's delivery: %d", code)
	}
	if code, _ := r.raw("tina", "DELETE", "/api/v1/contracts/"+k.ID+"/consumptions/"+c1.ID, nil); code != 200 {
		t.Errorf("deleting the delivery: %d", code)
	}
	var shown api.Contract
	r.call("tina", "GET", "/api/v1/contracts/"+k.ID, nil, &shown)
	if len(shown.Entitlements) != 2 || shown.Entitlements[1].Name != "Visits" || shown.Entitlements[1].Used != 0 || shown.Entitlements[1].Remaining != 2 {
		t.Errorf("after removing the delivery: %+v", shown.Entitlements)
	}
	// A delivery from a ticket cannot be removed by hand.
	if err := r.w.Consume(context.Background(), Consumption{ClientID: "c_b", ContractID: k.ID, Unit: "visits", SourceKind: "ticket",
		SourceID: "tk9", Quantity: 1, At: r.now}); err != nil {
		t.Fatal(err)
	}
	x, _ := r.db.ConsumptionBySource("ticket", "tk9")
	if code, _ := r.raw("tina", "DELETE", "/api/v1/contracts/"+k.ID+"/consumptions/"+x.ID, nil); code != 409 {
		t.Errorf("deleting a ticket's consumption by hand: %d", code)
	}
	for _, a := range []string{"contract.create", "contract.entitlement.add", "contract.consume", "contract.consume.delete"} {
		if !r.audited(a) {
			t.Errorf("%s not audited", a)
		}
	}
	// Ending early: expired from that day, audited.
	var ended api.Contract
	if code := r.call("tina", "POST", "/api/v1/contracts/"+k.ID+"/end", api.ContractEndRequest{}, &ended); code != 200 ||
		ended.Active || ended.Status != "expired" || ended.EndedOn != "2027-03-10" || ended.EffectiveEnd != "2027-03-09" || !r.audited("contract.end") {
		t.Errorf("ended: %d %+v", code, ended)
	}
	if code := r.call("tina", "POST", "/api/v1/contracts/"+k.ID+"/end", api.ContractEndRequest{Date: "2026-01-01"}, &er); code != 400 {
		t.Errorf("ending before the start: %d", code)
	}
}

// TestConsumptionCSV: the drill-down's CSV keeps hostile text inert: a
// formula becomes text, control characters go, bidi controls show.
func TestConsumptionCSV(t *testing.T) {
	r := newRig(t)
	k := r.contract("c_a", api.ContractRequest{Name: "=HYPERLINK(\"http://evil\")", Start: "2027-01-01"})
	e := r.entitlement(k.ID, api.EntitlementRequest{Name: "@SUM(A1)", Consumable: true, Unit: "training_days", Quantity: 5})
	r.users["tina"].Name = "+tina\r\n-evil"
	for _, note := range []string{"=cmd|' /C calc'!A0", "ok\u202egnp.exe"} {
		if code := r.call("tina", "POST", "/api/v1/contracts/"+k.ID+"/entitlements/"+e.ID+"/consumptions",
			api.ConsumptionRequest{Quantity: 1, Note: note}, nil); code != 201 {
			t.Fatalf("delivery: %d", code)
		}
	}
	code, body := r.raw("tina", "GET", "/api/v1/contracts/"+k.ID+"/entitlements/"+e.ID+"/consumptions?format=csv", nil)
	if code != 200 {
		t.Fatalf("csv: %d %s", code, body)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("csv rows %v %v: %s", rows, err, body)
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q would run as a formula", cell)
			}
			if strings.ContainsAny(cell, "\r\n\u202e") {
				t.Errorf("cell %q keeps a control character", cell)
			}
		}
	}
	if rows[1][1] != "'=HYPERLINK(\"http://evil\")" || rows[1][2] != "'@SUM(A1)" || rows[1][6] != "'+tina-evil" || rows[1][8] != "'=cmd|' /C calc'!A0" ||
		rows[2][8] != `ok\u202egnp.exe` || rows[1][3] != "training_days" {
		t.Errorf("csv = %q", rows)
	}
	if code, _ := r.raw("tina", "GET", "/api/v1/contracts/"+k.ID+"/entitlements/"+e.ID+"/consumptions?format=xml", nil); code != 400 {
		t.Errorf("format=xml: %d", code)
	}
}

// TestActivity: the activity page shows active contracts with their
// consumption and what remains, what expires within the window,
// uncovered work apart, filters by contract, entitlement and
// active/inactive; the portal's copy is always the customer's own client
// and a technician viewing as the customer is audited.
func TestActivity(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	sup := r.contract("c_a", api.ContractRequest{Name: "Support", Start: "2027-01-01", End: "2027-03-31", Default: true})
	hrs := r.entitlement(sup.ID, api.EntitlementRequest{Name: "Hours", Consumable: true, Unit: "hours", Quantity: 10, AllowOver: true})
	train := r.entitlement(sup.ID, api.EntitlementRequest{Name: "Training", Consumable: true, Unit: "training_days", Quantity: 2, Expiry: "2027-03-20"})
	r.entitlement(sup.ID, api.EntitlementRequest{Name: "Patching included"})
	proj := r.contract("c_a", api.ContractRequest{Name: "Migration", Type: "project", Start: "2027-02-01", End: "2027-12-31"})
	old := r.contract("c_a", api.ContractRequest{Name: "2026 support", Start: "2026-01-01", End: "2026-12-31"})
	r.contract("c_b", api.ContractRequest{Name: "Bravo secret", Start: "2027-01-01"})
	for i, h := range []float64{4, 7} {
		if err := r.w.Consume(ctx, Consumption{ClientID: "c_a", ContractID: sup.ID, Unit: "hours", SourceKind: "time_entry",
			SourceID: "te" + string(rune('a'+i)), Quantity: h, At: r.now.Add(-time.Duration(i) * time.Hour), UserName: "tina"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []Consumption{
		{ClientID: "c_a", Unit: "hours", SourceKind: "time_entry", SourceID: "un1", Quantity: 1.25, At: r.now},
		{ClientID: "c_a", Unit: "hours", SourceKind: "time_entry", SourceID: "un2", Quantity: 0.5, At: r.now},
		{ClientID: "c_b", Unit: "hours", SourceKind: "time_entry", SourceID: "unb", Quantity: 9, At: r.now, UserName: "Bravo secret"},
	} {
		if err := r.w.Consume(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	var a api.Activity
	if code := r.call("tina", "GET", "/api/v1/clients/c_a/activity", nil, &a); code != 200 {
		t.Fatalf("activity: %d", code)
	}
	if len(a.Contracts) != 2 || a.Contracts[0].ID != sup.ID || a.Contracts[1].ID != proj.ID || a.SoonDays != 30 {
		t.Fatalf("active contracts = %+v", a.Contracts)
	}
	h := a.Contracts[0].Entitlements[0]
	if h.ID != hrs.ID || h.Sold != 10 || h.Used != 11 || h.Remaining != -1 || !h.OverConsumed {
		t.Errorf("hours = %+v", h)
	}
	var kinds []string
	for _, x := range a.ExpiringSoon {
		kinds = append(kinds, x.Kind+":"+x.Name+":"+x.Date)
	}
	if got := strings.Join(kinds, ","); got != "entitlement:Support / Training:2027-03-20,contract:Support:2027-03-31" {
		t.Errorf("expiring soon = %q", got)
	}
	if len(a.Uncovered) != 2 || len(a.UncoveredTotals) != 1 || a.UncoveredTotals[0].Quantity != 1.75 {
		t.Errorf("uncovered = %+v %+v", a.Uncovered, a.UncoveredTotals)
	}
	// Filters.
	r.call("tina", "GET", "/api/v1/clients/c_a/activity?status=inactive", nil, &a)
	if len(a.Contracts) != 1 || a.Contracts[0].ID != old.ID {
		t.Errorf("inactive = %+v", a.Contracts)
	}
	r.call("tina", "GET", "/api/v1/clients/c_a/activity?status=all&entitlement="+train.ID, nil, &a)
	if len(a.Contracts) != 1 || len(a.Contracts[0].Entitlements) != 1 || a.Contracts[0].Entitlements[0].ID != train.ID || len(a.Uncovered) != 0 {
		t.Errorf("by entitlement = %+v", a)
	}
	r.call("tina", "GET", "/api/v1/clients/c_a/activity?contract="+proj.ID+"&days=5", nil, &a)
	if len(a.Contracts) != 1 || a.Contracts[0].ID != proj.ID || len(a.ExpiringSoon) != 0 || a.SoonDays != 5 {
		t.Errorf("by contract = %+v", a)
	}
	if code, _ := r.raw("tina", "GET", "/api/v1/clients/c_a/activity?status=maybe", nil); code != 400 {
		t.Errorf("bad status: %d", code)
	}
	// Portal: the customer's own client, whatever is asked.
	code, body := r.raw("carla", "GET", "/api/v1/portal/usage?contract=", nil)
	if code != 200 || strings.Contains(string(body), "Bravo") || !strings.Contains(string(body), "Support") {
		t.Errorf("portal: %d %s", code, body)
	}
	if r.audited("portal.view") {
		t.Error("a customer's own view audited as a technician's")
	}
	if code, _ := r.raw("viewer", "GET", "/api/v1/portal/usage", nil); code != 200 || !r.audited("portal.view") {
		t.Errorf("view as customer: %d, audited %v", code, r.audited("portal.view"))
	}
}
