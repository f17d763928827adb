//go:build linux

package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
)

func (e *env) health(id string) protocol.Health {
	var out struct {
		Device deviceView      `json:"device"`
		Health protocol.Health `json:"health"`
	}
	e.api("GET", "/api/v1/devices/"+id, nil, &out)
	return out.Health
}

func hasReason(h protocol.Health, code string) *protocol.RebootReason {
	for i, r := range h.Reboot.Reasons {
		if r.Code == code {
			return &h.Reboot.Reasons[i]
		}
	}
	return nil
}

// TestHealthReportsPendingReboot: a reboot-required file appearing in the
// device's tree shows as pending_reboot with its reason after one
// refresh, and the flag clears when the file goes.
func TestHealthReportsPendingReboot(t *testing.T) {
	e := startServer(t, server.Config{})
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), agent.Config{HealthRoot: root})
	waitFor(t, "first health report", func() bool { return e.health(id).Patches.CheckedAt.Unix() > 0 })
	if d, _, _ := e.device(id); d.PendingReboot {
		t.Fatal("pending reboot before any indicator")
	}
	os.WriteFile(filepath.Join(root, "run/reboot-required"), []byte("*** System restart required ***\n"), 0o644)
	os.WriteFile(filepath.Join(root, "run/reboot-required.pkgs"), []byte("linux-image-6.1.0-27-amd64\nlibc6\n"), 0o644)
	if code := e.api("POST", "/api/v1/devices/"+id+"/refresh?what=health", nil, nil); code != 202 && code != 200 {
		t.Fatalf("refresh: %d", code)
	}
	waitFor(t, "pending reboot reported", func() bool { d, _, _ := e.device(id); return d.PendingReboot })
	r := hasReason(e.health(id), "linux.reboot-required")
	if r == nil || !strings.Contains(r.Detail, "linux-image-6.1.0-27-amd64") || !strings.Contains(r.Detail, "libc6") {
		t.Fatalf("reason: %+v", e.health(id).Reboot)
	}
	if got := e.devices("pending_reboot=true"); len(got) != 1 || got[0].ID != id {
		t.Fatalf("filter pending_reboot=true: %+v", got)
	}
	out, _, code := e.ctl(t, "devices", "list", "--pending-reboot")
	if code != 0 || !strings.Contains(out, id) {
		t.Fatalf("stewardctl devices list --pending-reboot: %d %s", code, out)
	}
	os.Remove(filepath.Join(root, "run/reboot-required"))
	os.Remove(filepath.Join(root, "run/reboot-required.pkgs"))
	e.api("POST", "/api/v1/devices/"+id+"/refresh?what=health", nil, nil)
	waitFor(t, "pending reboot cleared", func() bool { d, _, _ := e.device(id); return !d.PendingReboot })
	if got := e.devices("pending_reboot=true"); len(got) != 0 {
		t.Fatalf("still listed as pending: %+v", got)
	}
}

// fakeApt answers like apt-get on a Debian 12 machine with 121 updates
// (a real captured output) until an install runs; the install leaves a
// reboot-required file, as a kernel update does.
type fakeApt struct {
	root      string
	mu        sync.Mutex
	installed bool
	calls     [][]string
}

func (f *fakeApt) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, append([]string{name}, args...))
	argv := strings.Join(append([]string{name}, args...), " ")
	switch {
	case strings.HasPrefix(argv, "apt-get -s upgrade"):
		if f.installed {
			return os.ReadFile("../../agent/health/testdata/apt-s-upgrade-debian12-none-local.txt")
		}
		return os.ReadFile("../../agent/health/testdata/apt-s-upgrade-debian12-local.txt")
	case strings.Contains(argv, "apt-get") && !strings.Contains(argv, " -s ") && (strings.Contains(argv, " install ") || strings.Contains(argv, " upgrade")):
		f.installed = true
		os.WriteFile(filepath.Join(f.root, "run/reboot-required"), []byte("*** System restart required ***\n"), 0o644)
		return []byte("Setting up base-files (12.4+deb12u15) ...\n"), nil
	}
	return nil, nil
}

func (f *fakeApt) ran(prefix string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if strings.HasPrefix(strings.Join(c, " "), prefix) {
			return true
		}
	}
	return false
}

