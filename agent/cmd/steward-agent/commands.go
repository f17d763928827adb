package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/agent/identity"
	"github.com/steward-rmm/steward/agent/inventory"
	"github.com/steward-rmm/steward/agent/service"
)

func enroll(cfg config) error {
	if b, err := hex.DecodeString(cfg.releaseKey); err != nil || (cfg.releaseKey != "" && len(b) != 32) {
		return errors.New("--release-key must be 64 hex characters (an ed25519 public key)")
	}
	host, _ := os.Hostname()
	id, err := identity.Enroll(identity.EnrollOptions{Dir: cfg.dir, Server: cfg.server, Token: cfg.token,
		Fingerprint: cfg.fingerprint, Hostname: host, OS: runtime.GOOS, Arch: runtime.GOARCH,
		MachineID: inventory.MachineID(context.Background())})
	if err != nil {
		return err
	}
	if cfg.releaseKey != "" {
		c := id.Config
		c.UpdateKey = strings.ToLower(cfg.releaseKey)
		if err := identity.Save(cfg.dir, c); err != nil {
			return err
		}
	}
	fmt.Printf("enrolled as device %s\n", id.Config.DeviceID)
	return nil
}

// runAgent runs the agent, under the OS service manager when it started
// this process.
func runAgent(ctx context.Context, cfg config, log *slog.Logger) error {
	l := service.DefaultLayout()
	l.ConfigDir = cfg.dir
	def, err := service.Definition(runtime.GOOS, l)
	if err != nil {
		return err
	}
	return service.Run(ctx, def, func(ctx context.Context) error {
		// The agent idles for hours between events; a lower GC target keeps
		// its resident memory small.
		debug.SetGCPercent(50)
		// The status file lets `steward-agent status` say whether the
		// running service is connected.
		onConn := func(up bool, server string) {
			if err := service.WriteStatus(cfg.dir, up, server, version); err != nil {
				log.Warn("write status file", "err", err)
			}
		}
		ac := agent.Config{Dir: cfg.dir, Version: version, OnConnection: onConn}
		// STEWARD_HEALTH_DELAY (a Go duration; negative = at once) moves the
		// first full health collection: the benchmark measures it.
		if d, err := time.ParseDuration(os.Getenv("STEWARD_HEALTH_DELAY")); err == nil {
			ac.HealthDelay = d
		}
		a, err := agent.New(ac, log)
		if err != nil {
			return err
		}
		return a.Run(ctx)
	})
}

// layout is what install, uninstall and status act on: the OS's standard
// layout (staged under cfg.root when set), --config overriding the
// config directory.
func layout(cfg config) (service.Layout, error) {
	l := service.DefaultLayout().WithRoot(cfg.root)
	if cfg.dirSet {
		d, err := filepath.Abs(cfg.dir)
		if err != nil {
			return l, fmt.Errorf("--config: %w", err)
		}
		l.ConfigDir = d
	}
	return l, nil
}

// manager is the OS service manager (nil), or a Recorder when staged.
func manager(cfg config, l service.Layout) (service.Manager, func() bool, error) {
	if cfg.root == "" {
		return nil, nil, nil
	}
	def, err := service.Definition(runtime.GOOS, l)
	if err != nil {
		return nil, nil, err
	}
	// A staged install writes only below the root: no privilege needed.
	return &service.Recorder{Path: filepath.Join(cfg.root, service.RecordFile), Def: def}, func() bool { return true }, nil
}

func install(cfg config, log *slog.Logger) error {
	l, err := layout(cfg)
	if err != nil {
		return err
	}
	m, priv, err := manager(cfg, l)
	if err != nil {
		return err
	}
	res, err := service.Install(service.InstallOptions{Layout: l, Server: cfg.server, Token: cfg.token,
		Fingerprint: cfg.fingerprint, ReleaseKey: cfg.releaseKey, Manager: m, Privileged: priv, Log: log})
	if err != nil {
		return err
	}
	how := "enrolled as"
	if res.KeptIdentity {
		how = "kept the identity of"
	}
	fmt.Printf("installed %s and started the %s service; %s device %s\n", res.BinPath, service.NameFor(runtime.GOOS), how, res.DeviceID)
	return nil
}

func uninstall(cfg config, log *slog.Logger) error {
	l, err := layout(cfg)
	if err != nil {
		return err
	}
	m, priv, err := manager(cfg, l)
	if err != nil {
		return err
	}
	if err := service.Uninstall(service.UninstallOptions{Layout: l, KeepIdentity: cfg.keepIdentity, Manager: m,
		Privileged: priv, Log: log}); err != nil {
		return err
	}
	if cfg.keepIdentity {
		fmt.Printf("uninstalled; the identity in %s is kept for a reinstall\n", l.ConfigDir)
	} else {
		fmt.Println("uninstalled, identity removed (revoke the device on the server too)")
	}
	return nil
}

// Exit codes of status, so scripts can test it (documented in usage).
const (
	// exitNotConnected: not enrolled, not running or not connected.
	exitNotConnected = 3
	// exitForeground: enrolled and connected, but the agent runs in the
	// foreground (steward-agent run from a shell, as under make run), not
	// as the installed service, so it stops with that shell. Distinct from
	// 0 so a deployment check does not pass for a hand-started agent.
	exitForeground = 4
)

// status prints the state; it exits 0 when the service is installed,
// running, enrolled and connected, else exitForeground or
// exitNotConnected.
func status(cfg config, w io.Writer) error {
	l, err := layout(cfg)
	if err != nil {
		return err
	}
	m, _, err := manager(cfg, l)
	if err != nil {
		return err
	}
	st, err := service.Status(l, m)
	if err != nil {
		return err
	}
	if cfg.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(st); err != nil {
			return err
		}
	} else {
		writeStatus(w, st)
	}
	switch {
	case st.Installed && st.Running && st.Enrolled && st.Connected:
		return nil
	case st.Foreground && st.Enrolled && st.Connected:
		return exitCode(exitForeground)
	}
	return exitCode(exitNotConnected)
}

func writeStatus(w io.Writer, st service.State) {
	yes := func(b bool, y, n string) string {
		if b {
			return y
		}
		return n
	}
	fmt.Fprintf(w, "service:    %s, %s (%s)\n", yes(st.Installed, "installed", "not installed"),
		yes(st.Running, "running", "not running"), st.Platform)
	if st.Foreground {
		fmt.Fprintf(w, "process:    running in the foreground, not as a service (pid %d)\n", st.PID)
	}
	if st.Enrolled {
		fmt.Fprintf(w, "identity:   device %s of %s\n", st.DeviceID, st.Server)
	} else {
		fmt.Fprintln(w, "identity:   not enrolled")
	}
	conn := yes(st.Connected, "connected", "not connected")
	if st.Since != "" {
		conn += " (since " + st.Since + ")"
	}
	fmt.Fprintf(w, "connection: %s\n", conn)
	if st.Version != "" {
		fmt.Fprintf(w, "agent:      %s running\n", st.Version)
	}
	fmt.Fprintf(w, "this binary: %s\n", version)
	if st.Problem != "" {
		fmt.Fprintf(w, "problem:    %s\n", st.Problem)
	}
}
