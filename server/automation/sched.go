package automation

import (
	"container/heap"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Task actions.
const (
	ActionScript          = "script"
	ActionPatchScan       = "patch-scan"
	ActionPatchInstall    = "patch-install"
	ActionRebootIfNeeded  = "reboot-if-required"
	ActionSoftwareInstall = "software-install"
)

// maxFanout bounds the devices of one job the scheduler creates.
const maxFanout = 5000

// minWait is the shortest sleep between ticks: devices falling due
// within it start together, in one job per task.
const minWait = 250 * time.Millisecond

// key names one task on one device.
type key struct{ profile, task, device string }

// entry is one task on one device in the scheduler: its schedule state
// (NextRun orders the heap) and its fixed offset in the task's spread.
type entry struct {
	key
	client string
	offset time.Duration
	// loc is the zone the device's due times are read in (nil = the
	// schedule's own): its own or its client's for "device"/"client".
	loc  *time.Location
	st   store.AutoState
	seen uint64
	idx  int
}

// entryHeap is a min-heap of entries by next due time.
type entryHeap []*entry

func (h entryHeap) Len() int           { return len(h) }
func (h entryHeap) Less(i, j int) bool { return h[i].st.NextRun.Before(h[j].st.NextRun) }
func (h entryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *entryHeap) Push(x any) {
	e := x.(*entry)
	e.idx = len(*h)
	*h = append(*h, e)
}
func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.idx = -1
	return e
}

