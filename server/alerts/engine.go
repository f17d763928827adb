package alerts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/events"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// alertKey names one check on one target of one device: at most one
// unresolved alert exists per key.
type alertKey struct{ device, profile, check, target string }

// checkState is the lifecycle of one key between evaluations.
type checkState struct {
	key                        alertKey
	fails, crits, passes, calm int
	alert                      *store.Alert // the unresolved alert, if any
	suppressed                 string       // window the current failing run was recorded under
	seen                       uint64       // the last round that evaluated it
	last                       result       // the last known result, when known
	known                      bool
}

func sevRank(s string) int {
	switch s {
	case SevInformation:
		return 0
	case SevWarning:
		return 1
	case SevCritical:
		return 2
	}
	return -1
}

// Start loads the configuration, the unresolved alerts and the latest
// reports.
func (w *Wing) Start() error {
	cfg, err := loadConfig(w.d.Store)
	if err != nil {
		return err
	}
	un, err := w.d.Store.UnresolvedAlerts()
	if err != nil {
		return fmt.Errorf("load alerts: %w", err)
	}
	invs, err := w.d.Store.Inventories()
	if err != nil {
		return fmt.Errorf("load inventories: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cfg, w.started = cfg, w.d.Now()
	for i := range un {
		a := un[i]
		k := alertKey{a.DeviceID, a.ProfileID, a.CheckID, a.CheckTarget}
		w.checks[k] = &checkState{key: k, alert: &a}
		w.byID[a.ID] = k
	}
	for _, rec := range invs {
		if inv, err := fleet.DecodeInventory(rec); err == nil {
			d := w.dev(rec.DeviceID)
			d.setInventory(&inv)
			d.inventoryAt = rec.UpdatedAt
		}
	}
	for after := ""; ; {
		page, err := w.d.Store.Healths(after, 500)
		if err != nil {
			return fmt.Errorf("load health: %w", err)
		}
		if len(page) == 0 {
			break
		}
		for _, rec := range page {
			h, err := fleet.DecodeHealth(rec)
			if err != nil {
				continue
			}
			d := w.dev(rec.DeviceID)
			d.setHealth(&h)
			d.healthAt = rec.UpdatedAt
			// The report's time stands in for when these began: what was
			// pending before a restart is not known more exactly.
			if h.Reboot.Pending {
				d.rebootSince = rec.UpdatedAt
			}
			for _, pt := range h.Patches.Available {
				if pt.Security {
					d.securitySince = rec.UpdatedAt
					break
				}
			}
		}
		after = page[len(page)-1].DeviceID
	}
	w.recount()
	return nil
}

func (w *Wing) dev(id string) *devState {
	d := w.devs[id]
	if d == nil {
		d = &devState{}
		w.devs[id] = d
	}
	return d
}

// Run evaluates every Interval until ctx ends.
func (w *Wing) Run(ctx context.Context) {
	go w.probeLoop(ctx)
	go w.scriptLoop(ctx)
	t := time.NewTicker(w.d.Config.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.Evaluate()
		}
	}
}

// InventoryReported takes a device's inventory as the agent link received
// it (also when unchanged): its disks for the disk checks.
func (w *Wing) InventoryReported(id string, inv *protocol.Inventory) {
	now := w.d.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	d := w.dev(id)
	if inv != nil {
		d.setInventory(inv)
	}
	d.inventoryAt = now
}

// HealthReported takes a device's health report: its services, pending
// reboot and patches.
func (w *Wing) HealthReported(id string, h *protocol.Health) {
	now := w.d.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	d := w.dev(id)
	d.setHealth(h)
	d.healthAt = now
}

// since keeps the time a condition began: now when it starts, zero when
// it ends.
func since(t *time.Time, on bool, now time.Time) {
	switch {
	case !on:
		*t = time.Time{}
	case t.IsZero():
		*t = now
	}
}

// Evaluate runs every check in force on every device once.
func (w *Wing) Evaluate() {
	now := w.d.Now()
	w.mu.Lock()
	buf := w.samples[:0]
	w.mu.Unlock()
	buf = w.d.Fleet.Samples(buf)
	var changes []Change
	var due []scriptStart
	w.mu.Lock()
	w.samples = buf
	w.round++
	for i := range buf {
		s := &buf[i]
		d := w.dev(s.ID)
		d.seen = w.round // kept (with its reports) while it exists
		if s.Pending {
			continue // not yet approved: not monitored
		}
		hb := s.Heartbeat
		if hb.Seq != d.lastSeq && !s.LastSeen.IsZero() {
			d.ring.add(s.LastSeen, hb.CPUPercent, hb.MemPercent)
			d.lastSeq = hb.Seq
		}
		since(&d.rebootSince, hb.PendingReboot, now)
		since(&d.securitySince, hb.SecurityPatches > 0, now)
		p, _ := w.cfg.resolve(s)
		if p == nil {
			continue
		}
		win := w.cfg.window(s, now)
		f := facts{s: s, now: now, dev: d, started: w.started, profile: p.ID, round: w.round, scripts: w.scripts, due: &due,
			minute: w.d.Config.ScriptMinute}
		for ci := range p.Checks {
			c := &p.Checks[ci]
			if w.cfg.exempted(s.ID, p.ID, c.ID) {
				continue
			}
			w.results = evaluate(w.results[:0], c, &f)
			for _, r := range w.results {
				st := d.state(p.ID, c.ID, r.target)
				if st == nil {
					k := alertKey{s.ID, p.ID, c.ID, r.target}
					if st = w.checks[k]; st == nil { // else loaded at start
						st = &checkState{key: k}
						w.checks[k] = st
					}
					w.monDirty = w.monDirty || len(d.states) == 0
					d.states = append(d.states, st)
				}
				st.seen = w.round
				w.step(st, st.key, s, p, c, r, win, now)
			}
		}
	}
	w.evalMonitors(now)
	for k, ss := range w.scripts {
		if ss.seen != w.round && !ss.starting && ss.running == "" {
			delete(w.scripts, k) // no longer in force
		}
	}
	for id, d := range w.devs {
		if d.seen != w.round && d.seen != 0 {
			delete(w.devs, id) // a deleted device
			w.monDirty = true
		}
	}
	// A check no longer in force (unassigned, exempted, deleted device)
	// resolves its alert.
	for k, st := range w.checks {
		if st.seen == w.round {
			continue
		}
		if st.alert != nil {
			w.resolve(st, "", "the check no longer applies to this device", now)
		}
		delete(w.checks, k)
		if d := w.devs[k.device]; d != nil {
			d.drop(st)
			w.monDirty = w.monDirty || len(d.states) == 0
		}
	}
	w.flush(&changes)
	if len(changes) > 0 { // every stored alert change is one; nothing else moves the counts
		w.recount()
	}
	if w.monDirty || w.monitored.Load() == nil {
		m := make(map[string]bool, len(w.devs))
		for id, d := range w.devs {
			if len(d.states) > 0 {
				m[id] = true
			}
		}
		w.monitored.Store(&m)
		w.monDirty = false
	}
	w.mu.Unlock()
	w.startScripts(due)
	w.tell(changes)
}

// step advances one key's lifecycle by one evaluation.
func (w *Wing) step(st *checkState, k alertKey, s *fleet.Sample, p *store.Profile, c *store.Check, r result,
	win *store.MaintenanceWindow, now time.Time) {
	fa, pa := failAfter(c), passAfter(c)
	if a := st.alert; a != nil && a.Status == store.AlertSnoozed && !now.Before(a.SnoozedUntil) {
		next := *a
		next.Status, next.SnoozedUntil, next.UpdatedAt = store.AlertOpen, time.Time{}, now
		w.update(st, next, "reopened", "", "the snooze ended", now)
		return // one write per key and evaluation
	}
	if r.unknown {
		return
	}
	st.last, st.known = r, true
	if r.sev == "" {
		st.fails, st.crits, st.calm, st.suppressed = 0, 0, 0, ""
		st.passes++
		if st.alert != nil && st.passes >= pa {
			w.resolve(st, "", "the check passes again", now)
		}
		return
	}
	st.passes = 0
	st.fails++
	if r.sev == SevCritical {
		st.crits++
	} else {
		st.crits = 0
	}
	sev := r.sev
	if sev == SevCritical && kinds[c.Kind].thresholds && st.crits < fa {
		sev = SevWarning // critical only after fa critical evaluations in a row
	}
	if st.alert == nil {
		if st.fails < fa {
			return
		}
		if win != nil {
			if st.suppressed != win.ID {
				st.suppressed = win.ID
				w.suppress(win, s, c, r, sev, now)
			}
			return
		}
		w.raise(st, k, s, p, c, r, sev, now)
		return
	}
	a := *st.alert
	switch {
	case sevRank(sev) > sevRank(a.Severity):
		st.calm = 0
		a.Severity, a.Detail, a.UpdatedAt = sev, r.detail(), now
		w.update(st, a, "escalated", "", "", now)
	case sevRank(sev) < sevRank(a.Severity):
		if st.calm++; st.calm >= pa {
			st.calm = 0
			a.Severity, a.Detail, a.UpdatedAt = sev, r.detail(), now
			w.update(st, a, "deescalated", "", "", now)
		}
	default:
		st.calm = 0
	}
}

func checkName(kind, target string) string {
	if target == "" {
		return kind
	}
	return kind + " " + target
}

func (w *Wing) raise(st *checkState, k alertKey, s *fleet.Sample, p *store.Profile, c *store.Check, r result, sev string,
	now time.Time) {
	a := store.Alert{ID: httpx.NewID("al"), DeviceID: s.ID, ClientID: s.ClientID, DeviceName: s.Hostname, ClientName: s.ClientName,
		DeviceType: s.DeviceType, ProfileID: p.ID, ProfileName: p.Name, CheckID: c.ID, CheckKind: c.Kind, CheckTarget: r.target,
		Severity: sev, Category: kinds[c.Kind].category, Title: r.title(), Detail: r.detail(), Status: store.AlertOpen,
		CreatedAt: now, UpdatedAt: now}
	st.calm = 0
	w.ops = append(w.ops, &op{st: st, k: k, create: true, a: a,
		ev: store.AlertEvent{Kind: "raised", Severity: sev, Detail: r.detail(), At: now}})
}

// update queues a changed alert with its event; flush stores it and
// then keeps it in memory.
func (w *Wing) update(st *checkState, a store.Alert, kind, by, reason string, now time.Time) *op {
	o := &op{st: st, a: a, ev: store.AlertEvent{Kind: kind, Severity: a.Severity, Detail: a.Detail, By: by, Reason: reason, At: now}}
	w.ops = append(w.ops, o)
	return o
}

func (w *Wing) resolve(st *checkState, by, reason string, now time.Time) *op {
	a := *st.alert
	a.Status, a.ResolvedAt, a.ResolvedBy, a.Reason, a.UpdatedAt, a.SnoozedUntil = store.AlertResolved, now, by, reason, now, time.Time{}
	st.fails, st.crits, st.passes, st.calm = 0, 0, 0, 0
	return w.update(st, a, "resolved", by, reason, now)
}

func (w *Wing) suppress(win *store.MaintenanceWindow, s *fleet.Sample, c *store.Check, r result, sev string, now time.Time) {
	w.ops = append(w.ops, &op{suppressed: &store.SuppressedAlert{ID: httpx.NewID("sp"), WindowID: win.ID, DeviceID: s.ID,
		ClientID: s.ClientID, DeviceName: s.Hostname, CheckKind: checkName(c.Kind, r.target), Severity: sev, Title: r.title(), At: now}})
}

// op is one queued alert write. An evaluation queues at most one per key
// and stores them together at its end, concurrently, so that an outage
// of thousands of devices is a few batched commits rather than one
// commit per alert; what was stored then changes the memory, in order.
type op struct {
	st         *checkState
	k          alertKey
	create     bool
	a          store.Alert
	ev         store.AlertEvent
	suppressed *store.SuppressedAlert
	err        error
}

// writers is how many queued writes run at once.
const writers = 64

// flush stores the queued writes and applies those stored, appending
// their changes.
func (w *Wing) flush(changes *[]Change) {
	ops := w.ops
	w.ops = nil
	if len(ops) == 0 {
		return
	}
	work := make(chan *op)
	var wg sync.WaitGroup
	for range min(writers, len(ops)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				switch {
				case o.suppressed != nil:
					o.err = w.d.Store.AddSuppressed(*o.suppressed)
				case o.create:
					o.err = w.d.Store.CreateAlert(o.a, o.ev)
				default:
					o.err = w.d.Store.UpdateAlert(o.a, o.ev)
				}
			}
		}()
	}
	for _, o := range ops {
		work <- o
	}
	close(work)
	wg.Wait()
	for _, o := range ops {
		if o.err != nil {
			// Memory keeps the state before: the next evaluation tries again.
			if !errors.Is(o.err, store.ErrExists) {
				w.d.Log.Error("store alert", "alert", o.a.ID, "device", o.a.DeviceID, "err", o.err)
			}
			continue
		}
		if o.suppressed != nil {
			continue
		}
		a := o.a
		switch {
		case o.create:
			o.st.alert = &a
			w.byID[a.ID] = o.k
		case a.Status == store.AlertResolved:
			o.st.alert = nil
			delete(w.byID, a.ID)
		default:
			o.st.alert = &a
		}
		*changes = append(*changes, change(o.ev.Kind, &a, o.ev.At, o.ev.By, o.ev.Reason))
	}
}

