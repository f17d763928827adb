//go:build linux

package e2e_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/agent/identity"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
)

// agentDialer connects to a server's agent endpoint as an enrolled device
// with a TLS session cache, as the agent does, and reports whether each
// connection resumed a session.
type agentDialer struct {
	t    *testing.T
	conf *tls.Config
}

func newAgentDialer(t *testing.T, e *env, dir string) *agentDialer {
	t.Helper()
	id, err := identity.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := id.TLSConfig(e.url)
	if err != nil {
		t.Fatal(err)
	}
	conf.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	return &agentDialer{t: t, conf: conf}
}

// connect dials e's agent endpoint and, once upgraded, exchanges hello
// and welcome. It returns the HTTP status (101 when welcomed) and whether
// the TLS session was resumed.
func (d *agentDialer) connect(e *env) (status int, resumed bool) {
	d.t.Helper()
	var tc *tls.Conn
	wd := websocket.Dialer{HandshakeTimeout: 30 * time.Second,
		NetDialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&tls.Dialer{Config: d.conf}).DialContext(ctx, network, addr)
			if err == nil {
				tc = c.(*tls.Conn)
			}
			return c, err
		}}
	ws, resp, err := wd.Dial(strings.Replace(e.url, "https://", "wss://", 1)+"/agent/ws", nil)
	if tc == nil {
		d.t.Fatalf("TLS connection to the agent endpoint: %v", err)
	}
	resumed = tc.ConnectionState().DidResume
	if err != nil {
		if resp == nil {
			d.t.Fatalf("agent endpoint: %v", err)
		}
		return resp.StatusCode, resumed
	}
	defer ws.Close()
	hello := protocol.Hello{ProtocolVersion: protocol.Version, AgentVersion: "1.0.0-test", OS: "linux", Arch: "amd64", Hostname: "test-host"}
	if err := ws.WriteMessage(websocket.TextMessage, protocol.MustEncode(protocol.TypeHello, "", hello)); err != nil {
		d.t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, b, err := ws.ReadMessage()
	if err != nil {
		d.t.Fatalf("read welcome: %v", err)
	}
	msg, err := protocol.Decode(b, protocol.MaxServerFrame)
	if err != nil || msg.Type != protocol.TypeWelcome {
		d.t.Fatalf("expected a welcome, got %q (%v)", msg.Type, err)
	}
	return resp.StatusCode, resumed
}

// TestTLSResumptionAcrossRestart: a device's TLS session survives a
// restart of the server on the same data folder (the session ticket keys
// are kept there, 0600, and still open tickets after a daily rotation),
// while the device's identity is checked on every resumed connection: a
// revoked device is refused although its session resumes, and a session
// ticket sealed by another server's keys (a copy of this server's data,
// same CA, certificate and devices, but its own keys) is not resumed.
func TestTLSResumptionAcrossRestart(t *testing.T) {
	e := startServer(t, server.Config{})
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	d := newAgentDialer(t, e, dir)

	if st, res := d.connect(e); st != http.StatusSwitchingProtocols || res {
		t.Fatalf("first connection: status %d, resumed %v; want 101, a full handshake", st, res)
	}
	if st, res := d.connect(e); st != http.StatusSwitchingProtocols || !res {
		t.Fatalf("second connection: status %d, resumed %v; want 101, resumed", st, res)
	}
	e.restart()
	if st, res := d.connect(e); st != http.StatusSwitchingProtocols || !res {
		t.Fatalf("after a restart: status %d, resumed %v; want 101, resumed", st, res)
	}
	fi, err := os.Stat(filepath.Join(e.dir, "ticket.keys"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("ticket keys file: %v, %v; want mode 0600", fi, err)
	}

	// A twin with this server's data but its own ticket keys.
	e.stop()
	twinDir := copyDir(t, e.dir)
	if err := os.Remove(filepath.Join(twinDir, "ticket.keys")); err != nil {
		t.Fatal(err)
	}
	twin := startServerToken(t, server.Config{DataDir: twinDir, Listen: e.cfg.Listen}, e.token)
	if st, res := d.connect(twin); st != http.StatusSwitchingProtocols || res {
		t.Fatalf("a session of another server's keys: status %d, resumed %v; want 101 after a full handshake", st, res)
	}
	twin.stop()
	e.start()
	if st, res := d.connect(e); st != http.StatusSwitchingProtocols || res {
		t.Fatalf("the twin's session back at the server: status %d, resumed %v; want a full handshake", st, res)
	}
	if st, res := d.connect(e); st != http.StatusSwitchingProtocols || !res {
		t.Fatalf("status %d, resumed %v; want 101, resumed", st, res)
	}

	// Revoked: the session still resumes, the device is refused.
	if code := e.api("DELETE", "/api/v1/devices/"+id, nil, nil); code != http.StatusOK {
		t.Fatalf("revoke: %d", code)
	}
	refused := func(st int) bool { return st == http.StatusUnauthorized || st == http.StatusForbidden }
	if st, res := d.connect(e); !refused(st) || !res {
		t.Fatalf("revoked device: status %d, resumed %v; want refused (401/403) on a resumed session", st, res)
	}

	// A day later the server seals tickets with a new key; the previous
	// one still opens the device's ticket.
	e.cfg.Clock = func() time.Time { return time.Now().Add(25 * time.Hour) }
	e.restart()
	var keys []json.RawMessage
	if b, err := os.ReadFile(filepath.Join(e.dir, "ticket.keys")); err != nil || json.Unmarshal(b, &keys) != nil || len(keys) != 2 {
		t.Fatalf("ticket keys after a day: %d keys (%v), want 2", len(keys), err)
	}
	if st, res := d.connect(e); !refused(st) || !res {
		t.Fatalf("after the key rotation: status %d, resumed %v; want refused on a resumed session", st, res)
	}
}

// TestAgentResumesAfterRestart: the real agent reconnects to a restarted
// server with a resumed TLS session.
func TestAgentResumesAfterRestart(t *testing.T) {
	e := startServer(t, server.Config{})
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	startAgent(t, dir, agent.Config{})
	waitFor(t, "agent online", func() bool { return e.online(id) })
	e.restart()
	waitFor(t, "agent back after the restart", func() bool { return e.online(id) })
	if n := e.metricValue(`steward_tls_handshakes_total{resumed="true"}`); n < 1 {
		t.Fatalf("resumed handshakes after the restart: %v, want at least the agent's", n)
	}
}

// metricValue reads one sample of the server's /metrics (0 if absent).
func (e *env) metricValue(name string) float64 {
	e.t.Helper()
	for _, line := range strings.Split(e.rawGet(e.t, "/metrics"), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return n
		}
	}
	return 0
}
