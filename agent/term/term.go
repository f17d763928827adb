// Package term runs interactive shells for technicians: a real PTY on Linux
// and macOS (creack/pty), a ConPTY on Windows with a plain-pipe fallback
// where ConPTY is missing. The shell name comes from a remote technician,
// so only known shells are accepted.
package term

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configure a session.
type Options struct {
	Shell       string // "" = the OS default
	Cols, Rows  uint16
	IdleTimeout time.Duration // ends the session after no input and no output (0 = none)
	Log         *slog.Logger
}

// Session is a running shell.
type Session interface {
	io.Reader // terminal output
	io.Writer // keyboard input
	Resize(cols, rows uint16) error
	// Close ends the session and kills the shell's whole process tree.
	Close() error
	// Wait returns the shell's exit code once it exited.
	Wait() (int, error)
}

// ErrShellNotAllowed is returned for shell names outside the allowed set.
var ErrShellNotAllowed = errors.New("shell not allowed")

// ResolveShell turns a technician's shell name into argv for goos. Names
// are sh, bash, zsh, fish, powershell, pwsh, cmd, or (on Unix) an absolute
// path listed in /etc/shells. def is the OS default for "".
func ResolveShell(goos, name, def string, etcShells []string, look func(string) (string, error)) ([]string, error) {
	if goos == "windows" {
		switch strings.ToLower(name) {
		case "", "powershell":
			if p, err := look("pwsh.exe"); err == nil {
				return []string{p, "-NoLogo"}, nil
			}
			p, err := look("powershell.exe")
			if err != nil {
				return nil, errors.New("powershell not found")
			}
			return []string{p, "-NoLogo"}, nil
		case "pwsh":
			p, err := look("pwsh.exe")
			if err != nil {
				return nil, errors.New("pwsh not found")
			}
			return []string{p, "-NoLogo"}, nil
		case "cmd":
			return []string{"cmd.exe"}, nil
		}
		return nil, fmt.Errorf("%w: %q (use powershell, pwsh or cmd)", ErrShellNotAllowed, name)
	}
	switch name {
	case "":
		return []string{def, "-l"}, nil
	case "sh", "bash", "zsh", "fish":
		p, err := look(name)
		if err != nil {
			return nil, fmt.Errorf("shell %s is not installed", name)
		}
		return []string{p, "-l"}, nil
	}
	if filepath.IsAbs(name) && filepath.Clean(name) == name && slices.Contains(etcShells, name) {
		return []string{name, "-l"}, nil
	}
	return nil, fmt.Errorf("%w: %q (use sh, bash, zsh, fish or a path listed in /etc/shells)", ErrShellNotAllowed, name)
}

// ParseShells reads /etc/shells content.
func ParseShells(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// LoginShell finds uid's shell in /etc/passwd content.
func LoginShell(passwd []byte, uid string) string {
	for _, l := range strings.Split(string(passwd), "\n") {
		f := strings.Split(l, ":")
		if len(f) >= 7 && f[2] == uid && strings.HasPrefix(f[6], "/") {
			return f[6]
		}
	}
	return ""
}

// idle ends a session after a period without traffic, with one timer
// reset on activity rather than a polling loop.
type idle struct {
	mu    sync.Mutex
	t     *time.Timer
	d     time.Duration
	close func()
}

func newIdle(d time.Duration, close func()) *idle {
	i := &idle{d: d, close: close}
	if d > 0 {
		i.t = time.AfterFunc(d, close)
	}
	return i
}

func (i *idle) touch() {
	if i == nil || i.t == nil {
		return
	}
	i.mu.Lock()
	i.t.Reset(i.d)
	i.mu.Unlock()
}

func (i *idle) stop() {
	if i != nil && i.t != nil {
		i.t.Stop()
	}
}
