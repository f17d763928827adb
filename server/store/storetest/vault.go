package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Vault checks every method of the vault store: entries of existing
// clients only, kept by their client, searched by name, URL and username
// within scope; one data key per client; key replacement all or nothing;
// settings default off.
func Vault(t *testing.T, f Factory) {
	db := f.fresh(t)
	now := time.Now().UTC().Truncate(time.Second)
	for _, c := range []string{"c1", "c2"} {
		if err := db.CreateClient(store.Client{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PutVaultEntry(store.VaultEntry{ID: "v0", ClientID: "nope", Name: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("entry of an unknown client: %v", err)
	}
	entries := []store.VaultEntry{
		{ID: "v1", ClientID: "c1", Name: "Router", URL: "https://192.0.2.1", Username: "admin", Sealed: []byte{1, 2, 3}, CreatedAt: now, CreatedBy: "tina"},
		{ID: "v2", ClientID: "c1", Name: "mail", URL: "https://mail.example", Username: "postmaster", Sealed: []byte{4}},
		{ID: "v3", ClientID: "c2", Name: "Firewall", Username: "root", Sealed: []byte{5}},
	}
	for _, e := range entries {
		if err := db.PutVaultEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if e, err := db.VaultEntry("v1"); err != nil || e.Name != "Router" || !bytes.Equal(e.Sealed, []byte{1, 2, 3}) || !e.CreatedAt.Equal(now) || e.CreatedBy != "tina" {
		t.Fatalf("entry = %+v %v", e, err)
	}
	if _, err := db.VaultEntry("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown entry: %v", err)
	}
	moved := entries[0]
	moved.ClientID = "c2"
	if err := db.PutVaultEntry(moved); !errors.Is(err, store.ErrConflict) {
		t.Errorf("entry moved to another client: %v, want ErrConflict", err)
	}
	ids := func(q store.VaultQuery) string {
		es, err := db.VaultEntries(q)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, e := range es {
			s += e.ID + " "
		}
		return s
	}
	for _, c := range []struct {
		q    store.VaultQuery
		want string
	}{
		{store.VaultQuery{}, "v3 v2 v1 "}, // by name, any case
		{store.VaultQuery{ClientID: "c1"}, "v2 v1 "},
		{store.VaultQuery{Scope: store.Scope{Only: true, Clients: []string{"c2"}}}, "v3 "},
		{store.VaultQuery{Scope: store.Scope{Only: true}}, ""},
		{store.VaultQuery{Text: "ROUT"}, "v1 "},
		{store.VaultQuery{Text: "mail.example"}, "v2 "},
		{store.VaultQuery{Text: "root", ClientID: "c1"}, ""},
		{store.VaultQuery{Text: "root"}, "v3 "},
	} {
		if got := ids(c.q); got != c.want {
			t.Errorf("VaultEntries(%+v) = %q, want %q", c.q, got, c.want)
		}
	}
	if err := db.DeleteVaultEntry("v2"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteVaultEntry("v2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}

	// Keys: one per client, replaced all or nothing.
	if _, err := db.VaultKey("c1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing key: %v", err)
	}
	if err := db.CreateVaultKey(store.VaultKey{ClientID: "nope", MasterID: "m1", Wrapped: []byte{9}}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("key of an unknown client: %v", err)
	}
	for _, c := range []string{"c2", "c1"} {
		if err := db.CreateVaultKey(store.VaultKey{ClientID: c, MasterID: "m1", Wrapped: []byte(c), CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateVaultKey(store.VaultKey{ClientID: "c1", MasterID: "m1", Wrapped: []byte("other")}); !errors.Is(err, store.ErrExists) {
		t.Errorf("second key: %v", err)
	}
	if err := db.ReplaceVaultKeys([]store.VaultKey{{ClientID: "c1", MasterID: "m2", Wrapped: []byte("n1")}, {ClientID: "c9", MasterID: "m2"}}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("replace with an unknown client: %v", err)
	}
	if k, err := db.VaultKey("c1"); err != nil || k.MasterID != "m1" || string(k.Wrapped) != "c1" || !k.CreatedAt.Equal(now) {
		t.Fatalf("a refused replacement changed a key: %+v %v", k, err)
	}
	if err := db.ReplaceVaultKeys([]store.VaultKey{{ClientID: "c1", MasterID: "m2", Wrapped: []byte("n1")}, {ClientID: "c2", MasterID: "m2", Wrapped: []byte("n2")}}); err != nil {
		t.Fatal(err)
	}
	ks, err := db.VaultKeys()
	if err != nil || len(ks) != 2 || ks[0].ClientID != "c1" || ks[1].ClientID != "c2" || ks[0].MasterID != "m2" || string(ks[1].Wrapped) != "n2" {
		t.Fatalf("keys after replace = %+v %v", ks, err)
	}

	// Settings default off.
	if s, err := db.VaultSettings("c1"); err != nil || s.ClientID != "c1" || s.PortalAccess || s.RequireReason {
		t.Fatalf("default settings = %+v %v", s, err)
	}
	if err := db.PutVaultSettings(store.VaultSettings{ClientID: "nope", RequireReason: true}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("settings of an unknown client: %v", err)
	}
	if err := db.PutVaultSettings(store.VaultSettings{ClientID: "c1", RequireReason: true, UpdatedBy: "ada", UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if s, err := db.VaultSettings("c1"); err != nil || !s.RequireReason || s.PortalAccess || s.UpdatedBy != "ada" {
		t.Fatalf("settings = %+v %v", s, err)
	}
	if s, _ := db.VaultSettings("c2"); s.RequireReason {
		t.Fatalf("c1's settings leaked to c2: %+v", s)
	}
}
