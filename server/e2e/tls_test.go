//go:build linux

package e2e_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/agent/identity"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
	"github.com/steward-rmm/steward/tlspin"
)

// opCert is one certificate of an operator's PKI made for a test.
type opCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func makeCert(t *testing.T, parent *opCert, serial int64, name string, ca bool, hosts ...string) *opCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	} else {
		tmpl.KeyUsage, tmpl.ExtKeyUsage = x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		for _, h := range hosts {
			if ip := net.ParseIP(h); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else {
				tmpl.DNSNames = append(tmpl.DNSNames, h)
			}
		}
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &opCert{cert: c, key: key}
}

// writeChain writes leaf's key and the chain (leaf first) as --tls-cert
// and --tls-key take them.
func writeChain(t *testing.T, leaf *opCert, chain ...*opCert) (certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	var pemChain []byte
	for _, c := range append([]*opCert{leaf}, chain...) {
		pemChain = append(pemChain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})...)
	}
	keyDER, _ := x509.MarshalECPrivateKey(leaf.key)
	certFile, keyFile = filepath.Join(dir, "chain.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pemChain, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func writeCA(t *testing.T, ca *opCert) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// copyDir copies a stopped server's data directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// handshakeErrors reads the server's failed-handshake counter.
func (e *env) handshakeErrors() int {
	e.t.Helper()
	for _, line := range strings.Split(e.rawGet(e.t, "/metrics"), "\n") {
		if v, ok := strings.CutPrefix(line, "steward_tls_handshake_errors_total "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return int(n)
		}
	}
	return 0
}

// TestImpostorFromSameCARefused performs the attack of issue 14, finding 2:
// the operator's server certificate (for 127.0.0.1) comes from an
// intermediate of their CA, given as a full chain with --tls-cert; someone
// else holds a certificate for evil.example from the same intermediate
// and stands in for the server where the agents connect, with the
// server's data (so it knows the device and can send it a job). The
// enrolled agent must never connect to it nor run its job, and a device
// enrolling with the real server's pin must be refused by it too. Before
// the fix the agent pinned the last certificate of the file (here the
// root) without checking the host name, and ran the job.
func TestImpostorFromSameCARefused(t *testing.T) {
	root := makeCert(t, nil, 1, "MSP Root", true)
	inter := makeCert(t, root, 2, "MSP Intermediate", true)
	leaf := makeCert(t, inter, 3, "rmm.example", false, "rmm.example", "127.0.0.1")
	evil := makeCert(t, inter, 4, "evil.example", false, "evil.example")
	realCert, realKey := writeChain(t, leaf, inter, root)
	evilCert, evilKey := writeChain(t, evil, inter, root)
	interFile := writeCA(t, inter)

	for _, tc := range []struct {
		name  string
		pinCA string
		want  string
	}{
		{"pinned by the server's key", "", tlspin.KeyPin(leaf.cert).String()},
		{"pinned by the intermediate and host name", interFile, tlspin.CertPin(inter.cert.Raw).String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startServer(t, server.Config{TLSCert: realCert, TLSKey: realKey, PinCA: tc.pinCA})
			if e.fp != tc.want {
				t.Fatalf("server pin %s, want %s", e.fp, tc.want)
			}
			client := e.createClient("Acme")
			dir, id := e.enroll(e.enrollToken(client, 1, 0))
			startAgent(t, dir, agent.Config{})
			waitFor(t, "agent online at the real server", func() bool { return e.online(id) })
			pin := e.fp

			// The impostor takes the server's place at its address. It
			// holds a copy of the server's data, session ticket key
			// included, so it can accept the device and send it a job.
			e.stop()
			bad := startServerToken(t, server.Config{DataDir: copyDir(t, e.dir), Listen: e.cfg.Listen,
				TLSCert: evilCert, TLSKey: evilKey, PinCA: tc.pinCA}, e.token)
			bad.hc = newPinnedClient(tlspin.KeyPin(evil.cert).String()) // the test's own API calls
			marker := filepath.Join(t.TempDir(), "owned")
			job := bad.createJob(script([]string{id}, "touch "+marker))
			// The agent retries every second or so; each attempt ends in a
			// refused handshake. Wait for a few of them (or for the agent
			// to get through, which is the failure).
			waitFor(t, "the agent's attempts at the impostor", func() bool {
				return bad.online(id) || bad.handshakeErrors() >= 3
			})
			if bad.online(id) {
				t.Fatal("the agent connected to a server holding another name's certificate from the same CA")
			}
			if r := bad.run(job.Runs[0].ID); r.State != protocol.StateQueued {
				t.Errorf("the impostor's run is %s, want still queued", r.State)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Error("the agent ran the impostor's job")
			}
			// A new device enrolling with the real server's pin is refused.
			_, err := identity.Enroll(identity.EnrollOptions{Dir: t.TempDir(), Server: bad.url,
				Token: bad.enrollToken(bad.createClient("Other"), 1, 0), Fingerprint: pin, Hostname: "h"})
			if err == nil || !strings.Contains(err.Error(), "matches no pin") {
				t.Errorf("enrollment at the impostor: %v, want refused by the pin", err)
			}
		})
	}
}

