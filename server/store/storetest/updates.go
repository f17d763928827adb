package storetest

import (
	"errors"
	"github.com/steward-rmm/steward/server/store"
	"testing"
	"time"
)

func testUpdateTargetNarrowestScopeWins(t *testing.T, f Factory) {
	db := f.fresh(t)
	now := time.Now().UTC()
	for _, tg := range []store.UpdateTarget{
		{Scope: store.UpdateScopeAll, Version: "1.0.0", SetAt: now},
		{Scope: store.UpdateScopeClient, ID: "c1", Version: "1.1.0", SetAt: now},
		{Scope: store.UpdateScopeDevice, ID: "d9", Version: "1.2.0", SetAt: now},
	} {
		if err := db.SetUpdateTarget(tg); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		device, client string
		want           string
	}{
		{"d9", "c1", "1.2.0"}, // device beats client
		{"d1", "c1", "1.1.0"}, // client beats all
		{"d1", "c2", "1.0.0"},
		{"d1", "", "1.0.0"},
	}
	for _, c := range cases {
		got, ok, err := db.UpdateTargetFor(c.device, c.client)
		if err != nil || !ok || got.Version != c.want {
			t.Errorf("UpdateTargetFor(%s, %s) = %+v %v %v, want %s", c.device, c.client, got, ok, err, c.want)
		}
	}
	// Clearing the global target leaves devices outside the other scopes
	// without one.
	if err := db.SetUpdateTarget(store.UpdateTarget{Scope: store.UpdateScopeAll}); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := db.UpdateTargetFor("d1", "c2"); ok || err != nil {
		t.Fatalf("after clear: %+v %v %v", got, ok, err)
	}
	all, err := db.UpdateTargets()
	if err != nil || len(all) != 2 {
		t.Fatalf("UpdateTargets = %+v %v", all, err)
	}
}

func testUpdateResults(t *testing.T, f Factory) {
	db := f.fresh(t)
	if _, err := db.UpdateResultOf("d1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing result: %v", err)
	}
	for _, st := range []string{"failed", "installed"} {
		r := store.UpdateResult{DeviceID: "d1", Version: "1.1.0", From: "1.0.0", State: st}
		if err := db.PutUpdateResult(r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.UpdateResultOf("d1")
	if err != nil || got.State != "installed" || got.Version != "1.1.0" {
		t.Fatalf("latest = %+v %v", got, err)
	}
	if all, err := db.UpdateResults(); err != nil || len(all) != 1 {
		t.Fatalf("UpdateResults = %+v %v", all, err)
	}
}
