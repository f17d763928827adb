//go:build linux

package e2e_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/api"
)

// TestInvoicesOverTheServer: an admin makes a numbered invoice by hand,
// moves it along its statuses, downloads its PDF and the CSV; billing
// from work says the tickets wing is missing; a technician holds no
// invoice permission; every change is audited.
func TestInvoicesOverTheServer(t *testing.T) {
	e := startServer(t, serverConfig())
	acme := e.createClient("Acme <b>&amp;</b>")
	var inv api.Invoice
	if code := e.api("POST", "/api/v1/clients/"+acme+"/invoices", api.InvoiceRequest{Batch: "Q1", Date: "2027-04-01",
		Lines: []api.InvoiceLineRequest{{Description: "Onboarding (setup) <script>", Quantity: 2.5, UnitPriceCents: 8000}}}, &inv); code != 201 {
		t.Fatalf("create: %d", code)
	}
	if inv.Number != "INV-000001" || inv.TotalCents != 20000 || inv.DueDate != "2027-05-01" || inv.ClientName != "Acme <b>&amp;</b>" {
		t.Fatalf("invoice %+v", inv)
	}
	var e1 api.Error
	if code := e.api("POST", "/api/v1/clients/"+acme+"/invoices", api.InvoiceRequest{FromWork: true, PeriodFrom: "2027-03-01",
		PeriodTo: "2027-04-01"}, &e1); code != 422 || !strings.Contains(e1.Error, "nothing to bill") {
		t.Fatalf("from work with no time or fee in the period: %d %+v", code, e1)
	}
	for _, s := range []string{"sent", "paid"} {
		if code := e.api("POST", "/api/v1/invoices/"+inv.ID+"/status", api.InvoiceStatusRequest{Status: s}, &inv); code != 200 || inv.Status != s {
			t.Fatalf("-> %s: %d %+v", s, code, inv)
		}
	}
	if code := e.api("PUT", "/api/v1/invoices/"+inv.ID, api.InvoiceRequest{Notes: "x"}, nil); code != 409 {
		t.Errorf("changing a paid invoice: %d", code)
	}
	var byNumber api.Invoice
	if code := e.api("GET", "/api/v1/invoices/INV-000001", nil, &byNumber); code != 200 || byNumber.ID != inv.ID {
		t.Errorf("by number: %d %+v", code, byNumber)
	}
	req, _ := http.NewRequest("GET", e.url+"/api/v1/invoices/"+inv.ID+"/pdf", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("pdf: %d %s %.20q", resp.StatusCode, resp.Header.Get("Content-Type"), pdf)
	}
	csv := e.rawGet(t, "/api/v1/invoices?format=csv&batch=Q1")
	if !strings.Contains(csv, "INV-000001,Acme <b>&amp;</b>,2027-04-01,2027-05-01,paid,Q1,EUR,200.00,0.00,200.00") {
		t.Errorf("csv: %s", csv)
	}
	out, errs, code := e.ctl(t, "invoices", "list", "--status", "paid")
	if code != 0 || !strings.Contains(out, "INV-000001") || !strings.Contains(out, "200.00 EUR") {
		t.Errorf("stewardctl invoices list: %d %q %q", code, out, errs)
	}
	// Three more drafts; the CLI pages one at a time, --all follows every
	// page, and without it says how to get the next.
	for i := range 3 {
		if code := e.api("POST", "/api/v1/clients/"+acme+"/invoices", api.InvoiceRequest{Date: "2027-04-0" + string(rune('2'+i)),
			Lines: []api.InvoiceLineRequest{{Description: "more", Quantity: 1, UnitPriceCents: 100}}}, nil); code != 201 {
			t.Fatalf("draft %d: %d", i, code)
		}
	}
	out, errs, code = e.ctl(t, "invoices", "list", "--limit", "1", "--all")
	if code != 0 || strings.Count(out, "INV-00000") != 4 || strings.Index(out, "INV-000004") > strings.Index(out, "INV-000001") ||
		strings.Contains(out, "more:") {
		t.Errorf("stewardctl invoices list --all: %d %q %q", code, out, errs)
	}
	out, _, _ = e.ctl(t, "invoices", "list", "--limit", "2")
	if strings.Count(out, "INV-00000") != 2 || !strings.Contains(out, "(2 of 4)") || !strings.Contains(out, "more: --cursor ") {
		t.Errorf("stewardctl invoices list --limit 2: %q", out)
	}
	e.createUser("tech", "technician")
	if code := e.apiAs(e.tokenFor("tech"), "GET", "/api/v1/invoices", nil, nil); code != 403 {
		t.Errorf("technician lists invoices: %d, want 403", code)
	}
	var audit []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=invoice.", nil, &audit)
	got := map[string]int{}
	for _, ev := range audit {
		got[ev.Action]++
	}
	if got["invoice.create"] != 4 || got["invoice.status"] != 2 {
		t.Errorf("audit %v", got)
	}
}
