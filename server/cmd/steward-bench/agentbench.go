package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/steward-rmm/steward/api"
)

// agentResult is one real agent process's own footprint: the CPU it and
// its child processes (health collectors) spend from start until idle, and
// at idle over the idle window.
type agentResult struct {
	Agent          string  `json:"agent"`
	HealthDelay    string  `json:"health_delay"`
	Heartbeat      string  `json:"heartbeat"`
	StartSelfCPU   float64 `json:"start_cpu_seconds_agent"`
	StartChildCPU  float64 `json:"start_cpu_seconds_children"`
	StartSeconds   float64 `json:"start_until_idle_seconds"`
	IdleWindow     float64 `json:"idle_window_seconds"`
	IdleSelfCPU    float64 `json:"idle_cpu_seconds_agent"`
	IdleChildCPU   float64 `json:"idle_cpu_seconds_children"`
	IdleChildProcs int     `json:"idle_child_processes"`
	Error          string  `json:"error,omitempty"`
}

// procTimes returns a process's own CPU seconds (utime+stime) and those of
// the children it has reaped (cutime+cstime), from /proc/PID/stat.
func procTimes(pid int) (self, children float64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	v := func(i int) float64 { x, _ := strconv.ParseFloat(f[i], 64); return x / 100 } // USER_HZ
	return v(11) + v(12), v(13) + v(14), nil
}

// childPIDs lists pid's live children (from every thread's children
// list). Sampled every 50 ms it sees most, not all, short-lived children:
// their CPU is counted exactly by cutime+cstime.
func childPIDs(pid int) map[string]bool {
	out := map[string]bool{}
	ents, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, e := range ents {
		b, _ := os.ReadFile(e)
		for _, c := range strings.Fields(string(b)) {
			out[c] = true
		}
	}
	return out
}

// measureAgent starts a server and one real agent process (bin, or the
// agent at exe) with the OS's real collectors, and measures it.
func measureAgent(cfg config, exe, healthDelay, heartbeat string) (r agentResult) {
	r.Agent, r.HealthDelay, r.Heartbeat = exe, healthDelay, heartbeat
	name := strings.NewReplacer("/", "_", ".", "_").Replace(exe)
	s := &server{data: filepath.Join(cfg.out, "agent-data-"+name), heartbeat: heartbeat}
	_ = os.RemoveAll(s.data)
	if err := startServer(context.TODO(), cfg, s); err != nil {
		r.Error = err.Error()
		return
	}
	defer s.stop()
	_ = s.api("POST", "/api/v1/clients", api.CreateClientRequest{Name: "Footprint"}, nil)
	var tok api.EnrollTokenCreated
	if err := s.api("POST", "/api/v1/tokens", api.CreateEnrollTokenRequest{Client: "Footprint", MaxUses: 1}, &tok); err != nil {
		r.Error = err.Error()
		return
	}
	adir := filepath.Join(cfg.out, "agent-"+name)
	_ = os.RemoveAll(adir)
	if out, err := exec.Command(exe, "enroll", "--server", "https://"+s.addr, "--token", tok.Token,
		"--ca-fingerprint", s.fp, "--config", adir).CombinedOutput(); err != nil {
		r.Error = fmt.Sprintf("enroll: %v %s", err, out)
		return
	}
	ag := exec.Command(exe, "run", "--config", adir, "--log-level", "warn")
	ag.Env = append(os.Environ(), "STEWARD_HEALTH_DELAY="+healthDelay)
	ag.Stdout, ag.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := ag.Start(); err != nil {
		r.Error = err.Error()
		return
	}
	defer func() { _ = ag.Process.Signal(syscall.SIGTERM); _ = ag.Wait() }()
	pid := ag.Process.Pid
	// Start until idle: the device's first health report is on the server,
	// and then the agent and its children spent nothing for 5 s.
	var id string
	haveHealth := func() bool {
		if id == "" {
			var devs api.DeviceList
			if s.api("GET", "/api/v1/devices", nil, &devs) != nil || len(devs.Devices) != 1 {
				return false
			}
			id = devs.Devices[0].ID
		}
		var d api.DeviceDetail
		return s.api("GET", "/api/v1/devices/"+id, nil, &d) == nil && d.Health != nil
	}
	for !haveHealth() {
		if time.Since(start) > 15*time.Minute {
			r.Error = "no health report within 15 minutes"
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	last, quiet := -1.0, 0
	for quiet < 5 {
		time.Sleep(time.Second)
		self, ch, err := procTimes(pid)
		if err != nil {
			r.Error = err.Error()
			return
		}
		if t := self + ch; t == last && len(childPIDs(pid)) == 0 {
			quiet++
		} else {
			last, quiet = t, 0
		}
	}
	r.StartSeconds = time.Since(start).Seconds() - 5
	r.StartSelfCPU, r.StartChildCPU, _ = procTimes(pid)
	// Idle: CPU over the window, and the child processes seen.
	seen := map[string]bool{}
	t0 := time.Now()
	for time.Since(t0) < cfg.idle {
		for c := range childPIDs(pid) {
			seen[c] = true
		}
		time.Sleep(50 * time.Millisecond)
	}
	self, ch, _ := procTimes(pid)
	r.IdleWindow = time.Since(t0).Seconds()
	r.IdleSelfCPU, r.IdleChildCPU, r.IdleChildProcs = self-r.StartSelfCPU, ch-r.StartChildCPU, len(seen)
	return r
}

func printAgentTable(w io.Writer, rs []agentResult) {
	fmt.Fprintf(w, "| agent | STEWARD_HEALTH_DELAY (older agents: at once) | start until idle: agent CPU | children CPU | took | idle (%s heartbeats): agent CPU | children CPU | child processes |\n",
		firstHeartbeat(rs))
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		if r.Error != "" {
			fmt.Fprintf(w, "| %s | error: %s |||||||\n", r.Agent, r.Error)
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %.2f s | %.2f s | %.0f s | %.2f s / %.0f s | %.2f s | %d |\n", r.Agent, r.HealthDelay,
			r.StartSelfCPU, r.StartChildCPU, r.StartSeconds, r.IdleSelfCPU, r.IdleWindow, r.IdleChildCPU, r.IdleChildProcs)
	}
}

func firstHeartbeat(rs []agentResult) string {
	if len(rs) > 0 {
		return rs[0].Heartbeat
	}
	return ""
}
