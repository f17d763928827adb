// Package shell runs the interactive terminal sessions a technician opens on
// a device: a real shell in a pseudo-terminal (a pty on Linux and macOS,
// ConPTY on Windows 10 1809+ with a plain-pipe fallback before that).
//
// The package knows nothing about the transport. The agent's connection loop
// copies a Session's output (Read) to the server relay, feeds the
// technician's keystrokes to it (Write), forwards resizes, and reports the
// exit code from Wait when Read has returned io.EOF.
//
// Shell names come from a remote technician, so they are resolved against a
// fixed allowlist (see Start) and never passed to a shell or PATH search.
//
// Ending a session always ends the shell's whole process tree: on Unix every
// process of the shell's terminal session (the shell is a session leader),
// on Windows every process of a job object created for the shell.
package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Errors a caller may tell apart with errors.Is.
var (
	// ErrShellNotAllowed: the requested shell is not a name or path this
	// package accepts. The message quotes the (truncated) name.
	ErrShellNotAllowed = errors.New("shell not allowed")
	// ErrShellNotFound: the shell is allowed but not installed on this
	// device (or not available on this OS, like cmd on Linux).
	ErrShellNotFound = errors.New("shell not installed")
	// ErrClosed: the session was ended by Close, or input arrived after the
	// session ended. Wait returns it when Close ended the session.
	ErrClosed = errors.New("shell session closed")
	// ErrIdleTimeout: Wait returns it when the session was ended because
	// neither input nor output happened for Options.IdleTimeout.
	ErrIdleTimeout = errors.New("shell session idle timeout")
	// ErrResizeUnsupported: the Windows pipe fallback has no terminal to
	// resize. Callers may ignore it.
	ErrResizeUnsupported = errors.New("terminal resize not supported by this session")
)

// Terminal size limits. Sizes come from the remote technician; anything
// outside 1..MaxDimension is refused.
const (
	DefaultCols  = 80
	DefaultRows  = 24
	MaxDimension = 1000
)

// Limits on Options.Env, which may come from the network.
const (
	maxEnvVars     = 64
	maxEnvKeyLen   = 256
	maxEnvValueLen = 8192
)

// Teardown timings. They bound Close; none of them is a polling interval.
const (
	// killGrace is how long a shell gets to exit after SIGHUP before the
	// whole session is killed.
	killGrace = 1 * time.Second
	// reapWait bounds the wait for the OS to reap a killed shell.
	reapWait = 3 * time.Second
	// drainGrace is how long, after the shell exited by itself, the reader
	// may keep draining output before the terminal is closed. Only
	// processes that ignored the hangup (or, on Windows, the console host,
	// which keeps the pipe open until the pseudo console is closed) make
	// it last that long.
	drainGrace = 500 * time.Millisecond
	// closeWait bounds Close as a whole, even if the OS misbehaves.
	closeWait = killGrace + 2*reapWait + 2*time.Second
)

// Options configure a session. The zero value starts the default shell in
// an 80x24 terminal with no idle timeout.
type Options struct {
	// Shell selects the shell; see Start for the accepted names.
	Shell string
	// Cols and Rows are the initial terminal size; 0 means 80x24.
	Cols, Rows uint16
	// Env adds to or overrides the shell's environment. TERM defaults to
	// xterm-256color. Keys must look like shell identifiers.
	Env map[string]string
	// IdleTimeout ends the session after neither input nor output for this
	// long (0 = never). Output counts when it is Read.
	IdleTimeout time.Duration
}

// Info describes a started session, for logs and audit records.
type Info struct {
	// Shell is the absolute path of the shell program.
	Shell string
	// PID is the shell's process ID.
	PID int
	// PTY is false only in the Windows pipe fallback, where there is no
	// terminal: no resize, no full-screen programs, and the package echoes
	// input and edits lines itself.
	PTY bool
}

// Session is one running terminal session.
//
// Read, Write, Resize and Close may be called from different goroutines;
// Read must not be called concurrently with itself, nor Write with itself.
type Session interface {
	// Read returns terminal output. It returns io.EOF once the session has
	// ended and the output is drained (or dropped, after Close).
	io.Reader
	// Write sends keyboard input. After the session ended it returns
	// ErrClosed.
	io.Writer
	// Resize changes the terminal size (1..MaxDimension each).
	Resize(cols, rows uint16) error
	// Close ends the session: hangup, then kill of the shell's whole
	// process tree, then the terminal is closed. It is bounded in time and
	// safe to call more than once.
	Close() error
	// Wait blocks until the shell has exited and the session is torn down.
	// exitCode is the shell's exit status (-1 if a signal killed it on
	// Unix). err is nil when the shell exited by itself; otherwise it says
	// why the session was ended: ErrClosed, ErrIdleTimeout, or an error
	// wrapping the context's error.
	Wait() (exitCode int, err error)
	// Info describes the session.
	Info() Info
}

