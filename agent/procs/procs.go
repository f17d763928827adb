// Package procs is the agent's process manager: the toolbox methods that
// list the device's processes (through gopsutil, on every OS) and end a
// process or its tree. The agent itself, its ancestors and PID 0/1 are
// never ended.
package procs

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/process"
	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

// maxCmdline bounds one command line in a listing.
const maxCmdline = 4096

// sample is a process's CPU time at the previous listing; keyed by PID and
// start time, so a reused PID starts afresh.
type sample struct {
	cpu float64 // user+system seconds
	at  time.Time
}

type sampleKey struct {
	pid     int32
	started int64
}

var (
	mu      sync.Mutex
	samples = map[sampleKey]sample{}
)

func list(ctx context.Context, _ *toolbox.Call) (any, error) {
	ps, err := process.ProcessesWithContext(ctx)
	if err != nil {
		return nil, toolbox.Errorf(protocol.CallFailed, "list processes: %v", err)
	}
	now := time.Now()
	var out protocol.ProcessList
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		out.MemoryTotal = vm.Total
	}
	out.Processes = make([]protocol.Process, 0, len(ps))
	next := make(map[sampleKey]sample, len(ps))
	mu.Lock()
	prev := samples
	mu.Unlock()
	for _, p := range ps {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		name, err := p.NameWithContext(ctx)
		if err != nil {
			continue // gone meanwhile
		}
		e := protocol.Process{PID: p.Pid, Name: name}
		e.PPID, _ = p.PpidWithContext(ctx)
		e.User, _ = p.UsernameWithContext(ctx)
		if c, err := p.CmdlineWithContext(ctx); err == nil {
			if len(c) > maxCmdline {
				c = c[:maxCmdline]
			}
			e.Cmdline = c
		}
		if m, err := p.MemoryInfoWithContext(ctx); err == nil {
			e.MemoryRSS = m.RSS
			if out.MemoryTotal > 0 {
				e.MemoryPct = float32(float64(m.RSS) / float64(out.MemoryTotal) * 100)
			}
		}
		ct, _ := p.CreateTimeWithContext(ctx)
		if ct > 0 {
			e.Started = time.UnixMilli(ct).UTC()
		}
		if t, err := p.TimesWithContext(ctx); err == nil {
			cpu := t.User + t.System
			key := sampleKey{p.Pid, ct}
			next[key] = sample{cpu: cpu, at: now}
			if s, ok := prev[key]; ok && now.Sub(s.at) > 0 {
				e.CPUPercent = max(0, (cpu-s.cpu)/now.Sub(s.at).Seconds()*100)
			} else if !e.Started.IsZero() && now.Sub(e.Started) > 0 {
				e.CPUPercent = cpu / now.Sub(e.Started).Seconds() * 100
			}
		}
		out.Processes = append(out.Processes, e)
	}
	mu.Lock()
	samples = next
	mu.Unlock()
	return out, nil
}

// protected are the PIDs never ended: 0, 1, this agent and its ancestors
// (ending those would cut the technician off the device).
func protected(ctx context.Context) []int32 {
	pids := []int32{0, 1}
	pid := int32(os.Getpid())
	for range 64 {
		pids = append(pids, pid)
		p, err := process.NewProcessWithContext(ctx, pid)
		if err != nil {
			break
		}
		pp, err := p.PpidWithContext(ctx)
		if err != nil || pp <= 1 || pp == pid {
			break
		}
		pid = pp
	}
	return pids
}

// descendants returns the process tree under p.
func descendants(ctx context.Context, p *process.Process, depth int) []*process.Process {
	if depth > 64 {
		return nil
	}
	kids, err := p.ChildrenWithContext(ctx)
	if err != nil {
		return nil
	}
	var out []*process.Process
	for _, k := range kids {
		out = append(out, descendants(ctx, k, depth+1)...)
		out = append(out, k)
	}
	return out
}

func kill(ctx context.Context, c *toolbox.Call) (any, error) {
	var prm protocol.ProcessKill
	if err := c.Decode(&prm); err != nil {
		return nil, err
	}
	keep := protected(ctx)
	if slices.Contains(keep, prm.PID) {
		return nil, toolbox.Errorf(protocol.CallForbidden, "process %d is the agent, one of its parents or the system's first process; it is not ended", prm.PID)
	}
	p, err := process.NewProcessWithContext(ctx, prm.PID)
	if err != nil {
		return nil, toolbox.Errorf(protocol.CallNotFound, "no process %d", prm.PID)
	}
	// The tree is collected first, then ended from the top: a parent ended
	// first cannot react to its children's end (respawn them, or exit by
	// itself before its turn); the children keep their PIDs when orphaned.
	targets := []*process.Process{p}
	if prm.Tree {
		targets = append(targets, descendants(ctx, p, 0)...)
	}
	res := protocol.ProcessKilled{Killed: []int32{}}
	for _, t := range targets {
		if slices.Contains(keep, t.Pid) {
			continue
		}
		if err := t.KillWithContext(ctx); err != nil {
			if res.Failed == nil {
				res.Failed = map[string]string{}
			}
			if errors.Is(err, os.ErrProcessDone) {
				continue
			}
			res.Failed[strconv.Itoa(int(t.Pid))] = err.Error()
			continue
		}
		res.Killed = append(res.Killed, t.Pid)
	}
	if len(res.Killed) == 0 && len(res.Failed) > 0 {
		return nil, toolbox.Errorf(protocol.CallDenied, "could not end process %d: %s", prm.PID, res.Failed[strconv.Itoa(int(prm.PID))])
	}
	return res, nil
}

// Methods are the process manager's toolbox methods.
func Methods() []toolbox.Method {
	return []toolbox.Method{
		{Name: protocol.MethodProcessesList, Handler: list},
		{Name: protocol.MethodProcessesKill, Handler: kill},
	}
}
