package main

// The server and simulator processes the bench starts, and what it reads
// of them (their API, metrics, RSS and CPU).

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
	"strconv"
	"strings"
	"syscall"
	"time"
)

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
		"--metrics-listen", s.metrics, "--heartbeat", hb, "--log-level", "warn",
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
