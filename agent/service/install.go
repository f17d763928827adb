package service

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/steward-rmm/steward/agent/identity"
	"github.com/steward-rmm/steward/agent/internal/atomicfile"
	"github.com/steward-rmm/steward/agent/inventory"
	"github.com/steward-rmm/steward/tlspin"
)

// InstallOptions are the inputs of Install. Server, Token and Fingerprint
// are needed only when the device is not enrolled yet.
type InstallOptions struct {
	Layout      Layout
	Server      string
	Token       string
	Fingerprint string
	// ReleaseKey is the hex ed25519 key releases are signed with; stored as
	// the identity's UpdateKey. "" keeps the stored one.
	ReleaseKey string
	// Source is the binary to install; "" = this executable.
	Source string
	// Manager registers the service; nil = OSManager.
	Manager Manager
	// Privileged reports root / elevation; nil = the real check.
	Privileged func() bool
	// Enroll enrolls the device; nil = identity.Enroll.
	Enroll func(identity.EnrollOptions) (*identity.Identity, error)
	Log    *slog.Logger
}

// InstallResult says what Install did.
type InstallResult struct {
	DeviceID string
	// KeptIdentity is true when the device was already enrolled and kept
	// its identity (no token was used, no new device appeared).
	KeptIdentity bool
	BinPath      string
}

// ErrNotPrivileged is returned when install or uninstall is run without
// root (Administrator on Windows).
var ErrNotPrivileged = errors.New("this needs root (an elevated Administrator prompt on Windows)")

// Install enrolls the device (or keeps its identity), copies the agent to
// the layout's root-owned binary path and registers and starts the service
// running from that path. Running it again upgrades the binary and
// re-registers the service without enrolling again.
func Install(o InstallOptions) (InstallResult, error) {
	res := InstallResult{BinPath: o.Layout.BinPath}
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if !isPrivileged(o.Privileged) {
		return res, ErrNotPrivileged
	}
	if o.ReleaseKey != "" {
		if b, err := hex.DecodeString(o.ReleaseKey); err != nil || len(b) != 32 {
			return res, errors.New("release key must be 64 hex characters (an ed25519 public key)")
		}
	}
	l := o.Layout
	def, err := Definition(goos, l)
	if err != nil {
		return res, err
	}
	if err := secureDir(l.ConfigDir, true); err != nil {
		return res, err
	}
	id, kept, err := enrollOrKeep(o, log)
	if err != nil {
		return res, err
	}
	res.DeviceID, res.KeptIdentity = id.Config.DeviceID, kept
	if o.ReleaseKey != "" && !strings.EqualFold(id.Config.UpdateKey, o.ReleaseKey) {
		c := id.Config
		c.UpdateKey = strings.ToLower(o.ReleaseKey)
		if err := identity.Save(l.ConfigDir, c); err != nil {
			return res, err
		}
	}

	m := o.Manager
	if m == nil {
		if m, err = OSManager(def); err != nil {
			return res, err
		}
	}
	installed, _, err := m.State()
	if err != nil {
		return res, err
	}
	if installed {
		// An upgrade: stop the old agent before its binary is replaced.
		if err := m.Stop(); err != nil {
			log.Warn("stopping the installed agent", "err", err)
		}
	}
	if err := secureDir(l.BinDir, false); err != nil {
		return res, err
	}
	if l.LogDir != "" {
		if err := secureDir(l.LogDir, false); err != nil {
			return res, err
		}
	}
	if err := checkTrusted(l.BinDir); err != nil {
		return res, err
	}
	if err := copyBinary(o.Source, l.BinPath); err != nil {
		return res, err
	}
	if err := checkTrusted(l.BinPath); err != nil {
		return res, err
	}
	// Re-registering refreshes the unit or plist. Not on Windows: the SCM
	// deletes a service lazily, so creating it again right away can fail
	// while any handle to it is open; its settings do not change anyway.
	if !installed || goos != "windows" {
		if installed {
			if err := m.Uninstall(); err != nil {
				return res, err
			}
		}
		if err := m.Install(); err != nil {
			return res, err
		}
	}
	if err := m.Start(); err != nil {
		return res, err
	}
	log.Info("agent installed", "device", res.DeviceID, "binary", l.BinPath, "service", def.Name,
		"manager", m.Platform(), "kept_identity", kept)
	return res, nil
}