// load reads the configuration and the stored schedule states; the
// first tick reconciles them with the fleet.
func (w *Wing) load() error {
	cfg, err := w.loadConfig()
	if err != nil {
		return err
	}
	states, err := w.d.Store.AutoStates()
	if err != nil {
		return fmt.Errorf("load automation states: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cfg = cfg
	w.saved = make(map[key]store.AutoState, len(states))
	for _, st := range states {
		w.saved[key{st.ProfileID, st.TaskID, st.DeviceID}] = st
	}
	w.dirty = true
	return nil
}

// tick reconciles when due (or after a change), starts what is due at
// now, and returns how long to sleep before the next tick.
func (w *Wing) tick(now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dirty || !now.Before(w.nextRec) {
		w.reconcile(now)
		w.dirty = false
		w.nextRec = now.Add(w.d.Config.Reconcile)
	}
	w.fire(now)
	wait := w.nextRec.Sub(now)
	wait = min(wait, w.stepReboots(now))
	if len(w.heap) > 0 {
		wait = min(wait, w.heap[0].st.NextRun.Sub(now))
	}
	return max(wait, minWait)
}

// reconcile walks the fleet: an entry for every task in force on every
// device (a new one due at its next time, or at its stored one when the
// schedule is unchanged), none for the rest. New and dropped states are
// stored in one commit.
func (w *Wing) reconcile(now time.Time) {
	w.round++
	cfg := w.cfg
	w.samples = w.d.Fleet.Samples(w.samples[:0])
	czones := w.clientZones()
	var put, drop []store.AutoState
	for i := range w.samples {
		s := &w.samples[i]
		if s.Pending {
			continue
		}
		p, _ := cfg.resolve(s.ID, s.ClientID, s.Group)
		if p == nil {
			continue
		}
		for _, t := range cfg.tasksOf(p) {
			sc := cfg.compiled[taskKey{p.ID, t.ID}]
			if sc == nil || cfg.exempted(s.ID, p.ID, t.ID) {
				continue
			}
			k := key{p.ID, t.ID, s.ID}
			sig, loc := sigOf(t), (*time.Location)(nil)
			if sc.zone != "" {
				var zone string
				loc, zone = w.zoneFor(sc, s, czones)
				sig += "|" + zone
			}
			e := w.entries[k]
			switch {
			case e == nil:
				e = &entry{key: k, offset: offsetOf(s.ID, p.ID, t.ID, t.Spread), loc: loc}
				st, ok := w.saved[k]
				delete(w.saved, k)
				if ok && st.Sig == sig {
					e.st = st
				} else {
					e.st = store.AutoState{ProfileID: p.ID, TaskID: t.ID, DeviceID: s.ID, Sig: sig, NextRun: sc.next(now, e.offset, loc),
						LastRun: st.LastRun, RunID: st.RunID, JobID: st.JobID}
					put = append(put, e.st)
				}
				w.entries[k] = e
				heap.Push(&w.heap, e)
			case e.st.Sig != sig:
				e.offset, e.loc = offsetOf(s.ID, p.ID, t.ID, t.Spread), loc
				e.st.Sig, e.st.NextRun = sig, sc.next(now, e.offset, loc)
				heap.Fix(&w.heap, e.idx)
				put = append(put, e.st)
			}
			e.client, e.seen = s.ClientID, w.round
			if t.ID == PatchTaskID && s.Heartbeat.PendingReboot != !e.st.PendingSince.IsZero() {
				// When a reboot became pending, for the reboot policy.
				e.st.PendingSince = time.Time{}
				if s.Heartbeat.PendingReboot {
					e.st.PendingSince = now
				}
				put = append(put, e.st)
			}
		}
	}
	for k, e := range w.entries {
		if e.seen != w.round {
			heap.Remove(&w.heap, e.idx)
			delete(w.entries, k)
			drop = append(drop, e.st)
		}
	}
	for k, st := range w.saved {
		drop = append(drop, st)
		delete(w.saved, k)
	}
	if len(put)+len(drop) > 0 {
		if err := w.d.Store.SaveAutoStates(put, drop, nil); err != nil {
			w.d.Log.Error("save automation states", "err", err)
		}
	}
}

// batch is the devices of one task starting in one tick.
type batch struct {
	p        *store.AutoProfile
	t        *store.AutoTask
	req      api.JobRequest  // the job, its devices aside
	pre      *api.JobRequest // a job sent first (the message before a reboot)
	entries  []*entry
	dues     []time.Time
	deadline time.Time
}

// fire starts every entry due at now: skipped when past its deadline,
// while its previous run has not ended, offline for a task that does not
// wait, or (reboot if required) with no reboot pending; the rest start
// as one job per task. Each entry's next due time is computed from now,
// so a long outage runs an occurrence once, not once per missed one.
func (w *Wing) fire(now time.Time) {
	cfg := w.cfg
	var popped []*entry
	var logs []store.AutoRun
	batches := map[string]*batch{}
	var order []string
	for len(w.heap) > 0 && !w.heap[0].st.NextRun.After(now) {
		e := heap.Pop(&w.heap).(*entry)
		popped = append(popped, e)
		p := cfg.profiles[e.profile]
		sc := cfg.compiled[taskKey{e.profile, e.task}]
		t := cfg.task(e.profile, e.task)
		due := e.st.NextRun
		if t == nil || sc == nil { // changed meanwhile: the next reconcile drops it
			e.st.NextRun = now.Add(w.d.Config.Reconcile)
			continue
		}
		e.st.NextRun = sc.next(now, e.offset, e.loc)
		deadline := sc.next(due, e.offset, e.loc)
		if t.DeadlineMinutes > 0 {
			deadline = due.Add(time.Duration(t.DeadlineMinutes) * time.Minute)
		}
		log := store.AutoRun{ID: httpx.NewID("ar"), ProfileID: e.profile, TaskID: e.task, DeviceID: e.device, ClientID: e.client,
			Due: due, At: now}
		switch {
		case now.After(deadline):
			log.Outcome, log.Detail = store.AutoSkippedDeadline, "due at "+due.Format(time.RFC3339)+", found due after its deadline"
		case e.st.RunID != "" && !w.ended(e.st.RunID):
			log.Outcome, log.RunID, log.Detail = store.AutoSkippedRunning, e.st.RunID, "the previous run has not ended"
		default:
			v, ok := w.d.Fleet.View(e.device)
			switch {
			case !ok:
				log.Outcome, log.Detail = store.AutoFailed, "device not found"
			case !v.Online && t.SkipOffline:
				log.Outcome, log.Detail = store.AutoSkippedOffline, "offline at the due time"
			case t.Action == ActionRebootIfNeeded && !v.PendingReboot:
				log.Outcome, log.Detail = store.AutoNotRequired, "no reboot pending"
			default:
				req, pre, detail := jobRequest(t, nil), (*api.JobRequest)(nil), ""
				if t.ID == PatchTaskID {
					req, pre, detail = w.patchPlan(p.Patch, e, now)
				}
				if req.Kind == "" {
					log.Outcome, log.Detail = store.AutoNotRequired, detail
					break
				}
				// Devices whose jobs are the same share one.
				bk := e.profile + "\x00" + e.task + "\x00" + jobKey(&req)
				b := batches[bk]
				if b == nil || len(b.entries) >= maxFanout {
					if b != nil { // a full batch starts now; a new one collects the rest
						logs = append(logs, w.start(b, now)...)
					} else {
						order = append(order, bk)
					}
					b = &batch{p: p, t: t, req: req, pre: pre}
					batches[bk] = b
				}
				b.entries = append(b.entries, e)
				b.dues = append(b.dues, due)
				if deadline.After(b.deadline) {
					b.deadline = deadline
				}
				continue
			}
		}
		logs = append(logs, log)
	}
	for _, tk := range order {
		logs = append(logs, w.start(batches[tk], now)...)
	}
	if len(popped) == 0 {
		return
	}
	states := make([]store.AutoState, len(popped))
	for i, e := range popped {
		states[i] = e.st
		heap.Push(&w.heap, e)
	}
	if err := w.d.Store.SaveAutoStates(states, nil, logs); err != nil {
		w.d.Log.Error("save automation states", "err", err)
	}
	if w.d.Metrics != nil {
		n := map[string]int{}
		for i := range logs {
			n[logs[i].Outcome]++
		}
		for o, c := range n {
			w.d.Metrics.Scheduled(o, c)
		}
	}
}

// start creates a batch's job and records each device's run in its
// entry; it returns the log records.
func (w *Wing) start(b *batch, now time.Time) []store.AutoRun {
	ids := make([]string, len(b.entries))
	for i, e := range b.entries {
		ids[i] = e.device
	}
	req := b.req
	req.Devices = ids
	origin := fmt.Sprintf("automation: task %q of profile %q (%s/%s)", b.t.Name, b.p.Name, b.p.ID, b.t.ID)
	if b.pre != nil {
		pre := *b.pre
		pre.Devices = ids
		if _, _, _, err := w.d.Runner.RunAutomated(pre, origin, b.deadline); err != nil {
			w.d.Log.Error("automation message not sent", "profile", b.p.ID, "err", err)
		}
	}
	jobID, runs, skipped, err := w.d.Runner.RunAutomated(req, origin, b.deadline)
	sk := map[string]bool{}
	for _, id := range skipped {
		sk[id] = true
	}
	logs := make([]store.AutoRun, len(b.entries))
	for i, e := range b.entries {
		l := store.AutoRun{ID: httpx.NewID("ar"), ProfileID: e.profile, TaskID: e.task, DeviceID: e.device, ClientID: e.client,
			Due: b.dues[i], At: now, JobID: jobID}
		switch r, ok := runs[e.device]; {
		case err != nil:
			l.Outcome, l.Detail = store.AutoFailed, httpx.CleanText(err.Error(), 300)
		case sk[e.device] || !ok:
			l.Outcome, l.Detail = store.AutoFailed, "nothing may be sent to the device (pending approval or retired)"
		default:
			l.Outcome, l.RunID = store.AutoStarted, r
			e.st.RunID, e.st.JobID, e.st.LastRun = r, jobID, now
		}
		logs[i] = l
	}
	if err != nil {
		w.d.Log.Error("automation task not started", "profile", b.p.ID, "task", b.t.ID, "devices", len(ids), "err", err)
	}
	return logs
}

// ended reports whether a run the scheduler started has ended (or is
// gone).
func (w *Wing) ended(runID string) bool {
	r, err := w.d.Store.Run(runID)
	if errors.Is(err, store.ErrNotFound) {
		return true
	}
	return err == nil && store.Terminal(r.State)
}

func taskOf(p *store.AutoProfile, id string) *store.AutoTask {
	if p == nil {
		return nil
	}
	for i := range p.Tasks {
		if p.Tasks[i].ID == id {
			return &p.Tasks[i]
		}
	}
	return nil
}

// jobKey tells apart the jobs of one task that differ per device (a
// patch policy's patch lists).
func jobKey(r *api.JobRequest) string {
	k := r.Kind
	if r.Patch != nil {
		k += "|" + r.Patch.Reboot + "|" + strings.Join(r.Patch.IDs, "\x00")
	}
	return k
}

// jobRequest is the job a task's action makes.
func jobRequest(t *store.AutoTask, devices []string) api.JobRequest {
	req := api.JobRequest{Devices: devices, TimeoutSeconds: t.TimeoutSeconds}
	switch t.Action {
	case ActionScript:
		req.Kind, req.Library = protocol.KindScript, t.Library
	case ActionPatchScan:
		req.Kind = protocol.KindPatchScan
	case ActionPatchInstall:
		req.Kind, req.Patch = protocol.KindPatchInstall, &protocol.PatchInstall{Reboot: "never"}
	case ActionRebootIfNeeded:
		req.Kind, req.Power = protocol.KindPower, &protocol.PowerAction{Action: "reboot", DelaySeconds: 300,
			Message: "Scheduled maintenance: this computer restarts in 5 minutes to finish installing updates."}
	case ActionSoftwareInstall:
		req.Kind, req.Package = protocol.KindPackage, &protocol.PackageJob{Action: "install", Packages: t.Packages}
	}
	return req
}
