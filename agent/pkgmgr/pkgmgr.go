// Package pkgmgr installs, upgrades and removes packages by name through
// the OS's package manager: apt, dnf, yum, zypper and pacman on Linux,
// winget and Chocolatey on Windows, Homebrew on macOS (run as the user who
// owns the Homebrew prefix, never as root). Names are checked against the
// manager's own syntax before any command is built (protocol.ValidPackageName),
// commands are argv (no shell), and "--" ends the options where the
// manager understands it, so a name can never become an option.
package pkgmgr

import (
	"errors"
	"fmt"
	"os/exec"

	"github.com/steward-rmm/steward/protocol"
)

// Command is one process to run.
type Command struct {
	Argv []string
	Env  []string // added to the agent's environment
}

// Plan is what a package job runs, in order.
type Plan struct {
	Manager  string
	Commands []Command
	// AsPrefixOwner: run as the owner of the manager's prefix (Homebrew).
	AsPrefixOwner bool
}

// ErrNoManager means no supported package manager was found on the device.
var ErrNoManager = errors.New("no supported package manager found")

// Build returns the commands that carry out action on names with manager.
// Every name is validated first; an invalid one fails the whole job.
func Build(manager, action string, names []string) (Plan, error) {
	if err := protocol.CheckPackageJob(&protocol.PackageJob{Action: action, Manager: manager, Packages: names}); err != nil {
		return Plan{}, err
	}
	if manager == "" {
		return Plan{}, ErrNoManager
	}
	p := Plan{Manager: manager}
	one := func(env []string, argv ...string) { p.Commands = append(p.Commands, Command{Argv: argv, Env: env}) }
	withNames := func(argv ...string) []string { return append(argv, names...) }
	switch manager {
	case "apt":
		// Never a debconf prompt; keep changed config files.
		env := []string{"DEBIAN_FRONTEND=noninteractive", "NEEDRESTART_MODE=l"}
		conf := []string{"-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"}
		switch action {
		case "install":
			one(env, withNames(append(append([]string{"apt-get", "-y"}, conf...), "install", "--")...)...)
		case "upgrade":
			one(env, withNames(append(append([]string{"apt-get", "-y"}, conf...), "install", "--only-upgrade", "--")...)...)
		case "remove":
			one(env, withNames("apt-get", "-y", "remove", "--")...)
		}
	case "dnf", "yum":
		verb := map[string]string{"install": "install", "upgrade": "upgrade", "remove": "remove"}[action]
		one(nil, withNames(manager, "-y", verb, "--")...)
	case "zypper":
		verb := map[string]string{"install": "install", "upgrade": "update", "remove": "remove"}[action]
		one(nil, withNames("zypper", "--non-interactive", verb, "--")...)
	case "pacman":
		switch action {
		case "install":
			one(nil, withNames("pacman", "-S", "--noconfirm", "--needed", "--")...)
		case "upgrade":
			one(nil, withNames("pacman", "-S", "--noconfirm", "--")...)
		case "remove":
			one(nil, withNames("pacman", "-R", "--noconfirm", "--")...)
		}
	case "winget":
		// One id per call; --exact so "Firefox" cannot match "Firefox Dev".
		for _, n := range names {
			switch action {
			case "install":
				one(nil, "winget", "install", "--id", n, "--exact", "--silent", "--accept-package-agreements",
					"--accept-source-agreements", "--disable-interactivity")
			case "upgrade":
				one(nil, "winget", "upgrade", "--id", n, "--exact", "--silent", "--accept-package-agreements",
					"--accept-source-agreements", "--disable-interactivity")
			case "remove":
				one(nil, "winget", "uninstall", "--id", n, "--exact", "--silent", "--accept-source-agreements",
					"--disable-interactivity")
			}
		}
	case "choco":
		// choco has no "--"; the name rule (a letter or digit first) is
		// what keeps names from being options.
		verb := map[string]string{"install": "install", "upgrade": "upgrade", "remove": "uninstall"}[action]
		one(nil, append(withNames("choco", verb), "-y", "--no-progress", "--limit-output")...)
	case "brew":
		verb := map[string]string{"install": "install", "upgrade": "upgrade", "remove": "uninstall"}[action]
		one([]string{"HOMEBREW_NO_INTERACTIVE=1", "HOMEBREW_NO_ENV_HINTS=1"}, withNames("brew", verb, "--")...)
		p.AsPrefixOwner = true
	}
	return p, nil
}

// managersByOS is the order managers are looked for.
var managersByOS = map[string][]struct{ name, exe string }{
	"linux":   {{"apt", "apt-get"}, {"dnf", "dnf"}, {"yum", "yum"}, {"zypper", "zypper"}, {"pacman", "pacman"}},
	"windows": {{"winget", "winget"}, {"choco", "choco"}},
	"darwin":  {{"brew", "brew"}},
}

// Detect returns the first manager whose program look finds on goos, or
// "".
func Detect(goos string, look func(exe string) bool) string {
	for _, m := range managersByOS[goos] {
		if look(m.exe) {
			return m.name
		}
	}
	return ""
}

// ForOS reports whether manager belongs to goos.
func ForOS(goos, manager string) bool {
	for _, m := range managersByOS[goos] {
		if m.name == manager {
			return true
		}
	}
	return false
}

// Look finds a manager's program: on PATH, then where the OS installs it
// outside the service's PATH (winget under WindowsApps, Homebrew's two
// prefixes).
func Look(exe string) (string, error) {
	if p, err := exec.LookPath(exe); err == nil {
		return p, nil
	}
	for _, p := range extraPaths(exe) {
		if p != "" {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", exe)
}
