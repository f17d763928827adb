//go:build linux || darwin

package shell

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"sync"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// unixBackend is a shell in a pty. The shell is a session leader (pty sets
// Setsid and Setctty), so its session ID is its PID, and every process it
// starts stays in that session unless it calls setsid itself.
type unixBackend struct {
	ptmx *os.File
	cmd  *exec.Cmd
	sid  int
	log  *slog.Logger
	inf  Info

	exitedCh chan struct{}
	code     int // valid once exitedCh is closed

	closeOnce sync.Once
	closeErr  error
}

func startBackend(opts Options, log *slog.Logger) (backend, error) {
	uid := os.Getuid()
	var ent passwdEntry
	var found bool
	if b, err := readCapped("/etc/passwd"); err == nil {
		ent, found = findPasswd(b, uint32(uid))
	} else {
		log.Debug("reading /etc/passwd", "err", err)
	}
	if !found {
		// Directory-service users (LDAP, macOS accounts other than root)
		// are not in /etc/passwd; os/user still knows name and home.
		ent = passwdEntry{UID: uint32(uid)}
		if u, err := user.Current(); err == nil {
			ent.Name, ent.Home = u.Username, u.HomeDir
		}
	}
	if ent.Name == "" {
		ent.Name = strconv.Itoa(uid)
	}
	host := unixHost{loginShell: ent.Shell, isExec: isExecFile}
	if opts.Shell != "" && opts.Shell[0] == '/' {
		// Without a readable /etc/shells no path is allowed.
		b, err := readCapped("/etc/shells")
		if err != nil {
			log.Warn("reading /etc/shells", "err", err)
		}
		host.etcShells = parseShells(b)
	}
	shellPath, err := resolveUnix(opts.Shell, host)
	if err != nil {
		return nil, err
	}
	home := ent.Home
	if st, err := os.Stat(home); home == "" || err != nil || !st.IsDir() {
		home = "/"
	}

	cmd := &exec.Cmd{
		Path: shellPath,
		Args: []string{loginArgv0(shellPath)},
		Env:  unixEnv(ent.Name, home, shellPath, os.Getenv, opts.Env),
		Dir:  home,
	}
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: opts.Cols, Rows: opts.Rows})
	if err != nil {
		return nil, fmt.Errorf("shell: start %s in a pty: %w", shellPath, err)
	}
	ptmx, err := pollable(f)
	if err != nil {
		// Still usable, only Close may not interrupt a blocked Read.
		log.Warn("pty master stays in blocking mode", "err", err)
	}
	b := &unixBackend{
		ptmx:     ptmx,
		cmd:      cmd,
		sid:      cmd.Process.Pid,
		log:      log.With("shell", shellPath, "pid", cmd.Process.Pid),
		inf:      Info{Shell: shellPath, PID: cmd.Process.Pid, PTY: true},
		exitedCh: make(chan struct{}),
	}
	go b.reap()
	return b, nil
}

// reap waits for the shell and records its exit code.
func (b *unixBackend) reap() {
	err := b.cmd.Wait()
	b.code = -1
	if st := b.cmd.ProcessState; st != nil {
		b.code = st.ExitCode() // -1 when killed by a signal
	} else if err != nil {
		b.log.Warn("waiting for shell", "err", err)
	}
	close(b.exitedCh)
}

// readCapped reads at most maxSystemFile bytes of a system file.
func readCapped(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSystemFile))
	return string(b), err
}

// isExecFile reports whether p (after symlinks) is a regular file with an
// execute bit set.
func isExecFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

func (b *unixBackend) Read(p []byte) (int, error)  { return b.ptmx.Read(p) }
func (b *unixBackend) Write(p []byte) (int, error) { return b.ptmx.Write(p) }
func (b *unixBackend) exited() <-chan struct{}     { return b.exitedCh }
func (b *unixBackend) exitCode() int               { return b.code }
func (b *unixBackend) info() Info                  { return b.inf }

// resize sets the window size through SyscallConn: File.Fd (which
// pty.Setsize uses) would switch the master back to blocking mode.
func (b *unixBackend) resize(cols, rows uint16) error {
	rc, err := b.ptmx.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	if err := rc.Control(func(fd uintptr) {
		ierr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
	}); err != nil {
		return err
	}
	return ierr
}

// hangup sends SIGHUP, then SIGCONT so stopped jobs get to act on it, to
// every process of the shell's session, as a terminal hangup would.
func (b *unixBackend) hangup() bool {
	signalSession(b.sid, unix.SIGHUP, b.log)
	signalSession(b.sid, unix.SIGCONT, b.log)
	return true
}

// kill sends SIGKILL to every process of the shell's session.
func (b *unixBackend) kill() { signalSession(b.sid, unix.SIGKILL, b.log) }

// closeIO closes the pty master. Processes that still hold the terminal
// get a hangup from the kernel; a Read in progress returns.
func (b *unixBackend) closeIO() error {
	b.closeOnce.Do(func() { b.closeErr = b.ptmx.Close() })
	return b.closeErr
}

// signalSession signals the process group of the session leader sid and
// every process whose session ID is sid. Jobs of an interactive shell run in
// their own process groups, so the group alone would miss them.
func signalSession(sid int, sig unix.Signal, log *slog.Logger) {
	if sid <= 1 {
		return // never signal "all processes" or init
	}
	_ = unix.Kill(-sid, sig) // fails with ESRCH once the group is empty
	pids, err := sessionMembers(sid)
	if err != nil {
		log.Warn("listing the shell session's processes", "err", err)
	}
	self := os.Getpid()
	n := 0
	for _, pid := range pids {
		if pid <= 1 || pid == self {
			continue
		}
		// A PID could in theory be reused between the listing and the
		// kill; the window is a few microseconds and the cost bounded.
		if unix.Kill(pid, sig) == nil {
			n++
		}
	}
	log.Debug("signalled shell session", "signal", sig.String(), "processes", n)
}
