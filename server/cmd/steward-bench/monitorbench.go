// The monitoring section: threshold profiles on every simulated agent,
// a disk crossing its threshold until the webhook arrives, and an outage
// of thousands of agents at once, counted by delivery ID at a webhook
// receiver run by the bench.

package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/steward-rmm/steward/api"
)

// monResult is the monitoring section's figures.
type monResult struct {
	Agents           int       `json:"agents"`
	IdleSeconds      float64   `json:"idle_seconds"`
	IdleCPUNone      float64   `json:"idle_cpu_percent_without_profiles"`
	IdleCPUProfile   float64   `json:"idle_cpu_percent_with_profile"`
	GroupWindow      string    `json:"notify_group_window"`
	Heartbeat        string    `json:"heartbeat"`
	DiskCrossings    int       `json:"disk_crossings"`
	DiskEndMS        []float64 `json:"disk_file_to_webhook_ms"`
	DiskServerMS     []float64 `json:"disk_server_sees_to_webhook_ms"`
	OutageAgents     int       `json:"outage_agents"`
	OutageOffline    string    `json:"outage_availability_threshold"`
	OutageAlerts     int       `json:"outage_alerts_open"`
	OutageDeliveries int       `json:"outage_deliveries"`
	OutageDuplicates int       `json:"outage_duplicate_requests"`
	OutageNamed      int       `json:"outage_alerts_named"`
	OutageDevices    int       `json:"outage_devices_named"`
	OutageSeconds    float64   `json:"outage_kill_to_all_delivered_seconds"`
	OtherAlerts      int       `json:"other_alerts_open"`
	// The outbox against the receiver, over the whole section: deliveries
	// the server marks sent that the receiver never saw, and ones still
	// pending or dead.
	SentUnseen   int    `json:"outbox_sent_not_received"`
	NotDelivered int    `json:"outbox_pending_or_dead"`
	BadRequests  int    `json:"receiver_bad_requests"`
	Error        string `json:"error,omitempty"`
}

// hook is one webhook request as the receiver saw it.
type hook struct {
	at   time.Time
	body hookPayload
}

type hookPayload struct {
	DeliveryID string `json:"delivery_id"`
	Kind       string `json:"kind"`
	Category   string `json:"category"`
	Alerts     []struct {
		Kind       string `json:"kind"`
		AlertID    string `json:"alert_id"`
		DeviceID   string `json:"device_id"`
		DeviceName string `json:"device_name"`
		Category   string `json:"category"`
	} `json:"alerts"`
}

