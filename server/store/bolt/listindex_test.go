package boltstore

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// TestMigrationListIndexes: a database written before the invoice list
// index and the audit client index (schema 14: the buckets absent) gets
// both filled from its records at open, so lists and the portal activity
// see everything stored before the upgrade.
func TestMigrationListIndexes(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"m1", "m2"} {
		if err := db.CreateClient(store.Client{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	var invs []*store.Invoice
	for i := range 10 {
		invs = append(invs, &store.Invoice{ID: fmt.Sprintf("mi%d", i), ClientID: []string{"m1", "m2"}[i%2],
			Date: time.Date(2027, 1, 1+i, 0, 0, 0, 0, time.UTC), Status: store.InvoiceSent, Currency: "EUR", TotalCents: 100})
	}
	if _, err := db.CreateInvoices(invs, "M-", 3); err != nil {
		t.Fatal(err)
	}
	for i := range 9 {
		if _, err := db.AppendAudit(store.AuditEvent{At: time.Now(), Actor: "a", Action: "x", Client: []string{"m1", "m2", "m1,m2"}[i%3]}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	bdb, err := bolt.Open(filepath.Join(dir, "steward.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bInvoiceIndex, bAuditClient} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put([]byte(metaSchema), []byte("14"))
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := db.CountInvoices(store.InvoiceQuery{ClientID: "m2"}); err != nil || n != 5 {
		t.Errorf("m2's invoices after the migration: %d %v, want 5", n, err)
	}
	if p, err := db.InvoicePage(store.InvoiceQuery{Statuses: []string{store.InvoiceSent}, Limit: 3}); err != nil ||
		len(p.Invoices) != 3 || p.Invoices[0].ID != "mi9" || p.Next == "" {
		t.Errorf("sent invoices after the migration: %+v %v", p, err)
	}
	evs, err := db.Audit(store.AuditQuery{Client: "m2", Newest: true})
	if err != nil || len(evs) != 6 || evs[0].Seq != 9 || evs[5].Seq != 2 {
		t.Errorf("m2's audit after the migration: %d events %v", len(evs), err)
	}
	db.Close()
	if v := schemaOf(t, dir); v != fmt.Sprint(SchemaVersion) {
		t.Errorf("schema %s", v)
	}
}

// TestInvoiceSummary: an index value reads back as written, also with a
// batch name holding the separator, and dates before 1970 sort first.
func TestInvoiceSummary(t *testing.T) {
	inv := store.Invoice{ClientID: "c1", Status: store.InvoiceSent, Number: "INV-7", Batch: "Q1\x1fx\x1eY", Currency: "EUR",
		TotalCents: -1250, DueDate: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)}
	s, ok := parseInvoiceSummary(invoiceSummaryOf(&inv))
	if !ok || string(s.client) != "c1" || string(s.status) != "sent" || string(s.number) != "INV-7" || string(s.batch) != "Q1 x\x1eY" ||
		string(s.currency) != "EUR" || s.total != -1250 || s.due != inv.DueDate.Unix() || string(s.text) != "inv-7\x1eq1 x\x1ey" {
		t.Fatalf("summary %+v %v", s, ok)
	}
	if _, ok := parseInvoiceSummary([]byte("c1\x1fsent")); ok {
		t.Error("a short value parsed")
	}
	old, now := dateKey(time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)), dateKey(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if string(old) >= string(now) {
		t.Error("a date before 1970 sorts after one after")
	}
}
