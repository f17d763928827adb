package boltstore

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// The invoice list index, in bInvoiceIndex, so that a page of invoices
// among tens of thousands reads a page worth of keys, and the counts and
// totals a list shows read small index values rather than decode every
// invoice:
//
//	"a" key                 every invoice
//	"c" client NUL key      a client's invoices
//	"s" status NUL key      the invoices of one status
//
// where key is the 8-byte invoice date (seconds, sign bit flipped so that
// bytes sort as dates), the 8-byte number sequence, then the invoice ID:
// newest date first, then newest number. The value of each entry is an
// invoiceSummary, so the filters of a query run on the index alone.
var bInvoiceIndex = []byte("invoice_index")

// invoiceSummary is what a query filters and totals on, kept in each index
// entry; its fields point into the entry (read in the transaction).
type invoiceSummary struct {
	client, status, number, batch, currency, text []byte
	total, due                                    int64
}

const invSep = "\x1f"

// summaryBatch is a batch name as the summary keeps it (without the
// separator), for the exact match of InvoiceQuery.Batch.
func summaryBatch(b string) string { return strings.ReplaceAll(b, invSep, " ") }

func invoiceSummaryOf(inv *store.Invoice) []byte {
	// text is what a search looks in, lower-cased once here rather than
	// at every search; a separator keeps a match from spanning both.
	text := strings.ToLower(inv.Number + "\x1e" + summaryBatch(inv.Batch))
	return []byte(strings.Join([]string{inv.ClientID, inv.Status, inv.Number, summaryBatch(inv.Batch), inv.Currency,
		strconv.FormatInt(inv.TotalCents, 10), strconv.FormatInt(inv.DueDate.Unix(), 10), text}, invSep))
}

func parseInvoiceSummary(v []byte) (s invoiceSummary, ok bool) {
	var total, due []byte
	fields := []*[]byte{&s.client, &s.status, &s.number, &s.batch, &s.currency, &total, &due}
	for _, f := range fields {
		if *f, v, ok = bytes.Cut(v, []byte(invSep)); !ok {
			return s, false
		}
	}
	s.text = v
	var err1, err2 error
	s.total, err1 = strconv.ParseInt(string(total), 10, 64)
	s.due, err2 = strconv.ParseInt(string(due), 10, 64)
	return s, err1 == nil && err2 == nil
}

// dateKey is the 8 bytes of a date that sort as the dates do.
func dateKey(t time.Time) []byte { return u64(uint64(t.Unix()) ^ 1<<63) }

// invoiceSortKey is an invoice's place in the list order.
func invoiceSortKey(inv *store.Invoice) []byte {
	k := append(dateKey(inv.Date), u64(uint64(inv.Seq))...)
	return append(k, inv.ID...)
}

