package pkgmgr

import "os"

// Homebrew's prefixes (Apple silicon, Intel): a LaunchDaemon's PATH has
// neither.
func extraPaths(exe string) []string {
	if exe != "brew" {
		return nil
	}
	var out []string
	for _, p := range []string{"/opt/homebrew/bin/brew", "/usr/local/bin/brew"} {
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}
