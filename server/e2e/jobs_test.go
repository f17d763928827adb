//go:build linux

package e2e_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
)

type jobResp struct {
	Job  api.Job   `json:"job"`
	Runs []api.Run `json:"runs"`
}

func (e *env) createJob(body map[string]any) jobResp {
	e.t.Helper()
	var out jobResp
	if code := e.api("POST", "/api/v1/jobs", body, &out); code != 201 {
		e.t.Fatalf("create job: %d", code)
	}
	return out
}

func (e *env) run(id string) api.Run {
	var r api.Run
	e.api("GET", "/api/v1/runs/"+id, nil, &r)
	return r
}

type outputResp struct {
	Stdout, Stderr string
	Done           bool
	Run            api.Run
}

func (e *env) output(id string) outputResp {
	var o outputResp
	e.api("GET", "/api/v1/runs/"+id+"/output", nil, &o)
	return o
}

func (e *env) waitState(id string, states ...string) api.Run {
	e.t.Helper()
	var r api.Run
	waitFor(e.t, "run "+id+" in "+strings.Join(states, "/"), func() bool {
		r = e.run(id)
		for _, s := range states {
			if r.State == s {
				return true
			}
		}
		return false
	})
	return r
}

func script(devices []string, body string, args ...string) map[string]any {
	return map[string]any{"devices": devices, "kind": "script",
		"script": map[string]any{"interpreter": "sh", "body": body, "args": args}}
}

func onlineAgent(t *testing.T, e *env, client string, cfg agent.Config) (string, string, *runningAgent) {
	t.Helper()
	dir, id := e.enroll(e.enrollToken(client, 1, 0))
	a := startAgent(t, dir, cfg)
	waitFor(t, "agent online", func() bool { return e.online(id) })
	return dir, id, a
}

func TestScriptOutputExitCodeAndLiteralArgs(t *testing.T) {
	e := startServer(t, server.Config{})
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), agent.Config{})
	j := e.createJob(script([]string{id}, `echo "out:$1"; echo "err:$2" >&2; printf 'nul:\000\377\n'; exit 3`, "$(id)", "; rm -rf /tmp/x"))
	r := e.waitState(j.Runs[0].ID, protocol.StateFailed, protocol.StateSucceeded)
	if r.State != protocol.StateFailed || r.ExitCode != 3 {
		t.Fatalf("run = %s exit %d (%s)", r.State, r.ExitCode, r.Reason)
	}
	o := e.output(r.ID)
	if !strings.Contains(o.Stdout, "out:$(id)\n") || !strings.Contains(o.Stderr, "err:; rm -rf /tmp/x\n") {
		t.Fatalf("output %q / %q", o.Stdout, o.Stderr)
	}
	if !strings.Contains(o.Stdout, "nul:\x00") {
		t.Errorf("NUL byte lost: %q", o.Stdout)
	}
	// Audit trail: who, what, which devices.
	var evs []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=job.create", nil, &evs)
	if len(evs) != 1 || evs[0].Actor != "admin" || !strings.Contains(evs[0].Detail["devices"], id) {
		t.Fatalf("audit = %+v", evs)
	}
}

func TestOutputCapTruncates(t *testing.T) {
	e := startServer(t, server.Config{OutputCap: 10000})
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), agent.Config{})
	j := e.createJob(script([]string{id}, `i=0; while [ $i -lt 2000 ]; do echo 0123456789; i=$((i+1)); done`))
	r := e.waitState(j.Runs[0].ID, protocol.StateSucceeded, protocol.StateFailed)
	o := e.output(r.ID)
	if len(o.Stdout) != 10000 || !r.Truncated || r.State != protocol.StateSucceeded {
		t.Fatalf("stored %d bytes, truncated=%v, state %s", len(o.Stdout), r.Truncated, r.State)
	}
}

func TestOfflineDeviceRunsOnReconnectAndExpiredNever(t *testing.T) {
	e := startServer(t, server.Config{})
	client := e.createClient("Acme")
	dir, id := e.enroll(e.enrollToken(client, 1, 0))
	later := e.createJob(script([]string{id}, "echo ran-later"))
	expired := e.createJob(map[string]any{"devices": []string{id}, "kind": "script", "expires_seconds": 1,
		"script": map[string]any{"interpreter": "sh", "body": "echo must-not-run"}})
	if s := e.run(later.Runs[0].ID).State; s != protocol.StateQueued {
		t.Fatalf("offline run state %s, want queued", s)
	}
	time.Sleep(1500 * time.Millisecond) // let the second job's expiry pass
	startAgent(t, dir, agent.Config{})
	r := e.waitState(later.Runs[0].ID, protocol.StateSucceeded)
	if o := e.output(r.ID); o.Stdout != "ran-later\n" {
		t.Fatalf("output %q", o.Stdout)
	}
	x := e.waitState(expired.Runs[0].ID, protocol.StateExpired)
	if x.StartedAt != (time.Time{}) || x.Stdout != 0 {
		t.Fatalf("expired run started: %+v", x)
	}
	if _, err := os.Stat(filepath.Join(dir, "spool", expired.Runs[0].ID+".json")); err == nil {
		t.Fatal("the agent received an expired run")
	}
}

