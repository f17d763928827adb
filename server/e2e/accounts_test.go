//go:build linux

package e2e_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/ctl"
	"github.com/steward-rmm/steward/server"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// browser is a web client with a cookie jar, like the dashboard.
type browser struct {
	e    *env
	hc   *http.Client
	csrf string
	last *http.Response
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, hc: &http.Client{Jar: jar, Timeout: 60 * time.Second, Transport: e.hc.Transport}}
}

// do sends a request with the session cookie, JSON body and CSRF header.
func (b *browser) do(method, path string, body, out any) int {
	b.e.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, b.e.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if b.csrf != "" {
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b.last = resp
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			b.e.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// login posts the password step and keeps the CSRF token.
func (b *browser) login(user, pw string) (string, int) {
	var out struct{ Stage, CSRF string }
	code := b.do("POST", "/api/v1/auth/login", map[string]string{"username": user, "password": pw}, &out)
	if out.CSRF != "" {
		b.csrf = out.CSRF
	}
	return out.Stage, code
}

// enrolTOTP runs setup and confirm and returns the secret and recovery codes.
func (b *browser) enrolTOTP(at time.Time) (string, []string) {
	b.e.t.Helper()
	var setup struct{ Secret, URL, QRPNG string }
	if code := b.do("POST", "/api/v1/auth/totp/setup", nil, &setup); code != 200 || setup.Secret == "" {
		b.e.t.Fatalf("totp setup: %d", code)
	}
	var conf struct {
		Stage, CSRF   string
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if code := b.do("POST", "/api/v1/auth/totp/confirm", map[string]string{"code": totpAt(b.e.t, setup.Secret, at)}, &conf); code != 200 {
		b.e.t.Fatalf("totp confirm: %d", code)
	}
	return setup.Secret, conf.RecoveryCodes
}

func totpAt(t *testing.T, secret string, at time.Time) string {
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) adminPassword() string {
	b, err := os.ReadFile(filepath.Join(e.dir, "admin-password"))
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// createUser makes a user as the bootstrap admin and returns its ID.
func (e *env) createUser(name, role string, clients ...string) string {
	e.t.Helper()
	body := map[string]any{"name": name, "password": name + "-password-1", "role": role}
	if len(clients) == 0 {
		body["all_clients"] = true
	} else {
		body["clients"] = clients
	}
	var u struct{ ID string }
	if code := e.api("POST", "/api/v1/users", body, &u); code != 201 {
		e.t.Fatalf("create user %s: %d", name, code)
	}
	return u.ID
}

// tokenFor logs a user in as stewardctl would, enrolling two-factor first,
// and returns an API token fresh from that two-factor check.
func (e *env) tokenFor(name string) string {
	e.t.Helper()
	if tok, ok := e.userTokens[name]; ok {
		return tok
	}
	pw := name + "-password-1"
	b := e.browser()
	stage, code := b.login(name, pw)
	if code != 200 || (stage != "totp_setup" && stage != "done") {
		e.t.Fatalf("login %s: %d %s", name, code, stage)
	}
	body := map[string]any{"username": name, "password": pw}
	// Enrol with the current code and log in with a recovery code: each
	// time step is accepted once, and a code from the previous step is
	// refused when a step boundary passes in between (a flake).
	_, recovery := b.enrolTOTP(time.Now())
	if len(recovery) == 0 {
		e.t.Fatalf("no recovery codes for %s", name)
	}
	body["code"] = recovery[0]
	var out struct{ Token string }
	if code := b.do("POST", "/api/v1/auth/token", body, &out); code != 201 {
		e.t.Fatalf("token for %s: %d", name, code)
	}
	if e.userTokens == nil {
		e.userTokens = map[string]string{}
	}
	e.userTokens[name] = out.Token
	return out.Token
}

// stream opens the event stream; the returned channel closes when the
// server ends it.
func (b *browser) stream() <-chan struct{} {
	b.e.t.Helper()
	req, _ := http.NewRequest("GET", b.e.url+"/api/v1/events", nil)
	hc := *b.hc
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil || resp.StatusCode != 200 {
		b.e.t.Fatalf("event stream: %v %v", err, resp)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
		}
	}()
	b.e.t.Cleanup(func() { resp.Body.Close() })
	return done
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestLoginTwoFactorCSRFAndReplay(t *testing.T) {
	e := startServer(t, serverConfig())
	// The harness enrolled two-factor for "admin"; this test follows an
	// admin who has not yet.
	e.createUser("root2", "admin")
	pw := "root2-password-1"
	b := e.browser()
	if _, code := b.login("root2", pw+"x"); code != 401 {
		t.Fatalf("wrong password: %d", code)
	}
	if _, code := b.login("nobody", pw); code != 401 {
		t.Fatalf("unknown user: %d", code)
	}
	stage, code := b.login("root2", pw)
	if code != 200 || stage != "totp_setup" {
		t.Fatalf("admin login: %d %q (admins must enrol two-factor)", code, stage)
	}
	sc := strings.Join(b.last.Header.Values("Set-Cookie"), "\n")
	for _, want := range []string{"__Host-steward=", "Path=/", "Secure", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(sc, want) {
			t.Errorf("session cookie lacks %q: %s", want, sc)
		}
	}
	// Past the password but not the code: 401 everywhere.
	for _, p := range []string{"/api/v1/devices", "/api/v1/me", "/api/v1/users", "/api/v1/audit"} {
		if code := b.do("GET", p, nil, nil); code != 401 {
			t.Errorf("half-logged-in GET %s: %d", p, code)
		}
	}
	var setup struct {
		Secret string
		QR     string `json:"qr_png"`
	}
	if code := b.do("POST", "/api/v1/auth/totp/setup", nil, &setup); code != 200 || !strings.HasPrefix(setup.QR, "data:image/png;base64,") {
		t.Fatalf("setup: %d %q", code, setup.QR[:min(len(setup.QR), 40)])
	}
	if code := b.do("POST", "/api/v1/auth/totp/confirm", map[string]string{"code": "000000"}, nil); code != 401 {
		t.Fatalf("wrong confirm code: %d", code)
	}
	now := time.Now()
	var conf struct {
		Stage         string
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if code := b.do("POST", "/api/v1/auth/totp/confirm", map[string]string{"code": totpAt(t, setup.Secret, now)}, &conf); code != 200 ||
		conf.Stage != "done" || len(conf.RecoveryCodes) != 10 {
		t.Fatalf("confirm: %d %+v", code, conf)
	}
	var me map[string]any
	if code := b.do("GET", "/api/v1/me", nil, &me); code != 200 || me["csrf"] != b.csrf || me["totp_enabled"] != true {
		t.Fatalf("me: %d %v", code, me)
	}
	// CSRF: a state change without the header is refused, with it accepted.
	tok := b.csrf
	b.csrf = ""
	if code := b.do("POST", "/api/v1/clients", map[string]string{"name": "Acme"}, nil); code != 403 {
		t.Fatalf("POST without CSRF: %d", code)
	}
	b.csrf = "wrong"
	if code := b.do("POST", "/api/v1/clients", map[string]string{"name": "Acme"}, nil); code != 403 {
		t.Fatalf("POST with wrong CSRF: %d", code)
	}
	b.csrf = tok
	if code := b.do("POST", "/api/v1/clients", map[string]string{"name": "Acme"}, nil); code != 201 {
		t.Fatalf("POST with CSRF: %d", code)
	}

	// A second login: the code just used cannot be used again.
	b2 := e.browser()
	if stage, _ := b2.login("root2", pw); stage != "totp" {
		t.Fatalf("second login stage %q", stage)
	}
	if code := b2.do("POST", "/api/v1/auth/totp", map[string]string{"code": totpAt(t, setup.Secret, now)}, nil); code != 401 {
		t.Fatalf("replayed TOTP code accepted: %d", code)
	}
	if code := b2.do("GET", "/api/v1/devices", nil, nil); code != 401 {
		t.Fatalf("after replay: %d", code)
	}
	if code := b2.do("POST", "/api/v1/auth/totp", map[string]string{"code": totpAt(t, setup.Secret, now.Add(30*time.Second))}, nil); code != 200 {
		t.Fatalf("next TOTP step: %d", code)
	}
	if code := b2.do("GET", "/api/v1/devices", nil, nil); code != 200 {
		t.Fatalf("after TOTP: %d", code)
	}
	// A recovery code works once.
	b3, b4 := e.browser(), e.browser()
	b3.login("root2", pw)
	if code := b3.do("POST", "/api/v1/auth/totp", map[string]string{"code": conf.RecoveryCodes[0]}, nil); code != 200 {
		t.Fatalf("recovery code: %d", code)
	}
	b4.login("root2", pw)
	if code := b4.do("POST", "/api/v1/auth/totp", map[string]string{"code": conf.RecoveryCodes[0]}, nil); code != 401 {
		t.Fatalf("recovery code used twice: %d", code)
	}
	// A login posted as a form (what a cross-site page could send) is refused.
	req, _ := http.NewRequest("POST", e.url+"/api/v1/auth/login", strings.NewReader(`{"username":"root2","password":"`+pw+`"}`))
	req.Header.Set("Content-Type", "text/plain")
	if resp, err := e.hc.Do(req); err != nil || resp.StatusCode != 415 {
		t.Fatalf("text/plain login: %v %v", err, resp)
	}
	var audit []struct{ Action string }
	e.api("GET", "/api/v1/audit?action=auth.", nil, &audit)
	seen := map[string]bool{}
	for _, a := range audit {
		seen[a.Action] = true
	}
	for _, want := range []string{"auth.login", "auth.login_failed", "auth.totp_enrolled", "auth.totp", "auth.totp_failed"} {
		if !seen[want] {
			t.Errorf("audit lacks %s: %v", want, seen)
		}
	}
}

func TestLogoutPasswordChangeAndDisableEndSessions(t *testing.T) {
	e := startServer(t, serverConfig())
	tina := e.createUser("tina", "technician")
	b1, b2 := e.browser(), e.browser()
	for _, b := range []*browser{b1, b2} {
		if stage, code := b.login("tina", "tina-password-1"); code != 200 || stage != "done" {
			t.Fatalf("technician login: %d %s", code, stage)
		}
	}
	s1, s2 := b1.stream(), b2.stream()
	if code := b1.do("POST", "/api/v1/auth/logout", nil, nil); code != 200 {
		t.Fatalf("logout: %d", code)
	}
	waitFor(t, "logged-out session's stream to end", func() bool { return closed(s1) })
	if closed(s2) {
		t.Fatal("logout ended another session's stream")
	}
	if code := b1.do("GET", "/api/v1/devices", nil, nil); code != 401 {
		t.Fatalf("after logout: %d", code)
	}
	// Password change ends every session, including other browsers.
	if code := b2.do("PUT", "/api/v1/me/password", map[string]string{"current": "wrong", "new": "a-new-password-2"}, nil); code != 403 {
		t.Fatalf("password change with wrong current: %d", code)
	}
	if code := b2.do("PUT", "/api/v1/me/password", map[string]string{"current": "tina-password-1", "new": "short"}, nil); code != 400 {
		t.Fatalf("short new password: %d", code)
	}
	if code := b2.do("PUT", "/api/v1/me/password", map[string]string{"current": "tina-password-1", "new": "a-new-password-2"}, nil); code != 200 {
		t.Fatalf("password change: %d", code)
	}
	waitFor(t, "stream to end after password change", func() bool { return closed(s2) })
	if code := b2.do("GET", "/api/v1/devices", nil, nil); code != 401 {
		t.Fatalf("old session after password change: %d", code)
	}
	b3 := e.browser()
	if _, code := b3.login("tina", "tina-password-1"); code != 401 {
		t.Fatalf("old password still works: %d", code)
	}
	if _, code := b3.login("tina", "a-new-password-2"); code != 200 {
		t.Fatalf("new password: %d", code)
	}
	s3 := b3.stream()
	var tok struct{ Token string }
	b3.do("POST", "/api/v1/auth/token", map[string]any{"username": "tina", "password": "a-new-password-2"}, &tok)
	if code := e.apiAs(tok.Token, "GET", "/api/v1/devices", nil, nil); code != 200 {
		t.Fatalf("tina's token: %d", code)
	}
	// Disabling the account ends sessions, streams and tokens.
	if code := e.api("PATCH", "/api/v1/users/"+tina, map[string]any{"disabled": true}, nil); code != 200 {
		t.Fatalf("disable: %d", code)
	}
	waitFor(t, "stream to end after disable", func() bool { return closed(s3) })
	if code := b3.do("GET", "/api/v1/devices", nil, nil); code != 401 {
		t.Fatalf("disabled user's session: %d", code)
	}
	if code := e.apiAs(tok.Token, "GET", "/api/v1/devices", nil, nil); code != 401 {
		t.Fatalf("disabled user's token: %d", code)
	}
	if _, code := e.browser().login("tina", "a-new-password-2"); code != 401 {
		t.Fatalf("disabled user logs in: %d", code)
	}
}

func TestDisableClosesOpenShell(t *testing.T) {
	e := startServer(t, serverConfig())
	client := e.createClient("Acme")
	_, dev, _ := onlineAgent(t, e, client, agentConfig())
	e.createUser("sam", "technician")
	tok := e.tokenFor("sam")
	tc, resp, err := e.dialShell(tok, dev, e.url, "shell=sh")
	if err != nil {
		t.Fatalf("shell: %v %v", err, resp)
	}
	tc.send("echo ready-$((6*7))\n")
	tc.waitFor(t, "ready-42")
	var users []struct{ ID, Name string }
	e.api("GET", "/api/v1/users", nil, &users)
	for _, u := range users {
		if u.Name == "sam" {
			e.api("PATCH", "/api/v1/users/"+u.ID, map[string]any{"disabled": true}, nil)
		}
	}
	select {
	case <-tc.done:
	case <-time.After(30 * time.Second):
		t.Fatal("shell stayed open after its user was disabled")
	}
	var recs []struct {
		Ended  time.Time `json:"ended"`
		Reason string    `json:"reason"`
	}
	waitFor(t, "shell recorded as ended", func() bool {
		e.api("GET", "/api/v1/shells", nil, &recs)
		return len(recs) == 1 && !recs[0].Ended.IsZero()
	})
	if recs[0].Reason != "signed out" {
		t.Errorf("shell end reason %q", recs[0].Reason)
	}
}

func TestAPITokensNeverWiderAndFresh2FA(t *testing.T) {
	e := startServer(t, serverConfig())
	e.createUser("tina", "technician")
	b := e.browser()
	b.login("tina", "tina-password-1")
	// A session that never proved two-factor is not fresh.
	var ferr struct{ Error, Code string }
	if code := b.do("POST", "/api/v1/me/tokens", map[string]any{"name": "ci", "expires_seconds": 3600}, &ferr); code != 401 || ferr.Code != "fresh_2fa" {
		t.Fatalf("mint without fresh 2FA: %d %+v", code, ferr)
	}
	tok := e.tokenFor("tina")
	if code := e.apiAs(tok, "POST", "/api/v1/me/tokens", map[string]any{"name": "x", "perms": []string{"view", "users"}, "expires_seconds": 3600}, nil); code != 403 {
		t.Fatalf("token wider than its user: %d", code)
	}
	for _, body := range []map[string]any{{"name": "x"}, {"name": "x", "expires_seconds": 400 * 86400}, {"expires_seconds": 60}} {
		if code := e.apiAs(tok, "POST", "/api/v1/me/tokens", body, nil); code != 400 {
			t.Fatalf("bad token request %v: %d", body, code)
		}
	}
	var narrow struct {
		Token, ID string
		Perms     []string
	}
	if code := e.apiAs(tok, "POST", "/api/v1/me/tokens", map[string]any{"name": "read", "perms": []string{"view"}, "expires_seconds": 3600}, &narrow); code != 201 {
		t.Fatalf("mint narrow token: %d", code)
	}
	if code := e.apiAs(narrow.Token, "GET", "/api/v1/devices", nil, nil); code != 200 {
		t.Fatalf("narrow token view: %d", code)
	}
	if code := e.apiAs(narrow.Token, "POST", "/api/v1/clients", map[string]string{"name": "X"}, nil); code != 403 {
		t.Fatalf("narrow token did more than view: %d", code)
	}
	// A token minted by the narrow token cannot widen back.
	if code := e.apiAs(narrow.Token, "POST", "/api/v1/me/tokens", map[string]any{"name": "y", "perms": []string{"run"}, "expires_seconds": 60}, nil); code != 403 {
		t.Fatalf("narrow token minted a wider one: %d", code)
	}
	raw := func() string {
		req, _ := http.NewRequest("GET", e.url+"/api/v1/me/tokens", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := e.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}()
	if !strings.Contains(raw, narrow.ID) || strings.Contains(raw, "hash") || strings.Contains(raw, narrow.Token) {
		t.Fatalf("token list: %s", raw)
	}
	if code := e.apiAs(tok, "DELETE", "/api/v1/me/tokens/"+narrow.ID, nil, nil); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	if code := e.apiAs(narrow.Token, "GET", "/api/v1/devices", nil, nil); code != 401 {
		t.Fatalf("revoked token works: %d", code)
	}
	// Another user's token is not found.
	var admins []struct{ ID string }
	e.api("GET", "/api/v1/me/tokens", nil, &admins)
	if code := e.apiAs(tok, "DELETE", "/api/v1/me/tokens/"+admins[0].ID, nil, nil); code != 404 {
		t.Fatalf("revoke someone else's token: %d", code)
	}
}

func TestRolesGrantsAndOwnScope(t *testing.T) {
	e := startServer(t, serverConfig())
	a, bcl := e.createClient("Alpha"), e.createClient("Bravo")
	e.createUser("hd", "helpdesk")
	hd := e.tokenFor("hd")
	if code := e.apiAs(hd, "POST", "/api/v1/jobs", map[string]any{"client": a, "kind": "script",
		"script": map[string]any{"interpreter": "sh", "body": "id"}}, nil); code != 403 {
		t.Fatalf("helpdesk ran a script: %d", code)
	}
	if code := e.apiAs(hd, "GET", "/api/v1/users", nil, nil); code != 403 {
		t.Fatalf("helpdesk listed users: %d", code)
	}
	e.createUser("ro", "read-only")
	if code := e.apiAs(e.tokenFor("ro"), "POST", "/api/v1/clients", map[string]string{"name": "X"}, nil); code != 403 {
		t.Fatalf("read-only created a client: %d", code)
	}
	// An admin scoped to Alpha.
	aa := e.createUser("alpha-admin", "admin", a)
	tok := e.tokenFor("alpha-admin")
	try := func(what string, want int, method, path string, body any) {
		t.Helper()
		if code := e.apiAs(tok, method, path, body, nil); code != want {
			t.Errorf("%s: got %d, want %d", what, code, want)
		}
	}
	try("grant all clients", 403, "POST", "/api/v1/users", map[string]any{"name": "x1", "password": "long-enough-pw", "role": "technician", "all_clients": true})
	try("grant another client", 404, "POST", "/api/v1/users", map[string]any{"name": "x2", "password": "long-enough-pw", "role": "technician", "clients": []string{bcl}})
	try("grant admin (holds no audit/admin)", 403, "POST", "/api/v1/users", map[string]any{"name": "x3", "password": "long-enough-pw", "role": "admin", "clients": []string{a}})
	try("widen own scope", 403, "PATCH", "/api/v1/users/"+aa, map[string]any{"clients": []string{a, bcl}})
	try("change own role", 403, "PATCH", "/api/v1/users/"+aa, map[string]any{"role": "technician"})
	try("read audit log (spans all clients)", 403, "GET", "/api/v1/audit", nil)
	var created struct{ ID string }
	if code := e.apiAs(tok, "POST", "/api/v1/users", map[string]any{"name": "alpha-tech", "password": "long-enough-pw", "role": "technician", "clients": []string{"Alpha"}}, &created); code != 201 {
		t.Fatalf("scoped admin creates technician in scope: %d", code)
	}
	try("move own user to another client", 404, "PATCH", "/api/v1/users/"+created.ID, map[string]any{"clients": []string{bcl}})
	var admin []struct{ ID, Name string }
	e.api("GET", "/api/v1/users", nil, &admin)
	for _, u := range admin {
		if u.Name == "admin" {
			try("touch an all-clients admin", 404, "PATCH", "/api/v1/users/"+u.ID, map[string]any{"password": "take-over-the-admin"})
		}
	}
	var listed []struct{ Name string }
	e.apiAs(tok, "GET", "/api/v1/users", nil, &listed)
	for _, u := range listed {
		if u.Name == "admin" || u.Name == "hd" {
			t.Errorf("scoped admin sees %s", u.Name)
		}
	}
}

// TestFreshTwoFactorAskedAgain runs with a freshness window so short that
// every session is stale: each sensitive action must ask for a code.
func TestFreshTwoFactorAskedAgain(t *testing.T) {
	cfg := serverConfig()
	cfg.FreshTOTP, cfg.LargeJob = time.Nanosecond, 1
	e := startServer(t, cfg)
	client := e.createClient("Acme")
	_, d1 := e.enroll(e.enrollToken(client, 1, 0))
	_, d2 := e.enroll(e.enrollToken(client, 1, 0))
	b := e.browser()
	b.login("admin", e.adminPassword())
	if code := b.do("POST", "/api/v1/auth/totp", map[string]string{"code": e.adminCode()}, nil); code != 200 {
		t.Fatalf("admin second step: %d", code)
	}
	for _, c := range []struct {
		what, method, path string
		body               any
	}{
		{"create an admin", "POST", "/api/v1/users", map[string]any{"name": "admin2", "password": "long-enough-pw", "role": "admin", "all_clients": true}},
		{"mint an API token", "POST", "/api/v1/me/tokens", map[string]any{"name": "ci", "expires_seconds": 60}},
		{"job on more than LargeJob devices", "POST", "/api/v1/jobs", script([]string{d1, d2}, "true")},
		{"install software on one device", "POST", "/api/v1/jobs", map[string]any{"kind": "package", "devices": []string{d1},
			"package": map[string]any{"action": "install", "packages": []string{"curl"}}}},
		{"open a shell", "GET", "/api/v1/devices/" + d1 + "/shell", nil},
		{"mint a shell ticket", "POST", "/api/v1/devices/" + d1 + "/shell/ticket", nil},
	} {
		var er struct{ Code string }
		if code := b.do(c.method, c.path, c.body, &er); code != 401 || er.Code != "fresh_2fa" {
			t.Errorf("%s with a stale session: %d %q, want 401 fresh_2fa", c.what, code, er.Code)
		}
	}
	// A job on one device does not ask.
	if code := b.do("POST", "/api/v1/jobs", script([]string{d1}, "true"), nil); code != 201 {
		t.Errorf("small job: %d", code)
	}
	// The re-check itself works (a fresh code for the next step).
	if code := b.do("POST", "/api/v1/auth/totp", map[string]string{"code": e.adminCode()}, nil); code != 200 {
		t.Fatalf("re-check: %d", code)
	}
	// A bearer token is asked again too: it is only as fresh as the
	// two-factor check it was minted with.
	var er struct{ Code string }
	if code := e.api("POST", "/api/v1/users", map[string]any{"name": "admin3", "password": "long-enough-pw", "role": "admin", "all_clients": true}, &er); code != 401 || er.Code != "fresh_2fa" {
		t.Fatalf("stale token creates admin: %d %q, want 401 fresh_2fa", code, er.Code)
	}
}

func TestLoginRateLimitPerAccountAndAddress(t *testing.T) {
	e := startServer(t, serverConfig())
	pw := e.adminPassword()
	post := func(user, pass, xff string) int {
		req, _ := http.NewRequest("POST", e.url+"/api/v1/auth/login", strings.NewReader(`{"username":"`+user+`","password":"`+pass+`"}`))
		req.Header.Set("Content-Type", "application/json")
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		resp, err := e.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// Per source address: different account names and a forged
	// X-Forwarded-For from an untrusted peer do not get around it.
	for i := 0; i < 5; i++ {
		if code := post("guess"+string(rune('a'+i)), "nope", "10.0.0."+string(rune('1'+i))); code != 401 {
			t.Fatalf("attempt %d: %d", i, code)
		}
	}
	if code := post("fresh-name", "nope", "10.9.9.9"); code != 429 {
		t.Fatalf("sixth failure from one address: %d, want 429", code)
	}
	if code := post("admin", pw, "10.9.9.8"); code != 429 {
		t.Fatalf("right password from a throttled address: %d, want 429", code)
	}
	var evs []struct {
		Action string
		Source string
	}
	e.api("GET", "/api/v1/audit?action=auth.login_throttled", nil, &evs)
	if len(evs) == 0 || evs[0].Source != "127.0.0.1" {
		t.Fatalf("throttling not audited with the real peer address: %+v", evs)
	}

	// Behind a trusted proxy the forwarded address counts, and the
	// per-account limit still holds across addresses.
	cfg := serverConfig()
	cfg.TrustedProxies = []string{"127.0.0.1"}
	p := startServer(t, cfg)
	e = p
	pw = p.adminPassword()
	for i := 0; i < 5; i++ {
		if code := post("admin", "nope", "10.1.0."+string(rune('1'+i))); code != 401 {
			t.Fatalf("proxied attempt %d: %d", i, code)
		}
	}
	if code := post("admin", pw, "10.1.1.1"); code != 429 {
		t.Fatalf("account limit across addresses: %d, want 429", code)
	}
	if code := post("someone", "nope", "10.1.1.2"); code != 401 {
		t.Fatalf("another account from a new forwarded address: %d, want 401", code)
	}
}

func TestSetupIsOneShot(t *testing.T) {
	e := startServer(t, serverConfig())
	pw := e.adminPassword()
	users := func() int {
		var us []any
		e.api("GET", "/api/v1/users", nil, &us)
		return len(us)
	}
	if n := users(); n != 1 {
		t.Fatalf("users after setup: %d", n)
	}
	body := `{"name":"evil","username":"evil","password":"evil-password-123","role":"admin"}`
	for _, p := range []string{"/setup", "/setup/x", "/%2e/setup", "//setup", "/setup;x", "/SETUP", "/Setup/", "/api/v1/setup",
		"/api/v1/%2e%2e/setup", "/api/v1/users/../../setup", "/api/v1//users", "/API/V1/USERS", "/api/v1/users;x"} {
		for _, m := range []string{"GET", "POST"} {
			req, _ := http.NewRequest(m, e.url+p, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := e.hc.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", m, p, err)
			}
			resp.Body.Close()
			if m == "POST" && resp.StatusCode < 300 {
				t.Errorf("%s %s accepted without credentials: %d", m, p, resp.StatusCode)
			}
		}
	}
	e.restart()
	if n := users(); n != 1 {
		t.Fatalf("users after path variants and a restart: %d", n)
	}
	if got := e.adminPassword(); got != pw {
		t.Fatal("setup ran again: admin password replaced")
	}
	if stage, code := e.browser().login("admin", pw); code != 200 || stage != "totp" {
		t.Fatalf("admin login after restart: %d %s", code, stage)
	}
	if _, code := e.browser().login("evil", "evil-password-123"); code != 401 {
		t.Fatalf("evil user exists: %d", code)
	}
}

func serverConfig() server.Config { return server.Config{Require2FAForAdmins: true} }

func agentConfig() agent.Config { return agent.Config{} }

// syncBuf is a bytes.Buffer safe to read while a command writes to it.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ctlAs runs stewardctl with the saved config only (no token in the
// environment) and the given standard input.
func (e *env) ctlAs(t *testing.T, in io.Reader, out io.Writer, args ...string) (string, int) {
	t.Helper()
	var errb syncBuf
	env := map[string]string{"STEWARD_SERVER": e.url, "STEWARD_CA_FINGERPRINT": e.fp}
	code := ctl.Execute(args, in, out, &errb, func(k string) string { return env[k] })
	return errb.String(), code
}

func TestStewardctlUsersLoginAnd2FA(t *testing.T) {
	e := startServer(t, serverConfig())
	e.createClient("Acme")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	out, _, code := e.ctlIn(t, "tina-password-1\n", "users", "add", "tina", "--role", "technician", "--all-clients")
	if code != 0 || !strings.Contains(out, "tina") || !strings.Contains(out, "technician") {
		t.Fatalf("users add: %d %s", code, out)
	}
	if out, _, code := e.ctlIn(t, "short\n", "users", "add", "weak", "--all-clients"); code == 0 {
		t.Fatalf("weak password accepted: %s", out)
	}
	if out, _, _ := e.ctl(t, "users", "scope", "tina", "Acme"); strings.Contains(out, " all ") || !strings.Contains(out, "Acme") || strings.Contains(out, "c_") {
		// Issue 20: the table names the client (it showed its ID).
		t.Fatalf("users scope: %s", out)
	}
	if out, _, _ := e.ctl(t, "users", "set-role", "tina", "helpdesk"); !strings.Contains(out, "helpdesk") {
		t.Fatalf("set-role: %s", out)
	}
	if out, _, _ := e.ctl(t, "users", "list"); !strings.Contains(out, "helpdesk") || !strings.Contains(out, "admin") {
		t.Fatalf("users list: %s", out)
	}

	// tina logs in with her password and saves a token.
	var o syncBuf
	if msg, code := e.ctlAs(t, strings.NewReader("wrong-password\n"), &o, "login", "--user", "tina"); code == 0 || !strings.Contains(msg, "wrong") {
		t.Fatalf("login with a wrong password: %d %s", code, msg)
	}
	if msg, code := e.ctlAs(t, strings.NewReader("tina-password-1\n"), &o, "login", "--user", "tina"); code != 0 || !strings.Contains(o.String(), "logged in as tina (helpdesk)") {
		t.Fatalf("login: %d %s %s", code, msg, o.String())
	}
	// She enrols two-factor; the code is typed after the secret is shown.
	pr, pw := io.Pipe()
	var eo syncBuf
	done := make(chan int, 1)
	go func() {
		_, c := e.ctlAs(t, pr, &eo, "2fa", "enroll")
		done <- c
	}()
	var secret string
	waitFor(t, "secret printed", func() bool {
		m := regexp.MustCompile(`secret: ([A-Z2-7]+)`).FindStringSubmatch(eo.String())
		if m != nil {
			secret = m[1]
		}
		return m != nil
	})
	now := time.Now()
	io.WriteString(pw, totpAt(t, secret, now)+"\n")
	if c := <-done; c != 0 || strings.Count(eo.String(), "\n  ") < 10 {
		t.Fatalf("2fa enroll: %d %s", c, eo.String())
	}
	// Now login asks for the code, and refuses the one already used.
	o = syncBuf{}
	if _, code := e.ctlAs(t, strings.NewReader("tina-password-1\n"+totpAt(t, secret, now)+"\n"), &o, "login", "--user", "tina"); code == 0 {
		t.Fatal("login reused a two-factor code")
	}
	if msg, code := e.ctlAs(t, strings.NewReader("tina-password-1\n"+totpAt(t, secret, now.Add(30*time.Second))+"\n"), &o, "login", "--user", "tina"); code != 0 {
		t.Fatalf("login with two-factor: %s", msg)
	}
	if msg, code := e.ctlAs(t, nil, &o, "devices", "list"); code != 0 {
		t.Fatalf("saved token: %s", msg)
	}
	if msg, code := e.ctlAs(t, nil, &o, "2fa", "disable"); code != 0 {
		t.Fatalf("2fa disable: %s", msg)
	}
	home := os.Getenv("XDG_CONFIG_HOME") // where tina's token is saved; e.ctl moves it
	if out, _, code := e.ctl(t, "users", "disable", "tina"); code != 0 || !strings.Contains(out, "true") {
		t.Fatalf("users disable: %d %s", code, out)
	}
	t.Setenv("XDG_CONFIG_HOME", home)
	if msg, code := e.ctlAs(t, nil, &o, "devices", "list"); code == 0 || !strings.Contains(msg, "401") {
		t.Fatalf("a disabled user's saved token still works: %s", msg)
	}
}

// ctlIn is e.ctl with standard input.
func (e *env) ctlIn(t *testing.T, in string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"STEWARD_SERVER": e.url, "STEWARD_TOKEN": e.token, "STEWARD_CA_FINGERPRINT": e.fp}
	code := ctl.Execute(args, strings.NewReader(in), &out, &errb, func(k string) string { return env[k] })
	return out.String(), errb.String(), code
}

func TestAuditLogCoversActionsAndDetectsEdits(t *testing.T) {
	e := startServer(t, serverConfig())
	client := e.createClient("Acme")
	// Power commands go to a recorder, never to this machine.
	_, dev, _ := onlineAgent(t, e, client, agent.Config{OpsRunner: (&recorder{}).run, GOOS: "linux"})
	e.browser().login("admin", "wrong-password")
	e.createUser("tina", "technician")
	tok := e.tokenFor("tina")
	e.apiAs(tok, "POST", "/api/v1/me/tokens", map[string]any{"name": "ci", "expires_seconds": 60}, nil)
	j := e.createJob(script([]string{dev}, "true"))
	e.waitState(j.Runs[0].ID, "succeeded")
	e.api("POST", "/api/v1/jobs", map[string]any{"devices": []string{dev}, "kind": "power",
		"power": map[string]any{"action": "reboot"}, "at": time.Now().Add(time.Hour).UTC()}, nil)
	tc, _, err := e.dialShell(e.token, dev, e.url, "")
	if err != nil {
		t.Fatal(err)
	}
	tc.send("exit\n")
	<-tc.done
	var out string
	waitFor(t, "shell.close audited", func() bool {
		out, _, _ = e.ctl(t, "audit", "list", "-o", "json")
		return strings.Contains(out, `"shell.close"`)
	})
	for _, want := range []string{"auth.login_failed", "auth.login", "user.create", "token.create", "job.create", "shell.open",
		"shell.close", "client.create", `"kind": "power"`, `"kind": "script"`} {
		if !strings.Contains(out, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
	if out, _, code := e.ctl(t, "audit", "verify"); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("verify before tampering: %d %s", code, out)
	}
	// Edit one stored record behind the server's back.
	e.stop()
	if err := boltstore.TamperAudit(e.dir, func(recs [][]byte) [][]byte {
		recs[0] = bytes.Replace(recs[0], []byte(`"system"`), []byte(`"nobody"`), 1)
		return recs
	}); err != nil {
		t.Fatal(err)
	}
	e.start()
	if out, _, code := e.ctl(t, "audit", "verify"); code == 0 || !strings.Contains(out, "BROKEN") {
		t.Fatalf("verify after an edit: %d %s", code, out)
	}
}