// TestPatchListAndInstallJob drives the patch job kinds through the real
// server and agent; only apt itself and the reboot are stood in for.
func TestPatchListAndInstallJob(t *testing.T) {
	e := startServer(t, server.Config{})
	root := t.TempDir()
	for _, d := range []string{"run", "usr/bin", "var/lib/dpkg"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "usr/bin/apt-get"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), nil, 0o644)
	fake := &fakeApt{root: root}
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), agent.Config{HealthRoot: root, HealthRunner: fake.run, OpsRunner: fake.run, GOOS: "linux"})
	waitFor(t, "patches reported", func() bool { return len(e.health(id).Patches.Available) == 121 })
	h := e.health(id)
	if h.Patches.Source != "apt" || !slices.ContainsFunc(h.Patches.Available, func(p protocol.Patch) bool {
		return p.ID == "base-files" && p.InstalledVersion == "12.4+deb12u11" && p.AvailableVersion == "12.4+deb12u15"
	}) {
		t.Fatalf("patch list: source %q, first %+v", h.Patches.Source, h.Patches.Available[:1])
	}
	if got := e.devices("has_patches=true"); len(got) != 1 {
		t.Fatalf("has_patches filter: %d devices", len(got))
	}
	out, _, code := e.ctl(t, "patches", "list", id)
	if code != 0 || !strings.Contains(out, "base-files") || !strings.Contains(out, "12.4+deb12u15") {
		t.Fatalf("stewardctl patches list: %d %s", code, out)
	}
	// Hostile IDs never reach the package manager.
	j := e.createJob(map[string]any{"devices": []string{id}, "kind": "patch_install", "patch": map[string]any{"ids": []string{"-o APT::Update::Pre-Invoke::=id"}}})
	if r := e.waitState(j.Runs[0].ID, protocol.StateFailed, protocol.StateSucceeded); r.State != protocol.StateFailed {
		t.Fatalf("hostile patch id: %s", r.State)
	}
	if fake.ran("env DEBIAN_FRONTEND=noninteractive apt-get install") {
		t.Fatal("hostile id reached apt-get")
	}
	j = e.createJob(map[string]any{"devices": []string{id}, "kind": "patch_install", "patch": map[string]any{"reboot": "if-required"}})
	r := e.waitState(j.Runs[0].ID, protocol.StateFailed, protocol.StateSucceeded)
	var res protocol.PatchInstallResult
	json.Unmarshal(r.Data, &res)
	if r.State != protocol.StateSucceeded || len(res.Installed) != 121 || len(res.Failed) != 0 || !res.RebootRequired {
		t.Fatalf("install: %s %s %+v", r.State, r.Reason, res)
	}
	waitFor(t, "reboot after install", func() bool { return fake.ran("shutdown -r") })
	waitFor(t, "patches cleared and reboot pending", func() bool {
		d, _, _ := e.device(id)
		return d.PendingReboot && len(e.health(id).Patches.Available) == 0
	})
}

// TestRealHealthOfThisMachine runs the OS collectors for real on this
// machine (dpkg, apt-get -s, loginctl/who) through the real agent.
func TestRealHealthOfThisMachine(t *testing.T) {
	if _, err := os.Stat("/var/lib/dpkg/status"); err != nil {
		t.Skip("not a dpkg system")
	}
	e := startServer(t, server.Config{})
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), agent.Config{HealthRoot: "/"})
	var h protocol.Health
	waitFor(t, "real software list", func() bool { h = e.health(id); return len(h.Software) > 0 })
	if h.Patches.Source != "apt" || !slices.ContainsFunc(h.Software, func(s protocol.Software) bool { return s.Name == "bash" && s.Source == "dpkg" }) {
		t.Fatalf("source %q, %d packages", h.Patches.Source, len(h.Software))
	}
	out, _, code := e.ctl(t, "software", "search", "bash")
	if code != 0 || !strings.Contains(out, id) {
		t.Fatalf("stewardctl software search bash: %d %s", code, out)
	}
	if out, _, code := e.ctl(t, "software", "search", "bash", "--below", "0.1"); code != 0 || strings.Contains(out, id) {
		t.Fatalf("search below 0.1 found bash: %s", out)
	}
}
