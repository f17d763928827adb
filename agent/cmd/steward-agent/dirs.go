package main

import (
	"os"
	"path/filepath"

	"github.com/steward-rmm/steward/agent/service"
)

// defaultDir is the root-owned configuration directory of the OS (under
// the staging root when one is set).
func defaultDir(root string) string {
	return service.DefaultLayout().WithRoot(root).ConfigDir
}

// openLogFile opens DIR/agent.log for appending, first moving a log past
// 10 MiB to agent.log.1 so it cannot fill the disk.
func openLogFile(dir string) (*os.File, error) {
	p := filepath.Join(dir, "agent.log")
	if fi, err := os.Stat(p); err == nil && fi.Size() > 10<<20 {
		_ = os.Rename(p, p+".1")
	}
	return os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
}
