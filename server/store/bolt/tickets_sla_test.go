package boltstore

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// TestMigrationIndexesTicketSLAs: a schema-14 database (tickets without
// the SLA index, notification marks or next check) opened by this code:
// an open ticket with an SLA is due for the sweep at once, its breach
// recorded before counts as notified (an upgrade mails no old breach),
// and it is listed as breached; a resolved one and one without an SLA
// are not due.
func TestMigrationIndexesTicketSLAs(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	must(db.CreateClient(store.Client{ID: "c1", Name: "Acme"}))
	for _, tk := range []store.Ticket{
		{ID: "t1", ClientID: "c1", Status: "open", Priority: "high", SLAID: "s1", CreatedAt: at, ModifiedAt: at,
			SLA: store.TicketSLA{ResolutionDue: at.Add(time.Hour), ResolutionBreached: at.Add(time.Hour)}},
		{ID: "t2", ClientID: "c1", Status: "resolved", Priority: "high", SLAID: "s1", CreatedAt: at, ModifiedAt: at},
		{ID: "t3", ClientID: "c1", Status: "open", Priority: "high", CreatedAt: at, ModifiedAt: at},
	} {
		_, err := db.CreateTicket(tk, 0)
		must(err)
	}
	db.Close()
	// Back to schema 14: no SLA index entries, no marks.
	bdb, err := bolt.Open(filepath.Join(dir, "steward.db"), 0o600, nil)
	must(err)
	must(bdb.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bTicketIndex).Cursor()
		var del [][]byte
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if k[0] == 'x' || k[0] == 'r' {
				del = append(del, bytes.Clone(k))
			}
		}
		for _, k := range del {
			if err := tx.Bucket(bTicketIndex).Delete(k); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put([]byte(metaSchema), []byte("14"))
	}))
	bdb.Close()

	db, err = Open(dir)
	must(err)
	defer db.Close()
	p, err := db.Tickets(store.TicketQuery{SLACheckBy: at})
	if err != nil || len(p.Tickets) != 1 || p.Tickets[0].ID != "t1" {
		t.Fatalf("due for the sweep after the migration = %+v %v", p.Tickets, err)
	}
	if s := p.Tickets[0].SLA; !s.ResolutionNotified.Equal(at.Add(time.Hour)) || s.NextCheck.IsZero() {
		t.Errorf("t1's marks = %+v", s)
	}
	if p, err := db.Tickets(store.TicketQuery{SLAState: store.SLAStateBreached}); err != nil || len(p.Tickets) != 1 || p.Tickets[0].ID != "t1" {
		t.Errorf("breached after the migration = %+v %v", p.Tickets, err)
	}
}
