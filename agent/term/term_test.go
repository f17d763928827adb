//go:build !windows

package term

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// screen collects a session's output in the background.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
	eof chan struct{}
}

func watch(s Session) *screen {
	sc := &screen{eof: make(chan struct{})}
	go func() {
		defer close(sc.eof)
		b := make([]byte, 4096)
		for {
			n, err := s.Read(b)
			sc.mu.Lock()
			sc.buf.Write(b[:n])
			sc.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return sc
}

func (sc *screen) waitFor(t *testing.T, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	for i := 0; i < 1000; i++ {
		sc.mu.Lock()
		m := rx.FindStringSubmatch(sc.buf.String())
		sc.mu.Unlock()
		if m != nil {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	t.Fatalf("never saw %q in %q", re, sc.buf.String())
	return nil
}

func start(t *testing.T, o Options) (Session, *screen) {
	t.Helper()
	if o.Shell == "" {
		o.Shell = "sh"
	}
	s, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, watch(s)
}

func TestEchoAndExitCode(t *testing.T) {
	s, sc := start(t, Options{})
	s.Write([]byte("echo h''i\n"))
	sc.waitFor(t, `\bhi\b`)
	s.Write([]byte("exit 7\n"))
	code, err := s.Wait()
	if err != nil || code != 7 {
		t.Fatalf("exit %d %v, want 7", code, err)
	}
}

func TestResize(t *testing.T) {
	s, sc := start(t, Options{Cols: 80, Rows: 24})
	if err := s.Resize(100, 40); err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("stty size\n"))
	sc.waitFor(t, `40 100`)
}

func TestCloseKillsTree(t *testing.T) {
	s, sc := start(t, Options{})
	s.Write([]byte("sleep 300 & echo PID=$!\n"))
	m := sc.waitFor(t, `PID=(\d+)`)
	pid, _ := strconv.Atoi(m[1])
	s.Close()
	for i := 0; i < 500; i++ {
		if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			return
		}
		if b, err := os.ReadFile("/proc/" + m[1] + "/stat"); err == nil && strings.Contains(string(b), ") Z ") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("child %d survived Close", pid)
}

func TestIdleTimeoutEndsSession(t *testing.T) {
	s, sc := start(t, Options{IdleTimeout: 300 * time.Millisecond})
	select {
	case <-sc.eof:
	case <-time.After(30 * time.Second):
		t.Fatal("idle session never ended")
	}
	if _, err := s.Wait(); err != nil && !strings.Contains(err.Error(), "signal") {
		t.Logf("wait: %v", err)
	}
}

func TestConcurrentSessionsIndependent(t *testing.T) {
	a, sa := start(t, Options{})
	b, sb := start(t, Options{})
	a.Write([]byte("X=one; echo A-$X\n"))
	b.Write([]byte("echo B-${X:-unset}\n"))
	sa.waitFor(t, `A-one`)
	sb.waitFor(t, `B-unset`)
}

func TestRejectedShells(t *testing.T) {
	for _, name := range []string{"../../bin/sh", "rm -rf /", "/bin/sh -c id", "/tmp/evil", "python"} {
		if _, err := Start(context.Background(), Options{Shell: name}); !errors.Is(err, ErrShellNotAllowed) {
			t.Errorf("%q: err = %v", name, err)
		}
	}
}

func TestResolveShell(t *testing.T) {
	look := func(n string) (string, error) {
		if n == "bash" || n == "powershell.exe" {
			return "/x/" + n, nil
		}
		return "", exec.ErrNotFound
	}
	etc := []string{"/bin/sh", "/usr/bin/zsh"}
	cases := []struct {
		goos, name string
		want       []string
		err        bool
	}{
		{"linux", "", []string{"/bin/def", "-l"}, false},
		{"linux", "bash", []string{"/x/bash", "-l"}, false},
		{"linux", "zsh", nil, true}, // not installed
		{"linux", "/usr/bin/zsh", []string{"/usr/bin/zsh", "-l"}, false},
		{"linux", "/usr/bin/../bin/zsh", nil, true},
		{"windows", "", []string{"/x/powershell.exe", "-NoLogo"}, false},
		{"windows", "cmd", []string{"cmd.exe"}, false},
		{"windows", "bash", nil, true},
	}
	for _, c := range cases {
		got, err := ResolveShell(c.goos, c.name, "/bin/def", etc, look)
		if (err != nil) != c.err || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %q: %v %v", c.goos, c.name, got, err)
		}
	}
	if sh := LoginShell([]byte("root:x:0:0:root:/root:/bin/zsh\nbob:x:1000:1000::/home/bob:/bin/bash\n"), "1000"); sh != "/bin/bash" {
		t.Errorf("login shell %q", sh)
	}
}
