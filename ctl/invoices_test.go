package ctl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
)

// TestInvoiceTables: stewardctl invoices list, show and batch as tables,
// amounts in decimal with the currency, hostile text escaped; compared
// with testdata/invoices.golden (go test ./ctl -run TestInvoiceTables
// -update to accept a change).
func TestInvoiceTables(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	at := time.Date(2027, 4, 1, 9, 0, 0, 0, time.UTC)
	inv := api.Invoice{ID: "inv_1", Number: "INV-000123", ClientID: "c_1", ClientName: "Smith, Jones & Co\x1b[31m\u202e", Date: "2027-04-01",
		DueDate: "2027-05-01", PeriodFrom: "2027-03-01", PeriodTo: "2027-04-01", Status: "sent", Next: []string{"paid", "void"},
		Batch: "March 2027", Currency: "EUR", SubtotalCents: 123456, TaxCents: 24691, TotalCents: 148147, Notes: "Thanks\nBye",
		CreatedAt: at, UpdatedAt: at,
		Lines: []api.InvoiceLine{{Kind: "time_entry", Description: "#42 Printer <script>, tina, 2027-03-02", SourceID: "te_1",
			Quantity: 1.5, UnitPriceCents: 12000, TaxRate: 20, AmountCents: 18000},
			{Kind: "contract_fee", Description: "Gold: monthly fee March 2027", Quantity: 1, UnitPriceCents: 105456, TaxRate: 20, AmountCents: 105456}}}
	js := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	srv, seen, fp := fakeAPI(t, map[string]string{
		"GET /api/v1/invoices": js(api.InvoiceList{Invoices: []api.Invoice{inv}, Total: 3, Next: "00ff\x1b[2J", Totals: []api.InvoiceTotal{
			{Currency: "EUR", OutstandingCents: 148147, Outstanding: 1, OverdueCents: 0, Overdue: 0}}}),
		"GET /api/v1/invoices/INV-000123": js(inv),
		"POST /api/v1/invoices/batch": js(api.InvoiceBatchResult{Batch: "March 2027", Created: 1, Skipped: 1, Items: []api.InvoiceBatchItem{
			{ClientID: "c_1", ClientName: "Smith, Jones & Co", Result: "created", InvoiceID: "inv_1", Number: "INV-000123", TotalCents: 148147},
			{ClientID: "c_2", ClientName: "=cmd|' /C calc'!A0", Result: "skipped"}}}),
		"POST /api/v1/clients/c_1/invoices": js(inv),
	})
	var got strings.Builder
	for _, args := range [][]string{{"invoices", "list", "--status", "sent", "--batch", "March 2027"}, {"invoices", "show", "INV-000123"},
		{"invoices", "batch", "March 2027", "--period-from", "2027-03-01", "--period-to", "2027-04-01"},
		{"invoices", "create", "--client", "c_1", "--line", "Setup;2;1999;7.5"}} {
		out, errs, code := runCtl(t, srv, fp, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d %q", args, code, errs)
		}
		got.WriteString("$ stewardctl " + strings.Join(args, " ") + "\n" + out + "\n")
	}
	golden := filepath.Join("testdata", "invoices.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("tables differ from %s:\n%s", golden, got.String())
	}
	if strings.Contains(got.String(), "\x1b") || strings.Contains(got.String(), "\u202e") {
		t.Error("a control or bidi character reached the terminal")
	}
	last := (*seen)[len(*seen)-1]
	if !strings.Contains(last, `"lines":[{"description":"Setup","quantity":2,"unit_price_cents":1999,"tax_rate":7.5}]`) {
		t.Errorf("create sent %s", last)
	}
	if _, _, code := runCtl(t, srv, fp, "invoices", "create", "--client", "c_1", "--line", "no price"); code == 0 {
		t.Error("a malformed --line was accepted")
	}
}
