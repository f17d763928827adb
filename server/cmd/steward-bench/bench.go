package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
)

// result is one row of the table.
type result struct {
	Agents          int       `json:"agents"`
	ConnectSeconds  float64   `json:"connect_all_seconds"`
	KBPerAgent      float64   `json:"server_kb_per_agent"`
	HeapKBPerAgent  float64   `json:"server_heap_kb_per_agent"`
	IdleCPUPercent  float64   `json:"idle_cpu_percent_of_one_core"`
	FanoutMedianMS  float64   `json:"fanout_median_ms"`
	FanoutMaxMS     float64   `json:"fanout_max_ms"`
	FanoutRoundsMS  []float64 `json:"fanout_rounds_ms"`
	StormBackSecond float64   `json:"storm_all_back_seconds"`
	StormLost       int       `json:"storm_results_lost"`
	Error           string    `json:"error,omitempty"`
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
		printAutomation(os.Stdout, a)
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

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:18443"
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startServer(ctx context.Context, cfg config, s *server) error {
	if s.addr == "" {
		s.addr, s.metrics = freePort(), freePort()
	}
	hb := s.heartbeat
	if hb == "" {
		hb = "60s"
	}
	s.cmd = exec.Command(filepath.Join(cfg.bin, "steward-server"), "--data", s.data, "--listen", s.addr,
		"--metrics-listen", s.metrics, "--heartbeat", hb, "--log-level", "warn", "--max-handshakes", "64",
		// One two-factor check covers the whole run's fan-outs and shells.
		"--fresh-2fa", "48h")
	s.cmd.Args = append(s.cmd.Args, s.extra...)
	logf, err := os.OpenFile(filepath.Join(cfg.out, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return err
	}
	// Up to 3 minutes: a server restarted after kill -9 under a storm
	// loads its devices on a busy machine first.
	for i := 0; i < 3600; i++ {
		if c, err := net.Dial("tcp", s.addr); err == nil {
			c.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, err := exec.Command(filepath.Join(cfg.bin, "steward-server"), "ca-fingerprint", "--data", s.data).Output()
	if err != nil {
		return err
	}
	s.fp = strings.TrimSpace(string(out))
	// The bench talks to its own freshly started server on loopback.
	s.hc = &http.Client{Timeout: 120 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if s.token == "" { // restarts keep the token
		return s.freshToken()
	}
	return nil
}

func (s *server) kill9() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		s.kill9()
	}
}

func (s *server) api(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "https://"+s.addr+path, rd)
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (s *server) agents() int {
	var h struct{ Agents int }
	if err := s.api("GET", "/healthz", nil, &h); err != nil {
		return -1
	}
	return h.Agents
}

// metric reads one sample from the server's /metrics.
func (s *server) metric(name string) float64 {
	resp, err := http.Get("http://" + s.metrics + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, name+" ") {
			v, _ := strconv.ParseFloat(strings.TrimSpace(line[len(name):]), 64)
			return v
		}
	}
	return 0
}

func procRSSKB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	return 0
}

// procCPU returns user+system CPU seconds of a process.
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

type sims struct{ cmds []*exec.Cmd }

// cpu is the simulators' CPU seconds so far.
func (ss *sims) cpu() float64 {
	t := 0.0
	for _, c := range ss.cmds {
		t += procCPU(c.Process.Pid)
	}
	return t
}

func (ss *sims) stop() {
	for _, c := range ss.cmds {
		_ = c.Process.Signal(syscall.SIGTERM)
	}
	for _, c := range ss.cmds {
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = c.Process.Kill()
			<-done
		}
	}
}

