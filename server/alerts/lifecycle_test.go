package alerts

import (
	"fmt"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
)

// TestLifecycleEscalateSnoozeResolve: warning raised after FailAfter,
// escalated to critical on the same alert (notified again), de-escalated,
// snoozed and reopened when the snooze ends while still failing, resolved
// by hand with who and why, raised again later as a new alert; the
// Notifier hears each change after it is stored, with the alert's facts.
func TestLifecycleEscalateSnoozeResolve(t *testing.T) {
	r := newRig(t)
	r.device("d1", "c1", "")
	r.profile("p1", "Servers", "", diskCheck)
	r.assign(store.ProfileAssignment{Level: store.LevelClient, ClientID: "c1", ProfileID: "p1"})
	step := func(n int, used float64) {
		for range n {
			r.heartbeat("d1", 5, 40, used)
			r.eval(10 * time.Second)
		}
	}
	step(2, 85)
	if len(r.open("d1")) != 0 {
		t.Fatal("raised before FailAfter")
	}
	step(1, 85)
	as := r.open("d1")
	if len(as) != 1 || as[0].Severity != SevWarning || as[0].Category != "disk" || as[0].ClientName != "Client c1" ||
		as[0].DeviceName != "host-d1" || as[0].ProfileName != "Servers" || as[0].DeviceType != "server" {
		t.Fatalf("raised = %+v", as)
	}
	id := as[0].ID
	// Critical (5% free) must hold FailAfter evaluations to escalate.
	step(2, 95)
	if a, _ := r.st.Alert(id); a.Severity != SevWarning {
		t.Fatalf("escalated before FailAfter critical evaluations: %+v", a)
	}
	step(1, 95)
	a, _ := r.st.Alert(id)
	if a.Severity != SevCritical || a.Status != store.AlertOpen || len(r.open("d1")) != 1 {
		t.Fatalf("after escalation: %+v (open %d)", a, len(r.open("d1")))
	}
	r.rec.mu.Lock()
	esc := r.rec.changes[len(r.rec.changes)-1]
	r.rec.mu.Unlock()
	if esc.Kind != "escalated" || esc.AlertID != id || esc.Severity != SevCritical || esc.Check != "disk fullest disk" ||
		esc.DeviceID != "d1" || esc.ClientID != "c1" || esc.ProfileID != "p1" || !esc.At.Equal(r.now) || esc.Detail != "5.0% free" {
		t.Fatalf("escalation change = %+v", esc)
	}
	step(3, 85) // back to warning for PassAfter evaluations
	if a, _ := r.st.Alert(id); a.Severity != SevWarning {
		t.Fatalf("not de-escalated: %+v", a)
	}
	// Snoozed for 5 minutes while failing: reopened when it ends.
	if _, err := r.w.Snooze(id, "ann", "looking", r.now.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if c := r.w.d.Fleet.(*testFleet).counts["d1"]; c.Warning != 1 {
		t.Fatalf("a snoozed alert still counts as unresolved: %+v", c)
	}
	step(20, 85)
	if a, _ := r.st.Alert(id); a.Status != store.AlertSnoozed {
		t.Fatalf("snooze ended early: %+v", a)
	}
	step(12, 85)
	if a, _ := r.st.Alert(id); a.Status != store.AlertOpen || !a.SnoozedUntil.IsZero() {
		t.Fatalf("not reopened after the snooze: %+v", a)
	}
	if _, err := r.w.Resolve(id, "bob", "cleaned /tmp"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.w.Resolve(id, "bob", "again"); err != errResolved {
		t.Fatalf("resolving twice: %v", err)
	}
	a, _ = r.st.Alert(id)
	if a.Status != store.AlertResolved || a.ResolvedBy != "bob" || a.Reason != "cleaned /tmp" {
		t.Fatalf("resolved = %+v", a)
	}
	if c := r.fl.counts["d1"]; c.Information+c.Warning+c.Critical != 0 || len(c.Categories) != 0 {
		t.Fatalf("counts after resolve = %+v", c)
	}
	want := []string{"raised", "escalated", "deescalated", "snoozed", "reopened", "resolved"}
	if got := r.rec.kinds(); len(got) != len(want) {
		t.Fatalf("changes %v, want %v", got, want)
	} else {
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("changes %v, want %v", got, want)
			}
		}
	}
	r.rec.mu.Lock()
	last := r.rec.changes[len(r.rec.changes)-1]
	r.rec.mu.Unlock()
	if last.By != "bob" || last.Reason != "cleaned /tmp" {
		t.Fatalf("resolve change = %+v", last)
	}
	evs, _ := r.st.AlertEvents(id)
	if len(evs) != len(want) || evs[5].By != "bob" {
		t.Fatalf("history = %+v", evs)
	}
	// Still failing: a new alert after FailAfter more failures.
	step(3, 85)
	if as := r.open("d1"); len(as) != 1 || as[0].ID == id {
		t.Fatalf("after a manual resolve, still failing: %+v", as)
	}
}

