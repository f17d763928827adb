package shell

import (
	"os"

	"golang.org/x/sys/unix"
)

// pollable returns the pty master as a non-blocking, netpoller-backed file,
// so that closing it makes a Read blocked in another goroutine return even
// while an escaped process still holds the terminal. creack/pty hands the
// master out in blocking mode (it calls File.Fd). f is consumed: on success
// it is closed and a duplicate returned; on failure f itself is returned.
func pollable(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return f, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return f, err
	}
	nf := os.NewFile(uintptr(fd), f.Name())
	_ = f.Close()
	return nf, nil
}

// sessionMembers lists the processes whose session ID is sid, from /proc.
func sessionMembers(sid int) ([]int, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, name := range names {
		pid, ok := atoiPID(name)
		if !ok {
			continue
		}
		if s, err := unix.Getsid(pid); err == nil && s == sid {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// atoiPID parses a /proc entry name as a PID.
func atoiPID(s string) (int, bool) {
	if s == "" || len(s) > 10 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n > 0
}
