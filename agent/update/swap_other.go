//go:build !windows

package update

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// swap keeps the running binary as prev (a hard link, or a copy where
// links are not possible) and renames next over exe in one atomic step:
// at no moment is there no binary at exe.
func swap(exe, next, prev string) error {
	_ = os.Remove(prev)
	if err := os.Link(exe, prev); err != nil {
		if err := copyFile(exe, prev); err != nil {
			return err
		}
	}
	return os.Rename(next, exe)
}

// swapBack renames prev over exe, atomically; the running new binary keeps
// its inode until it exits.
func swapBack(exe, prev string) error { return os.Rename(prev, exe) }

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	return out.Close()
}

// checkInstallDir refuses a directory others could write into: a binary
// there could be swapped under the agent between check and use.
func checkInstallDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o002 != 0 {
		return fmt.Errorf("install directory %s is writable by every user", dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("install directory %s belongs to another user (uid %d)", dir, st.Uid)
	}
	return nil
}
