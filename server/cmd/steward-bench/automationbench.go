// The automation section: one task every --automation-every with a
// spread of --automation-spread on every simulated agent (the issue's:
// every hour, ten minutes' spread, 19,900 agents), anchored so its first
// occurrence starts right away. The bench watches --automation-rounds
// whole occurrences and reports the server's CPU and memory over them,
// the scheduler's own time per tick (steward_automation_tick_seconds),
// and, counted from the server's store once it has stopped (its
// scheduler log and job runs, not the simulators' word), how many times
// each device ran each occurrence and when the runs started.

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/steward-rmm/steward/api"
)

// autoResult is the automation section's figures.
type autoResult struct {
	Agents    int    `json:"agents"`
	Processes int    `json:"simulator_processes"`
	Every     string `json:"every"`
	Spread    string `json:"spread"`
	Rounds    int    `json:"rounds"`
	// WindowSeconds is the watched time: the occurrences, the last
	// one's spread and the margin.
	WindowSeconds float64 `json:"window_seconds"`
	IdleCPU       float64 `json:"idle_cpu_percent_without_task"`
	CPUSeconds    float64 `json:"server_cpu_seconds_in_window"`
	RunCPU        float64 `json:"server_cpu_percent_of_one_core_in_window"`
	// The busiest ten seconds of the window.
	PeakCPU     float64 `json:"server_cpu_percent_peak_10s"`
	RSSBeforeMB float64 `json:"rss_mb_before"`
	RSSPeakMB   float64 `json:"rss_mb_peak"`
	RSSAfterMB  float64 `json:"rss_mb_after"`
	HeapBefore  float64 `json:"heap_inuse_mb_before"`
	HeapPeak    float64 `json:"heap_inuse_mb_peak"`
	HeapAfter   float64 `json:"heap_inuse_mb_after"`
	// The scheduler's own cost: its ticks in the window, their total and
	// longest time (the histogram's bucket bound).
	Ticks          float64 `json:"scheduler_ticks"`
	TickSeconds    float64 `json:"scheduler_tick_seconds_total"`
	TickMaxBucketS float64 `json:"scheduler_tick_seconds_max_bucket"`
	MetricStarted  float64 `json:"metric_started"`
	MetricSkipped  float64 `json:"metric_skipped"`
	MetricFailed   float64 `json:"metric_failed"`
	// DeviceLogMS is one device's log read through the API at the end
	// (GET /api/v1/automation/runs?device=...&limit=100).
	DeviceLogMS float64 `json:"device_log_query_ms"`
	// The store file before the task and after the window (the log,
	// schedule states, jobs and runs of the occurrences).
	DBBeforeMB float64 `json:"store_mb_before"`
	DBAfterMB  float64 `json:"store_mb_after"`
	count
	Error string `json:"error,omitempty"`
}

func runAutomation(ctx context.Context, cfg config, n int) autoResult {
	r, err := measureAutomation(ctx, cfg, n)
	if err != nil {
		r.Error = err.Error()
		fmt.Println("   error:", err)
	}
	return r
}

