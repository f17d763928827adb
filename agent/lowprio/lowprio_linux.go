package lowprio

import (
	"os/exec"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

const goos = "linux"

// Nice is the CPU nice value of collector children.
const Nice = 19

// IOPrioIdle is the ioprio value of the idle I/O class (class 3 << 13):
// the child gets disk time only when no one else wants it.
const IOPrioIdle = 3 << 13

const ioprioWhoProcess = 1

func sysProcAttr() *syscall.SysProcAttr { return nil }

func haveTaskpolicy() bool { return false }

// start forks the child from a locked OS thread lowered first: nice and
// the I/O priority are per thread on Linux and a child inherits both from
// the thread that forked it. The goroutine ends without unlocking, so the
// runtime discards the lowered thread instead of reusing it.
func start(c *exec.Cmd) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		tid := unix.Gettid()
		// Failures only leave the priority as it was.
		_ = unix.Setpriority(unix.PRIO_PROCESS, tid, Nice)
		_, _, _ = unix.Syscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, uintptr(tid), IOPrioIdle)
		errc <- c.Start()
	}()
	return <-errc
}

func lowerStarted(*exec.Cmd) {}

// IOPrio returns a process's I/O priority (for tests and diagnostics).
func IOPrio(pid int) (int, error) {
	r, _, e := unix.Syscall(unix.SYS_IOPRIO_GET, ioprioWhoProcess, uintptr(pid), 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
