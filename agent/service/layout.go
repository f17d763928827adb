package service

import (
	"path/filepath"
	"strings"
)

// RootEnv names the environment variable that stages an install under a
// directory instead of the real filesystem root: no root privileges are
// needed and the service registration is recorded to RecordFile instead of
// being made (image building, and the installer's end-to-end test).
const RootEnv = "STEWARD_INSTALL_ROOT"

// Layout is where the agent's files live on one OS.
type Layout struct {
	// Root prefixes every path below ("" = the real filesystem root).
	Root string `json:"root,omitempty"`
	// BinDir holds the installed binary; it and all its parents are
	// writable only by root, so the service never runs a file a user could
	// replace.
	BinDir  string `json:"bin_dir"`
	BinPath string `json:"bin_path"`
	// ConfigDir holds the identity (key 0600), spool and status file.
	ConfigDir string `json:"config_dir"`
	// LogDir receives the agent's output where the service manager keeps
	// no journal (macOS); "" elsewhere.
	LogDir string `json:"log_dir,omitempty"`
}

// PackageBinPath is where the deb and rpm packages put the binary; an agent
// installed that way is removed with the package manager.
const PackageBinPath = "/usr/lib/steward/steward-agent"

// LayoutFor returns the standard layout of goos. programFiles and
// programData are the Windows system folders ("" = the usual C:\ ones);
// other OSes ignore them. It is pure so every OS's layout can be tested
// anywhere.
func LayoutFor(goos, programFiles, programData string) Layout {
	switch goos {
	case "windows":
		if programFiles == "" {
			programFiles = `C:\Program Files`
		}
		if programData == "" {
			programData = `C:\ProgramData`
		}
		pf := strings.TrimRight(programFiles, `\`) + `\Steward`
		return Layout{BinDir: pf, BinPath: pf + `\steward-agent.exe`,
			ConfigDir: strings.TrimRight(programData, `\`) + `\Steward`}
	case "darwin":
		return Layout{BinDir: "/Library/Steward", BinPath: "/Library/Steward/steward-agent",
			ConfigDir: "/Library/Application Support/Steward", LogDir: "/Library/Logs/Steward"}
	default:
		return Layout{BinDir: "/usr/local/lib/steward", BinPath: "/usr/local/lib/steward/steward-agent",
			ConfigDir: "/etc/steward"}
	}
}

// DefaultLayout is the layout of the running OS, with its real system
// folders.
func DefaultLayout() Layout {
	pf, pd := systemFolders()
	return LayoutFor(goos, pf, pd)
}

// WithRoot returns l with every path moved under root ("" = unchanged).
func (l Layout) WithRoot(root string) Layout {
	if root == "" {
		return l
	}
	under := func(p string) string {
		if p == "" {
			return ""
		}
		return filepath.Join(root, strings.TrimPrefix(p, filepath.VolumeName(p)))
	}
	return Layout{Root: root, BinDir: under(l.BinDir), BinPath: under(l.BinPath),
		ConfigDir: under(l.ConfigDir), LogDir: under(l.LogDir)}
}
