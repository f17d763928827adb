package automation

import (
	"slices"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
)

func (r *rig) health(device string, h protocol.Health) {
	r.t.Helper()
	rec, err := fleet.HealthRecord(device, "h", r.now, &h)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.st.PutHealth(rec); err != nil {
		r.t.Fatal(err)
	}
}

// TestPatchPolicy: in the weekly window each device installs the patches
// its policy selects (security ones, those matching include, those
// approved for its client or everything; never those matching exclude),
// devices with the same selection sharing one job; a device with nothing
// selected gets no job; a reboot pending longer than the reboot policy's
// days is done in the window, after the message; and the compliance
// view says what waits for approval or the window.
func TestPatchPolicy(t *testing.T) {
	r := newRig(t, 4) // d00000..d00003, client c1
	r.fleet.samples["d00002"].ClientID = "c2"
	r.fleet.samples["d00003"].ClientID = "c2"
	patches := []protocol.Patch{{ID: "openssl", Name: "openssl", Security: true}, {ID: "kernel-6", Name: "kernel-6.1", Security: true},
		{ID: "vim", Name: "vim"}, {ID: "curl", Name: "curl"}, {ID: "KB500", Name: "Cumulative Update"}}
	r.health("d00000", protocol.Health{Patches: protocol.PatchStatus{Available: patches}})
	r.health("d00001", protocol.Health{Patches: protocol.PatchStatus{Available: patches}})
	r.health("d00002", protocol.Health{Patches: protocol.PatchStatus{Available: []protocol.Patch{{ID: "vim", Name: "vim"}}}})
	r.health("d00003", protocol.Health{Patches: protocol.PatchStatus{Available: []protocol.Patch{{ID: "vim", Name: "vim"}}}})
	// d00000 and d00002 have a reboot pending from now on.
	r.fleet.set("d00000", func(s *fleet.Sample) { s.Heartbeat.PendingReboot = true })
	r.fleet.set("d00002", func(s *fleet.Sample) { s.Heartbeat.PendingReboot = true })
	// Monday 2026-12-07 09:30 UTC now; window Wednesdays 02:00 for 2
	// hours; reboots pending a day are done in it.
	pp := &store.PatchPolicy{Auto: AutoSecurity, Include: []string{"CU*"}, Exclude: []string{"kernel*"}, Weekdays: []int{3},
		Start: "02:00", Minutes: 120, TimeZone: "UTC", Reboot: RebootNever, Message: "Restarting for updates", RebootAfterDays: 1}
	r.profile(store.AutoProfile{ID: "ap1", Name: "Patching", Patch: pp}, store.ProfileAssignment{Level: store.LevelDefault})
	if err := r.st.PutPatchApproval(store.PatchApproval{ClientID: "c1", PatchID: "KB500"}); err != nil {
		t.Fatal(err)
	}
	if err := r.st.PutPatchApproval(store.PatchApproval{PatchID: "curl"}); err != nil {
		t.Fatal(err)
	}
	if err := r.w.reload(); err != nil {
		t.Fatal(err)
	}
	r.until(r.now.Add(time.Minute))
	// Before the window: compliance shows what waits.
	one := []fleet.Sample{*r.fleet.samples["d00001"]}
	cfg, states := r.w.snapshot(one)
	d := r.w.deviceCompliance(cfg, states, &one[0], nil)
	got := map[string]string{}
	for _, it := range d.Items {
		got[it.Item] = it.Status
	}
	want := map[string]string{"openssl": "waiting-window", "kernel-6": "excluded", "vim": "pending-approval", "curl": "waiting-window",
		"KB500": "waiting-window"}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("compliance of d00001 = %v, want %v", got, want)
		}
	}
	if d.Status != "pending-approval" {
		t.Fatalf("device status %q, want pending-approval (worst item)", d.Status)
	}
	if n := len(r.runner.taken()); n != 0 {
		t.Fatalf("%d jobs before the window", n)
	}
	// The window: Wednesday 02:00-04:00; devices start in its first hour.
	r.until(time.Date(2026, 12, 9, 3, 30, 0, 0, time.UTC))
	starts := r.runner.taken()
	byDevice := map[string][]string{}
	for _, s := range starts {
		byDevice[s.device] = append(byDevice[s.device], s.kind+" "+s.reboot)
		if s.at.Before(time.Date(2026, 12, 9, 2, 0, 0, 0, time.UTC)) || !s.at.Before(time.Date(2026, 12, 9, 3, 0, 0, 0, time.UTC).Add(minWait)) {
			t.Fatalf("start at %v outside the window's first half", s.at)
		}
	}
	// d00000: its reboot pending over a day: the message, then the
	// install rebooting if required; d00001: the install, no reboot, no
	// message; d00002 (client c2: vim not approved there): the reboot
	// alone; d00003: nothing.
	for d, want := range map[string][]string{
		"d00000": {protocol.KindMessage + " ", protocol.KindPatchInstall + " " + RebootIfReq},
		"d00001": {protocol.KindPatchInstall + " " + RebootNever},
		"d00002": {protocol.KindPower + " "},
		"d00003": nil,
	} {
		if !slices.Equal(byDevice[d], want) {
			t.Fatalf("jobs of %s %q, want %q (all: %q)", d, byDevice[d], want, byDevice)
		}
	}
	logs, _ := r.st.AutoRuns(store.AutoRunQuery{DeviceID: "d00003"})
	if len(logs) != 1 || logs[0].Outcome != store.AutoNotRequired || logs[0].Detail != "nothing to install" {
		t.Fatalf("log of d00003 = %+v", logs)
	}
}

// TestPatchSelection: the verdict of each patch under a policy.
func TestPatchSelection(t *testing.T) {
	c := &config{approved: map[approvalKey]store.PatchApproval{{"c1", "KB1"}: {}, {"", "KB2"}: {}}}
	pp := &store.PatchPolicy{Auto: AutoNone, Include: []string{"firefox*"}, Exclude: []string{"*driver*"}}
	for _, x := range []struct {
		client string
		p      protocol.Patch
		want   string
	}{
		{"c1", protocol.Patch{ID: "KB1", Name: "Update"}, "selected"},
		{"c2", protocol.Patch{ID: "KB1", Name: "Update"}, "pending-approval"},
		{"c2", protocol.Patch{ID: "KB2", Name: "Update"}, "selected"},
		{"c1", protocol.Patch{ID: "ff", Name: "Firefox ESR"}, "selected"},
		{"c1", protocol.Patch{ID: "KB1", Name: "Intel Driver"}, "excluded"},
		{"c1", protocol.Patch{ID: "x", Name: "x", Security: true}, "pending-approval"},
	} {
		if got := c.patchVerdict(pp, x.client, &x.p); got != x.want {
			t.Errorf("%s on %s: %s, want %s", x.p.Name, x.client, got, x.want)
		}
	}
}
