package assign

import (
	"testing"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

type profile struct{ name string }

func TestResolve(t *testing.T) {
	profiles := map[string]*profile{"pd": {"default"}, "pc": {"client"}, "pf": {"folder"}, "pv": {"device"}}
	table := NewTable([]store.ProfileAssignment{
		{Level: store.LevelDefault, ProfileID: "pd"},
		{Level: store.LevelClient, ClientID: "c1", ProfileID: "pc"},
		{Level: store.LevelFolder, ClientID: "c1", Folder: "Servers", ProfileID: "pf"},
		{Level: store.LevelDevice, ClientID: "c1", DeviceID: "d1", ProfileID: "pv"},
		// a folder of the same name at another client, and an assignment
		// of a profile that is gone
		{Level: store.LevelFolder, ClientID: "c2", Folder: "Servers", ProfileID: "gone"},
		{Level: store.LevelDevice, ClientID: "c2", DeviceID: "d9", ProfileID: "gone"},
	})
	for _, tc := range []struct {
		device, client, folder string
		want, level            string
	}{
		{"d1", "c1", "Servers", "device", store.LevelDevice},
		{"d2", "c1", "Servers", "folder", store.LevelFolder},
		{"d2", "c1", "Desktops", "client", store.LevelClient},
		{"d2", "c1", "", "client", store.LevelClient},
		{"d3", "c2", "Servers", "default", store.LevelDefault}, // c2's folder assigns a missing profile
		{"d9", "c2", "", "default", store.LevelDefault},        // so does d9's device assignment
		{"d4", "c3", "Servers", "default", store.LevelDefault},
	} {
		p, a := Resolve(table, profiles, tc.device, tc.client, tc.folder)
		if p == nil || p.name != tc.want || a.Level != tc.level {
			t.Errorf("%s of %s in %q: got %v at %q, want %s at %q", tc.device, tc.client, tc.folder, p, a.Level, tc.want, tc.level)
		}
	}
	// A folder named "" is no folder: an assignment to it is not the
	// device's when it has none.
	table[KeyOf(&store.ProfileAssignment{Level: store.LevelFolder, ClientID: "c1"})] =
		store.ProfileAssignment{Level: store.LevelFolder, ClientID: "c1", ProfileID: "pf"}
	if p, _ := Resolve(table, profiles, "d2", "c1", ""); p == nil || p.name != "client" {
		t.Errorf("device without a folder: got %v, want client", p)
	}
	delete(table, Key{Level: store.LevelDefault})
	if p, a := Resolve(table, profiles, "d4", "c3", ""); p != nil || a != (store.ProfileAssignment{}) {
		t.Errorf("without a default: got %v %+v, want none", p, a)
	}
}

type scope struct{}

func (scope) Device(p *httpx.Principal, id string) (fleet.View, bool) {
	switch id {
	case "d1", "D1":
		return fleet.View{ID: "d1", Client: "c1"}, true
	case "d2":
		return fleet.View{ID: "d2", Client: "c2"}, true
	}
	return fleet.View{}, false
}

func (scope) ResolveClient(p *httpx.Principal, ref string) (store.Client, bool) {
	return store.Client{ID: "c1"}, ref == "c1" || ref == "Acme"
}

func TestTargets(t *testing.T) {
	all, some := &httpx.Principal{AllClients: true}, &httpx.Principal{}
	for _, tc := range []struct {
		p    *httpx.Principal
		req  api.AssignRequest
		code int
		msg  string
		n    int
	}{
		{all, api.AssignRequest{Level: "default"}, 0, "", 1},
		{some, api.AssignRequest{Level: "default"}, 403, "only a user with access to every client can assign the default thing", 0},
		{all, api.AssignRequest{Level: "client", Client: "Acme"}, 0, "", 1},
		{all, api.AssignRequest{Level: "client", Client: "Nope"}, 404, "client not found", 0},
		{all, api.AssignRequest{Level: "folder", Client: "c1", Folder: "Servers"}, 0, "", 1},
		{all, api.AssignRequest{Level: "device", Device: "d2", Devices: []string{"d1", "D1"}}, 0, "", 3},
		{all, api.AssignRequest{Level: "device"}, 400, "give device or devices (at most 50000)", 0},
		{all, api.AssignRequest{Level: "device", Devices: []string{"d1", "zz"}}, 404, "device not found", 0},
		{all, api.AssignRequest{Level: "group"}, 400, "level must be default, client, folder or device", 0},
	} {
		got, code, msg := Targets(tc.p, scope{}, &tc.req, "thing")
		if code != tc.code || msg != tc.msg || len(got) != tc.n {
			t.Errorf("%+v: got %d %q %d targets, want %d %q %d", tc.req, code, msg, len(got), tc.code, tc.msg, tc.n)
		}
	}
	got, _, _ := Targets(all, scope{}, &api.AssignRequest{Level: "device", Device: "d2", Devices: []string{"d1", "D1"}}, "thing")
	if got[0].DeviceID != "d2" || got[0].ClientID != "c2" || got[1].DeviceID != "d1" {
		t.Errorf("device targets: %+v", got)
	}
	if u := Unique(got); len(u) != 2 || u[0].DeviceID != "d2" || u[1].DeviceID != "d1" {
		t.Errorf("Unique: %+v", u)
	}
	if !Foreign(got, "c1") || Foreign(got, "") || Foreign(got[1:], "c1") {
		t.Error("Foreign")
	}
}

func TestOwner(t *testing.T) {
	all, some := &httpx.Principal{AllClients: true}, &httpx.Principal{}
	for _, tc := range []struct {
		p          *httpx.Principal
		ref, owner string
		code       int
		msg        string
	}{
		{all, "", "", 0, ""},
		{some, "", "", 403, "give a client"},
		{some, "Acme", "c1", 0, ""},
		{all, "Nope", "", 404, "client not found"},
	} {
		owner, code, msg := Owner(tc.p, scope{}, tc.ref, "give a client")
		if owner != tc.owner || code != tc.code || msg != tc.msg {
			t.Errorf("%q: got %q %d %q, want %q %d %q", tc.ref, owner, code, msg, tc.owner, tc.code, tc.msg)
		}
	}
}
