package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/steward-rmm/steward/agent/health"
	"github.com/steward-rmm/steward/agent/ops"
	"github.com/steward-rmm/steward/agent/script"
	"github.com/steward-rmm/steward/protocol"
)

// defaultExecutors maps job kinds to the OS executors.
func defaultExecutors(a *Agent) map[string]Executor {
	return map[string]Executor{
		protocol.KindScript:       a.runScript,
		protocol.KindService:      a.runService,
		protocol.KindServiceList:  a.runServiceList,
		protocol.KindPower:        a.runPower,
		protocol.KindPatchScan:    a.runPatchScan,
		protocol.KindPatchInstall: a.runPatchInstall,
		protocol.KindUninstall:    a.runUninstall,
		protocol.KindPackage:      a.runPackage,
		protocol.KindMessage:      a.runMessage,
	}
}

func (a *Agent) opsEnv() (string, ops.Runner) {
	goos, r := a.cfg.GOOS, a.cfg.OpsRunner
	if goos == "" {
		goos = runtime.GOOS
	}
	if r == nil {
		r = ops.Exec
	}
	return goos, r
}

func failed(reason string) protocol.JobResult {
	return protocol.JobResult{State: protocol.StateFailed, ExitCode: -1, Reason: reason}
}

func (a *Agent) runService(ctx context.Context, j protocol.Job, out func(string, []byte)) protocol.JobResult {
	if j.Service == nil {
		return failed("service job without a service")
	}
	goos, r := a.opsEnv()
	text, err := ops.ControlService(ctx, goos, j.Service.Name, j.Service.Action, r)
	if text != "" {
		out("stdout", []byte(text))
	}
	if err != nil {
		return failed(err.Error())
	}
	return protocol.JobResult{State: protocol.StateSucceeded}
}

func (a *Agent) runServiceList(ctx context.Context, j protocol.Job, out func(string, []byte)) protocol.JobResult {
	goos, r := a.opsEnv()
	svcs, err := ops.ListServices(ctx, goos, r)
	if err != nil {
		return failed(err.Error())
	}
	b, _ := json.Marshal(svcs)
	return protocol.JobResult{State: protocol.StateSucceeded, Data: b}
}

// runPower records the action as initiated, and waits for the server to
// store that, before the OS is told to go down: the run never dangles
// because the device vanished mid-report.
func (a *Agent) runPower(ctx context.Context, j protocol.Job, out func(string, []byte)) protocol.JobResult {
	if j.Power == nil {
		return failed("power job without an action")
	}
	goos, r := a.opsEnv()
	var sessions map[string][]string
	if j.Power.Action == "logoff" {
		sessions = loggedIn(ctx, goos, r)
	}
	plan, err := ops.PowerPlan(goos, ops.PowerAction{Kind: j.Power.Action, Delay: time.Duration(j.Power.DelaySeconds) * time.Second,
		Message: j.Power.Message, User: j.Power.User}, sessions)
	if err != nil {
		return failed(err.Error())
	}
	data, _ := json.Marshal(map[string]any{"action": j.Power.Action, "initiated_at": time.Now().UTC(),
		"delay_seconds": j.Power.DelaySeconds, "commands": plan})
	res := protocol.JobResult{RunID: j.RunID, State: protocol.StateSucceeded, Data: data, Started: time.Now().UTC(), Ended: time.Now().UTC()}
	if j.Power.Action != "logoff" {
		if err := a.spool.Finish(res); err != nil {
			return failed(err.Error())
		}
		a.sendResult(res)
		a.waitAck(j.RunID, 5*time.Second)
	}
	text, err := ops.RunPlan(ctx, r, plan)
	if text != "" {
		out("stdout", []byte(text))
	}
	if err != nil {
		return failed(err.Error())
	}
	return res
}

// loggedIn maps logged-in users to their session ids (Windows logoff).
func loggedIn(ctx context.Context, goos string, r ops.Runner) map[string][]string {
	out := map[string][]string{}
	switch goos {
	case "windows":
		// The collectors' parser: it skips the header only when there
		// is one (quser prints rows alone on some systems).
		b, _ := r(ctx, "quser.exe")
		for _, u := range health.ParseQuser(b, time.Now()) {
			out[u.User] = append(out[u.User], u.Session)
		}
	case "linux":
		b, _ := r(ctx, "loginctl", "list-users", "--no-legend")
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 {
				out[f[1]] = nil
			}
		}
	}
	return out
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