// TestPinRotation: a server told the next certificate's pin (--next-pin)
// advertises it to agents, which store it; the certificate is then
// replaced and the agent reconnects to the new one, and once the server
// advertises only the new pin the old one is dropped.
func TestPinRotation(t *testing.T) {
	root := makeCert(t, nil, 1, "Root", true)
	oldLeaf := makeCert(t, root, 2, "rmm.example", false, "127.0.0.1")
	newLeaf := makeCert(t, root, 3, "rmm.example", false, "127.0.0.1")
	oldCert, oldKey := writeChain(t, oldLeaf, root)
	newCert, newKey := writeChain(t, newLeaf, root)
	oldPin, newPin := tlspin.KeyPin(oldLeaf.cert).String(), tlspin.KeyPin(newLeaf.cert).String()

	e := startServer(t, server.Config{TLSCert: oldCert, TLSKey: oldKey, NextPins: []string{newPin}})
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	pins := func() []string {
		idt, err := identity.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		return idt.Config.Pins
	}
	if got := pins(); !slices.Equal(got, []string{oldPin}) {
		t.Fatalf("enrolled pins %v, want [%s]", got, oldPin)
	}
	startAgent(t, dir, agent.Config{})
	waitFor(t, "agent online", func() bool { return e.online(id) })
	waitFor(t, "the next pin stored", func() bool { return slices.Equal(pins(), []string{oldPin, newPin}) })

	e.cfg.TLSCert, e.cfg.TLSKey, e.cfg.NextPins = newCert, newKey, nil
	e.restart()
	if e.fp != newPin {
		t.Fatalf("server pin %s, want %s", e.fp, newPin)
	}
	waitFor(t, "agent online with the new certificate", func() bool { return e.online(id) })
	waitFor(t, "the old pin dropped", func() bool { return slices.Equal(pins(), []string{newPin}) })
}

// TestPublicURLNotFromRequest performs finding 6 of issue 14: install
// scripts and one-line commands requested with a forged Host and
// X-Forwarded-Host (from an address whose forwarded headers are trusted)
// still name the server's own URL, worked out at start.
func TestPublicURLNotFromRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  server.Config
		want func(e *env) string
	}{
		{"from the listen address", server.Config{}, func(e *env) string { return e.url }},
		{"from the first host name", server.Config{Hostnames: []string{"rmm.example", "other.example"}},
			func(e *env) string { return "https://rmm.example:" + e.url[strings.LastIndex(e.url, ":")+1:] }},
		{"--public-url", server.Config{PublicURL: "https://rmm.example/steward/"},
			func(e *env) string { return "https://rmm.example/steward" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.TrustedProxies = []string{"127.0.0.1"}
			e := startServer(t, tc.cfg)
			want := tc.want(e)
			forged := func(method, path string, body io.Reader) string {
				req, _ := http.NewRequest(method, e.url+path, body)
				req.Host = "evil.example"
				req.Header.Set("X-Forwarded-Host", "evil.example:443")
				req.Header.Set("X-Forwarded-Proto", "https")
				req.Header.Set("Forwarded", "host=evil.example;proto=https")
				req.Header.Set("Authorization", "Bearer "+e.token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := e.hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode/100 != 2 {
					t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
				}
				return string(b)
			}
			client := e.createClient("Acme")
			tok := forged("POST", "/api/v1/tokens", strings.NewReader(`{"client":"`+client+`","max_uses":1}`))
			token := tok[strings.Index(tok, `"token":"`)+9:]
			token = token[:strings.Index(token, `"`)]
			for name, body := range map[string]string{
				"token with install commands": tok,
				"install.sh":                  forged("GET", "/install.sh?token="+token, nil),
				"install.ps1":                 forged("GET", "/install.ps1?token="+token, nil),
			} {
				if strings.Contains(body, "evil.example") {
					t.Errorf("%s names the forged host:\n%s", name, body)
				}
				if !strings.Contains(body, want) {
					t.Errorf("%s does not name %s:\n%s", name, want, body)
				}
			}
		})
	}
}