// TestRestartKeepsOpenAlert: a restarted wing loads its unresolved alerts
// and reports, raises no duplicate and resolves the loaded alert when the
// check passes.
func TestRestartKeepsOpenAlert(t *testing.T) {
	r := newRig(t)
	r.device("d1", "c1", "")
	r.profile("p1", "Default", "", store.Check{ID: "svc", Kind: KindService, Target: "nginx", FailAfter: 1, PassAfter: 1})
	r.assign(store.ProfileAssignment{Level: store.LevelDefault, ProfileID: "p1"})
	h := protocol.Health{Services: []protocol.Service{{Name: "nginx", State: "failed"}}}
	rec, err := fleet.HealthRecord("d1", "h1", r.now, &h)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.st.PutHealth(rec); err != nil {
		t.Fatal(err)
	}
	r.w.HealthReported("d1", &h)
	r.eval(5 * time.Second)
	as := r.open("d1")
	if len(as) != 1 || as[0].Severity != SevCritical || as[0].Title != "Service nginx not running" || as[0].Category != "applications" {
		t.Fatalf("service alert = %+v", as)
	}
	r.start() // a restart: the same store, a new wing
	r.eval(5 * time.Second)
	if got := r.open("d1"); len(got) != 1 || got[0].ID != as[0].ID {
		t.Fatalf("after restart: %+v", got)
	}
	if c := r.fl.counts["d1"]; c.Critical != 1 {
		t.Fatalf("counts after restart = %+v", c)
	}
	h.Services[0].State = "running"
	r.w.HealthReported("d1", &h)
	r.eval(5 * time.Second)
	if got := r.open("d1"); len(got) != 0 {
		t.Fatalf("not resolved after the service runs again: %+v", got)
	}
	if n := r.rec.count("raised"); n != 1 {
		t.Fatalf("raised %d times across a restart", n)
	}
}