func isPrivileged(f func() bool) bool {
	if f == nil {
		f = privileged
	}
	return f()
}

// enrollOrKeep keeps a valid identity in the config dir (a reinstall must
// not make a second device or spend a token) and enrolls otherwise.
func enrollOrKeep(o InstallOptions, log *slog.Logger) (*identity.Identity, bool, error) {
	dir := o.Layout.ConfigDir
	if id, err := identity.Load(dir); err == nil {
		if o.Server != "" && !sameServer(o.Server, id.Config.Server) {
			return nil, false, fmt.Errorf("this device is enrolled with %s, not %s: run `steward-agent uninstall` first to move it",
				id.Config.Server, o.Server)
		}
		if given, err := tlspin.ParsePins(o.Fingerprint); o.Fingerprint != "" && (err != nil || tlspin.Format(given) != id.Config.PinString()) {
			log.Warn("keeping the enrolled server pins; the ones given differ", "enrolled", id.Config.PinString())
		}
		log.Info("already enrolled; keeping this device's identity", "device", id.Config.DeviceID)
		return id, true, nil
	} else if !errors.Is(err, identity.ErrNotEnrolled) {
		log.Warn("the stored identity is unusable; enrolling again", "err", err)
	}
	if o.Server == "" || o.Token == "" || o.Fingerprint == "" {
		return nil, false, errors.New("not enrolled yet: --server, --token and --pin are required")
	}
	enroll := o.Enroll
	if enroll == nil {
		enroll = identity.Enroll
	}
	host, _ := os.Hostname()
	id, err := enroll(identity.EnrollOptions{Dir: dir, Server: o.Server, Token: o.Token, Fingerprint: o.Fingerprint,
		Hostname: host, OS: runtime.GOOS, Arch: runtime.GOARCH, MachineID: inventory.MachineID(context.Background())})
	if err != nil {
		return nil, false, err
	}
	return id, false, nil
}

func sameServer(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}

// copyBinary installs src (default: this executable) at dst, mode 0755
// owned by root, replacing dst atomically. Installing from dst itself is a
// no-op.
func copyBinary(src, dst string) error {
	if src == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find this executable: %w", err)
		}
		src = exe
	}
	if s, err := filepath.EvalSymlinks(src); err == nil {
		src = s
	}
	sfi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("install binary: %w", err)
	}
	if dfi, err := os.Stat(dst); err == nil && os.SameFile(sfi, dfi) {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("install binary: %w", err)
	}
	defer in.Close()
	tmp, err := atomicfile.Create(dst, 0o755)
	if err != nil {
		return fmt.Errorf("install binary: %w", err)
	}
	defer tmp.Abort() // no-op after the commit
	if _, err := io.Copy(tmp, in); err != nil {
		return fmt.Errorf("install binary: %w", err)
	}
	// Owned by root before it is in place: nobody else may swap it.
	if err := secureFile(tmp.Name(), 0o755); err != nil {
		return err
	}
	if err := tmp.Commit(); err != nil {
		return fmt.Errorf("install binary: %w", err)
	}
	return nil
}

// UninstallOptions are the inputs of Uninstall.
type UninstallOptions struct {
	Layout Layout
	// KeepIdentity leaves the config directory (identity, spool), so a
	// later install is the same device again.
	KeepIdentity bool
	Manager      Manager
	Privileged   func() bool
	Log          *slog.Logger
}

