// Package sim runs many simulated agents in one process for load tests.
// Each simulated agent is the real agent (connection loop, protocol, job
// spool) with synthetic inventory and health and a scripted executor, so the
// server sees exactly what real agents send.
package sim

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/agent/identity"
	"github.com/steward-rmm/steward/agent/inventory"
	"github.com/steward-rmm/steward/protocol"
)

// Config describes one simulator process.
type Config struct {
	Server      string
	Fingerprint string
	Token       string
	Agents      int
	Dir         string   // identities, one sub-directory per agent (reused when present)
	Sources     []string // loopback source addresses, used round-robin
	Prefix      string   // hostname prefix
	Enrollers   int      // concurrent enrollments
	EnrollOnly  bool     // enroll missing identities, then exit
	// LiveFile, when set, names a file of "CPU MEM DISK" percents that the
	// first LiveAgents agents (0 = all) report in their heartbeats instead
	// of the fixed figures: a bench or test writes it to make chosen
	// devices cross monitoring thresholds. It is read every half second.
	// Those agents report no volumes in their inventory, so monitoring
	// reads their disk from the heartbeat's fullest-disk figure.
	LiveFile   string
	LiveAgents int
}

// Run enrolls missing identities, starts every agent and runs until ctx ends.
// progress receives one line per milestone.
func Run(ctx context.Context, cfg Config, log *slog.Logger, progress func(string)) error {
	if cfg.Enrollers <= 0 {
		cfg.Enrollers = 16
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "sim"
	}
	dirs := make([]string, cfg.Agents)
	var enrolled atomic.Int64
	var firstErr atomic.Value
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < cfg.Enrollers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				dir := filepath.Join(cfg.Dir, fmt.Sprintf("a%05d", i))
				dirs[i] = dir
				if identity.Enrolled(dir) {
					continue
				}
				_, err := identity.Enroll(identity.EnrollOptions{Dir: dir, Server: cfg.Server, Token: cfg.Token,
					Fingerprint: cfg.Fingerprint, Hostname: fmt.Sprintf("%s-%05d", cfg.Prefix, i), OS: "linux", Arch: "amd64"})
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				enrolled.Add(1)
			}
		}()
	}
	for i := 0; i < cfg.Agents; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	progress(fmt.Sprintf("enrolled %d new, %d total", enrolled.Load(), cfg.Agents))
	if cfg.EnrollOnly {
		return nil
	}
	chosen := live
	if cfg.LiveFile != "" {
		chosen = watchLive(ctx, cfg.LiveFile, log)
	}
	for i, dir := range dirs {
		src := cfg.Sources[i%len(cfg.Sources)]
		live, disks := live, true
		if cfg.LiveFile != "" && (cfg.LiveAgents <= 0 || i < cfg.LiveAgents) {
			live, disks = chosen, false
		}
		a, err := agent.New(agent.Config{Dir: dir, Server: cfg.Server, Version: "sim-1.0.0", Dial: dialFrom(src),
			Inventory: simInventory(fmt.Sprintf("%s-%05d", cfg.Prefix, i), i, disks), Health: health,
			SkipInitialHealth: true, SpoolNoSync: true, MaxBackoff: 30 * time.Second, Live: live,
			Executors: map[string]agent.Executor{protocol.KindScript: scripted}}, log)
		if err != nil {
			return err
		}
		go func() { _ = a.Run(ctx) }()
	}
	progress(fmt.Sprintf("started %d agents", cfg.Agents))
	<-ctx.Done()
	return nil
}

func dialFrom(src string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 30 * time.Second}
	return d.DialContext
}

func simInventory(host string, i int, disks bool) func(context.Context) protocol.Inventory {
	mac := fmt.Sprintf("02:53:%02x:%02x:%02x:%02x", byte(i>>24), byte(i>>16), byte(i>>8), byte(i))
	inv := protocol.Inventory{Hostname: host, OS: "linux", Platform: "debian", OSVersion: "12.7", Kernel: "6.1.0-sim",
		Arch: "amd64", CPUModel: "Simulated CPU", CPUCores: 2, CPUThreads: 4, MemoryTotal: 4 << 30,
		Disks:      []protocol.Disk{{Mount: "/", Filesystem: "ext4", Total: 50 << 30, Free: 20 << 30}},
		Interfaces: []protocol.Interface{{Name: "eth0", MAC: mac, Addresses: []string{fmt.Sprintf("10.%d.%d.%d/16", byte(i>>16), byte(i>>8), byte(i))}}}}
	if !disks {
		inv.Disks = nil
	}
	return func(context.Context) protocol.Inventory { return inv }
}

func health(context.Context) protocol.Health { return protocol.Health{} }

func live(context.Context) inventory.Live {
	return inventory.Live{CPUPercent: 3, MemPercent: 40, DiskPercent: 60, Uptime: 3600}
}

// watchLive reads path ("CPU MEM DISK") now and every half second, and
// returns live figures that follow it (the fixed ones until it parses).
func watchLive(ctx context.Context, path string, log *slog.Logger) func(context.Context) inventory.Live {
	var cur atomic.Pointer[inventory.Live]
	read := func() {
		b, err := os.ReadFile(path)
		if err != nil {
			return
		}
		l := inventory.Live{Uptime: 3600}
		if _, err := fmt.Sscan(string(b), &l.CPUPercent, &l.MemPercent, &l.DiskPercent); err != nil {
			log.Warn("live file", "path", path, "err", err)
			return
		}
		cur.Store(&l)
	}
	read()
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func(c context.Context) inventory.Live {
		if l := cur.Load(); l != nil {
			return *l
		}
		return live(c)
	}
}

// scripted answers a script job at once with "ok", or after N seconds when
// the body is "sleep N" (used to keep jobs in flight during a crash test).
func scripted(ctx context.Context, j protocol.Job, out func(string, []byte)) protocol.JobResult {
	if j.Script != nil {
		if n, ok := strings.CutPrefix(strings.TrimSpace(j.Script.Body), "sleep "); ok {
			if f, err := strconv.ParseFloat(n, 64); err == nil {
				// Spread completions a little, as real devices would.
				d := time.Duration(f*float64(time.Second)) + time.Duration(rand.Int64N(int64(100*time.Millisecond)))
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return protocol.JobResult{State: protocol.StateCancelled, ExitCode: -1, Reason: "cancelled"}
				}
			}
		}
	}
	out("stdout", []byte("ok\n"))
	return protocol.JobResult{State: protocol.StateSucceeded}
}
