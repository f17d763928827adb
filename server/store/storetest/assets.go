package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Assets checks every method of the asset store: assets of existing
// clients, kept by their client, serials unique per client (any case) and
// freed by changes and deletion, queries by field, text, scope and
// warranty window, and the type list.
func Assets(t *testing.T, f Factory) {
	db := f.fresh(t)
	for _, c := range []string{"c1", "c2"} {
		if err := db.CreateClient(store.Client{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	day := func(d int) time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	if err := db.PutAsset(store.Asset{ID: "a0", ClientID: "nope", Name: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("asset of an unknown client: %v", err)
	}
	as := []store.Asset{
		{ID: "a1", ClientID: "c1", Name: "Laptop Ann", Type: "laptop", Status: store.AssetInUse, Serial: "SN-1", Folder: "Office", ContactID: "ct_ann", DeviceID: "d1", WarrantyExpiry: day(10), PurchaseDate: day(-700)},
		{ID: "a2", ClientID: "c1", Name: "printer", Type: "printer", Status: store.AssetInStock, Serial: "SN-2", WarrantyExpiry: day(40)},
		{ID: "a3", ClientID: "c1", Name: "Old phone", Type: "phone", Status: store.AssetRetired, WarrantyExpiry: day(5)},
		{ID: "a4", ClientID: "c2", Name: "Laptop Bob", Type: "laptop", Status: store.AssetInUse, Serial: "SN-1"},
	}
	for _, a := range as {
		if err := db.PutAsset(a); err != nil {
			t.Fatal(err)
		}
	}
	dup := store.Asset{ID: "a5", ClientID: "c1", Name: "dup", Serial: "sn-1"}
	if err := db.PutAsset(dup); !errors.Is(err, store.ErrExists) {
		t.Errorf("a second asset of c1 with serial SN-1 (other case): %v", err)
	}
	moved := as[0]
	moved.ClientID = "c2"
	if err := db.PutAsset(moved); !errors.Is(err, store.ErrConflict) {
		t.Errorf("asset moved to another client: %v", err)
	}
	if a, err := db.Asset("a1"); err != nil || a.Folder != "Office" || !a.WarrantyExpiry.Equal(day(10)) || !a.PurchaseDate.Equal(day(-700)) || a.DeviceID != "d1" {
		t.Fatalf("asset = %+v %v", a, err)
	}
	if _, err := db.Asset("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown asset: %v", err)
	}
	if a, err := db.AssetBySerial("c2", "sn-1"); err != nil || a.ID != "a4" {
		t.Fatalf("by serial: %+v %v", a, err)
	}
	if _, err := db.AssetBySerial("c1", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("empty serial: %v", err)
	}
	ids := func(q store.AssetQuery) string {
		got, err := db.Assets(q)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, a := range got {
			s += a.ID + " "
		}
		return s
	}
	for _, c := range []struct {
		q    store.AssetQuery
		want string
	}{
		{store.AssetQuery{ClientID: "c1"}, "a1 a3 a2 "},
		{store.AssetQuery{Type: "laptop"}, "a1 a4 "},
		{store.AssetQuery{Status: store.AssetRetired}, "a3 "},
		{store.AssetQuery{Folder: "Office"}, "a1 "},
		{store.AssetQuery{ContactID: "ct_ann"}, "a1 "},
		{store.AssetQuery{DeviceID: "d1"}, "a1 "},
		{store.AssetQuery{Text: "sn-2"}, "a2 "},
		{store.AssetQuery{Text: "LAPTOP", Scope: store.Scope{Only: true, Clients: []string{"c2"}}}, "a4 "},
		{store.AssetQuery{WarrantyFrom: day(0), WarrantyBefore: day(30)}, "a1 "}, // a3 is retired, a2 too late
		{store.AssetQuery{WarrantyFrom: day(11), WarrantyBefore: day(60)}, "a2 "},
	} {
		if got := ids(c.q); got != c.want {
			t.Errorf("Assets(%+v) = %q, want %q", c.q, got, c.want)
		}
	}
	// Changing a serial frees the old one; deleting frees it too.
	a2 := as[1]
	a2.Serial = "SN-9"
	if err := db.PutAsset(a2); err != nil {
		t.Fatal(err)
	}
	if err := db.PutAsset(store.Asset{ID: "a6", ClientID: "c1", Name: "new", Serial: "SN-2"}); err != nil {
		t.Fatalf("reusing a changed serial: %v", err)
	}
	if err := db.DeleteAsset("a1"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAsset("a1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if _, err := db.AssetBySerial("c1", "SN-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("serial of a deleted asset: %v", err)
	}
	if err := db.PutAsset(dup); err != nil {
		t.Fatalf("serial freed by deletion: %v", err)
	}
	// Types.
	if ts, err := db.AssetTypes(); err != nil || ts != nil {
		t.Fatalf("types before set: %v %v", ts, err)
	}
	if err := db.SetAssetTypes([]string{"laptop", "phone"}); err != nil {
		t.Fatal(err)
	}
	if ts, err := db.AssetTypes(); err != nil || !slices.Equal(ts, []string{"laptop", "phone"}) {
		t.Fatalf("types: %v %v", ts, err)
	}
}
