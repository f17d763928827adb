// Command steward-agent is the Steward endpoint agent.
//
//	steward-agent enroll --server URL --token T --ca-fingerprint FP [--config DIR]
//	steward-agent run [--config DIR]
//	steward-agent install --server URL --token T --ca-fingerprint FP
//	steward-agent uninstall [--keep-identity]
//	steward-agent status
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/agent/identity"
)

var version = "dev"

type config struct {
	cmd         string
	dir         string
	server      string
	token       string
	fingerprint string
	logLevel    string
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cfg := config{cmd: os.Args[1]}
	fs := flag.NewFlagSet(cfg.cmd, flag.ExitOnError)
	fs.StringVar(&cfg.dir, "config", defaultDir(), "configuration directory (identity, spool)")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "debug, info, warn or error")
	if cfg.cmd == "enroll" || cfg.cmd == "install" {
		fs.StringVar(&cfg.server, "server", "", "server URL, https://host:port")
		fs.StringVar(&cfg.token, "token", "", "enrollment token")
		fs.StringVar(&cfg.fingerprint, "ca-fingerprint", "", "SHA-256 fingerprint of the server CA")
	}
	_ = fs.Parse(os.Args[2:])
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "steward-agent: bad --log-level")
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		fmt.Fprintln(os.Stderr, "steward-agent:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: steward-agent enroll|run|install|uninstall|status|version [flags]`)
}

func run(ctx context.Context, cfg config, log *slog.Logger) error {
	switch cfg.cmd {
	case "enroll":
		host, _ := os.Hostname()
		id, err := identity.Enroll(identity.EnrollOptions{Dir: cfg.dir, Server: cfg.server, Token: cfg.token,
			Fingerprint: cfg.fingerprint, Hostname: host, OS: runtime.GOOS, Arch: runtime.GOARCH})
		if err != nil {
			return err
		}
		fmt.Printf("enrolled as device %s\n", id.Config.DeviceID)
		return nil
	case "run":
		// The agent idles for hours between events; a lower GC target keeps
		// its resident memory small.
		debug.SetGCPercent(50)
		a, err := agent.New(agent.Config{Dir: cfg.dir, Version: version}, log)
		if err != nil {
			return err
		}
		return a.Run(ctx)
	case "version":
		fmt.Println(version)
		return nil
	default:
		usage()
		return fmt.Errorf("unknown command %q", cfg.cmd)
	}
}
