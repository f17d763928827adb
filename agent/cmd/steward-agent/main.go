// Command steward-agent is the Steward endpoint agent.
//
//	steward-agent enroll --server URL --token T --pin PIN [--release-key HEX] [--config DIR]
//	steward-agent run [--config DIR]
//	steward-agent install --server URL --token T --pin PIN [--release-key HEX] [--config DIR]
//	steward-agent uninstall [--keep-identity] [--config DIR]
//	steward-agent status [--json] [--config DIR]
//	steward-agent version
//	steward-agent help
//
// PIN is what `steward-server pin` prints: spki:HEX (the server's key),
// ca:HEX (a CA, with the server's host name checked) or a bare CA
// fingerprint; several comma-separated. --ca-fingerprint is its old name.
//
// install copies this binary to a root-owned path and registers the OS
// service that runs it; `run` is what that service starts. With
// STEWARD_INSTALL_ROOT=DIR, install, uninstall and status act on a staged
// copy under DIR and record the service instead of registering it.
//
// status exits 0 when the service is installed, running, enrolled and
// connected; 4 when the agent is enrolled and connected but runs in the
// foreground (steward-agent run from a shell, as under make run) rather
// than as the service; 3 otherwise.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/steward-rmm/steward/agent/service"
	"github.com/steward-rmm/steward/agent/update"
)

var version = "dev"

type config struct {
	cmd          string
	dir          string
	dirSet       bool // --config given explicitly
	root         string
	server       string
	token        string
	fingerprint  string
	releaseKey   string
	keepIdentity bool
	json         bool
	logLevel     string
}

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "help", "-h", "-help", "--help":
		usage(os.Stdout)
		return
	}
	cfg := config{cmd: os.Args[1], root: os.Getenv(service.RootEnv)}
	fs := flag.NewFlagSet(cfg.cmd, flag.ExitOnError)
	fs.StringVar(&cfg.dir, "config", defaultDir(cfg.root), "configuration directory (identity, spool)")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "debug, info, warn or error")
	switch cfg.cmd {
	case "enroll", "install":
		fs.StringVar(&cfg.server, "server", "", "server URL, https://host:port")
		fs.StringVar(&cfg.token, "token", "", "enrollment token")
		fs.StringVar(&cfg.fingerprint, "pin", "", "server pin(s) as steward-server prints them: spki:HEX or ca:HEX, comma-separated")
		fs.StringVar(&cfg.fingerprint, "ca-fingerprint", "", "old name of --pin")
		fs.StringVar(&cfg.releaseKey, "release-key", "", "hex ed25519 public key agent releases are signed with")
	case "uninstall":
		fs.BoolVar(&cfg.keepIdentity, "keep-identity", false, "keep the identity, so a reinstall is the same device")
	case "status":
		fs.BoolVar(&cfg.json, "json", false, "print JSON")
	}
	_ = fs.Parse(os.Args[2:])
	fs.Visit(func(f *flag.Flag) { cfg.dirSet = cfg.dirSet || f.Name == "config" })
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "steward-agent: bad --log-level")
		os.Exit(2)
	}
	var out io.Writer = os.Stderr
	if cfg.cmd == "run" && runtime.GOOS == "windows" && !service.Interactive() {
		// The SCM keeps no output: log to a file next to the identity.
		if f, err := openLogFile(cfg.dir); err == nil {
			defer f.Close()
			out = f
		}
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: lv}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, cfg, log)
	stop()
	var ec exitCode
	switch {
	case errors.As(err, &ec):
		os.Exit(int(ec))
	case errors.Is(err, update.ErrRestart):
		// Not a failure: the service manager starts the binary now in place.
		log.Info("exiting so the service manager starts the updated agent")
		os.Exit(update.ExitRestart)
	case err != nil:
		fmt.Fprintln(os.Stderr, "steward-agent:", err)
		os.Exit(1)
	}
}

// usageText is what --help, -h and help print.
const usageText = `Steward endpoint agent.

usage:
  steward-agent enroll --server URL --token T --pin PIN [--release-key HEX] [--config DIR]
        enroll this machine; writes its identity to the config directory
  steward-agent run [--config DIR] [--log-level LEVEL]
        run the agent in the foreground (what the installed service starts)
  steward-agent install --server URL --token T --pin PIN [--release-key HEX] [--config DIR]
        copy this binary to a root-owned path, enroll, and start the OS service
  steward-agent uninstall [--keep-identity] [--config DIR]
        stop and remove the service (and the identity unless --keep-identity)
  steward-agent status [--json] [--config DIR]
        show the service, identity and connection; exit 0 when the service is
        installed, running and connected, 4 when connected but running in the
        foreground rather than as the service, 3 otherwise
  steward-agent version
        print the version
  steward-agent help
        print this help

PIN is what "steward-server pin" prints: spki:HEX or ca:HEX, comma-separated.
"steward-agent COMMAND -h" lists a command's flags.
`

func usage(w io.Writer) {
	fmt.Fprint(w, usageText)
}

// exitCode ends the program with that code and no message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func run(ctx context.Context, cfg config, log *slog.Logger) error {
	switch cfg.cmd {
	case "enroll":
		return enroll(cfg)
	case "run":
		return runAgent(ctx, cfg, log)
	case "install":
		return install(cfg, log)
	case "uninstall":
		return uninstall(cfg, log)
	case "status":
		return status(cfg, os.Stdout)
	case "version":
		fmt.Println(version)
		return nil
	default:
		return fmt.Errorf("unknown command %q (steward-agent help lists the commands)", cfg.cmd)
	}
}
