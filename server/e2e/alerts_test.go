//go:build linux

package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-rmm/steward/agent/sim"
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
)

// alertServer is a server that evaluates its checks often.
func alertServer(t *testing.T) *env {
	cfg := serverConfig()
	cfg.AlertInterval = 100 * time.Millisecond
	return startServer(t, cfg)
}

// diskAgent runs a real agent whose inventory reports one volume "/"
// of 100 GiB with the free space free holds.
func diskAgent(t *testing.T, e *env, client string, free *atomic.Uint64) string {
	t.Helper()
	cfg := agentConfig()
	cfg.Inventory = func(context.Context) protocol.Inventory {
		return protocol.Inventory{Hostname: "disk-host", OS: "linux", Platform: "debian",
			Disks: []protocol.Disk{{Mount: "/", Filesystem: "ext4", Total: 100 << 30, Free: free.Load()}}}
	}
	_, id, _ := onlineAgent(t, e, client, cfg)
	return id
}

func (e *env) alerts(query string) api.AlertList {
	e.t.Helper()
	var out api.AlertList
	if code := e.api("GET", "/api/v1/alerts?"+query, nil, &out); code != 200 {
		e.t.Fatalf("alerts?%s: %d", query, code)
	}
	return out
}

// TestDiskThresholdRaisesAndResolves: a real agent's disk crossing a
// profile's critical threshold raises one alert (live event, device-list
// count, metric, checks in force); going back under resolves it, and the
// device's and client's histories keep it. The profile and its
// assignment are audited.
func TestDiskThresholdRaisesAndResolves(t *testing.T) {
	e := alertServer(t)
	acme := e.createClient("Acme")
	var free atomic.Uint64
	free.Store(50 << 30)
	id := diskAgent(t, e, acme, &free)

	var pr api.Profile
	if code := e.api("POST", "/api/v1/profiles", api.ProfileRequest{Name: "Servers", Client: "Acme", Checks: []api.Check{
		{Kind: "disk", Warning: 20, Critical: 10, FailAfter: 1, PassAfter: 1},
		{Kind: "availability", Warning: 5, Critical: 30}}}, &pr); code != 201 || len(pr.Checks) != 2 || pr.Checks[0].ID != "disk" {
		t.Fatalf("create profile: %d %+v", code, pr)
	}
	if code := e.api("POST", "/api/v1/profile-assignments", api.AssignRequest{Level: "client", Client: acme, Profile: "Servers"}, nil); code != 200 {
		t.Fatalf("assign: %d", code)
	}
	var checks api.DeviceChecks
	waitFor(t, "the disk check passing", func() bool {
		e.api("GET", "/api/v1/devices/"+id+"/checks", nil, &checks)
		return len(checks.Checks) == 2 && checks.Checks[0].State == "ok"
	})
	if c := checks.Checks[0]; c.Level != "client" || c.Source != "client Acme" || c.ProfileName != "Servers" {
		t.Fatalf("check in force = %+v", c)
	}
	evs := e.events(e.token)
	free.Store(5 << 30) // 5% free: critical
	if code := e.api("POST", "/api/v1/devices/"+id+"/refresh?what=inventory", nil, nil); code != 202 {
		t.Fatalf("refresh: %d", code)
	}
	raised := until(t, evs, func(ev streamEvent) bool { return ev.Type == "alert" && ev.State == "raised" })
	last := raised[len(raised)-1]
	if last.DeviceID != id || last.ClientID != acme {
		t.Fatalf("alert event = %+v", last)
	}
	open := e.alerts("status=open&device=" + id)
	if len(open.Alerts) != 1 {
		t.Fatalf("open alerts = %+v", open)
	}
	al := open.Alerts[0]
	if al.ID != last.ID || al.Severity != "critical" || al.Category != "disk" || al.Title != "Low disk space on /" ||
		al.ClientName != "Acme" || al.DeviceName != "disk-host" || al.CheckTarget != "/" || al.DeviceType != "linux" {
		t.Fatalf("alert = %+v", al)
	}
	// Search and filters find it; others do not.
	for q, n := range map[string]int{"search=disk-host": 1, "search=acme": 1, "search=nothing": 0, "severity=warning": 0,
		"severity=critical&category=disk&device_type=linux": 1, "category=performance": 0, "client=Acme": 1} {
		if got := len(e.alerts(q).Alerts); got != n {
			t.Errorf("alerts?%s: %d, want %d", q, got, n)
		}
	}
	var list api.DeviceList
	e.api("GET", "/api/v1/devices", nil, &list)
	if len(list.Devices) != 1 || list.Devices[0].Alerts.Critical != 1 || list.Devices[0].Alerts.Warning != 0 {
		t.Fatalf("device list alert counts = %+v", list.Devices)
	}
	for q, n := range map[string]int{"alert_severity=critical": 1, "alert_severity=any": 1, "alert_severity=warning": 0,
		"alert_category=disk": 1, "alert_category=performance": 0, "alert_severity=critical&alert_category=disk": 1} {
		var l api.DeviceList
		if code := e.api("GET", "/api/v1/devices?"+q, nil, &l); code != 200 || l.Total != n {
			t.Errorf("devices?%s: %d, %d devices, want %d", q, code, l.Total, n)
		}
	}
	if m := e.rawGet(t, "/metrics"); !strings.Contains(m, `steward_alerts_open{severity="critical"} 1`) {
		t.Fatalf("metrics lack the open critical alert:\n%s", grepLines(m, "steward_alerts_open"))
	}
	free.Store(40 << 30)
	e.api("POST", "/api/v1/devices/"+id+"/refresh?what=inventory", nil, nil)
	until(t, evs, func(ev streamEvent) bool { return ev.Type == "alert" && ev.State == "resolved" && ev.ID == al.ID })
	var detail api.AlertDetail
	if code := e.api("GET", "/api/v1/alerts/"+al.ID, nil, &detail); code != 200 || detail.Alert.Status != "resolved" ||
		detail.Alert.ResolvedBy != "" || len(detail.Events) != 2 || detail.Events[1].Kind != "resolved" {
		t.Fatalf("resolved alert = %d %+v", code, detail)
	}
	var hist api.AlertList
	e.api("GET", "/api/v1/devices/"+id+"/alerts", nil, &hist)
	if len(hist.Alerts) != 1 || hist.Alerts[0].ID != al.ID {
		t.Fatalf("device history = %+v", hist)
	}
	e.api("GET", "/api/v1/clients/Acme/alerts?status=resolved", nil, &hist)
	if len(hist.Alerts) != 1 {
		t.Fatalf("client history = %+v", hist)
	}
	e.api("GET", "/api/v1/devices", nil, &list)
	if list.Devices[0].Alerts != (api.AlertCounts{}) {
		t.Fatalf("counts after resolve = %+v", list.Devices[0].Alerts)
	}
	var audit []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=profile.assign", nil, &audit)
	if len(audit) != 1 || audit[0].Client != acme {
		t.Fatalf("assignment audit = %+v", audit)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestAlertActionsScopeAndCLI: snooze and resolve through stewardctl
// (audited, with who and why), a maintenance window that suppresses,
// and a user scoped to one client who sees nothing of another's alerts,
// profiles or windows and cannot write global ones.
func TestAlertActionsScopeAndCLI(t *testing.T) {
	e := alertServer(t)
	alpha, bravo := e.createClient("Alpha"), e.createClient("Bravo")
	var freeA, freeB atomic.Uint64
	freeA.Store(1 << 30)
	freeB.Store(1 << 30)
	devA := diskAgent(t, e, alpha, &freeA)
	devB := diskAgent(t, e, bravo, &freeB)
	out, errs, code := e.ctl(t, "profiles", "create", "Disks", "--check", "kind=disk,warning=20,critical=5,fail_after=1")
	if code != 0 || !strings.Contains(out, "with 1 checks") {
		t.Fatalf("profiles create: %d %q %q", code, out, errs)
	}
	// Bravo is in maintenance (from before the profile applies): its alert
	// is suppressed and recorded.
	out, errs, code = e.ctl(t, "maintenance", "create", "Bravo works", "--client", "Bravo", "--start",
		time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "--minutes", "60")
	if code != 0 {
		t.Fatalf("maintenance create: %d %q %q", code, out, errs)
	}
	wout := out
	if out, errs, code := e.ctl(t, "profiles", "assign", "Disks", "--default"); code != 0 || !strings.Contains(out, "default") {
		t.Fatalf("profiles assign: %d %q %q", code, out, errs)
	}
	var wins []api.MaintenanceWindow
	e.api("GET", "/api/v1/maintenance", nil, &wins)
	if len(wins) != 1 || !wins[0].Active || !strings.Contains(wout, "saved") {
		t.Fatalf("windows = %+v", wins)
	}
	out, errs, code = e.ctl(t, "maintenance", "update", wins[0].ID, "Bravo works", "--client", "Bravo", "--start",
		wins[0].Start.Format(time.RFC3339), "--minutes", "90")
	e.api("GET", "/api/v1/maintenance", nil, &wins)
	if code != 0 || len(wins) != 1 || wins[0].Minutes != 90 || !wins[0].Active {
		t.Fatalf("maintenance update: %d %q %q %+v", code, out, errs, wins)
	}
	waitFor(t, "Alpha's alert", func() bool { return len(e.alerts("status=open&device="+devA).Alerts) == 1 })
	var wd api.WindowDetail
	waitFor(t, "Bravo's suppressed alert", func() bool {
		e.api("GET", "/api/v1/maintenance/"+wins[0].ID, nil, &wd)
		return len(wd.Suppressed) == 1
	})
	if len(e.alerts("device="+devB).Alerts) != 0 || wd.Suppressed[0].DeviceID != devB || wd.Suppressed[0].Severity != "critical" {
		t.Fatalf("Bravo inside its window: %+v", wd)
	}
	alA := e.alerts("device=" + devA).Alerts[0]
	out, errs, code = e.ctl(t, "alerts", "list")
	if code != 0 || !strings.Contains(out, alA.ID) || !strings.Contains(out, "critical") || !strings.Contains(out, "Alpha") {
		t.Fatalf("alerts list: %d %q %q", code, out, errs)
	}
	if out, errs, code := e.ctl(t, "alerts", "snooze", alA.ID, "--for", "2h", "--reason", "vendor ticket"); code != 0 || !strings.Contains(out, "snoozed until") {
		t.Fatalf("alerts snooze: %d %q %q", code, out, errs)
	}
	if a := e.alerts("device=" + devA).Alerts[0]; a.Status != "snoozed" || a.SnoozedUntil.Before(time.Now().Add(time.Hour)) {
		t.Fatalf("snoozed = %+v", a)
	}
	if out, errs, code := e.ctl(t, "alerts", "resolve", alA.ID, "--reason", "disk replaced"); code != 0 || !strings.Contains(out, "resolved by admin") {
		t.Fatalf("alerts resolve: %d %q %q", code, out, errs)
	}
	if _, _, code := e.ctl(t, "alerts", "resolve", alA.ID, "--reason", "again"); code == 0 {
		t.Fatal("resolving a resolved alert succeeded")
	}
	out, _, _ = e.ctl(t, "alerts", "show", alA.ID)
	for _, want := range []string{"raised", "snoozed", "resolved", "disk replaced", "vendor ticket", "admin"} {
		if !strings.Contains(out, want) {
			t.Errorf("alerts show lacks %q:\n%s", want, out)
		}
	}
	var audit []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=alert.resolve", nil, &audit)
	if len(audit) != 1 || audit[0].Target != alA.ID || audit[0].Detail["reason"] != "disk replaced" || audit[0].Client != alpha {
		t.Fatalf("resolve audit = %+v", audit)
	}
	// Exempting the check on Alpha's device: nothing is raised again.
	if out, errs, code := e.ctl(t, "profiles", "exempt", devA, "Disks", "disk", "--reason", "scratch disk"); code != 0 {
		t.Fatalf("exempt: %d %q %q", code, out, errs)
	}
	out, _, _ = e.ctl(t, "profiles", "checks", devA)
	if !strings.Contains(out, "exempt") || !strings.Contains(out, "everything") {
		t.Fatalf("profiles checks: %q", out)
	}

	// A user scoped to Alpha.
	e.createUser("alpha-tech", "technician", alpha)
	tok := e.tokenFor("alpha-tech")
	var list api.AlertList
	// (Alpha's check still failed after the resolve: it may have raised a
	// new alert before the exemption.)
	if code := e.apiAs(tok, "GET", "/api/v1/alerts?status=open,snoozed,resolved", nil, &list); code != 200 || len(list.Alerts) == 0 ||
		list.Alerts[len(list.Alerts)-1].ID != alA.ID {
		t.Fatalf("scoped alerts = %d %+v", code, list)
	}
	for _, al := range list.Alerts {
		if al.ClientID != alpha {
			t.Fatalf("a user scoped to Alpha sees %+v", al)
		}
	}
	var ws []api.MaintenanceWindow
	if e.apiAs(tok, "GET", "/api/v1/maintenance", nil, &ws); len(ws) != 0 {
		t.Fatalf("scoped user sees Bravo's window: %+v", ws)
	}
	for _, p := range []string{"/api/v1/maintenance/" + wins[0].ID, "/api/v1/clients/Bravo/alerts", "/api/v1/devices/" + devB + "/checks",
		"/api/v1/devices/" + devB + "/alerts", "/api/v1/alerts?client=Bravo", "/api/v1/alerts?device=" + devB} {
		if code := e.apiAs(tok, "GET", p, nil, nil); code != 404 {
			t.Errorf("scoped GET %s: %d, want 404", p, code)
		}
	}
	// Global profiles and the default assignment need every client.
	if code := e.apiAs(tok, "POST", "/api/v1/profiles", api.ProfileRequest{Name: "Mine", Checks: []api.Check{{Kind: "cpu", Warning: 90}}}, nil); code != 403 {
		t.Errorf("scoped global profile: %d, want 403", code)
	}
	if code := e.apiAs(tok, "DELETE", "/api/v1/profiles/Disks", nil, nil); code != 403 {
		t.Errorf("scoped delete of a global profile: %d, want 403", code)
	}
	if code := e.apiAs(tok, "POST", "/api/v1/profile-assignments", api.AssignRequest{Level: "default", Profile: "Disks"}, nil); code != 403 {
		t.Errorf("scoped default assignment: %d, want 403", code)
	}
	if code := e.apiAs(tok, "POST", "/api/v1/profiles", api.ProfileRequest{Name: "Alpha disks", Client: "Alpha",
		Checks: []api.Check{{Kind: "disk", Warning: 10}}}, nil); code != 201 {
		t.Errorf("scoped profile of its own client: %d, want 201", code)
	}
	// A read-only user sees alerts but cannot act on them.
	e.createUser("viewer", "read-only")
	if code := e.apiAs(e.tokenFor("viewer"), "POST", "/api/v1/alerts/"+alA.ID+"/snooze", api.SnoozeRequest{Minutes: 5}, nil); code != 403 {
		t.Errorf("read-only snooze: %d, want 403", code)
	}
	// Bad input: clear errors.
	for _, c := range []struct {
		path string
		body any
		want int
	}{
		{"/api/v1/profiles", api.ProfileRequest{Name: "x", Checks: []api.Check{{Kind: "nope"}}}, 400},
		{"/api/v1/profiles", api.ProfileRequest{Name: "x", Checks: []api.Check{{Kind: "disk"}}}, 400},
		{"/api/v1/profiles", api.ProfileRequest{Name: "Disks", Checks: []api.Check{}}, 409},
		{"/api/v1/profiles", api.ProfileRequest{Name: "bidi\u202e", Checks: []api.Check{}}, 400},
		{"/api/v1/maintenance", api.WindowRequest{Name: "w", Client: "Alpha", Start: time.Now(), Minutes: 10, Recur: "weekly"}, 400},
		{"/api/v1/maintenance", api.WindowRequest{Name: "w", Client: "Alpha", Start: time.Now(), Minutes: 10, TimeZone: "Mars/Base"}, 400},
		{"/api/v1/alerts/" + alA.ID + "/snooze", api.SnoozeRequest{}, 400},
		{"/api/v1/alerts/" + alA.ID + "/resolve", api.ResolveRequest{}, 400},
		{"/api/v1/alerts/al_nope/resolve", api.ResolveRequest{Reason: "x"}, 404},
		{"/api/v1/profiles", strings.Repeat("x", 70<<10), 413},
	} {
		if code := e.api("POST", c.path, c.body, nil); code != c.want {
			t.Errorf("POST %s %v: %d, want %d", c.path, c.body, code, c.want)
		}
	}
}

// TestSimLiveFileCrossesThresholds: steward-sim's live file makes its
// first agent report chosen figures; its disk and CPU crossing a default
// profile's thresholds raise alerts on that device alone, and going back
// resolves them.
func TestSimLiveFileCrossesThresholds(t *testing.T) {
	e := alertServer(t)
	e.createClient("Sim")
	tok := e.enrollToken("Sim", 3, 0)
	live := filepath.Join(t.TempDir(), "live")
	if err := os.WriteFile(live, []byte("5 40 50\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- sim.Run(ctx, sim.Config{Server: e.url, Fingerprint: e.fp, Token: tok, Agents: 2, Dir: t.TempDir(),
			Sources: []string{"127.0.0.1"}, Prefix: "simlive", LiveFile: live, LiveAgents: 1}, testLogger(t), func(string) {})
	}()
	t.Cleanup(func() { cancel(); <-done })
	var list api.DeviceList
	waitFor(t, "two simulated agents online", func() bool {
		e.api("GET", "/api/v1/devices?online=true", nil, &list)
		return list.Total == 2
	})
	if code := e.api("POST", "/api/v1/profiles", api.ProfileRequest{Name: "Default", Checks: []api.Check{
		{Kind: "disk", Warning: 20, Critical: 10, FailAfter: 1, PassAfter: 1},
		{Kind: "cpu", Warning: 80, FailAfter: 1, PassAfter: 1}}}, nil); code != 201 {
		t.Fatalf("profile: %d", code)
	}
	e.api("POST", "/api/v1/profile-assignments", api.AssignRequest{Level: "default", Profile: "Default"}, nil)
	if err := os.WriteFile(live, []byte("97 40 95\n"), 0o600); err != nil { // 5% free, CPU 97%
		t.Fatal(err)
	}
	var open api.AlertList
	waitFor(t, "disk and CPU alerts", func() bool {
		open = e.alerts("status=open")
		return len(open.Alerts) == 2
	})
	kinds := map[string]string{}
	for _, a := range open.Alerts {
		kinds[a.CheckKind] = a.Severity
		if !strings.HasSuffix(a.DeviceName, "-00000") {
			t.Errorf("alert on an agent that does not follow the live file: %+v", a)
		}
	}
	if kinds["disk"] != "critical" || kinds["cpu"] != "warning" {
		t.Fatalf("alerts = %+v", open.Alerts)
	}
	if err := os.WriteFile(live, []byte("5 40 50\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both resolved", func() bool { return len(e.alerts("status=open").Alerts) == 0 })
}