func TestDuplicateDeliveryRunsOnce(t *testing.T) {
	e := startServer(t, server.Config{})
	var calls atomic.Int32
	release := make(chan struct{})
	count := func(ctx context.Context, j protocol.Job, out func(string, []byte)) protocol.JobResult {
		calls.Add(1)
		<-release
		out("stdout", []byte("once\n"))
		return protocol.JobResult{State: protocol.StateSucceeded}
	}
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), agent.Config{Executors: map[string]agent.Executor{protocol.KindScript: count}})
	j := e.createJob(script([]string{id}, "true"))
	e.waitState(j.Runs[0].ID, protocol.StateRunning)
	// A server restart makes it send the unfinished run again on reconnect.
	e.restart()
	waitFor(t, "reconnect", func() bool { return e.online(id) })
	time.Sleep(300 * time.Millisecond) // the resent job reaches the agent
	close(release)
	r := e.waitState(j.Runs[0].ID, protocol.StateSucceeded)
	if calls.Load() != 1 {
		t.Fatalf("executor ran %d times, want 1", calls.Load())
	}
	if o := e.output(r.ID); o.Stdout != "once\n" {
		t.Fatalf("output %q", o.Stdout)
	}
}

func TestClientJobReachesOnlyThatClient(t *testing.T) {
	e := startServer(t, server.Config{})
	a, b := e.createClient("Alpha"), e.createClient("Beta")
	var alpha []string
	for i := 0; i < 3; i++ {
		_, id, _ := onlineAgent(t, e, a, agent.Config{})
		alpha = append(alpha, id)
	}
	_, beta, _ := onlineAgent(t, e, b, agent.Config{})
	j := e.createJob(map[string]any{"client": a, "kind": "script", "script": map[string]any{"interpreter": "sh", "body": "echo hi"}})
	if len(j.Runs) != 3 {
		t.Fatalf("%d runs, want 3", len(j.Runs))
	}
	got := map[string]bool{}
	for _, r := range j.Runs {
		got[r.DeviceID] = true
		e.waitState(r.ID, protocol.StateSucceeded)
	}
	for _, id := range alpha {
		if !got[id] {
			t.Errorf("device %s of the client has no run", id)
		}
	}
	if got[beta] {
		t.Error("device of another client got the job")
	}
	var runs []api.Run
	e.api("GET", "/api/v1/devices/"+beta+"/runs", nil, &runs)
	if len(runs) != 0 {
		t.Errorf("other client's device has runs: %+v", runs)
	}
}

func TestCancelQueuedAndRunning(t *testing.T) {
	e := startServer(t, server.Config{})
	client := e.createClient("Acme")
	_, offline := e.enroll(e.enrollToken(client, 1, 0))
	q := e.createJob(script([]string{offline}, "echo never"))
	var r api.Run
	e.api("POST", "/api/v1/runs/"+q.Runs[0].ID+"/cancel", nil, &r)
	if r.State != protocol.StateCancelled {
		t.Fatalf("queued cancel: %s", r.State)
	}
	dir, id, _ := onlineAgent(t, e, client, agent.Config{})
	j := e.createJob(script([]string{id}, "echo started; sleep 300"))
	waitFor(t, "script running", func() bool { return strings.Contains(e.output(j.Runs[0].ID).Stdout, "started") })
	e.api("POST", "/api/v1/runs/"+j.Runs[0].ID+"/cancel", nil, nil)
	r = e.waitState(j.Runs[0].ID, protocol.StateCancelled, protocol.StateFailed)
	if r.State != protocol.StateCancelled {
		t.Fatalf("running cancel ended %s (%s)", r.State, r.Reason)
	}
	_ = dir
}

// --- tests with real processes, killed with SIGKILL ---

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func binaries(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "steward-e2e-bin")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", binDir+"/", "github.com/steward-rmm/steward/agent/cmd/steward-agent",
			"github.com/steward-rmm/steward/server/cmd/steward-server")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