// TestInheritanceAndExemption: the narrowest assignment wins (device,
// then folder, then client, then default); an exempted check is not
// evaluated on that device alone; unassigning resolves what the profile
// raised.
func TestInheritanceAndExemption(t *testing.T) {
	r := newRig(t)
	fail := store.Check{ID: "disk", Kind: KindDisk, Warning: 100, FailAfter: 1, PassAfter: 1} // always failing
	for _, p := range []string{"pDefault", "pClient", "pFolder", "pDevice"} {
		r.profile(p, p, "", fail)
	}
	r.assign(store.ProfileAssignment{Level: store.LevelDefault, ProfileID: "pDefault"})
	r.assign(store.ProfileAssignment{Level: store.LevelClient, ClientID: "c1", ProfileID: "pClient"})
	r.assign(store.ProfileAssignment{Level: store.LevelFolder, ClientID: "c1", Folder: "Servers", ProfileID: "pFolder"})
	r.assign(store.ProfileAssignment{Level: store.LevelDevice, ClientID: "c1", DeviceID: "d4", ProfileID: "pDevice"})
	// A folder of the same name at another client is another folder.
	want := map[string]string{"d1": "pDefault", "d2": "pClient", "d3": "pFolder", "d4": "pDevice", "d5": "pDefault"}
	r.device("d1", "c2", "")
	r.device("d2", "c1", "")
	r.device("d3", "c1", "Servers")
	r.device("d4", "c1", "Servers")
	r.device("d5", "c2", "Servers")
	r.device("d6", "c1", "Servers")
	want["d6"] = "pFolder"
	for id, s := range r.fl.samples {
		r.heartbeat(id, 1, 1, 50)
		p, _ := r.w.cfg.resolve(s)
		if p == nil || p.ID != want[id] {
			t.Errorf("%s: profile %v, want %s", id, p, want[id])
		}
	}
	if err := r.st.PutExemption(store.CheckExemption{DeviceID: "d6", ClientID: "c1", ProfileID: "pFolder", CheckID: "disk"}); err != nil {
		t.Fatal(err)
	}
	r.reload()
	r.eval(5 * time.Second)
	for id := range want {
		as := r.open(id)
		switch {
		case id == "d6" && len(as) != 0:
			t.Errorf("the exempted check raised on d6: %+v", as)
		case id != "d6" && (len(as) != 1 || as[0].ProfileID != want[id]):
			t.Errorf("%s alerts = %+v, want one of %s", id, as, want[id])
		}
	}
	// Removing the device's assignment: d4 falls back to its folder's
	// profile; the pDevice alert resolves, a pFolder one is raised.
	r.assign(store.ProfileAssignment{Level: store.LevelDevice, ClientID: "c1", DeviceID: "d4"})
	r.eval(5 * time.Second)
	as := r.open("d4")
	if len(as) != 1 || as[0].ProfileID != "pFolder" {
		t.Fatalf("d4 after unassigning = %+v", as)
	}
	old, _ := r.st.Alerts(store.AlertQuery{DeviceID: "d4", Statuses: []string{store.AlertResolved}})
	if len(old) != 1 || old[0].ProfileID != "pDevice" || old[0].ResolvedBy != "" || old[0].Reason == "" {
		t.Fatalf("the pDevice alert = %+v", old)
	}
}

// TestMaintenanceWindow: inside a window nothing is raised and the
// suppression is recorded once per failing run; a check still failing
// when the window ends raises its alert then; a passing check raises
// nothing after it.
func TestMaintenanceWindow(t *testing.T) {
	r := newRig(t)
	r.device("d1", "c1", "")
	r.device("d2", "c1", "")
	r.device("d3", "c2", "")
	r.profile("p1", "Default", "", store.Check{ID: "avail", Kind: KindAvailability, Warning: 5, Critical: 30})
	r.assign(store.ProfileAssignment{Level: store.LevelDefault, ProfileID: "p1"})
	win := store.MaintenanceWindow{ID: "mw1", Name: "Patch night", Level: store.LevelClient, ClientID: "c1", Start: r.now,
		Minutes: 60, TimeZone: "UTC"}
	if err := r.st.PutWindow(win); err != nil {
		t.Fatal(err)
	}
	r.reload()
	for _, id := range []string{"d1", "d2", "d3"} {
		s := r.fl.samples[id]
		s.Online, s.OfflineSince = false, r.now
	}
	for range 50 { // 50 minutes offline, inside the window
		r.eval(time.Minute)
	}
	if len(r.open("d1")) != 0 || len(r.open("d2")) != 0 {
		t.Fatal("raised inside the maintenance window")
	}
	if as := r.open("d3"); len(as) != 1 || as[0].Severity != SevCritical {
		t.Fatalf("d3, outside the window's client: %+v", as)
	}
	sp, err := r.st.Suppressed("mw1", store.Scope{}, 0)
	if err != nil || len(sp) != 2 {
		t.Fatalf("suppressed = %+v %v, want one record per device", sp, err)
	}
	// d2 comes back before the window ends.
	r.fl.samples["d2"].Online = true
	r.eval(5 * time.Minute)
	r.eval(6 * time.Minute) // 61 minutes: the window has ended
	as := r.open("d1")
	if len(as) != 1 || as[0].Severity != SevCritical || as[0].Detail != "offline for 61 minutes" {
		t.Fatalf("d1 after the window = %+v", as)
	}
	if len(r.open("d2")) != 0 {
		t.Fatal("d2 passed, yet raised after the window")
	}
}

