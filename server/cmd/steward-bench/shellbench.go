package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/api"
)

// shellResult is the terminal relay's latency and throughput.
type shellResult struct {
	KeystrokeMedianMS float64 `json:"keystroke_rtt_median_ms"`
	KeystrokeP99MS    float64 `json:"keystroke_rtt_p99_ms"`
	Samples           int     `json:"samples"`
	FloodMBps         float64 `json:"flood_mb_per_s"`
	Error             string  `json:"error,omitempty"`
}

// measureShell enrolls one real agent process, opens a terminal through
// the relay, times single keystrokes echoed by the PTY, then reads a `yes`
// flood for a few seconds.
func measureShell(cfg config) (r shellResult) {
	s := &server{data: filepath.Join(cfg.out, "shell-data")}
	_ = os.RemoveAll(s.data)
	if err := startServer(context.TODO(), cfg, s); err != nil {
		r.Error = err.Error()
		return
	}
	defer s.stop()
	_ = s.api("POST", "/api/v1/clients", api.CreateClientRequest{Name: "Shell"}, nil)
	var tok api.EnrollTokenCreated
	if err := s.api("POST", "/api/v1/tokens", api.CreateEnrollTokenRequest{Client: "Shell", MaxUses: 1}, &tok); err != nil {
		r.Error = err.Error()
		return
	}
	adir := filepath.Join(cfg.out, "shell-agent")
	_ = os.RemoveAll(adir)
	agentBin := filepath.Join(cfg.bin, "steward-agent")
	if out, err := exec.Command(agentBin, "enroll", "--server", "https://"+s.addr, "--token", tok.Token,
		"--ca-fingerprint", s.fp, "--config", adir).CombinedOutput(); err != nil {
		r.Error = fmt.Sprintf("enroll: %v %s", err, out)
		return
	}
	ag := exec.Command(agentBin, "run", "--config", adir, "--log-level", "warn")
	if err := ag.Start(); err != nil {
		r.Error = err.Error()
		return
	}
	defer func() { _ = ag.Process.Signal(syscall.SIGTERM); _ = ag.Wait() }()
	var devs api.DeviceList
	for i := 0; i < 200; i++ {
		if s.api("GET", "/api/v1/devices?online=true", nil, &devs) == nil && len(devs.Devices) == 1 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(devs.Devices) != 1 {
		r.Error = "agent did not come online"
		return
	}
	d := websocket.Dialer{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ReadBufferSize: 64 << 10}
	h := http.Header{"Authorization": {"Bearer " + s.token}, "Origin": {"https://" + s.addr}}
	var tk api.ShellTicket
	if err := s.api("POST", "/api/v1/devices/"+devs.Devices[0].ID+"/shell/ticket", nil, &tk); err != nil {
		r.Error = "shell ticket: " + err.Error()
		return
	}
	ws, _, err := d.Dial("wss://"+s.addr+"/api/v1/devices/"+devs.Devices[0].ID+"/shell?shell=sh&cols=80&rows=24&ticket="+url.QueryEscape(tk.Ticket), h)
	if err != nil {
		r.Error = err.Error()
		return
	}
	defer ws.Close()
	got := make(chan []byte, 1024)
	var bytes atomic.Int64
	go func() {
		for {
			mt, b, err := ws.ReadMessage()
			if err != nil {
				close(got)
				return
			}
			if mt == websocket.BinaryMessage {
				bytes.Add(int64(len(b)))
				select {
				case got <- b:
				default:
				}
			}
		}
	}()
	waitText := func(want string, limit time.Duration) bool {
		var acc strings.Builder
		deadline := time.After(limit)
		for {
			select {
			case b, ok := <-got:
				if !ok {
					return false
				}
				acc.Write(b)
				if strings.Contains(acc.String(), want) {
					return true
				}
			case <-deadline:
				return false
			}
		}
	}
	_ = ws.WriteMessage(websocket.BinaryMessage, []byte("echo rea''dy\n"))
	if !waitText("ready", 10*time.Second) {
		r.Error = "shell did not answer"
		return
	}
	time.Sleep(200 * time.Millisecond)
	for len(got) > 0 {
		<-got
	}
	var rtts []float64
	for i := 0; i < 200; i++ {
		t0 := time.Now()
		_ = ws.WriteMessage(websocket.BinaryMessage, []byte("x"))
		if !waitText("x", 5*time.Second) {
			break
		}
		rtts = append(rtts, float64(time.Since(t0).Microseconds())/1000)
	}
	if len(rtts) == 0 {
		r.Error = "no keystroke echoed"
		return
	}
	sort.Float64s(rtts)
	r.Samples = len(rtts)
	r.KeystrokeMedianMS = rtts[len(rtts)/2]
	r.KeystrokeP99MS = rtts[len(rtts)*99/100]
	_ = ws.WriteMessage(websocket.BinaryMessage, []byte("\x15yes steward-flood-line-of-text\n"))
	if !waitText("steward-flood-line-of-text\r\nsteward-flood", 10*time.Second) {
		r.Error = "flood did not start"
		return
	}
	b0, t0 := bytes.Load(), time.Now()
	time.Sleep(4 * time.Second)
	r.FloodMBps = float64(bytes.Load()-b0) / time.Since(t0).Seconds() / 1e6
	_ = ws.WriteMessage(websocket.BinaryMessage, []byte("\x03"))
	return r
}
