package agent

import "syscall"

// errRefused is the OS's "connection refused" as a dial returns it
// (WSAECONNREFUSED; syscall.ECONNREFUSED is not what Winsock reports).
var errRefused error = syscall.Errno(10061)
