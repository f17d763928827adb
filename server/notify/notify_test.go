package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// clock is a fake clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// nopAudit drops audit events (the e2e tests check the real log).
type nopAudit struct{}

func (nopAudit) AuditP(*httpx.Principal, string, string, map[string]string)     {}
func (nopAudit) Audit(*http.Request, string, string, string, map[string]string) {}
func (nopAudit) AuditSystem(string, string, map[string]string)                  {}
func (nopAudit) Append(store.AuditEvent)                                        {}

// receiver is a webhook receiver that verifies every request and keeps
// the bodies by delivery ID; fail makes it answer 503.
type receiver struct {
	*httptest.Server
	t      *testing.T
	secret string
	now    func() time.Time
	mu     sync.Mutex
	fail   bool
	byID   map[string][]Payload
	hits   int
}

func newReceiver(t *testing.T, secret string, now func() time.Time) *receiver {
	rc := &receiver{t: t, secret: secret, now: now, byID: map[string][]Payload{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.hits++
		if err := Verify(rc.secret, r.Header.Get(HeaderSignature), r.Header.Get(HeaderTimestamp), body, rc.now(), 5*time.Minute); err != nil {
			t.Errorf("receiver: %v", err)
			w.WriteHeader(401)
			return
		}
		if rc.fail {
			w.WriteHeader(503)
			return
		}
		var p Payload
		if err := json.Unmarshal(body, &p); err != nil || p.DeliveryID != r.Header.Get(HeaderDelivery) {
			t.Errorf("receiver: body %s, delivery header %q: %v", body, r.Header.Get(HeaderDelivery), err)
		}
		rc.byID[p.DeliveryID] = append(rc.byID[p.DeliveryID], p)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() (ids int, payloads []Payload) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, ps := range rc.byID {
		payloads = append(payloads, ps[0])
	}
	return len(rc.byID), payloads
}

func (rc *receiver) setFail(f bool) { rc.mu.Lock(); rc.fail = f; rc.mu.Unlock() }

type fixture struct {
	w   *Wing
	db  *boltstore.DB
	clk *clock
	rc  *receiver
	ch  store.NotifyChannel
}

const testSecret = "0123456789abcdef-secret"

func newFixture(t *testing.T, cfg Config, rule store.NotifyRule) *fixture {
	t.Helper()
	db, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{t: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	f := &fixture{db: db, clk: clk}
	// The receiver checks timestamps against the fake clock: it is the
	// signer's clock the test controls.
	f.rc = newReceiver(t, testSecret, clk.Now)
	f.ch = store.NotifyChannel{ID: "ch_hook", Name: "hook", Type: store.ChannelWebhook, URL: f.rc.URL, Secret: testSecret}
	if err := db.PutNotifyChannel(f.ch); err != nil {
		t.Fatal(err)
	}
	rule.ID, rule.Channels = "nr_1", []string{f.ch.ID}
	if rule.MinSeverity == "" {
		rule.MinSeverity = "information"
	}
	if err := db.PutNotifyRule(rule); err != nil {
		t.Fatal(err)
	}
	f.w = New(Deps{Config: cfg, Store: db, Audit: nopAudit{}, Now: clk.Now})
	if err := f.w.load(); err != nil {
		t.Fatal(err)
	}
	return f
}

// step runs the sender once at the fake time and waits for its attempts.
func (f *fixture) step() {
	f.w.tick(context.Background())
	f.w.Wait()
}

func event(kind, alert, client, device, sev, category, check string) AlertEvent {
	return AlertEvent{Kind: kind, AlertID: alert, ClientID: client, ClientName: "Client " + client, DeviceID: device,
		DeviceName: "host-" + device, Severity: sev, Category: category, Check: check, Title: check + " failing",
		At: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
}

// TestSignAndVerify: the signature is HMAC-SHA256 over "TIMESTAMP.BODY"
// (a fixed vector), and a changed body, a changed timestamp, another
// secret or a stale timestamp (a replay) fail.
func TestSignAndVerify(t *testing.T) {
	body := []byte(`{"delivery_id":"dl_1"}`)
	sig := Sign("key", 1764928800, body)
	// echo -n '1764928800.{"delivery_id":"dl_1"}' | openssl dgst -sha256 -hmac key
	if sig != "sha256=c56ce5f2887f4b42e05c0b98634e9a7047223d2e5c6fa2eb5497729da6573bf3" {
		t.Fatalf("sig = %s", sig)
	}
	now := time.Unix(1764928800, 0)
	if err := Verify("key", sig, "1764928800", body, now, time.Minute); err != nil {
		t.Fatalf("a good signature: %v", err)
	}
	for name, c := range map[string]struct {
		secret, ts string
		body       []byte
		now        time.Time
	}{
		"body":      {"key", "1764928800", []byte(`{"delivery_id":"dl_2"}`), now},
		"timestamp": {"key", "1764928801", body, now},
		"secret":    {"other", "1764928800", body, now},
		"replay":    {"key", "1764928800", body, now.Add(10 * time.Minute)},
	} {
		if err := Verify(c.secret, sig, c.ts, c.body, c.now, time.Minute); err == nil {
			t.Errorf("changed %s verified", name)
		}
	}
}

// TestBackoff: the delay doubles from the base up to the cap, and the
// jitter keeps it within the upper half of that step.
func TestBackoff(t *testing.T) {
	base, max := 10*time.Second, 30*time.Minute
	for n, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 8: 1280 * time.Second,
		9: 30 * time.Minute, 40: 30 * time.Minute} {
		lo, hi := backoff(n, base, max, func() float64 { return 0 }), backoff(n, base, max, func() float64 { return 0.999999 })
		if lo != want/2 || hi <= lo || hi > want {
			t.Errorf("attempt %d: backoff in [%v, %v], want [%v, %v]", n, lo, hi, want/2, want)
		}
	}
}

// TestBurstIsOneMessage: 50 devices of one client going offline within
// the window make one webhook listing the 50; another client's, another
// check kind's and a later change make their own.
func TestBurstIsOneMessage(t *testing.T) {
	f := newFixture(t, Config{GroupWindow: time.Minute}, store.NotifyRule{})
	// 25 one at a time over 50 s of the 60 s window, then 25 in one batch.
	for i := range 25 {
		if err := f.w.Alert(event(KindRaised, fmt.Sprint("al", i), "c1", fmt.Sprint("d", i), "critical", "availability", "availability")); err != nil {
			t.Fatal(err)
		}
		f.clk.Add(2 * time.Second)
	}
	var batch []AlertEvent
	for i := 25; i < 50; i++ {
		batch = append(batch, event(KindRaised, fmt.Sprint("al", i), "c1", fmt.Sprint("d", i), "critical", "availability", "availability"))
	}
	must(t, f.w.Alerts(batch))
	must(t, f.w.Alert(event(KindRaised, "al-other", "c2", "x1", "critical", "availability", "availability")))
	must(t, f.w.Alert(event(KindRaised, "al-disk1", "c1", "d1", "warning", "disk", "disk C:")))
	must(t, f.w.Alert(event(KindRaised, "al-disk2", "c1", "d2", "warning", "disk", "disk D:")))
	f.step() // the window of the first is not over: nothing goes
	if n, _ := f.rc.got(); n != 0 {
		t.Fatalf("%d messages before the window closed", n)
	}
	f.clk.Add(11 * time.Second)
	f.step()
	f.clk.Add(time.Minute)
	f.step()
	n, ps := f.rc.got()
	if n != 3 {
		t.Fatalf("%d messages, want 3 (the burst, the other client, the disks): %+v", n, ps)
	}
	counts := map[string]int{}
	for _, p := range ps {
		counts[p.ClientID+"/"+p.Category] = p.Count
		if len(p.Alerts) != p.Count {
			t.Errorf("payload count %d, alerts %d", p.Count, len(p.Alerts))
		}
	}
	if counts["c1/availability"] != 50 || counts["c2/availability"] != 1 || counts["c1/disk"] != 2 {
		t.Fatalf("grouped counts = %v", counts)
	}
	merged, _ := f.db.Deliveries(store.DeliveryQuery{Status: store.DeliveryMerged})
	sent, _ := f.db.Deliveries(store.DeliveryQuery{Status: store.DeliverySent})
	if len(merged) != 50 || len(sent) != 3 {
		t.Fatalf("outbox: %d merged, %d sent", len(merged), len(sent))
	}
	// After the window a new change starts a new message.
	must(t, f.w.Alert(event(KindResolved, "al0", "c1", "d0", "critical", "availability", "availability")))
	f.clk.Add(2 * time.Minute)
	f.step()
	if n, _ := f.rc.got(); n != 4 {
		t.Fatalf("%d messages after a later change, want 4", n)
	}
}

// TestRouting: severity, client, profile and kind filters.
func TestRouting(t *testing.T) {
	f := newFixture(t, Config{GroupWindow: -1}, store.NotifyRule{MinSeverity: "warning", Clients: []string{"c1"}, Profiles: []string{"p1"},
		Kinds: []string{KindRaised, KindEscalated}})
	base := event(KindRaised, "a1", "c1", "d1", "warning", "disk", "disk C:")
	base.ProfileID = "p1"
	cases := []struct {
		name string
		mod  func(*AlertEvent)
		want bool
	}{
		{"matching", func(*AlertEvent) {}, true},
		{"critical", func(e *AlertEvent) { e.Severity = "critical" }, true},
		{"information", func(e *AlertEvent) { e.Severity = "information" }, false},
		{"other client", func(e *AlertEvent) { e.ClientID = "c2" }, false},
		{"other profile", func(e *AlertEvent) { e.ProfileID = "p2" }, false},
		{"resolved", func(e *AlertEvent) { e.Kind = KindResolved }, false},
	}
	for i, c := range cases {
		ev := base
		ev.AlertID = fmt.Sprint("a", i)
		c.mod(&ev)
		before, _ := f.db.Deliveries(store.DeliveryQuery{})
		must(t, f.w.Alert(ev))
		after, _ := f.db.Deliveries(store.DeliveryQuery{})
		if got := len(after) > len(before); got != c.want {
			t.Errorf("%s: delivered %v, want %v", c.name, got, c.want)
		}
	}
	before, _ := f.db.Deliveries(store.DeliveryQuery{})
	if err := f.w.Alerts([]AlertEvent{base, {Kind: "exploded", AlertID: "x", Severity: "critical"}}); err == nil {
		t.Error("an unknown kind was accepted")
	}
	if after, _ := f.db.Deliveries(store.DeliveryQuery{}); len(after) != len(before) {
		t.Error("a batch with an invalid change stored some of it")
	}
}

// TestRenotify: an open alert is repeated every N minutes by a rule that
// asks for it; not while snoozed; again once reopened; never once
// resolved. The tracked state survives a restart of the wing.
func TestRenotify(t *testing.T) {
	f := newFixture(t, Config{GroupWindow: -1}, store.NotifyRule{RenotifyMinutes: 30})
	ev := event(KindRaised, "al1", "c1", "d1", "critical", "disk", "disk C:")
	must(t, f.w.Alert(ev))
	f.step()
	count := func() int { n, _ := f.rc.got(); return n }
	if count() != 1 {
		t.Fatalf("%d messages after raise", count())
	}
	f.clk.Add(29 * time.Minute)
	f.step()
	if count() != 1 {
		t.Fatalf("re-notified before 30 minutes: %d", count())
	}
	f.clk.Add(time.Minute)
	f.step()
	f.step()
	_, ps := f.rc.got()
	if count() != 2 {
		t.Fatalf("%d messages after 30 minutes, want 2", count())
	}
	reminders := 0
	for _, p := range ps {
		if p.Reminder {
			reminders++
		}
	}
	if reminders != 1 {
		t.Fatalf("%d reminders", reminders)
	}
	// A restarted wing knows the alert is open.
	f.w = New(Deps{Config: Config{GroupWindow: -1}, Store: f.db, Audit: nopAudit{}, Now: f.clk.Now})
	must(t, f.w.load())
	f.clk.Add(30 * time.Minute)
	f.step()
	if count() != 3 {
		t.Fatalf("%d messages after a restart and 30 more minutes, want 3", count())
	}
	ev.Kind = KindSnoozed
	must(t, f.w.Alert(ev))
	f.step()
	n := count()
	f.clk.Add(2 * time.Hour)
	f.step()
	if count() != n {
		t.Fatalf("re-notified while snoozed: %d -> %d", n, count())
	}
	ev.Kind = KindReopened
	must(t, f.w.Alert(ev))
	f.step()
	f.clk.Add(30 * time.Minute)
	f.step()
	if count() != n+2 {
		t.Fatalf("after reopen and 30 minutes: %d, want %d", count(), n+2)
	}
	ev.Kind = KindResolved
	must(t, f.w.Alert(ev))
	f.step()
	n = count()
	f.clk.Add(3 * time.Hour)
	f.step()
	if count() != n {
		t.Fatalf("re-notified after resolve: %d -> %d", n, count())
	}
	if as, _ := f.db.NotifyAlerts(); len(as) != 0 {
		t.Fatalf("resolved alert still tracked: %+v", as)
	}
}

// TestRetryThenDead: a failing receiver gets attempts at growing
// intervals until MaxAge, then the delivery is dead with the last error
// kept; a retry sends it with the same delivery ID.
func TestRetryThenDead(t *testing.T) {
	f := newFixture(t, Config{GroupWindow: -1, MaxAge: 24 * time.Hour}, store.NotifyRule{})
	f.rc.setFail(true)
	must(t, f.w.Alert(event(KindRaised, "al1", "c1", "d1", "critical", "disk", "disk C:")))
	f.step()
	ds, _ := f.db.Deliveries(store.DeliveryQuery{})
	if len(ds) != 1 || ds[0].Attempts != 1 || ds[0].Status != store.DeliveryPending || !strings.Contains(ds[0].LastError, "503") {
		t.Fatalf("after a failure: %+v", ds)
	}
	id := ds[0].ID
	var gaps []time.Duration
	last := ds[0].NextAttempt
	for i := 0; i < 200; i++ {
		d, _ := f.db.Delivery(id)
		if d.Status != store.DeliveryPending {
			break
		}
		f.clk.Add(d.NextAttempt.Sub(f.clk.Now()))
		f.step()
		d2, _ := f.db.Delivery(id)
		if d2.Status == store.DeliveryPending {
			gaps = append(gaps, d2.NextAttempt.Sub(last))
			last = d2.NextAttempt
		}
	}
	d, _ := f.db.Delivery(id)
	if d.Status != store.DeliveryDead || !strings.Contains(d.LastError, "503") || d.Attempts < 10 {
		t.Fatalf("after 24 h: %+v", d)
	}
	if gaps[0] > gaps[len(gaps)-1] || gaps[len(gaps)-1] > 30*time.Minute {
		t.Errorf("retry gaps do not grow to the cap: %v", gaps)
	}
	if d.Attempts > 24*60/15+12 {
		t.Errorf("%d attempts in 24 h: the backoff does not back off", d.Attempts)
	}
	f.rc.setFail(false)
	if _, err := f.w.retry(id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.w.retry(id); err != errNotDead {
		t.Errorf("retrying a pending delivery: %v", err)
	}
	f.step()
	n, ps := f.rc.got()
	if n != 1 || ps[0].DeliveryID != id {
		t.Fatalf("after retry: %d messages %+v", n, ps)
	}
}

// TestSlowReceiverDoesNotBlockOthers: with one receiver hanging, a
// delivery to another channel still goes out.
func TestSlowReceiverDoesNotBlockOthers(t *testing.T) {
	f := newFixture(t, Config{GroupWindow: -1, Workers: 4, PerChannel: 2}, store.NotifyRule{})
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer slow.Close()
	defer close(release)
	must(t, f.db.PutNotifyChannel(store.NotifyChannel{ID: "ch_slow", Name: "slow", Type: store.ChannelWebhook, URL: slow.URL, Secret: testSecret}))
	must(t, f.db.PutNotifyRule(store.NotifyRule{ID: "nr_0", Name: "slow", MinSeverity: "information", Channels: []string{"ch_slow"}}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 5 {
		must(t, f.w.Alert(event(KindRaised, fmt.Sprint("al", i), "c1", fmt.Sprint("d", i), "critical", "disk", "disk C:")))
	}
	f.w.tick(ctx)
	// Two attempts hang on the slow channel; the five to the good one go.
	for deadline := time.Now().Add(20 * time.Second); ; {
		f.w.tick(ctx)
		if n, _ := f.rc.got(); n == 5 {
			break
		}
		if time.Now().After(deadline) {
			n, _ := f.rc.got()
			t.Fatalf("the good receiver got %d of 5 while the slow one hangs", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.w.mu.Lock()
	slowBusy := f.w.perChannel["ch_slow"]
	f.w.mu.Unlock()
	if slowBusy != 2 {
		t.Fatalf("%d attempts under way on the slow channel, want its limit 2", slowBusy)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestMailTextHostile: device text with CR LF cannot add a mail header,
// and escape sequences and bidi overrides show as escapes in the subject
// and the text; a grouped message names the count and every device.
func TestMailTextHostile(t *testing.T) {
	ev := event(KindRaised, "a1", "c1", "d1", "critical", "disk", "disk C:")
	ev.Title = "full\r\nBcc: victim@example.com"
	ev.DeviceName = "srv\x1b]52;c;ZXZpbA==\x07-\u202egnp.exe"
	ev.Detail = "line one\nline two\x1b[2J"
	d := store.Delivery{ID: "dl_x", CreatedAt: time.Now()}
	must(t, render(&d, []AlertEvent{ev}, false))
	if strings.ContainsAny(d.Subject, "\r\n\x1b\u202e") || !strings.Contains(d.Subject, `full\x0d\x0aBcc: victim@example.com`) {
		t.Fatalf("subject %q", d.Subject)
	}
	if strings.ContainsAny(d.Text, "\r\x1b\x07\u202e") || !strings.Contains(d.Text, `srv\x1b]52;c;ZXZpbA==\x07-\u202egnp.exe`) ||
		!strings.Contains(d.Text, "line one\nline two\\x1b[2J") {
		t.Fatalf("text %q", d.Text)
	}
	var p Payload
	must(t, json.Unmarshal(d.Body, &p))
	if p.Alerts[0].Title != ev.Title || p.DeliveryID != "dl_x" {
		t.Fatalf("the webhook body must carry the text as data (JSON escapes it): %+v", p)
	}
	ev2 := ev
	ev2.DeviceName, ev2.AlertID = "srv02", "a2"
	must(t, render(&d, []AlertEvent{ev, ev2}, false))
	if !strings.HasPrefix(d.Subject, "[Steward] 2 disk alerts raised: disk (Client c1)") || !strings.Contains(d.Text, "srv02") || d.Count != 2 {
		t.Fatalf("grouped subject %q count %d", d.Subject, d.Count)
	}
}

// TestPruneFinished: sent and dead deliveries older than the retention
// are deleted; a pending one of the same age stays.
func TestPruneFinished(t *testing.T) {
	f := newFixture(t, Config{GroupWindow: -1, Retention: 30 * 24 * time.Hour}, store.NotifyRule{})
	must(t, f.w.Alert(event(KindRaised, "al1", "c1", "d1", "critical", "disk", "disk C:")))
	f.step()
	f.rc.setFail(true)
	must(t, f.w.Alert(event(KindRaised, "al2", "c1", "d2", "critical", "disk", "disk C:")))
	f.step()
	must(t, f.db.PutDeliveries([]store.Delivery{{ID: "dl_stuck", ChannelID: f.ch.ID, Status: store.DeliveryPending, CreatedAt: f.clk.Now(),
		NextAttempt: f.clk.Now().Add(1000 * time.Hour)}}))
	f.clk.Add(29 * 24 * time.Hour)
	f.step()
	if all, _ := f.db.Deliveries(store.DeliveryQuery{}); len(all) != 3 {
		t.Fatalf("%d deliveries before the retention ended", len(all))
	}
	f.clk.Add(2 * 24 * time.Hour)
	f.step()
	// The sent one and the dead one (given up after a day) are gone.
	if all, _ := f.db.Deliveries(store.DeliveryQuery{}); len(all) != 1 {
		t.Fatalf("after 31 days: %+v", all)
	}
	if d, err := f.db.Delivery("dl_stuck"); err != nil || d.Status != store.DeliveryPending {
		t.Fatalf("the pending delivery was pruned: %v", err)
	}
}
