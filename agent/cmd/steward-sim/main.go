// Command steward-sim runs many simulated Steward agents in one process,
// speaking the real protocol over real TLS websockets, for load tests.
//
//	steward-sim --server URL --ca-fingerprint FP --token T --agents N --dir DIR --source 127.0.0.2
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/steward-rmm/steward/agent/sim"
)

func main() {
	var cfg sim.Config
	var sources string
	flag.StringVar(&cfg.Server, "server", "", "server URL")
	flag.StringVar(&cfg.Fingerprint, "ca-fingerprint", "", "server CA fingerprint")
	flag.StringVar(&cfg.Token, "token", "", "enrollment token (only needed for agents without a saved identity)")
	flag.IntVar(&cfg.Agents, "agents", 1000, "number of simulated agents")
	flag.StringVar(&cfg.Dir, "dir", "sim-identities", "directory of saved identities")
	flag.StringVar(&sources, "source", "127.0.0.1", "comma-separated loopback source addresses")
	flag.StringVar(&cfg.Prefix, "prefix", "sim", "hostname prefix")
	flag.IntVar(&cfg.Enrollers, "enrollers", 16, "concurrent enrollments")
	flag.BoolVar(&cfg.EnrollOnly, "enroll-only", false, "enroll missing identities and exit")
	flag.StringVar(&cfg.LiveFile, "live-file", "", `a file of "CPU MEM DISK" percents the agents report, re-read every half second (monitoring tests)`)
	flag.IntVar(&cfg.LiveAgents, "live-agents", 0, "only the first N agents follow --live-file (0 = all)")
	verbose := flag.Bool("v", false, "log agent events")
	flag.Parse()
	cfg.Sources = strings.Split(sources, ",")
	w := io.Discard
	if *verbose {
		w = os.Stderr
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		fmt.Fprintln(os.Stderr, "steward-sim:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg sim.Config, log *slog.Logger) error {
	return sim.Run(ctx, cfg, log, func(s string) { fmt.Println(s) })
}
