package boltstore

import (
	"testing"
)

// TestMigration3OnFixture: a database of the format before (the schema-1
// fixture, migrated through 2) gets the favourites and retired buckets,
// every existing device counts as in service, and favourites work.
func TestMigration3OnFixture(t *testing.T) {
	dir := unpack(t, "today-v1.db.gz")
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ds, err := db.Devices()
	if err != nil || len(ds) == 0 {
		t.Fatalf("fixture devices: %d %v", len(ds), err)
	}
	if n, err := db.ActiveDevices(); err != nil || n != len(ds) {
		t.Fatalf("ActiveDevices = %d %v, want all %d in service", n, err, len(ds))
	}
	if _, err := db.SetDeviceRetired(ds[0].ID, true, "admin", ds[0].EnrolledAt); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.ActiveDevices(); n != len(ds)-1 {
		t.Fatalf("ActiveDevices after a retirement = %d, want %d", n, len(ds)-1)
	}
	if err := db.SetFavorite("u1", ds[0].ID, true); err != nil {
		t.Fatal(err)
	}
	if favs, err := db.Favorites("u1"); err != nil || len(favs) != 1 {
		t.Fatalf("favourites = %v %v", favs, err)
	}
}
