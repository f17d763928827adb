package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Monitoring checks profiles (unique names per owner, deletion taking
// their assignments and exemptions), assignments (one per target, an
// unknown profile refused), exemptions and maintenance windows.
func Monitoring(t *testing.T, f Factory) {
	db := f.fresh(t)
	now := time.Now().UTC().Truncate(time.Second)
	if _, err := db.Profile("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Profile: %v", err)
	}
	if err := db.DeleteProfile("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteProfile: %v", err)
	}
	p1 := store.Profile{ID: "p1", Name: "Servers", CreatedAt: now, UpdatedAt: now, UpdatedBy: "ann",
		Checks: []store.Check{{ID: "disk", Kind: "disk", Warning: 20, Critical: 10, CriticalFree: 5 << 30, FailAfter: 2, PassAfter: 3},
			{ID: "svc", Kind: "service", Target: "sshd", Severity: "critical"}}}
	for _, p := range []store.Profile{p1, {ID: "p2", Name: "Servers", ClientID: "c1"}, {ID: "p3", Name: "Desktops"}} {
		if err := db.PutProfile(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PutProfile(store.Profile{ID: "p4", Name: "Servers"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("a second global profile named Servers: %v, want ErrExists", err)
	}
	p1.Description = "updated"
	if err := db.PutProfile(p1); err != nil {
		t.Fatalf("replacing a profile under its own name: %v", err)
	}
	got, err := db.Profile("p1")
	if err != nil || got.Description != "updated" || len(got.Checks) != 2 || got.Checks[0].CriticalFree != 5<<30 ||
		got.Checks[1].Target != "sshd" || got.Checks[0].PassAfter != 3 || !got.CreatedAt.Equal(now) {
		t.Fatalf("profile = %+v %v", got, err)
	}
	if all, err := db.Profiles(); err != nil || len(all) != 3 || all[0].ID != "p1" || all[2].ID != "p3" {
		t.Fatalf("Profiles = %+v %v", all, err)
	}
	if err := db.SetAssignment(store.ProfileAssignment{Level: store.LevelDefault, ProfileID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("assigning an unknown profile: %v", err)
	}
	for _, a := range []store.ProfileAssignment{
		{Level: store.LevelDefault, ProfileID: "p3", At: now},
		{Level: store.LevelClient, ClientID: "c1", ProfileID: "p2"},
		{Level: store.LevelFolder, ClientID: "c1", Folder: "Servers", ProfileID: "p1"},
		{Level: store.LevelDevice, ClientID: "c1", DeviceID: "d1", ProfileID: "p3"},
		{Level: store.LevelDevice, ClientID: "c1", DeviceID: "d1", ProfileID: "p1", By: "ann"}, // replaces
	} {
		if err := db.SetAssignment(a); err != nil {
			t.Fatal(err)
		}
	}
	as, err := db.Assignments()
	if err != nil || len(as) != 4 {
		t.Fatalf("Assignments = %+v %v, want 4 (one per target)", as, err)
	}
	for _, a := range as {
		if a.Level == store.LevelDevice && (a.ProfileID != "p1" || a.By != "ann") {
			t.Fatalf("device assignment not replaced: %+v", a)
		}
	}
	if err := db.SetAssignment(store.ProfileAssignment{Level: store.LevelClient, ClientID: "c1"}); err != nil {
		t.Fatal(err)
	}
	if as, _ := db.Assignments(); len(as) != 3 {
		t.Fatalf("after removing the client assignment: %+v", as)
	}
	for _, e := range []store.CheckExemption{{DeviceID: "d1", ClientID: "c1", ProfileID: "p1", CheckID: "disk", Reason: "known", At: now},
		{DeviceID: "d1", ClientID: "c1", ProfileID: "p3", CheckID: "cpu"}, {DeviceID: "d2", ClientID: "c1", ProfileID: "p1", CheckID: "svc"}} {
		if err := db.PutExemption(e); err != nil {
			t.Fatal(err)
		}
	}
	if es, err := db.Exemptions("d1"); err != nil || len(es) != 2 || es[0].CheckID != "disk" || es[0].Reason != "known" {
		t.Fatalf("Exemptions(d1) = %+v %v", es, err)
	}
	if es, _ := db.Exemptions(""); len(es) != 3 {
		t.Fatalf("all exemptions = %+v", es)
	}
	if err := db.DeleteExemption("d1", "p3", "cpu"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteExemption("d1", "p3", "cpu"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting it twice: %v", err)
	}
	// Deleting p1 takes its assignments and exemptions with it.
	if err := db.DeleteProfile("p1"); err != nil {
		t.Fatal(err)
	}
	as, _ = db.Assignments()
	for _, a := range as {
		if a.ProfileID == "p1" {
			t.Fatalf("assignment of a deleted profile left: %+v", a)
		}
	}
	if len(as) != 1 || as[0].Level != store.LevelDefault {
		t.Fatalf("assignments after delete = %+v", as)
	}
	if es, _ := db.Exemptions(""); len(es) != 0 {
		t.Fatalf("exemptions of a deleted profile left: %+v", es)
	}

	if _, err := db.Window("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Window: %v", err)
	}
	if err := db.DeleteWindow("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteWindow: %v", err)
	}
	w := store.MaintenanceWindow{ID: "w1", Name: "Patch night", Level: store.LevelClient, ClientID: "c1", Start: now, Minutes: 120,
		Recur: "weekly", Weekdays: []int{2, 4}, TimeZone: "Europe/Paris", CreatedBy: "ann", CreatedAt: now}
	if err := db.PutWindow(w); err != nil {
		t.Fatal(err)
	}
	if err := db.PutWindow(store.MaintenanceWindow{ID: "w0", Name: "once", Level: store.LevelDevice, ClientID: "c1", DeviceID: "d1"}); err != nil {
		t.Fatal(err)
	}
	gw, err := db.Window("w1")
	if err != nil || gw.Minutes != 120 || len(gw.Weekdays) != 2 || gw.Weekdays[1] != 4 || gw.TimeZone != "Europe/Paris" || !gw.Start.Equal(now) {
		t.Fatalf("window = %+v %v", gw, err)
	}
	if ws, err := db.Windows(); err != nil || len(ws) != 2 || ws[0].ID != "w0" {
		t.Fatalf("Windows = %+v %v", ws, err)
	}
	if err := db.DeleteWindow("w0"); err != nil {
		t.Fatal(err)
	}
	if ws, _ := db.Windows(); len(ws) != 1 {
		t.Fatalf("after delete: %+v", ws)
	}

	if _, err := db.NetMonitor("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("NetMonitor: %v", err)
	}
	if err := db.DeleteNetMonitor("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteNetMonitor: %v", err)
	}
	m := store.NetMonitor{ID: "nm2", Name: "Shop", ClientID: "c1", AgentID: "d1", Kind: store.NetHTTP, Address: "https://shop.example/",
		IntervalSec: 60, TimeoutMS: 5000, ExpectStatus: 200, WarningMS: 800, CriticalMS: 2000, FailAfter: 2, PassAfter: 3,
		CreatedBy: "ann", CreatedAt: now, UpdatedAt: now}
	for _, nm := range []store.NetMonitor{m, {ID: "nm1", Name: "Cert", ClientID: "c2", AgentID: "d2", Kind: store.NetTLS,
		Address: "shop.example", IntervalSec: 3600, WarningDays: 30, CriticalDays: 7}} {
		if err := db.PutNetMonitor(nm); err != nil {
			t.Fatal(err)
		}
	}
	if gm, err := db.NetMonitor("nm2"); err != nil || gm.Address != m.Address || gm.CriticalMS != 2000 || gm.PassAfter != 3 || !gm.CreatedAt.Equal(now) {
		t.Fatalf("NetMonitor = %+v %v", gm, err)
	}
	if ms, err := db.NetMonitors(); err != nil || len(ms) != 2 || ms[0].ID != "nm1" || ms[0].CriticalDays != 7 {
		t.Fatalf("NetMonitors = %+v %v", ms, err)
	}
	if err := db.DeleteNetMonitor("nm1"); err != nil {
		t.Fatal(err)
	}
	if ms, _ := db.NetMonitors(); len(ms) != 1 || ms[0].ID != "nm2" {
		t.Fatalf("after delete: %+v", ms)
	}
}

// Alerts checks at most one unresolved alert per device and check, the
// history kept in order, the query's filters, order and paging, what
// survives a reopen, and suppressed records.
func Alerts(t *testing.T, f Factory) {
	open := f(t)
	db := f.reopen(t, open)
	now := time.Now().UTC().Truncate(time.Second)
	if _, err := db.Alert("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Alert: %v", err)
	}
	if err := db.UpdateAlert(store.Alert{ID: "nope"}, store.AlertEvent{Kind: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateAlert: %v", err)
	}
	mk := func(ms int64, dev, client, check, sev, cat, title, dtype string) store.Alert {
		return store.Alert{ID: ID("al", ms, dev+check), DeviceID: dev, ClientID: client, DeviceName: "host-" + dev,
			ClientName: "Client " + client, DeviceType: dtype, ProfileID: "p1", CheckID: check, CheckKind: check, Severity: sev,
			Category: cat, Title: title, Status: store.AlertOpen, CreatedAt: now, UpdatedAt: now}
	}
	a1 := mk(1000, "d1", "c1", "disk", "warning", "disk", "Disk / low", "server")
	a2 := mk(2000, "d2", "c2", "cpu", "critical", "performance", "CPU high", "pc")
	a3 := mk(3000, "d1", "c1", "memory", "warning", "performance", "Memory high", "server")
	for _, a := range []store.Alert{a1, a2, a3} {
		if err := db.CreateAlert(a, store.AlertEvent{Kind: "raised", Severity: a.Severity, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	dup := mk(4000, "d1", "c1", "disk", "critical", "disk", "Disk again", "server")
	if err := db.CreateAlert(dup, store.AlertEvent{Kind: "raised"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("a second open alert for d1's disk check: %v, want ErrExists", err)
	}
	other := mk(3500, "d1", "c1", "disk", "warning", "disk", "Disk /data low", "server")
	other.CheckTarget = "/data"
	if err := db.CreateAlert(other, store.AlertEvent{Kind: "raised"}); err != nil {
		t.Fatalf("an open alert of the same check on another volume: %v", err)
	}
	other.Status = store.AlertResolved
	if err := db.UpdateAlert(other, store.AlertEvent{Kind: "resolved"}); err != nil {
		t.Fatal(err)
	}
	a1.Severity, a1.UpdatedAt = "critical", now.Add(time.Minute)
	if err := db.UpdateAlert(a1, store.AlertEvent{Kind: "escalated", Severity: "critical", At: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	a1.Status, a1.ResolvedAt, a1.ResolvedBy, a1.Reason = store.AlertResolved, now.Add(2*time.Minute), "ann", "cleaned up"
	if err := db.UpdateAlert(a1, store.AlertEvent{Kind: "resolved", By: "ann", Reason: "cleaned up", At: now.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// Resolved: the check may raise again.
	if err := db.CreateAlert(dup, store.AlertEvent{Kind: "raised"}); err != nil {
		t.Fatalf("a new alert after the first was resolved: %v", err)
	}
	evs, err := db.AlertEvents(a1.ID)
	if err != nil || len(evs) != 3 || evs[0].Kind != "raised" || evs[1].Kind != "escalated" || evs[2].Kind != "resolved" ||
		evs[2].By != "ann" || evs[0].AlertID != a1.ID {
		t.Fatalf("history = %+v %v", evs, err)
	}
	ids := func(as []store.Alert) string {
		var s []string
		for _, a := range as {
			s = append(s, a.Title)
		}
		return strings.Join(s, ",")
	}
	for _, c := range []struct {
		q    store.AlertQuery
		want string
	}{
		{store.AlertQuery{}, "Disk again,Disk /data low,Memory high,CPU high,Disk / low"},
		{store.AlertQuery{Limit: 2}, "Disk again,Disk /data low"},
		{store.AlertQuery{Before: a3.ID}, "CPU high,Disk / low"},
		{store.AlertQuery{Scope: store.Scope{Only: true, Clients: []string{"c2"}}}, "CPU high"},
		{store.AlertQuery{Scope: store.Scope{Only: true}}, ""},
		{store.AlertQuery{DeviceID: "d1", Statuses: []string{store.AlertOpen}}, "Disk again,Memory high"},
		{store.AlertQuery{ClientID: "c1", Statuses: []string{store.AlertResolved}}, "Disk /data low,Disk / low"},
		{store.AlertQuery{Severities: []string{"critical"}}, "Disk again,CPU high,Disk / low"},
		{store.AlertQuery{Categories: []string{"performance"}, DeviceTypes: []string{"pc"}}, "CPU high"},
		{store.AlertQuery{Search: "HOST-D2"}, "CPU high"},
		{store.AlertQuery{Search: "client c1", Limit: 1}, "Disk again"},
		{store.AlertQuery{Search: "/data"}, "Disk /data low"},
		{store.AlertQuery{Search: "memory"}, "Memory high"},
	} {
		got, err := db.Alerts(c.q)
		if err != nil || ids(got) != c.want {
			t.Errorf("Alerts(%+v) = %q %v, want %q", c.q, ids(got), err, c.want)
		}
	}
	// Snoozing keeps it unresolved; a reopen loads what is unresolved.
	a2.Status, a2.SnoozedUntil = store.AlertSnoozed, now.Add(time.Hour)
	if err := db.UpdateAlert(a2, store.AlertEvent{Kind: "snoozed", By: "bob", At: now}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddSuppressed(store.SuppressedAlert{ID: ID("sp", 1000, "a"), WindowID: "w1", DeviceID: "d1", ClientID: "c1",
		CheckKind: "disk", Severity: "warning", Title: "Disk / low", At: now}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddSuppressed(store.SuppressedAlert{ID: ID("sp", 2000, "b"), WindowID: "w2", DeviceID: "d2", ClientID: "c2", At: now}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = f.reopen(t, open)
	un, err := db.UnresolvedAlerts()
	if err != nil || len(un) != 3 {
		t.Fatalf("unresolved after reopen = %+v %v, want 3", un, err)
	}
	for _, a := range un {
		if a.ID == a1.ID {
			t.Fatalf("a resolved alert is listed unresolved: %+v", a)
		}
		if a.ID == a2.ID && (a.Status != store.AlertSnoozed || !a.SnoozedUntil.Equal(now.Add(time.Hour))) {
			t.Fatalf("snoozed alert = %+v", a)
		}
	}
	if got, err := db.Alert(a1.ID); err != nil || got.ResolvedBy != "ann" || got.Reason != "cleaned up" || got.Severity != "critical" {
		t.Fatalf("resolved alert = %+v %v", got, err)
	}
	if sp, err := db.Suppressed("", store.Scope{}, 0); err != nil || len(sp) != 2 || sp[0].WindowID != "w2" {
		t.Fatalf("Suppressed = %+v %v, want both, newest first", sp, err)
	}
	if sp, err := db.Suppressed("w1", store.Scope{}, 0); err != nil || len(sp) != 1 || sp[0].Title != "Disk / low" {
		t.Fatalf("Suppressed(w1) = %+v %v", sp, err)
	}
	if sp, err := db.Suppressed("", store.Scope{Only: true, Clients: []string{"c1"}}, 1); err != nil || len(sp) != 1 || sp[0].ClientID != "c1" {
		t.Fatalf("Suppressed in scope c1 = %+v %v", sp, err)
	}
}
