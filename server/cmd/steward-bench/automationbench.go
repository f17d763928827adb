// The automation section: one task every --automation-every with a
// spread of --automation-spread on every simulated agent; the server's
// CPU and memory while it runs, every device's starts counted per
// occurrence (none twice, none skipped) and the start times' spread.
// The task runs every hour with ten minutes' spread; the
// defaults compress time tenfold (every 6 min, 1 min spread) to keep the
// run short, and the figures say which scale was used.

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
)

// autoResult is the automation section's figures.
type autoResult struct {
	Agents        int     `json:"agents"`
	Every         string  `json:"every"`
	Spread        string  `json:"spread"`
	Rounds        int     `json:"rounds"`
	IdleCPU       float64 `json:"idle_cpu_percent_without_task"`
	RunCPU        float64 `json:"cpu_percent_during_rounds"`
	RSSBeforeMB   float64 `json:"rss_mb_before"`
	RSSAfterMB    float64 `json:"rss_mb_after"`
	Started       int     `json:"runs_started"`
	Twice         int     `json:"devices_started_twice_in_a_round"`
	Missed        int     `json:"device_rounds_missed"`
	Failed        int     `json:"runs_not_succeeded"`
	MetricStarted float64 `json:"metric_started"`
	MetricSkipped float64 `json:"metric_skipped"`
	MetricFailed  float64 `json:"metric_failed"`
	Jobs          int     `json:"jobs"`
	// Histogram counts starts by tenth of the spread after the due time.
	Histogram []int  `json:"start_histogram_tenths_of_spread"`
	Late      int    `json:"starts_after_the_spread"`
	Error     string `json:"error,omitempty"`
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
	r.Histogram = make([]int, 10)
	ac := cfg
	ac.ids = cfg.ids + "-automation"
	data := filepath.Join(cfg.out, "data-automation")
	if _, err := os.Stat(data); os.IsNotExist(err) {
		_ = os.RemoveAll(ac.ids)
	}
	s := &server{data: data, extra: []string{"--automation-min-every", "10s", "--automation-reconcile", "30s"}}
	if err := startServer(ctx, cfg, s); err != nil {
		return r, fmt.Errorf("start server: %w", err)
	}
	defer func() { s.stop() }()
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
	// Leftovers of an earlier run would start at once: none.
	var old []api.AutoProfile
	_ = s.api("GET", "/api/v1/automation/profiles", nil, &old)
	for _, p := range old {
		_ = s.api("DELETE", "/api/v1/automation/profiles/"+p.ID, nil, nil)
	}
	sm, err := startSims(ac, s, n, "", false)
	if err != nil {
		return r, err
	}
	defer func() { sm.stop() }()
	if err := waitUntil(ctx, 10*time.Minute, 100*time.Millisecond, func() bool { return s.agents() >= n }); err != nil {
		return r, fmt.Errorf("connect all: %w (%d connected)", err, s.agents())
	}
	time.Sleep(10 * time.Second)
	pid := s.cmd.Process.Pid
	c0, w0 := procCPU(pid), time.Now()
	time.Sleep(min(cfg.idle, 30*time.Second))
	r.IdleCPU = 100 * (procCPU(pid) - c0) / time.Since(w0).Seconds()
	r.RSSBeforeMB = procRSSKB(pid) / 1024
	fmt.Printf("   idle CPU without the task %.2f %% of one core, RSS %.0f MB\n", r.IdleCPU, r.RSSBeforeMB)

	_ = s.api("POST", "/api/v1/scripts", map[string]any{"name": "bench-tick", "interpreter": "sh", "body": "true"}, nil)
	task := api.AutoTask{ID: "tick", Name: "bench tick", Action: "script", Library: "bench-tick@1",
		Schedule: api.AutoSchedule{Kind: "every", Every: int(cfg.autoEvery / time.Second)}, SpreadSeconds: int(cfg.autoSpread / time.Second)}
	if err := s.api("POST", "/api/v1/automation/profiles", api.AutoProfileRequest{Name: "Bench hourly", Tasks: []api.AutoTask{task}}, nil); err != nil {
		return r, err
	}
	if err := s.api("POST", "/api/v1/automation/assignments", api.AssignRequest{Level: "default", Profile: "Bench hourly"}, nil); err != nil {
		return r, err
	}
	// Measure from the next due time over the rounds, plus the spread and
	// a margin for the last runs to end.
	first := time.Now().Truncate(cfg.autoEvery).Add(cfg.autoEvery)
	end := first.Add(time.Duration(cfg.autoRounds-1)*cfg.autoEvery + cfg.autoSpread + 30*time.Second)
	fmt.Printf("   task every %s, spread %s: %d rounds from %s\n", cfg.autoEvery, cfg.autoSpread, cfg.autoRounds, first.Format(time.TimeOnly))
	c1, w1 := procCPU(pid), time.Now()
	select {
	case <-time.After(time.Until(end)):
	case <-ctx.Done():
		return r, ctx.Err()
	}
	r.RunCPU = 100 * (procCPU(pid) - c1) / time.Since(w1).Seconds()
	r.RSSAfterMB = procRSSKB(pid) / 1024
	m := func(o string) float64 { return s.metric(`steward_automation_runs_total{outcome="` + o + `"}`) }
	r.MetricStarted, r.MetricFailed = m("started"), m("failed")
	r.MetricSkipped = m("skipped-offline") + m("skipped-running") + m("skipped-deadline")

	// Count every device's starts per round from the jobs.
	var jobs []api.Job
	if err := s.api("GET", "/api/v1/jobs?limit=1000", nil, &jobs); err != nil {
		return r, err
	}
	starts := map[string][]time.Time{}
	for _, j := range jobs {
		if j.CreatedBy != "automation" || !strings.Contains(j.Target, "bench tick") {
			continue
		}
		r.Jobs++
		var jr api.JobResponse
		if err := s.api("GET", "/api/v1/jobs/"+j.ID, nil, &jr); err != nil {
			return r, err
		}
		for _, run := range jr.Runs {
			starts[run.DeviceID] = append(starts[run.DeviceID], j.CreatedAt)
			if run.State != "succeeded" {
				r.Failed++
			}
		}
	}
	if r.Jobs == 1000 {
		return r, fmt.Errorf("1000 jobs or more: the count is incomplete")
	}
	var devs api.DeviceList
	if err := s.api("GET", "/api/v1/devices?limit=1", nil, &devs); err == nil && devs.Total > len(starts) {
		r.Missed += (devs.Total - len(starts)) * cfg.autoRounds
	}
	for _, ts := range starts {
		per := map[int]int{}
		for _, t := range ts {
			round := int(t.Sub(first) / cfg.autoEvery)
			if t.Before(first) || round >= cfg.autoRounds {
				continue // the occurrence before the first measured one
			}
			r.Started++
			per[round]++
			off := t.Sub(first.Add(time.Duration(round) * cfg.autoEvery))
			if b := int(off * 10 / cfg.autoSpread); b >= 0 && b < 10 {
				r.Histogram[b]++
			} else {
				r.Late++
			}
		}
		for round := 0; round < cfg.autoRounds; round++ {
			switch {
			case per[round] == 0:
				r.Missed++
			case per[round] > 1:
				r.Twice++
			}
		}
	}
	return r, nil
}

