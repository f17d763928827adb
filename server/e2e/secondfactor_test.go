//go:build linux

package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-rmm/steward/ctl"
	"github.com/steward-rmm/steward/server"
)

// movableClock is a server clock a test moves forward.
type movableClock struct{ skew atomic.Int64 }

func (c *movableClock) now() time.Time            { return time.Now().Add(time.Duration(c.skew.Load())) }
func (c *movableClock) advance(d time.Duration)   { c.skew.Add(int64(d)) }
func (c *movableClock) config(cfg *server.Config) { cfg.Clock = c.now }
func (c *movableClock) at(t time.Time) time.Time  { return t.Add(time.Duration(c.skew.Load())) }
func shellRefused(resp *http.Response, err error) bool {
	return err != nil && resp != nil && resp.StatusCode == 401
}

// loginToken posts stewardctl's login, optionally from a forwarded address.
func (e *env) loginToken(t *testing.T, body map[string]any, xff string) (int, string, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", e.url+"/api/v1/auth/token", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct{ Token, Code string }
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out.Token, out.Code
}

// TestPasswordOnlyTokensCannotRunCode: a token got with a password alone,
// and the first-start admin token, never count as a second factor.
func TestPasswordOnlyTokensCannotRunCode(t *testing.T) {
	e := startServer(t, serverConfig())
	client := e.createClient("Acme")
	_, dev, _ := onlineAgent(t, e, client, agentConfig())

	// A technician without two-factor (not required for technicians).
	e.createUser("pat", "technician")
	code, pat, _ := e.loginToken(t, map[string]any{"username": "pat", "password": "pat-password-1"}, "")
	if code != 201 {
		t.Fatalf("password-only token for a user without two-factor: %d", code)
	}
	if tc, resp, err := e.dialShell(pat, dev, e.url, "shell=sh"); !shellRefused(resp, err) {
		if tc != nil {
			tc.ws.Close()
		}
		t.Fatalf("password-only token opened a root shell: %v %v", err, resp)
	}
	var er struct{ Code string }
	if code := e.apiAs(pat, "POST", "/api/v1/me/tokens", map[string]any{"name": "year", "expires_seconds": 365 * 86400}, &er); code != 401 || er.Code != "fresh_2fa" {
		t.Fatalf("password-only token minted a token: %d %q", code, er.Code)
	}
	// It can still do what a password-only session can: a small job.
	if code := e.apiAs(pat, "POST", "/api/v1/jobs", script([]string{dev}, "true"), nil); code != 201 {
		t.Fatalf("small job with a password-only token: %d", code)
	}

	// An admin who must have two-factor and has none gets no token.
	e.createUser("root2", "admin")
	if code, tok, why := e.loginToken(t, map[string]any{"username": "root2", "password": "root2-password-1"}, ""); code != 403 || tok != "" || why != "totp_setup" {
		t.Fatalf("admin without required two-factor got a token: %d %q", code, why)
	}

	// The first-start token: no shell, no script, no token minting.
	boot, err := os.ReadFile(filepath.Join(e.dir, "admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	bt := strings.TrimSpace(string(boot))
	if tc, resp, err := e.dialShell(bt, dev, e.url, "shell=sh"); err == nil || resp == nil || (resp.StatusCode != 401 && resp.StatusCode != 403) {
		if tc != nil {
			tc.ws.Close()
		}
		t.Fatalf("first-start token opened a shell: %v %v", err, resp)
	}
	var refusal struct{ Error string }
	if code := e.apiAs(bt, "POST", "/api/v1/jobs", script([]string{dev}, "id"), &refusal); code != 403 {
		t.Fatalf("first-start token ran a script: %d", code)
	}
	// The refusal says why and what to do, not just "needs run".
	if !strings.Contains(refusal.Error, "never passed two-factor") || !strings.Contains(refusal.Error, "stewardctl 2fa refresh") {
		t.Errorf("refusal of the first-start token: %q, want the reason and the way out", refusal.Error)
	}
	if code := e.apiAs(bt, "POST", "/api/v1/me/tokens", map[string]any{"name": "x", "expires_seconds": 60}, nil); code != 401 {
		t.Fatalf("first-start token minted a token: %d", code)
	}
	// It still sets the server up.
	if code := e.apiAs(bt, "POST", "/api/v1/tokens", map[string]any{"client": client, "max_uses": 1}, nil); code != 201 {
		t.Fatalf("first-start token creates an enrollment token: %d", code)
	}
}

// TestTokenFreshnessAndBootstrapExpiry: a token is as fresh as the check
// it was minted with; an old one is refreshed with a code; the first-start
// token expires.
func TestTokenFreshnessAndBootstrapExpiry(t *testing.T) {
	var clk movableClock
	cfg := serverConfig()
	cfg.FreshTOTP = 10 * time.Minute
	clk.config(&cfg)
	e := startServer(t, cfg)
	_, dev, _ := onlineAgent(t, e, e.createClient("Acme"), agentConfig())
	tc, resp, err := e.dialShell(e.token, dev, e.url, "shell=sh")
	if err != nil {
		t.Fatalf("fresh token: %v %v", err, resp)
	}
	tc.ws.Close()
	// A token minted now carries this check, not a newer one.
	var minted struct{ Token string }
	if code := e.api("POST", "/api/v1/me/tokens", map[string]any{"name": "ci", "expires_seconds": 86400}, &minted); code != 201 {
		t.Fatalf("mint: %d", code)
	}
	clk.advance(11 * time.Minute)
	for name, tok := range map[string]string{"login token": e.token, "minted token": minted.Token} {
		if tc, resp, err := e.dialShell(tok, dev, e.url, "shell=sh"); !shellRefused(resp, err) {
			if tc != nil {
				tc.ws.Close()
			}
			t.Fatalf("%s older than the freshness window opened a shell: %v %v", name, err, resp)
		}
	}
	// A wrong code does not refresh it; the right one does.
	if code := e.api("POST", "/api/v1/auth/totp", map[string]string{"code": "12345678"}, nil); code != 401 {
		t.Fatalf("refresh with a wrong code: %d", code)
	}
	if code := e.api("POST", "/api/v1/auth/totp", map[string]string{"code": totpAt(t, e.adminTOTP, clk.at(time.Now()))}, nil); code != 200 {
		t.Fatalf("refresh: %d", code)
	}
	tc, resp, err = e.dialShell(e.token, dev, e.url, "shell=sh")
	if err != nil {
		t.Fatalf("refreshed token: %v %v", err, resp)
	}
	tc.ws.Close()
	// Refreshing one token refreshes that token only.
	if _, resp, err := e.dialShell(minted.Token, dev, e.url, "shell=sh"); !shellRefused(resp, err) {
		t.Fatalf("the other token became fresh too: %v %v", err, resp)
	}

	// stewardctl names the way out when it cannot ask.
	env := map[string]string{"STEWARD_SERVER": e.url, "STEWARD_TOKEN": minted.Token, "STEWARD_CA_FINGERPRINT": e.fp}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var out, errb bytes.Buffer
	if c := ctl.Execute([]string{"users", "add", "root3", "--role", "admin", "--all-clients"}, strings.NewReader("long-enough-pw\n"),
		&out, &errb, func(k string) string { return env[k] }); c == 0 ||
		!strings.Contains(errb.String(), "stewardctl 2fa refresh") {
		t.Fatalf("stale stewardctl: %d %s", c, errb.String())
	}

	// At a terminal, stewardctl asks for a code, refreshes and retries once.
	c := ctl.NewClient(ctl.Config{Server: e.url, Token: minted.Token, Fingerprint: e.fp})
	asked := 0
	c.AskCode = func() (string, error) { asked++; return e.adminCode(), nil }
	var again struct{ Token string }
	if err := c.Do("POST", "/api/v1/me/tokens", map[string]any{"name": "ci2", "expires_seconds": 60}, &again); err != nil || asked != 1 || again.Token == "" {
		t.Fatalf("stale token with a code at hand: %v (asked %d)", err, asked)
	}

	// The first-start token expires after a day.
	boot, _ := os.ReadFile(filepath.Join(e.dir, "admin-token"))
	bt := strings.TrimSpace(string(boot))
	if code := e.apiAs(bt, "GET", "/api/v1/me", nil, nil); code != 200 {
		t.Fatalf("first-start token within its day: %d", code)
	}
	clk.advance(24 * time.Hour)
	if code := e.apiAs(bt, "GET", "/api/v1/me", nil, nil); code != 401 {
		t.Fatalf("first-start token after a day: %d", code)
	}
	if code := e.api("GET", "/api/v1/me", nil, nil); code != 200 {
		t.Fatalf("the 30-day login token after a day: %d", code)
	}
}

// TestTOTPGuessingLimitedPerAccount: 48 wrong codes from rotating
// forwarded addresses, with a successful password login between every
// few, lock the account's two-factor: the right code is refused on every
// path until the window passes.
func TestTOTPGuessingLimitedPerAccount(t *testing.T) {
	var clk movableClock
	cfg := serverConfig()
	cfg.TrustedProxies = []string{"127.0.0.1"}
	clk.config(&cfg)
	e := startServer(t, cfg)
	e.createUser("tina", "technician")
	b := e.browser()
	b.login("tina", "tina-password-1")
	secret, _ := b.enrolTOTP(time.Now())
	real := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second, 60 * time.Second} {
		real[totpAt(t, secret, time.Now().Add(d))] = true
	}
	guesses := 0
	for i := 0; guesses < 48; i++ {
		guess := fmt.Sprintf("%06d", 100000+i)
		if real[guess] {
			continue
		}
		guesses++
		if guesses%4 == 0 {
			// A correct password on the web resets nothing about codes.
			if _, code := e.browser().login("tina", "tina-password-1"); code != 200 {
				t.Fatalf("password login between guesses: %d", code)
			}
		}
		xff := fmt.Sprintf("10.%d.%d.%d", guesses/250, guesses%250, i%200+1)
		code, tok, _ := e.loginToken(t, map[string]any{"username": "tina", "password": "tina-password-1", "code": guess}, xff)
		if code == 201 || tok != "" {
			t.Fatalf("guess %d accepted", guesses)
		}
	}
	right := totpAt(t, secret, time.Now())
	if code, tok, _ := e.loginToken(t, map[string]any{"username": "tina", "password": "tina-password-1", "code": right}, "10.200.0.1"); code != 429 || tok != "" {
		t.Fatalf("right code after 48 wrong ones from rotating addresses: %d, want 429", code)
	}
	// The web login's code step shares the limit.
	w := e.browser()
	if stage, _ := w.login("tina", "tina-password-1"); stage != "totp" {
		t.Fatalf("stage %q", stage)
	}
	if code := w.do("POST", "/api/v1/auth/totp", map[string]string{"code": right}, nil); code != 429 {
		t.Fatalf("web code step while locked: %d, want 429", code)
	}
	var evs []struct{ Action, Source string }
	e.api("GET", "/api/v1/audit?action=auth.totp_throttled", nil, &evs)
	if len(evs) < 2 || evs[0].Source == "" {
		t.Fatalf("throttling not audited: %+v", evs)
	}
	// After the window, the right code works again.
	clk.advance(6 * time.Minute)
	if code := w.do("POST", "/api/v1/auth/totp", map[string]string{"code": totpAt(t, secret, clk.at(time.Now()))}, nil); code != 200 {
		t.Fatalf("right code after the window: %d", code)
	}
}

// TestFirstStartPrintsNoSecret: the server's own output (what make run
// writes to server.log) names the files, never the password or token.
func TestFirstStartPrintsNoSecret(t *testing.T) {
	data := t.TempDir()
	addr := freeAddr(t)
	var out syncBuf
	cmd := exec.Command(filepath.Join(binaries(t), "steward-server"), "--data", data, "--listen", addr)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitFor(t, "server listening", func() bool { return strings.Contains(out.String(), "listening on") })
	for _, f := range []string{"admin-token", "admin-password"} {
		b, err := os.ReadFile(filepath.Join(data, f))
		if err != nil {
			t.Fatal(err)
		}
		if secret := strings.TrimSpace(string(b)); len(secret) < 16 || strings.Contains(out.String(), secret) {
			t.Errorf("%s printed by the server: %s", f, out.String())
		}
	}
	if !strings.Contains(out.String(), filepath.Join(data, "admin-password")) {
		t.Errorf("output does not say where the password is: %s", out.String())
	}
}
