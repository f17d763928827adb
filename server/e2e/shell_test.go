//go:build linux

package e2e_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server"
	"github.com/steward-rmm/steward/server/store"
)

type tech struct {
	ws   *websocket.Conn
	mu   sync.Mutex
	out  strings.Builder
	ctrl []map[string]any
	done chan struct{}
	hold chan struct{} // while open, the reader is paused
}

// mintTicket asks for a shell ticket with a bearer token; "" when refused.
func (e *env) mintTicket(token, deviceID string) string {
	req, _ := http.NewRequest("POST", e.url+"/api/v1/devices/"+deviceID+"/shell/ticket", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var out struct{ Ticket string }
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.Ticket
}

// dialShell opens a shell as a client does: it mints a ticket with the
// token, then opens the websocket with both. When minting is refused it
// dials without a ticket, so the websocket's own refusal is what the
// caller sees.
func (e *env) dialShell(token, deviceID, origin, query string) (*tech, *http.Response, error) {
	if tk := e.mintTicket(token, deviceID); tk != "" {
		if query != "" {
			query += "&"
		}
		query += "ticket=" + url.QueryEscape(tk)
	}
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return e.dialShellWith(websocket.Dialer{}, h, deviceID, origin, query)
}

// dialShellWith opens the shell websocket exactly as given: the caller's
// headers (and d's cookie jar), Origin and query, ticket or none.
func (e *env) dialShellWith(d websocket.Dialer, h http.Header, deviceID, origin, query string) (*tech, *http.Response, error) {
	if origin != "" {
		h.Set("Origin", origin)
	}
	d.TLSClientConfig, d.HandshakeTimeout = pinnedTLS(e.fp, nil), 10*time.Second
	ws, resp, err := d.Dial(strings.Replace(e.url, "https", "wss", 1)+"/api/v1/devices/"+deviceID+"/shell?"+query, h)
	if err != nil {
		return nil, resp, err
	}
	tc := &tech{ws: ws, done: make(chan struct{})}
	go func() {
		defer close(tc.done)
		for {
			tc.mu.Lock()
			hold := tc.hold
			tc.mu.Unlock()
			if hold != nil {
				<-hold
			}
			mt, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			tc.mu.Lock()
			if mt == websocket.BinaryMessage {
				tc.out.Write(b)
			} else {
				var m map[string]any
				_ = json.Unmarshal(b, &m)
				tc.ctrl = append(tc.ctrl, m)
			}
			tc.mu.Unlock()
		}
	}()
	return tc, resp, nil
}

func (tc *tech) send(s string) { _ = tc.ws.WriteMessage(websocket.BinaryMessage, []byte(s)) }

func (tc *tech) waitFor(t *testing.T, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	var m []string
	waitFor(t, "terminal output "+re, func() bool {
		tc.mu.Lock()
		defer tc.mu.Unlock()
		m = rx.FindStringSubmatch(tc.out.String())
		return m != nil
	})
	return m
}

func (tc *tech) control(t *testing.T, typ string) map[string]any {
	t.Helper()
	var got map[string]any
	waitFor(t, "control message "+typ, func() bool {
		tc.mu.Lock()
		defer tc.mu.Unlock()
		for _, c := range tc.ctrl {
			if c["type"] == typ {
				got = c
				return true
			}
		}
		return false
	})
	return got
}

func pidGone(pid int) bool {
	if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && strings.Contains(string(b), ") Z ")
}

func TestShellSession(t *testing.T) {
	e := startServer(t, server.Config{})
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), agent.Config{})
	tc, _, err := e.dialShell(e.token, id, e.url, "shell=sh&cols=80&rows=24")
	if err != nil {
		t.Fatal(err)
	}
	tc.send("echo h''i\n")
	tc.waitFor(t, `\bhi\b`)
	_ = tc.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"resize","cols":100,"rows":40}`))
	time.Sleep(100 * time.Millisecond)
	tc.send("stty size\n")
	tc.waitFor(t, `40 100`)
	tc.send("sleep 300 & echo PID=$!\n")
	pid, _ := strconv.Atoi(tc.waitFor(t, `PID=(\d+)`)[1])
	// Closing the technician's side kills the remote shell and its children.
	tc.ws.Close()
	waitFor(t, "remote shell tree killed", func() bool { return pidGone(pid) })

	// Audited with bytes, and recorded as asciicast v2 that replays the
	// output; keystrokes are not kept (TestShellRecordingKeepsNoKeystrokes).
	var recs []struct {
		ID       string `json:"id"`
		BytesIn  int64  `json:"bytes_in"`
		BytesOut int64  `json:"bytes_out"`
	}
	waitFor(t, "session recorded", func() bool {
		e.api("GET", "/api/v1/shells", nil, &recs)
		return len(recs) == 1 && recs[0].BytesIn > 0
	})
	req, _ := http.NewRequest("GET", e.url+"/api/v1/shells/"+recs[0].ID+"/recording", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := e.hc.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("download recording: %v %v", err, resp)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var header map[string]any
	var typed, shown strings.Builder
	first := true
	for sc.Scan() {
		if first {
			if err := json.Unmarshal(sc.Bytes(), &header); err != nil {
				t.Fatalf("header: %v", err)
			}
			first = false
			continue
		}
		var ev []any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || len(ev) != 3 {
			t.Fatalf("event line %q: %v", sc.Text(), err)
		}
		switch ev[1] {
		case "i":
			typed.WriteString(ev[2].(string))
		case "o":
			shown.WriteString(ev[2].(string))
		}
	}
	if header["version"] != float64(2) || header["width"] != float64(80) {
		t.Errorf("header %v", header)
	}
	if typed.Len() != 0 || !strings.Contains(shown.String(), "hi") || !strings.Contains(shown.String(), "40 100") {
		t.Errorf("recording input %q, output %q", typed.String(), shown.String())
	}
	var evs []api.AuditEvent
	waitFor(t, "shell audit events", func() bool {
		e.api("GET", "/api/v1/audit?action=shell.", nil, &evs)
		return len(evs) == 2
	})
	if len(evs) != 2 || evs[1].Detail["bytes_in"] == "0" || evs[1].Detail["bytes_out"] == "0" {
		t.Errorf("audit %+v", evs)
	}
}

func TestShellExitStatusAndOfflineMessage(t *testing.T) {
	e := startServer(t, server.Config{})
	_, id, a := onlineAgent(t, e, e.createClient("Acme"), agent.Config{})
	tc, _, err := e.dialShell(e.token, id, e.url, "shell=sh")
	if err != nil {
		t.Fatal(err)
	}
	tc.send("exit 5\n")
	if c := tc.control(t, "exit"); c["code"] != float64(5) {
		t.Fatalf("exit control %v", c)
	}
	tc2, _, err := e.dialShell(e.token, id, e.url, "shell=sh")
	if err != nil {
		t.Fatal(err)
	}
	tc2.send("echo ready\n")
	tc2.waitFor(t, "ready")
	a.stop()
	c := tc2.control(t, "error")
	if msg, _ := c["message"].(string); !strings.Contains(msg, "device went offline") {
		t.Fatalf("offline message %v", c)
	}
}

func TestShellRefusals(t *testing.T) {
	e := startServer(t, server.Config{})
	client := e.createClient("Acme")
	_, id, _ := onlineAgent(t, e, client, agent.Config{})
	for _, origin := range []string{"", "https://evil.example", "http://" + strings.TrimPrefix(e.url, "https://")} {
		_, resp, err := e.dialShell(e.token, id, origin, "")
		if err == nil || resp == nil || resp.StatusCode != 403 {
			t.Errorf("origin %q: err=%v resp=%v", origin, err, resp)
		}
	}
	// A helpdesk user may view devices but not open shells.
	secret := "stw_helpdesktoken"
	st := e.srv.Store()
	u := store.User{ID: "u_helpdesk", Name: "helper", Role: "helpdesk", AllClients: true, CreatedAt: time.Now()}
	if err := st.CreateUser(u); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(secret))
	if err := st.PutAPIToken(store.APIToken{ID: "t_h", Hash: hex.EncodeToString(sum[:]), UserID: u.ID, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if code := e.apiAs(secret, "GET", "/api/v1/devices/"+id, nil, nil); code != 200 {
		t.Fatalf("helpdesk view: %d", code)
	}
	if _, resp, err := e.dialShell(secret, id, e.url, ""); err == nil || resp == nil || resp.StatusCode != 403 {
		t.Errorf("helpdesk shell: err=%v resp=%v", err, resp)
	}
	if _, resp, err := e.dialShell("", id, e.url, ""); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("anonymous shell: err=%v resp=%v", err, resp)
	}
	if _, resp, err := e.dialShell(e.token, "d_nope", e.url, ""); err == nil || resp == nil || resp.StatusCode != 404 {
		t.Errorf("unknown device: err=%v resp=%v", err, resp)
	}
	tc, _, err := e.dialShell(e.token, id, e.url, "shell="+"..%2F..%2Fbin%2Fsh")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	// End the session and let its recording be written before the data
	// directory is removed.
	tc.ws.Close()
	waitFor(t, "shell session recorded as ended", func() bool {
		var recs []struct {
			Ended time.Time `json:"ended"`
		}
		e.api("GET", "/api/v1/shells", nil, &recs)
		return len(recs) == 1 && !recs[0].Ended.IsZero()
	})
}

func TestShellFloodKeepsHeartbeatsAndMemoryBounded(t *testing.T) {
	e := startServer(t, server.Config{Heartbeat: time.Second})
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), agent.Config{})
	tc, _, err := e.dialShell(e.token, id, e.url, "shell=sh")
	if err != nil {
		t.Fatal(err)
	}
	tc.send("yes flood-flood-flood-flood-flood\n")
	tc.waitFor(t, "flood-flood")
	// The technician stops reading: the server must not buffer the flood.
	hold := make(chan struct{})
	tc.mu.Lock()
	tc.hold = hold
	tc.mu.Unlock()
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	d0, _, _ := e.device(id)
	waitFor(t, "three more heartbeats during the flood", func() bool {
		d, _, _ := e.device(id)
		return d.LastSeen.Sub(d0.LastSeen) >= 3*time.Second
	})
	runtime.ReadMemStats(&m1)
	if grow := int64(m1.HeapInuse) - int64(m0.HeapInuse); grow > 32<<20 {
		t.Fatalf("heap grew by %d MB during a flood", grow>>20)
	}
	if !e.online(id) {
		t.Fatal("device went offline during the flood")
	}
	// Reading again, the flood resumes: credit returned as bytes are taken
	// keeps the window open (none is lost).
	tc.mu.Lock()
	before := tc.out.Len()
	tc.hold = nil
	tc.mu.Unlock()
	close(hold)
	waitFor(t, "flood continues past several windows", func() bool {
		tc.mu.Lock()
		defer tc.mu.Unlock()
		return tc.out.Len() > before+8*256<<10
	})
	// A second session on the same device still answers promptly.
	tc2, _, err := e.dialShell(e.token, id, e.url, "shell=sh")
	if err != nil {
		t.Fatal(err)
	}
	tc2.send("echo second-alive\n")
	tc2.waitFor(t, "second-alive")
}