func startProc(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(filepath.Join(binaries(t), name), args...)
	if os.Getenv("STEWARD_TEST_LOG") != "" {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

func kill9(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}

func TestAgentKilledMidRunEndsFailed(t *testing.T) {
	e := startServer(t, server.Config{})
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	p := startProc(t, "steward-agent", "run", "--config", dir)
	waitFor(t, "agent online", func() bool { return e.online(id) })
	j := e.createJob(script([]string{id}, "echo started; sleep 300"))
	waitFor(t, "script running", func() bool { return strings.Contains(e.output(j.Runs[0].ID).Stdout, "started") })
	kill9(t, p)
	startProc(t, "steward-agent", "run", "--config", dir)
	r := e.waitState(j.Runs[0].ID, protocol.StateFailed)
	if r.Reason != "agent restarted" {
		t.Fatalf("reason %q", r.Reason)
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestServerKilledMidRunResultStoredOnce(t *testing.T) {
	data := t.TempDir()
	addr := freeAddr(t)
	args := []string{"--data", data, "--listen", addr, "--heartbeat", "1s"}
	srv := startProc(t, "steward-server", args...)
	// A client-side view of the process server, reusing the env helpers.
	e := &env{t: t, dir: data, url: "https://" + addr}
	waitFor(t, "server up", func() bool {
		b, err := os.ReadFile(filepath.Join(data, "admin-token"))
		if err != nil {
			return false
		}
		e.token = strings.TrimSpace(string(b))
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	out, err := exec.Command(filepath.Join(binaries(t), "steward-server"), "ca-fingerprint", "--data", data).Output()
	if err != nil {
		t.Fatal(err)
	}
	e.fp = strings.TrimSpace(string(out))
	e.hc = newPinnedClient(e.fp)
	e.token = e.freshAdminToken()
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	startAgent(t, dir, agent.Config{})
	waitFor(t, "online", func() bool { return e.online(id) })
	j := e.createJob(script([]string{id}, "echo started; sleep 2; echo finished"))
	waitFor(t, "script running", func() bool { return strings.Contains(e.output(j.Runs[0].ID).Stdout, "started") })
	kill9(t, srv)
	// The run finishes while the server is down; the agent keeps the result.
	time.Sleep(2500 * time.Millisecond)
	startProc(t, "steward-server", args...)
	r := e.waitState(j.Runs[0].ID, protocol.StateSucceeded)
	if o := e.output(r.ID); o.Stdout != "started\nfinished\n" {
		t.Fatalf("output after server crash %q (want each line once)", o.Stdout)
	}
	var evs []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=job.create", nil, &evs)
	if len(evs) != 1 {
		t.Errorf("%d job.create audit events", len(evs))
	}
}

func TestTimeoutEndsTimedOut(t *testing.T) {
	e := startServer(t, server.Config{})
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), agent.Config{})
	j := e.createJob(map[string]any{"devices": []string{id}, "kind": "script", "timeout_seconds": 1,
		"script": map[string]any{"interpreter": "sh", "body": "echo begin; sleep 60; echo never"}})
	r := e.waitState(j.Runs[0].ID, protocol.StateTimedOut, protocol.StateSucceeded, protocol.StateFailed)
	if r.State != protocol.StateTimedOut || !strings.Contains(r.Reason, "timed out") {
		t.Fatalf("state %s reason %q", r.State, r.Reason)
	}
	if o := e.output(r.ID); o.Stdout != "begin\n" {
		t.Fatalf("output %q", o.Stdout)
	}
}

func TestScriptLibraryRunByName(t *testing.T) {
	e := startServer(t, server.Config{})
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), agent.Config{})
	var sc api.Script
	if code := e.api("POST", "/api/v1/scripts", map[string]any{"name": "greet", "interpreter": "sh",
		"description": "says hello", "body": `echo "hello $1"`, "args": []string{"world"}}, &sc); code != 201 || sc.Version != 1 {
		t.Fatalf("add script: %d %+v", code, sc)
	}
	e.api("POST", "/api/v1/scripts", map[string]any{"name": "greet", "interpreter": "sh", "body": `echo "hi $1"`, "args": []string{"there"}}, &sc)
	if sc.Version != 2 {
		t.Fatalf("version %d, want 2", sc.Version)
	}
	j := e.createJob(map[string]any{"devices": []string{id}, "kind": "script", "library": "greet"})
	r := e.waitState(j.Runs[0].ID, protocol.StateSucceeded)
	if o := e.output(r.ID); o.Stdout != "hi there\n" {
		t.Fatalf("output %q", o.Stdout)
	}
	if j.Job.Library != "greet@2" {
		t.Errorf("job records library %q", j.Job.Library)
	}
	var bad map[string]any
	if code := e.api("POST", "/api/v1/jobs", map[string]any{"devices": []string{id}, "kind": "script", "library": "nope"}, &bad); code != 400 {
		t.Errorf("unknown library: %d %v", code, bad)
	}
}
