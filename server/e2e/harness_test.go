//go:build linux

// Package e2e_test runs the real server and the real agent together over
// TLS on 127.0.0.1. It is the one place that imports both.
package e2e_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/agent/identity"
	"github.com/steward-rmm/steward/server"
	"github.com/steward-rmm/steward/tlspin"
)

func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("STEWARD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// env is one running server with an admin API client.
type env struct {
	t      *testing.T
	dir    string
	cfg    server.Config
	srv    *server.Server
	cancel context.CancelFunc
	done   chan error
	url    string
	token  string
	fp     string
	hc     *http.Client
	// adminTOTP is the admin's two-factor secret and adminRecovery its
	// unused recovery codes: the harness enrols two-factor for admin so
	// that token is a fully fresh admin token.
	adminTOTP     string
	adminRecovery []string
	// userTokens caches tokenFor's fresh tokens: a user's TOTP is enrolled
	// once, and each time step is accepted once.
	userTokens map[string]string
}

func startServer(t *testing.T, cfg server.Config) *env {
	t.Helper()
	return startServerToken(t, cfg, "")
}

// startServerToken starts a server on a data folder that already has a
// fresh admin token (a copy of another test server's), using that token
// instead of enrolling admin's two-factor again.
func startServerToken(t *testing.T, cfg server.Config, token string) *env {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = time.Second
	}
	if cfg.PresenceFlush == 0 {
		cfg.PresenceFlush = 200 * time.Millisecond
	}
	if cfg.FreshTOTP == 0 {
		// e.token's two-factor check stays fresh for the whole test.
		cfg.FreshTOTP = time.Hour
	}
	if cfg.VaultKeyFile == "" && cfg.VaultKey == "" {
		cfg.VaultKeyFile = filepath.Join(t.TempDir(), "vault.key")
		if _, err := server.GenerateVaultKey(cfg.VaultKeyFile, cfg.DataDir); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{t: t, dir: cfg.DataDir, cfg: cfg, token: token}
	e.start()
	t.Cleanup(e.stop)
	return e
}

func (e *env) start() {
	e.t.Helper()
	srv, err := server.New(e.cfg, testLogger(e.t))
	if err != nil {
		e.t.Fatalf("server.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.srv, e.cancel, e.done = srv, cancel, make(chan error, 1)
	go func() { e.done <- srv.Run(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-e.done:
		e.t.Fatalf("server exited: %v", err)
	case <-time.After(20 * time.Second):
		e.t.Fatal("server did not start")
	}
	// Restarts keep the address so agents find the server again.
	e.cfg.Listen = srv.Addr()
	e.url = "https://" + srv.Addr()
	e.fp = srv.Fingerprint()
	e.hc = newPinnedClient(e.fp)
	if e.token == "" { // restarts keep the token
		e.token = e.freshAdminToken()
	}
}

// freshAdminToken turns the first-start admin token (which carries no
// second factor) into a fully fresh admin token, as an operator would:
// enrol two-factor for admin with it, then log in with password and a
// recovery code. The TOTP steps are left unused for the tests.
func (e *env) freshAdminToken() string {
	e.t.Helper()
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(e.dir, name))
		if err != nil {
			e.t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	boot := read("admin-token")
	var setup struct{ Secret string }
	if code := e.apiAs(boot, "POST", "/api/v1/auth/totp/setup", nil, &setup); code != 200 || setup.Secret == "" {
		e.t.Fatalf("harness: admin two-factor setup: %d", code)
	}
	code, err := totp.GenerateCode(setup.Secret, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	var conf struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if c := e.apiAs(boot, "POST", "/api/v1/auth/totp/confirm", map[string]string{"code": code}, &conf); c != 200 || len(conf.RecoveryCodes) < 2 {
		e.t.Fatalf("harness: admin two-factor confirm: %d", c)
	}
	e.adminTOTP, e.adminRecovery = setup.Secret, conf.RecoveryCodes[1:]
	var out struct{ Token string }
	body := map[string]any{"username": "admin", "password": read("admin-password"), "code": conf.RecoveryCodes[0], "name": "e2e admin"}
	if c := e.apiAs("", "POST", "/api/v1/auth/token", body, &out); c != 201 || out.Token == "" {
		e.t.Fatalf("harness: admin token with two-factor: %d", c)
	}
	return out.Token
}

// adminCode returns an unused second-factor code of admin (a recovery
// code, so TOTP time steps stay free for the tests).
func (e *env) adminCode() string {
	e.t.Helper()
	if len(e.adminRecovery) == 0 {
		e.t.Fatal("no admin recovery codes left")
	}
	c := e.adminRecovery[0]
	e.adminRecovery = e.adminRecovery[1:]
	return c
}

func newPinnedClient(fp string) *http.Client {
	return &http.Client{Timeout: 90 * time.Second, Transport: &http.Transport{TLSClientConfig: pinnedTLS(fp, nil)}}
}

// pinnedTLS is the pinned client configuration for the test server on
// 127.0.0.1 (the host name CA pins are checked against), presenting cert
// when given.
func pinnedTLS(pins string, cert *tls.Certificate) *tls.Config {
	p, err := tlspin.ParsePins(pins)
	if err != nil {
		panic(fmt.Sprintf("test pins %q: %v", pins, err))
	}
	cfg := tlspin.ClientConfig(tlspin.Verifier{Pins: p, ServerName: "127.0.0.1"})
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return cfg
}

func (e *env) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	select {
	case <-e.done:
	case <-time.After(20 * time.Second):
		// Every goroutine's stack names what the shutdown waits on (a
		// flake seen once in TestPinRotation left no other trace).
		buf := make([]byte, 8<<20)
		e.t.Errorf("server did not stop; goroutines:\n%s", buf[:runtime.Stack(buf, true)])
	}
	e.cancel = nil
}

func (e *env) restart() {
	e.stop()
	e.start()
}

// api calls the REST API as admin. out may be nil. It returns the status.
func (e *env) api(method, path string, body, out any) int {
	e.t.Helper()
	return e.apiAs(e.token, method, path, body, out)
}

func (e *env) apiAs(token, method, path string, body, out any) int {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		// A server being restarted: callers that poll try again, callers
		// that check the status see 0.
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

// rawGet returns a response body as text.
func (e *env) rawGet(t *testing.T, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (e *env) createClient(name string) string {
	e.t.Helper()
	var c struct{ ID string }
	if code := e.api("POST", "/api/v1/clients", map[string]any{"name": name}, &c); code != 201 {
		e.t.Fatalf("create client: %d", code)
	}
	return c.ID
}

func (e *env) enrollToken(client string, uses, expiresSeconds int) string {
	e.t.Helper()
	var tok struct{ Token string }
	body := map[string]any{"client": client, "max_uses": uses}
	if expiresSeconds != 0 {
		body["expires_seconds"] = expiresSeconds
	}
	if code := e.api("POST", "/api/v1/tokens", body, &tok); code != 201 {
		e.t.Fatalf("create token: %d", code)
	}
	return tok.Token
}

// enroll enrolls a new agent identity in a fresh directory.
func (e *env) enroll(token string) (dir, deviceID string) {
	e.t.Helper()
	dir = e.t.TempDir()
	id, err := identity.Enroll(identity.EnrollOptions{Dir: dir, Server: e.url, Token: token, Fingerprint: e.fp,
		Hostname: "test-host", OS: "linux", Arch: "amd64"})
	if err != nil {
		e.t.Fatalf("enroll: %v", err)
	}
	return dir, id.Config.DeviceID
}

// runningAgent is an in-process agent.
type runningAgent struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned
}

func (r *runningAgent) stop() {
	r.cancel()
	<-r.done
}

func startAgent(t *testing.T, dir string, cfg agent.Config) *runningAgent {
	t.Helper()
	cfg.Dir = dir
	if cfg.Version == "" {
		cfg.Version = "1.0.0-test"
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = time.Second
	}
	if cfg.HealthRoot == "" {
		// The OS collectors read an empty tree: a real patch scan takes
		// seconds of CPU and would run for every agent of every test.
		// TestHealthReportsPendingReboot runs them on a prepared tree.
		cfg.HealthRoot = t.TempDir()
	}
	if cfg.HealthDelay == 0 {
		cfg.HealthDelay = -1 // tests want the first health report at once
	}
	a, err := agent.New(cfg, testLogger(t))
	if err != nil {
		t.Fatalf("agent.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningAgent{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		_ = a.Run(ctx)
	}()
	t.Cleanup(r.stop)
	return r
}

// waitFor polls cond until it holds, failing after a generous limit. The
// limit only guards against hangs; tests never assert on durations.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type deviceView struct {
	ID            string    `json:"id"`
	Hostname      string    `json:"hostname"`
	Online        bool      `json:"online"`
	LastSeen      time.Time `json:"last_seen"`
	OfflineSince  time.Time `json:"offline_since"`
	Client        string    `json:"client"`
	OS            string    `json:"os"`
	PendingReboot bool      `json:"pending_reboot"`
	Transitions   []struct {
		Online bool      `json:"online"`
		At     time.Time `json:"at"`
		Reason string    `json:"reason"`
	} `json:"transitions"`
}

func (e *env) device(id string) (deviceView, json.RawMessage, int) {
	var out struct {
		Device    deviceView      `json:"device"`
		Inventory json.RawMessage `json:"inventory"`
	}
	code := e.api("GET", "/api/v1/devices/"+id, nil, &out)
	return out.Device, out.Inventory, code
}

func (e *env) online(id string) bool {
	d, _, code := e.device(id)
	return code == 200 && d.Online
}

func (e *env) devices(query string) []deviceView {
	var out struct{ Devices []deviceView }
	if code := e.api("GET", "/api/v1/devices?"+query, nil, &out); code != 200 {
		e.t.Fatalf("list devices: %d", code)
	}
	return out.Devices
}

func ids(ds []deviceView) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.ID)
	}
	return fmt.Sprint(s)
}