func change(kind string, a *store.Alert, now time.Time, by, reason string) Change {
	return Change{Kind: kind, AlertID: a.ID, ClientID: a.ClientID, ClientName: a.ClientName, DeviceID: a.DeviceID,
		DeviceName: a.DeviceName, Severity: a.Severity, Category: a.Category, Check: checkName(a.CheckKind, a.CheckTarget),
		Title: a.Title, Detail: a.Detail, ProfileID: a.ProfileID, ProfileName: a.ProfileName, At: now, By: by, Reason: reason}
}

// recount counts unresolved alerts per device and severity and hands the
// changed device counts to the fleet (for the device list).
func (w *Wing) recount() {
	counts := make(map[string]fleet.AlertCounts, len(w.counts))
	w.open = [3]int{}
	for _, st := range w.checks {
		a := st.alert
		if a == nil {
			continue
		}
		c := counts[a.DeviceID]
		if !slices.Contains(c.Categories, a.Category) {
			c.Categories = append(c.Categories, a.Category)
		}
		switch a.Severity {
		case SevInformation:
			c.Information++
			w.open[0]++
		case SevWarning:
			c.Warning++
			w.open[1]++
		case SevCritical:
			c.Critical++
			w.open[2]++
		}
		counts[a.DeviceID] = c
	}
	for id, c := range counts {
		slices.Sort(c.Categories)
		if old, ok := w.counts[id]; !ok || old.Information != c.Information || old.Warning != c.Warning ||
			old.Critical != c.Critical || !slices.Equal(old.Categories, c.Categories) {
			w.d.Fleet.SetAlertCounts(id, c)
		}
	}
	for id := range w.counts {
		if _, ok := counts[id]; !ok {
			w.d.Fleet.SetAlertCounts(id, fleet.AlertCounts{})
		}
	}
	w.counts = counts
}

