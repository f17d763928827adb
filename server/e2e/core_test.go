//go:build linux

package e2e_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/agent/identity"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
	"github.com/steward-rmm/steward/server/pki"
	"github.com/steward-rmm/steward/tlspin"
)

func TestEnrollConnectInventory(t *testing.T) {
	e := startServer(t, server.Config{})
	client := e.createClient("Acme")
	dir, id := e.enroll(e.enrollToken(client, 1, 0))
	// The private key stays on the device, readable only by the agent.
	for _, f := range []string{identity.KeyFile, identity.ConfigFile, identity.CertFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	startAgent(t, dir, agent.Config{})
	waitFor(t, "device online", func() bool { return e.online(id) })
	var inv protocol.Inventory
	// The inventory is stored before the device list's index takes it: wait
	// for both (the host name replaces the enrollment's).
	waitFor(t, "inventory stored", func() bool {
		d, raw, _ := e.device(id)
		return raw != nil && json.Unmarshal(raw, &inv) == nil && inv.Hostname != "" && d.Hostname == inv.Hostname
	})
	host, _ := os.Hostname()
	if inv.Hostname != host || inv.OS != "linux" || inv.CPUCores < 1 || inv.MemoryTotal == 0 || len(inv.Disks) == 0 {
		t.Errorf("inventory incomplete: %+v", inv)
	}
	d, _, _ := e.device(id)
	if d.Client != client || d.Hostname != host {
		t.Errorf("device = %+v", d)
	}
	// Search finds it by hostname, by IP and by MAC in any notation.
	var mac, ip string
	for _, ifc := range inv.Interfaces {
		if ifc.MAC != "" && mac == "" {
			mac = ifc.MAC
		}
		for _, a := range ifc.Addresses {
			if !strings.HasPrefix(a, "127.") && !strings.HasPrefix(a, "::1") && ip == "" && !strings.Contains(a, ":") {
				ip = strings.Split(a, "/")[0]
			}
		}
	}
	queries := []string{"search=" + host[:min(3, len(host))], "client=Acme", "online=true", "os=linux"}
	if mac != "" {
		queries = append(queries, "search="+strings.ToUpper(mac), "search="+strings.ReplaceAll(mac, ":", ""),
			"search="+strings.ReplaceAll(strings.ToUpper(mac), ":", "-"))
	}
	if ip != "" {
		queries = append(queries, "search="+ip)
	}
	for _, q := range queries {
		if ds := e.devices(q); len(ds) != 1 || ds[0].ID != id {
			t.Errorf("query %q found %s", q, ids(ds))
		}
	}
	for _, q := range []string{"online=false", "os=windows", "search=nosuchhost", "search=ff:ff:ff:ff:ff:fe"} {
		if ds := e.devices(q); len(ds) != 0 {
			t.Errorf("query %q should find nothing, found %s", q, ids(ds))
		}
	}
}

func TestTokenRefusals(t *testing.T) {
	e := startServer(t, server.Config{})
	client := e.createClient("Acme")
	tryEnroll := func(tok string) error {
		_, err := identity.Enroll(identity.EnrollOptions{Dir: t.TempDir(), Server: e.url, Token: tok, Fingerprint: e.fp, Hostname: "h"})
		return err
	}
	used := e.enrollToken(client, 1, 0)
	if err := tryEnroll(used); err != nil {
		t.Fatal(err)
	}
	if err := tryEnroll(used); err == nil || !strings.Contains(err.Error(), "no uses left") {
		t.Errorf("used-up token: %v", err)
	}
	expired := e.enrollToken(client, 5, 1)
	time.Sleep(1100 * time.Millisecond)
	if err := tryEnroll(expired); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired token: %v", err)
	}
	revoked := e.enrollToken(client, 5, 0)
	var list []struct {
		ID      string `json:"id"`
		Revoked bool   `json:"revoked"`
		Uses    int    `json:"uses"`
		Hash    string `json:"hash"`
	}
	e.api("GET", "/api/v1/tokens", nil, &list)
	if len(list) != 3 {
		t.Fatalf("tokens: %+v", list)
	}
	for _, tk := range list {
		if tk.Hash != "" {
			t.Error("token hash leaked in the API")
		}
	}
	last := list[len(list)-1].ID
	for _, tk := range list {
		if tk.Uses == 0 && tk.ID > last {
			last = tk.ID
		}
	}
	// Revoke the newest token (IDs are time-ordered).
	if code := e.api("DELETE", "/api/v1/tokens/"+last, nil, nil); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	if err := tryEnroll(revoked); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("revoked token: %v", err)
	}
	if err := tryEnroll("enr_doesnotexist"); err == nil || !strings.Contains(err.Error(), "not recognised") {
		t.Errorf("unknown token: %v", err)
	}
	// A wrong CA fingerprint is refused before anything is sent.
	_, err := identity.Enroll(identity.EnrollOptions{Dir: t.TempDir(), Server: e.url, Token: used,
		Fingerprint: strings.Repeat("ab", 32), Hostname: "h"})
	if err == nil || !strings.Contains(err.Error(), "matches no pin") {
		t.Errorf("wrong fingerprint: %v", err)
	}
}

