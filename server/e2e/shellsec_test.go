//go:build linux

package e2e_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server"
)

// refused reports whether a websocket dial was turned away with status.
func refused(resp *http.Response, err error, status int) bool {
	return err != nil && resp != nil && resp.StatusCode == status
}

// TestShellWebsocketNeedsTicket: a session cookie and a same-site Origin no
// longer open a shell; a ticket minted by an authenticated POST does, once,
// for its device, with the credential that minted it, while its user is
// enabled.
func TestShellWebsocketNeedsTicket(t *testing.T) {
	e := startServer(t, serverConfig())
	client := e.createClient("Acme")
	_, devA, _ := onlineAgent(t, e, client, agentConfig())
	_, devB := e.enroll(e.enrollToken(client, 1, 0))
	b := e.browser()
	b.login("admin", e.adminPassword())
	// A fresh, full session: admin's second step (the harness enrolled TOTP).
	if code := b.do("POST", "/api/v1/auth/totp", map[string]string{"code": e.adminCode()}, nil); code != 200 {
		t.Fatalf("admin second step: %d", code)
	}
	browserWS := websocket.Dialer{Jar: b.hc.Jar}

	// The attack: the cookie and the right Origin, no ticket.
	if _, resp, err := e.dialShellWith(browserWS, http.Header{}, devA, e.url, "shell=sh"); !refused(resp, err, 403) {
		t.Fatalf("shell opened on a session cookie and Origin alone: err=%v resp=%v", err, resp)
	}
	// Minting needs the CSRF token like every other POST of a session.
	if code := b.do("POST", "/api/v1/devices/"+devA+"/shell/ticket", nil, nil); code != 201 {
		t.Fatalf("mint a ticket: %d", code)
	}
	csrf := b.csrf
	b.csrf = ""
	if code := b.do("POST", "/api/v1/devices/"+devA+"/shell/ticket", nil, nil); code != 403 {
		t.Errorf("ticket minted without the CSRF token: %d", code)
	}
	b.csrf = csrf
	var tk struct{ Ticket string }
	b.do("POST", "/api/v1/devices/"+devA+"/shell/ticket", nil, &tk)
	q := "shell=sh&ticket=" + url.QueryEscape(tk.Ticket)
	tc, resp, err := e.dialShellWith(browserWS, http.Header{}, devA, e.url, q)
	if err != nil {
		t.Fatalf("shell with a ticket: %v %v", err, resp)
	}
	tc.send("echo ticket-$((6*7))\n")
	tc.waitFor(t, "ticket-42")
	tc.ws.Close()
	// Used once: the same ticket opens nothing more.
	if _, resp, err := e.dialShellWith(browserWS, http.Header{}, devA, e.url, q); !refused(resp, err, 403) {
		t.Errorf("a ticket reused: err=%v resp=%v", err, resp)
	}
	// A ticket for device A does not open device B.
	b.do("POST", "/api/v1/devices/"+devA+"/shell/ticket", nil, &tk)
	if _, resp, err := e.dialShellWith(browserWS, http.Header{}, devB, e.url, "ticket="+url.QueryEscape(tk.Ticket)); !refused(resp, err, 403) {
		t.Errorf("a ticket for A opened B: err=%v resp=%v", err, resp)
	}
	// The ticket alone (no credential) or with another credential is refused.
	b.do("POST", "/api/v1/devices/"+devA+"/shell/ticket", nil, &tk)
	if _, resp, err := e.dialShellWith(websocket.Dialer{}, http.Header{}, devA, e.url, "ticket="+url.QueryEscape(tk.Ticket)); !refused(resp, err, 401) {
		t.Errorf("a ticket without its credential: err=%v resp=%v", err, resp)
	}
	b.do("POST", "/api/v1/devices/"+devA+"/shell/ticket", nil, &tk)
	h := http.Header{"Authorization": {"Bearer " + e.token}}
	if _, resp, err := e.dialShellWith(websocket.Dialer{}, h, devA, e.url, "ticket="+url.QueryEscape(tk.Ticket)); !refused(resp, err, 403) {
		t.Errorf("a session's ticket used with a token: err=%v resp=%v", err, resp)
	}

	// A ticket minted by a user who is then disabled opens nothing.
	samID := e.createUser("sam", "technician")
	sam := e.tokenFor("sam")
	samTicket := e.mintTicket(sam, devA)
	if samTicket == "" {
		t.Fatal("sam could not mint a ticket")
	}
	if code := e.api("PATCH", "/api/v1/users/"+samID, map[string]any{"disabled": true}, nil); code != 200 {
		t.Fatalf("disable sam: %d", code)
	}
	h = http.Header{"Authorization": {"Bearer " + sam}}
	if _, resp, err := e.dialShellWith(websocket.Dialer{}, h, devA, e.url, "ticket="+url.QueryEscape(samTicket)); !refused(resp, err, 401) {
		t.Errorf("a disabled user's ticket: err=%v resp=%v", err, resp)
	}
}

