//go:build linux

package e2e_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/steward-rmm/steward/agent/identity"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
	"github.com/steward-rmm/steward/server/release"
)

// updBuild builds the agent binaries the self-update test needs, in
// parallel: the real agent as 1.0.0 (A) and 1.1.0 (B), and the broken
// agent of agent/update/testdata/crashy in both its modes.
func updBuild(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	builds := map[string][]string{
		"agent-1.0.0":        {"-X main.version=1.0.0", "github.com/steward-rmm/steward/agent/cmd/steward-agent"},
		"agent-1.1.0":        {"-X main.version=1.1.0", "github.com/steward-rmm/steward/agent/cmd/steward-agent"},
		"crashy-early-1.0.1": {"-X main.version=1.0.1 -X main.mode=early", "github.com/steward-rmm/steward/agent/update/testdata/crashy"},
		"crashy-late-1.0.2":  {"-X main.version=1.0.2 -X main.mode=late", "github.com/steward-rmm/steward/agent/update/testdata/crashy"},
	}
	out := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []string
	for name, b := range builds {
		path := filepath.Join(dir, name)
		out[name] = path
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command("go", "build", "-trimpath", "-ldflags", b[0], "-o", path, b[1])
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if o, err := cmd.CombinedOutput(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("build %s: %v\n%s", name, err, o))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(strings.Join(errs, "\n"))
	}
	return out
}

// lockedBuffer collects a process's output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 4<<20 {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// updSupervisor restarts a program whenever it exits, as a service manager
// would (systemd Restart=always), up to a bound.
type updSupervisor struct {
	log   lockedBuffer
	mu    sync.Mutex
	exits []int
	stop  chan struct{}
	done  chan struct{}
}

const updMaxRestarts = 30

func updSupervise(t *testing.T, exe string, args ...string) *updSupervisor {
	s := &updSupervisor{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for range updMaxRestarts {
			cmd := exec.Command(exe, args...)
			cmd.Stdout, cmd.Stderr = &s.log, &s.log
			if err := cmd.Start(); err != nil {
				fmt.Fprintf(&s.log, "supervisor: start: %v\n", err)
				return
			}
			waited := make(chan struct{})
			go func() { _ = cmd.Wait(); close(waited) }()
			select {
			case <-s.stop:
				_ = cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-waited:
				case <-time.After(20 * time.Second):
					_ = cmd.Process.Kill()
					<-waited
				}
				return
			case <-waited:
			}
			s.mu.Lock()
			s.exits = append(s.exits, cmd.ProcessState.ExitCode())
			s.mu.Unlock()
			fmt.Fprintf(&s.log, "supervisor: exited with %d; restarting\n", cmd.ProcessState.ExitCode())
			select {
			case <-s.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
		fmt.Fprintln(&s.log, "supervisor: too many restarts; giving up")
	}()
	t.Cleanup(func() {
		close(s.stop)
		<-s.done
		if t.Failed() {
			t.Logf("agent output:\n%s", s.log.String())
		}
	})
	return s
}

func (s *updSupervisor) exitCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.exits)
}

type updResult struct {
	DeviceID     string `json:"device_id"`
	Version      string `json:"version"`
	From         string `json:"from"`
	State        string `json:"state"`
	Reason       string `json:"reason"`
	AgentVersion string `json:"agent_version"`
}

// updOutcome is the device's latest reported update outcome for version.
func (e *env) updOutcome(device, version string) (updResult, bool) {
	var out struct{ Results []updResult }
	if e.api("GET", "/api/v1/updates", nil, &out) != 200 {
		return updResult{}, false
	}
	for _, r := range out.Results {
		if r.DeviceID == device && r.Version == version {
			return r, true
		}
	}
	return updResult{}, false
}

// updPost targets every device at version and returns how many connected
// agents were offered it.
func (e *env) updPost(t *testing.T, version string) int {
	t.Helper()
	var out struct{ Counts map[string]int }
	if code := e.api("POST", "/api/v1/updates", map[string]any{"version": version}, &out); code != 200 {
		t.Fatalf("POST /api/v1/updates %s: %d", version, code)
	}
	return out.Counts["offered"]
}

func (e *env) agentVersion(id string) string {
	var out struct {
		Device struct {
			Online       bool   `json:"online"`
			AgentVersion string `json:"agent_version"`
		} `json:"device"`
	}
	if e.api("GET", "/api/v1/devices/"+id, nil, &out) != 200 || !out.Device.Online {
		return ""
	}
	return out.Device.AgentVersion
}

func binVersion(t *testing.T, path string) string {
	t.Helper()
	b, err := exec.Command(path, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", path, err)
	}
	return strings.TrimSpace(string(b))
}

// installDirFiles lists the agent's install directory.
func installDirFiles(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}