func TestSingleUseTokenRace(t *testing.T) {
	e := startServer(t, server.Config{MaxEnrolls: 64})
	tok := e.enrollToken(e.createClient("Acme"), 1, 0)
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := identity.Enroll(identity.EnrollOptions{Dir: t.TempDir(), Server: e.url, Token: tok, Fingerprint: e.fp, Hostname: "h"})
			if err == nil {
				ok.Add(1)
			} else if strings.Contains(err.Error(), "no uses left") {
				refused.Add(1)
			} else {
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || refused.Load() != 49 {
		t.Fatalf("successes %d, refusals %d; want 1 and 49", ok.Load(), refused.Load())
	}
	if n := len(e.devices("limit=100")); n != 1 {
		t.Fatalf("%d devices enrolled, want 1", n)
	}
}

// dialAs opens an agent websocket with the given client certificate.
func dialAs(e *env, cert *tls.Certificate) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{TLSClientConfig: pinnedTLS(e.fp, cert), HandshakeTimeout: 10 * time.Second}
	return d.Dial(strings.Replace(e.url, "https", "wss", 1)+"/agent/ws", nil)
}

func TestWrongKeyRefused(t *testing.T) {
	e := startServer(t, server.Config{})
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	// A certificate signed by the server's own CA, naming the device, but
	// for another key: the device is bound to its key, so it is refused.
	ca, _, err := pki.LoadOrCreateCA(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	certPEM, err := ca.SignAgent(id, &other.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(other)
	forged, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	if _, resp, err := dialAs(e, &forged); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("forged key: err=%v resp=%v", err, resp)
	}
	// A self-signed certificate claiming the device is refused by TLS.
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: id, OrganizationalUnit: []string{"steward-agent"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &other.PublicKey, other)
	self := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: other}
	if _, _, err := dialAs(e, &self); err == nil {
		t.Fatal("self-signed device certificate accepted")
	}
	// No certificate at all.
	if _, resp, err := dialAs(e, nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("no certificate: err=%v", err)
	}
	// The genuine identity still works.
	real, err := identity.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := dialAs(e, &real.Cert)
	if err != nil {
		t.Fatalf("genuine agent refused: %v", err)
	}
	ws.Close()
}

// rawAgent is a hand-driven agent connection for protocol abuse tests.
func rawAgent(t *testing.T, e *env, dir string, version int) (*websocket.Conn, protocol.Envelope) {
	t.Helper()
	id, err := identity.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := dialAs(e, &id.Cert)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	hello := protocol.Hello{ProtocolVersion: version, AgentVersion: "raw", OS: "linux", Arch: "amd64", Hostname: "raw"}
	if err := ws.WriteMessage(websocket.TextMessage, protocol.MustEncode(protocol.TypeHello, "", hello)); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, b, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	env, err := protocol.Decode(b, protocol.MaxServerFrame)
	if err != nil {
		t.Fatal(err)
	}
	return ws, env
}

