package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// InvoicePaging checks the invoice list queries: InvoicePage in date
// order with keyset paging (no gaps, no repeats, also while invoices are
// created meanwhile), each filter alone and combined with paging, the
// index following status changes, edits and deletions, CountInvoices,
// and InvoiceTotals (outstanding and overdue per currency, in scope).
func InvoicePaging(t *testing.T, f Factory) {
	db := f.fresh(t)
	clients := []string{"p1", "p2", "p3"}
	for _, c := range clients {
		if err := db.CreateClient(store.Client{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	day := func(d int) time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	// 60 invoices: client i%3, status by i%4, dates going back and forth
	// so that date order differs from number order, batches by tens.
	var all []*store.Invoice
	for i := range 60 {
		inv := &store.Invoice{ID: fmt.Sprintf("pg%02d", i), ClientID: clients[i%3], Date: day((i * 7) % 40), DueDate: day((i*7)%40 + 30),
			Status: store.InvoiceStatuses[i%4], Batch: fmt.Sprintf("Batch %d", i/10), Currency: []string{"EUR", "USD"}[i%2],
			Lines: []store.InvoiceLine{{Kind: store.LineManual, Description: "x", QuantityMilli: 1000, UnitCents: int64(100 + i)}}}
		inv.Totals()
		all = append(all, inv)
	}
	errs, err := db.CreateInvoices(all, "PG-", 4)
	if err != nil || slices.ContainsFunc(errs, func(e error) bool { return e != nil }) {
		t.Fatalf("create: %v %v", errs, err)
	}
	// want lists, in list order, the IDs of the invoices keep selects.
	want := func(keep func(*store.Invoice) bool) []string {
		var sel []*store.Invoice
		for _, inv := range all {
			if keep(inv) {
				sel = append(sel, inv)
			}
		}
		slices.SortFunc(sel, func(a, b *store.Invoice) int {
			if c := b.Date.Compare(a.Date); c != 0 {
				return c
			}
			return int(b.Seq - a.Seq)
		})
		var ids []string
		for _, inv := range sel {
			ids = append(ids, inv.ID)
		}
		return ids
	}
	paged := func(q store.InvoiceQuery, limit int) []string {
		t.Helper()
		var ids []string
		q.Limit = limit
		for range 200 {
			p, err := db.InvoicePage(q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			if len(p.Invoices) > limit {
				t.Fatalf("page of %d, limit %d", len(p.Invoices), limit)
			}
			for _, inv := range p.Invoices {
				ids = append(ids, inv.ID)
			}
			if p.Next == "" {
				return ids
			}
			q.Cursor = p.Next
		}
		t.Fatal("paging does not end")
		return nil
	}
	scope := store.Scope{Only: true, Clients: []string{"p1", "p3", "p1"}}
	for _, c := range []struct {
		name string
		q    store.InvoiceQuery
		keep func(*store.Invoice) bool
	}{
		{"all", store.InvoiceQuery{}, func(*store.Invoice) bool { return true }},
		{"client", store.InvoiceQuery{ClientID: "p2"}, func(i *store.Invoice) bool { return i.ClientID == "p2" }},
		{"client out of scope", store.InvoiceQuery{ClientID: "p2", Scope: scope}, func(*store.Invoice) bool { return false }},
		{"scope", store.InvoiceQuery{Scope: scope}, func(i *store.Invoice) bool { return i.ClientID != "p2" }},
		{"statuses", store.InvoiceQuery{Statuses: []string{store.InvoiceSent, store.InvoicePaid}},
			func(i *store.Invoice) bool { return i.Status == store.InvoiceSent || i.Status == store.InvoicePaid }},
		{"client and status", store.InvoiceQuery{ClientID: "p1", Statuses: []string{store.InvoiceDraft}},
			func(i *store.Invoice) bool { return i.ClientID == "p1" && i.Status == store.InvoiceDraft }},
		{"scope and status", store.InvoiceQuery{Scope: scope, Statuses: []string{store.InvoiceVoid}},
			func(i *store.Invoice) bool { return i.ClientID != "p2" && i.Status == store.InvoiceVoid }},
		{"dates", store.InvoiceQuery{From: day(10), To: day(25)},
			func(i *store.Invoice) bool { return !i.Date.Before(day(10)) && i.Date.Before(day(25)) }},
		{"dates and status", store.InvoiceQuery{From: day(5), To: day(30), Statuses: []string{store.InvoiceSent}},
			func(i *store.Invoice) bool {
				return !i.Date.Before(day(5)) && i.Date.Before(day(30)) && i.Status == store.InvoiceSent
			}},
		{"text", store.InvoiceQuery{Text: "batch 3"}, func(i *store.Invoice) bool { return i.Batch == "Batch 3" }},
		{"text number", store.InvoiceQuery{Text: "pg-004"}, func(i *store.Invoice) bool { return strings.HasPrefix(i.Number, "PG-004") }},
		{"batch", store.InvoiceQuery{Batch: "Batch 2", ClientID: "p3"}, func(i *store.Invoice) bool { return i.Batch == "Batch 2" && i.ClientID == "p3" }},
		{"number", store.InvoiceQuery{Number: all[17].Number}, func(i *store.Invoice) bool { return i.ID == "pg17" }},
		{"number out of range", store.InvoiceQuery{Number: all[17].Number, To: day(0)}, func(*store.Invoice) bool { return false }},
	} {
		w := want(c.keep)
		for _, limit := range []int{1, 7, 100} {
			if got := paged(c.q, limit); !slices.Equal(got, w) {
				t.Errorf("%s, pages of %d:\n got %v\nwant %v", c.name, limit, got, w)
			}
		}
		if n, err := db.CountInvoices(store.InvoiceQuery{Cursor: "zz", Limit: 1, ClientID: c.q.ClientID, Scope: c.q.Scope,
			Statuses: c.q.Statuses, From: c.q.From, To: c.q.To, Text: c.q.Text, Batch: c.q.Batch, Number: c.q.Number}); err != nil || n != len(w) {
			t.Errorf("%s: count %d %v, want %d", c.name, n, err, len(w))
		}
		if got, err := db.Invoices(c.q); err != nil || len(got) != len(w) {
			t.Errorf("%s: Invoices gave %d %v, want %d", c.name, len(got), err, len(w))
		}
	}
	if _, err := db.InvoicePage(store.InvoiceQuery{Cursor: "not hex"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bad cursor: %v", err)
	}

	// The index follows a status change, an edit of the date and a delete.
	first := *all[0]
	first.Status, first.Date = store.InvoicePaid, day(100)
	if err := db.UpdateInvoice(first); err != nil {
		t.Fatal(err)
	}
	*all[0] = first
	if err := db.DeleteInvoice("pg05"); err != nil {
		t.Fatal(err)
	}
	all = slices.DeleteFunc(all, func(i *store.Invoice) bool { return i.ID == "pg05" })
	for _, st := range store.InvoiceStatuses {
		w := want(func(i *store.Invoice) bool { return i.Status == st })
		if got := paged(store.InvoiceQuery{Statuses: []string{st}}, 5); !slices.Equal(got, w) {
			t.Errorf("after changes, status %s: %v, want %v", st, got, w)
		}
	}
	if got := paged(store.InvoiceQuery{}, 3); len(got) != 59 || got[0] != "pg00" || slices.Contains(got, "pg05") {
		t.Errorf("after changes: %v", got)
	}

	// Totals: the sent invoices, overdue when due before now.
	now := day(45)
	totals := func(q store.InvoiceQuery) map[string]store.InvoiceTotal {
		var sent []*store.Invoice
		for _, inv := range all {
			if inv.Status == store.InvoiceSent && (q.ClientID == "" || inv.ClientID == q.ClientID) && q.Scope.Has(inv.ClientID) {
				sent = append(sent, inv)
			}
		}
		m := map[string]store.InvoiceTotal{}
		for _, inv := range sent {
			x := m[inv.Currency]
			x.Currency = inv.Currency
			x.Outstanding++
			x.OutstandingCents += inv.TotalCents
			if inv.DueDate.Before(now) {
				x.Overdue++
				x.OverdueCents += inv.TotalCents
			}
			m[inv.Currency] = x
		}
		return m
	}
	for _, q := range []store.InvoiceQuery{{}, {ClientID: "p1"}, {Scope: scope}, {Scope: store.Scope{Only: true}}} {
		got, err := db.InvoiceTotals(q, now)
		if err != nil {
			t.Fatal(err)
		}
		w := totals(q)
		if len(got) != len(w) || !slices.IsSortedFunc(got, func(a, b store.InvoiceTotal) int { return strings.Compare(a.Currency, b.Currency) }) {
			t.Errorf("totals %+v: %+v, want %+v", q, got, w)
		}
		overdue, outstanding := 0, 0
		for _, g := range got {
			if g != w[g.Currency] {
				t.Errorf("totals %+v: %+v, want %+v", q, g, w[g.Currency])
			}
			overdue, outstanding = overdue+g.Overdue, outstanding+g.Outstanding
		}
		if q.ClientID == "" && !q.Scope.Only && (overdue == 0 || overdue == outstanding) {
			t.Errorf("the data should have some overdue invoices, not all: %d of %d", overdue, outstanding)
		}
	}

	t.Run("ConcurrentInserts", func(t *testing.T) { invoicePagingRace(t, db, day) })
}

// invoicePagingRace pages through the list while other goroutines create
// invoices of every date: every invoice that existed when paging began is
// seen exactly once, and no invoice is seen twice.
func invoicePagingRace(t *testing.T, db store.Store, day func(int) time.Time) {
	before, err := db.Invoices(store.InvoiceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop, first := make(chan struct{}), make(chan struct{})
	for g := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				if g == 0 && i == 1 {
					close(first)
				}
				select {
				case <-stop:
					return
				default:
				}
				inv := &store.Invoice{ID: fmt.Sprintf("race-%d-%d", g, i), ClientID: "p2", Date: day((i * 13) % 50),
					Status: store.InvoiceDraft, Currency: "EUR"}
				if _, err := db.CreateInvoices([]*store.Invoice{inv}, "RC-", 6); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	seen := map[string]int{}
	q := store.InvoiceQuery{Limit: 4}
	for {
		p, err := db.InvoicePage(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range p.Invoices {
			seen[inv.ID]++
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	<-first
	close(stop)
	wg.Wait()
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", id, n)
		}
	}
	for _, inv := range before {
		if seen[inv.ID] != 1 {
			t.Errorf("%s existed before paging began but was seen %d times", inv.ID, seen[inv.ID])
		}
	}
	if after, _ := db.CountInvoices(store.InvoiceQuery{}); after <= len(before) {
		t.Errorf("no invoice was created while paging (%d before, %d after): the race did not run", len(before), after)
	}
}

// AuditByClient checks the audit log's client queries: a client's events
// (an event may concern several clients), oldest or newest first, keyset
// paging by After and Before without gaps or repeats (also while events
// are appended meanwhile), and the other filters on top.
func AuditByClient(t *testing.T, f Factory) {
	db := f.fresh(t)
	clientsOf := func(i int) string {
		switch i % 5 {
		case 0:
			return "k1"
		case 1:
			return "k2,k1"
		case 2:
			return "k10"
		case 3:
			return ""
		}
		return "k2"
	}
	for i := 1; i <= 100; i++ {
		e := store.AuditEvent{At: time.Now(), Actor: []string{"ann", "ben"}[i%2], Action: fmt.Sprintf("thing.%d", i%3), Client: clientsOf(i)}
		if _, err := db.AppendAudit(e); err != nil {
			t.Fatal(err)
		}
	}
	want := func(client, actor string, newest bool) []uint64 {
		var out []uint64
		for i := 1; i <= 100; i++ {
			if slices.Contains(strings.Split(clientsOf(i), ","), client) && (actor == "" || []string{"ann", "ben"}[i%2] == actor) {
				out = append(out, uint64(i))
			}
		}
		if newest {
			slices.Reverse(out)
		}
		return out
	}
	page := func(q store.AuditQuery, limit int) []uint64 {
		t.Helper()
		var out []uint64
		q.Limit = limit
		for range 200 {
			evs, err := db.Audit(q)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) > limit {
				t.Fatalf("%d events, limit %d", len(evs), limit)
			}
			for _, e := range evs {
				if !slices.Contains(strings.Split(e.Client, ","), q.Client) || e.Seq == 0 || e.Hash == "" {
					t.Fatalf("event %+v does not concern %s", e, q.Client)
				}
				out = append(out, e.Seq)
			}
			if len(evs) < limit {
				return out
			}
			if q.Newest {
				q.Before = evs[len(evs)-1].Seq
			} else {
				q.After = evs[len(evs)-1].Seq
			}
		}
		t.Fatal("paging does not end")
		return nil
	}
	for _, c := range []struct{ client, actor string }{{"k1", ""}, {"k2", ""}, {"k10", ""}, {"k1", "ben"}, {"nobody", ""}} {
		for _, newest := range []bool{false, true} {
			w := want(c.client, c.actor, newest)
			for _, limit := range []int{1, 6, 500} {
				if got := page(store.AuditQuery{Client: c.client, Actor: c.actor, Newest: newest}, limit); !slices.Equal(got, w) {
					t.Errorf("client %s actor %q newest %v, pages of %d:\n got %v\nwant %v", c.client, c.actor, newest, limit, got, w)
				}
			}
		}
	}
	// A range: After and Before together, either order.
	for _, newest := range []bool{false, true} {
		evs, err := db.Audit(store.AuditQuery{Client: "k1", After: 20, Before: 42, Newest: newest})
		var got []uint64
		for _, e := range evs {
			got = append(got, e.Seq)
		}
		w := []uint64{21, 25, 26, 30, 31, 35, 36, 40, 41}
		if newest {
			slices.Reverse(w)
		}
		if err != nil || !slices.Equal(got, w) {
			t.Errorf("range newest %v: %v %v, want %v", newest, got, err, w)
		}
	}
	// Without a client, newest first over the whole log, with Action.
	evs, err := db.Audit(store.AuditQuery{Newest: true, Before: 10, Action: "thing.0", Limit: 2})
	if err != nil || len(evs) != 2 || evs[0].Seq != 9 || evs[1].Seq != 6 {
		t.Errorf("newest first without client: %+v %v", evs, err)
	}

	// Newest-first paging while events are appended: each event that
	// existed when paging began is seen once; none twice.
	var wg sync.WaitGroup
	stop, first := make(chan struct{}), make(chan struct{})
	wg.Go(func() {
		for n := 0; ; n++ {
			if n == 1 {
				close(first)
			}
			select {
			case <-stop:
				return
			default:
			}
			if _, err := db.AppendAudit(store.AuditEvent{At: time.Now(), Actor: "ann", Action: "late", Client: "k1"}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	w := want("k1", "", true)
	got := page(store.AuditQuery{Client: "k1", Newest: true}, 3)
	<-first // at least one event was appended (so the check below means something)
	close(stop)
	wg.Wait()
	seen := map[uint64]bool{}
	for i, s := range got {
		if seen[s] || (i > 0 && s >= got[i-1]) {
			t.Errorf("event %d twice or out of order in %v", s, got)
		}
		seen[s] = true
	}
	for _, s := range w {
		if !seen[s] {
			t.Errorf("event %d existed before paging began but was not seen", s)
		}
	}
	seen = map[uint64]bool{}
	for _, s := range page(store.AuditQuery{Client: "k1"}, 7) {
		if seen[s] {
			t.Errorf("event %d twice", s)
		}
		seen[s] = true
	}
	if len(seen) <= len(w) {
		t.Errorf("no event appended while paging (%d)", len(seen))
	}
}
