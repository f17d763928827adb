package lowprio

import (
	"os"
	"os/exec"
	"syscall"
)

const goos = "darwin"

func sysProcAttr() *syscall.SysProcAttr { return nil }

// haveTaskpolicy: taskpolicy ships with macOS; without it (a stripped
// system) children run at normal priority rather than not at all.
func haveTaskpolicy() bool {
	_, err := os.Stat("/usr/sbin/taskpolicy")
	return err == nil
}

func start(c *exec.Cmd) error { return c.Start() }

func lowerStarted(*exec.Cmd) {}
