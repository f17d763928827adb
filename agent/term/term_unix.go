//go:build !windows

package term

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
)

type unixSession struct {
	f      *os.File
	cmd    *exec.Cmd
	idle   *idle
	once   sync.Once
	exited chan struct{}
	code   int
	err    error
}

// Start launches a shell in a new PTY. The shell leads its own session
// and process group, so Close can end everything it started.
func Start(ctx context.Context, o Options) (Session, error) {
	shells, _ := os.ReadFile("/etc/shells")
	passwd, _ := os.ReadFile("/etc/passwd")
	def := LoginShell(passwd, strconv.Itoa(os.Getuid()))
	if def == "" {
		def = "/bin/sh"
		if _, err := os.Stat("/bin/bash"); err == nil {
			def = "/bin/bash"
		}
	}
	argv, err := ResolveShell("linux", o.Shell, def, ParseShells(shells), exec.LookPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	home, _ := os.UserHomeDir()
	if home == "" {
		home = "/"
	}
	cmd.Dir = home
	cmd.Env = []string{"TERM=xterm-256color", "HOME=" + home, "LANG=" + envOr("LANG", "C.UTF-8"),
		"PATH=" + envOr("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), "SHELL=" + argv[0]}
	if o.Cols == 0 || o.Rows == 0 {
		o.Cols, o.Rows = 80, 24
	}
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: o.Cols, Rows: o.Rows})
	if err != nil {
		return nil, fmt.Errorf("start shell: %w", err)
	}
	s := &unixSession{f: f, cmd: cmd, exited: make(chan struct{}), code: -1}
	s.idle = newIdle(o.IdleTimeout, func() { _ = s.Close() })
	go func() {
		err := cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
			s.code = 0
		case errors.As(err, &ee):
			s.code = ee.ExitCode()
		default:
			s.err = err
		}
		close(s.exited)
	}()
	return s, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func (s *unixSession) Read(p []byte) (int, error) {
	n, err := s.f.Read(p)
	if n > 0 {
		s.idle.touch()
	}
	if err != nil {
		// Linux reports EIO on the master once the shell side closed.
		return n, io.EOF
	}
	return n, nil
}

func (s *unixSession) Write(p []byte) (int, error) {
	s.idle.touch()
	return s.f.Write(p)
}

func (s *unixSession) Resize(cols, rows uint16) error {
	return pty.Setsize(s.f, &pty.Winsize{Cols: cols, Rows: rows})
}

// Close hangs up the session's process group, then kills what is left.
func (s *unixSession) Close() error {
	s.once.Do(func() {
		s.idle.stop()
		pgid := s.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGHUP)
		select {
		case <-s.exited:
		case <-time.After(500 * time.Millisecond):
		}
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		// Job control puts background jobs in process groups of their own;
		// everything in the shell's session goes.
		for _, pid := range sessionMembers(pgid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		_ = s.f.Close()
	})
	return nil
}

func (s *unixSession) Wait() (int, error) {
	<-s.exited
	return s.code, s.err
}