// TestAgentListener: with --agent-listen, devices are served there only
// and the API and dashboard on --listen only; an agent enrolls through
// the agent port (named by the install commands) and runs a job.
func TestAgentListener(t *testing.T) {
	e := startServer(t, server.Config{AgentListen: "127.0.0.1:0"})
	agentURL := "https://" + e.srv.AgentAddr()
	if agentURL == e.url || e.srv.AgentAddr() == "" {
		t.Fatalf("agent address %q, API %s", e.srv.AgentAddr(), e.url)
	}
	client := e.createClient("Acme")
	var tok struct {
		Token   string
		Install map[string]string
	}
	if code := e.api("POST", "/api/v1/tokens", map[string]any{"client": client, "max_uses": 1}, &tok); code != 201 {
		t.Fatalf("create token: %d", code)
	}
	if !strings.Contains(tok.Install["agent"], "--server "+agentURL+" ") {
		t.Errorf("install command does not name the agent listener %s: %s", agentURL, tok.Install["agent"])
	}
	status := func(base, method, path string) int {
		req, _ := http.NewRequest(method, base+path, strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer "+e.token)
		resp, err := e.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		base, method, path string
		want               int
	}{
		{agentURL, "GET", "/api/v1/devices", 404},
		{agentURL, "GET", "/api/v1/me", 404},
		{agentURL, "POST", "/api/v1/auth/login", 404},
		{agentURL, "GET", "/", 404},
		{agentURL, "GET", "/devices", 404},
		{agentURL, "GET", "/healthz", 200},
		{agentURL, "GET", "/agent/ca.pem", 200},
		{agentURL, "GET", "/install.sh?token=" + tok.Token, 200},
		{e.url, "GET", "/agent/ws", 404},
		{e.url, "POST", "/agent/enroll", 404},
		{e.url, "GET", "/agent/ca.pem", 404},
		{e.url, "GET", "/install.sh?token=" + tok.Token, 404},
		{e.url, "GET", "/install/ca.pem", 404},
		{e.url, "GET", "/api/v1/devices", 200},
		{e.url, "GET", "/", 200},
	} {
		if got := status(c.base, c.method, c.path); got != c.want {
			t.Errorf("%s %s on the %s port: %d, want %d", c.method, c.path,
				map[bool]string{true: "agent", false: "API"}[c.base == agentURL], got, c.want)
		}
	}
	dir := t.TempDir()
	idt, err := identity.Enroll(identity.EnrollOptions{Dir: dir, Server: agentURL, Token: tok.Token, Fingerprint: e.fp,
		Hostname: "h", OS: "linux", Arch: "amd64"})
	if err != nil {
		t.Fatalf("enroll through the agent port: %v", err)
	}
	startAgent(t, dir, agent.Config{})
	waitFor(t, "agent online through the agent port", func() bool { return e.online(idt.Config.DeviceID) })
	job := e.createJob(script([]string{idt.Config.DeviceID}, "echo through-the-agent-port"))
	r := e.waitState(job.Runs[0].ID, protocol.StateSucceeded)
	if o := e.output(r.ID); o.Stdout != "through-the-agent-port\n" {
		t.Errorf("output %q", o.Stdout)
	}
}

// TestLegacyPinKeepsWorking: an agent enrolled before typed pins holds
// only ca_fingerprint, the Steward CA's. It keeps connecting even by a
// name the server's certificate lacks (that CA signed the agent's own
// certificate: only this server holds its key), and stays on its old pin
// there; by a name the certificate holds it adopts the advertised
// "ca:" pin, host name check included.
func TestLegacyPinKeepsWorking(t *testing.T) {
	e := startServer(t, server.Config{})
	client := e.createClient("Acme")
	legacy := func(dir string) {
		idt, err := identity.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		c := idt.Config
		c.Fingerprint, c.Pins = strings.TrimPrefix(e.fp, "ca:"), nil
		if err := identity.Save(dir, c); err != nil {
			t.Fatal(err)
		}
	}
	pins := func(dir string) []string {
		idt, err := identity.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		return idt.Config.Pins
	}

	dir, id := e.enroll(e.enrollToken(client, 1, 0))
	legacy(dir)
	port := e.url[strings.LastIndex(e.url, ":")+1:]
	addr := e.srv.Addr()
	startAgent(t, dir, agent.Config{Server: "https://legacy-name.example:" + port,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}})
	waitFor(t, "legacy agent online by another name", func() bool { return e.online(id) })
	// A job has run, so the welcome (and its pins) was handled before.
	job := e.createJob(script([]string{id}, "echo legacy"))
	e.waitState(job.Runs[0].ID, protocol.StateSucceeded)
	if p := pins(dir); len(p) != 0 {
		t.Errorf("adopted %v, which would refuse the name it dials", p)
	}

	dir2, id2 := e.enroll(e.enrollToken(client, 1, 0))
	legacy(dir2)
	startAgent(t, dir2, agent.Config{})
	waitFor(t, "legacy agent online", func() bool { return e.online(id2) })
	waitFor(t, "typed pin adopted", func() bool { return slices.Equal(pins(dir2), []string{e.fp}) })
}
