package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/steward-rmm/steward/server/store"
)

func testScriptsPerOwnerVersionsAndSoftDelete(t *testing.T, f Factory) {
	db := f.fresh(t)
	g, err := db.PutScript(store.Script{Name: "report", Interpreter: "sh", Body: "echo global"})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := db.PutScript(store.Script{ClientID: "cA", Name: "report", Interpreter: "sh", Body: "echo alpha"})
	if g.ID == a.ID || g.Version != 1 || a.Version != 1 {
		t.Fatalf("same name, two owners: want two scripts at v1, got %+v %+v", g, a)
	}
	// A new version by owner and name, and by ID; owner and name stay.
	a2, _ := db.PutScript(store.Script{ClientID: "cA", Name: "report", Interpreter: "sh", Body: "echo alpha 2"})
	a3, _ := db.PutScript(store.Script{ID: a.ID, ClientID: "cB", Name: "renamed", Interpreter: "sh", Body: "echo alpha 3"})
	if a2.ID != a.ID || a2.Version != 2 || a3.Version != 3 || a3.ClientID != "cA" || a3.Name != "report" {
		t.Fatalf("versions: %+v %+v", a2, a3)
	}
	if a3.SHA256 != store.ScriptHash("echo alpha 3") || a3.SHA256 == a2.SHA256 {
		t.Fatalf("hash %q", a3.SHA256)
	}
	if got, _ := db.ScriptByName("", "report"); got.ID != g.ID || got.Body != "echo global" {
		t.Fatalf("global by name: %+v", got)
	}
	if got, _ := db.ScriptByName("cA", "report"); got.Version != 3 {
		t.Fatalf("client by name: %+v", got)
	}
	if _, err := db.ScriptByName("cB", "report"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another client's name: %v", err)
	}
	if err := db.DeleteScript(a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Script(a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted script still live: %v", err)
	}
	if _, err := db.PutScript(store.Script{ID: a.ID, Body: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("version of a deleted script: %v", err)
	}
	v1, err := db.ScriptVersion(a.ID, 1)
	if err != nil || v1.Body != "echo alpha" {
		t.Fatalf("old version after delete: %+v %v", v1, err)
	}
	vs, _ := db.ScriptVersions(a.ID)
	if len(vs) != 3 || vs[2].Body != "echo alpha 3" {
		t.Fatalf("versions: %+v", vs)
	}
	live, _ := db.Scripts(store.ScriptQuery{})
	if len(live) != 1 || live[0].ID != g.ID {
		t.Fatalf("live scripts: %+v", live)
	}
	// The name is free again after a delete, under a new ID.
	n, _ := db.PutScript(store.Script{ClientID: "cA", Name: "report", Interpreter: "sh", Body: "new"})
	if n.ID == a.ID || n.Version != 1 {
		t.Fatalf("recreated: %+v", n)
	}
}

// A script query selects by name, owner and client scope; global scripts
// are in every scope, deleted ones in none.
func testScriptsQuery(t *testing.T, f Factory) {
	db := f.fresh(t)
	put := func(client, name string) string {
		sc, err := db.PutScript(store.Script{ClientID: client, Name: name, Interpreter: "sh", Body: client + name})
		if err != nil {
			t.Fatal(err)
		}
		return sc.ID
	}
	g, a, b, ga := put("", "report"), put("cA", "report"), put("cB", "report"), put("", "audit")
	gone := put("cA", "gone")
	if err := db.DeleteScript(gone); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		q    store.ScriptQuery
		want []string
	}{
		{"all", store.ScriptQuery{}, []string{g, a, b, ga}},
		{"name", store.ScriptQuery{Name: "report"}, []string{g, a, b}},
		{"scope", store.ScriptQuery{Scope: store.Scope{Only: true, Clients: []string{"cA"}}}, []string{g, a, ga}},
		{"empty scope", store.ScriptQuery{Scope: store.Scope{Only: true}}, []string{g, ga}},
		{"name in scope", store.ScriptQuery{Name: "report", Scope: store.Scope{Only: true, Clients: []string{"cB"}}}, []string{g, b}},
		{"global only", store.ScriptQuery{Owners: []string{""}}, []string{g, ga}},
		{"owner and global", store.ScriptQuery{Owners: []string{"", "cB"}}, []string{g, b, ga}},
		{"owner out of scope", store.ScriptQuery{Owners: []string{"cB"}, Scope: store.Scope{Only: true, Clients: []string{"cA"}}}, nil},
	} {
		got, err := db.Scripts(c.q)
		var gotIDs []string
		for _, sc := range got {
			gotIDs = append(gotIDs, sc.ID)
		}
		slices.Sort(gotIDs)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if err != nil || fmt.Sprint(gotIDs) != fmt.Sprint(want) {
			t.Errorf("%s: got %v (%v), want %v", c.name, gotIDs, err, want)
		}
	}
}
