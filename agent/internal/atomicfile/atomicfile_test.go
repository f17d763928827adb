package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteCreatesAndReplaces(t *testing.T) {
	p := filepath.Join(t.TempDir(), "identity.json")
	if err := Write(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "two" {
		t.Fatalf("content %q, %v", b, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(p), TempPattern(p))); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// TestCrashBeforeRenameKeepsOldContent: when the rename never happens (a
// crash, here a failing rename), the file keeps its old content and no
// temporary file is left.
func TestCrashBeforeRenameKeepsOldContent(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state.json")
	if err := Write(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	crash := errors.New("power lost")
	rename = func(string, string) error { return crash }
	defer func() { rename = replace }()
	err := Write(p, []byte("new content"), 0o600)
	if !errors.Is(err, crash) {
		t.Fatalf("error %v, want the rename's", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("content after a failed replace: %q", b)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(p), TempPattern(p))); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// TestFillFailureKeepsOldContent: a writer that fails halfway (a full
// disk) leaves the old content.
func TestFillFailureKeepsOldContent(t *testing.T) {
	p := filepath.Join(t.TempDir(), "journal")
	if err := Write(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	full := errors.New("no space left")
	err := WriteFrom(p, 0o600, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return full
	})
	if !errors.Is(err, full) {
		t.Fatalf("error %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("content %q", b)
	}
}

func TestCommitTwiceRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x")
	f, err := Create(p, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("second commit: %v", err)
	}
	f.Abort() // after Commit: must not remove the file
	if b, _ := os.ReadFile(p); string(b) != "a" {
		t.Fatalf("content %q", b)
	}
}
