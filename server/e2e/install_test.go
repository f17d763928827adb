//go:build linux

package e2e_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
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
	"github.com/steward-rmm/steward/agent/service"
	"github.com/steward-rmm/steward/installer"
	"github.com/steward-rmm/steward/server"
	"github.com/steward-rmm/steward/server/pki"
	"github.com/steward-rmm/steward/tlspin"
)

// instAgentBinDir builds the real agent into a directory laid out as the
// server's AgentBinDir.
func instAgentBinDir(t *testing.T) (dir, binary string) {
	t.Helper()
	dir = t.TempDir()
	binary = filepath.Join(dir, "steward-agent-linux-"+runtime.GOARCH)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version=1.0.0-install",
		"-o", binary, "github.com/steward-rmm/steward/agent/cmd/steward-agent")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build agent: %v\n%s", err, out)
	}
	return dir, binary
}

func instSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// instRun runs a shell command line as a person would paste it, with the
// install staged under root (no service is registered; see service.RootEnv).
func instRun(t *testing.T, root, line string) (string, error) {
	t.Helper()
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), service.RootEnv+"="+root, "NO_PROXY=*", "no_proxy=*")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// instFiles lists what exists under root.
func instFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	_ = filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && p != root {
			out = append(out, strings.TrimPrefix(p, root))
		}
		return nil
	})
	return out
}

// instProxy is a man in the middle that holds a certificate signed by the
// server's own CA (a compromised mirror or load balancer) and passes
// everything through, except what its mode changes.
type instProxy struct {
	url  string
	mu   sync.Mutex
	mode string // "altered script", "tampered binary", "tampered binary and checksum"
}

func (p *instProxy) set(mode string) {
	p.mu.Lock()
	p.mode = mode
	p.mu.Unlock()
}

