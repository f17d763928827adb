package boltstore

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// consentPairs are the consent records and their disk types.
var consentPairs = []struct{ rec, disk any }{
	{store.ConsentRequest{}, diskConsentRequest{}}, {store.ConsentGrant{}, diskConsentGrant{}},
	{store.ConsentSetting{}, diskConsentSetting{}},
}

// TestConsentDiskTypes: every consent record field has its disk field,
// and each record, every field set, encodes to the committed golden JSON
// and decodes back to itself (a change is a format change).
func TestConsentDiskTypes(t *testing.T) {
	const path = "testdata/consent-golden.json"
	got := map[string]json.RawMessage{}
	for _, p := range consentPairs {
		rt, dt := reflect.TypeOf(p.rec), reflect.TypeOf(p.disk)
		if rt.NumField() != dt.NumField() {
			t.Fatalf("%s has %d fields, %s %d", rt, rt.NumField(), dt, dt.NumField())
		}
		for i := 0; i < rt.NumField(); i++ {
			if rt.Field(i).Name != dt.Field(i).Name {
				t.Errorf("%s field %d is %s, %s has %s", rt, i, rt.Field(i).Name, dt, dt.Field(i).Name)
			}
		}
		rp := reflect.New(rt)
		fill(rp.Elem())
		b, err := encodeConsent(rp.Elem().Interface())
		if err != nil {
			t.Fatalf("%s: %v", rt, err)
		}
		got[rt.Name()] = b
		back := reflect.New(rt)
		if err := decodeConsent(b, back.Interface()); err != nil {
			t.Fatalf("%s: decode: %v", rt, err)
		}
		if !reflect.DeepEqual(back.Elem().Interface(), rp.Elem().Interface()) {
			t.Errorf("%s does not survive encode and decode:\n%+v\n%+v", rt, rp.Elem().Interface(), back.Elem().Interface())
		}
	}
	out, _ := json.MarshalIndent(got, "", "  ")
	out = append(out, '\n')
	if *updateGolden {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, want) {
		t.Fatalf("consent disk encoding differs from %s (a format change needs a migration; -update-golden rewrites it):\n%s", path, out)
	}
}

// TestMigrateConsent: a database of the format before gets the consent
// buckets, and running the migration again changes nothing.
func TestMigrateConsent(t *testing.T) {
	db, err := bolt.Open(t.TempDir()+"/m.db", 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bConsentRequests, bConsentGrants, bConsentSettings} {
			if tx.Bucket(b) != nil {
				t.Fatalf("bucket %s exists before the migration", b)
			}
		}
		if err := migrateConsent(tx); err != nil {
			return err
		}
		if err := tx.Bucket(bConsentGrants).Put([]byte("k"), []byte("{}")); err != nil {
			return err
		}
		if err := migrateConsent(tx); err != nil {
			return err
		}
		if tx.Bucket(bConsentGrants).Get([]byte("k")) == nil {
			t.Fatal("a second run emptied the grants bucket")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
