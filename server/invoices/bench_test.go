package invoices

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/store"
)

// TestInvoiceBench measures a batch of invoices for STEWARD_INVOICE_BENCH
// clients (make bench runs it with 2,000) on the real bbolt store through
// the wing's HTTP routes: each client has 6 billable time entries and one
// contract fee in the period. It prints a table; it asserts only what the
// batch made, never a time (machines are noisy). Skipped unless the
// variable is set.
func TestInvoiceBench(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("STEWARD_INVOICE_BENCH"))
	if n <= 0 {
		t.Skip("set STEWARD_INVOICE_BENCH=<clients> to measure")
	}
	r := newRig(t, true)
	setup := time.Now()
	for i := range n {
		id := fmt.Sprintf("cb%05d", i)
		if err := r.db.CreateClient(store.Client{ID: id, Name: "Client " + id}); err != nil {
			t.Fatal(err)
		}
		r.entries(id, id, "ct-"+id, 6)
		r.work.fees[id] = []ContractCharge{{ContractID: "ct-" + id, ContractName: "Care", Description: "March 2027", AmountCents: 25000}}
	}
	rows := [][2]string{{fmt.Sprintf("setup: %d clients", n), time.Since(setup).Round(time.Millisecond).String()}}
	start := time.Now()
	var res api.InvoiceBatchResult
	code, body := r.call("ada", "POST", "/api/v1/invoices/batch", api.InvoiceBatchRequest{Batch: "March 2027",
		PeriodFrom: "2027-03-01", PeriodTo: "2027-04-01", Date: "2027-04-01"}, &res)
	batch := time.Since(start)
	if code != 200 || res.Created != n {
		t.Fatalf("batch: %d %.300s", code, body)
	}
	rows = append(rows, [2]string{fmt.Sprintf("batch of %d invoices (7 lines each), one request", n), batch.Round(time.Millisecond).String()},
		[2]string{"per invoice", (batch / time.Duration(n)).Round(time.Microsecond).String()})
	var again api.InvoiceBatchResult
	start = time.Now()
	r.call("ada", "POST", "/api/v1/invoices/batch", api.InvoiceBatchRequest{Batch: "again", PeriodFrom: "2027-03-01", PeriodTo: "2027-04-01"}, &again)
	if again.Skipped != n+2 || again.Created != 0 {
		t.Fatalf("second batch billed again: %+v", again.Created)
	}
	rows = append(rows, [2]string{"same period again (every client skipped)", time.Since(start).Round(time.Millisecond).String()})
	timed := func(name, path string, times int) {
		var ds []time.Duration
		for range times {
			s := time.Now()
			if code, _ := r.call("ada", "GET", path, nil, nil); code != 200 {
				t.Fatalf("%s: %d", path, code)
			}
			ds = append(ds, time.Since(s))
		}
		slices.Sort(ds)
		rows = append(rows, [2]string{name, fmt.Sprintf("median %s, p95 %s", ds[len(ds)/2].Round(time.Microsecond),
			ds[len(ds)*95/100].Round(time.Microsecond))})
	}
	// Every tenth invoice sent, so the outstanding totals have work to do.
	start = time.Now()
	all, err := r.db.Invoices(store.InvoiceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := g * 10; i < len(all); i += 80 {
				inv := all[i]
				inv.Status = store.InvoiceSent
				if err := r.db.UpdateInvoice(inv); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	rows = append(rows, [2]string{fmt.Sprintf("setup: %d invoices marked sent", (len(all)+9)/10), time.Since(start).Round(time.Millisecond).String()})
	var first api.InvoiceList
	if code, _ := r.call("ada", "GET", "/api/v1/invoices?limit=50", nil, &first); code != 200 || first.Total != len(all) ||
		len(first.Totals) != 1 || first.Totals[0].Outstanding != (len(all)+9)/10 || first.Next == "" {
		t.Fatalf("first page: %d %+v", code, first.Totals)
	}
	timed("list page of 50, status=draft (20 runs)", "/api/v1/invoices?status=draft&limit=50", 20)
	timed("list first page of 50, with count and totals (20 runs)", "/api/v1/invoices?limit=50", 20)
	timed("list next page of 50 by cursor (20 runs)", "/api/v1/invoices?limit=50&cursor="+first.Next, 20)
	timed("one client's list (20 runs)", "/api/v1/clients/cb00007/invoices?limit=50", 20)
	timed("search text \"INV-0001\" (20 runs)", "/api/v1/invoices?q=INV-0001&limit=50", 20)
	timed("search by number (20 runs)", "/api/v1/invoices?number=INV-000777", 20)
	timed(fmt.Sprintf("CSV export of %d (5 runs)", n), "/api/v1/invoices?format=csv", 5)
	timed("PDF of one invoice (20 runs)", "/api/v1/invoices/INV-000001/pdf", 20)
	fmt.Printf("\nInvoices (%d clients, real bbolt store, through the wing's routes)\n", n)
	for _, row := range rows {
		fmt.Printf("  %-55s %s\n", row[0], row[1])
	}
}
