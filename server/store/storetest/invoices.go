package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Invoices checks every method of the invoice store: numbers from a
// counter that never goes back (not after a failed, voided or deleted
// invoice), the billed-entry index kept with each invoice (a second bill
// of an entry is refused; voiding or deleting releases it), queries,
// settings, and concurrent creations that never bill an entry twice.
func Invoices(t *testing.T, f Factory) {
	db := f.fresh(t)
	for _, c := range []string{"c1", "c2"} {
		if err := db.CreateClient(store.Client{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	day := func(d int) time.Time { return time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	te := func(id string) store.InvoiceLine {
		return store.InvoiceLine{Kind: store.LineTimeEntry, Description: "work", SourceID: id, QuantityMilli: 1500, UnitCents: 10000}
	}
	mk := func(id, client string, d int, batch string, lines ...store.InvoiceLine) *store.Invoice {
		inv := &store.Invoice{ID: id, ClientID: client, Date: day(d), DueDate: day(d + 30), Status: store.InvoiceDraft,
			Batch: batch, Currency: "EUR", Lines: lines}
		inv.Totals()
		return inv
	}
	a, b := mk("i1", "c1", 0, "march", te("e1"), te("e2")), mk("i2", "c2", 1, "march", te("e3"))
	bad, dup := mk("i3", "nope", 2, ""), mk("i4", "c1", 2, "", te("e2"))
	errs, err := db.CreateInvoices([]*store.Invoice{a, bad, dup, b}, "INV-", 6)
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[3] != nil || !errors.Is(errs[1], store.ErrNotFound) || !errors.Is(errs[2], store.ErrConflict) {
		t.Fatalf("errs = %v", errs)
	}
	if a.Number != "INV-000001" || b.Number != "INV-000002" || bad.Number != "" || dup.Number != "" || a.Seq != 1 {
		t.Fatalf("numbers %q %q %q %q: failed invoices use no number", a.Number, b.Number, bad.Number, dup.Number)
	}
	if !strings.Contains(errs[2].Error(), "e2") {
		t.Errorf("the conflict does not name the entry: %v", errs[2])
	}
	if got, err := db.Invoice("i1"); err != nil || got.Number != "INV-000001" || len(got.Lines) != 2 || got.Lines[0].SourceID != "e1" ||
		got.TotalCents != 30000 || !got.Date.Equal(day(0)) {
		t.Fatalf("invoice = %+v %v", got, err)
	}
	if _, err := db.Invoice("i3"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("failed invoice stored: %v", err)
	}
	if got, err := db.InvoiceByNumber("INV-000002"); err != nil || got.ID != "i2" {
		t.Fatalf("by number: %+v %v", got, err)
	}
	if _, err := db.InvoiceByNumber("INV-000009"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown number: %v", err)
	}
	if m, err := db.BilledEntries([]string{"e1", "e3", "e9"}); err != nil || len(m) != 2 || m["e1"] != "i1" || m["e3"] != "i2" {
		t.Fatalf("billed = %v %v", m, err)
	}

	// Void releases the entries; a void invoice keeps its number.
	v := *a
	v.Status = store.InvoiceVoid
	if err := db.UpdateInvoice(v); err != nil {
		t.Fatal(err)
	}
	if m, _ := db.BilledEntries([]string{"e1", "e2"}); len(m) != 0 {
		t.Errorf("void invoice still bills %v", m)
	}
	c := mk("i5", "c1", 3, "", te("e1"))
	if errs, err := db.CreateInvoices([]*store.Invoice{c}, "INV-", 6); err != nil || errs[0] != nil || c.Number != "INV-000003" {
		t.Fatalf("re-billing a released entry: %v %v %q", errs, err, c.Number)
	}
	moved := *c
	moved.ClientID = "c2"
	if err := db.UpdateInvoice(moved); !errors.Is(err, store.ErrConflict) {
		t.Errorf("invoice moved to another client: %v", err)
	}
	// A draft changed to bill an entry billed elsewhere is refused whole.
	grab := *b
	grab.Lines = append(grab.Lines, te("e1"))
	if err := db.UpdateInvoice(grab); !errors.Is(err, store.ErrConflict) {
		t.Errorf("update billing another invoice's entry: %v", err)
	}
	if m, _ := db.BilledEntries([]string{"e1", "e3"}); m["e1"] != "i5" || m["e3"] != "i2" {
		t.Errorf("after a refused update: %v", m)
	}
	if err := db.UpdateInvoice(store.Invoice{ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of an unknown invoice: %v", err)
	}
	// Deleting releases, and the number is not given again.
	if err := db.DeleteInvoice("i5"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteInvoice("i5"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	d := mk("i6", "c1", 4, "april", te("e1"))
	if errs, err := db.CreateInvoices([]*store.Invoice{d}, "X/", 2); err != nil || errs[0] != nil || d.Number != "X/04" {
		t.Fatalf("after a delete, next number %q (%v %v), want X/04", d.Number, errs, err)
	}

	ids := func(q store.InvoiceQuery) string {
		got, err := db.Invoices(q)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, inv := range got {
			s = append(s, inv.ID)
		}
		return strings.Join(s, ",")
	}
	for _, c := range []struct {
		q    store.InvoiceQuery
		want string
	}{
		{store.InvoiceQuery{}, "i6,i2,i1"},
		{store.InvoiceQuery{ClientID: "c1"}, "i6,i1"},
		{store.InvoiceQuery{Scope: store.Scope{Only: true, Clients: []string{"c2"}}}, "i2"},
		{store.InvoiceQuery{Scope: store.Scope{Only: true}}, ""},
		{store.InvoiceQuery{Statuses: []string{store.InvoiceVoid}}, "i1"},
		{store.InvoiceQuery{Batch: "march"}, "i2,i1"},
		{store.InvoiceQuery{Number: "X/04"}, "i6"},
		{store.InvoiceQuery{Text: "inv-0000"}, "i2,i1"},
		{store.InvoiceQuery{Text: "APR"}, "i6"},
		{store.InvoiceQuery{From: day(1), To: day(4)}, "i2"},
		{store.InvoiceQuery{Limit: 1}, "i6"},
	} {
		if got := ids(c.q); got != c.want {
			t.Errorf("%+v: %q, want %q", c.q, got, c.want)
		}
	}

	st, err := db.InvoiceSettings()
	if err != nil || st != store.DefaultInvoiceSettings() {
		t.Fatalf("default settings %+v %v", st, err)
	}
	st.IssuerName, st.TaxBP, st.NumberPrefix, st.UpdatedAt = "Acme MSP", 2000, "A-", day(0)
	if err := db.SetInvoiceSettings(st); err != nil {
		t.Fatal(err)
	}
	if got, err := db.InvoiceSettings(); err != nil || got != st {
		t.Fatalf("settings %+v %v, want %+v", got, err, st)
	}

	t.Run("NeverTwice", func(t *testing.T) { invoiceRace(t, db) })
}

// invoiceRace creates invoices for the same entries from many goroutines
// at once: each entry ends on exactly one invoice and every number is
// used once.
func invoiceRace(t *testing.T, db store.Store) {
	const n, entries = 8, 20
	var wg sync.WaitGroup
	numbers := make(chan string, n*entries)
	for g := range n {
		wg.Go(func() {
			for e := range entries {
				inv := &store.Invoice{ID: fmt.Sprintf("race-%d-%d", g, e), ClientID: "c2", Status: store.InvoiceDraft,
					Lines: []store.InvoiceLine{{Kind: store.LineTimeEntry, SourceID: fmt.Sprintf("race-e%d", e), QuantityMilli: 1000}}}
				errs, err := db.CreateInvoices([]*store.Invoice{inv}, "R-", 4)
				if err != nil {
					t.Error(err)
					return
				}
				if errs[0] == nil {
					numbers <- inv.Number
				} else if !errors.Is(errs[0], store.ErrConflict) {
					t.Error(errs[0])
				}
			}
		})
	}
	wg.Wait()
	close(numbers)
	seen := map[string]bool{}
	for num := range numbers {
		if seen[num] {
			t.Errorf("number %s given twice", num)
		}
		seen[num] = true
	}
	if len(seen) != entries {
		t.Errorf("%d invoices made for %d entries", len(seen), entries)
	}
	got, err := db.Invoices(store.InvoiceQuery{Text: "R-"})
	if err != nil {
		t.Fatal(err)
	}
	billed := map[string]int{}
	for _, inv := range got {
		for _, e := range inv.BilledEntries() {
			billed[e]++
		}
	}
	for e := range entries {
		if id := fmt.Sprintf("race-e%d", e); billed[id] != 1 {
			t.Errorf("entry %s billed %d times", id, billed[id])
		}
	}
}
