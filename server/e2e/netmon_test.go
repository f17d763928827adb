//go:build linux

package e2e_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
)

// listenTCP accepts and closes connections on addr until the listener is
// closed.
func listenTCP(t *testing.T, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln
}

// certUntil is a self-signed certificate for 127.0.0.1 expiring at notAfter.
func certUntil(t *testing.T, notAfter time.Time) tls.Certificate {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "shop.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
}

func (e *env) monitor(id string) api.Monitor {
	e.t.Helper()
	var m api.Monitor
	if code := e.api("GET", "/api/v1/monitors/"+id, nil, &m); code != 200 {
		e.t.Fatalf("monitor %s: %d", id, code)
	}
	return m
}

// monitorAlert returns the monitor's unresolved alert of the client, if any.
func (e *env) monitorAlert(client, id string) (api.Alert, bool) {
	for _, a := range e.alerts("status=open,snoozed&client=" + client + "&device=" + id).Alerts {
		if a.DeviceID == id {
			return a, true
		}
	}
	return api.Alert{}, false
}

// TestNetworkMonitors: a real agent probes a TCP listener, an HTTP server
// and a TLS server the test runs. Each monitor lists its state and last
// result (status, latency, days left on a certificate made to expire in
// ten days); a wrong status and a certificate inside its warning days
// raise network alerts naming the monitor; closing the listener raises
// the TCP monitor's alert and reopening it resolves it. Bad addresses
// and another client's agent are refused; creation is audited.
func TestNetworkMonitors(t *testing.T) {
	e := alertServer(t)
	acme := e.createClient("Acme")
	other := e.createClient("Other")
	_, agentID, _ := onlineAgent(t, e, acme, agentConfig())
	_, otherAgent, _ := onlineAgent(t, e, other, agentConfig())

	ln := listenTCP(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	defer func() { ln.Close() }()
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/teapot" {
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer web.Close()
	notAfter := time.Now().Add(10*24*time.Hour + time.Hour).UTC()
	secure := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	secure.TLS = &tls.Config{Certificates: []tls.Certificate{certUntil(t, notAfter)}}
	secure.StartTLS()
	defer secure.Close()

	// Refused: addresses a probe does not take, another client's agent.
	for _, req := range []api.MonitorRequest{
		{Name: "x", Client: "Acme", Agent: agentID, Kind: "http", Address: "file:///etc/passwd"},
		{Name: "x", Client: "Acme", Agent: agentID, Kind: "tcp", Address: "no-port"},
		{Name: "x", Client: "Acme", Agent: agentID, Kind: "tcp", Address: "h/x:80"},
		{Name: "x", Client: "Acme", Agent: agentID, Kind: "ping", Address: "h:80"},
		{Name: "x", Client: "Acme", Agent: agentID, Kind: "tcp", Address: addr, IntervalSec: 1},
		{Name: "x", Client: "Acme", Agent: agentID, Kind: "tcp", Address: addr, WarningDays: 3},
	} {
		if code := e.api("POST", "/api/v1/monitors", req, nil); code != 400 {
			t.Errorf("create %+v: %d, want 400", req, code)
		}
	}
	if code := e.api("POST", "/api/v1/monitors", api.MonitorRequest{Name: "x", Client: "Acme", Agent: otherAgent, Kind: "tcp",
		Address: addr}, nil); code != 404 {
		t.Errorf("another client's agent: %d, want 404", code)
	}

	create := func(req api.MonitorRequest) api.Monitor {
		t.Helper()
		req.Client, req.Agent, req.IntervalSec, req.FailAfter, req.PassAfter = "Acme", agentID, 5, 1, 1
		var m api.Monitor
		if code := e.api("POST", "/api/v1/monitors", req, &m); code != 201 || m.ID == "" {
			t.Fatalf("create %+v: %d %+v", req, code, m)
		}
		return m
	}
	port := create(api.MonitorRequest{Name: "Mail port <b>", Kind: "tcp", Address: addr})
	site := create(api.MonitorRequest{Name: "Site", Kind: "http", Address: web.URL + "/", CriticalMS: 600000})
	teapot := create(api.MonitorRequest{Name: "Teapot", Kind: "http", Address: web.URL + "/teapot", ExpectStatus: 200})
	cert := create(api.MonitorRequest{Name: "Shop cert", Kind: "tls", Address: strings.TrimPrefix(secure.URL, "https://"),
		WarningDays: 30, CriticalDays: 5})
	if port.DeviceType != "tcp" || site.DeviceType != "http" || cert.DeviceType != "http" || port.State != "unknown" {
		t.Fatalf("created: %+v %+v %+v", port, site, cert)
	}
	if !e.auditHas("monitor.create", port.ID, map[string]string{"kind": "tcp", "address": addr, "agent": agentID}) {
		t.Error("monitor.create not audited")
	}

	waitFor(t, "every monitor probed", func() bool {
		var ms []api.Monitor
		e.api("GET", "/api/v1/monitors?client=Acme", nil, &ms)
		n := 0
		for _, m := range ms {
			if m.State != "unknown" {
				n++
			}
		}
		return len(ms) == 4 && n == 4
	})
	if m := e.monitor(port.ID); m.State != "up" || m.LastAt.IsZero() {
		t.Errorf("tcp monitor = %+v", m)
	}
	if m := e.monitor(site.ID); m.State != "up" || m.Status != 200 {
		t.Errorf("http monitor = %+v", m)
	}
	if m := e.monitor(teapot.ID); m.State != "down" || m.Status != 418 {
		t.Errorf("teapot monitor = %+v", m)
	}
	if m := e.monitor(cert.ID); m.State != "warning" || m.DaysLeft == nil || *m.DaysLeft != 10 {
		t.Errorf("tls monitor = %+v (days left want 10)", m)
	}
	var tp, cw api.Alert
	waitFor(t, "the teapot and certificate alerts", func() bool {
		var ok1, ok2 bool
		tp, ok1 = e.monitorAlert(acme, teapot.ID)
		cw, ok2 = e.monitorAlert(acme, cert.ID)
		return ok1 && ok2
	})
	if tp.Severity != "critical" || tp.Category != "network" || tp.DeviceName != "Teapot" || tp.DeviceType != "http" ||
		!strings.Contains(tp.Title, "Teapot") || !strings.Contains(tp.Detail, "status 418, expected 200") {
		t.Errorf("teapot alert = %+v", tp)
	}
	if cw.Severity != "warning" || !strings.Contains(cw.Detail, "expires in 10 days") {
		t.Errorf("certificate alert = %+v", cw)
	}
	if m := e.monitor(teapot.ID); m.AlertID != tp.ID {
		t.Errorf("teapot monitor's alert = %q, want %q", m.AlertID, tp.ID)
	}
	if _, ok := e.monitorAlert(acme, port.ID); ok {
		t.Fatal("the open port has an alert")
	}

	// The port closes: its alert is raised; it reopens: resolved.
	ln.Close()
	var down api.Alert
	waitFor(t, "the port's alert", func() bool {
		var ok bool
		down, ok = e.monitorAlert(acme, port.ID)
		return ok
	})
	if down.Severity != "critical" || down.DeviceName != "Mail port <b>" || down.DeviceType != "tcp" || down.Category != "network" {
		t.Errorf("port alert = %+v", down)
	}
	if m := e.monitor(port.ID); m.State != "down" || !strings.Contains(m.LastResult, "failed") {
		t.Errorf("closed port monitor = %+v", m)
	}
	ln = listenTCP(t, addr)
	waitFor(t, "the port's alert resolved", func() bool {
		var d api.AlertDetail
		e.api("GET", "/api/v1/alerts/"+down.ID, nil, &d)
		return d.Alert.Status == "resolved"
	})
	if m := e.monitor(port.ID); m.State != "up" {
		t.Errorf("reopened port monitor = %+v", m)
	}

	// The monitor's alert history, as a device's.
	if hist := e.alerts("status=open,snoozed,resolved&device=" + port.ID).Alerts; len(hist) != 1 || hist[0].ID != down.ID {
		t.Errorf("the port monitor's history = %+v", hist)
	}

	// Deleting a monitor resolves its alert.
	if code := e.api("DELETE", "/api/v1/monitors/"+teapot.ID, nil, nil); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	if code := e.api("GET", "/api/v1/monitors/"+teapot.ID, nil, nil); code != 404 {
		t.Errorf("deleted monitor: %d", code)
	}
	waitFor(t, "the deleted monitor's alert resolved", func() bool {
		var d api.AlertDetail
		e.api("GET", "/api/v1/alerts/"+tp.ID, nil, &d)
		return d.Alert.Status == "resolved"
	})
	// A deleted monitor is no device to filter on any more.
	var l api.AlertList
	if code := e.api("GET", "/api/v1/alerts?device="+teapot.ID, nil, &l); code != 404 {
		t.Errorf("alerts of a deleted monitor: %d, want 404", code)
	}
}
