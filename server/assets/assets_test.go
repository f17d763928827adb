package assets

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// rig serves the wing on a real bbolt store and audit log as the
// principal in "X-Test-User". Devices is a table of device views as the
// fleet would answer them (the real lookup is tested end to end).
type rig struct {
	t     *testing.T
	db    *boltstore.DB
	srv   *httptest.Server
	users map[string]*httpx.Principal
	now   time.Time
}

type scope struct{ st Store }

func (c scope) ResolveClient(p *httpx.Principal, ref string) (store.Client, bool) {
	cs, _ := c.st.Clients()
	for _, x := range cs {
		if (x.ID == ref || x.Name == ref) && p.CanSeeClient(x.ID) {
			return x, true
		}
	}
	return store.Client{}, false
}

type devices map[string]fleet.View

func (d devices) Device(p *httpx.Principal, id string) (fleet.View, bool) {
	v, ok := d[id]
	return v, ok && p.CanSeeClient(v.Client)
}

// Hardware gives the laptop an inventory identity; other devices have none.
func (d devices) Hardware(id string) (string, string, string) {
	if id == "d_a" {
		return "LENOVO", "20XW0055GE", "PF2ABCDE"
	}
	return "", "", ""
}

func newRig(t *testing.T) *rig {
	r := &rig{t: t, now: time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	var err error
	if r.db, err = boltstore.Open(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.db.Close() })
	for _, c := range []string{"c_a", "c_b"} {
		if err := r.db.CreateClient(store.Client{ID: c, Name: strings.ToUpper(c[2:])}); err != nil {
			t.Fatal(err)
		}
	}
	clock := func() time.Time { return r.now }
	alog, err := auditlog.Open(auditlog.Config{DataDir: dir}, auditlog.Deps{Store: r.db, Now: clock, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(alog.Close)
	r.users = map[string]*httpx.Principal{"tina": {Name: "tina", AllClients: true}, "ann": {Name: "ann", Clients: []string{"c_a"}}}
	w := New(Deps{Store: r.db, Clients: scope{r.db}, Devices: devices{"d_a": {ID: "d_a", Client: "c_a", Hostname: "ann-laptop"},
		"d_b": {ID: "d_b", Client: "c_b", Hostname: "bob-pc"}}, Audit: alog, Now: clock})
	mux := http.NewServeMux()
	for _, rt := range w.Routes() {
		mux.HandleFunc(rt.Method+" "+rt.Pattern, func(rw http.ResponseWriter, q *http.Request) { rt.H(rw, q, r.users[q.Header.Get("X-Test-User")]) })
	}
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *rig) call(user, method, path string, body any, out any) int {
	r.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, r.srv.URL+path, rd)
	req.Header.Set("X-Test-User", user)
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			r.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode
}

// TestAssetRules: statuses, dates, warranty months, types from the
// admin's list, and a device link only to the client's own devices.
func TestAssetRules(t *testing.T) {
	r := newRig(t)
	var a api.Asset
	code := r.call("tina", "POST", "/api/v1/clients/c_a/assets", api.AssetRequest{Name: "Ann's laptop", Type: "laptop", Serial: "SN1",
		PurchaseDate: "2025-03-31", WarrantyMonths: 24, DeviceID: "d_a"}, &a)
	if code != 201 || a.Status != "in use" || a.WarrantyExpiry != "2027-03-31" || a.DeviceName != "ann-laptop" {
		t.Fatalf("create: %d %+v", code, a)
	}
	var e api.Error
	for _, c := range []struct {
		req  api.AssetRequest
		want string
	}{
		{api.AssetRequest{Name: "x", Status: "lost"}, "status must be one of"},
		{api.AssetRequest{Name: "x", PurchaseDate: "31.03.2025"}, "purchase_date must be a date"},
		{api.AssetRequest{Name: "x", WarrantyMonths: 12}, "warranty_months needs a purchase_date"},
		{api.AssetRequest{Name: "x", DeviceID: "d_b"}, "device not found among this client's devices"},
		{api.AssetRequest{Name: "x", ContactID: "../etc"}, "contact_id must be"},
		{api.AssetRequest{Name: "x", Serial: "sn1"}, "has an asset with serial"},
		{api.AssetRequest{Name: "bad\u202ename"}, "printable text"},
	} {
		if code := r.call("tina", "POST", "/api/v1/clients/c_a/assets", c.req, &e); code/100 != 4 || !strings.Contains(e.Error, c.want) {
			t.Errorf("%+v: %d %q, want %q", c.req, code, e.Error, c.want)
		}
	}
	var ts api.AssetTypes
	if code := r.call("tina", "PUT", "/api/v1/asset-types", api.AssetTypes{Types: []string{"laptop", "phone", "laptop"}}, &ts); code != 200 || len(ts.Types) != 2 {
		t.Fatalf("types: %d %+v", code, ts)
	}
	if code := r.call("tina", "POST", "/api/v1/clients/c_a/assets", api.AssetRequest{Name: "x", Type: "toaster"}, &e); code != 400 || !strings.Contains(e.Error, "laptop, phone") {
		t.Fatalf("type outside the list: %d %+v", code, e)
	}
}

// TestAssetListsGroupsAndWarranty: search, group_by with counts, the
// warranty window (retired and already-expired assets left out), and 404
// for another client's assets.
func TestAssetListsGroupsAndWarranty(t *testing.T) {
	r := newRig(t)
	for _, q := range []api.AssetRequest{
		{Name: "Laptop 1", Type: "laptop", Folder: "HQ", Serial: "L1", WarrantyExpiry: "2027-01-20"},
		{Name: "Laptop 2", Type: "laptop", Folder: "Branch", Serial: "L2", WarrantyExpiry: "2027-03-01"},
		{Name: "Phone", Type: "phone", Folder: "HQ", Status: "in stock", Serial: "P1", WarrantyExpiry: "2027-01-10"},
		{Name: "Old printer", Type: "printer", Status: "retired", WarrantyExpiry: "2027-01-05"},
		{Name: "Switch", Type: "network", WarrantyExpiry: "2026-12-01"},
	} {
		if code := r.call("tina", "POST", "/api/v1/clients/c_a/assets", q, nil); code != 201 {
			t.Fatalf("create %s: %d", q.Name, code)
		}
	}
	var b api.Asset
	r.call("tina", "POST", "/api/v1/clients/c_b/assets", api.AssetRequest{Name: "bravo-server", Serial: "B1"}, &b)
	var l api.AssetList
	r.call("tina", "GET", "/api/v1/clients/c_a/assets?group_by=type", nil, &l)
	got := ""
	for _, g := range l.Groups {
		got += g.Key + ":" + string(rune('0'+g.Count)) + " "
	}
	if got != "laptop:2 network:1 phone:1 printer:1 " || len(l.Assets) != 5 || l.Assets[0].Type != "laptop" {
		t.Fatalf("grouped by type: %q %+v", got, l.Assets)
	}
	r.call("tina", "GET", "/api/v1/assets?q=hq&group_by=folder", nil, &l)
	if len(l.Assets) != 2 || len(l.Groups) != 1 || l.Groups[0].Key != "HQ" {
		t.Fatalf("search hq grouped by folder: %+v", l)
	}
	var exp []api.Asset
	r.call("tina", "GET", "/api/v1/clients/c_a/assets/warranty?days=30", nil, &exp)
	if len(exp) != 2 || exp[0].Name != "Phone" || exp[1].Name != "Laptop 1" {
		t.Fatalf("warranty within 30 days: %+v", exp)
	}
	var e api.Error
	if code := r.call("tina", "GET", "/api/v1/clients/c_a/assets?group_by=colour", nil, &e); code != 400 {
		t.Fatalf("bad group_by: %d", code)
	}
	for _, c := range []struct{ m, p string }{{"GET", "/api/v1/assets/" + b.ID}, {"PUT", "/api/v1/assets/" + b.ID}, {"DELETE", "/api/v1/assets/" + b.ID},
		{"GET", "/api/v1/clients/c_b/assets"}, {"POST", "/api/v1/clients/c_b/assets/import"}, {"GET", "/api/v1/clients/c_b/assets/warranty"}} {
		if code := r.call("ann", c.m, c.p, api.AssetRequest{Name: "x"}, nil); code != 404 {
			t.Errorf("%s %s as ann: %d", c.m, c.p, code)
		}
	}
	r.call("ann", "GET", "/api/v1/assets?q=server", nil, &l)
	if len(l.Assets) != 0 {
		t.Fatalf("ann's search shows B's: %+v", l.Assets)
	}
}

// TestAssetImport: a preview writes nothing; every bad row is reported
// with its line and reason; applying writes the good rows; importing the
// same file again changes nothing; a changed row updates its asset.
func TestAssetImport(t *testing.T) {
	r := newRig(t)
	csvText := "Name,Serial,Type,Status,Purchase_Date,Warranty_Months,Folder\n" +
		"Laptop Ann,SN-1,laptop,in use,2025-01-15,36,HQ\n" +
		"\"Printer, 2nd floor\",SN-2,printer,in stock,,,HQ\n" +
		"No serial,,laptop,,,,\n" +
		"Bad status,SN-3,laptop,stolen,,,\n" +
		"Bad date,SN-4,laptop,,15/01/2025,,\n" +
		"Dup,sn-1,laptop,,,,\n" +
		"=cmd|' /C calc'!A0,SN-5,phone,,,,\n"
	var out api.AssetImport
	if code := r.call("tina", "POST", "/api/v1/clients/c_a/assets/import", csvText, &out); code != 200 || out.Applied || out.Created != 3 {
		t.Fatalf("preview: %d %+v", code, out)
	}
	want := map[int]string{4: "serial is required", 5: "status must be one of", 6: "purchase_date must be a date", 7: `serial "sn-1" is also on line 2`}
	if len(out.Errors) != len(want) {
		t.Fatalf("errors: %+v", out.Errors)
	}
	for _, e := range out.Errors {
		if !strings.Contains(e.Reason, want[e.Line]) {
			t.Errorf("line %d: %q, want %q", e.Line, e.Reason, want[e.Line])
		}
	}
	var l api.AssetList
	if r.call("tina", "GET", "/api/v1/clients/c_a/assets", nil, &l); len(l.Assets) != 0 {
		t.Fatalf("a preview wrote %d assets", len(l.Assets))
	}
	if r.call("tina", "POST", "/api/v1/clients/c_a/assets/import?apply=1", csvText, &out); !out.Applied || out.Created != 3 || len(out.Errors) != 4 {
		t.Fatalf("apply: %+v", out)
	}
	r.call("tina", "GET", "/api/v1/clients/c_a/assets", nil, &l)
	if len(l.Assets) != 3 || l.Assets[0].Name != "=cmd|' /C calc'!A0" || l.Assets[1].WarrantyExpiry != "2028-01-15" {
		t.Fatalf("after apply: %+v", l.Assets)
	}
	before, _ := json.Marshal(l.Assets)
	r.now = r.now.Add(time.Hour)
	if r.call("tina", "POST", "/api/v1/clients/c_a/assets/import?apply=1", csvText, &out); out.Created != 0 || out.Updated != 0 || out.Unchanged != 3 {
		t.Fatalf("re-import: %+v", out)
	}
	r.call("tina", "GET", "/api/v1/clients/c_a/assets", nil, &l)
	if after, _ := json.Marshal(l.Assets); !bytes.Equal(before, after) {
		t.Fatalf("a re-import changed assets:\n%s\n%s", before, after)
	}
	changed := strings.Replace(csvText, "Printer, 2nd floor\",SN-2,printer,in stock", "Printer, 2nd floor\",SN-2,printer,damaged", 1)
	if r.call("tina", "POST", "/api/v1/clients/c_a/assets/import?apply=1", changed, &out); out.Updated != 1 || out.Unchanged != 2 {
		t.Fatalf("import of a changed row: %+v", out)
	}
	var e api.Error
	if code := r.call("tina", "POST", "/api/v1/clients/c_a/assets/import", "name,colour\nx,red\n", &e); code != 400 || !strings.Contains(e.Error, `unknown column "colour"`) {
		t.Fatalf("unknown column: %d %+v", code, e)
	}
}

// TestAssetFilledFromInventory: linking a device fills an empty serial and
// model from its inventory; typed values are kept; the view shows the
// device's own beside them.
func TestAssetFilledFromInventory(t *testing.T) {
	r := newRig(t)
	var a api.Asset
	if code := r.call("tina", "POST", "/api/v1/clients/c_a/assets", api.AssetRequest{Name: "Ann's laptop", DeviceID: "d_a"}, &a); code != 201 {
		t.Fatalf("create: %d %+v", code, a)
	}
	if a.Serial != "PF2ABCDE" || a.Model != "LENOVO 20XW0055GE" || a.DeviceSerial != "PF2ABCDE" || a.DeviceModel != "LENOVO 20XW0055GE" {
		t.Fatalf("not filled from inventory: %+v", a)
	}
	var b api.Asset
	if code := r.call("tina", "PUT", "/api/v1/assets/"+a.ID, api.AssetRequest{Name: "Ann's laptop", Serial: "TYPED-1",
		Model: "ThinkPad T14", DeviceID: "d_a"}, &b); code != 200 {
		t.Fatalf("update: %d %+v", code, b)
	}
	if b.Serial != "TYPED-1" || b.Model != "ThinkPad T14" || b.DeviceSerial != "PF2ABCDE" {
		t.Fatalf("typed values overwritten or device's not shown: %+v", b)
	}
}
