//go:build linux

package e2e_test

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/steward-rmm/steward/api"
)

// TestProcesses: the list shows a process with its command line, user and
// start; sorting and filtering work; ending a tree ends the children too;
// the agent itself is never ended; ending needs a fresh second factor and
// is audited; another client's device is not found.
func TestProcesses(t *testing.T) {
	e := startServer(t, serverConfig())
	a, b := e.createClient("Alpha"), e.createClient("Bravo")
	_, dev, _ := onlineAgent(t, e, a, agentConfig())
	_, devB, _ := onlineAgent(t, e, b, agentConfig())
	// A parent with a child: sh runs sleep and waits.
	cmd := exec.Command("sh", "-c", "sleep 301 & wait; echo steward-proc-marker")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	parent := int32(cmd.Process.Pid)

	var pl api.ProcessList
	var child int32
	waitFor(t, "the sleep child listed", func() bool {
		if code := e.api("GET", "/api/v1/devices/"+dev+"/processes?q=sleep+301", nil, &pl); code != 200 {
			t.Fatalf("list: %d", code)
		}
		for _, p := range pl.Processes {
			if p.PPID == parent && strings.Contains(p.Cmdline, "sleep 301") {
				child = p.PID
			}
		}
		return child != 0
	})
	if pl.Total < len(pl.Processes) || pl.MemoryTotal == 0 {
		t.Errorf("list totals: %+v", pl)
	}
	for _, p := range pl.Processes {
		if p.PID == child && (p.User == "" || p.Started.IsZero() || p.Name != "sleep") {
			t.Errorf("child entry: %+v", p)
		}
	}
	// Sorted by PID; limited.
	if code := e.api("GET", "/api/v1/devices/"+dev+"/processes?sort=pid&limit=5", nil, &pl); code != 200 || len(pl.Processes) != 5 ||
		!slices.IsSortedFunc(pl.Processes, func(x, y api.Process) int { return int(x.PID - y.PID) }) {
		t.Errorf("sorted by pid: %d %+v", code, pl.Processes)
	}
	if code := e.api("GET", "/api/v1/devices/"+dev+"/processes?sort=bogus", nil, nil); code != 400 {
		t.Errorf("bad sort: %d", code)
	}
	// The agent (this test process) and PID 1 are never ended.
	for _, pid := range []int{os.Getpid(), 1} {
		if code := e.api("POST", "/api/v1/devices/"+dev+"/processes/"+strconv.Itoa(pid)+"/kill", map[string]any{}, nil); code != 422 {
			t.Errorf("kill %d: %d", pid, code)
		}
	}
	// Scoped and password-only users.
	e.createUser("alpha-tech", "technician", a)
	tok := e.tokenFor("alpha-tech")
	if code, _, _ := e.filesReq(tok, "GET", "/api/v1/devices/"+devB+"/processes", nil); code != 404 {
		t.Errorf("another client's processes: %d", code)
	}
	if code, _, _ := e.filesReq(tok, "POST", "/api/v1/devices/"+devB+"/processes/"+strconv.Itoa(int(parent))+"/kill", strings.NewReader("{}")); code != 404 {
		t.Errorf("kill on another client's device: %d", code)
	}
	e.createUser("pat", "technician")
	_, pat, _ := e.loginToken(t, map[string]any{"username": "pat", "password": "pat-password-1"}, "")
	if code, _, _ := e.filesReq(pat, "POST", "/api/v1/devices/"+dev+"/processes/"+strconv.Itoa(int(parent))+"/kill", strings.NewReader(`{"tree":true}`)); code != 401 && code != 403 {
		t.Errorf("kill without two-factor: %d", code)
	}
	select {
	case err := <-exited:
		t.Fatalf("the process ended early: %v", err)
	default:
	}
	// The CLI lists it too.
	if out, errs, code := e.ctl(t, "processes", "ls", "--device", dev, "--filter", "sleep 301"); code != 0 || !strings.Contains(out, strconv.Itoa(int(child))) {
		t.Errorf("stewardctl processes ls: %d %s %s", code, out, errs)
	}
	// The tree: collected, then ended from the parent down.
	var killed api.ProcessKilled
	if code := e.api("POST", "/api/v1/devices/"+dev+"/processes/"+strconv.Itoa(int(parent))+"/kill", map[string]any{"tree": true}, &killed); code != 200 {
		t.Fatalf("kill tree: %d", code)
	}
	if !slices.Contains(killed.Killed, child) || !slices.Contains(killed.Killed, parent) {
		t.Errorf("killed %v, want %d and %d", killed.Killed, child, parent)
	}
	if err := <-exited; err == nil {
		t.Error("the parent exited normally instead of being killed")
	}
	waitFor(t, "the child gone", func() bool { return syscall.Kill(int(child), 0) != nil })
	var evs []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=process.kill&limit=10", nil, &evs)
	found := false
	for _, ev := range evs {
		if ev.Target == dev && ev.Detail["pid"] == strconv.Itoa(int(parent)) && ev.Detail["tree"] == "true" {
			found = true
		}
	}
	if !found {
		t.Errorf("kill not audited: %+v", evs)
	}
}
