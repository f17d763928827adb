//go:build linux

package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/agent/inventory"
	"github.com/steward-rmm/steward/api"
)

// TestAutomationTimeZones: a client's time zone is set through the API
// (validated: a bad name is a 400 saying so; audited) and the CLI; a
// technician scoped to another client gets 404 setting it; a real
// agent reports its device's zone; a daily 09:00 task in the "client"
// zone is next due at 09:00 in the client's zone, one in the "device"
// zone at 09:00 in the device's, and changing the client's zone moves
// the next due time at the scheduler's next reconcile.
func TestAutomationTimeZones(t *testing.T) {
	cfg := serverConfig()
	cfg.AutomationReconcile = 200 * time.Millisecond
	newYork := mustLoc(t, "America/New_York")
	cfg.AutomationTimeZone = newYork // --automation-tz
	e := startServer(t, cfg)
	acme, bravo := e.createClient("Acme"), e.createClient("Bravo")
	tokyo, paris := mustLoc(t, "Asia/Tokyo"), mustLoc(t, "Europe/Paris")

	var pg api.ClientPage
	if code := e.api("PATCH", "/api/v1/clients/"+acme, map[string]any{"time_zone": "Asia/Tokyo"}, &pg); code != 200 || pg.Profile.TimeZone != "Asia/Tokyo" {
		t.Fatalf("set Acme's zone: %d %+v", code, pg.Profile)
	}
	for _, bad := range []string{"Mars/Olympus", "Local", "../../etc/passwd", "Europe/Paris\x00"} {
		if code, msg := e.apiErr("PATCH", "/api/v1/clients/"+acme, map[string]any{"time_zone": bad}); code != 400 || !strings.Contains(msg, "unknown time zone") {
			t.Errorf("zone %q: %d %q, want 400 unknown time zone", bad, code, msg)
		}
	}
	pg = api.ClientPage{}
	e.api("GET", "/api/v1/clients/"+acme, nil, &pg)
	if pg.Profile.TimeZone != "Asia/Tokyo" {
		t.Fatalf("a refused zone changed it: %q", pg.Profile.TimeZone)
	}
	var evs []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=client.update", nil, &evs)
	if len(evs) != 1 || evs[0].Detail["time_zone"] != "Asia/Tokyo" || !strings.Contains(evs[0].Detail["fields"], "time_zone") {
		t.Fatalf("audit of the zone change: %+v", evs)
	}
	// Scope: Acme's technician cannot see or set Bravo's zone.
	e.createUser("acme-tech", "technician", acme)
	tok := e.tokenFor("acme-tech")
	if code := e.apiAs(tok, "PATCH", "/api/v1/clients/"+bravo, map[string]any{"time_zone": "Europe/Paris"}, nil); code != 404 {
		t.Fatalf("Acme's technician setting Bravo's zone: %d, want 404", code)
	}
	var bp api.ClientPage
	if code := e.api("GET", "/api/v1/clients/"+bravo, nil, &bp); code != 200 || bp.Profile.TimeZone != "" {
		t.Fatalf("Bravo's zone set by Acme's technician: %d %q", code, bp.Profile.TimeZone)
	}

	// The device reports its zone, as this machine's.
	_, id, _ := onlineAgent(t, e, acme, agentConfig())
	want := inventory.TimeZone()
	var dd api.DeviceDetail
	waitFor(t, "the device's inventory", func() bool {
		e.api("GET", "/api/v1/devices/"+id, nil, &dd)
		return dd.Inventory != nil
	})
	if dd.Inventory.TimeZone != want {
		t.Fatalf("device zone %q, want this machine's %q", dd.Inventory.TimeZone, want)
	}
	devLoc := time.UTC // the server's zone in the test config, when the machine has none
	if want != "" {
		devLoc = mustLoc(t, want)
	}

	// A bad zone in a schedule: 400 naming it.
	daily := func(id, zone string) map[string]any {
		return map[string]any{"id": id, "name": id, "action": "patch-scan", "schedule": map[string]any{"kind": "daily", "at": "09:00", "time_zone": zone}}
	}
	if code, msg := e.apiErr("POST", "/api/v1/automation/profiles", map[string]any{"name": "bad", "client": "Acme",
		"tasks": []any{daily("x", "Nowhere/City")}}); code != 400 || !strings.Contains(msg, `unknown time zone "Nowhere/City"`) {
		t.Fatalf("bad schedule zone: %d %q", code, msg)
	}
	if code := e.api("POST", "/api/v1/automation/profiles", map[string]any{"name": "Morning", "client": "Acme",
		"tasks": []any{daily("cli", "client"), daily("dev", "device"), daily("srv", "")}}, nil); code != 201 {
		t.Fatalf("profile: %d", code)
	}
	if code := e.api("POST", "/api/v1/automation/assignments", api.AssignRequest{Level: "client", Client: "Acme", Profile: "Morning"}, nil); code != 200 {
		t.Fatalf("assign: %d", code)
	}
	next := func(task string, loc *time.Location) func() bool {
		return func() bool {
			var dt api.DeviceTasks
			e.api("GET", "/api/v1/devices/"+id+"/automation", nil, &dt)
			for _, tf := range dt.Tasks {
				if tf.Task.ID == task && !tf.NextRun.IsZero() {
					l := tf.NextRun.In(loc)
					return l.Hour() == 9 && l.Minute() == 0 && tf.NextRun.After(time.Now()) && time.Until(tf.NextRun) <= 24*time.Hour &&
						(tf.TimeZone == loc.String() || loc == time.UTC && tf.TimeZone == "")
				}
			}
			return false
		}
	}
	waitFor(t, "the client-zone task due at 09:00 Tokyo", next("cli", tokyo))
	waitFor(t, "the device-zone task due at 09:00 in the device's zone", next("dev", devLoc))
	waitFor(t, "a task naming no zone due at 09:00 in the server's (--automation-tz New York)", next("srv", newYork))

	// The CLI moves Acme to Paris: the next reconcile moves the task.
	out, errs, code := e.ctl(t, "clients", "update", "Acme", "--tz", "Europe/Paris")
	if code != 0 || !regexpMatch(`(?m)^Time zone\s+Europe/Paris\s*$`, out) {
		t.Fatalf("clients update --tz: %d %s %s", code, out, errs)
	}
	if _, errs, code := e.ctl(t, "clients", "update", "Acme", "--tz", "Nowhere/City"); code == 0 || !strings.Contains(errs, "unknown time zone") {
		t.Fatalf("clients update with a bad --tz: %d %s", code, errs)
	}
	waitFor(t, "the client-zone task due at 09:00 Paris", next("cli", paris))
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	return loc
}