func TestProtocolVersionRefused(t *testing.T) {
	e := startServer(t, server.Config{})
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	_, env := rawAgent(t, e, dir, protocol.Version+1)
	var pe protocol.Error
	if env.Type != protocol.TypeError || protocol.DecodeData(env, &pe) != nil || pe.Code != protocol.CodeUnsupportedVersion {
		t.Fatalf("got %s %s", env.Type, env.Data)
	}
	if !strings.Contains(pe.Message, "not supported") {
		t.Errorf("message %q", pe.Message)
	}
	if e.online(id) {
		t.Error("device with refused version shows online")
	}
}

func TestBadFramesCloseOnlyThatConnection(t *testing.T) {
	e := startServer(t, server.Config{})
	client := e.createClient("Acme")
	goodDir, good := e.enroll(e.enrollToken(client, 1, 0))
	startAgent(t, goodDir, agent.Config{})
	waitFor(t, "good agent online", func() bool { return e.online(good) })

	cases := []struct {
		name  string
		frame []byte
	}{
		{"oversize", []byte(`{"type":"inventory","data":{"hostname":"` + strings.Repeat("x", protocol.MaxAgentFrame) + `"}}`)},
		{"malformed json", []byte(`{"type":"heartbeat","data":`)},
		{"wrong shape", []byte(`{"type":"heartbeat","data":{"seq":"x"}}`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, id := e.enroll(e.enrollToken(client, 1, 0))
			ws, env := rawAgent(t, e, dir, protocol.Version)
			if env.Type != protocol.TypeWelcome {
				t.Fatalf("got %s", env.Type)
			}
			waitFor(t, "raw agent online", func() bool { return e.online(id) })
			_ = ws.WriteMessage(websocket.TextMessage, c.frame)
			// The server closes this connection...
			_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					var ne interface{ Timeout() bool }
					if errors.As(err, &ne) && ne.Timeout() {
						t.Fatal("server did not close the connection")
					}
					break
				}
			}
			waitFor(t, "raw agent offline", func() bool { return !e.online(id) })
			// ...and only this one.
			if !e.online(good) {
				t.Fatal("a bad frame from one agent disconnected another")
			}
		})
	}
}

