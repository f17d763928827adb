//go:build !windows

package script

import (
	"os/exec"
	"syscall"
)

// prepare starts the child in its own process group, so the whole tree
// can be signalled at once.
func prepare(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

type treeHandle struct{}

func attach(cmd *exec.Cmd) (*treeHandle, error) { return &treeHandle{}, nil }

// killTree sends SIGKILL to the child's process group.
func killTree(cmd *exec.Cmd, _ *treeHandle) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
