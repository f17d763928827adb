//go:build !windows

package script

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type collector struct {
	mu       sync.Mutex
	out, err strings.Builder
}

func (c *collector) add(stream string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if stream == "stdout" {
		c.out.Write(b)
	} else {
		c.err.Write(b)
	}
}

func TestArgumentsArriveLiterally(t *testing.T) {
	var c collector
	res := Run(context.Background(), Spec{Interpreter: "sh", Body: `printf '%s|' "$@"; echo; echo err >&2; exit 3`,
		Args: []string{"$(id)", "; rm -rf /", "`whoami`", "a b"}, WorkDir: t.TempDir()}, c.add)
	if res.ExitCode != 3 || res.Err != "" {
		t.Fatalf("result %+v", res)
	}
	if got, want := c.out.String(), "$(id)|; rm -rf /|`whoami`|a b|\n"; got != want {
		t.Fatalf("stdout %q, want %q", got, want)
	}
	if c.err.String() != "err\n" {
		t.Fatalf("stderr %q", c.err.String())
	}
}

func TestBinaryOutputAndEnv(t *testing.T) {
	var c collector
	res := Run(context.Background(), Spec{Interpreter: "sh", Body: `printf 'a\000b\377c'; printf '%s' "$GREETING"`,
		Env: map[string]string{"GREETING": "hi there"}, WorkDir: t.TempDir()}, c.add)
	if res.ExitCode != 0 || c.out.String() != "a\x00b\xffchi there" {
		t.Fatalf("%+v %q", res, c.out.String())
	}
	res = Run(context.Background(), Spec{Interpreter: "sh", Body: "true", Env: map[string]string{"A=B": "x"}}, c.add)
	if res.Err == "" || res.ExitCode != -1 {
		t.Fatalf("bad env name accepted: %+v", res)
	}
}

func TestCommandArgv(t *testing.T) {
	var c collector
	res := Run(context.Background(), Spec{Command: []string{"echo", "$(id)", "x;y"}}, c.add)
	if res.ExitCode != 0 || c.out.String() != "$(id) x;y\n" {
		t.Fatalf("%+v %q", res, c.out.String())
	}
	res = Run(context.Background(), Spec{Command: []string{"no-such-command-xyz"}}, c.add)
	if !strings.Contains(res.Err, "not found") {
		t.Fatalf("%+v", res)
	}
}

func gone(pid int) bool {
	err := syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if gone(pid) {
			return
		}
		// A killed child is a zombie until reaped by init; treat Z as gone.
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && strings.Contains(string(b), ") Z ") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("process %d still running", pid)
}

func childPID(t *testing.T, file string) int {
	t.Helper()
	var pid int
	for i := 0; i < 500; i++ {
		b, err := os.ReadFile(file)
		if err == nil && len(strings.TrimSpace(string(b))) > 0 {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			return pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("child pid never written")
	return 0
}

func TestTimeoutKillsTree(t *testing.T) {
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "pid")
	var c collector
	res := Run(context.Background(), Spec{Interpreter: "sh", Body: `sleep 300 & echo $! > "$1"; wait`,
		Args: []string{pidfile}, Timeout: 500 * time.Millisecond, WorkDir: dir}, c.add)
	if !res.TimedOut || !strings.Contains(res.Err, "timed out") {
		t.Fatalf("%+v", res)
	}
	waitGone(t, childPID(t, pidfile))
}

func TestCancelKillsTree(t *testing.T) {
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "pid")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result)
	go func() {
		done <- Run(ctx, Spec{Interpreter: "sh", Body: `sleep 300 & echo $! > "$1"; wait`, Args: []string{pidfile}, WorkDir: dir},
			func(string, []byte) {})
	}()
	pid := childPID(t, pidfile)
	cancel()
	res := <-done
	if !res.Cancelled {
		t.Fatalf("%+v", res)
	}
	waitGone(t, pid)
}

func TestLeftoverChildDoesNotHang(t *testing.T) {
	// The script exits while a background child holds stdout open: the job
	// still ends, and the child is killed with it.
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "pid")
	var c collector
	res := Run(context.Background(), Spec{Interpreter: "sh", Body: `sleep 300 & echo $! > "$1"; echo bye`,
		Args: []string{pidfile}, WorkDir: dir}, c.add)
	if res.ExitCode != 0 || c.out.String() != "bye\n" {
		t.Fatalf("%+v %q", res, c.out.String())
	}
	waitGone(t, childPID(t, pidfile))
}

func TestInvocation(t *testing.T) {
	look := func(have ...string) func(string) (string, error) {
		return func(n string) (string, error) {
			for _, h := range have {
				if h == n {
					return "/x/" + n, nil
				}
			}
			return "", exec.ErrNotFound
		}
	}
	cases := []struct {
		goos, interp string
		have         []string
		want         []string
		ext, err     string
	}{
		{"linux", "sh", nil, []string{"/bin/sh", "f", "a"}, ".sh", ""},
		{"linux", "bash", []string{"bash"}, []string{"/x/bash", "f", "a"}, ".sh", ""},
		{"linux", "bash", nil, nil, "", "not installed"},
		{"windows", "powershell", []string{"powershell.exe"}, []string{"/x/powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", "f", "a"}, ".ps1", ""},
		{"windows", "powershell", []string{"pwsh", "powershell.exe"}, []string{"/x/pwsh", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", "f", "a"}, ".ps1", ""},
		{"windows", "cmd", nil, []string{"cmd.exe", "/d", "/c", "f", "a"}, ".cmd", ""},
		{"linux", "cmd", nil, nil, "", "only available on windows"},
		{"windows", "sh", nil, nil, "", "not available on windows"},
		{"darwin", "python", []string{"python3"}, []string{"/x/python3", "f", "a"}, ".py", ""},
		{"linux", "perl", nil, nil, "", "unknown interpreter"},
	}
	for _, c := range cases {
		argv, ext, err := Invocation(c.goos, c.interp, "f", []string{"a"}, look(c.have...))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s/%s: err %v, want %q", c.goos, c.interp, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(argv, c.want) || ext != c.ext {
			t.Errorf("%s/%s: %v %q %v, want %v %q", c.goos, c.interp, argv, ext, err, c.want, c.ext)
		}
	}
}
