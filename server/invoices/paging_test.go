package invoices

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/store"
)

// TestListPaging: the list is served a page at a time with a cursor; the
// pages together are every match once, newest date first; the first page
// has the count and the outstanding/overdue totals, later pages not; the
// limit has a maximum; an offset or a forged cursor is a clear 400; a
// scoped user's and the portal's pages hold only their client's invoices.
func TestListPaging(t *testing.T) {
	r := newRig(t, false)
	var invs []*store.Invoice
	for i := range 45 {
		st := []string{store.InvoiceDraft, store.InvoiceSent, store.InvoicePaid}[i%3]
		d := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i*11)%60)
		inv := &store.Invoice{ID: fmt.Sprintf("lp%02d", i), ClientID: []string{"c_a", "c_b"}[i%2], Date: d, DueDate: d.AddDate(0, 0, 60),
			Status: st, Currency: "EUR", Lines: []store.InvoiceLine{{Kind: store.LineManual, Description: "x", QuantityMilli: 1000, UnitCents: 1000}}}
		inv.Totals()
		invs = append(invs, inv)
	}
	if _, err := r.db.CreateInvoices(invs, "LP-", 3); err != nil {
		t.Fatal(err)
	}
	walk := func(user, path string, limit int) (ids []string, first api.InvoiceList) {
		t.Helper()
		cursor := ""
		for n := 0; ; n++ {
			var l api.InvoiceList
			sep := "?"
			if slices.Contains([]byte(path), '?') {
				sep = "&"
			}
			p := fmt.Sprintf("%s%slimit=%d&cursor=%s", path, sep, limit, url.QueryEscape(cursor))
			if code, body := r.call(user, "GET", p, nil, &l); code != 200 {
				t.Fatalf("%s: %d %s", p, code, body)
			}
			if n == 0 {
				first = l
			} else if l.Total != 0 || l.Totals != nil {
				t.Errorf("page %d repeats the count and totals: %+v", n, l)
			}
			if len(l.Invoices) > limit {
				t.Fatalf("%d on a page of %d", len(l.Invoices), limit)
			}
			for _, inv := range l.Invoices {
				ids = append(ids, inv.ID)
			}
			if l.Next == "" {
				return ids, first
			}
			cursor = l.Next
		}
	}
	want := func(keep func(*store.Invoice) bool) []string {
		var sel []*store.Invoice
		for _, inv := range invs {
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
		var out []string
		for _, inv := range sel {
			out = append(out, inv.ID)
		}
		return out
	}
	// r.now is 2027-04-02: sent invoices due before then are overdue.
	totals := func(client string) api.InvoiceTotal {
		tt := api.InvoiceTotal{Currency: "EUR"}
		for _, inv := range invs {
			if inv.Status == store.InvoiceSent && (client == "" || inv.ClientID == client) {
				tt.Outstanding++
				tt.OutstandingCents += inv.TotalCents
				if inv.DueDate.Before(time.Date(2027, 4, 2, 0, 0, 0, 0, time.UTC)) {
					tt.Overdue++
					tt.OverdueCents += inv.TotalCents
				}
			}
		}
		return tt
	}
	all := want(func(*store.Invoice) bool { return true })
	got, first := walk("ada", "/api/v1/invoices", 7)
	if !slices.Equal(got, all) || first.Total != 45 || len(first.Totals) != 1 || first.Totals[0] != totals("") {
		t.Errorf("all: %v (total %d, totals %+v)\nwant %v (totals %+v)", got, first.Total, first.Totals, all, totals(""))
	}
	if tt := totals(""); tt.Overdue == 0 || tt.Overdue == tt.Outstanding {
		t.Fatalf("the data should have some overdue invoices, not all: %+v", tt)
	}
	sentA := want(func(i *store.Invoice) bool { return i.ClientID == "c_a" && i.Status == store.InvoiceSent })
	if got, first := walk("ada", "/api/v1/clients/c_a/invoices?status=sent", 2); !slices.Equal(got, sentA) || first.Total != len(sentA) ||
		first.Totals[0] != totals("c_a") {
		t.Errorf("c_a sent: %v %+v, want %v", got, first, sentA)
	}
	onlyA := want(func(i *store.Invoice) bool { return i.ClientID == "c_a" })
	if got, _ := walk("ann", "/api/v1/invoices", 5); !slices.Equal(got, onlyA) {
		t.Errorf("scoped user: %v, want %v", got, onlyA)
	}
	ranged := want(func(i *store.Invoice) bool { return i.Date.Month() == time.February })
	if got, first := walk("ada", "/api/v1/invoices?from=2027-02-01&to=2027-03-01", 3); !slices.Equal(got, ranged) || first.Total != len(ranged) {
		t.Errorf("February: %v, want %v", got, ranged)
	}
	// The portal: its client's sent and paid (never a draft), paged.
	portal := want(func(i *store.Invoice) bool { return i.ClientID == "c_a" && i.Status != store.InvoiceDraft })
	if got, first := walk("cust", "/api/v1/portal/invoices", 4); !slices.Equal(got, portal) || first.Total != len(portal) || first.Totals[0] != totals("c_a") {
		t.Errorf("portal: %v %+v, want %v", got, first, portal)
	}
	for _, c := range []struct{ user, path string }{{"ada", "/api/v1/invoices?limit=0"}, {"ada", "/api/v1/invoices?limit=501"},
		{"ada", "/api/v1/invoices?offset=10"}, {"ada", "/api/v1/invoices?cursor=zz"}, {"cust", "/api/v1/portal/invoices?limit=9999"},
		{"cust", "/api/v1/portal/invoices?cursor=%3Cscript%3E"}} {
		if code, body := r.call(c.user, "GET", c.path, nil, nil); code != 400 {
			t.Errorf("%s: %d %s, want 400", c.path, code, body)
		}
	}
	// A cursor of one list does not leak another client's invoices into
	// a scoped user's list.
	var l api.InvoiceList
	r.call("ada", "GET", "/api/v1/invoices?limit=1", nil, &l)
	var scoped api.InvoiceList
	if code, _ := r.call("ann", "GET", "/api/v1/invoices?limit=50&cursor="+l.Next, nil, &scoped); code != 200 ||
		slices.ContainsFunc(scoped.Invoices, func(i api.Invoice) bool { return i.ClientID != "c_a" }) {
		t.Errorf("scoped page from another's cursor: %d %+v", code, scoped)
	}
}
