// Package atomicfile replaces a file's content atomically: the new content
// is written to a temporary file in the same directory, synced, given its
// mode, renamed over the target and the directory synced. A crash at any
// point leaves either the old content or the new one, never a mix; at worst
// a temporary file named by TempPattern is left behind.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// File is a pending replacement of one file. Write to it, then Commit; or
// Abort (a deferred Abort after Commit does nothing).
type File struct {
	// NoSync skips the fsyncs (the simulator's spool, where durability
	// is not measured). The rename stays atomic.
	NoSync bool

	f    *os.File
	path string
	perm os.FileMode
	done bool
}

// TempPattern is the glob of the temporary files Create makes for path,
// for removing what a crash left behind.
func TempPattern(path string) string { return "." + filepath.Base(path) + ".tmp*" }

// Create starts replacing path; the file gets mode perm (exactly, whatever
// the umask) when committed.
func Create(path string, perm os.FileMode) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), TempPattern(path))
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &File{f: f, path: path, perm: perm}, nil
}

// Name is the temporary file's path, for adjusting its owner or ACL before
// Commit.
func (f *File) Name() string { return f.f.Name() }

// Write writes to the temporary file.
func (f *File) Write(b []byte) (int, error) { return f.f.Write(b) }

// Abort drops the replacement: the target keeps its old content.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.f.Close()
	os.Remove(f.f.Name())
}

// Commit makes the written content the file's content.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("write %s: %w", f.path, os.ErrClosed)
	}
	tmp := f.f.Name()
	err := f.f.Chmod(f.perm)
	if err == nil && !f.NoSync {
		err = f.f.Sync()
	}
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = rename(tmp, f.path)
	}
	f.done = true
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	if !f.NoSync {
		if err := syncDir(filepath.Dir(f.path)); err != nil {
			return fmt.Errorf("write %s: sync directory: %w", f.path, err)
		}
	}
	return nil
}

// Write replaces path's content with data, with mode perm.
func Write(path string, data []byte, perm os.FileMode) error {
	return WriteFrom(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFrom replaces path's content with what fill writes, with mode perm.
// When fill fails the old content stays.
func WriteFrom(path string, perm os.FileMode, fill func(io.Writer) error) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := fill(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// rename is the step a crash test fails; replace otherwise.
var rename = replace

// replace renames src over dst. Windows refuses to replace a file that is
// mapped by a running process (the agent's own binary), so there the old
// file is moved aside first and put back if the second rename fails.
func replace(src, dst string) error {
	err := os.Rename(src, dst)
	if err == nil || runtime.GOOS != "windows" {
		return err
	}
	old := dst + ".old"
	_ = os.Remove(old)
	if err := os.Rename(dst, old); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		_ = os.Rename(old, dst)
		return err
	}
	_ = os.Remove(old) // may fail while mapped; removed on the next replace
	return nil
}

// syncDir makes the rename durable. Windows cannot open a directory for
// syncing (NTFS journals the rename), and some file systems refuse to sync
// one; neither is an error.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}
