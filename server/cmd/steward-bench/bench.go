package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/steward-rmm/steward/api"
)

// result is one row of the table.
type result struct {
	Agents          int          `json:"agents"`
	ConnectSeconds  float64      `json:"connect_all_seconds"`
	KBPerAgent      float64      `json:"server_kb_per_agent"`
	HeapKBPerAgent  float64      `json:"server_heap_kb_per_agent"`
	IdleCPUPercent  float64      `json:"idle_cpu_percent_of_one_core"`
	FanoutMedianMS  float64      `json:"fanout_median_ms"`
	FanoutMaxMS     float64      `json:"fanout_max_ms"`
	FanoutRoundsMS  []float64    `json:"fanout_rounds_ms"`
	StormBackSecond float64      `json:"storm_all_back_seconds"`
	StormLost       int          `json:"storm_results_lost"`
	Storm           stormFigures `json:"storm"`
	Error           string       `json:"error,omitempty"`
}

type server struct {
	cmd     *exec.Cmd
	data    string
	addr    string
	metrics string
	token   string
	fp      string
	hc      *http.Client
	// heartbeat is the server's --heartbeat ("" = 60s).
	heartbeat string
	extra     []string // more server flags (later ones win)
}

func run(ctx context.Context, cfg config) error {
	if _, err := os.Stat(filepath.Join(cfg.out, "data")); os.IsNotExist(err) {
		// Identities belong to the server that enrolled them.
		_ = os.RemoveAll(cfg.ids)
	}
	if err := os.MkdirAll(cfg.out, 0o700); err != nil {
		return err
	}
	largest := 0
	for _, n := range cfg.sizes {
		largest = max(largest, n)
	}
	if cfg.autoOnly {
		fmt.Printf("== automation, %d agents\n", largest)
		ar := runAutomation(ctx, cfg, largest)
		printAutomation(os.Stdout, ar)
		b, _ := json.MarshalIndent(map[string]any{"automation": ar}, "", "  ")
		return os.WriteFile(filepath.Join(cfg.out, "bench-automation.json"), b, 0o644)
	}
	if cfg.monOnly {
		fmt.Printf("== monitoring, %d agents\n", largest)
		mr := runMonitoring(ctx, cfg, largest)
		printMonitoring(os.Stdout, mr)
		b, _ := json.MarshalIndent(map[string]any{"monitoring": mr}, "", "  ")
		return os.WriteFile(filepath.Join(cfg.out, "bench-monitoring.json"), b, 0o644)
	}
	if cfg.scaleOnly {
		results := measureSizes(ctx, cfg)
		b, _ := json.MarshalIndent(map[string]any{"scale": results}, "", "  ")
		fmt.Println()
		printTable(os.Stdout, results)
		return os.WriteFile(filepath.Join(cfg.out, "bench-scale.json"), b, 0o644)
	}
	fmt.Println("== agent footprint (real agent process, real collectors)")
	var agents []agentResult
	for _, exe := range append([]string{filepath.Join(cfg.bin, "steward-agent")}, cfg.compareAgents...) {
		r := measureAgent(cfg, exe, cfg.agentHealthDelay, cfg.agentHeartbeat)
		if r.Error != "" {
			fmt.Println("   error:", r.Error)
		}
		agents = append(agents, r)
	}
	printAgentTable(os.Stdout, agents)
	if cfg.onlyAgent {
		b, _ := json.MarshalIndent(map[string]any{"agent": agents}, "", "  ")
		return os.WriteFile(filepath.Join(cfg.out, "bench-agent.json"), b, 0o644)
	}
	fmt.Println("== terminal relay")
	sh := measureShell(cfg)
	if sh.Error != "" {
		fmt.Println("   error:", sh.Error)
	} else {
		fmt.Printf("   keystroke round trip: median %.2f ms, p99 %.2f ms (%d samples); flood %.1f MB/s\n",
			sh.KeystrokeMedianMS, sh.KeystrokeP99MS, sh.Samples, sh.FloodMBps)
	}
	fmt.Println("== file manager")
	fr := measureFiles(cfg, cfg.filesSize, cfg.filesList)
	if fr.Error != "" {
		fmt.Println("   error:", fr.Error)
	}
	var results []result
	if !cfg.filesOnly {
		results = measureSizes(ctx, cfg)
	}
	var mr *monResult
	if cfg.monitoring && !cfg.filesOnly && ctx.Err() == nil {
		fmt.Printf("== monitoring, %d agents\n", largest)
		m := runMonitoring(ctx, cfg, largest)
		mr = &m
	}
	var ar *autoResult
	if cfg.automation && !cfg.filesOnly && ctx.Err() == nil {
		fmt.Printf("== automation, %d agents\n", largest)
		a := runAutomation(ctx, cfg, largest)
		ar = &a
	}
	b, _ := json.MarshalIndent(map[string]any{"scale": results, "shell": sh, "agent": agents, "files": fr, "monitoring": mr,
		"automation": ar}, "", "  ")
	if err := os.WriteFile(filepath.Join(cfg.out, "bench.json"), b, 0o644); err != nil {
		return err
	}
	fmt.Println()
	printTable(os.Stdout, results)
	if sh.Error == "" {
		fmt.Printf("\nterminal relay: keystroke round trip median %.2f ms, p99 %.2f ms; one flooding session %.1f MB/s\n",
			sh.KeystrokeMedianMS, sh.KeystrokeP99MS, sh.FloodMBps)
	}
	fmt.Println()
	printAgentTable(os.Stdout, agents)
	printFiles(os.Stdout, fr)
	if mr != nil {
		printMonitoring(os.Stdout, *mr)
	}
	if ar != nil {
		printAutomation(os.Stdout, *ar)
	}
	fmt.Printf("\n(written to %s)\n", filepath.Join(cfg.out, "bench.json"))
	return nil
}