func measureAutomation(ctx context.Context, cfg config, n int) (r autoResult, err error) {
	r.Agents, r.Every, r.Spread, r.Rounds = n, cfg.autoEvery.String(), cfg.autoSpread.String(), cfg.autoRounds
	r.Processes = (n + cfg.perProc - 1) / cfg.perProc
	ac := cfg
	ac.ids = cfg.ids + "-automation"
	data := filepath.Join(cfg.out, "data-automation")
	// Identities belong to the server that enrolled them; both are kept
	// between runs (enrolling 19,900 agents takes minutes). The count
	// reads the log of this run's profile only.
	if _, err := os.Stat(data); os.IsNotExist(err) {
		_ = os.RemoveAll(ac.ids)
	}
	s := &server{data: data, extra: []string{"--automation-min-every", "10s", "--automation-reconcile", "30s"}}
	if err := startServer(ctx, cfg, s); err != nil {
		return r, fmt.Errorf("start server: %w", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			s.stop()
		}
	}()
	_ = s.api("POST", "/api/v1/clients", api.CreateClientRequest{Name: "Bench"}, nil)
	var tok api.EnrollTokenCreated
	if err := s.api("POST", "/api/v1/tokens", api.CreateEnrollTokenRequest{Client: "Bench", MaxUses: n, ExpiresSeconds: 86400}, &tok); err != nil {
		return r, err
	}
	en, err := startSims(ac, s, n, tok.Token, true)
	if err != nil {
		return r, err
	}
	for _, c := range en.cmds {
		if err := c.Wait(); err != nil {
			return r, fmt.Errorf("enrollment simulator failed (see %s/sim.log): %w", cfg.out, err)
		}
	}
	// Profiles of an earlier run would start their tasks too: none.
	var old []api.AutoProfile
	_ = s.api("GET", "/api/v1/automation/profiles", nil, &old)
	for _, p := range old {
		_ = s.api("DELETE", "/api/v1/automation/profiles/"+p.ID, nil, nil)
	}
	sm, err := startSims(ac, s, n, "", false)
	if err != nil {
		return r, err
	}
	simsUp := true
	defer func() {
		if simsUp {
			sm.stop()
		}
	}()
	// At least ten minutes; 50 ms an agent beyond (a loaded machine).
	connect := max(10*time.Minute, time.Duration(n)*50*time.Millisecond)
	if err := waitUntil(ctx, connect, 100*time.Millisecond, func() bool { return s.agents() >= n }); err != nil {
		return r, fmt.Errorf("connect all: %w (%d connected)", err, s.agents())
	}
	fmt.Printf("   %d agents connected from %d simulator processes\n", n, r.Processes)
	time.Sleep(10 * time.Second)
	pid := s.cmd.Process.Pid
	c0, w0 := procCPU(pid), time.Now()
	time.Sleep(min(cfg.idle, 30*time.Second))
	r.IdleCPU = 100 * (procCPU(pid) - c0) / time.Since(w0).Seconds()
	r.RSSBeforeMB = procRSSKB(pid) / 1024
	r.HeapBefore = s.metric("go_memstats_heap_inuse_bytes") / (1 << 20)
	fmt.Printf("   idle CPU without the task %.2f %% of one core, RSS %.0f MB, heap %.0f MB\n", r.IdleCPU, r.RSSBeforeMB, r.HeapBefore)

	// The script (already there when the data is kept: then a conflict).
	_ = s.api("POST", "/api/v1/scripts", map[string]any{"name": "bench-tick", "interpreter": "sh", "body": "true"}, nil)
	// The anchor: the first occurrence a little after the assignment, so
	// every device's offset in the spread falls inside it.
	anchor := time.Now().Add(45 * time.Second).Truncate(time.Second)
	task := api.AutoTask{ID: "tick", Name: "bench tick", Action: "script", Library: "bench-tick@1",
		Schedule:      api.AutoSchedule{Kind: "every", Every: int(cfg.autoEvery / time.Second), Start: anchor},
		SpreadSeconds: int(cfg.autoSpread / time.Second)}
	var prof api.AutoProfile
	r.DBBeforeMB = fileMB(filepath.Join(data, "steward.db"))
	// The scheduler's counters over the window (a kept server's earlier
	// profiles may have logged at its start).
	m0Started, m0Skipped, m0Failed := schedMetrics(s)
	t0Ticks, t0TickSum := s.metric("steward_automation_tick_seconds_count"), s.metric("steward_automation_tick_seconds_sum")
	c1, w1 := procCPU(pid), time.Now()
	if err := s.api("POST", "/api/v1/automation/profiles", api.AutoProfileRequest{Name: "Bench hourly", Tasks: []api.AutoTask{task}}, &prof); err != nil {
		return r, err
	}
	if err := s.api("POST", "/api/v1/automation/assignments", api.AssignRequest{Level: "default", Profile: "Bench hourly"}, nil); err != nil {
		return r, err
	}
	end := anchor.Add(time.Duration(cfg.autoRounds-1)*cfg.autoEvery + cfg.autoSpread + cfg.autoMargin)
	// --profile: the server's CPU profile from the start of the window
	// (at most 110 s: the API client's timeout).
	prof0 := s.startProfile(cfg, min(cfg.profile, time.Until(end), 110*time.Second), "cpu-automation.pprof")
	fmt.Printf("   task every %s, spread %s, first at %s: watching %d occurrence(s) until %s\n", cfg.autoEvery, cfg.autoSpread,
		anchor.Format(time.TimeOnly), cfg.autoRounds, end.Format(time.TimeOnly))
	// Sample memory and CPU every ten seconds for the peaks.
	lastCPU, lastAt := procCPU(pid), time.Now()
	for time.Now().Before(end) {
		select {
		case <-time.After(min(10*time.Second, time.Until(end))):
		case <-ctx.Done():
			return r, ctx.Err()
		}
		cpu, at := procCPU(pid), time.Now()
		if d := at.Sub(lastAt).Seconds(); d > 1 {
			r.PeakCPU = max(r.PeakCPU, 100*(cpu-lastCPU)/d)
		}
		lastCPU, lastAt = cpu, at
		r.RSSPeakMB = max(r.RSSPeakMB, procRSSKB(pid)/1024)
		r.HeapPeak = max(r.HeapPeak, s.metric("go_memstats_heap_inuse_bytes")/(1<<20))
	}
	r.CPUSeconds = procCPU(pid) - c1
	if err := prof0.wait(); err != nil {
		fmt.Println("   profile:", err)
	}
	r.WindowSeconds = time.Since(w1).Seconds()
	r.RunCPU = 100 * r.CPUSeconds / r.WindowSeconds
	r.RSSAfterMB = procRSSKB(pid) / 1024
	r.HeapAfter = s.metric("go_memstats_heap_inuse_bytes") / (1 << 20)
	r.Ticks = s.metric("steward_automation_tick_seconds_count") - t0Ticks
	r.TickSeconds = s.metric("steward_automation_tick_seconds_sum") - t0TickSum
	r.TickMaxBucketS = s.maxBucket("steward_automation_tick_seconds")
	r.MetricStarted, r.MetricSkipped, r.MetricFailed = schedMetrics(s)
	r.MetricStarted -= m0Started
	r.MetricSkipped -= m0Skipped
	r.MetricFailed -= m0Failed

	// What a technician's look at one device's log costs once the
	// occurrences are logged (the log is scanned newest first).
	var devs api.DeviceList
	if err := s.api("GET", "/api/v1/devices?limit=1", nil, &devs); err == nil && len(devs.Devices) > 0 {
		t := time.Now()
		var runs []api.AutoRun
		if err := s.api("GET", "/api/v1/automation/runs?limit=100&device="+devs.Devices[0].ID, nil, &runs); err == nil {
			r.DeviceLogMS = float64(time.Since(t).Microseconds()) / 1000
		}
	}
	// Count from the server's own records: stop it (and the simulators)
	// and read its store.
	sm.stop()
	simsUp = false
	s.stop()
	stopped = true
	r.DBAfterMB = fileMB(filepath.Join(data, "steward.db"))
	r.count, err = countAutomation(data, prof.ID, anchor, cfg.autoEvery, cfg.autoSpread, cfg.autoRounds)
	return r, err
}

// fileMB is a file's size in MB (0 when missing).
func fileMB(path string) float64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return float64(fi.Size()) / (1 << 20)
}

// schedMetrics reads the scheduler's counters: started, skipped (any
// reason) and failed occurrences.
func schedMetrics(s *server) (started, skipped, failed float64) {
	m := func(o string) float64 { return s.metric(`steward_automation_runs_total{outcome="` + o + `"}`) }
	return m("started"), m("skipped-offline") + m("skipped-running") + m("skipped-deadline"), m("failed")
}
