package main

// The reconnect storm of the scale table: a job in flight, the server
// killed with SIGKILL and restarted on the same data, and what it takes
// until every agent is back and nothing is lost.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
)

// stormFigures are the storm's details beyond the table's two columns.
type stormFigures struct {
	ListenSeconds    float64 `json:"listen_seconds"`     // kill until the server accepts again
	StartCPUSeconds  float64 `json:"start_cpu_seconds"`  // the restarted server until it listens
	ServerCPUSeconds float64 `json:"server_cpu_seconds"` // the restarted server from listening until all are back
	SimCPUSeconds    float64 `json:"sim_cpu_seconds"`    // the simulators over the same time
	Resumed          int     `json:"tls_resumed"`
	Full             int     `json:"tls_full"`
	Dropped          int     `json:"tls_failed_or_dropped"`
	InFlightLost     int     `json:"in_flight_lost"` // runs of the job in flight at the kill that did not succeed
	QueuedLost       int     `json:"queued_lost"`    // runs of a job created while the agents were away
	StoredLost       int     `json:"stored_lost"`    // results stored before the kill missing after it
}

// connected is the number of connected agents, read from the metrics
// listener: plain HTTP, so the reading does not wait in the TLS handshake
// queue behind the storm it measures.
func (s *server) connected() int {
	if v := s.metric("steward_agents_connected"); v >= 0 {
		return int(v)
	}
	return s.agents()
}

// storm kills the server with a job in flight and restarts it. stored is
// a job whose n results were stored before the kill.
func storm(ctx context.Context, cfg config, s *server, sm *sims, n int, stored string, r *result) error {
	job := func(body string, online bool) (string, error) {
		f := &api.DeviceQuery{Client: "Bench"}
		if online {
			f.Online = &online
		}
		var out api.JobResponse
		err := s.api("POST", "/api/v1/jobs", api.JobRequest{Filter: f, Kind: api.KindScript,
			Script: &api.ScriptSpec{Interpreter: "sh", Body: body}}, &out)
		return out.Job.ID, err
	}
	inflight, err := job(fmt.Sprintf("sleep %g", cfg.stormJob.Seconds()), true)
	if err != nil {
		return err
	}
	time.Sleep(cfg.stormJob / 3)
	sim0 := sm.cpu()
	s.kill9()
	restart := time.Now()
	if err := startServer(ctx, cfg, s); err != nil {
		return err
	}
	f := &r.Storm
	f.ListenSeconds = time.Since(restart).Seconds()
	f.StartCPUSeconds = procCPU(s.cmd.Process.Pid)
	fmt.Printf("   storm: server listening again after %.1f s\n", f.ListenSeconds)
	// A job for every device, created while most are still away: their
	// runs wait queued and must reach each agent as it comes back. The
	// request waits in the handshake queue like any agent; a dropped
	// attempt is retried.
	queued := make(chan string, 1)
	go func() {
		for ctx.Err() == nil {
			if id, err := job("true", false); err == nil {
				queued <- id
				return
			}
			time.Sleep(time.Second)
		}
		queued <- ""
	}()
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
		k := s.connected()
		if el := time.Since(restart); el >= next {
			timeline = append(timeline, fmt.Sprintf("%ds:%d", int(el.Seconds()), k))
			next = el.Truncate(time.Second) + time.Second
		}
		return k >= n
	}); err != nil {
		return fmt.Errorf("storm reconnect: %w (%d back)", err, s.connected())
	}
	r.StormBackSecond = time.Since(restart).Seconds()
	f.ServerCPUSeconds = procCPU(s.cmd.Process.Pid) - f.StartCPUSeconds
	f.SimCPUSeconds = sm.cpu() - sim0
	fmt.Println("   storm timeline:", strings.Join(timeline, " "))
	f.Resumed = int(s.metric(`steward_tls_handshakes_total{resumed="true"}`))
	f.Full = int(s.metric(`steward_tls_handshakes_total{resumed="false"}`))
	f.Dropped = int(s.metric("steward_tls_handshake_errors_total"))
	fmt.Printf("   storm: TLS handshakes %d resumed, %d full, %d failed or dropped\n", f.Resumed, f.Full, f.Dropped)
	fmt.Printf("   storm: all %d back in %.1f s (CPU: server %.2f s to start, then %.2f s; simulators %.2f s)\n",
		n, r.StormBackSecond, f.StartCPUSeconds, f.ServerCPUSeconds, f.SimCPUSeconds)

	f.InFlightLost = s.lostRuns(ctx, inflight, n)
	f.QueuedLost = n
	if id := <-queued; id != "" {
		f.QueuedLost = s.lostRuns(ctx, id, n)
	}
	f.StoredLost = s.lostRuns(ctx, stored, n)
	r.StormLost = f.InFlightLost + f.QueuedLost + f.StoredLost
	fmt.Printf("   storm: results lost: %d of %d in flight at the kill, %d of %d queued during the restart, %d of %d stored before it\n",
		f.InFlightLost, n, f.QueuedLost, n, f.StoredLost, n)
	return nil
}

// lostRuns waits (up to 3 minutes) until every run of job id has ended
// and returns how many of the n expected did not succeed: failed, still
// open, or missing.
func (s *server) lostRuns(ctx context.Context, id string, n int) int {
	var jr api.JobResponse
	_ = waitUntil(ctx, 3*time.Minute, time.Second, func() bool {
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
	return max(n-countState(jr.Runs, "succeeded"), 0)
}