// Uninstall stops and unregisters the service, removes the installed
// binary and, unless KeepIdentity, the identity and spool.
func Uninstall(o UninstallOptions) error {
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if !isPrivileged(o.Privileged) {
		return ErrNotPrivileged
	}
	l := o.Layout
	if exe, err := os.Executable(); err == nil && goos == "linux" && l.Root == "" && exe == PackageBinPath {
		return errors.New("this agent was installed from a package: remove it with apt or dnf")
	}
	m := o.Manager
	if m == nil {
		def, err := Definition(goos, l)
		if err != nil {
			return err
		}
		if m, err = OSManager(def); err != nil {
			return err
		}
	}
	installed, _, err := m.State()
	if err != nil {
		return err
	}
	if installed {
		if err := m.Stop(); err != nil {
			log.Warn("stopping the agent", "err", err)
		}
		if err := m.Uninstall(); err != nil {
			return err
		}
	}
	if err := removeBinary(l.BinPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", l.BinPath, err)
	}
	// Leftovers of upgrades: ours (.old) and the self-update's (.prev,
	// .new-*), so the directory can go.
	ext := filepath.Ext(l.BinPath)
	stem := strings.TrimSuffix(l.BinPath, ext)
	_ = os.Remove(l.BinPath + ".old")
	_ = os.Remove(stem + ".prev" + ext)
	for _, pattern := range []string{"." + filepath.Base(stem) + ".new*", atomicfile.TempPattern(l.BinPath)} {
		if tmps, err := filepath.Glob(filepath.Join(l.BinDir, pattern)); err == nil {
			for _, p := range tmps {
				_ = os.Remove(p)
			}
		}
	}
	_ = os.Remove(l.BinDir) // only when empty
	if !o.KeepIdentity {
		if err := removeConfig(l.ConfigDir); err != nil {
			return err
		}
	}
	log.Info("agent uninstalled", "kept_identity", o.KeepIdentity)
	return nil
}

// removeConfig deletes the config dir, refusing anything that looks like a
// system directory rather than ours.
func removeConfig(dir string) error {
	clean := filepath.Clean(dir)
	if !filepath.IsAbs(clean) || strings.Count(filepath.ToSlash(strings.TrimPrefix(clean, filepath.VolumeName(clean))), "/") < 2 {
		return fmt.Errorf("refusing to remove %q: not a Steward config directory", dir)
	}
	if err := os.RemoveAll(clean); err != nil {
		return fmt.Errorf("remove %s: %w", clean, err)
	}
	return nil
}

// State is what `steward-agent status` reports.
type State struct {
	Installed bool `json:"installed"`
	Running   bool `json:"running"`
	Enrolled  bool `json:"enrolled"`
	Connected bool `json:"connected"`
	// Foreground: an agent runs (steward-agent run from a shell), but not
	// as the OS service; PID is that process.
	Foreground bool   `json:"foreground,omitempty"`
	PID        int    `json:"pid,omitempty"`
	Version    string `json:"version,omitempty"` // of the running agent, from its status file
	// Since is when the running agent last connected or disconnected.
	Since    string `json:"since,omitempty"`
	DeviceID string `json:"device_id,omitempty"`
	Server   string `json:"server,omitempty"`
	Platform string `json:"platform,omitempty"`
	// Problem explains a part that could not be read (e.g. not root).
	Problem string `json:"problem,omitempty"`
}

// Status reports the service's registration and run state, the identity,
// and the connection state the running agent last wrote (WriteStatus). m
// nil = OSManager.
func Status(l Layout, m Manager) (State, error) {
	var st State
	if m == nil {
		def, err := Definition(goos, l)
		if err != nil {
			return st, err
		}
		if m, err = OSManager(def); err != nil {
			return st, err
		}
	}
	st.Platform = m.Platform()
	var err error
	if st.Installed, st.Running, err = m.State(); err != nil {
		st.Problem = err.Error()
	}
	id, err := identity.Load(l.ConfigDir)
	switch {
	case err == nil:
		st.Enrolled, st.DeviceID, st.Server = true, id.Config.DeviceID, id.Config.Server
	case errors.Is(err, os.ErrPermission):
		st.Problem = "cannot read " + l.ConfigDir + " (run as root)"
	}
	if as, err := ReadStatus(l.ConfigDir); err == nil {
		switch {
		case st.Running:
			st.Connected = as.Connected
		case as.PID > 0 && as.PID != os.Getpid() && processAlive(as.PID):
			// An agent started by hand (steward-agent run, as under make
			// run) writes the same file; its live PID says it is current.
			st.Foreground, st.PID = true, as.PID
			st.Connected = as.Connected
		}
		// Otherwise the file is stale, from an agent no longer running.
		st.Version = as.Version
		if !as.Since.IsZero() {
			st.Since = as.Since.Format("2006-01-02T15:04:05Z07:00")
		}
	}
	return st, nil
}
