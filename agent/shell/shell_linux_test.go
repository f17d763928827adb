package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// patience bounds every wait in these tests. It is a deadline for a test
// that would otherwise hang, not a performance claim.
const patience = 20 * time.Second

// testShell picks bash when installed (job control, the common case) and sh
// otherwise.
func testShell() string {
	if isExecFile("/bin/bash") || isExecFile("/usr/bin/bash") {
		return "bash"
	}
	return "sh"
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// tWriter sends log lines to t.Log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// term collects a session's output in the background.
type term struct {
	s       Session
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // one pending notification at most
	eof     chan struct{}
}

func startTerm(t *testing.T, ctx context.Context, opts Options) *term {
	t.Helper()
	s, err := Start(ctx, opts, testLogger(t))
	if err != nil {
		t.Fatalf("Start(%+v): %v", opts, err)
	}
	tm := &term{s: s, changed: make(chan struct{}, 1), eof: make(chan struct{})}
	go tm.pump()
	t.Cleanup(func() {
		_ = s.Close()
		select {
		case <-tm.eof:
		case <-time.After(patience):
			t.Errorf("Read did not return EOF after Close")
		}
	})
	return tm
}

func (tm *term) pump() {
	defer close(tm.eof)
	b := make([]byte, 4096)
	for {
		n, err := tm.s.Read(b)
		tm.mu.Lock()
		tm.buf.Write(b[:n])
		tm.mu.Unlock()
		select {
		case tm.changed <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

var ansiRE = regexp.MustCompile(`\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])`)

// text is the output so far without terminal escape sequences.
func (tm *term) text() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return ansiRE.ReplaceAllString(tm.buf.String(), "")
}

// expect waits until match finds what it wants in the output.
func (tm *term) expect(t *testing.T, what string, match func(out string) bool) string {
	t.Helper()
	deadline := time.NewTimer(patience)
	defer deadline.Stop()
	for {
		out := tm.text()
		if match(out) {
			return out
		}
		select {
		case <-tm.changed:
		case <-tm.eof:
			if out := tm.text(); match(out) {
				return out
			}
			t.Fatalf("output ended before %s; output:\n%q", what, tm.text())
		case <-deadline.C:
			t.Fatalf("no %s within %v; output:\n%q", what, patience, tm.text())
		}
	}
}

// expectAfter waits for want to appear after the echo of the command line
// cmd, so the echo itself never counts as the answer.
func (tm *term) expectAfter(t *testing.T, cmd, want string) {
	t.Helper()
	tm.expect(t, fmt.Sprintf("%q after the echoed %q", want, cmd), func(out string) bool {
		i := strings.Index(out, cmd)
		return i >= 0 && strings.Contains(out[i+len(cmd):], want)
	})
}

func (tm *term) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(tm.s, line+"\n"); err != nil {
		t.Fatalf("write %q: %v", line, err)
	}
}

type waitResult struct {
	code int
	err  error
}

// wait calls Wait, failing the test if it does not return in time.
func wait(t *testing.T, s Session) waitResult {
	t.Helper()
	ch := make(chan waitResult, 1)
	go func() {
		code, err := s.Wait()
		ch <- waitResult{code, err}
	}()
	select {
	case r := <-ch:
		return r
	case <-time.After(patience):
		t.Fatalf("Wait did not return within %v", patience)
		return waitResult{}
	}
}

// gone reports whether pid no longer runs. A zombie counts as gone: PID 1
// in a container may not reap the orphans it inherits.
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// waitGone polls (boundedly) until pid is gone.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still running %v after the session ended", pid, patience)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var pidRE = regexp.MustCompile(`PID=(\d+)`)

// startBackground starts `sleep 300 &` in the session and returns its PID.
func startBackground(t *testing.T, tm *term) int {
	t.Helper()
	tm.send(t, "sleep 300 & echo PID=$!")
	out := tm.expect(t, "the background PID", func(out string) bool { return pidRE.MatchString(out) })
	pid, err := strconv.Atoi(pidRE.FindStringSubmatch(out)[1])
	if err != nil || pid <= 1 {
		t.Fatalf("bad PID in %q", out)
	}
	if gone(pid) {
		t.Fatalf("background sleep %d is not running", pid)
	}
	return pid
}

func TestEcho(t *testing.T) {
	for _, sh := range []string{"", "sh", testShell()} {
		t.Run("shell="+sh, func(t *testing.T) {
			tm := startTerm(t, t.Context(), Options{Shell: sh})
			tm.send(t, "echo hi")
			tm.expectAfter(t, "echo hi", "hi")
			if inf := tm.s.Info(); !inf.PTY || inf.PID <= 1 || !strings.HasPrefix(inf.Shell, "/") {
				t.Fatalf("Info() = %+v, want a PTY session with a PID and an absolute shell path", inf)
			}
		})
	}
}

func TestResize(t *testing.T) {
	tm := startTerm(t, t.Context(), Options{Shell: testShell(), Cols: 90, Rows: 30})
	tm.send(t, "stty size; echo first-done")
	tm.expectAfter(t, "first-done", "30 90")
	if err := tm.s.Resize(100, 40); err != nil {
		t.Fatalf("Resize: %v", err)
	}
	tm.send(t, "stty size; echo second-done")
	tm.expectAfter(t, "second-done", "40 100")
}

func TestResizeOutOfRange(t *testing.T) {
	tm := startTerm(t, t.Context(), Options{Shell: "sh"})
	for _, sz := range [][2]uint16{{0, 10}, {10, 0}, {MaxDimension + 1, 10}} {
		if err := tm.s.Resize(sz[0], sz[1]); err == nil {
			t.Errorf("Resize(%d, %d) succeeded, want an error", sz[0], sz[1])
		}
	}
}

func TestEnv(t *testing.T) {
	tm := startTerm(t, t.Context(), Options{Shell: "sh", Env: map[string]string{"STEWARD_T": "v42"}})
	tm.send(t, `echo "[$STEWARD_T|$TERM]"`)
	tm.expectAfter(t, "$TERM]", "[v42|xterm-256color]")
}

func TestExitCode(t *testing.T) {
	tm := startTerm(t, t.Context(), Options{Shell: testShell()})
	tm.send(t, "exit 7")
	r := wait(t, tm.s)
	if r.code != 7 || r.err != nil {
		t.Fatalf("Wait() = %d, %v; want 7, nil", r.code, r.err)
	}
	select {
	case <-tm.eof:
	case <-time.After(patience):
		t.Fatalf("Read did not return EOF after the shell exited")
	}
	if _, err := tm.s.Write([]byte("echo late\n")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after exit: %v, want ErrClosed", err)
	}
}

func TestCloseKillsTree(t *testing.T) {
	tm := startTerm(t, t.Context(), Options{Shell: testShell()})
	pid := startBackground(t, tm)
	shellPID := tm.s.Info().PID
	if err := tm.s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	r := wait(t, tm.s)
	if !errors.Is(r.err, ErrClosed) || r.code == 0 {
		t.Fatalf("Wait() after Close = %d, %v; want a non-zero code and ErrClosed", r.code, r.err)
	}
	waitGone(t, pid)
	waitGone(t, shellPID)
	if err := tm.s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestCloseKillsHangupImmune(t *testing.T) {
	// A child that ignores SIGHUP only dies to the SIGKILL that follows.
	tm := startTerm(t, t.Context(), Options{Shell: testShell()})
	tm.send(t, "trap '' HUP; sleep 300 & echo PID=$!")
	out := tm.expect(t, "the background PID", func(out string) bool { return pidRE.MatchString(out) })
	pid, _ := strconv.Atoi(pidRE.FindStringSubmatch(out)[1])
	if err := tm.s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitGone(t, pid)
}

func TestShellExitHangsUpJobs(t *testing.T) {
	tm := startTerm(t, t.Context(), Options{Shell: testShell()})
	pid := startBackground(t, tm)
	tm.send(t, "exit 3")
	r := wait(t, tm.s)
	if r.code != 3 || r.err != nil {
		t.Fatalf("Wait() = %d, %v; want 3, nil", r.code, r.err)
	}
	select {
	case <-tm.eof:
	case <-time.After(patience):
		t.Fatalf("Read did not return EOF although the shell exited")
	}
	waitGone(t, pid)
}

func TestIdleTimeout(t *testing.T) {
	tm := startTerm(t, t.Context(), Options{Shell: "sh", IdleTimeout: 300 * time.Millisecond})
	r := wait(t, tm.s)
	if !errors.Is(r.err, ErrIdleTimeout) {
		t.Fatalf("Wait() = %d, %v; want ErrIdleTimeout", r.code, r.err)
	}
	select {
	case <-tm.eof:
	case <-time.After(patience):
		t.Fatalf("Read did not return EOF after the idle timeout")
	}
}

func TestContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	tm := startTerm(t, ctx, Options{Shell: "sh"})
	tm.send(t, "echo up")
	tm.expectAfter(t, "echo up", "up")
	cancel()
	r := wait(t, tm.s)
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Wait() = %d, %v; want context.Canceled", r.code, r.err)
	}
}

func TestStartRefuses(t *testing.T) {
	done, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		opts    Options
		wantErr error // nil: any error
	}{
		{"traversal", t.Context(), Options{Shell: "../../bin/sh"}, ErrShellNotAllowed},
		{"command line", t.Context(), Options{Shell: "rm -rf /"}, ErrShellNotAllowed},
		{"unlisted absolute path", t.Context(), Options{Shell: "/usr/bin/env"}, ErrShellNotAllowed},
		{"cmd on linux", t.Context(), Options{Shell: "cmd"}, ErrShellNotFound},
		{"bad env key", t.Context(), Options{Env: map[string]string{"A=B": "c"}}, nil},
		{"huge size", t.Context(), Options{Cols: 5000, Rows: 10}, nil},
		{"negative idle", t.Context(), Options{IdleTimeout: -time.Second}, nil},
		{"cancelled context", done, Options{}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start(tt.ctx, tt.opts, nil)
			if err == nil {
				_ = s.Close()
				t.Fatalf("Start(%+v) succeeded, want an error", tt.opts)
			}
			if s != nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("Start(%+v) = %v, %v; want nil, %v", tt.opts, s, err, tt.wantErr)
			}
		})
	}
}

