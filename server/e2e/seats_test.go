//go:build linux

package e2e_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/agent/identity"
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
)

type apiErr struct {
	Error string `json:"error"`
}

// countingAgent is an agent config whose inventory and health collectors
// count their calls: a retired agent collects neither.
func countingAgent(inv, hl *atomic.Int64) agent.Config {
	return agent.Config{
		Inventory: func(context.Context) protocol.Inventory {
			inv.Add(1)
			return protocol.Inventory{Hostname: "counted", OS: "linux"}
		},
		Health: func(context.Context) protocol.Health {
			hl.Add(1)
			return protocol.Health{LastUser: "alice"}
		},
	}
}

func (e *env) apiDevice(id string) api.Device {
	e.t.Helper()
	var d api.DeviceDetail
	if code := e.api("GET", "/api/v1/devices/"+id, nil, &d); code != 200 {
		e.t.Fatalf("device %s: %d", id, code)
	}
	return d.Device
}

func (e *env) deviceIDs(token, query string) string {
	e.t.Helper()
	var l api.DeviceList
	if code := e.apiAs(token, "GET", "/api/v1/devices?"+query, nil, &l); code != 200 {
		e.t.Fatalf("devices?%s: %d", query, code)
	}
	var s []string
	for _, d := range l.Devices {
		s = append(s, d.ID)
	}
	return strings.Join(s, ",")
}

// TestRetireStopsJobsAndReporting: a retired device gets no job, shell or
// refresh (409 naming that it is retired), leaves the default list, and
// its real agent stops collecting inventory and health while it keeps
// sending heartbeats on the same connection; a restore brings reports
// and jobs back at once.
func TestRetireStopsJobsAndReporting(t *testing.T) {
	cfg := serverConfig()
	cfg.HealthInterval, cfg.Inventory = time.Second, time.Second
	e := startServer(t, cfg)
	var inv, hl atomic.Int64
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), countingAgent(&inv, &hl))
	waitFor(t, "reports", func() bool { return hl.Load() >= 1 && inv.Load() >= 1 })

	var resp api.DeviceResponse
	if code := e.api("POST", "/api/v1/devices/"+id+"/retire", nil, &resp); code != 200 || !resp.Device.Retired || resp.Device.RetiredBy != "admin" {
		t.Fatalf("retire: %d %+v", code, resp.Device)
	}
	if !e.auditHas("device.retire", id, nil) {
		t.Error("retirement not audited")
	}
	var er apiErr
	if code := e.api("POST", "/api/v1/devices/"+id+"/retire", nil, &er); code != 409 || !strings.Contains(er.Error, "already retired") {
		t.Errorf("retire twice: %d %q", code, er.Error)
	}
	if code := e.api("POST", "/api/v1/jobs", script([]string{id}, "echo hi"), &er); code != 409 || !strings.Contains(er.Error, "is retired") {
		t.Errorf("job on a retired device: %d %q, want 409 naming retirement", code, er.Error)
	}
	if code := e.api("POST", "/api/v1/devices/"+id+"/shell/ticket", nil, &er); code != 409 || !strings.Contains(er.Error, "retired") {
		t.Errorf("shell on a retired device: %d %q", code, er.Error)
	}
	if code := e.api("POST", "/api/v1/devices/"+id+"/refresh", nil, &er); code != 409 || !strings.Contains(er.Error, "retired") {
		t.Errorf("refresh of a retired device: %d %q", code, er.Error)
	}
	if code := e.api("POST", "/api/v1/jobs", map[string]any{"client": "Acme", "kind": "script",
		"script": map[string]any{"interpreter": "sh", "body": "id"}}, &er); code != 400 {
		t.Errorf("client job with only a retired device: %d %q, want 400 no device", code, er.Error)
	}
	if got := e.deviceIDs(e.token, ""); got != "" {
		t.Errorf("default list shows the retired device: %q", got)
	}
	if got := e.deviceIDs(e.token, "retired=true"); got != id {
		t.Errorf("retired=true lists %q, want %s", got, id)
	}
	if got := e.deviceIDs(e.token, "retired=any"); got != id {
		t.Errorf("retired=any lists %q, want %s", got, id)
	}

	// The agent stops reporting, also across a reconnect: after a server
	// restart the welcome says it is retired, and the agent, which
	// collects and sends its inventory after every welcome, collects
	// nothing while its heartbeats go on over the kept connection.
	i0, h0 := inv.Load(), hl.Load()
	e.restart()
	waitFor(t, "agent back online", func() bool {
		var d api.DeviceDetail
		return e.api("GET", "/api/v1/devices/"+id, nil, &d) == 200 && d.Device.Online
	})
	start := e.apiDevice(id).Heartbeat.Seq
	waitFor(t, "heartbeats of the retired agent", func() bool { return e.apiDevice(id).Heartbeat.Seq >= start+3 })
	if i1, h1 := inv.Load(), hl.Load(); i1 != i0 || h1 != h0 {
		t.Errorf("a retired agent collected: inventory %d -> %d, health %d -> %d", i0, i1, h0, h1)
	}
	if d := e.apiDevice(id); !d.Online || !d.Retired {
		t.Errorf("retired device after a restart: online %v retired %v", d.Online, d.Retired)
	}

	resp = api.DeviceResponse{}
	if code := e.api("POST", "/api/v1/devices/"+id+"/restore", nil, &resp); code != 200 || resp.Device.Retired || !resp.Device.RetiredAt.IsZero() {
		t.Fatalf("restore: %d %+v", code, resp.Device)
	}
	if !e.auditHas("device.restore", id, nil) {
		t.Error("restore not audited")
	}
	waitFor(t, "reports after the restore", func() bool { return inv.Load() > i0 && hl.Load() > h0 })
	j := e.createJob(script([]string{id}, "echo back"))
	if r := e.waitState(j.Runs[0].ID, protocol.StateSucceeded, protocol.StateFailed); r.State != protocol.StateSucceeded {
		t.Errorf("job after the restore: %s", r.State)
	}
	if got := e.deviceIDs(e.token, ""); got != id {
		t.Errorf("default list after the restore: %q", got)
	}
}