func startInstProxy(t *testing.T, e *env) *instProxy {
	t.Helper()
	ca, _, err := pki.LoadOrCreateCA(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.ServerCertificate(t.TempDir(), []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse(e.url)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{TLSClientConfig: pinnedTLS(e.fp, nil)}
	p := &instProxy{}
	// Were it run, it would "install" successfully: the refusals below
	// fail on that.
	tampered := []byte("#!/bin/sh\nexit 0\n")
	tamperedSum := sha256.Sum256(tampered)
	binPath := "/agent/download/linux/" + runtime.GOARCH
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		mode := p.mode
		p.mu.Unlock()
		switch {
		case r.URL.Path == binPath && strings.HasPrefix(mode, "tampered binary"):
			_, _ = w.Write(tampered)
		case r.URL.Path == binPath+".sha256" && mode == "tampered binary and checksum":
			fmt.Fprintln(w, hex.EncodeToString(tamperedSum[:]))
		case r.URL.Path == "/install.sh":
			// The script as the server would make it for the proxy's
			// address (the server names only its own public URL).
			rec := httptest.NewRecorder()
			rp.ServeHTTP(rec, r)
			body := bytes.ReplaceAll(rec.Body.Bytes(), []byte(e.url), []byte(p.url))
			if mode == "altered script" {
				body = bytes.Replace(body, []byte("set -eu\n"), []byte("set -eu\ntouch \"$STEWARD_INSTALL_ROOT/owned\"\n"), 1)
			}
			_, _ = w.Write(body)
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

// TestInstallScript runs the real install.sh, fetched with curl from a real
// server on 127.0.0.1, into a temporary root: refused when the CA is not
// the pinned one, when the agent binary is not the pinned one, or when the
// script itself was altered; and when all is well, the agent enrolls,
// installs itself and registers (records) its service, and a reinstall
// keeps the same device.
func TestInstallScript(t *testing.T) {
	for _, tool := range []string{"sh", "curl", "sha256sum", "awk", "sed", "base64", "mktemp"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	binDir, agentBin := instAgentBinDir(t)
	agentSum := instSHA256(t, agentBin)
	e := startServer(t, server.Config{AgentBinDir: binDir})
	client := e.createClient("Acme")
	var tok struct {
		Token   string
		Install map[string]string
	}
	// Single use: the reinstall below must not need the token again.
	if code := e.api("POST", "/api/v1/tokens", map[string]any{"client": client, "max_uses": 1}, &tok); code != 201 {
		t.Fatalf("create token: %d", code)
	}
	if tok.Install["linux"] == "" {
		t.Fatalf("no linux install command: %v", tok.Install)
	}
	proxy := startInstProxy(t, e)
	devices := func() int { return len(e.devices("client=" + client)) }
	fetch := func(base string) string {
		resp, err := e.hc.Get(base + "/install.sh?token=" + tok.Token)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("install.sh: %d %s", resp.StatusCode, b)
		}
		return string(b)
	}
	writeScript := func(body string) string {
		p := filepath.Join(t.TempDir(), "install.sh")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// What the server's one-liner would be for the proxy's address: it
	// pins the script the real server renders for that address.
	proxyOneLiner, err := installer.Commands(installer.Params{ServerURL: proxy.url, Token: tok.Token, Pin: e.fp,
		Binaries: map[string]string{"linux/" + runtime.GOARCH: agentSum}})
	if err != nil {
		t.Fatal(err)
	}

	refusals := []struct {
		name, mode string
		line       func() string
		want       string
	}{
		{"wrong pinned fingerprint", "", func() string {
			s := fetch(e.url)
			bad := strings.Replace(s, "pin='"+strings.TrimPrefix(e.fp, "ca:")+"'", "pin='"+strings.Repeat("0", 64)+"'", 1)
			if bad == s {
				t.Fatal("pin line not found in install.sh")
			}
			return "sh " + writeScript(bad)
		}, "not the pinned"},
		{"tampered binary", "tampered binary", func() string { return "sh " + writeScript(fetch(proxy.url)) },
			"the downloaded agent has SHA-256"},
		{"tampered binary and published checksum", "tampered binary and checksum", func() string {
			return "sh " + writeScript(fetch(proxy.url))
		}, "but this script pins"},
		{"altered script under the one-liner", "altered script", func() string { return proxyOneLiner["linux"] },
			"does not match its pinned SHA-256"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			proxy.set(tc.mode)
			defer proxy.set("")
			root := t.TempDir()
			out, err := instRun(t, root, tc.line())
			t.Logf("%s", out)
			if err == nil {
				t.Fatalf("the install succeeded:\n%s", out)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, out)
			}
			if files := instFiles(t, root); len(files) != 0 {
				t.Errorf("installed %v despite the refusal", files)
			}
			if n := devices(); n != 0 {
				t.Errorf("%d devices enrolled despite the refusal", n)
			}
		})
	}

	root := t.TempDir()
	layout := service.LayoutFor("linux", "", "").WithRoot(root)
	var deviceID string
	t.Run("one-liner installs and enrolls", func(t *testing.T) {
		out, err := instRun(t, root, tok.Install["linux"])
		t.Logf("%s", out)
		if err != nil {
			t.Fatalf("install: %v\n%s", err, out)
		}
		if got := instSHA256(t, layout.BinPath); got != agentSum {
			t.Errorf("installed binary has SHA-256 %s, want %s", got, agentSum)
		}
		for p, want := range map[string]os.FileMode{layout.BinPath: 0o755, layout.BinDir: 0o755, layout.ConfigDir: 0o700,
			filepath.Join(layout.ConfigDir, identity.KeyFile): 0o600} {
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: %v (%v), want mode %v", p, fi.Mode().Perm(), err, want)
			}
		}
		id, err := identity.Load(layout.ConfigDir)
		if err != nil {
			t.Fatal(err)
		}
		deviceID = id.Config.DeviceID
		if id.Config.Server != e.url || id.Config.PinString() != e.fp {
			t.Errorf("identity %+v, want server %s pinned to %s", id.Config, e.url, e.fp)
		}
		d, _, code := e.device(deviceID)
		if code != 200 || d.Client != client {
			t.Errorf("device %s at the server: %d %+v", deviceID, code, d)
		}
		rec, err := (&service.Recorder{Path: filepath.Join(root, service.RecordFile)}).Read()
		if err != nil {
			t.Fatal(err)
		}
		if !rec.Installed || !rec.Running || rec.Executable != layout.BinPath ||
			strings.Join(rec.Arguments, " ") != "run --config "+layout.ConfigDir {
			t.Errorf("service record %+v, want the installed binary registered and started", rec)
		}
	})
	if deviceID == "" {
		t.FailNow()
	}

	t.Run("the registered command runs the agent", func(t *testing.T) {
		rec, _ := (&service.Recorder{Path: filepath.Join(root, service.RecordFile)}).Read()
		cmd := exec.Command(rec.Executable, rec.Arguments...)
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-done
			if t.Failed() {
				t.Logf("agent output:\n%s", logs.String())
			}
		})
		waitFor(t, "installed agent online", func() bool { return e.online(deviceID) })
		status := func() service.State {
			st := exec.Command(layout.BinPath, "status", "--json")
			st.Env = append(os.Environ(), service.RootEnv+"="+root)
			out, _ := st.Output() // exits 3 unless installed, running, enrolled and connected
			var state service.State
			_ = json.Unmarshal(out, &state)
			return state
		}
		waitFor(t, "status says connected", func() bool { return status().Connected })
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("agent exited with %v after SIGTERM\n%s", err, logs.String())
			}
			done <- nil
		case <-time.After(30 * time.Second):
			t.Fatalf("agent did not stop on SIGTERM\n%s", logs.String())
		}
		st := exec.Command(layout.BinPath, "status", "--json")
		st.Env = append(os.Environ(), service.RootEnv+"="+root)
		out, _ := st.Output() // exits 3 unless connected
		var state service.State
		if err := json.Unmarshal(out, &state); err != nil {
			t.Fatalf("status --json: %v\n%s", err, out)
		}
		if !state.Installed || !state.Enrolled || state.DeviceID != deviceID || state.Connected {
			t.Errorf("status after stop %+v", state)
		}
	})

	t.Run("reinstall keeps the device", func(t *testing.T) {
		out, err := instRun(t, root, tok.Install["linux"])
		if err != nil {
			t.Fatalf("reinstall: %v\n%s", err, out)
		}
		if !strings.Contains(out, "kept the identity of device "+deviceID) {
			t.Errorf("reinstall output:\n%s", out)
		}
		if n := devices(); n != 1 {
			t.Errorf("%d devices after the reinstall, want 1", n)
		}
		rec, _ := (&service.Recorder{Path: filepath.Join(root, service.RecordFile)}).Read()
		if got := strings.Join(rec.Actions, ","); got != "install,start,stop,uninstall,install,start" {
			t.Errorf("service actions %s", got)
		}
	})

	t.Run("install.ps1 is served pinned", func(t *testing.T) {
		resp, err := e.hc.Get(e.url + "/install.ps1?token=" + tok.Token)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		sum := sha256.Sum256(b)
		if resp.StatusCode != 200 || !bytes.Contains(b, []byte("$Pins = '"+e.fp+"'")) ||
			!strings.Contains(tok.Install["windows"], hex.EncodeToString(sum[:])) {
			t.Errorf("install.ps1: %d, or its hash is not the one the windows command pins", resp.StatusCode)
		}
		for _, bad := range []string{"x'y", "a;b", strings.Repeat("a", 129), ""} {
			r, err := e.hc.Get(e.url + "/install.sh?token=" + url.QueryEscape(bad))
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != 400 {
				t.Errorf("token %q: %d, want 400", bad, r.StatusCode)
			}
		}
	})
}