// tell publishes changes on the event bus and to the Notifier.
func (w *Wing) tell(changes []Change) {
	for _, c := range changes {
		if w.d.Bus != nil {
			w.d.Bus.Publish(events.Event{Type: "alert", ID: c.AlertID, ClientID: c.ClientID, DeviceID: c.DeviceID, State: c.Kind})
		}
	}
	if w.d.Notifier != nil && len(changes) > 0 {
		w.d.Notifier.AlertsChanged(changes)
	}
}

var (
	errResolved = errors.New("the alert is resolved")
	errNoAlert  = errors.New("alert not found")
)

// Resolve resolves an unresolved alert by hand.
func (w *Wing) Resolve(id, by, reason string) (store.Alert, error) {
	return w.manual(id, func(st *checkState, now time.Time) *op { return w.resolve(st, by, reason, now) })
}

// Snooze snoozes an unresolved alert until a time.
func (w *Wing) Snooze(id, by, reason string, until time.Time) (store.Alert, error) {
	return w.manual(id, func(st *checkState, now time.Time) *op {
		a := *st.alert
		a.Status, a.SnoozedUntil, a.UpdatedAt = store.AlertSnoozed, until, now
		return w.update(st, a, "snoozed", by, reason, now)
	})
}

func (w *Wing) manual(id string, fn func(st *checkState, now time.Time) *op) (store.Alert, error) {
	now := w.d.Now()
	var changes []Change
	w.mu.Lock()
	k, ok := w.byID[id]
	st := w.checks[k]
	if !ok || st == nil || st.alert == nil {
		w.mu.Unlock()
		a, err := w.d.Store.Alert(id)
		if err == nil && a.Status == store.AlertResolved {
			return a, errResolved
		}
		return a, errNoAlert
	}
	o := fn(st, now)
	w.flush(&changes)
	if o.err != nil {
		w.mu.Unlock()
		return store.Alert{}, fmt.Errorf("%w: %w", errStore, o.err)
	}
	w.recount()
	w.mu.Unlock()
	w.tell(changes)
	return w.d.Store.Alert(id)
}

var errStore = errors.New("storage failed")

// state returns the last result of a check on a device, for the checks
// in force.
func (w *Wing) state(device, profile, check string) (sev, detail string, known bool) {
	var worst *checkState
	for k, st := range w.checks {
		if k.device != device || k.profile != profile || k.check != check {
			continue
		}
		if worst == nil || (st.known && !worst.known) || (st.known && sevRank(st.last.sev) > sevRank(worst.last.sev)) {
			worst = st
		}
	}
	if worst == nil || !worst.known {
		return "", "", false
	}
	detail = worst.last.detail()
	if t := worst.last.target; t != "" && detail != "" && !strings.Contains(worst.last.title(), t) {
		detail = t + ": " + detail
	}
	return worst.last.sev, detail, true
}
