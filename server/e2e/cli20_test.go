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
