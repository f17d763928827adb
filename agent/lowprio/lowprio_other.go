//go:build !linux && !windows && !darwin

package lowprio

import (
	"os/exec"
	"runtime"
	"syscall"
)

var goos = runtime.GOOS

func sysProcAttr() *syscall.SysProcAttr { return nil }

func haveTaskpolicy() bool { return false }

func start(c *exec.Cmd) error { return c.Start() }

func lowerStarted(*exec.Cmd) {}