// backend is what each OS provides for one running shell.
type backend interface {
	io.Reader
	io.Writer
	resize(cols, rows uint16) error
	// hangup asks the shell's process tree to end. It reports whether a
	// signal was sent at all (Windows has none), so the caller knows
	// whether waiting for a graceful exit makes sense.
	hangup() bool
	// kill forcibly ends the shell's whole process tree.
	kill()
	// closeIO releases the terminal so that pending Reads and Writes
	// return. It must not block for long.
	closeIO() error
	// exited is closed once the OS has reaped the shell.
	exited() <-chan struct{}
	// exitCode is valid once exited is closed.
	exitCode() int
	info() Info
}

// Start starts a shell session.
//
// Accepted Options.Shell values:
//
//   - "" — the default: on Unix the login shell of the agent's user from
//     /etc/passwd (falling back to /bin/bash, then /bin/sh); on Windows
//     PowerShell 7 (pwsh) if installed, else Windows PowerShell.
//   - "sh", "bash", "zsh", "fish" — looked up in fixed system directories
//     (Unix only).
//   - "pwsh" — PowerShell 7; "powershell" — Windows PowerShell on Windows,
//     pwsh elsewhere.
//   - "cmd" — cmd.exe (Windows only).
//   - an absolute, clean path listed in /etc/shells (Unix only).
//
// Anything else fails with ErrShellNotAllowed. On Unix the shell runs as a
// login shell (argv[0] prefixed with "-", as login(1) and sshd do) in the
// user's home directory, with a small clean environment rather than the
// agent's.
//
// The session ends when the shell exits, on Close, after the idle timeout,
// or when ctx is done. log may be nil.
func Start(ctx context.Context, opts Options, log *slog.Logger) (Session, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("shell: start: %w", err)
	}
	if opts.Cols == 0 {
		opts.Cols = DefaultCols
	}
	if opts.Rows == 0 {
		opts.Rows = DefaultRows
	}
	if err := checkSize(opts.Cols, opts.Rows); err != nil {
		return nil, err
	}
	if err := checkEnv(opts.Env); err != nil {
		return nil, err
	}
	if opts.IdleTimeout < 0 {
		return nil, fmt.Errorf("shell: negative idle timeout %v", opts.IdleTimeout)
	}
	b, err := startBackend(opts, log)
	if err != nil {
		return nil, err
	}
	inf := b.info()
	log = log.With("shell", inf.Shell, "pid", inf.PID)
	log.Info("shell session started", "pty", inf.PTY, "cols", opts.Cols, "rows", opts.Rows)
	return newSession(ctx, b, opts.IdleTimeout, log), nil
}

// checkSize validates a terminal size from the technician.
func checkSize(cols, rows uint16) error {
	if cols < 1 || rows < 1 || cols > MaxDimension || rows > MaxDimension {
		return fmt.Errorf("shell: terminal size %dx%d out of range 1..%d", cols, rows, MaxDimension)
	}
	return nil
}

// session is the OS-neutral part of a Session: idle timeout, context,
// end reason and the teardown sequence around a backend.
type session struct {
	b     backend
	log   *slog.Logger
	idle  time.Duration
	start time.Time
	// last is the time of the last activity, as a duration since start
	// (monotonic), so activity costs one atomic store.
	last atomic.Int64

	mu       sync.Mutex
	timer    *time.Timer
	timerOff bool  // the timer was stopped for good; guarded by mu
	reason   error // why the session was ended by us; guarded by mu
	natural  bool  // the shell exited before anyone ended it; guarded by mu
	closeEr  error // from closeIO; guarded by mu

	endOnce     sync.Once
	ending      chan struct{} // closed when an end is requested
	readEOFOnce sync.Once
	readEOF     chan struct{} // closed when the backend's output ended
	done        chan struct{} // closed when teardown has finished
	stopCtx     func() bool
}

func newSession(ctx context.Context, b backend, idle time.Duration, log *slog.Logger) *session {
	s := &session{
		b: b, log: log, idle: idle, start: time.Now(),
		ending:  make(chan struct{}),
		readEOF: make(chan struct{}),
		done:    make(chan struct{}),
	}
	if idle > 0 {
		s.mu.Lock()
		s.timer = time.AfterFunc(idle, s.onIdleTimer)
		s.mu.Unlock()
	}
	s.stopCtx = context.AfterFunc(ctx, func() {
		s.requestEnd(fmt.Errorf("shell: session context ended: %w", ctx.Err()))
	})
	go s.monitor()
	return s
}

// touch records activity for the idle timeout.
func (s *session) touch() {
	if s.idle > 0 {
		s.last.Store(int64(time.Since(s.start)))
	}
}

// idleRemaining is how long until an idle timeout fires, given the time
// since the session started and the time of the last activity (both
// measured from the start). Zero or less means the session is idle.
func idleRemaining(sinceStart, lastActivity, idle time.Duration) time.Duration {
	return idle - (sinceStart - lastActivity)
}

