package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/steward-rmm/steward/agent/health"
	"github.com/steward-rmm/steward/agent/health/install"
	"github.com/steward-rmm/steward/agent/ops"
	"github.com/steward-rmm/steward/protocol"
)

// healthEnv is the environment of the OS health collectors, made once:
// on Windows it holds the registry and Windows Update Agent handles.
type healthEnv struct {
	once sync.Once
	env  health.Env
}

func (a *Agent) healthEnvironment() health.Env {
	a.hEnv.once.Do(func() {
		// health.Default runs the collectors' tools at low priority.
		e := health.Default(a.log)
		if a.cfg.HealthRoot != "" {
			e.Root = a.cfg.HealthRoot
		}
		if a.cfg.GOOS != "" {
			e.GOOS = a.cfg.GOOS
		}
		if a.cfg.HealthRunner != nil {
			e.Run = a.cfg.HealthRunner
		}
		a.hEnv.env = e
	})
	return a.hEnv.env
}

// installEnvironment is the health environment for installs a technician
// asked for: the OS tools run at normal priority (a patch install at idle
// I/O priority could take hours on a busy disk).
func (a *Agent) installEnvironment() health.Env {
	e := a.healthEnvironment()
	if a.cfg.HealthRunner == nil {
		e.Run = ops.Exec
	}
	return e
}

// runPatchScan checks for available patches now (refreshing the package
// cache first) and reports the new health at once.
func (a *Agent) runPatchScan(ctx context.Context, j protocol.Job, out func(string, []byte)) protocol.JobResult {
	st := health.Patches(ctx, a.healthEnvironment(), true)
	a.mu.Lock()
	a.health.Patches = st
	a.mu.Unlock()
	a.collectHealth(ctx, false, true)
	data, _ := json.Marshal(map[string]any{"source": st.Source, "available": len(st.Available), "error": st.Error})
	if st.Error != "" {
		r := failed("patch scan: " + st.Error)
		r.Data = data
		return r
	}
	return protocol.JobResult{State: protocol.StateSucceeded, Data: data}
}

// runPatchInstall installs all or the selected patches, reports what was
// installed and what failed, and reboots afterwards when the policy says
// so and the OS needs it.
func (a *Agent) runPatchInstall(ctx context.Context, j protocol.Job, out func(string, []byte)) protocol.JobResult {
	p := protocol.PatchInstall{}
	if j.Patch != nil {
		p = *j.Patch
	}
	env := a.installEnvironment()
	res := install.Patches(ctx, env, p, out)
	if res.RebootRequired && env.GOOS == "windows" {
		a.mu.Lock()
		a.saw3010 = true
		a.mu.Unlock()
	}
	// What is left to install, and whether a reboot is now pending.
	a.mu.Lock()
	a.health.Patches = health.Patches(ctx, env, false)
	a.mu.Unlock()
	a.collectHealth(ctx, false, true)
	data, _ := json.Marshal(res)
	r := protocol.JobResult{RunID: j.RunID, State: protocol.StateSucceeded, Data: data, Started: time.Now().UTC()}
	switch {
	case len(res.Failed) > 0 && len(res.Installed) == 0:
		r.State, r.ExitCode, r.Reason = protocol.StateFailed, 1, fmt.Sprintf("%d patches failed", len(res.Failed))
	case len(res.Failed) > 0:
		r.State, r.ExitCode, r.Reason = protocol.StateFailed, 1,
			fmt.Sprintf("%d installed, %d failed", len(res.Installed), len(res.Failed))
	}
	if !res.RebootRequired || p.Reboot != "if-required" {
		return r
	}
	// Store and report the result before the OS goes down, as power jobs do.
	goos, run := a.opsEnv()
	plan, err := ops.PowerPlan(goos, ops.PowerAction{Kind: "reboot", Delay: time.Minute,
		Message: "Steward: restarting in one minute to finish installing updates"}, nil)
	if err != nil {
		r.Reason = "reboot needed but not started: " + err.Error()
		return r
	}
	r.Reason = "rebooting in one minute to finish the install"
	r.Ended = time.Now().UTC()
	if err := a.spool.Finish(r); err != nil {
		return failed(err.Error())
	}
	a.sendResult(r)
	a.waitAck(j.RunID, 5*time.Second)
	if text, err := ops.RunPlan(ctx, run, plan); err != nil {
		a.log.Error("reboot after patch install", "err", err, "output", text)
	}
	return r
}

// runUninstall removes one installed package or application.
func (a *Agent) runUninstall(ctx context.Context, j protocol.Job, out func(string, []byte)) protocol.JobResult {
	if j.Software == nil || j.Software.ID == "" {
		return failed("uninstall job without a software id")
	}
	env := a.installEnvironment()
	code, err := install.Uninstall(ctx, env, j.Software.ID, out)
	if errors.Is(err, install.ErrUninstallUnsupported) {
		return failed(err.Error())
	}
	if err != nil {
		return failed("uninstall: " + err.Error())
	}
	if code == 3010 && env.GOOS == "windows" {
		a.mu.Lock()
		a.saw3010 = true
		a.mu.Unlock()
		code = 0
	}
	a.collectHealth(ctx, false, true)
	if code != 0 {
		r := failed(fmt.Sprintf("uninstaller exit code %d", code))
		r.ExitCode = code
		return r
	}
	return protocol.JobResult{State: protocol.StateSucceeded}
}