// measureSizes measures each size of the scale table in turn.
func measureSizes(ctx context.Context, cfg config) []result {
	var results []result
	for _, n := range cfg.sizes {
		fmt.Printf("== %d agents\n", n)
		r, err := measure(ctx, cfg, n)
		if err != nil {
			r.Error = err.Error()
			fmt.Println("   error:", err)
		}
		results = append(results, r)
		if ctx.Err() != nil {
			break
		}
	}
	return results
}

func printTable(w io.Writer, rs []result) {
	fmt.Fprintf(w, "| agents | connect all (TLS) | server memory / agent | idle CPU (60 s heartbeats) | fan-out median | fan-out max | storm: all back | results lost |\n")
	fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		if r.Error != "" {
			fmt.Fprintf(w, "| %d | error: %s |||||||\n", r.Agents, r.Error)
			continue
		}
		fmt.Fprintf(w, "| %d | %.1f s | %.1f KB (heap %.1f KB) | %.2f %% | %.0f ms | %.0f ms | %.1f s | %d |\n",
			r.Agents, r.ConnectSeconds, r.KBPerAgent, r.HeapKBPerAgent, r.IdleCPUPercent, r.FanoutMedianMS, r.FanoutMaxMS,
			r.StormBackSecond, r.StormLost)
	}
}

