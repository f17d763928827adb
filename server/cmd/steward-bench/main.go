// Command steward-bench measures one steward-server process under many
// simulated agents (steward-sim processes spread over loopback source
// addresses) and prints a table, also written as JSON.
//
//	steward-bench [--sizes 1000,5000,19900] [--idle 60s] [--rounds 5] [--out bench-results] [--profile 10s]
//	              [--only-agent] [--compare-agent OLD-AGENT] [--agent-health-delay 5s] [--agent-heartbeat 5s]
//
// The agent footprint runs first: one real steward-agent process with the
// OS's real collectors against a real server, its CPU and its children's
// from start until idle and over the idle window.
//
//	[--files-size 2147483648] [--files-list 100000] [--files-only] [--scale-only]
//
// The monitoring section (monitorbench.go) runs last, at the largest size:
//
//	[--monitoring=true] [--monitoring-only] [--monitoring-group-window 1s] [--monitoring-offline 15s]
//	[--monitoring-outage 5000] [--monitoring-live 5] [--monitoring-crossings 2]
//
// then the automation section (automationbench.go), at the largest size:
//
//	[--automation=true] [--automation-only] [--automation-every 1h] [--automation-spread 10m]
//	[--automation-rounds 1] [--automation-margin 1m]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type config struct {
	bin      string
	out      string
	sizes    []int
	perProc  int
	idle     time.Duration
	rounds   int
	stormJob time.Duration
	ids      string
	profile  time.Duration
	// The agent footprint (agentbench.go).
	agentHealthDelay string
	agentHeartbeat   string
	compareAgents    []string
	onlyAgent        bool
	// The file manager's figures: transfer size, folder size, and whether
	// to skip the scale runs.
	filesSize int64
	filesList int
	filesOnly bool
	// scaleOnly runs just the scale table (no agent footprint, terminal,
	// file manager or monitoring section).
	scaleOnly bool
	// serverArgs are more steward-server flags for the scale runs.
	serverArgs []string
	// The monitoring section: whether it runs, alone or after the rest,
	// the server's notification grouping window, the availability
	// threshold, the agents killed at once, the agents following the live
	// file and the rounds of disk crossings.
	monitoring, monOnly  bool
	monGroup, monOffline time.Duration
	monOutage, monLive   int
	monCrossings         int
	// The automation section (automationbench.go): whether it runs, alone
	// or after the rest, the task's interval and spread (shortened
	// together to compress time), the occurrences measured and the time
	// watched after the last one's spread for its runs to end.
	automation, autoOnly  bool
	autoEvery, autoSpread time.Duration
	autoRounds            int
	autoMargin            time.Duration
}

// defaultIDs keeps the simulators' files on tmpfs when there is one: the
// bench measures the server, not the disk under 20,000 simulated spools.
func defaultIDs() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm/steward-bench-ids"
	}
	return "bench-results/ids"
}

func main() {
	var cfg config
	var sizes string
	flag.StringVar(&cfg.bin, "bin", "bin", "directory holding steward-server and steward-sim")
	flag.StringVar(&cfg.out, "out", "bench-results", "directory for data, identities and results")
	flag.StringVar(&sizes, "sizes", "1000,5000,19900", "agent counts to measure")
	flag.IntVar(&cfg.perProc, "per-proc", 5000, "simulated agents per steward-sim process")
	flag.DurationVar(&cfg.idle, "idle", 60*time.Second, "idle CPU measurement window")
	flag.IntVar(&cfg.rounds, "rounds", 5, "fan-out rounds per size")
	flag.StringVar(&cfg.ids, "ids", defaultIDs(), "directory of simulated agents' identities and job spools")
	flag.DurationVar(&cfg.profile, "profile", 0, "also record the server's CPU profile for this long while idle and during the fan-out rounds (written to --out)")
	flag.DurationVar(&cfg.stormJob, "storm-job", 3*time.Second, "duration of the job in flight during the crash")
	var compare string
	flag.StringVar(&cfg.agentHealthDelay, "agent-health-delay", "5s", "the measured agent's delay of its first full health collection (STEWARD_HEALTH_DELAY)")
	flag.StringVar(&cfg.agentHeartbeat, "agent-heartbeat", "5s", "server heartbeat interval while the agent idles")
	flag.StringVar(&compare, "compare-agent", "", "other steward-agent binaries to measure alike (comma-separated; e.g. an older build)")
	flag.BoolVar(&cfg.onlyAgent, "only-agent", false, "measure only the agent footprint")
	flag.Int64Var(&cfg.filesSize, "files-size", 2<<30, "bytes downloaded and uploaded through the file manager")
	flag.IntVar(&cfg.filesList, "files-list", 100000, "files in the folder the file manager lists")
	flag.BoolVar(&cfg.filesOnly, "files-only", false, "measure the terminal relay and the file manager only (no scale runs)")
	var serverArgs string
	flag.StringVar(&serverArgs, "server-args", "", "more steward-server flags for the scale runs (space-separated, e.g. \"--handshake-queue 5s\")")
	flag.BoolVar(&cfg.scaleOnly, "scale-only", false, "measure only the scale table (connect, memory, idle, fan-out, storm)")
	flag.BoolVar(&cfg.monitoring, "monitoring", true, "measure monitoring and notifications at the largest size, after the rest")
	flag.BoolVar(&cfg.monOnly, "monitoring-only", false, "measure monitoring and notifications only")
	flag.DurationVar(&cfg.monGroup, "monitoring-group-window", time.Second, "the server's --notify-group-window in the monitoring section")
	flag.DurationVar(&cfg.monOffline, "monitoring-offline", 15*time.Second, "offline time that raises the availability alert in the monitoring section")
	flag.IntVar(&cfg.monOutage, "monitoring-outage", 5000, "agents killed at once (whole simulator processes after the first, by PID)")
	flag.IntVar(&cfg.monLive, "monitoring-live", 5, "agents whose disk crosses its threshold together in each round")
	flag.IntVar(&cfg.monCrossings, "monitoring-crossings", 2, "rounds of disk crossings")
	flag.BoolVar(&cfg.automation, "automation", true, "measure the automation scheduler at the largest size, after the rest")
	flag.BoolVar(&cfg.autoOnly, "automation-only", false, "measure the automation scheduler only")
	// The task: every hour with a ten-minute spread, anchored to
	// start right away, one whole occurrence watched (about 12 minutes).
	// Quick runs compress time: --automation-every 6m --automation-spread 1m
	// --automation-rounds 2.
	flag.DurationVar(&cfg.autoEvery, "automation-every", time.Hour, "the measured task's interval (the issue's 1h; shorter compresses time, 10s at least)")
	flag.DurationVar(&cfg.autoSpread, "automation-spread", 10*time.Minute, "the measured task's spread (the issue's 10m)")
	flag.IntVar(&cfg.autoRounds, "automation-rounds", 1, "occurrences of the task measured (the first starts right away)")
	flag.DurationVar(&cfg.autoMargin, "automation-margin", time.Minute, "time watched after the last occurrence's spread for its runs to end")
	flag.Parse()
	cfg.serverArgs = strings.Fields(serverArgs)
	if compare != "" {
		cfg.compareAgents = strings.Split(compare, ",")
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintln(os.Stderr, "steward-bench: bad --sizes")
			os.Exit(2)
		}
		cfg.sizes = append(cfg.sizes, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "steward-bench:", err)
		os.Exit(1)
	}
}