// TestShellTicketExpires: a ticket past its lifetime is refused.
func TestShellTicketExpires(t *testing.T) {
	cfg := server.Config{ShellTicketTTL: time.Nanosecond}
	e := startServer(t, cfg)
	_, dev := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	tk := e.mintTicket(e.token, dev)
	if tk == "" {
		t.Fatal("no ticket minted")
	}
	h := http.Header{"Authorization": {"Bearer " + e.token}}
	if _, resp, err := e.dialShellWith(websocket.Dialer{}, h, dev, e.url, "ticket="+url.QueryEscape(tk)); !refused(resp, err, 403) {
		t.Errorf("an expired ticket: err=%v resp=%v", err, resp)
	}
}

// shellWithSecret opens a bash shell as token, types a secret at a
// `read -s` prompt (the PTY does not echo it), proves the shell got it,
// and ends the session. It returns the session's ID once it is recorded.
func shellWithSecret(t *testing.T, e *env, token, dev, secret string) string {
	t.Helper()
	tc, resp, err := e.dialShell(token, dev, e.url, "shell=bash")
	if err != nil {
		t.Fatalf("shell: %v %v", err, resp)
	}
	// The prompt is spelt apart so that the echoed command line differs.
	tc.send(`read -s -p "Pass""word: " PW` + "\n")
	tc.waitFor(t, "Password: ")
	tc.send(secret + "\n")
	tc.send("echo got-${#PW}-chars\n")
	tc.waitFor(t, "got-"+strconv.Itoa(len(secret))+"-chars")
	tc.send("exit\n")
	<-tc.done
	var recs []struct {
		ID    string
		Ended time.Time
	}
	waitFor(t, "session recorded", func() bool {
		e.api("GET", "/api/v1/shells", nil, &recs)
		return len(recs) > 0 && !recs[0].Ended.IsZero()
	})
	return recs[0].ID
}

// TestShellRecordingKeepsNoKeystrokes: a password typed at a prompt is not
// in the recording, and a technician of the client cannot read recordings
// at all; an admin can.
func TestShellRecordingKeepsNoKeystrokes(t *testing.T) {
	e := startServer(t, serverConfig())
	client := e.createClient("Acme")
	_, dev, _ := onlineAgent(t, e, client, agentConfig())
	const secret = "hunter2-Pa55word"
	e.createUser("tom", "technician", client)
	tom := e.tokenFor("tom")
	id := shellWithSecret(t, e, tom, dev, secret)

	file, err := os.ReadFile(filepath.Join(e.dir, "recordings", id+".cast"))
	if err != nil {
		t.Fatal(err)
	}
	api := e.rawGet(t, "/api/v1/shells/"+id+"/recording") // as admin
	for what, text := range map[string]string{"file": string(file), "API": api} {
		if strings.Contains(text, secret) || strings.Contains(text, `"i"`) {
			t.Errorf("the recording (%s) keeps keystrokes: %q", what, text)
		}
		if !strings.Contains(text, "got-16-chars") {
			t.Errorf("the recording (%s) lost the output: %q", what, text)
		}
	}
	// The technician who ran the session cannot list or read recordings.
	if code := e.apiAs(tom, "GET", "/api/v1/shells/"+id+"/recording", nil, nil); code != 403 {
		t.Errorf("technician reads a recording: %d, want 403", code)
	}
	if code := e.apiAs(tom, "GET", "/api/v1/shells", nil, nil); code != 403 {
		t.Errorf("technician lists recordings: %d, want 403", code)
	}
	var me struct{ Perms []string }
	e.api("GET", "/api/v1/me", nil, &me)
	if !strings.Contains(strings.Join(me.Perms, ","), "recordings") {
		t.Errorf("admin lacks the recordings permission: %v", me.Perms)
	}
}

// TestShellInputRecordedWhenTurnedOn: --record-shell-input keeps keystrokes,
// and the server audits that it runs with it.
func TestShellInputRecordedWhenTurnedOn(t *testing.T) {
	cfg := serverConfig()
	cfg.RecordShellInput = true
	e := startServer(t, cfg)
	_, dev, _ := onlineAgent(t, e, e.createClient("Acme"), agentConfig())
	id := shellWithSecret(t, e, e.token, dev, "typed-and-kept")
	if rec := e.rawGet(t, "/api/v1/shells/"+id+"/recording"); !strings.Contains(rec, `"i","typed-and-kept`) {
		t.Errorf("input not recorded with --record-shell-input: %q", rec)
	}
	var evs []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=shell.record_input", nil, &evs)
	if len(evs) != 1 || evs[0].Actor != "system" {
		t.Errorf("input recording not audited at start: %+v", evs)
	}
}