// TestInstallScriptOperatorCertificate: behind an operator's own
// certificate, install.sh pins the server's key (curl --pinnedpubkey), or
// with --pin-ca the operator's root, which it fetches and checks (the
// Steward CA at /agent/ca.pem would not match it); the agent pins the same.
func TestInstallScriptOperatorCertificate(t *testing.T) {
	for _, tool := range []string{"sh", "curl", "sha256sum", "awk", "sed", "base64", "mktemp"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	binDir, _ := instAgentBinDir(t)
	root := makeCert(t, nil, 70, "MSP Root", true)
	leaf := makeCert(t, root, 71, "rmm.example", false, "127.0.0.1")
	certFile, keyFile := writeChain(t, leaf, root)
	for _, tc := range []struct {
		name, pinCA, want string
	}{
		{"server key", "", tlspin.KeyPin(leaf.cert).String()},
		{"operator root", writeCA(t, root), tlspin.CertPin(root.cert.Raw).String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startServer(t, server.Config{AgentBinDir: binDir, TLSCert: certFile, TLSKey: keyFile, PinCA: tc.pinCA})
			if e.fp != tc.want {
				t.Fatalf("server pins %s, want %s", e.fp, tc.want)
			}
			client := e.createClient("Acme")
			var tok struct {
				Token   string
				Install map[string]string
			}
			if code := e.api("POST", "/api/v1/tokens", map[string]any{"client": client, "max_uses": 1}, &tok); code != 201 {
				t.Fatalf("create token: %d", code)
			}
			if tc.pinCA == "" {
				// curl holds the key pin even with -k: another key is refused.
				resp, err := e.hc.Get(e.url + "/install.sh?token=" + tok.Token)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				other := tlspin.KeyPin(root.cert).Base64()
				bad := strings.Replace(string(body), "pin_key='"+tlspin.KeyPin(leaf.cert).Base64()+"'", "pin_key='"+other+"'", 1)
				if bad == string(body) {
					t.Fatal("pin_key line not found in install.sh")
				}
				p := filepath.Join(t.TempDir(), "install.sh")
				if err := os.WriteFile(p, []byte(bad), 0o600); err != nil {
					t.Fatal(err)
				}
				staged := t.TempDir()
				out, err := instRun(t, staged, "sh "+p)
				if err == nil || !strings.Contains(out, "cannot fetch the agent checksum") {
					t.Errorf("install with another key pinned: %v\n%s", err, out)
				}
				if files := instFiles(t, staged); len(files) != 0 {
					t.Errorf("installed %v despite the refusal", files)
				}
			}
			root := t.TempDir()
			out, err := instRun(t, root, tok.Install["linux"])
			if err != nil {
				t.Fatalf("install behind an operator certificate: %v\n%s", err, out)
			}
			id, err := identity.Load(service.LayoutFor("linux", "", "").WithRoot(root).ConfigDir)
			if err != nil {
				t.Fatal(err)
			}
			if id.Config.PinString() != tc.want {
				t.Errorf("agent pins %s, want %s", id.Config.PinString(), tc.want)
			}
			if _, _, code := e.device(id.Config.DeviceID); code != 200 {
				t.Errorf("device %s: %d", id.Config.DeviceID, code)
			}
		})
	}
}