// TestWindowActive: one-off, daily and weekly windows, in a time zone,
// across midnight.
func TestWindowActive(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata")
	}
	// Weekly on Saturday 23:00 Paris for 2 hours, from Dec 5 2026 (a Saturday).
	weekly := store.MaintenanceWindow{Recur: "weekly", Weekdays: []int{6}, Minutes: 120, TimeZone: "Europe/Paris",
		Start: time.Date(2026, 12, 5, 23, 0, 0, 0, paris)}
	daily := store.MaintenanceWindow{Recur: "daily", Minutes: 30, Start: time.Date(2026, 12, 1, 2, 0, 0, 0, paris)}
	once := store.MaintenanceWindow{Minutes: 10, Start: time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)}
	for _, c := range []struct {
		w    store.MaintenanceWindow
		loc  *time.Location
		at   time.Time
		want bool
	}{
		{weekly, paris, time.Date(2026, 12, 5, 23, 30, 0, 0, paris), true},
		{weekly, paris, time.Date(2026, 12, 6, 0, 30, 0, 0, paris), true}, // Sunday, the Saturday occurrence still running
		{weekly, paris, time.Date(2026, 12, 6, 1, 0, 0, 0, paris), false},
		{weekly, paris, time.Date(2026, 12, 12, 22, 30, 0, 0, time.UTC), true}, // 23:30 Paris
		{weekly, paris, time.Date(2026, 12, 13, 23, 30, 0, 0, paris), false},   // a Sunday
		{weekly, paris, time.Date(2026, 11, 28, 23, 30, 0, 0, paris), false},   // before its start
		{daily, paris, time.Date(2026, 12, 9, 2, 29, 0, 0, paris), true},
		{daily, paris, time.Date(2026, 12, 9, 2, 30, 0, 0, paris), false},
		{daily, nil, time.Date(2026, 12, 9, 1, 10, 0, 0, time.UTC), true}, // no zone: UTC, Start's 01:00 UTC
		{daily, nil, time.Date(2026, 12, 9, 2, 10, 0, 0, time.UTC), false},
		{once, nil, time.Date(2026, 12, 5, 12, 9, 0, 0, time.UTC), true},
		{once, nil, time.Date(2026, 12, 5, 12, 10, 0, 0, time.UTC), false},
		{once, nil, time.Date(2026, 12, 12, 12, 5, 0, 0, time.UTC), false},
	} {
		if got := windowActive(&c.w, c.loc, c.at); got != c.want {
			t.Errorf("%s %v at %s: %v, want %v", c.w.Recur, c.w.Weekdays, c.at, got, c.want)
		}
	}
}

// TestCPUAverageWindow: a single spike in a 5-minute window raises
// nothing; a sustained load does, critical once it holds.
func TestCPUAverageWindow(t *testing.T) {
	r := newRig(t)
	r.device("d1", "c1", "")
	r.profile("p1", "Default", "", store.Check{ID: "cpu", Kind: KindCPU, Warning: 80, Critical: 95, Window: 5})
	r.assign(store.ProfileAssignment{Level: store.LevelDefault, ProfileID: "p1"})
	for i := range 60 { // 10 minutes at 15 s; one 100% sample a minute
		cpu := 10.0
		if i%4 == 0 {
			cpu = 100
		}
		r.heartbeat("d1", cpu, 30, 10)
		r.eval(15 * time.Second)
	}
	if as := r.open("d1"); len(as) != 0 {
		t.Fatalf("spikes raised %+v", as)
	}
	for range 40 {
		r.heartbeat("d1", 99, 30, 10)
		r.eval(15 * time.Second)
	}
	as := r.open("d1")
	if len(as) != 1 || as[0].Severity != SevCritical || as[0].Category != "performance" {
		t.Fatalf("sustained load = %+v", as)
	}
	// Evaluations without new heartbeats add no samples.
	var ring ring
	ring.add(r.now, 50, 50)
	if avg, ok := ring.average(false, r.now.Add(10*time.Minute), 5); ok {
		t.Fatalf("a sample older than the window counted: %v", avg)
	}
}

