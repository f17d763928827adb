//go:build !linux && !darwin && !windows

package shell

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
)

// startBackend: terminal sessions are implemented for Linux, macOS and
// Windows only.
func startBackend(Options, *slog.Logger) (backend, error) {
	return nil, fmt.Errorf("shell: terminal sessions on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
