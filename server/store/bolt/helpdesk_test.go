package boltstore

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// TestMigrationBuildsSearchIndex: a schema-7 database (clients, profiles
// and contacts, no search index) opened by this code gets the index built
// from what it holds, and the caller codes' bucket.
func TestMigrationBuildsSearchIndex(t *testing.T) {
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
	must(db.CreateClient(store.Client{ID: "ca", Name: "Acme Widgets"}))
	must(db.PutClientProfile(store.ClientProfile{ClientID: "ca", Domains: []string{"acme.example"}}))
	must(db.PutContacts([]store.Contact{{ID: "p1", ClientID: "ca", Name: "Ann O'Brien", Email: "ann@acme.example",
		PhoneE164: "+12124567890", SIP: "sip:ann@pbx.acme.example"}}))
	db.Close()
	// Back to schema 7: the buckets of migration 8 removed.
	bdb, err := bolt.Open(filepath.Join(dir, "steward.db"), 0o600, nil)
	must(err)
	must(bdb.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bSearchIndex, bCallerCodes, bDeviceSIPs} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put([]byte(metaSchema), []byte("7"))
	}))
	bdb.Close()

	db, err = Open(dir)
	must(err)
	defer db.Close()
	if v, err := db.Meta(metaSchema); err != nil || v != strconv.Itoa(SchemaVersion) {
		t.Fatalf("schema %q %v", v, err)
	}
	all := store.Scope{}
	for _, q := range []store.SearchQuery{{Field: store.SearchName, Value: "brien"}, {Field: store.SearchEmail, Value: "ann@acme.example"},
		{Field: store.SearchPhone, Value: "+12124567890"}, {Field: store.SearchSIP, Value: "sip:ann@pbx.acme.example"}} {
		q.Scope = all
		cs, err := db.SearchContacts(q)
		if err != nil || len(cs) != 1 || cs[0].ID != "p1" {
			t.Errorf("%s %q after the migration = %+v %v", q.Field, q.Value, cs, err)
		}
	}
	if cs, err := db.SearchClients(store.SearchQuery{Field: store.SearchDomain, Value: "acme.example", Scope: all}); err != nil || len(cs) != 1 {
		t.Errorf("client by domain after the migration = %+v %v", cs, err)
	}
	must(db.PutCallerCode(store.CallerCode{ContactID: "p1", ClientID: "ca", Hash: "h"}))
}
