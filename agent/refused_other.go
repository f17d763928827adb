//go:build !windows

package agent

import "syscall"

// errRefused is the OS's "connection refused" as a dial returns it.
var errRefused error = syscall.ECONNREFUSED