// onIdleTimer runs when the idle timer fires. Activity does not reset the
// timer (that would cost a timer operation per keystroke); instead the timer
// re-arms itself for the remaining time, so it fires at most once per idle
// period and never polls.
func (s *session) onIdleTimer() {
	rem := idleRemaining(time.Since(s.start), time.Duration(s.last.Load()), s.idle)
	if rem <= 0 {
		s.log.Info("shell session idle, ending it", "idle_timeout", s.idle)
		s.requestEnd(ErrIdleTimeout)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.timerOff {
		s.timer.Reset(rem)
	}
}

// requestEnd asks for the session to end with the given reason. Only the
// first request counts.
func (s *session) requestEnd(reason error) {
	s.endOnce.Do(func() {
		s.mu.Lock()
		s.reason = reason
		s.mu.Unlock()
		close(s.ending)
	})
}

func (s *session) endRequested() bool {
	select {
	case <-s.ending:
		return true
	default:
		return false
	}
}

// monitor runs the teardown once the shell exits or an end is requested.
func (s *session) monitor() {
	defer close(s.done)
	select {
	case <-s.b.exited():
		s.mu.Lock()
		s.natural = !s.endRequested()
		s.mu.Unlock()
		// Like a real terminal going away: hang up what the shell left
		// behind, and let the reader drain what the shell wrote last.
		s.b.hangup()
		waitFor(drainGrace, s.readEOF, s.ending)
	case <-s.ending:
		if s.b.hangup() {
			waitFor(killGrace, s.b.exited(), nil)
		}
	}
	if s.endRequested() {
		s.b.kill()
		if !waitFor(reapWait, s.b.exited(), nil) {
			s.log.Warn("shell did not exit after kill", "waited", reapWait)
		}
		// Again, for anything forked while the first kill was under way.
		s.b.kill()
	}
	err := s.b.closeIO()
	s.mu.Lock()
	s.closeEr = err
	if s.timer != nil {
		s.timer.Stop()
		s.timerOff = true
	}
	s.mu.Unlock()
	s.stopCtx()
	s.log.Info("shell session ended", "reason", s.endReason())
}

// waitFor waits until a or b (nil = none) is closed or d has passed; it
// reports whether a channel was closed.
func waitFor(d time.Duration, a, b <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-a:
		return true
	case <-b:
		return true
	case <-t.C:
		return false
	}
}

// endReason is the error Wait reports: nil when the shell exited by itself.
func (s *session) endReason() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.natural {
		return nil
	}
	return s.reason
}

// Read implements Session.
func (s *session) Read(p []byte) (int, error) {
	n, err := s.b.Read(p)
	if n > 0 {
		s.touch()
	}
	if err != nil {
		// Whatever ends the terminal's output (EIO on Linux, a closed
		// file, a broken pipe on Windows) means the same: no more output.
		if !errors.Is(err, io.EOF) {
			s.log.Debug("shell output ended", "err", err)
		}
		s.readEOFOnce.Do(func() { close(s.readEOF) })
		return n, io.EOF
	}
	return n, nil
}

// Write implements Session.
func (s *session) Write(p []byte) (int, error) {
	if s.over() {
		return 0, ErrClosed
	}
	n, err := s.b.Write(p)
	if n > 0 {
		s.touch()
	}
	if err != nil {
		if s.over() {
			return n, ErrClosed
		}
		return n, fmt.Errorf("shell: write input: %w", err)
	}
	return n, nil
}

// over reports whether the session has ended or is ending, for whatever
// reason: input then has nowhere to go.
func (s *session) over() bool {
	select {
	case <-s.b.exited():
		return true
	default:
		return s.endRequested() || s.isDone()
	}
}

func (s *session) isDone() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Resize implements Session.
func (s *session) Resize(cols, rows uint16) error {
	if err := checkSize(cols, rows); err != nil {
		return err
	}
	if s.over() {
		return ErrClosed
	}
	s.touch()
	if err := s.b.resize(cols, rows); err != nil {
		if errors.Is(err, ErrResizeUnsupported) {
			return err
		}
		return fmt.Errorf("shell: resize: %w", err)
	}
	return nil
}

// Close implements Session.
func (s *session) Close() error {
	s.requestEnd(ErrClosed)
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-s.done:
	case <-t.C:
		s.log.Warn("shell session teardown still running; not waiting longer", "waited", closeWait)
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closeEr != nil {
		return fmt.Errorf("shell: close terminal: %w", s.closeEr)
	}
	return nil
}

// Wait implements Session.
func (s *session) Wait() (int, error) {
	<-s.b.exited()
	<-s.done
	return s.b.exitCode(), s.endReason()
}

// Info implements Session.
func (s *session) Info() Info { return s.b.info() }
