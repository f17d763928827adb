package install

import (
	"context"
	"errors"
	"fmt"

	"github.com/steward-rmm/steward/agent/health"
)

// ErrUninstallUnsupported is returned where the OS has no uninstaller the
// agent can drive (macOS application bundles).
var ErrUninstallUnsupported = errors.New("uninstall is not supported on this OS")

// UninstallPlan returns the command that removes the package id with a
// package manager (apt, dnf, yum, zypper, pacman). Windows programs are
// removed with health.RegistryUninstallPlan, which needs the key's values; macOS
// bundles cannot be uninstalled.
func UninstallPlan(goos, source, id string) ([]string, error) {
	if goos == "darwin" {
		return nil, ErrUninstallUnsupported
	}
	if goos != "linux" {
		return nil, fmt.Errorf("uninstall with %q not supported on %s", source, goos)
	}
	if err := health.ValidPackageName(id); err != nil {
		return nil, err
	}
	switch source {
	case health.SourceApt:
		return []string{"env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "remove", "-y", id}, nil
	case health.SourceDNF, health.SourceYum:
		return []string{source, "remove", "-y", id}, nil
	case health.SourceZypper:
		return []string{"zypper", "--non-interactive", "remove", id}, nil
	case health.SourcePacman:
		return []string{"pacman", "-R", "--noconfirm", id}, nil
	}
	return nil, fmt.Errorf("unknown package manager %q", source)
}

// remover picks the tool that removes packages of the system's database.
// It is the patch source, or pacman, which Steward lists but does not scan.
func remover(e health.Env) string {
	if src := health.LinuxSource(e); src != "" {
		return src
	}
	if e.Has("pacman") {
		return health.SourcePacman
	}
	return ""
}

// Uninstall removes one piece of software by the UninstallID Software
// reported. code is the uninstaller's exit status (3010 on Windows
// means done, reboot required); err is set only when nothing could be run.
func Uninstall(ctx context.Context, e health.Env, id string, out func(string, []byte)) (code int, err error) {
	e = e.WithDefaults()
	if out == nil {
		out = func(string, []byte) {}
	}
	var plan []string
	switch e.GOOS {
	case "linux":
		plan, err = UninstallPlan("linux", remover(e), id)
	case "windows":
		if !health.ValidUninstallKey(id) {
			return -1, fmt.Errorf("not an uninstall registry key: %q", health.Clean(id, 128))
		}
		if e.Registry == nil {
			return -1, errors.New("registry unavailable")
		}
		vals, rerr := e.Registry.Values(id)
		if rerr != nil {
			return -1, fmt.Errorf("read %s: %w", health.Clean(id, 128), rerr)
		}
		plan, err = health.RegistryUninstallPlan(id, vals)
	case "darwin":
		err = ErrUninstallUnsupported
	default:
		err = fmt.Errorf("uninstall not supported on %s", e.GOOS)
	}
	if err != nil {
		return -1, err
	}
	b, rerr := e.Run(ctx, plan[0], plan[1:]...)
	out("stdout", b)
	code = health.ExitCode(rerr)
	if rerr != nil && code < 0 {
		return -1, rerr
	}
	return code, nil
}
