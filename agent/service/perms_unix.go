//go:build !windows

package service

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// privileged reports whether the process runs as root.
func privileged() bool { return os.Geteuid() == 0 }

// secureDir creates dir (and parents) and gives it mode, owned by root when
// we are root. private dirs are 0700, public ones 0755.
func secureDir(dir string, private bool) error {
	mode := os.FileMode(0o755)
	if private {
		mode = 0o700
	}
	if err := os.MkdirAll(dir, mode); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return secureFile(dir, mode)
}

// secureFile sets mode, and root ownership when we are root.
func secureFile(path string, mode os.FileMode) error {
	if os.Geteuid() == 0 {
		if err := os.Lchown(path, 0, 0); err != nil {
			return fmt.Errorf("chown %s: %w", path, err)
		}
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	return nil
}

// checkTrusted refuses a path that someone other than root (or, in a
// staged install, the installing user) could replace: the file and every
// directory above it must be owned by one of them and not writable by
// group or others; a sticky directory (like /tmp) is allowed above, since
// nobody else can rename what is in it.
func checkTrusted(path string) error {
	euid := uint32(os.Geteuid())
	p, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	for first := true; ; first = false {
		fi, err := os.Lstat(p)
		if err != nil {
			return fmt.Errorf("check %s: %w", path, err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("check %s: no owner information", p)
		}
		if st.Uid != 0 && st.Uid != euid {
			return fmt.Errorf("%s is owned by uid %d, not root: refusing to run the agent from there", p, st.Uid)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symlink: refusing to run the agent through it", p)
		}
		sticky := !first && fi.Mode()&os.ModeSticky != 0 && fi.IsDir()
		if fi.Mode().Perm()&0o022 != 0 && !sticky {
			return fmt.Errorf("%s is writable by group or others (%v): refusing to run the agent from there", p, fi.Mode().Perm())
		}
		parent := filepath.Dir(p)
		if parent == p {
			return nil
		}
		p = parent
	}
}

// removeBinary removes the installed binary.
func removeBinary(path string) error { return os.Remove(path) }
