package agent

import (
	"context"
	"errors"
	"os/exec"

	"github.com/steward-rmm/steward/protocol"
)

type streamWriter struct {
	name string
	out  func(string, []byte)
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.out(w.name, append([]byte(nil), p...))
	return len(p), nil
}

func runScript(ctx context.Context, j protocol.Job, out func(string, []byte)) protocol.JobResult {
	sc := j.Script
	var cmd *exec.Cmd
	if len(sc.Command) > 0 {
		cmd = exec.CommandContext(ctx, sc.Command[0], sc.Command[1:]...)
	} else {
		cmd = exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", sc.Body, "script"}, sc.Args...)...)
	}
	cmd.Stdout = streamWriter{"stdout", out}
	cmd.Stderr = streamWriter{"stderr", out}
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return protocol.JobResult{State: protocol.StateSucceeded}
	case errors.As(err, &ee):
		return protocol.JobResult{State: protocol.StateFailed, ExitCode: ee.ExitCode(), Reason: "exit status"}
	default:
		return protocol.JobResult{State: protocol.StateFailed, ExitCode: -1, Reason: err.Error()}
	}
}
