package boltstore

import (
	"path/filepath"
	"testing"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// TestMigrateContracts: a database of the format before contracts (its
// buckets removed, the schema set back) is migrated at open, and
// contracts, entitlements and consumption work on it.
func TestMigrateContracts(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateClient(store.Client{ID: "c1", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	bdb, err := bolt.Open(filepath.Join(dir, "steward.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bContracts, bEntitlements, bEntByContract, bConsumptions, bConsumptionByCli, bConsumptionSrc} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put([]byte(metaSchema), []byte("7"))
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	if v := schemaOf(t, dir); v != "7" {
		t.Fatalf("schema set back to %q", v)
	}
	db, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PutContract(store.Contract{ID: "k1", ClientID: "c1", Name: "Support"}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutEntitlement(store.Entitlement{ID: "e1", ContractID: "k1", Name: "Hours", Consumable: true, Unit: "hours", Quantity: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordConsumption(store.Consumption{ID: "u1", ClientID: "c1", ContractID: "k1", EntitlementID: "e1", Quantity: 1,
		SourceKind: store.SourceManual, SourceID: "u1"}); err != nil {
		t.Fatal(err)
	}
	if e, err := db.Entitlement("e1"); err != nil || e.Used != 1 {
		t.Fatalf("after migration: %+v %v", e, err)
	}
}