func TestConcurrentSessions(t *testing.T) {
	const n = 4
	terms := make([]*term, n)
	for i := range terms {
		terms[i] = startTerm(t, t.Context(), Options{Shell: testShell()})
	}
	// Each session computes its own marker, so an echoed command line never
	// matches and cross-talk would show up as a foreign marker.
	marker := func(i, round int) string { return fmt.Sprintf("m%d-%d", i, 1000*round+7*i) }
	cmd := func(i, round int) string { return fmt.Sprintf("echo m%d-$((%d+%d))", i, 1000*round, 7*i) }
	for i, tm := range terms {
		tm.send(t, cmd(i, 1))
	}
	for i, tm := range terms {
		tm.expect(t, marker(i, 1), func(out string) bool { return strings.Contains(out, marker(i, 1)) })
	}
	if err := terms[0].s.Close(); err != nil {
		t.Fatalf("Close session 0: %v", err)
	}
	for i, tm := range terms[1:] {
		i++
		tm.send(t, cmd(i, 2))
		tm.expect(t, marker(i, 2), func(out string) bool { return strings.Contains(out, marker(i, 2)) })
	}
	for i, tm := range terms {
		out := tm.text()
		for j := range terms {
			for round := 1; round <= 2; round++ {
				if j != i && strings.Contains(out, marker(j, round)) {
					t.Errorf("session %d shows session %d's output %q", i, j, marker(j, round))
				}
			}
		}
	}
}
