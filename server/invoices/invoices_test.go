package invoices

import (
	"encoding/csv"
	"strings"
	"sync"
	"testing"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/store"
)

var march = api.InvoiceRequest{FromWork: true, PeriodFrom: "2027-03-01", PeriodTo: "2027-04-01"}

// TestRounding: amounts are quantity times price rounded half away from
// zero per line; tax per rate on the rate's sum, rounded once.
func TestRounding(t *testing.T) {
	for _, c := range []struct{ q, unit, want int64 }{
		{1000, 100, 100}, {1500, 333, 500}, {1, 500, 1}, {1, 499, 0}, {-1500, 333, -500}, {333, 1, 0}, {2500, 1, 3},
	} {
		if got := store.LineAmount(c.q, c.unit); got != c.want {
			t.Errorf("LineAmount(%d, %d) = %d, want %d", c.q, c.unit, got, c.want)
		}
	}
	// Three lines of 0.10 at 5%: per-line tax would round 0.5 cent up
	// three times (3 cents); per rate it is 1.5 -> 2 cents.
	inv := store.Invoice{Lines: []store.InvoiceLine{
		{QuantityMilli: 1000, UnitCents: 10, TaxBP: 500}, {QuantityMilli: 1000, UnitCents: 10, TaxBP: 500},
		{QuantityMilli: 1000, UnitCents: 10, TaxBP: 500}, {QuantityMilli: 2000, UnitCents: 1999, TaxBP: 2000}}}
	inv.Totals()
	if inv.SubtotalCents != 4028 || inv.TaxCents != 2+800 || inv.TotalCents != 4830 {
		t.Fatalf("totals %d + %d = %d", inv.SubtotalCents, inv.TaxCents, inv.TotalCents)
	}
	if got := Money(-123456789, "EUR"); got != "-1,234,567.89 EUR" {
		t.Errorf("Money = %q", got)
	}
}

// TestFromWork: an invoice from a period bills its unbilled entries at
// the contract's rate (else the default), its fees once, and a second
// invoice of the same period finds nothing; voiding releases the entries.
func TestFromWork(t *testing.T) {
	r := newRig(t, true)
	r.entries("c_a", "e", "ct1", 2)
	r.entries("c_a", "f", "", 1)
	r.work.rates["ct1"] = 12000
	r.work.fees["c_a"] = []ContractCharge{{ContractID: "ct1", ContractName: "Gold", Description: "monthly fee March 2027", AmountCents: 50000}}
	var inv api.Invoice
	code, body := r.call("ada", "POST", "/api/v1/clients/c_a/invoices", march, &inv)
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	// 2 x 1.5 h x 120.00 + 1.5 h x 100.00 (default) + 500.00 fee = 1010.00
	if inv.Number != "INV-000001" || len(inv.Lines) != 4 || inv.SubtotalCents != 101000 || inv.DueDate != "2027-05-02" ||
		inv.Status != "draft" || inv.Lines[0].Quantity != 1.5 || inv.Lines[2].UnitPriceCents != 10000 {
		t.Fatalf("invoice %+v", inv)
	}
	code, body = r.call("ada", "POST", "/api/v1/clients/c_a/invoices", march, nil)
	if code != 422 || !strings.Contains(string(body), "nothing to bill") {
		t.Fatalf("second invoice of the period: %d %s", code, body)
	}
	// Draft -> paid is not a transition; draft -> sent -> void is.
	if code, body := r.call("ada", "POST", "/api/v1/invoices/"+inv.ID+"/status", api.InvoiceStatusRequest{Status: "paid"}, nil); code != 409 ||
		!strings.Contains(string(body), "from draft to paid") {
		t.Errorf("draft -> paid: %d %s", code, body)
	}
	for _, s := range []string{"sent", "void"} {
		if code, body := r.call("ada", "POST", "/api/v1/invoices/"+inv.ID+"/status", api.InvoiceStatusRequest{Status: s}, nil); code != 200 {
			t.Fatalf("-> %s: %d %s", s, code, body)
		}
	}
	if code, _ := r.call("ada", "POST", "/api/v1/invoices/"+inv.ID+"/status", api.InvoiceStatusRequest{Status: "sent"}, nil); code != 409 {
		t.Errorf("void -> sent: %d", code)
	}
	if code, _ := r.call("ada", "DELETE", "/api/v1/invoices/"+inv.ID, nil, nil); code != 409 {
		t.Errorf("delete of a void invoice: %d", code)
	}
	var again api.Invoice
	if code, body := r.call("ada", "POST", "/api/v1/clients/c_a/invoices", march, &again); code != 201 || len(again.Lines) != 4 ||
		again.Number != "INV-000002" {
		t.Fatalf("after void, the entries and the fee bill again under a new number: %d %s", code, body)
	}
}

