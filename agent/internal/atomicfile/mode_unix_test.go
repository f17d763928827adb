//go:build unix

package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestReplacedFileKeepsMode: the temporary file is created 0600; the
// committed file must have the requested mode, whatever the umask, both
// when new and when it replaces a file.
func TestReplacedFileKeepsMode(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	p := filepath.Join(t.TempDir(), "steward-agent")
	for _, perm := range []os.FileMode{0o755, 0o755, 0o640} {
		if err := Write(p, []byte("#!/bin/sh\n"), perm); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != perm {
			t.Fatalf("mode %v, want %v", fi.Mode().Perm(), perm)
		}
	}
}
