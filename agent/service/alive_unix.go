//go:build !windows

package service

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with this PID exists (EPERM means
// it does, owned by another user such as root).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