// TestEnrollPastDeviceLimit: past the device limit an enrollment is
// refused with the message the installer prints, the token keeps its
// uses and no device is made; a retired device frees its place, and
// restoring it past the limit is refused the same way.
func TestEnrollPastDeviceLimit(t *testing.T) {
	e := startServer(t, serverConfig())
	acme := e.createClient("Acme")
	var seats api.Seats
	if code := e.api("PUT", "/api/v1/seats", map[string]any{"device_limit": 1}, &seats); code != 200 || seats.Devices.Limit != 1 {
		t.Fatalf("set device limit: %d %+v", code, seats)
	}
	if !e.auditHas("plan.update", "", map[string]string{"devices": "1"}) {
		t.Error("plan change not audited")
	}
	tok := e.enrollToken(acme, 5, 0)
	_, first := e.enroll(tok)
	const want = "device limit of 1 reached: retire a device or raise the limit"
	_, err := identity.Enroll(identity.EnrollOptions{Dir: t.TempDir(), Server: e.url, Token: tok, Fingerprint: e.fp,
		Hostname: "second", OS: "linux", Arch: "amd64"})
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("enrollment past the limit: %v, want %q", err, want)
	}
	// The real agent prints the server's message.
	bin := filepath.Join(binaries(t), "steward-agent")
	out, err := exec.Command(bin, "enroll", "--server", e.url, "--token", tok, "--ca-fingerprint", e.fp,
		"--config", t.TempDir()).CombinedOutput()
	if err == nil || !strings.Contains(string(out), want) {
		t.Errorf("steward-agent enroll past the limit: %v\n%s", err, out)
	}
	var toks []api.EnrollToken
	e.api("GET", "/api/v1/tokens", nil, &toks)
	if len(toks) != 1 || toks[0].Uses != 1 {
		t.Errorf("token after refused enrollments: %+v, want 1 use", toks)
	}
	if got := e.deviceIDs(e.token, "retired=any"); got != first {
		t.Errorf("devices after refused enrollments: %q, want only %s", got, first)
	}
	if !e.auditHas("enroll.refused", "", map[string]string{"reason": want}) {
		t.Error("refusal not audited")
	}
	e.api("GET", "/api/v1/seats", nil, &seats)
	if seats.Devices.Used != 1 {
		t.Errorf("devices in use = %d, want 1", seats.Devices.Used)
	}
	// Lowering under the use is refused by the API.
	var er apiErr
	if code := e.api("POST", "/api/v1/devices/"+first+"/retire", nil, nil); code != 200 {
		t.Fatalf("retire: %d", code)
	}
	_, second := e.enroll(tok)
	if code := e.api("POST", "/api/v1/devices/"+first+"/restore", nil, &er); code != 409 || er.Error != want {
		t.Errorf("restore past the limit: %d %q, want 409 %q", code, er.Error, want)
	}
	e.api("GET", "/api/v1/seats", nil, &seats)
	if seats.Devices.Used != 1 {
		t.Errorf("devices in use with one retired = %d, want 1", seats.Devices.Used)
	}
	if code := e.api("PUT", "/api/v1/seats", map[string]any{"device_limit": 0}, nil); code != 200 {
		t.Fatalf("unlimited: %d", code)
	}
	if code := e.api("POST", "/api/v1/devices/"+first+"/restore", nil, nil); code != 200 {
		t.Errorf("restore under no limit: %d", code)
	}
	if got := e.deviceIDs(e.token, "sort=hostname"); !strings.Contains(got, first) || !strings.Contains(got, second) {
		t.Errorf("devices: %q", got)
	}
	if code := e.api("PUT", "/api/v1/seats", map[string]any{"device_limit": 1}, &er); code != 409 || !strings.Contains(er.Error, "2 in use") {
		t.Errorf("a limit below the use: %d %q", code, er.Error)
	}
}