func copyExec(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestAgentSelfUpdate runs agent 1.0.0 as a real process under a restarting
// supervisor and offers it, in turn: a downgrade, a release whose binary
// does not match its signed hash, a build that cannot start, a build that
// starts and crashes, a release signed with a key the agent does not pin,
// and finally a good 1.1.0. Each bad one is refused or rolled back with
// 1.0.0 still running; the good one replaces it and reports in.
func TestAgentSelfUpdate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds agent binaries")
	}
	bins := updBuild(t)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, roguePriv, _ := ed25519.GenerateKey(rand.Reader)
	rogueHex := hex.EncodeToString(roguePriv.Public().(ed25519.PublicKey))
	relDir, rogueDir := t.TempDir(), t.TempDir()
	sign := func(key ed25519.PrivateKey, dir, version, bin string) *release.Release {
		t.Helper()
		r, err := release.Sign(key, dir, version, []release.Binary{{OS: "linux", Arch: runtime.GOARCH, Path: bin}}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	sign(priv, relDir, "1.1.0", bins["agent-1.1.0"])
	sign(priv, relDir, "0.9.0", bins["crashy-early-1.0.1"]) // never downloaded
	sign(priv, relDir, "1.0.1", bins["crashy-early-1.0.1"])
	sign(priv, relDir, "1.0.2", bins["crashy-late-1.0.2"])
	sign(roguePriv, rogueDir, "1.0.4", bins["agent-1.1.0"])
	// 1.0.3's binary is replaced after signing by one of the same size.
	tampered := sign(priv, relDir, "1.0.3", bins["agent-1.1.0"])
	f, _ := tampered.File("linux", runtime.GOARCH)
	b, _ := os.ReadFile(tampered.Path(f))
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(tampered.Path(f), b, 0o644); err != nil {
		t.Fatal(err)
	}

	e := startServer(t, server.Config{ReleaseDir: relDir, ReleaseKey: hex.EncodeToString(pub)})
	token := e.enrollToken(e.createClient("Acme"), 1, 0)
	inst, cfgDir := t.TempDir(), t.TempDir()
	exe := filepath.Join(inst, "steward-agent")
	copyExec(t, bins["agent-1.0.0"], exe)
	enroll := exec.Command(exe, "enroll", "--server", e.url, "--token", token, "--ca-fingerprint", e.fp,
		"--release-key", hex.EncodeToString(pub), "--config", cfgDir)
	out, err := enroll.CombinedOutput()
	if err != nil {
		t.Fatalf("enroll: %v\n%s", err, out)
	}
	id := strings.TrimSpace(strings.TrimPrefix(string(out), "enrolled as device "))
	sup := updSupervise(t, exe, "run", "--config", cfgDir)
	waitFor(t, "agent 1.0.0 online", func() bool { return e.agentVersion(id) == "1.0.0" })

	// stillA checks the agent kept running 1.0.0 from an untouched install.
	stillA := func(what string, wantExits int) {
		t.Helper()
		if got := sup.exitCount(); got != wantExits {
			t.Errorf("%s: the agent exited %d times, want %d", what, got, wantExits)
		}
		waitFor(t, what+": agent 1.0.0 back online", func() bool { return e.agentVersion(id) == "1.0.0" })
		if v := binVersion(t, exe); v != "1.0.0" {
			t.Errorf("%s: installed binary is %s", what, v)
		}
		if files := installDirFiles(t, inst); files != "steward-agent" {
			t.Errorf("%s: install dir holds %s", what, files)
		}
	}
	outcome := func(version, state, reason string) {
		t.Helper()
		var r updResult
		waitFor(t, "outcome of "+version, func() bool {
			var ok bool
			r, ok = e.updOutcome(id, version)
			return ok
		})
		if r.State != state || !strings.Contains(r.Reason, reason) || r.From != "1.0.0" {
			t.Errorf("outcome of %s = %+v; want %s with reason containing %q", version, r, state, reason)
		}
	}

	if n := e.updPost(t, "0.9.0"); n != 1 {
		t.Fatalf("0.9.0 offered to %d agents", n)
	}
	outcome("0.9.0", protocol.UpdateRefused, "downgrade")
	stillA("downgrade", 0)

	e.updPost(t, "1.0.3")
	outcome("1.0.3", protocol.UpdateFailed, "SHA-256")
	stillA("wrong hash", 0)

	e.updPost(t, "1.0.1")
	outcome("1.0.1", protocol.UpdateFailed, "trial start")
	stillA("build that cannot start", 0)

	// The late crasher is installed (A exits once), crashes on each of its
	// three permitted starts, rolls back on the fourth, and A comes back.
	e.updPost(t, "1.0.2")
	outcome("1.0.2", protocol.UpdateRolledBack, "did not reach the server in 3 starts")
	stillA("build that crashes after starting", 5)

	// A server holding a key the agent does not pin cannot update it.
	e.cfg.ReleaseDir, e.cfg.ReleaseKey = rogueDir, rogueHex
	e.restart()
	waitFor(t, "agent reconnected", func() bool { return e.agentVersion(id) == "1.0.0" })
	e.updPost(t, "1.0.4")
	outcome("1.0.4", protocol.UpdateRefused, "signature does not verify")
	stillA("bad signature", 5)

	e.cfg.ReleaseDir, e.cfg.ReleaseKey = relDir, hex.EncodeToString(pub)
	e.restart()
	waitFor(t, "agent reconnected", func() bool { return e.agentVersion(id) == "1.0.0" })
	e.updPost(t, "1.1.0")
	waitFor(t, "agent 1.1.0 online", func() bool { return e.agentVersion(id) == "1.1.0" })
	outcome("1.1.0", protocol.UpdateInstalled, "")
	if v := binVersion(t, exe); v != "1.1.0" {
		t.Fatalf("installed binary is %s", v)
	}
	// Confirmed: the previous binary is gone and nothing else was left.
	if files := installDirFiles(t, inst); files != "steward-agent" {
		t.Fatalf("install dir holds %s", files)
	}
	if got := sup.exitCount(); got != 6 {
		t.Fatalf("agent exited %d times in all, want 6", got)
	}
	// The audit log has the operator's actions and the agents' outcomes.
	var audit []struct{ Action, Target string }
	e.api("GET", "/api/v1/audit?action=update.", nil, &audit)
	seen := map[string]int{}
	for _, a := range audit {
		seen[a.Action]++
	}
	for _, want := range []string{"update.target", "update.offer", "update.refused", "update.failed", "update.rolled_back", "update.installed"} {
		if seen[want] == 0 {
			t.Errorf("audit log lacks %s: %v", want, seen)
		}
	}
}

// TestUpdateRoutesRefuse checks who may fetch release binaries and set
// targets: only enrolled agents download, only admins target, and only
// valid releases can be targeted.
func TestUpdateRoutesRefuse(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	relDir := t.TempDir()
	bin := filepath.Join(t.TempDir(), "agent")
	if err := os.WriteFile(bin, []byte("not really an agent"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := release.Sign(priv, relDir, "2.0.0", []release.Binary{{OS: "linux", Arch: "amd64", Path: bin}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	e := startServer(t, server.Config{ReleaseDir: relDir, ReleaseKey: hex.EncodeToString(pub)})
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	idt, err := identity.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	agentHC := &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: pinnedTLS(e.fp, &idt.Cert)}}
	get := func(hc *http.Client, path string) (int, string) {
		t.Helper()
		resp, err := hc.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const file = "/agent/update/2.0.0/steward-agent-linux-amd64"
	cases := []struct {
		name string
		hc   *http.Client
		path string
		want int
	}{
		{"agent certificate", agentHC, file, 200},
		{"no client certificate", e.hc, file, 401},
		{"unknown version", agentHC, "/agent/update/9.9.9/steward-agent-linux-amd64", 404},
		{"file not in the release", agentHC, "/agent/update/2.0.0/manifest.sig", 404},
		{"traversal", agentHC, "/agent/update/..%2f..%2f/ca.key", 404},
	}
	for _, c := range cases {
		code, body := get(c.hc, c.path)
		if code != c.want || (c.want == 200 && body != "not really an agent") {
			t.Errorf("%s: GET %s = %d %q, want %d", c.name, c.path, code, body, c.want)
		}
	}
	var rels struct {
		Enabled  bool
		Releases []struct {
			Version string
			Valid   bool
		}
	}
	if e.api("GET", "/api/v1/releases", nil, &rels) != 200 || !rels.Enabled || len(rels.Releases) != 1 || !rels.Releases[0].Valid {
		t.Fatalf("releases = %+v", rels)
	}
	posts := []struct {
		name  string
		token string
		body  map[string]any
		want  int
	}{
		{"unknown release", e.token, map[string]any{"version": "9.9.9"}, 400},
		{"client and devices", e.token, map[string]any{"version": "2.0.0", "client": "Acme", "devices": []string{id}}, 400},
		{"unknown device", e.token, map[string]any{"version": "2.0.0", "devices": []string{"d_nope"}}, 404},
		{"unknown field", e.token, map[string]any{"version": "2.0.0", "force": true}, 400},
		{"technician", e.technicianToken(t, "tech"), map[string]any{"version": "2.0.0"}, 403},
		{"admin, one device", e.token, map[string]any{"version": "2.0.0", "devices": []string{id}}, 200},
	}
	for _, p := range posts {
		if code := e.apiAs(p.token, "POST", "/api/v1/updates", p.body, nil); code != p.want {
			t.Errorf("%s: POST /api/v1/updates = %d, want %d", p.name, code, p.want)
		}
	}
	// A revoked device can no longer download.
	if code := e.api("DELETE", "/api/v1/devices/"+id, nil, nil); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := get(agentHC, file); code == 200 {
		t.Errorf("revoked device downloaded a release")
	}
	// Without a release key updates are off, and say so.
	off := startServer(t, server.Config{})
	if code := off.api("POST", "/api/v1/updates", map[string]any{"version": "2.0.0"}, nil); code != 409 {
		t.Errorf("POST without a release key = %d, want 409", code)
	}
	if off.api("GET", "/api/v1/releases", nil, &rels) != 200 || rels.Enabled {
		t.Errorf("releases without a release key = %+v", rels)
	}
}

// technicianToken makes a technician and returns an API token of theirs.
func (e *env) technicianToken(t *testing.T, name string) string {
	t.Helper()
	e.createUser(name, "technician")
	return e.tokenFor(name)
}