func measure(ctx context.Context, cfg config, n int) (r result, err error) {
	r.Agents = n
	s := &server{data: filepath.Join(cfg.out, "data"), extra: cfg.serverArgs}
	if err := startServer(ctx, cfg, s); err != nil {
		return r, fmt.Errorf("start server: %w", err)
	}
	defer func() { s.stop() }()
	// One client holds the simulated fleet; the token covers new identities.
	_ = s.api("POST", "/api/v1/clients", api.CreateClientRequest{Name: "Bench"}, nil)
	var tok api.EnrollTokenCreated
	if err := s.api("POST", "/api/v1/tokens", api.CreateEnrollTokenRequest{Client: "Bench", MaxUses: n, ExpiresSeconds: 86400}, &tok); err != nil {
		return r, err
	}
	en, err := startSims(cfg, s, n, tok.Token, true)
	if err != nil {
		return r, err
	}
	for _, c := range en.cmds {
		if err := c.Wait(); err != nil {
			return r, fmt.Errorf("enrollment simulator failed (see %s/sim.log): %w", cfg.out, err)
		}
	}
	// Restart the server so its memory baseline excludes enrollment work.
	s.stop()
	if err := startServer(ctx, cfg, s); err != nil {
		return r, err
	}
	time.Sleep(2 * time.Second)
	base := procRSSKB(s.cmd.Process.Pid)
	baseHeap := s.metric("go_memstats_heap_inuse_bytes")
	t0 := time.Now()
	sm, err := startSims(cfg, s, n, "", false)
	if err != nil {
		return r, err
	}
	defer sm.stop()
	if err := waitUntil(ctx, 10*time.Minute, 50*time.Millisecond, func() bool { return s.agents() >= n }); err != nil {
		return r, fmt.Errorf("connect all: %w (%d connected)", err, s.agents())
	}
	r.ConnectSeconds = time.Since(t0).Seconds()
	fmt.Printf("   connected in %.1f s\n", r.ConnectSeconds)
	time.Sleep(10 * time.Second) // inventories land, buffers settle
	r.KBPerAgent = (procRSSKB(s.cmd.Process.Pid) - base) / float64(n)
	r.HeapKBPerAgent = (s.metric("go_memstats_heap_inuse_bytes") - baseHeap) / 1024 / float64(n)
	fmt.Printf("   %.1f KB RSS per agent (heap %.1f KB)\n", r.KBPerAgent, r.HeapKBPerAgent)
	if cfg.profile > 0 {
		s.saveDebug(cfg, "heap", fmt.Sprintf("server-heap-%d.pprof", n))
		s.saveDebug(cfg, "goroutine?debug=1", fmt.Sprintf("server-goroutines-%d.txt", n))
	}
	c0 := procCPU(s.cmd.Process.Pid)
	w0 := time.Now()
	idleProf := s.startProfile(cfg, min(cfg.profile, cfg.idle), fmt.Sprintf("server-idle-%d.pprof", n))
	select {
	case <-time.After(cfg.idle):
	case <-ctx.Done():
		return r, ctx.Err()
	}
	if err := idleProf.wait(); err != nil {
		fmt.Println("   profile:", err)
	}
	r.IdleCPUPercent = 100 * (procCPU(s.cmd.Process.Pid) - c0) / time.Since(w0).Seconds()
	fmt.Printf("   idle CPU %.2f %% of one core\n", r.IdleCPUPercent)

	job := func(body string) (string, error) {
		var out api.JobResponse
		online := true
		err := s.api("POST", "/api/v1/jobs", api.JobRequest{Filter: &api.DeviceQuery{Online: &online, Client: "Bench"},
			Kind: api.KindScript, Script: &api.ScriptSpec{Interpreter: "sh", Body: body}}, &out)
		return out.Job.ID, err
	}
	prof := s.startProfile(cfg, cfg.profile, fmt.Sprintf("server-fanout-%d.pprof", n))
	var lastFanout string // its results must survive the storm
	for i := 0; i < cfg.rounds || !prof.finished(); i++ {
		start := time.Now()
		srv0, sim0 := procCPU(s.cmd.Process.Pid), sm.cpu()
		commits0, commitSecs0 := s.metric("steward_store_write_seconds_count"), s.metric("steward_store_write_seconds_sum")
		id, err := job("true")
		if err != nil {
			return r, err
		}
		// The server answers when the last result is stored: no polling
		// that would load the server being measured.
		if err := s.waitJob(ctx, id, n); err != nil {
			return r, fmt.Errorf("fan-out round %d: %w", i, err)
		}
		lastFanout = id
		ms := float64(time.Since(start).Microseconds()) / 1000
		r.FanoutRoundsMS = append(r.FanoutRoundsMS, ms)
		// Where the CPU went: the server and the simulators share the cores.
		// And how the results were stored: the job writer's group commits.
		commits := s.metric("steward_store_write_seconds_count") - commits0
		commitMS := 0.0
		if commits > 0 {
			commitMS = 1000 * (s.metric("steward_store_write_seconds_sum") - commitSecs0) / commits
		}
		fmt.Printf("   fan-out round %d: %.0f ms (CPU: server %.2f s, simulators %.2f s; %.0f commits, %.1f ms each)\n", i+1, ms,
			procCPU(s.cmd.Process.Pid)-srv0, sm.cpu()-sim0, commits, commitMS)
	}
	if err := prof.wait(); err != nil {
		fmt.Println("   profile:", err)
	}
	sorted := append([]float64(nil), r.FanoutRoundsMS...)
	sort.Float64s(sorted)
	r.FanoutMedianMS, r.FanoutMaxMS = sorted[len(sorted)/2], sorted[len(sorted)-1]

	// Reconnect storm: a job in flight, the server killed and restarted
	// (stormbench.go).
	if err := storm(ctx, cfg, s, sm, n, lastFanout, &r); err != nil {
		return r, err
	}
	return r, nil
}