// TestSeatRefusals: a technician without a remote support seat signs in
// and views, but every technician action answers 403 naming the seat;
// giving a seat past the limit is refused with the count and the limit.
func TestSeatRefusals(t *testing.T) {
	e := startServer(t, serverConfig())
	acme := e.createClient("Acme")
	_, dev, _ := onlineAgent(t, e, acme, agentConfig())
	tech := e.createUser("tech", "technician")
	tok := e.tokenFor("tech")
	var u api.User
	if code := e.api("PUT", "/api/v1/users/"+tech+"/seats/remote_support", map[string]any{"enabled": false}, &u); code != 200 ||
		!slices.Equal(u.Seats, []string{"service_desk"}) { // technicians work tickets with the other seat
		t.Fatalf("take the seat away: %d %+v", code, u)
	}
	if !e.auditHas("user.seat", tech, map[string]string{"module": "remote_support", "enabled": "false"}) {
		t.Error("seat change not audited")
	}
	if got := e.deviceIDs(tok, ""); got != dev {
		t.Errorf("a seatless technician views %q, want %s", got, dev)
	}
	const want = "needs a remote support seat"
	var er apiErr
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/jobs", script([]string{dev}, "id")},
		{"POST", "/api/v1/jobs", map[string]any{"devices": []string{dev}, "kind": "power", "power": map[string]any{"action": "reboot"}}},
		{"POST", "/api/v1/devices/" + dev + "/shell/ticket", nil},
		{"POST", "/api/v1/scripts", map[string]any{"name": "x", "interpreter": "sh", "body": "id"}},
	} {
		er = apiErr{}
		if code := e.apiAs(tok, c.method, c.path, c.body, &er); code != 403 || !strings.Contains(er.Error, want) {
			t.Errorf("%s %s without a seat: %d %q, want 403 naming the seat", c.method, c.path, code, er.Error)
		}
	}
	var me api.Me
	e.apiAs(tok, "GET", "/api/v1/me", nil, &me)
	if !slices.Equal(me.Seats, []string{"service_desk"}) {
		t.Errorf("me.seats = %v", me.Seats)
	}

	// Two users hold seats (admin and tech once given back): a limit of 2.
	if code := e.api("PUT", "/api/v1/users/"+tech+"/seats/remote_support", map[string]any{"enabled": true}, &u); code != 200 ||
		!slices.Equal(u.Seats, []string{"remote_support", "service_desk"}) {
		t.Fatalf("give the seat back: %d %+v", code, u)
	}
	if code := e.apiAs(tok, "POST", "/api/v1/jobs", script([]string{dev}, "id"), nil); code != 201 {
		t.Errorf("job with the seat back: %d", code)
	}
	if code := e.api("PUT", "/api/v1/seats", map[string]any{"remote_support": 1}, &er); code != 409 || !strings.Contains(er.Error, "2 in use") {
		t.Errorf("a seat limit below the use: %d %q", code, er.Error)
	}
	var seats api.Seats
	if code := e.api("PUT", "/api/v1/seats", map[string]any{"remote_support": 2}, &seats); code != 200 ||
		seats.Modules[0].Module != "remote_support" || seats.Modules[0].Limit != 2 || seats.Modules[0].Used != 2 {
		t.Fatalf("limit 2: %d %+v", code, seats)
	}
	// A new technician while every seat is taken is made without one.
	tech2 := e.createUser("tech2", "technician")
	e.api("GET", "/api/v1/users/"+tech2, nil, &u)
	if slices.Contains(u.Seats, "remote_support") {
		t.Errorf("a user made with no seat free holds %v", u.Seats)
	}
	if code := e.api("PUT", "/api/v1/users/"+tech2+"/seats/remote_support", map[string]any{"enabled": true}, &er); code != 409 ||
		!strings.Contains(er.Error, "2 of 2 in use") {
		t.Errorf("a seat past the limit: %d %q, want 409 with the count and limit", code, er.Error)
	}
	if code := e.api("PUT", "/api/v1/users/"+tech+"/seats/remote_support", map[string]any{"enabled": false}, nil); code != 200 {
		t.Fatal("take tech's seat")
	}
	if code := e.api("PUT", "/api/v1/users/"+tech2+"/seats/remote_support", map[string]any{"enabled": true}, &u); code != 200 || !slices.Contains(u.Seats, "remote_support") {
		t.Errorf("a freed seat: %d %+v", code, u)
	}
	// A role change that would take a seat takes none while none is free.
	viewer := e.createUser("viewer", "read-only")
	if code := e.api("PATCH", "/api/v1/users/"+viewer, map[string]any{"role": "technician"}, &u); code != 200 || slices.Contains(u.Seats, "remote_support") {
		t.Errorf("a read-only user made technician with no seat free: %d %+v", code, u)
	}
	e.api("GET", "/api/v1/seats", nil, &seats)
	if seats.Modules[0].Used != 2 {
		t.Errorf("seats in use after the role change: %d, want 2", seats.Modules[0].Used)
	}
	if code := e.api("PUT", "/api/v1/users/"+tech2+"/seats/bogus", map[string]any{"enabled": true}, &er); code != 404 {
		t.Errorf("unknown module: %d", code)
	}
}