// printAutomation prints the section's figures and the start-time
// histogram.
func printAutomation(w io.Writer, r autoResult) {
	if r.Error != "" {
		fmt.Fprintln(w, "automation: error:", r.Error)
		return
	}
	fmt.Fprintf(w, "automation: %d agents, a task every %s spread over %s, %d rounds\n", r.Agents, r.Every, r.Spread, r.Rounds)
	fmt.Fprintf(w, "  server CPU: idle %.2f %%, during the rounds %.2f %% of one core; RSS %.0f MB -> %.0f MB\n",
		r.IdleCPU, r.RunCPU, r.RSSBeforeMB, r.RSSAfterMB)
	fmt.Fprintf(w, "  runs started %d in %d jobs; devices started twice in a round %d; device-rounds missed %d; runs not succeeded %d\n",
		r.Started, r.Jobs, r.Twice, r.Missed, r.Failed)
	fmt.Fprintf(w, "  scheduler metrics: started %.0f, skipped %.0f, failed %.0f\n", r.MetricStarted, r.MetricSkipped, r.MetricFailed)
	fmt.Fprintln(w, "  start time after the due time    starts")
	for i, c := range r.Histogram {
		fmt.Fprintf(w, "  %3d%%-%3d%% of the spread          %6d\n", i*10, i*10+10, c)
	}
	fmt.Fprintf(w, "  after the spread                 %6d\n", r.Late)
}
