package alerts

import (
	"context"
	"fmt"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
)

// KindNetwork is a network monitor's check: not part of a profile, one
// per monitor, whose device is the monitor itself.
const KindNetwork = "network"

// Prober runs a network probe on a device's agent (the toolbox channel,
// through the wiring). An error means the agent could not be asked (it
// is offline, busy, or refused the call), not that the address failed.
type Prober interface {
	Probe(ctx context.Context, deviceID, method string, p protocol.NetProbeParams) (protocol.NetProbeResult, error)
}

// maxProbes bounds the probes in flight at once (all monitors).
const maxProbes = 32

// netProfile and the monitor check are what a monitor's alerts are keyed
// and titled by.
var netProfile = store.Profile{ID: "monitor", Name: "Network monitor"}

// netState is a monitor's probing between evaluations.
type netState struct {
	inflight  bool
	next      time.Time // the next probe is due then
	seq, used uint64    // results received; the last one evaluated
	res       protocol.NetProbeResult
	callErr   string // the agent could not be asked
	at        time.Time
	last      result // the last evaluated result
	lastKnown bool
}

// netMethod is the probe method of a monitor kind.
func netMethod(kind string) string {
	switch kind {
	case store.NetHTTP:
		return protocol.MethodNetProbeHTTP
	case store.NetTLS:
		return protocol.MethodNetProbeTLS
	}
	return protocol.MethodNetProbeTCP
}

// netDeviceType is how a monitor shows among devices.
func netDeviceType(kind string) string {
	if kind == store.NetTCP {
		return fleet.TypeTCP
	}
	return fleet.TypeHTTP
}

// probeLoop starts the probes that are due, every second, until ctx ends.
func (w *Wing) probeLoop(ctx context.Context) {
	if w.d.Prober == nil {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.probeDue(ctx)
		}
	}
}

// probeDue starts each due monitor's probe that is not already running,
// within maxProbes.
func (w *Wing) probeDue(ctx context.Context) {
	now := w.d.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.cfg.monitors {
		if w.probing >= maxProbes {
			return
		}
		m := w.cfg.monitors[i]
		ns := w.nets[m.ID]
		if ns == nil {
			ns = &netState{}
			w.nets[m.ID] = ns
		}
		if ns.inflight || now.Before(ns.next) {
			continue
		}
		ns.inflight, ns.next = true, now.Add(time.Duration(m.IntervalSec)*time.Second)
		w.probing++
		go w.probe(ctx, m, ns)
	}
}

// probe runs one probe and keeps its result for the next evaluation.
func (w *Wing) probe(ctx context.Context, m store.NetMonitor, ns *netState) {
	to := time.Duration(m.TimeoutMS) * time.Millisecond
	if to <= 0 {
		to = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, to+5*time.Second)
	defer cancel()
	res, err := w.d.Prober.Probe(ctx, m.AgentID, netMethod(m.Kind), protocol.NetProbeParams{Address: m.Address, TimeoutMS: m.TimeoutMS})
	now := w.d.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.probing--
	ns.inflight = false
	ns.res, ns.callErr, ns.at = res, "", now
	if err != nil {
		ns.callErr = err.Error()
	}
	ns.seq++
}

// netResult grades a probe's result against its monitor.
func netResult(m *store.NetMonitor, ns *netState, now time.Time) result {
	r := result{kind: KindNetwork, label: m.Name}
	res := ns.res
	if ns.callErr != "" {
		r.unknown, r.text = true, "the probing agent could not be asked: "+ns.callErr
		return r
	}
	r.dur = time.Duration(res.LatencyMS) * time.Millisecond
	if !res.OK {
		r.sev, r.text = SevCritical, fmt.Sprintf("%s %s failed: %s", m.Kind, m.Address, res.Error)
		return r
	}
	switch m.Kind {
	case store.NetTCP:
		r.text = fmt.Sprintf("port %s open (%d ms)", m.Address, res.LatencyMS)
	case store.NetHTTP:
		r.count = res.Status
		want := m.ExpectStatus
		if want == 0 {
			want = 200
		}
		r.text = fmt.Sprintf("status %d in %d ms", res.Status, res.LatencyMS)
		switch {
		case res.Status != want:
			r.sev, r.text = SevCritical, fmt.Sprintf("status %d, expected %d (%d ms)", res.Status, want, res.LatencyMS)
		default:
			r.sev = level(float64(res.LatencyMS), float64(m.WarningMS), float64(m.CriticalMS))
		}
	case store.NetTLS:
		na, err := time.Parse(time.RFC3339, res.NotAfter)
		if err != nil {
			r.sev, r.text = SevCritical, "unreadable certificate expiry"
			return r
		}
		days := int(na.Sub(now).Hours() / 24)
		if na.Before(now) {
			days = -1
		}
		r.count, r.v = days, 1 // v marks days as known
		r.text = fmt.Sprintf("certificate %q expires in %d days (%s)", res.Subject, days, na.Format("2006-01-02"))
		switch {
		case days < 0:
			r.sev, r.text = SevCritical, fmt.Sprintf("certificate %q expired on %s", res.Subject, na.Format("2006-01-02"))
		case m.CriticalDays > 0 && days <= m.CriticalDays:
			r.sev = SevCritical
		case m.WarningDays > 0 && days <= m.WarningDays:
			r.sev = SevWarning
		}
	}
	return r
}

// evalMonitors steps every monitor's check with its newest probe result
// (an evaluation without a new result only lets a snooze end). Called
// under mu by Evaluate.
func (w *Wing) evalMonitors(now time.Time) {
	for i := range w.cfg.monitors {
		m := &w.cfg.monitors[i]
		d := w.dev(m.ID)
		d.seen = w.round
		s := fleet.Sample{ID: m.ID, ClientID: m.ClientID, ClientName: w.cfg.clientNames[m.ClientID], Hostname: m.Name,
			DeviceType: netDeviceType(m.Kind), Online: true}
		c := store.Check{ID: "net", Kind: KindNetwork, FailAfter: m.FailAfter, PassAfter: m.PassAfter, Severity: SevCritical}
		st := d.state(netProfile.ID, c.ID, "")
		if st == nil {
			k := alertKey{m.ID, netProfile.ID, c.ID, ""}
			if st = w.checks[k]; st == nil {
				st = &checkState{key: k}
				w.checks[k] = st
			}
			w.monDirty = w.monDirty || len(d.states) == 0
			d.states = append(d.states, st)
		}
		st.seen = w.round
		r := result{kind: KindNetwork, unknown: true}
		if ns := w.nets[m.ID]; ns != nil && ns.seq != ns.used {
			ns.used = ns.seq
			r = netResult(m, ns, now)
			ns.last, ns.lastKnown = r, true
		}
		w.step(st, st.key, &s, &netProfile, &c, r, w.cfg.window(&s, now), now)
	}
	// Forget the probing of deleted monitors.
	for id, ns := range w.nets {
		if !ns.inflight && w.cfg.monitor(id) == nil {
			delete(w.nets, id)
		}
	}
}