// indexInvoice adds (or removes) an invoice's index entries.
func indexInvoice(tx *bolt.Tx, inv *store.Invoice, add bool) error {
	b := tx.Bucket(bInvoiceIndex)
	key, sum := invoiceSortKey(inv), invoiceSummaryOf(inv)
	for _, prefix := range []string{"a", "c" + inv.ClientID + "\x00", "s" + inv.Status + "\x00"} {
		k := append([]byte(prefix), key...)
		var err error
		if add {
			err = b.Put(k, sum)
		} else {
			err = b.Delete(k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// reindexInvoices builds the index from the stored invoices (the
// migration that brought it).
func reindexInvoices(tx *bolt.Tx) error {
	return tx.Bucket(bInvoices).ForEach(func(k, v []byte) error {
		var d diskInvoice
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("store: decode invoice %s: %w", k, err)
		}
		inv := d.record()
		return indexInvoice(tx, &inv, true)
	})
}

// scanInvoices calls fn with the sort key and summary of every invoice q
// selects, in list order after q.Cursor, until fn returns false.
func scanInvoices(tx *bolt.Tx, q *store.InvoiceQuery, fn func(key []byte, s *invoiceSummary) bool) error {
	var cursor []byte
	if q.Cursor != "" {
		c, err := hex.DecodeString(q.Cursor)
		if err != nil || len(c) < 16 {
			return fmt.Errorf("invoice cursor %q: %w", q.Cursor, store.ErrNotFound)
		}
		cursor = c
	}
	if !q.To.IsZero() {
		if to := dateKey(q.To); cursor == nil || bytes.Compare(to, cursor) < 0 {
			cursor = to
		}
	}
	var lo []byte
	if !q.From.IsZero() {
		lo = dateKey(q.From)
	}
	var statuses map[string]bool
	if q.Statuses != nil {
		statuses = map[string]bool{}
		for _, s := range q.Statuses {
			statuses[s] = true
		}
	}
	var prefixes []string
	var inScope map[string]bool
	switch {
	case q.ClientID != "":
		if !q.Scope.Has(q.ClientID) {
			return nil
		}
		prefixes = []string{"c" + q.ClientID + "\x00"}
	case q.Scope.Only && len(q.Scope.Clients) == 0:
		return nil
	case q.Scope.Only && len(q.Scope.Clients) <= narrowScope:
		for _, c := range q.Scope.Clients {
			if p := "c" + c + "\x00"; !slices.Contains(prefixes, p) {
				prefixes = append(prefixes, p)
			}
		}
	default:
		if q.Scope.Only {
			inScope = map[string]bool{}
			for _, c := range q.Scope.Clients {
				inScope[c] = true
			}
		}
		if statuses == nil {
			prefixes = []string{"a"}
		}
		for s := range statuses {
			prefixes = append(prefixes, "s"+s+"\x00")
		}
	}
	text := []byte(strings.ToLower(q.Text))
	match := func(s *invoiceSummary) bool {
		return (statuses == nil || statuses[string(s.status)]) && (inScope == nil || inScope[string(s.client)]) &&
			(q.Batch == "" || string(s.batch) == summaryBatch(q.Batch)) && (q.Number == "" || string(s.number) == q.Number) &&
			(len(text) == 0 || bytes.Contains(s.text, text))
	}
	b := tx.Bucket(bInvoiceIndex)
	if q.Number != "" {
		// A number is looked up, not searched.
		id := tx.Bucket(bInvoiceNumbers).Get([]byte(q.Number))
		if id == nil {
			return nil
		}
		inv, err := getInvoice(tx, string(id))
		if err != nil {
			return err
		}
		key := invoiceSortKey(&inv)
		sum, _ := parseInvoiceSummary(b.Get(append([]byte("a"), key...)))
		if (q.ClientID != "" && inv.ClientID != q.ClientID) || !q.Scope.Has(inv.ClientID) || !match(&sum) ||
			(cursor != nil && bytes.Compare(key, cursor) >= 0) || (lo != nil && bytes.Compare(key[:8], lo) < 0) {
			return nil
		}
		fn(key, &sum)
		return nil
	}
	streams := make([]*stream, len(prefixes))
	for i, p := range prefixes {
		streams[i] = &stream{c: b.Cursor(), prefix: []byte(p)}
		streams[i].start(cursor)
	}
	for {
		var best *stream
		for _, s := range streams {
			if s.k != nil && lo != nil && bytes.Compare(s.sortKey()[:8], lo) < 0 {
				s.k, s.v = nil, nil // older than From: this stream is done
			}
			if s.k != nil && (best == nil || bytes.Compare(s.sortKey(), best.sortKey()) > 0) {
				best = s
			}
		}
		if best == nil {
			return nil
		}
		sum, ok := parseInvoiceSummary(best.v)
		if ok && match(&sum) && !fn(best.sortKey(), &sum) {
			return nil
		}
		best.next()
	}
}

// invoicePage reads one page of what q selects.
func invoicePage(tx *bolt.Tx, q *store.InvoiceQuery) (page store.InvoicePage, err error) {
	var ids []string
	var last []byte
	more := false
	err = scanInvoices(tx, q, func(key []byte, _ *invoiceSummary) bool {
		if q.Limit > 0 && len(ids) == q.Limit {
			more = true
			return false
		}
		ids = append(ids, string(key[16:]))
		last = key
		return true
	})
	if err != nil {
		return page, err
	}
	page.Invoices = make([]store.Invoice, 0, len(ids))
	for _, id := range ids {
		inv, err := getInvoice(tx, id)
		if err != nil {
			return page, err
		}
		page.Invoices = append(page.Invoices, inv)
	}
	if more {
		page.Next = hex.EncodeToString(last)
	}
	return page, nil
}

// Invoices lists the invoices q selects, newest date first.
func (s *DB) Invoices(q store.InvoiceQuery) (out []store.Invoice, err error) {
	p, err := s.InvoicePage(q)
	return p.Invoices, err
}

// InvoicePage lists one page of the invoices q selects.
func (s *DB) InvoicePage(q store.InvoiceQuery) (page store.InvoicePage, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		page, err = invoicePage(tx, &q)
		return err
	})
	return page, err
}

// CountInvoices counts the invoices q selects from the index alone.
func (s *DB) CountInvoices(q store.InvoiceQuery) (n int, err error) {
	q.Cursor, q.Limit = "", 0
	err = s.db.View(func(tx *bolt.Tx) error {
		return scanInvoices(tx, &q, func([]byte, *invoiceSummary) bool { n++; return true })
	})
	return n, err
}

// InvoiceTotals adds up the sent invoices from the status index: only
// the unpaid invoices' small index values are read.
func (s *DB) InvoiceTotals(q store.InvoiceQuery, now time.Time) ([]store.InvoiceTotal, error) {
	q = store.InvoiceQuery{ClientID: q.ClientID, Scope: q.Scope, Statuses: []string{store.InvoiceSent}}
	by := map[string]*store.InvoiceTotal{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return scanInvoices(tx, &q, func(_ []byte, s *invoiceSummary) bool {
			t := by[string(s.currency)]
			if t == nil {
				t = &store.InvoiceTotal{Currency: string(s.currency)}
				by[t.Currency] = t
			}
			t.Outstanding++
			t.OutstandingCents += s.total
			if s.due < now.Unix() {
				t.Overdue++
				t.OverdueCents += s.total
			}
			return true
		})
	})
	out := make([]store.InvoiceTotal, 0, len(by))
	for _, t := range by {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b store.InvoiceTotal) int { return strings.Compare(a.Currency, b.Currency) })
	return out, err
}
