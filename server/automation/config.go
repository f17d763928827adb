package automation

import (
	"fmt"

	"github.com/steward-rmm/steward/server/assign"
	"github.com/steward-rmm/steward/server/store"
)

// config is the automation configuration in memory: read at start and
// again after every change through the API, so the scheduler reads no
// storage to know what is in force.
type config struct {
	profiles map[string]*store.AutoProfile
	assign   assign.Table
	exempt   map[exemptKey]store.AutoExemption
	// compiled holds each task's compiled schedule by profile and task.
	compiled map[taskKey]*schedule
	// patchTask is each patch policy as the scheduler runs it: a task of
	// its own (PatchTaskID) due at the window's start.
	patchTask map[string]*store.AutoTask
	approved  map[approvalKey]store.PatchApproval
}

type approvalKey struct{ client, patch string }

// tasksOf lists a profile's tasks with its patch policy's.
func (c *config) tasksOf(p *store.AutoProfile) []*store.AutoTask {
	out := make([]*store.AutoTask, 0, len(p.Tasks)+1)
	for i := range p.Tasks {
		out = append(out, &p.Tasks[i])
	}
	if t := c.patchTask[p.ID]; t != nil {
		out = append(out, t)
	}
	return out
}

// task finds a profile's task, its patch policy's included.
func (c *config) task(profileID, taskID string) *store.AutoTask {
	if taskID == PatchTaskID {
		return c.patchTask[profileID]
	}
	return taskOf(c.profiles[profileID], taskID)
}

type exemptKey struct{ device, profile, task string }

type taskKey struct{ profile, task string }

// loadConfig reads the configuration and compiles every task's schedule
// (a task whose schedule no longer compiles, e.g. a time zone the system
// lost, is logged and not scheduled).
func (w *Wing) loadConfig() (*config, error) {
	st := w.d.Store
	c := &config{profiles: map[string]*store.AutoProfile{}, assign: assign.Table{},
		exempt: map[exemptKey]store.AutoExemption{}, compiled: map[taskKey]*schedule{}, patchTask: map[string]*store.AutoTask{},
		approved: map[approvalKey]store.PatchApproval{}}
	ps, err := st.AutoProfiles()
	if err != nil {
		return nil, fmt.Errorf("load automation profiles: %w", err)
	}
	for i := range ps {
		p := &ps[i]
		c.profiles[p.ID] = p
		for j := range p.Tasks {
			t := &p.Tasks[j]
			s, err := compile(&t.Schedule, w.d.Config.TimeZone, w.d.Config.MinEvery)
			if err != nil {
				w.d.Log.Error("automation task not scheduled", "profile", p.ID, "task", t.ID, "err", err)
				continue
			}
			c.compiled[taskKey{p.ID, t.ID}] = s
		}
		if p.Patch != nil {
			t := patchPolicyTask(p.Patch)
			s, err := compile(&t.Schedule, w.d.Config.TimeZone, w.d.Config.MinEvery)
			if err != nil {
				w.d.Log.Error("patch policy not scheduled", "profile", p.ID, "err", err)
				continue
			}
			c.patchTask[p.ID], c.compiled[taskKey{p.ID, t.ID}] = t, s
		}
	}
	aps, err := st.PatchApprovals()
	if err != nil {
		return nil, fmt.Errorf("load patch approvals: %w", err)
	}
	for _, a := range aps {
		c.approved[approvalKey{a.ClientID, a.PatchID}] = a
	}
	as, err := st.AutoAssignments()
	if err != nil {
		return nil, fmt.Errorf("load automation assignments: %w", err)
	}
	c.assign = assign.NewTable(as)
	es, err := st.AutoExemptions("")
	if err != nil {
		return nil, fmt.Errorf("load automation exemptions: %w", err)
	}
	for _, e := range es {
		c.exempt[exemptKey{e.DeviceID, e.ProfileID, e.TaskID}] = e
	}
	return c, nil
}

// resolve finds the profile in force on a device: the one assigned at
// its narrowest level (the device, its folder, its client, everything).
func (c *config) resolve(deviceID, clientID, folder string) (*store.AutoProfile, store.ProfileAssignment) {
	return assign.Resolve(c.assign, c.profiles, deviceID, clientID, folder)
}

// exempted reports whether a task of a profile is exempted on a device.
func (c *config) exempted(device, profile, task string) bool {
	_, ok := c.exempt[exemptKey{device, profile, task}]
	return ok
}

// reload reads the configuration again and has the scheduler reconcile.
func (w *Wing) reload() error {
	cfg, err := w.loadConfig()
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.cfg = cfg
	w.mu.Unlock()
	w.changed()
	return nil
}