// TestDiskPerVolume: each volume of the inventory is its own alert, by
// percent or absolute free space.
func TestDiskPerVolume(t *testing.T) {
	r := newRig(t)
	r.device("d1", "c1", "")
	r.profile("p1", "Default", "", store.Check{ID: "disk", Kind: KindDisk, Warning: 15, Critical: 5, CriticalFree: 2 << 30,
		FailAfter: 1, PassAfter: 1})
	r.assign(store.ProfileAssignment{Level: store.LevelDefault, ProfileID: "p1"})
	r.w.InventoryReported("d1", &protocol.Inventory{Disks: []protocol.Disk{
		{Mount: "C:", Total: 100 << 30, Free: 10 << 30}, // 10%: warning
		{Mount: "D:", Total: 1000 << 30, Free: 1 << 30}, // 0.1% and 1 GiB: critical
		{Mount: "E:", Total: 10 << 30, Free: 5 << 30},   // fine
	}})
	r.eval(5 * time.Second)
	as := r.open("d1")
	got := map[string]string{}
	for _, a := range as {
		got[a.CheckTarget] = a.Severity
	}
	if len(as) != 2 || got["C:"] != SevWarning || got["D:"] != SevCritical {
		t.Fatalf("per-volume alerts = %+v", got)
	}
	if c := r.fl.counts["d1"]; c.Warning != 1 || c.Critical != 1 || len(c.Categories) != 1 || c.Categories[0] != "disk" {
		t.Fatalf("counts = %+v", c)
	}
	if n := r.w.OpenCounts(); n[SevWarning] != 1 || n[SevCritical] != 1 {
		t.Fatalf("open counts = %v", n)
	}
}

// TestOutageRaisesEveryAlert: 500 devices going offline at once raise
// 500 alerts in one evaluation (stored together), each told once; their
// return resolves every one.
func TestOutageRaisesEveryAlert(t *testing.T) {
	r := newRig(t)
	r.profile("p1", "Default", "", store.Check{ID: "avail", Kind: KindAvailability, Warning: 1, FailAfter: 1, PassAfter: 1})
	r.assign(store.ProfileAssignment{Level: store.LevelDefault, ProfileID: "p1"})
	const n = 500
	for i := range n {
		s := r.device(fmt.Sprintf("d%03d", i), "c1", "")
		s.Online, s.OfflineSince = false, r.now
	}
	r.eval(2 * time.Minute)
	as, err := r.st.Alerts(store.AlertQuery{Statuses: []string{store.AlertOpen}})
	if err != nil || len(as) != n || r.rec.count("raised") != n {
		t.Fatalf("%d open alerts, %d raised changes (%v), want %d", len(as), r.rec.count("raised"), err, n)
	}
	seen := map[string]bool{}
	r.rec.mu.Lock()
	for _, c := range r.rec.changes {
		if seen[c.AlertID] {
			t.Errorf("alert %s told twice", c.AlertID)
		}
		seen[c.AlertID] = true
	}
	r.rec.mu.Unlock()
	if got := r.w.OpenCounts()[SevWarning]; got != n {
		t.Fatalf("open warnings = %d", got)
	}
	for _, s := range r.fl.samples {
		s.Online = true
	}
	r.eval(time.Second)
	if as, _ := r.st.Alerts(store.AlertQuery{Statuses: []string{store.AlertOpen}}); len(as) != 0 || r.rec.count("resolved") != n {
		t.Fatalf("after the return: %d open, %d resolved", len(as), r.rec.count("resolved"))
	}
}

// TestRestartIsNotAnOutage: after a server start every device is offline
// until it reconnects; one that went offline weeks ago while the server
// ran counts its offline time from the start, so a restart raises no
// availability alerts for the devices that reconnect.
func TestRestartIsNotAnOutage(t *testing.T) {
	r := newRig(t)
	r.profile("p1", "Default", "", store.Check{ID: "avail", Kind: KindAvailability, Warning: 5, FailAfter: 1})
	r.assign(store.ProfileAssignment{Level: store.LevelDefault, ProfileID: "p1"})
	s := r.device("d1", "c1", "")
	s.Online, s.OfflineSince = false, r.now.Add(-21*24*time.Hour) // its last disconnect, long ago
	r.eval(4 * time.Minute)
	if len(r.open("d1")) != 0 {
		t.Fatal("raised within the grace after start")
	}
	r.eval(2 * time.Minute)
	if as := r.open("d1"); len(as) != 1 || as[0].Detail != "offline for 6 minutes" {
		t.Fatalf("still offline 6 minutes after start: %+v", as)
	}
}