// TestNeverTwiceConcurrent: many "from period" calls for the same client
// at once, on the real store: every entry ends on exactly one invoice.
func TestNeverTwiceConcurrent(t *testing.T) {
	r := newRig(t, true)
	r.entries("c_a", "e", "", 40)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var made []api.Invoice
	for range 8 {
		wg.Go(func() {
			var inv api.Invoice
			code, body := r.call("ada", "POST", "/api/v1/clients/c_a/invoices", march, &inv)
			switch code {
			case 201:
				mu.Lock()
				made = append(made, inv)
				mu.Unlock()
			case 422:
			default:
				t.Errorf("create: %d %s", code, body)
			}
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for _, inv := range made {
		for _, l := range inv.Lines {
			seen[l.SourceID]++
		}
	}
	if len(seen) != 40 {
		t.Errorf("%d entries billed, want 40", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("entry %s billed %d times", id, n)
		}
	}
	if len(made) == 0 {
		t.Fatal("no invoice made")
	}
}

// TestWorkOff: without the tickets wing, billing from work says so;
// manual invoices work.
func TestWorkOff(t *testing.T) {
	r := newRig(t, false)
	code, body := r.call("ada", "POST", "/api/v1/clients/c_a/invoices", march, nil)
	if code != 409 || !strings.Contains(string(body), "no tickets wing") {
		t.Fatalf("from work without tickets: %d %s", code, body)
	}
	if code, body := r.call("ada", "POST", "/api/v1/invoices/batch", api.InvoiceBatchRequest{Batch: "b", PeriodFrom: "2027-03-01", PeriodTo: "2027-04-01"}, nil); code != 409 {
		t.Fatalf("batch without tickets: %d %s", code, body)
	}
	tax := 7.5
	var inv api.Invoice
	code, body = r.call("ada", "POST", "/api/v1/clients/c_a/invoices", api.InvoiceRequest{Lines: []api.InvoiceLineRequest{
		{Description: "Setup", Quantity: 2, UnitPriceCents: 1999, TaxRate: &tax}}}, &inv)
	if code != 201 || inv.SubtotalCents != 3998 || inv.TaxCents != 300 || inv.Lines[0].Kind != "manual" || inv.Lines[0].TaxRate != 7.5 {
		t.Fatalf("manual: %d %s", code, body)
	}
	for _, bad := range []api.InvoiceRequest{
		{Lines: []api.InvoiceLineRequest{{Description: "", Quantity: 1}}},
		{Lines: []api.InvoiceLineRequest{{Description: "x", Quantity: 1.0001}}},
		{Lines: []api.InvoiceLineRequest{{Description: "x", Quantity: 1, TaxRate: new(101.0)}}},
		{Date: "2027-13-01", Lines: []api.InvoiceLineRequest{{Description: "x", Quantity: 1}}},
		{Currency: "eur", Lines: []api.InvoiceLineRequest{{Description: "x", Quantity: 1}}},
		{FromWork: true},
	} {
		if code, body := r.call("ada", "POST", "/api/v1/clients/c_a/invoices", bad, nil); code != 400 {
			t.Errorf("%+v: %d %s", bad, code, body)
		}
	}
	if code, _ := r.call("ada", "POST", "/api/v1/clients/c_a/invoices", `{"notes":"`+strings.Repeat("x", 300<<10)+`"}`, nil); code != 413 {
		t.Errorf("oversized body: %d", code)
	}
	if code, _ := r.call("ann", "GET", "/api/v1/invoices/"+inv.ID, nil, nil); code != 200 {
		t.Errorf("ann sees c_a's invoice: %d", code)
	}
	var other api.Invoice
	r.call("ada", "POST", "/api/v1/clients/c_b/invoices", api.InvoiceRequest{Lines: []api.InvoiceLineRequest{{Description: "x", Quantity: 1}}}, &other)
	for _, path := range []string{"/api/v1/invoices/" + other.ID, "/api/v1/invoices/" + other.Number, "/api/v1/invoices/" + other.ID + "/pdf",
		"/api/v1/clients/c_b/invoices"} {
		if code, _ := r.call("ann", "GET", path, nil, nil); code != 404 {
			t.Errorf("ann (c_a only) GET %s: %d", path, code)
		}
	}
}

// TestListSearchCSV: filters, search by number or batch, and the CSV
// with a hostile client name kept as text.
func TestListSearchCSV(t *testing.T) {
	r := newRig(t, true)
	if err := r.db.CreateClient(store.Client{ID: "c_x", Name: "=HYPERLINK(\"http://evil\")"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"c_a", "c_b", "c_x"} {
		r.entries(c, c, "", 1)
	}
	var res api.InvoiceBatchResult
	code, body := r.call("ada", "POST", "/api/v1/invoices/batch", api.InvoiceBatchRequest{Batch: "March 2027", PeriodFrom: "2027-03-01",
		PeriodTo: "2027-04-01", Date: "2027-04-01"}, &res)
	if code != 200 || res.Created != 3 {
		t.Fatalf("batch: %d %s", code, body)
	}
	var res2 api.InvoiceBatchResult
	r.call("ada", "POST", "/api/v1/invoices/batch", api.InvoiceBatchRequest{Batch: "March again", PeriodFrom: "2027-03-01",
		PeriodTo: "2027-04-01"}, &res2)
	if res2.Created != 0 || res2.Skipped != 3 {
		t.Errorf("second batch of the period: %+v", res2)
	}
	count := func(user, q string) int {
		var l api.InvoiceList
		if code, body := r.call(user, "GET", "/api/v1/invoices"+q, nil, &l); code != 200 {
			t.Fatalf("%s: %d %s", q, code, body)
		}
		return l.Total
	}
	for q, want := range map[string]int{"": 3, "?batch=March%202027": 3, "?q=march": 3, "?q=INV-000002": 1, "?client=c_b": 1,
		"?status=sent": 0, "?status=draft": 3, "?from=2027-04-01&to=2027-04-02": 3, "?from=2027-04-02": 0} {
		if got := count("ada", q); got != want {
			t.Errorf("%q: %d invoices, want %d", q, got, want)
		}
	}
	if got := count("ann", ""); got != 1 {
		t.Errorf("ann sees %d invoices, want c_a's 1", got)
	}
	if code, _ := r.call("ada", "GET", "/api/v1/invoices?status=lost", nil, nil); code != 400 {
		t.Errorf("bad status: %d", code)
	}
	_, raw := r.call("ada", "GET", "/api/v1/invoices?format=csv", nil, nil)
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("csv %v: %s", err, raw)
	}
	found := false
	for _, row := range rows {
		if strings.Contains(row[1], "HYPERLINK") {
			found = row[1] == `'=HYPERLINK("http://evil")` && row[9] == "150.00"
		}
	}
	if !found {
		t.Errorf("the hostile name is not neutralised, or the total is wrong: %s", raw)
	}
}

// TestPortal: customer admins see their client's sent, paid and void
// invoices, never drafts nor another client's.
func TestPortal(t *testing.T) {
	r := newRig(t, false)
	mk := func(client string) api.Invoice {
		var inv api.Invoice
		r.call("ada", "POST", "/api/v1/clients/"+client+"/invoices", api.InvoiceRequest{Lines: []api.InvoiceLineRequest{{Description: "x", Quantity: 1, UnitPriceCents: 100}}}, &inv)
		return inv
	}
	draft, sent, other := mk("c_a"), mk("c_a"), mk("c_b")
	for _, inv := range []api.Invoice{sent, other} {
		r.call("ada", "POST", "/api/v1/invoices/"+inv.ID+"/status", api.InvoiceStatusRequest{Status: "sent"}, nil)
	}
	var l api.InvoiceList
	if code, body := r.call("cust", "GET", "/api/v1/portal/invoices", nil, &l); code != 200 || l.Total != 1 || l.Invoices[0].ID != sent.ID {
		t.Fatalf("portal list: %d %s", code, body)
	}
	if code, _ := r.call("cust", "GET", "/api/v1/portal/invoices/"+sent.ID+"/pdf", nil, nil); code != 200 {
		t.Errorf("own sent invoice's pdf: %d", code)
	}
	for _, inv := range []api.Invoice{draft, other} {
		if code, _ := r.call("cust", "GET", "/api/v1/portal/invoices/"+inv.ID+"/pdf", nil, nil); code != 404 {
			t.Errorf("pdf of %s (%s): %d", inv.Number, inv.ClientID, code)
		}
	}
}

// TestSettings: defaults, validation, and the number format taking
// effect on the next invoice.
func TestSettings(t *testing.T) {
	r := newRig(t, false)
	var st api.InvoiceSettings
	if code, _ := r.call("ada", "GET", "/api/v1/invoice-settings", nil, &st); code != 200 || st.NumberPrefix != "INV-" || st.PaymentDays != 30 {
		t.Fatalf("defaults %+v", st)
	}
	st.NumberPrefix, st.NumberDigits, st.TaxRate, st.IssuerName = "ACME/", 4, 20, "Acme IT"
	if code, body := r.call("ada", "PUT", "/api/v1/invoice-settings", st, nil); code != 200 {
		t.Fatalf("set: %d %s", code, body)
	}
	for _, bad := range []func(s *api.InvoiceSettings){
		func(s *api.InvoiceSettings) { s.NumberPrefix = "<b>" }, func(s *api.InvoiceSettings) { s.TaxRate = 12.345 },
		func(s *api.InvoiceSettings) { s.Currency = "euro" }, func(s *api.InvoiceSettings) { s.NumberDigits = 0 },
		func(s *api.InvoiceSettings) { s.IssuerName = "a\u202eb" },
	} {
		b := st
		bad(&b)
		if code, _ := r.call("ada", "PUT", "/api/v1/invoice-settings", b, nil); code != 400 {
			t.Errorf("bad settings %+v: %d", b, code)
		}
	}
	var inv api.Invoice
	r.call("ada", "POST", "/api/v1/clients/c_a/invoices", api.InvoiceRequest{Lines: []api.InvoiceLineRequest{{Description: "x", Quantity: 1, UnitPriceCents: 1000}}}, &inv)
	if inv.Number != "ACME/0001" || inv.TaxCents != 200 || inv.IssuerName != "Acme IT" {
		t.Errorf("invoice after settings: %+v", inv)
	}
}

// TestDraftEditAndDelete: a draft's manual lines and dates change while
// its billed lines stay; deleting it releases its entries and its number
// is not given again.
func TestDraftEditAndDelete(t *testing.T) {
	r := newRig(t, true)
	r.entries("c_a", "e", "", 1)
	req := march
	req.Lines = []api.InvoiceLineRequest{{Description: "Old", Quantity: 1, UnitPriceCents: 100}}
	var inv api.Invoice
	if code, body := r.call("ada", "POST", "/api/v1/clients/c_a/invoices", req, &inv); code != 201 || len(inv.Lines) != 2 {
		t.Fatalf("create: %d %s", code, body)
	}
	var got api.Invoice
	code, body := r.call("ada", "PUT", "/api/v1/invoices/"+inv.ID, api.InvoiceRequest{Date: "2027-04-10", Notes: "n",
		Lines: []api.InvoiceLineRequest{{Description: "New", Quantity: 3, UnitPriceCents: 200}}}, &got)
	if code != 200 || len(got.Lines) != 2 || got.Lines[0].Kind != "time_entry" || got.Lines[1].Description != "New" ||
		got.SubtotalCents != 15000+600 || got.DueDate != "2027-05-10" || got.Number != inv.Number {
		t.Fatalf("edit: %d %s", code, body)
	}
	if code, _ := r.call("ada", "DELETE", "/api/v1/invoices/"+inv.ID, nil, nil); code != 200 {
		t.Fatalf("delete draft: %d", code)
	}
	if code, _ := r.call("ada", "GET", "/api/v1/invoices/"+inv.ID, nil, nil); code != 404 {
		t.Errorf("deleted invoice: %d", code)
	}
	var again api.Invoice
	if code, body := r.call("ada", "POST", "/api/v1/clients/c_a/invoices", march, &again); code != 201 || again.Number != "INV-000002" ||
		len(again.Lines) != 1 {
		t.Fatalf("after delete: %d %s (the entry bills again, the number moves on)", code, body)
	}
	r.call("ada", "POST", "/api/v1/invoices/"+again.ID+"/status", api.InvoiceStatusRequest{Status: "sent"}, nil)
	if code, _ := r.call("ada", "PUT", "/api/v1/invoices/"+again.ID, api.InvoiceRequest{Notes: "x"}, nil); code != 409 {
		t.Errorf("editing a sent invoice: %d", code)
	}
}