// waitJob waits until every run of a job has ended and checks that n of
// them succeeded.
func (s *server) waitJob(ctx context.Context, id string, n int) error {
	deadline := time.Now().Add(5 * time.Minute)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		var out api.JobResponse
		if err := s.api("GET", "/api/v1/jobs/"+id+"?runs=0&wait=60", nil, &out); err != nil {
			return err
		}
		ended, other := 0, ""
		for st, c := range out.Job.States {
			switch st {
			case "queued", "sent", "running":
			default:
				ended += c
				if st != "succeeded" {
					other = fmt.Sprintf("%d %s", c, st)
				}
			}
		}
		if ended >= n {
			if other != "" || out.Job.States["succeeded"] != n {
				return fmt.Errorf("job ended with %v", out.Job.States)
			}
			return nil
		}
	}
	return errors.New("timed out")
}

func countState(runs []api.Run, st string) int {
	n := 0
	for _, r := range runs {
		if r.State == st {
			n++
		}
	}
	return n
}

// profile is a server CPU profile being recorded over the fan-out rounds;
// the rounds go on until it is complete.
type profile struct {
	done chan struct{}
	err  error
}

func (p *profile) finished() bool {
	if p == nil {
		return true
	}
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *profile) wait() error {
	if p == nil {
		return nil
	}
	<-p.done
	return p.err
}

// startProfile asks the server for a CPU profile of d (nil when d is 0)
// and writes it to out/name.
func (s *server) startProfile(cfg config, d time.Duration, name string) *profile {
	if d < time.Second {
		return nil
	}
	p := &profile{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		req, _ := http.NewRequest("GET", fmt.Sprintf("https://%s/debug/pprof/profile?seconds=%d", s.addr, int(d.Seconds())), nil)
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := s.hc.Do(req)
		if err != nil {
			p.err = err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			p.err = fmt.Errorf("profile: %s", resp.Status)
			return
		}
		path := filepath.Join(cfg.out, name)
		f, err := os.Create(path)
		if err != nil {
			p.err = err
			return
		}
		if _, err = io.Copy(f, resp.Body); err == nil {
			err = f.Close()
		}
		p.err = err
		if err == nil {
			fmt.Println("   server CPU profile:", path)
		}
	}()
	return p
}

// saveDebug writes one of the server's /debug/pprof pages to out/name.
func (s *server) saveDebug(cfg config, page, name string) {
	req, _ := http.NewRequest("GET", "https://"+s.addr+"/debug/pprof/"+page, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.hc.Do(req)
	if err != nil {
		fmt.Println("   debug:", err)
		return
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		fmt.Println("   debug:", page, resp.Status, err)
		return
	}
	if err := os.WriteFile(filepath.Join(cfg.out, name), b, 0o644); err != nil {
		fmt.Println("   debug:", err)
	}
}
