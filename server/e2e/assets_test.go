//go:build linux

package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
)

// TestAssetsWithRealDevices: an asset links a managed device of its own
// client (shown by host name) and never another client's; the CSV import
// previews, applies and re-applies without change over the real server.
func TestAssetsWithRealDevices(t *testing.T) {
	e := startServer(t, serverConfig())
	acme, other := e.createClient("Acme"), e.createClient("Other")
	_, dev, _ := onlineAgent(t, e, acme, agentConfig())
	_, devOther, _ := onlineAgent(t, e, other, agentConfig())
	var host string
	// The host name is the inventory's once one arrived (before, the
	// enrollment's): wait for it, so the asset names the final one.
	waitFor(t, "the device's inventory", func() bool {
		d, inv, _ := e.device(dev)
		host = d.Hostname
		return host != "" && len(inv) > 0 && string(inv) != "null"
	})
	var a struct {
		ID, Status string
		DeviceName string `json:"device_name"`
	}
	if code := e.api("POST", "/api/v1/clients/"+acme+"/assets", map[string]any{"name": "Server", "serial": "S1", "device_id": dev}, &a); code != 201 ||
		a.DeviceName != host || a.Status != "in use" {
		t.Fatalf("asset linked to a device: %d %+v (device %q)", code, a, host)
	}
	var e1 struct{ Error string }
	if code := e.api("POST", "/api/v1/clients/"+acme+"/assets", map[string]any{"name": "x", "device_id": devOther}, &e1); code != 400 ||
		!strings.Contains(e1.Error, "device not found") {
		t.Fatalf("asset linked to another client's device: %d %+v", code, e1)
	}
	var list struct{ Assets []struct{ ID string } }
	e.api("GET", "/api/v1/clients/"+acme+"/assets?device="+dev, nil, &list)
	if len(list.Assets) != 1 || list.Assets[0].ID != a.ID {
		t.Fatalf("assets of the device: %+v", list)
	}
}

// TestAssetsCLI: stewardctl previews an import (bad rows by line, exit
// 1), applies it, re-applies it without change, lists grouped by type and
// shows warranties.
func TestAssetsCLI(t *testing.T) {
	e := startServer(t, serverConfig())
	e.createClient("Acme")
	f := filepath.Join(t.TempDir(), "assets.csv")
	os.WriteFile(f, []byte("name,serial,type,warranty_expiry\nLaptop,L1,laptop,2030-01-01\nPhone,P1,phone,\nBroken,,laptop,\n"), 0o600)
	out, _, code := e.ctl(t, "assets", "import", f, "--client", "Acme")
	if code != 1 || !strings.Contains(out, "would create 2") || !strings.Contains(out, "line 4: serial is required") {
		t.Fatalf("preview: %d %q", code, out)
	}
	if out, _, _ = e.ctl(t, "assets", "import", f, "--client", "Acme", "--apply"); !strings.Contains(out, "created 2, updated 0, unchanged 0") {
		t.Fatalf("apply: %q", out)
	}
	if out, _, _ = e.ctl(t, "assets", "import", f, "--client", "Acme", "--apply"); !strings.Contains(out, "created 0, updated 0, unchanged 2") {
		t.Fatalf("re-import: %q", out)
	}
	if out, _, code = e.ctl(t, "assets", "list", "--client", "Acme", "--group-by", "type"); code != 0 || !strings.Contains(out, "laptop: 1") || !strings.Contains(out, "phone: 1") {
		t.Fatalf("list: %d %q", code, out)
	}
	if out, _, code = e.ctl(t, "assets", "warranty", "--client", "Acme", "--days", "3650"); code != 0 || !strings.Contains(out, "Laptop") || strings.Contains(out, "Phone") {
		t.Fatalf("warranty: %d %q", code, out)
	}
}

// TestAssetSerialFromInventory: a real agent reports its hardware in its
// inventory; the device detail carries it; an asset linked to the device
// gets its empty serial and model from it, while a typed serial is kept
// and the device's own is shown beside it.
func TestAssetSerialFromInventory(t *testing.T) {
	e := startServer(t, serverConfig())
	acme := e.createClient("Acme")
	cfg := agentConfig()
	cfg.Inventory = func(context.Context) protocol.Inventory {
		return protocol.Inventory{Hostname: "hw-host", OS: "linux", Platform: "debian",
			Manufacturer: "Dell Inc.", Model: "Latitude 7420", Serial: "7XK2Q53"}
	}
	_, dev, _ := onlineAgent(t, e, acme, cfg)
	waitFor(t, "the device's inventory", func() bool {
		var d api.DeviceDetail
		e.api("GET", "/api/v1/devices/"+dev, nil, &d)
		return d.Inventory != nil && d.Inventory.Serial == "7XK2Q53" && d.Inventory.Manufacturer == "Dell Inc."
	})
	var a api.Asset
	if code := e.api("POST", "/api/v1/clients/"+acme+"/assets", api.AssetRequest{Name: "Ann's laptop", DeviceID: dev}, &a); code != 201 ||
		a.Serial != "7XK2Q53" || a.Model != "Dell Inc. Latitude 7420" || a.DeviceSerial != "7XK2Q53" {
		t.Fatalf("asset linked to the device: %d %+v", code, a)
	}
	var b api.Asset
	if code := e.api("POST", "/api/v1/clients/"+acme+"/assets", api.AssetRequest{Name: "Dock", Serial: "TYPED-9", DeviceID: dev}, &b); code != 201 ||
		b.Serial != "TYPED-9" || b.Model != "Dell Inc. Latitude 7420" || b.DeviceSerial != "7XK2Q53" {
		t.Fatalf("typed serial: %d %+v", code, b)
	}
	// Unlinking and relinking on update keeps what the person typed.
	if code := e.api("PUT", "/api/v1/assets/"+b.ID, api.AssetRequest{Name: "Dock", Serial: "TYPED-9", Model: "WD19", DeviceID: dev}, &b); code != 200 ||
		b.Serial != "TYPED-9" || b.Model != "WD19" || b.DeviceModel != "Dell Inc. Latitude 7420" {
		t.Fatalf("update: %d %+v", code, b)
	}
	// A device's hostile identity (bidi override, a huge model) is text in
	// its inventory but never becomes an asset's serial or model.
	cfg = agentConfig()
	cfg.Inventory = func(context.Context) protocol.Inventory {
		return protocol.Inventory{Hostname: "odd-host", OS: "linux", Manufacturer: "Acme",
			Model: strings.Repeat("M", 5000), Serial: "SN\u202e1\x1b[2J"}
	}
	_, odd, _ := onlineAgent(t, e, acme, cfg)
	waitFor(t, "the odd device's inventory", func() bool {
		var d api.DeviceDetail
		e.api("GET", "/api/v1/devices/"+odd, nil, &d)
		return d.Inventory != nil && d.Inventory.Serial != "" && len(d.Inventory.Model) <= 128
	})
	var c api.Asset
	if code := e.api("POST", "/api/v1/clients/"+acme+"/assets", api.AssetRequest{Name: "Odd", DeviceID: odd}, &c); code != 201 ||
		c.Serial != "" || c.DeviceSerial != "" || len(c.Model) > 200 {
		t.Fatalf("hostile hardware identity: %d %+v", code, c)
	}
}