// TestSeatLimitFixedByFlag: a limit given by a server flag wins and the
// API cannot change it.
func TestSeatLimitFixedByFlag(t *testing.T) {
	cfg := serverConfig()
	cfg.SeatsRemoteSupport, cfg.DeviceLimit = 3, 10
	e := startServer(t, cfg)
	var seats api.Seats
	e.api("GET", "/api/v1/seats", nil, &seats)
	if seats.Modules[0].Limit != 3 || !seats.Modules[0].Fixed || seats.Devices.Limit != 10 || !seats.Devices.Fixed ||
		seats.Modules[1].Limit != 0 || seats.Modules[1].Fixed {
		t.Fatalf("plan with flags: %+v", seats)
	}
	var er apiErr
	if code := e.api("PUT", "/api/v1/seats", map[string]any{"remote_support": 5}, &er); code != 409 || !strings.Contains(er.Error, "--seats-remote-support") {
		t.Errorf("changing a flag's limit: %d %q", code, er.Error)
	}
	if code := e.api("PUT", "/api/v1/seats", map[string]any{"service_desk": 4}, &seats); code != 200 || seats.Modules[1].Limit != 4 || seats.Modules[0].Limit != 3 {
		t.Errorf("a limit no flag fixes: %d %+v", code, seats)
	}
}

