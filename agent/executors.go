package agent

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/steward-rmm/steward/agent/script"
	"github.com/steward-rmm/steward/protocol"
)

// defaultExecutors maps job kinds to the OS executors.
func defaultExecutors(a *Agent) map[string]Executor {
	return map[string]Executor{
		protocol.KindScript: a.runScript,
	}
}

func (a *Agent) runScript(ctx context.Context, j protocol.Job, out func(string, []byte)) protocol.JobResult {
	if j.Script == nil {
		return protocol.JobResult{State: protocol.StateFailed, ExitCode: -1, Reason: "script job without a script"}
	}
	res := script.Run(ctx, script.Spec{Interpreter: j.Script.Interpreter, Body: j.Script.Body, Command: j.Script.Command,
		Args: j.Script.Args, Env: j.Script.Env, Timeout: time.Duration(j.Timeout) * time.Second,
		WorkDir: filepath.Join(a.cfg.Dir, "spool")}, out)
	return scriptResult(res)
}

// scriptResult maps a script outcome to a run's terminal state.
func scriptResult(res script.Result) protocol.JobResult {
	r := protocol.JobResult{ExitCode: res.ExitCode, Started: res.Started, Ended: res.Ended, Reason: res.Err}
	switch {
	case res.TimedOut:
		r.State = protocol.StateTimedOut
	case res.Cancelled:
		r.State = protocol.StateCancelled
	case res.Err != "":
		r.State = protocol.StateFailed
	case res.ExitCode == 0:
		r.State = protocol.StateSucceeded
	default:
		r.State, r.Reason = protocol.StateFailed, fmt.Sprintf("exit code %d", res.ExitCode)
	}
	return r
}

// collectHealth runs the OS health collectors.
func collectHealth(ctx context.Context, log *slog.Logger, scanPatches bool, prev protocol.PatchStatus, saw3010 bool) protocol.Health {
	return protocol.Health{Patches: prev}
}