// receiver is a webhook receiver as a customer would write one: it checks
// the signature over "timestamp.body" and counts requests per delivery ID.
type receiver struct {
	secret string
	mu     sync.Mutex
	seen   map[string]int
	hooks  []hook // first request of each delivery, in arrival order
	bad    int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	ts, sig, id := r.Header.Get("X-Steward-Timestamp"), r.Header.Get("X-Steward-Signature"), r.Header.Get("X-Steward-Delivery")
	rc.mu.Lock()
	defer rc.mu.Unlock()
	mac := hmac.New(sha256.New, []byte(rc.secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	var p hookPayload
	if !hmac.Equal([]byte(sig), []byte("sha256="+hex.EncodeToString(mac.Sum(nil)))) || id == "" ||
		json.Unmarshal(body, &p) != nil || p.DeliveryID != id {
		rc.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rc.seen[id]++
	if rc.seen[id] == 1 {
		rc.hooks = append(rc.hooks, hook{at: at, body: p})
	}
	w.WriteHeader(http.StatusNoContent)
}

// find returns the arrival of the first delivery naming an alert change
// that match accepts, at or after since.
func (rc *receiver) find(since time.Time, match func(kind, category, device string) bool) (time.Time, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, h := range rc.hooks {
		if h.at.Before(since) {
			continue
		}
		for _, a := range h.body.Alerts {
			if match(a.Kind, a.Category, a.DeviceID) {
				return h.at, true
			}
		}
	}
	return time.Time{}, false
}

func writeLive(path, text string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path) // the simulator never reads half a file
}

// benchProfile is the default profile of the issue: availability, CPU,
// memory, every disk and two services, each kind's default fail_after and
// pass_after.
func benchProfile(offline time.Duration) api.ProfileRequest {
	return api.ProfileRequest{Name: "Bench default", Checks: []api.Check{
		{Kind: "availability", Critical: offline.Minutes()},
		{Kind: "cpu", Warning: 85, Critical: 95, Window: 5},
		{Kind: "memory", Warning: 90, Critical: 97, Window: 5},
		{Kind: "disk", Warning: 15, Critical: 10},
		{Kind: "service", Target: "sshd", Severity: "critical"},
		{Kind: "service", Target: "cron", Severity: "warning"},
	}}
}

// measureMonitoring runs the monitoring section on n agents with its own
// server data and identities.
func measureMonitoring(ctx context.Context, cfg config, n int) (r monResult, err error) {
	r.Agents, r.GroupWindow, r.Heartbeat, r.OutageOffline = n, cfg.monGroup.String(), "60s", cfg.monOffline.String()
	mc := cfg
	mc.ids = cfg.ids + "-monitoring"
	data := filepath.Join(cfg.out, "data-monitoring")
	if _, err := os.Stat(data); os.IsNotExist(err) {
		_ = os.RemoveAll(mc.ids)
	}
	s := &server{data: data, extra: []string{"--notify-group-window", cfg.monGroup.String()}}
	if err := startServer(ctx, cfg, s); err != nil {
		return r, fmt.Errorf("start server: %w", err)
	}
	defer func() { s.stop() }()
	_ = s.api("POST", "/api/v1/clients", api.CreateClientRequest{Name: "Bench"}, nil)
	var tok api.EnrollTokenCreated
	if err := s.api("POST", "/api/v1/tokens", api.CreateEnrollTokenRequest{Client: "Bench", MaxUses: n, ExpiresSeconds: 86400}, &tok); err != nil {
		return r, err
	}
	en, err := startSims(mc, s, n, tok.Token, true)
	if err != nil {
		return r, err
	}
	for _, c := range en.cmds {
		if err := c.Wait(); err != nil {
			return r, fmt.Errorf("enrollment simulator failed (see %s/sim.log): %w", cfg.out, err)
		}
	}
	// Leftovers of an earlier run (profiles, channels) would skew the
	// first idle window: start from a server that has none.
	if err := cleanMonitoring(s); err != nil {
		return r, err
	}
	live := filepath.Join(cfg.out, "monitoring-live")
	const calm, full = "3 40 60", "3 40 95" // CPU, memory, disk used (percent)
	if err := writeLive(live, calm); err != nil {
		return r, err
	}
	liveAgents := max(1, min(cfg.monLive, n/2))
	sm, err := startSims(mc, s, n, "", false, func(p int) []string {
		if p == 0 {
			return []string{"--live-file", live, "--live-agents", strconv.Itoa(liveAgents)}
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	defer func() { sm.stop() }()
	if err := waitUntil(ctx, 10*time.Minute, 100*time.Millisecond, func() bool { return s.agents() >= n }); err != nil {
		return r, fmt.Errorf("connect all: %w (%d connected)", err, s.agents())
	}
	time.Sleep(10 * time.Second) // inventories land, buffers settle
	idle := func() float64 {
		c0, w0 := procCPU(s.cmd.Process.Pid), time.Now()
		select {
		case <-time.After(cfg.idle):
		case <-ctx.Done():
		}
		return 100 * (procCPU(s.cmd.Process.Pid) - c0) / time.Since(w0).Seconds()
	}
	r.IdleSeconds = cfg.idle.Seconds()
	r.IdleCPUNone = idle()
	fmt.Printf("   idle CPU without profiles %.2f %% of one core\n", r.IdleCPUNone)

	// The receiver, the channel, the rule, the profile on everything.
	rc := &receiver{seen: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return r, err
	}
	hs := &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	var ch api.NotifyChannel
	if err := s.api("POST", "/api/v1/notifications/channels", api.NotifyChannelRequest{Name: "bench-hook", Type: "webhook",
		URL: "http://" + ln.Addr().String() + "/hook"}, &ch); err != nil {
		return r, err
	}
	rc.mu.Lock()
	rc.secret = ch.Secret
	rc.mu.Unlock()
	if err := s.api("POST", "/api/v1/notifications/rules", api.NotifyRuleRequest{Name: "bench-all", MinSeverity: "warning",
		Channels: []string{ch.ID}}, nil); err != nil {
		return r, err
	}
	if err := s.api("POST", "/api/v1/profiles", benchProfile(cfg.monOffline), nil); err != nil {
		return r, err
	}
	if err := s.api("POST", "/api/v1/profile-assignments", api.AssignRequest{Level: "default", Profile: "Bench default"}, nil); err != nil {
		return r, err
	}
	time.Sleep(10 * time.Second) // a first evaluation of everything
	r.IdleCPUProfile = idle()
	fmt.Printf("   idle CPU with the profile on all %d: %.2f %% of one core\n", n, r.IdleCPUProfile)
	if ctx.Err() != nil {
		return r, ctx.Err()
	}

	// Disk crossings: the live agents' disk goes to 95 % used (5 % free,
	// critical) together; each is one sample, from the file's rewrite and
	// from the moment the server shows the figure, to the webhook naming
	// that device's raised disk alert.
	var liveIDs []string
	for i := 0; i < liveAgents; i++ {
		var list api.DeviceList
		name := fmt.Sprintf("sim0-%05d", i)
		if err := s.api("GET", "/api/v1/devices?search="+url.QueryEscape(name), nil, &list); err != nil {
			return r, err
		}
		for _, d := range list.Devices {
			if d.Hostname == name {
				liveIDs = append(liveIDs, d.ID)
			}
		}
	}
	if len(liveIDs) != liveAgents {
		return r, fmt.Errorf("found %d of %d live agents", len(liveIDs), liveAgents)
	}
	for round := 0; round < cfg.monCrossings && ctx.Err() == nil; round++ {
		t0 := time.Now()
		if err := writeLive(live, full); err != nil {
			return r, err
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var errs []string
		for _, id := range liveIDs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var seen time.Time
				err := waitUntil(ctx, 5*time.Minute, 200*time.Millisecond, func() bool {
					if seen.IsZero() {
						var d api.DeviceDetail
						if s.api("GET", "/api/v1/devices/"+id, nil, &d) == nil && d.Device.Heartbeat.DiskPercent >= 95 {
							seen = time.Now()
						}
					}
					_, ok := rc.find(t0, func(k, c, dev string) bool { return k == "raised" && c == "disk" && dev == id })
					return ok
				})
				at, _ := rc.find(t0, func(k, c, dev string) bool { return k == "raised" && c == "disk" && dev == id })
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, id+": "+err.Error())
					return
				}
				r.DiskEndMS = append(r.DiskEndMS, float64(at.Sub(t0).Microseconds())/1000)
				if !seen.IsZero() {
					r.DiskServerMS = append(r.DiskServerMS, float64(at.Sub(seen).Microseconds())/1000)
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			return r, fmt.Errorf("disk crossing %d: %s", round+1, strings.Join(errs, "; "))
		}
		r.DiskCrossings += len(liveIDs)
		fmt.Printf("   disk crossing round %d: %d webhooks\n", round+1, len(liveIDs))
		// Back to calm, and wait until every disk alert is resolved.
		t1 := time.Now()
		if err := writeLive(live, calm); err != nil {
			return r, err
		}
		for _, id := range liveIDs {
			if err := waitUntil(ctx, 5*time.Minute, 200*time.Millisecond, func() bool {
				_, ok := rc.find(t1, func(k, c, dev string) bool { return k == "resolved" && c == "disk" && dev == id })
				return ok
			}); err != nil {
				return r, fmt.Errorf("disk alert of %s not resolved: %w", id, err)
			}
		}
	}

	// The outage: the simulator processes after the first, up to
	// --monitoring-outage agents, killed at once (SIGKILL, by PID).
	var victims []int
	for p := 1; p < len(sm.cmds) && r.OutageAgents+min(cfg.perProc, n-p*cfg.perProc) <= cfg.monOutage; p++ {
		victims = append(victims, p)
		r.OutageAgents += min(cfg.perProc, n-p*cfg.perProc)
	}
	if len(victims) == 0 {
		return r, fmt.Errorf("no outage: --monitoring-outage %d is less than one simulator process (--per-proc %d) or there is one process only", cfg.monOutage, cfg.perProc)
	}
	prefixes := map[string]bool{}
	for _, p := range victims {
		prefixes[fmt.Sprintf("sim%d-", p)] = true
	}
	victim := func(name string) bool {
		i := strings.IndexByte(name, '-')
		return i > 0 && prefixes[name[:i+1]]
	}
	outStart := len(rc.snapshotHooks())
	kill := time.Now()
	for _, p := range victims {
		_ = sm.cmds[p].Process.Signal(syscall.SIGKILL)
	}
	for _, p := range victims {
		_ = sm.cmds[p].Wait()
	}
	sm.cmds = append(sm.cmds[:1], sm.cmds[len(victims)+1:]...)
	// Done when the receiver has been told of a raised availability alert
	// for every killed agent.
	named, devices := map[string]bool{}, map[string]bool{}
	var last time.Time
	err = waitUntil(ctx, 10*time.Minute+cfg.monOffline, 250*time.Millisecond, func() bool {
		hooks := rc.snapshotHooks()[outStart:]
		clear(named)
		clear(devices)
		for _, h := range hooks {
			for _, a := range h.body.Alerts {
				if a.Kind == "raised" && a.Category == "availability" && victim(a.DeviceName) {
					if !named[a.AlertID] {
						last = h.at
					}
					named[a.AlertID], devices[a.DeviceID] = true, true
				}
			}
		}
		return len(devices) >= r.OutageAgents
	})
	r.OutageNamed, r.OutageDevices = len(named), len(devices)
	if err != nil {
		return r, fmt.Errorf("outage: %d of %d devices named: %w", len(devices), r.OutageAgents, err)
	}
	r.OutageSeconds = last.Sub(kill).Seconds()
	fmt.Printf("   outage: %d devices named in webhooks %.1f s after the kill\n", len(devices), r.OutageSeconds)
	time.Sleep(5 * time.Second) // a repeat would arrive now
	open, err := openAlerts(s)
	if err != nil {
		return r, err
	}
	for _, a := range open {
		if a.Category == "availability" && victim(a.DeviceName) {
			r.OutageAlerts++
		} else {
			r.OtherAlerts++
		}
	}
	rc.mu.Lock()
	for _, h := range rc.hooks[outStart:] {
		for _, a := range h.body.Alerts {
			if a.Category == "availability" && victim(a.DeviceName) {
				r.OutageDeliveries++
				break
			}
		}
	}
	for _, c := range rc.seen {
		r.OutageDuplicates += c - 1 // counted over the whole run
	}
	r.BadRequests = rc.bad
	seen := maps.Clone(rc.seen)
	rc.mu.Unlock()
	for _, st := range []string{"sent", "pending", "dead"} {
		var ds []api.Delivery
		if err := s.api("GET", "/api/v1/notifications/deliveries?limit=1000&channel="+ch.ID+"&status="+st, nil, &ds); err != nil {
			return r, err
		}
		for _, d := range ds {
			if st != "sent" {
				r.NotDelivered++
			} else if seen[d.ID] == 0 {
				r.SentUnseen++
			}
		}
	}
	return r, nil
}

func (rc *receiver) snapshotHooks() []hook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hook(nil), rc.hooks...)
}

// openAlerts lists every open alert, page by page.
func openAlerts(s *server) ([]api.Alert, error) {
	var all []api.Alert
	before := ""
	for {
		var l api.AlertList
		if err := s.api("GET", "/api/v1/alerts?status=open&limit=1000&before="+url.QueryEscape(before), nil, &l); err != nil {
			return nil, err
		}
		all = append(all, l.Alerts...)
		if l.Next == "" || len(l.Alerts) == 0 {
			return all, nil
		}
		before = l.Next
	}
}

// cleanMonitoring removes the bench's profile, rule and channel left by
// an earlier run on the same data.
func cleanMonitoring(s *server) error {
	var profiles []api.Profile
	if err := s.api("GET", "/api/v1/profiles", nil, &profiles); err != nil {
		return err
	}
	for _, p := range profiles {
		if err := s.api("DELETE", "/api/v1/profiles/"+p.ID, nil, nil); err != nil {
			return err
		}
	}
	var rules []api.NotifyRule
	if err := s.api("GET", "/api/v1/notifications/rules", nil, &rules); err != nil {
		return err
	}
	for _, r := range rules {
		if err := s.api("DELETE", "/api/v1/notifications/rules/"+r.ID, nil, nil); err != nil {
			return err
		}
	}
	var chans []api.NotifyChannel
	if err := s.api("GET", "/api/v1/notifications/channels", nil, &chans); err != nil {
		return err
	}
	for _, c := range chans {
		if err := s.api("DELETE", "/api/v1/notifications/channels/"+c.ID, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

func medianMax(v []float64) (float64, float64) {
	if len(v) == 0 {
		return 0, 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2], s[len(s)-1]
}

func printMonitoring(w io.Writer, r monResult) {
	fmt.Fprintf(w, "\nmonitoring (%d agents, heartbeats %s, --notify-group-window %s, webhook receiver in the bench over HTTP):\n",
		r.Agents, r.Heartbeat, r.GroupWindow)
	if r.Error != "" {
		fmt.Fprintf(w, "error: %s\n", r.Error)
	}
	em, ex := medianMax(r.DiskEndMS)
	sm, sx := medianMax(r.DiskServerMS)
	fmt.Fprintf(w, "| measure | figure |\n|---|---:|\n")
	fmt.Fprintf(w, "| idle CPU, no profile (%.0f s) | %.2f %% of one core |\n", r.IdleSeconds, r.IdleCPUNone)
	fmt.Fprintf(w, "| idle CPU, default profile (6 checks) on all | %.2f %% of one core |\n", r.IdleCPUProfile)
	fmt.Fprintf(w, "| disk crossing → webhook, from the file's rewrite (%d crossings; includes waiting for the next heartbeat) | median %.0f ms, max %.0f ms |\n", len(r.DiskEndMS), em, ex)
	fmt.Fprintf(w, "| disk crossing → webhook, from the server showing the figure | median %.0f ms, max %.0f ms |\n", sm, sx)
	fmt.Fprintf(w, "| outage: agents killed at once | %d |\n", r.OutageAgents)
	fmt.Fprintf(w, "| outage: availability alerts open / devices named in webhooks / alert IDs named | %d / %d / %d |\n", r.OutageAlerts, r.OutageDevices, r.OutageNamed)
	fmt.Fprintf(w, "| outage: deliveries (distinct IDs) / duplicate requests (whole run) / refused | %d / %d / %d |\n", r.OutageDeliveries, r.OutageDuplicates, r.BadRequests)
	fmt.Fprintf(w, "| outage: kill → last alert delivered (availability threshold %s) | %.1f s |\n", r.OutageOffline, r.OutageSeconds)
	fmt.Fprintf(w, "| outbox: sent but not received / pending or dead (expected 0) | %d / %d |\n", r.SentUnseen, r.NotDelivered)
	fmt.Fprintf(w, "| other alerts open (expected 0) | %d |\n", r.OtherAlerts)
}

// runMonitoring measures, keeping an error in the result.
func runMonitoring(ctx context.Context, cfg config, n int) monResult {
	r, err := measureMonitoring(ctx, cfg, n)
	if err != nil {
		r.Error = err.Error()
		fmt.Println("   error:", err)
	}
	return r
}
