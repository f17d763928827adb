package boltstore

import (
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// TestMigration3AddsClientPage: a format-1 data folder opened by this
// server gains the client page's buckets: its existing client takes a
// profile and a contact, which are found after a reopen.
func TestMigration3AddsClientPage(t *testing.T) {
	dir := unpack(t, "today-v1.db.gz")
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := db.Clients()
	if err != nil || len(cs) == 0 {
		t.Fatalf("fixture clients: %v %v", cs, err)
	}
	c := cs[0].ID
	if _, err := db.ClientProfile(c); err == nil {
		t.Fatal("a format-1 client has a profile before one is stored")
	}
	at := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	if err := db.PutClientProfile(store.ClientProfile{ClientID: c, Postcode: "SW1A 1AA", ModifiedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutContacts([]store.Contact{{ID: "ct1", ClientID: c, Name: "Ann", Email: "ann@example.com", CreatedAt: at}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if p, err := db.ClientProfile(c); err != nil || p.Postcode != "SW1A 1AA" {
		t.Fatalf("profile after reopen: %+v %v", p, err)
	}
	if got, n, err := db.Contacts(store.ContactQuery{ClientID: c}); err != nil || n != 1 || got[0].Email != "ann@example.com" {
		t.Fatalf("contacts after reopen: %+v %d %v", got, n, err)
	}
}
