//go:build !windows

package files

import (
	"os"
	"syscall"
)

// openFlags opens without blocking, so opening a FIFO that slipped past the
// Lstat check (a race) returns at once and fstat then refuses it.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY

// clearNonblock puts a regular file back to blocking reads (O_NONBLOCK has
// no effect on regular files; this is for clarity only).
func clearNonblock(*os.File) {}
