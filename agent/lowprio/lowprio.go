// Package lowprio runs the agent's background child processes (health
// collectors: apt-get -s upgrade, dpkg-query, patch scans) at low CPU and
// I/O priority, so an agent starting with a freshly booted device does not
// compete with everything else starting. The agent's own goroutines keep
// their priority: only the children are lowered.
//
// Per OS: on Linux the child is forked from a dedicated OS thread that was
// first set to nice 19 and the idle I/O class, so the child inherits both
// from its first instruction (no window in which it or its own children
// run at normal priority); the thread is then discarded. On Windows the
// child is created in the BELOW_NORMAL priority class and its I/O priority
// is lowered to "very low" (background mode itself can only be entered by
// a process for itself). On macOS the command runs under `taskpolicy -b`,
// the background QoS for CPU, I/O and timers, which its children inherit.
package lowprio

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// MaxOutput caps the output Exec keeps.
const MaxOutput = 4 << 20

// Command builds a low-priority command: Start starts it lowered.
// The OS-specific wrapping (macOS) and attributes (Windows) are applied
// here; Linux lowers at Start.
func Command(ctx context.Context, name string, args ...string) *Cmd {
	if haveTaskpolicy() {
		name, args = Wrap(goos, name, args)
	}
	c := exec.CommandContext(ctx, name, args...)
	c.SysProcAttr = sysProcAttr()
	return &Cmd{Cmd: c}
}

// Cmd is an exec.Cmd whose Start lowers the child's priority.
type Cmd struct {
	*exec.Cmd
}

// Start starts the child at low priority.
func (c *Cmd) Start() error {
	if err := start(c.Cmd); err != nil {
		return err
	}
	lowerStarted(c.Cmd)
	return nil
}

// Run starts the child and waits for it.
func (c *Cmd) Run() error {
	if err := c.Start(); err != nil {
		return err
	}
	return c.Wait()
}

// Exec runs a command at low priority (no shell) and returns its combined
// output, like ops.Exec: LANG=C, output capped at 4 MiB.
func Exec(ctx context.Context, name string, args ...string) ([]byte, error) {
	c := Command(ctx, name, args...)
	c.Env = append(c.Environ(), "LANG=C", "LC_ALL=C")
	var buf capped
	c.Stdout, c.Stderr = &buf, &buf
	err := c.Run()
	out := buf.Bytes()
	if err != nil {
		t := out
		if len(t) > 512 {
			t = t[len(t)-512:]
		}
		return out, fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(t)))
	}
	return out, nil
}

// capped keeps the first MaxOutput bytes and discards the rest (the child
// is not blocked by a full pipe). Not an embedded Buffer: its ReadFrom
// would let io.Copy bypass the cap.
type capped struct{ b bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := MaxOutput - c.b.Len(); room > 0 {
		c.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capped) Bytes() []byte { return c.b.Bytes() }

// Windows process creation flags (winbase.h).
const (
	winBelowNormalPriorityClass = 0x00004000
	winIdlePriorityClass        = 0x00000040
	winCreateNoWindow           = 0x08000000
)

// WindowsCreationFlags are the flags Windows children are created with:
// the below-normal priority class (idle could starve a collection for
// ever on a busy machine) and no console window.
const WindowsCreationFlags = winBelowNormalPriorityClass | winCreateNoWindow

// Wrap returns the argv that runs name at background priority on goos:
// macOS prefixes taskpolicy -b; other OSes lower the child otherwise and
// return it unchanged.
func Wrap(goos, name string, args []string) (string, []string) {
	if goos != "darwin" {
		return name, args
	}
	return "/usr/sbin/taskpolicy", append([]string{"-b", name}, args...)
}
