//go:build linux

package e2e_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/agent/service"
	"github.com/steward-rmm/steward/server"
)

// agentStatus runs the real steward-agent status for config dir, with an
// empty staging root so no OS service manager is asked.
func agentStatus(t *testing.T, bin, dir string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"status", "--config", dir}, args...)...)
	cmd.Env = append(os.Environ(), service.RootEnv+"="+t.TempDir())
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// TestAgentStatusForeground: an agent started by hand (steward-agent run,
// as under make run) is connected, and status says so, that it runs in
// the foreground, and exits 4 (not 3, "not connected"). Once it stops,
// status says not connected and exits 3.
func TestAgentStatusForeground(t *testing.T) {
	e := startServer(t, server.Config{})
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	bin := filepath.Join(binaries(t), "steward-agent")
	cmd := exec.Command(bin, "run", "--config", dir)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("agent output:\n%s", logs.String())
		}
	})
	waitFor(t, "agent online", func() bool { return e.online(id) })
	var st service.State
	var code int
	waitFor(t, "status --json says connected", func() bool {
		var out string
		out, code = agentStatus(t, bin, dir, "--json")
		st = service.State{}
		return json.Unmarshal([]byte(out), &st) == nil && st.Connected
	})
	if code != 4 || !st.Foreground || st.PID != cmd.Process.Pid || !st.Enrolled || st.DeviceID != id || st.Installed {
		t.Errorf("status --json of a foreground agent: exit %d %+v", code, st)
	}
	out, code := agentStatus(t, bin, dir)
	if code != 4 || !strings.Contains(out, "connection: connected") ||
		!strings.Contains(out, "running in the foreground, not as a service") {
		t.Errorf("status: exit %d\n%s", code, out)
	}

	_ = cmd.Process.Signal(syscall.SIGTERM)
	<-done
	stopped = true
	out, code = agentStatus(t, bin, dir, "--json")
	st = service.State{}
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 3 || st.Connected || st.Foreground {
		t.Errorf("status after the agent stopped: exit %d %+v %v", code, st, err)
	}
}

// TestAgentHelp: --help, -h and help print the usage and exit 0; an
// unknown command names itself and exits 1.
func TestAgentHelp(t *testing.T) {
	bin := filepath.Join(binaries(t), "steward-agent")
	for _, arg := range []string{"--help", "-h", "help"} {
		out, err := exec.Command(bin, arg).Output()
		if err != nil || !strings.Contains(string(out), "steward-agent status [--json]") ||
			!strings.Contains(string(out), "steward-agent enroll") {
			t.Errorf("%s: %v\n%s", arg, err, out)
		}
	}
	out, err := exec.Command(bin, "bogus").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), `unknown command "bogus"`) {
		t.Errorf("bogus: %v\n%s", err, out)
	}
}

// TestCtlFirstHour runs the CLI as a new user did against a real server:
// a bad --uses names only that flag; jobs output takes a job ID (one run:
// its output; several: says so and lists them); jobs list shows states as
// words.
func TestCtlFirstHour(t *testing.T) {
	e := startServer(t, server.Config{})
	client := e.createClient("Acme Field")
	_, id1, _ := onlineAgent(t, e, client, agent.Config{})
	_, id2, _ := onlineAgent(t, e, client, agent.Config{})

	_, errs, code := e.ctl(t, "tokens", "create", "--client", client, "--uses", "-1")
	if code != 1 || !strings.Contains(errs, "--uses must be at least 1") || strings.Contains(errs, "expires") ||
		strings.Contains(errs, "max_uses") {
		t.Errorf("tokens create --uses -1: exit %d %q", code, errs)
	}

	runJob := func(devs ...string) string {
		t.Helper()
		args := append([]string{"-o", "json", "run"}, devs...)
		out, errs, code := e.ctl(t, append(args, "--", "sh", "-c", "echo out-$0", "x")...)
		var created struct {
			Job  string `json:"job"`
			Runs []struct {
				ID string `json:"id"`
			} `json:"runs"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &created) != nil || created.Job == "" {
			t.Fatalf("run: %d %q %q", code, out, errs)
		}
		for _, r := range created.Runs {
			waitFor(t, "run done", func() bool {
				out, _, _ := e.ctl(t, "-o", "json", "jobs", "show", created.Job)
				return !strings.Contains(out, `"queued"`) && !strings.Contains(out, `"sent"`) &&
					!strings.Contains(out, `"running"`) && strings.Contains(out, r.ID)
			})
		}
		return created.Job
	}
	one := runJob(id1)
	out, errs, code := e.ctl(t, "jobs", "output", one)
	if code != 0 || out != "out-x\n" {
		t.Errorf("jobs output JOB with one run: exit %d %q %q", code, out, errs)
	}
	two := runJob(id1, id2)
	out, errs, code = e.ctl(t, "jobs", "output", two)
	if code != 1 || out != "" || !strings.Contains(errs, "job "+two+" has 2 runs; name one") ||
		!strings.Contains(errs, id1) || !strings.Contains(errs, id2) {
		t.Errorf("jobs output JOB with two runs: exit %d %q %q", code, out, errs)
	}
	out, _, _ = e.ctl(t, "jobs", "list")
	if !strings.Contains(out, "2 succeeded") || strings.Contains(out, `{"`) {
		t.Errorf("jobs list states:\n%s", out)
	}
	out, _, _ = e.ctl(t, "tokens", "list")
	if strings.Contains(out, client) {
		t.Errorf("tokens list shows the client ID %s:\n%s", client, out)
	}
}