// TestBulkMoveScopedAndAudited: bulk moves are audited per device; a user
// scoped to some clients cannot move a device into or out of a client
// outside its scope (404, nothing changed); favourites are per user.
func TestBulkMoveScopedAndAudited(t *testing.T) {
	e := startServer(t, serverConfig())
	a, b, c := e.createClient("Alpha"), e.createClient("Bravo"), e.createClient("Charlie")
	tokA := e.enrollToken(a, 5, 0)
	_, d1 := e.enroll(tokA)
	_, d2 := e.enroll(tokA)
	_, dc := e.enroll(e.enrollToken(c, 1, 0))
	e.createUser("ab-tech", "technician", a, b)
	tok := e.tokenFor("ab-tech")
	var res api.BulkDevicesResponse
	if code := e.apiAs(tok, "POST", "/api/v1/devices/bulk", map[string]any{"devices": []string{d1, d2}, "action": "move",
		"client": "Bravo", "group": "Moved"}, &res); code != 200 || res.Changed != 2 {
		t.Fatalf("bulk move: %d %+v", code, res)
	}
	for _, id := range []string{d1, d2} {
		if d := e.apiDevice(id); d.Client != b || d.Group != "Moved" {
			t.Errorf("%s after the move: client %s group %q", id, d.Client, d.Group)
		}
		if !e.auditHas("device.move", id, map[string]string{"from_client": a, "to_client": b, "group": "Moved"}) {
			t.Errorf("move of %s not audited", id)
		}
	}
	var er apiErr
	if code := e.apiAs(tok, "POST", "/api/v1/devices/bulk", map[string]any{"devices": []string{d1}, "action": "move", "client": c}, &er); code != 404 {
		t.Errorf("move into a client out of scope: %d %q", code, er.Error)
	}
	if code := e.apiAs(tok, "POST", "/api/v1/devices/bulk", map[string]any{"devices": []string{d1, dc}, "action": "move", "client": a}, &er); code != 404 {
		t.Errorf("move out of a client out of scope: %d %q", code, er.Error)
	}
	if code := e.apiAs(tok, "PATCH", "/api/v1/devices/"+dc, map[string]any{"client": a}, &er); code != 404 {
		t.Errorf("PATCH a device out of scope: %d", code)
	}
	if d := e.apiDevice(dc); d.Client != c {
		t.Errorf("the out-of-scope device moved to %s", d.Client)
	}
	if d := e.apiDevice(d1); d.Client != b {
		t.Errorf("a refused bulk request moved %s to %s", d1, d.Client)
	}
	// A single move back by PATCH keeps the folder.
	var resp api.DeviceResponse
	if code := e.apiAs(tok, "PATCH", "/api/v1/devices/"+d1, map[string]any{"client": "Alpha"}, &resp); code != 200 ||
		resp.Device.Client != a || resp.Device.Group != "Moved" {
		t.Errorf("PATCH move: %d %+v", code, resp.Device)
	}

	// Favourites are the caller's own.
	if code := e.apiAs(tok, "PUT", "/api/v1/devices/"+d2+"/favorite", nil, nil); code != 200 {
		t.Fatalf("star: %d", code)
	}
	if got := e.deviceIDs(tok, "favorite=true"); got != d2 {
		t.Errorf("ab-tech's favourites: %q", got)
	}
	if got := e.deviceIDs(e.token, "favorite=true"); got != "" {
		t.Errorf("admin's favourites: %q, want none", got)
	}
	if got := e.deviceIDs(tok, "favorite=false"); got != d1 {
		t.Errorf("ab-tech's other devices: %q", got)
	}
	// Bulk retire and restore.
	if code := e.apiAs(tok, "POST", "/api/v1/devices/bulk", map[string]any{"devices": []string{d1, d2}, "action": "retire"}, &res); code != 200 || res.Changed != 2 {
		t.Errorf("bulk retire: %d %+v", code, res)
	}
	if got := e.deviceIDs(tok, "monitored=true"); got != "" {
		t.Errorf("monitored with both retired: %q", got)
	}
	if got := e.deviceIDs(tok, "retired=true&favorite=true"); got != d2 {
		t.Errorf("retired favourites: %q", got)
	}
	if code := e.apiAs(tok, "POST", "/api/v1/devices/bulk", map[string]any{"devices": []string{d1}, "action": "restore"}, &res); code != 200 || res.Changed != 1 {
		t.Errorf("bulk restore: %d %+v", code, res)
	}
	if got := e.deviceIDs(tok, "monitored=true"); got != d1 {
		t.Errorf("monitored after a restore: %q", got)
	}
	if code := e.apiAs(tok, "GET", "/api/v1/devices?type=toaster", nil, &er); code != 400 {
		t.Errorf("unknown type: %d", code)
	}
	if got := e.deviceIDs(tok, "type=workstation"); got != "" {
		t.Errorf("linux devices as workstations: %q", got)
	}
	if got := e.deviceIDs(tok, "type=linux"); got != d1 {
		t.Errorf("type=linux: %q", got)
	}
}

