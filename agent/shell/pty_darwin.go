package shell

import (
	"os"

	"golang.org/x/sys/unix"
)

// pollable leaves the pty master in blocking mode on macOS: kqueue's
// handling of pty masters is not verified here, and a blocking master is
// what creack/pty and its users run with. The cost: a Read blocked while a
// process that escaped the session (setsid) still holds the terminal only
// returns once that process writes or exits.
func pollable(f *os.File) (*os.File, error) { return f, nil }

// sessionMembers lists the processes whose session ID is sid, from the
// kernel's process table (there is no /proc on macOS).
func sessionMembers(sid int) ([]int, error) {
	procs, err := unix.SysctlKinfoProcSlice("kern.proc.all")
	if err != nil {
		return nil, err
	}
	var pids []int
	for i := range procs {
		pid := int(procs[i].Proc.P_pid)
		if pid <= 0 {
			continue
		}
		if s, err := unix.Getsid(pid); err == nil && s == sid {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}
