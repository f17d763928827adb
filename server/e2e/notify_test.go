//go:build linux

package e2e_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server"
	"github.com/steward-rmm/steward/server/mail"
	"github.com/steward-rmm/steward/server/mail/mailtest"
)

// hookReceiver is a webhook receiver as a customer would write one: it
// checks the HMAC-SHA256 signature over "timestamp.body" with the secret
// and refuses a stale timestamp, then de-duplicates on the delivery ID.
type hookReceiver struct {
	t      *testing.T
	mu     sync.Mutex
	secret string
	// down makes it answer 503; hang holds requests until it is closed.
	down bool
	hang chan struct{}
	// seen counts the requests of each delivery ID, bodies the first body.
	seen   map[string]int
	bodies map[string]hookBody
	order  []string
	bad    []string
	inHang int
}

type hookBody struct {
	DeliveryID string `json:"delivery_id"`
	Event      string `json:"event"`
	Kind       string `json:"kind"`
	ClientName string `json:"client_name"`
	Category   string `json:"category"`
	Severity   string `json:"severity"`
	Count      int    `json:"count"`
	Alerts     []struct {
		AlertID    string `json:"alert_id"`
		DeviceName string `json:"device_name"`
		Title      string `json:"title"`
	} `json:"alerts"`
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	ts, sig, id := r.Header.Get("X-Steward-Timestamp"), r.Header.Get("X-Steward-Signature"), r.Header.Get("X-Steward-Delivery")
	h.mu.Lock()
	mac := hmac.New(sha256.New, []byte(h.secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	sec, _ := strconv.ParseInt(ts, 10, 64)
	if !hmac.Equal([]byte(sig), []byte(want)) || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute || id == "" {
		h.bad = append(h.bad, fmt.Sprintf("%s: signature %q timestamp %q", id, sig, ts))
		h.mu.Unlock()
		w.WriteHeader(401)
		return
	}
	if h.down {
		h.mu.Unlock()
		w.WriteHeader(503)
		return
	}
	var b hookBody
	if err := json.Unmarshal(body, &b); err != nil || b.DeliveryID != id {
		h.bad = append(h.bad, fmt.Sprintf("%s: body %s", id, body))
	}
	h.seen[id]++
	if h.seen[id] == 1 {
		h.bodies[id] = b
		h.order = append(h.order, id)
	}
	hang := h.hang
	if hang != nil {
		h.inHang++
	}
	h.mu.Unlock()
	if hang != nil {
		<-hang
	}
	w.WriteHeader(204)
}

func newHookReceiver(t *testing.T) *hookReceiver {
	return &hookReceiver{t: t, seen: map[string]int{}, bodies: map[string]hookBody{}}
}

func (h *hookReceiver) state() (ids int, dup int, bad []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.seen {
		dup += n - 1
	}
	return len(h.seen), dup, append([]string(nil), h.bad...)
}

func (h *hookReceiver) set(f func(h *hookReceiver)) { h.mu.Lock(); f(h); h.mu.Unlock() }

func alertEvent(kind, alert, client, clientName, device, sev, category, check string) server.AlertEvent {
	return server.AlertEvent{Kind: kind, AlertID: alert, ClientID: client, ClientName: clientName, DeviceID: device,
		DeviceName: "host-" + device, Severity: sev, Category: category, Check: check, Title: check + " failing", At: time.Now()}
}

// TestNotifyWebhookSignedAndGrouped: an HTTPS receiver started by the
// test gets signed webhooks whose signature it verifies; 50 devices of
// one client going offline within the window arrive as ONE message
// listing the 50; the secret is shown once and never listed or audited;
// the channel test route delivers a test message; the deliveries list and
// the metrics show what was sent.
func TestNotifyWebhookSignedAndGrouped(t *testing.T) {
	rc := newHookReceiver(t)
	hs := httptest.NewTLSServer(rc)
	defer hs.Close()
	pool := x509.NewCertPool()
	pool.AddCert(hs.Certificate())
	cfg := serverConfig()
	cfg.Notify = server.NotifyConfig{GroupWindow: 2 * time.Second, Tick: 100 * time.Millisecond, WebhookCAs: pool}
	e := startServer(t, cfg)
	acme := e.createClient("Acme")
	e.createClient("Bravo")

	var ch api.NotifyChannel
	if code := e.api("POST", "/api/v1/notifications/channels", map[string]any{"name": "ops-hook", "type": "webhook", "url": hs.URL + "/hook?token=abc"}, &ch); code != 201 ||
		!strings.HasPrefix(ch.Secret, "whsec_") || !ch.HasSecret {
		t.Fatalf("create channel: %d %+v", code, ch)
	}
	rc.set(func(h *hookReceiver) { h.secret = ch.Secret })
	var list []api.NotifyChannel
	e.api("GET", "/api/v1/notifications/channels", nil, &list)
	raw, _ := json.Marshal(list)
	if len(list) != 1 || strings.Contains(string(raw), ch.Secret) {
		t.Fatalf("channel list shows the secret: %s", raw)
	}
	var bad api.Error
	for _, body := range []map[string]any{
		{"name": "x", "type": "webhook", "url": "ftp://x"},
		{"name": "x", "type": "webhook", "url": "https://user:pw@x/"},
		{"name": "x", "type": "email", "to": []string{"not an address"}},
		{"name": "x", "type": "pager"},
		{"name": "x", "type": "webhook", "url": "https://x/", "secret": "short"},
	} {
		if code := e.api("POST", "/api/v1/notifications/channels", body, &bad); code != 400 {
			t.Errorf("bad channel %v: %d", body, code)
		}
	}
	var rule api.NotifyRule
	if code := e.api("POST", "/api/v1/notifications/rules", map[string]any{"name": "acme-all", "min_severity": "warning",
		"clients": []string{"Acme"}, "channels": []string{"ops-hook"}}, &rule); code != 201 || rule.Clients[0] != acme || rule.Channels[0] != ch.ID {
		t.Fatalf("create rule: %d %+v", code, rule)
	}
	if code := e.api("POST", "/api/v1/notifications/rules", map[string]any{"name": "r2", "min_severity": "loud", "channels": []string{"ops-hook"}}, &bad); code != 400 {
		t.Errorf("bad severity: %d", code)
	}
	if code := e.api("POST", "/api/v1/notifications/rules", map[string]any{"name": "r2", "min_severity": "warning", "channels": []string{"nope"}}, &bad); code != 404 {
		t.Errorf("unknown channel: %d", code)
	}

	for i := range 50 {
		if err := e.srv.NotifyAlert(alertEvent("raised", fmt.Sprint("al-off-", i), acme, "Acme", fmt.Sprint("d", i), "critical", "availability", "availability")); err != nil {
			t.Fatal(err)
		}
	}
	// Below the rule's severity, and another client: not notified.
	must(t, e.srv.NotifyAlert(alertEvent("raised", "al-info", acme, "Acme", "d1", "information", "disk", "disk C:")))
	must(t, e.srv.NotifyAlert(alertEvent("raised", "al-bravo", "other", "Bravo", "b1", "critical", "disk", "disk C:")))
	waitFor(t, "the grouped webhook", func() bool { n, _, _ := rc.state(); return n >= 1 })
	time.Sleep(500 * time.Millisecond) // anything else would have come with it
	n, dup, badSig := rc.state()
	if n != 1 || dup != 0 || len(badSig) > 0 {
		t.Fatalf("receiver: %d messages, %d repeats, bad %v", n, dup, badSig)
	}
	rc.mu.Lock()
	b := rc.bodies[rc.order[0]]
	rc.mu.Unlock()
	if b.Event != "alert" || b.Kind != "raised" || b.Count != 50 || len(b.Alerts) != 50 || b.ClientName != "Acme" || b.Category != "availability" {
		t.Fatalf("grouped body: %+v", b)
	}

	var tested api.Delivery
	if code := e.api("POST", "/api/v1/notifications/channels/ops-hook/test", nil, &tested); code != 202 || tested.Status != "pending" {
		t.Fatalf("test: %d %+v", code, tested)
	}
	waitFor(t, "the test webhook", func() bool { n, _, _ := rc.state(); return n == 2 })
	rc.mu.Lock()
	if tb := rc.bodies[tested.ID]; tb.Event != "test" {
		t.Errorf("test body %+v", tb)
	}
	rc.mu.Unlock()
	if code := e.api("POST", "/api/v1/notifications/channels/nope/test", nil, &bad); code != 404 {
		t.Errorf("test of an unknown channel: %d", code)
	}

	var ds []api.Delivery
	waitFor(t, "deliveries sent", func() bool {
		e.api("GET", "/api/v1/notifications/deliveries?status=sent", nil, &ds)
		return len(ds) == 2
	})
	if ds[0].ID != tested.ID || ds[1].Count != 50 || ds[1].ChannelName != "ops-hook" || ds[1].Attempts != 1 {
		t.Fatalf("sent deliveries: %+v", ds)
	}
	var merged []api.Delivery
	e.api("GET", "/api/v1/notifications/deliveries?status=merged&limit=1000", nil, &merged)
	if len(merged) != 49 || merged[0].MergedInto != ds[1].ID {
		t.Fatalf("%d merged deliveries", len(merged))
	}
	if code := e.api("POST", "/api/v1/notifications/deliveries/"+ds[0].ID+"/retry", nil, &bad); code != 409 {
		t.Errorf("retry of a sent delivery: %d", code)
	}
	if code := e.api("GET", "/api/v1/notifications/deliveries?status=bogus", nil, &bad); code != 400 {
		t.Errorf("bad status filter: %d", code)
	}

	// Rotation shows the new secret once; the audit log never holds one.
	var rot api.NotifyChannel
	if code := e.api("PUT", "/api/v1/notifications/channels/"+ch.ID, map[string]any{"name": "ops-hook", "url": hs.URL + "/hook",
		"rotate_secret": true}, &rot); code != 200 || rot.Secret == "" || rot.Secret == ch.Secret {
		t.Fatalf("rotate: %d %+v", code, rot)
	}
	var evs []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=notify.", nil, &evs)
	var all []api.AuditEvent
	e.api("GET", "/api/v1/audit?limit=1000", nil, &all)
	actions := map[string]bool{}
	for _, ev := range all {
		raw, _ := json.Marshal(ev)
		if strings.Contains(string(raw), ch.Secret) || strings.Contains(string(raw), rot.Secret) || strings.Contains(string(raw), "token=abc") {
			t.Errorf("audit event shows a secret: %s", raw)
		}
		actions[ev.Action] = true
	}
	for _, a := range []string{"notify.channel.create", "notify.rule.create", "notify.channel.test", "notify.channel.update"} {
		if !actions[a] {
			t.Errorf("no %s audit event", a)
		}
	}
	req, _ := http.NewRequest("GET", e.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`steward_notify_deliveries_total{channel_type="webhook",outcome="sent"} 2`, "steward_notify_outbox_pending 0"} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Technicians do not manage notifications.
	e.createUser("tech", "technician")
	if code := e.apiAs(e.tokenFor("tech"), "GET", "/api/v1/notifications/channels", nil, &bad); code != 403 {
		t.Errorf("technician lists channels: %d", code)
	}
}

// TestNotifyReceiverDownThenUp: a receiver that fails for a while and
// then recovers gets every delivery, each delivery ID accepted once
// (repeats only of attempts it refused), and the outbox shows them sent
// after several attempts.
func TestNotifyReceiverDownThenUp(t *testing.T) {
	rc := newHookReceiver(t)
	rc.down = true
	hs := httptest.NewServer(rc)
	defer hs.Close()
	cfg := serverConfig()
	cfg.Notify = server.NotifyConfig{GroupWindow: -1, Tick: 50 * time.Millisecond, BackoffBase: 100 * time.Millisecond,
		BackoffMax: 400 * time.Millisecond}
	e := startServer(t, cfg)
	acme := e.createClient("Acme")
	var ch api.NotifyChannel
	e.api("POST", "/api/v1/notifications/channels", map[string]any{"name": "hook", "type": "webhook", "url": hs.URL, "secret": "a-secret-the-admin-set"}, &ch)
	rc.set(func(h *hookReceiver) { h.secret = "a-secret-the-admin-set" })
	var rule api.NotifyRule
	if code := e.api("POST", "/api/v1/notifications/rules", map[string]any{"name": "all", "min_severity": "information", "channels": []string{ch.ID}}, &rule); code != 201 {
		t.Fatalf("rule: %d", code)
	}
	const n = 30
	for i := range n {
		must(t, e.srv.NotifyAlert(alertEvent("raised", fmt.Sprint("al", i), acme, "Acme", fmt.Sprint("d", i), "warning", "disk", "disk C:")))
	}
	waitFor(t, "failed attempts", func() bool {
		var ds []api.Delivery
		e.api("GET", "/api/v1/notifications/deliveries?status=pending", nil, &ds)
		for _, d := range ds {
			if d.Attempts < 2 || !strings.Contains(d.LastError, "503") {
				return false
			}
		}
		return len(ds) == n
	})
	rc.set(func(h *hookReceiver) { h.down = false })
	waitFor(t, "every delivery", func() bool { got, _, _ := rc.state(); return got == n })
	var ds []api.Delivery
	waitFor(t, "all sent", func() bool {
		e.api("GET", "/api/v1/notifications/deliveries?status=sent", nil, &ds)
		return len(ds) == n
	})
	got, dup, badSig := rc.state()
	if got != n || dup != 0 || len(badSig) > 0 {
		t.Fatalf("receiver accepted %d IDs with %d repeats; bad %v", got, dup, badSig)
	}
	for _, d := range ds {
		if d.Attempts < 3 || d.LastError != "" {
			t.Errorf("delivery %s: %d attempts, last error %q", d.ID, d.Attempts, d.LastError)
		}
	}
	t.Logf("%d deliveries, each accepted once after %d+ attempts", n, ds[0].Attempts)
}

// TestNotifyEmailToRealSMTP: an e-mail channel sends through a real SMTP
// server started by the test (STARTTLS, authenticated, password from a
// file); a refused first attempt is retried; the message carries the
// alert and the delivery ID, and arrives once.
func TestNotifyEmailToRealSMTP(t *testing.T) {
	smtpd := mailtest.Start(t, "steward", "smtp-pass")
	smtpd.SetFail(true)
	dir := t.TempDir()
	pw := filepath.Join(dir, "smtp-password")
	must(t, os.WriteFile(pw, []byte("smtp-pass\n"), 0o600))
	cfg := serverConfig()
	cfg.Mail = mail.Config{Host: smtpd.Host, Port: smtpd.Port, User: "steward", PasswordFile: pw, From: "Steward <rmm@example.com>", RootCAs: smtpd.CAs}
	cfg.Notify = server.NotifyConfig{GroupWindow: time.Second, Tick: 50 * time.Millisecond, BackoffBase: 200 * time.Millisecond,
		BackoffMax: 400 * time.Millisecond}
	e := startServer(t, cfg)
	acme := e.createClient("Acme")
	var ch api.NotifyChannel
	if code := e.api("POST", "/api/v1/notifications/channels", map[string]any{"name": "ops-mail", "type": "email",
		"to": []string{"ops@example.com", "Boss <boss@example.com>"}}, &ch); code != 201 || ch.Secret != "" || len(ch.To) != 2 {
		t.Fatalf("email channel: %d %+v", code, ch)
	}
	e.api("POST", "/api/v1/notifications/rules", map[string]any{"name": "crit", "min_severity": "critical", "kinds": []string{"raised", "escalated"},
		"channels": []string{"ops-mail"}}, nil)
	ev := alertEvent("escalated", "al-disk", acme, "Acme", "srv01", "critical", "disk", "disk C:")
	ev.Title, ev.Detail = "Disk C: 2 % free", "C: has 1.2 GB free of 60 GB <b>bold</b>"
	must(t, e.srv.NotifyAlert(ev))
	waitFor(t, "a refused attempt", func() bool {
		var ds []api.Delivery
		e.api("GET", "/api/v1/notifications/deliveries", nil, &ds)
		return len(ds) == 1 && ds[0].Attempts >= 1 && strings.Contains(ds[0].LastError, "451")
	})
	smtpd.SetFail(false)
	smtpd.Wait(1, 60*time.Second)
	time.Sleep(500 * time.Millisecond) // a repeat would come by now
	msgs := smtpd.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	var ds []api.Delivery
	waitFor(t, "sent", func() bool {
		e.api("GET", "/api/v1/notifications/deliveries?channel=ops-mail", nil, &ds)
		return len(ds) == 1 && ds[0].Status == "sent"
	})
	m := msgs[0]
	data := string(m.Data)
	if !m.TLS || m.User != "steward" || strings.Join(m.To, ",") != "ops@example.com,boss@example.com" {
		t.Fatalf("envelope tls=%v user=%q to=%v", m.TLS, m.User, m.To)
	}
	parsed, err := netmail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if subj := parsed.Header.Get("Subject"); subj != "[Steward] CRITICAL escalated: Disk C: 2 % free on host-srv01 (Acme)" {
		t.Errorf("subject %q", subj)
	}
	if id := parsed.Header.Get("X-Steward-Delivery"); id != ds[0].ID {
		t.Errorf("delivery header %q, want %s", id, ds[0].ID)
	}
	for _, want := range []string{"C: has 1.2 GB free of 60 GB <b>bold</b>", "host-srv01", "Delivery " + ds[0].ID} {
		if !strings.Contains(data, want) {
			t.Errorf("message lacks %q:\n%s", want, data)
		}
	}
	// The test route works for e-mail too.
	var tested api.Delivery
	e.api("POST", "/api/v1/notifications/channels/"+ch.ID+"/test", nil, &tested)
	if msgs := smtpd.Wait(2, 60*time.Second); len(msgs) != 2 || !strings.Contains(string(msgs[1].Data), "Test notification") {
		t.Fatalf("test mail: %d messages", len(msgs))
	}
}

// TestNotifyServerKilledMidDelivery: with deliveries under way to a
// receiver that holds them, the server process is killed with SIGKILL;
// after a restart every delivery arrives, each with the delivery ID it
// had, so the receiver can tell the repeats of what was in flight.
func TestNotifyServerKilledMidDelivery(t *testing.T) {
	rc := newHookReceiver(t)
	rc.hang = make(chan struct{})
	hs := httptest.NewServer(rc)
	defer hs.Close()
	data := t.TempDir()
	addr := freeAddr(t)
	args := []string{"--data", data, "--listen", addr, "--notify-retry-base", "200ms", "--notify-retry-max", "1s"}
	srv := startProc(t, "steward-server", args...)
	e := &env{t: t, dir: data, url: "https://" + addr}
	waitFor(t, "server up", func() bool {
		if _, err := os.Stat(filepath.Join(data, "admin-token")); err != nil {
			return false
		}
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	out, err := exec.Command(filepath.Join(binaries(t), "steward-server"), "ca-fingerprint", "--data", data).Output()
	if err != nil {
		t.Fatal(err)
	}
	e.fp = strings.TrimSpace(string(out))
	e.hc = newPinnedClient(e.fp)
	e.token = e.freshAdminToken()
	var ch api.NotifyChannel
	if code := e.api("POST", "/api/v1/notifications/channels", map[string]any{"name": "hook", "type": "webhook", "url": hs.URL}, &ch); code != 201 {
		t.Fatalf("channel: %d", code)
	}
	rc.set(func(h *hookReceiver) { h.secret = ch.Secret })
	const n = 12
	ids := map[string]bool{}
	for range n {
		var d api.Delivery
		if code := e.api("POST", "/api/v1/notifications/channels/"+ch.ID+"/test", nil, &d); code != 202 {
			t.Fatalf("test delivery: %d", code)
		}
		ids[d.ID] = true
	}
	waitFor(t, "deliveries held by the receiver", func() bool {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		return rc.inHang >= 2
	})
	kill9(t, srv)
	rc.set(func(h *hookReceiver) { close(h.hang); h.hang = nil })
	startProc(t, "steward-server", args...)
	waitFor(t, "every delivery after the restart", func() bool { got, _, _ := rc.state(); return got == n })
	var ds []api.Delivery
	waitFor(t, "all sent", func() bool {
		e.api("GET", "/api/v1/notifications/deliveries?status=sent", nil, &ds)
		return len(ds) == n
	})
	got, dup, badSig := rc.state()
	rc.mu.Lock()
	for id := range rc.seen {
		if !ids[id] {
			t.Errorf("receiver got an unknown delivery ID %s", id)
		}
	}
	rc.mu.Unlock()
	if got != n || len(badSig) > 0 {
		t.Fatalf("receiver: %d of %d IDs, bad %v", got, n, badSig)
	}
	// At least once: what was in flight at the kill came again, with its ID.
	if dup < 1 || dup > 2 {
		t.Errorf("%d repeats, want the 1 or 2 in flight at the kill", dup)
	}
	t.Logf("%d deliveries after kill -9: all arrived, %d repeated by ID (in flight at the kill)", n, dup)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