// TestStewardctlSeatsAndRetire: the CLI against a real server: seats show
// and set, users seat, devices retire (by hostname) and restore, move and
// favourite, each doing what the API says.
func TestStewardctlSeatsAndRetire(t *testing.T) {
	e := startServer(t, serverConfig())
	acme, beta := e.createClient("Acme"), e.createClient("Beta")
	_, id := e.enroll(e.enrollToken(acme, 1, 0)) // hostname test-host
	e.createUser("tina", "technician")
	if out, errs, code := e.ctl(t, "seats", "set", "--remote-support", "5", "--devices", "10"); code != 0 ||
		!strings.Contains(out, "remote support seats  2     5") || !strings.Contains(out, "devices               1     10") {
		t.Errorf("seats set: %d %q %q", code, out, errs)
	}
	// tina keeps her service-desk seat (technicians hold both by default).
	if out, errs, code := e.ctl(t, "users", "seat", "tina", "remote-support", "off"); code != 0 || !strings.Contains(out, "tina  technician  service-desk\n") {
		t.Errorf("users seat off: %d %q %q", code, out, errs)
	}
	if out, _, code := e.ctl(t, "seats", "show"); code != 0 || !strings.Contains(out, "remote support seats  1     5") {
		t.Errorf("seats show after taking a seat: %d %q", code, out)
	}
	if out, errs, code := e.ctl(t, "devices", "retire", "test-host"); code != 0 || !strings.Contains(out, id+"  true") {
		t.Errorf("devices retire: %d %q %q", code, out, errs)
	}
	if d := e.apiDevice(id); !d.Retired {
		t.Error("not retired")
	}
	// Retired devices still resolve by name.
	if out, errs, code := e.ctl(t, "devices", "restore", "test-host"); code != 0 || !strings.Contains(out, id+"  true") {
		t.Errorf("devices restore: %d %q %q", code, out, errs)
	}
	if out, errs, code := e.ctl(t, "devices", "move", id, "--client", "Beta", "--folder", "Lab"); code != 0 {
		t.Errorf("devices move: %d %q %q", code, out, errs)
	}
	if d := e.apiDevice(id); d.Client != beta || d.Group != "Lab" {
		t.Errorf("after the move: %s %q", d.Client, d.Group)
	}
	if _, errs, code := e.ctl(t, "devices", "favourite", id); code != 0 {
		t.Errorf("favourite: %d %q", code, errs)
	}
	if got := e.deviceIDs(e.token, "favorite=true"); got != id {
		t.Errorf("favourites after the CLI: %q", got)
	}
	if out, _, code := e.ctl(t, "devices", "list", "--favourites"); code != 0 || !strings.Contains(out, id) {
		t.Errorf("devices list --favourites: %d %q", code, out)
	}
}