// startSims launches ceil(n/perProc) simulators, each on its own source
// address; with enrollOnly they enroll missing identities and exit.
// extra, when set, gives more flags for process p (the monitoring
// section's live file).
func startSims(cfg config, s *server, n int, token string, enrollOnly bool, extra ...func(p int) []string) (*sims, error) {
	out := &sims{}
	procs := (n + cfg.perProc - 1) / cfg.perProc
	for p := 0; p < procs; p++ {
		count := min(cfg.perProc, n-p*cfg.perProc)
		args := []string{"--server", "https://" + s.addr, "--ca-fingerprint", s.fp, "--token", token,
			"--agents", strconv.Itoa(count), "--dir", filepath.Join(cfg.ids, fmt.Sprintf("p%d", p)),
			"--source", fmt.Sprintf("127.0.0.%d", 2+p), "--prefix", fmt.Sprintf("sim%d", p)}
		if enrollOnly {
			args = append(args, "--enroll-only")
		}
		for _, f := range extra {
			args = append(args, f(p)...)
		}
		c := exec.Command(filepath.Join(cfg.bin, "steward-sim"), args...)
		logf, err := os.OpenFile(filepath.Join(cfg.out, "sim.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		c.Stdout, c.Stderr = logf, logf
		if err := c.Start(); err != nil {
			return nil, err
		}
		out.cmds = append(out.cmds, c)
	}
	return out, nil
}

func waitUntil(ctx context.Context, limit time.Duration, every time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		time.Sleep(every)
	}
	return nil
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
	for i := 0; i < cfg.rounds || !prof.finished(); i++ {
		start := time.Now()
		srv0, sim0 := procCPU(s.cmd.Process.Pid), sm.cpu()
		id, err := job("true")
		if err != nil {
			return r, err
		}
		// The server answers when the last result is stored: no polling
		// that would load the server being measured.
		if err := s.waitJob(ctx, id, n); err != nil {
			return r, fmt.Errorf("fan-out round %d: %w", i, err)
		}
		ms := float64(time.Since(start).Microseconds()) / 1000
		r.FanoutRoundsMS = append(r.FanoutRoundsMS, ms)
		// Where the CPU went: the server and the simulators share the cores.
		fmt.Printf("   fan-out round %d: %.0f ms (CPU: server %.2f s, simulators %.2f s)\n", i+1, ms,
			procCPU(s.cmd.Process.Pid)-srv0, sm.cpu()-sim0)
	}
	if err := prof.wait(); err != nil {
		fmt.Println("   profile:", err)
	}
	sorted := append([]float64(nil), r.FanoutRoundsMS...)
	sort.Float64s(sorted)
	r.FanoutMedianMS, r.FanoutMaxMS = sorted[len(sorted)/2], sorted[len(sorted)-1]

	// Reconnect storm: a job in flight, the server killed and restarted.
	id, err := job(fmt.Sprintf("sleep %g", cfg.stormJob.Seconds()))
	if err != nil {
		return r, err
	}
	time.Sleep(cfg.stormJob / 3)
	s.kill9()
	restart := time.Now()
	if err := startServer(ctx, cfg, s); err != nil {
		return r, err
	}
	fmt.Printf("   storm: server listening again after %.1f s\n", time.Since(restart).Seconds())
	stormProf := s.startProfile(cfg, cfg.profile, fmt.Sprintf("server-storm-%d.pprof", n))
	defer func() {
		if err := stormProf.wait(); err != nil {
			fmt.Println("   profile:", err)
		}
	}()
	// The share back at each whole second shows where the time goes:
	// handshakes (a steady climb) or agents' backoff (steps).
	var timeline []string
	next := time.Second
	if err := waitUntil(ctx, 10*time.Minute, 50*time.Millisecond, func() bool {
		k := s.agents()
		if el := time.Since(restart); el >= next {
			timeline = append(timeline, fmt.Sprintf("%ds:%d", int(el.Seconds()), k))
			next = el.Truncate(time.Second) + time.Second
		}
		return k >= n
	}); err != nil {
		return r, fmt.Errorf("storm reconnect: %w (%d back)", err, s.agents())
	}
	fmt.Println("   storm timeline:", strings.Join(timeline, " "))
	fmt.Printf("   storm: TLS handshakes %.0f resumed, %.0f full, %.0f failed or dropped\n",
		s.metric(`steward_tls_handshakes_total{resumed="true"}`), s.metric(`steward_tls_handshakes_total{resumed="false"}`),
		s.metric("steward_tls_handshake_errors_total"))
	r.StormBackSecond = time.Since(restart).Seconds()
	fmt.Printf("   storm: all %d back in %.1f s\n", n, r.StormBackSecond)
	var jr api.JobResponse
	err = waitUntil(ctx, 3*time.Minute, time.Second, func() bool {
		if s.api("GET", "/api/v1/jobs/"+id, nil, &jr) != nil {
			return false
		}
		for _, run := range jr.Runs {
			if !protocol.Terminal(run.State) {
				return false
			}
		}
		return true
	})
	for _, run := range jr.Runs {
		if run.State != "succeeded" {
			r.StormLost++
		}
	}
	if err != nil {
		r.StormLost = len(jr.Runs) - countState(jr.Runs, "succeeded")
	}
	fmt.Printf("   storm: %d of %d results lost\n", r.StormLost, len(jr.Runs))
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