func TestUnknownMessageTolerated(t *testing.T) {
	e := startServer(t, server.Config{})
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	ws, _ := rawAgent(t, e, dir, protocol.Version)
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"from_the_future","data":{"x":1},"extra":true}`))
	hb := protocol.Heartbeat{Seq: 42, PendingReboot: true, PatchCount: 7}
	_ = ws.WriteMessage(websocket.TextMessage, protocol.MustEncode(protocol.TypeHeartbeat, "", hb))
	waitFor(t, "heartbeat after unknown message", func() bool {
		d, _, _ := e.device(id)
		return d.PendingReboot && d.Online
	})
}

func TestRevokedDeviceDisconnected(t *testing.T) {
	e := startServer(t, server.Config{})
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	a := startAgent(t, dir, agent.Config{})
	waitFor(t, "online", func() bool { return e.online(id) })
	if code := e.api("DELETE", "/api/v1/devices/"+id, nil, nil); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	if _, _, code := e.device(id); code != 404 {
		t.Fatalf("revoked device still listed: %d", code)
	}
	// Its connection closed at once: the hub holds no connection for it,
	// and a new connection with its credential is refused.
	real, _ := identity.Load(dir)
	waitFor(t, "connection refused after revoke", func() bool {
		_, resp, err := dialAs(e, &real.Cert)
		return err != nil && resp != nil && resp.StatusCode == 401
	})
	var health struct{ Agents int }
	waitFor(t, "hub empty", func() bool {
		e.api("GET", "/healthz", nil, &health)
		return health.Agents == 0
	})
	a.stop()
}

func TestAvailabilityAndRestart(t *testing.T) {
	e := startServer(t, server.Config{Heartbeat: time.Second})
	client := e.createClient("Acme")
	dir, id := e.enroll(e.enrollToken(client, 1, 0))
	a := startAgent(t, dir, agent.Config{})
	var inv1 json.RawMessage
	waitFor(t, "online with inventory", func() bool {
		var d deviceView
		d, inv1, _ = e.device(id)
		return d.Online && len(inv1) > 0
	})

	// Server restart: the agent comes back as the same device; device and
	// inventory survive.
	e.restart()
	d, inv2, code := e.device(id)
	if code != 200 || d.Client != client || len(inv2) == 0 {
		t.Fatalf("after restart: %d %+v inventory %d bytes", code, d, len(inv2))
	}
	var i1, i2 protocol.Inventory
	_ = json.Unmarshal(inv1, &i1)
	_ = json.Unmarshal(inv2, &i2)
	if i1.Hostname != i2.Hostname || i1.Kernel != i2.Kernel {
		t.Errorf("inventory changed across restart")
	}
	waitFor(t, "reconnect after restart", func() bool { return e.online(id) })
	if n := len(e.devices("limit=10")); n != 1 {
		t.Fatalf("%d devices after reconnect, want 1 (same identity)", n)
	}

	// The agent stops: offline with the time, within two heartbeat
	// intervals (here it closes its socket, so at once).
	a.stop()
	stopped := time.Now()
	waitFor(t, "offline", func() bool { return !e.online(id) })
	d, _, _ = e.device(id)
	if d.OfflineSince.IsZero() || d.OfflineSince.Before(stopped.Add(-time.Second)) {
		t.Errorf("offline_since = %v", d.OfflineSince)
	}
	if n := len(d.Transitions); n < 3 || d.Transitions[n-1].Online {
		t.Errorf("transitions = %+v", d.Transitions)
	}
}

func TestSilentAgentGoesOffline(t *testing.T) {
	// An agent whose network dies sends nothing and closes nothing: the
	// server notices the missing heartbeats.
	e := startServer(t, server.Config{Heartbeat: time.Second})
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	ws, _ := rawAgent(t, e, dir, protocol.Version)
	_ = ws.WriteMessage(websocket.TextMessage, protocol.MustEncode(protocol.TypeHeartbeat, "", protocol.Heartbeat{Seq: 1}))
	waitFor(t, "online", func() bool { return e.online(id) })
	var d deviceView
	waitFor(t, "offline after missed heartbeats", func() bool {
		d, _, _ = e.device(id)
		return !d.Online
	})
	last := d.Transitions[len(d.Transitions)-1]
	if last.Reason != "heartbeat timeout" {
		t.Errorf("reason %q", last.Reason)
	}
	// The exact bound (1.5 intervals plus one sweep tick) is tested
	// against an injected clock in the hub's unit tests.
}

func TestOperatorCertificate(t *testing.T) {
	// An operator's own CA and server certificate: agents pin the
	// server's key, and enrollment and the agent connection work.
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Operator Root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(8), Subject: pkix.Name{CommonName: "rmm.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, _ := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	keyDER, _ := x509.MarshalECPrivateKey(leafKey)
	certFile, keyFile := filepath.Join(dir, "chain.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, chain, 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)

	e := startServer(t, server.Config{TLSCert: certFile, TLSKey: keyFile})
	leaf, _ := x509.ParseCertificate(leafDER)
	if want := tlspin.KeyPin(leaf).String(); e.fp != want {
		t.Fatalf("pin %s, want the server key's %s", e.fp, want)
	}
	dir2, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	startAgent(t, dir2, agent.Config{})
	waitFor(t, "agent online behind the operator certificate", func() bool { return e.online(id) })
}
