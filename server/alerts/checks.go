package alerts

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
)

// Check kinds. A new kind (a script check, a network monitor) is one more
// entry in kinds and a case in evaluate.
const (
	KindAvailability = "availability"
	KindCPU          = "cpu"
	KindMemory       = "memory"
	KindDisk         = "disk"
	KindService      = "service"
	KindReboot       = "reboot"
	KindPatches      = "patches"
	KindReport       = "report"
)

// Severities.
const (
	SevInformation = "information"
	SevWarning     = "warning"
	SevCritical    = "critical"
)

// kindInfo is what a kind defaults to and how it is titled.
type kindInfo struct {
	category             string
	failAfter, passAfter int
	thresholds           bool // warning and critical thresholds (else Severity)
	unit                 string
}

var kinds = map[string]kindInfo{
	KindAvailability: {"availability", 1, 1, true, "minutes"},
	KindCPU:          {"performance", 3, 3, true, "percent"},
	KindMemory:       {"performance", 3, 3, true, "percent"},
	KindDisk:         {"disk", 2, 2, true, "percent free"},
	KindService:      {"applications", 2, 2, false, ""},
	KindReboot:       {"general", 1, 1, true, "days"},
	KindPatches:      {"general", 1, 1, true, "days"},
	KindReport:       {"general", 1, 1, true, "hours"},
	KindNetwork:      {"network", 2, 2, false, ""},
	KindScript:       {"script-based", 1, 1, false, ""},
}

// Categories of alerts (a kind's category; script checks and network
// monitors will add script-based and network).
var Categories = []string{"hardware", "disk", "availability", "performance", "network", "applications", "script-based", "general"}

// Severities lists the severities, mildest first.
var Severities = []string{SevInformation, SevWarning, SevCritical}

// ValidateCheck checks a check's kind and thresholds, filling defaults.
func ValidateCheck(c *store.Check) error {
	k, ok := kinds[c.Kind]
	if c.Kind == KindNetwork {
		return fmt.Errorf("check %q: network checks are monitors (/api/v1/monitors), not profile checks", c.ID)
	}
	if !ok {
		return fmt.Errorf("check %q: unknown kind %q", c.ID, c.Kind)
	}
	if c.Kind == KindScript {
		if c.FailAfter < 0 || c.FailAfter > 1000 || c.PassAfter < 0 || c.PassAfter > 1000 {
			return fmt.Errorf("check %q: fail_after and pass_after 0..1000", c.ID)
		}
		return validateScript(c)
	}
	for _, v := range []float64{c.Warning, c.Critical} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) || v > 1e6 {
			return fmt.Errorf("check %q: thresholds must be between 0 and 1000000", c.ID)
		}
	}
	if c.Window < 0 || c.Window > maxWindow || c.FailAfter < 0 || c.FailAfter > 1000 || c.PassAfter < 0 || c.PassAfter > 1000 {
		return fmt.Errorf("check %q: window 0..%d minutes, fail_after and pass_after 0..1000", c.ID, maxWindow)
	}
	if k.thresholds {
		if c.Warning == 0 && c.Critical == 0 && c.WarningFree == 0 && c.CriticalFree == 0 {
			return fmt.Errorf("check %q: a %s check needs a warning or critical threshold", c.ID, c.Kind)
		}
		if c.Severity != "" {
			return fmt.Errorf("check %q: a %s check takes its severity from its thresholds", c.ID, c.Kind)
		}
	} else {
		switch c.Severity {
		case "":
			c.Severity = SevCritical
		case SevInformation, SevWarning, SevCritical:
		default:
			return fmt.Errorf("check %q: severity must be information, warning or critical", c.ID)
		}
	}
	if c.Kind == KindService && c.Target == "" {
		return fmt.Errorf("check %q: a service check names its service in target", c.ID)
	}
	if c.Kind == KindReport && c.Target != "" && c.Target != "inventory" && c.Target != "health" {
		return fmt.Errorf("check %q: a report check's target is health or inventory", c.ID)
	}
	return nil
}

func failAfter(c *store.Check) int {
	if c.FailAfter > 0 {
		return c.FailAfter
	}
	return kinds[c.Kind].failAfter
}

func passAfter(c *store.Check) int {
	if c.PassAfter > 0 {
		return c.PassAfter
	}
	return kinds[c.Kind].passAfter
}

// facts is what the server knows of one device at an evaluation.
type facts struct {
	s   *fleet.Sample
	now time.Time
	dev *devState
	// started is when monitoring started: every device is offline until
	// it reconnects to a server that has just started, so offline time
	// counts from then at the earliest.
	started time.Time
	// Script checks: the evaluation's round, the wing's script states,
	// where due runs are queued, and how long one minute of a script
	// check's interval lasts.
	profile string
	round   uint64
	scripts map[scriptKey]*scriptState
	due     *[]scriptStart
	minute  time.Duration
}

// result is one check's outcome on one target (a disk check gives one
// per volume). Sev is "" when it passes; unknown is set when there is
// nothing to judge by yet (neither a pass nor a failure is counted). It
// keeps the measure, not text: the title and detail are made only when
// an alert or a page needs them, so an evaluation of a quiet fleet
// formats nothing.
type result struct {
	target    string
	sev       string
	unknown   bool
	kind      string
	v         float64       // percent (CPU, memory, disk free)
	window    int           // CPU and memory: minutes averaged
	free      uint64        // disk: free bytes, when haveBytes
	haveBytes bool          //
	count     int           // patches: how many
	dur       time.Duration // availability, reboot, patches, report: for how long
	state     string        // service: its state ("" = not installed)
	online    bool          // availability: passing because online
	label     string        // network: the monitor's name
	text      string        // network: what the probe found
}

// title is the alert's title.
func (r *result) title() string {
	switch r.kind {
	case KindAvailability:
		return "Device offline"
	case KindCPU:
		return "CPU usage high"
	case KindMemory:
		return "Memory usage high"
	case KindDisk:
		return "Low disk space on " + r.target
	case KindService:
		return "Service " + r.target + " not running"
	case KindReboot:
		return "Reboot pending"
	case KindPatches:
		return "Security patches pending"
	case KindReport:
		return "No " + r.target + " report"
	case KindNetwork:
		return "Network monitor " + r.label + " failing"
	case KindScript:
		return "Script check " + r.label + " failing"
	}
	return r.kind
}

// detail says what was measured.
func (r *result) detail() string {
	switch r.kind {
	case KindAvailability:
		if r.online {
			return "online"
		}
		return "offline for " + roundDur(r.dur)
	case KindCPU, KindMemory:
		return fmt.Sprintf("%s %.0f%% (average over %d min)", r.kind, r.v, max(r.window, 1))
	case KindDisk:
		if r.haveBytes {
			return fmt.Sprintf("%.1f%% free (%s)", r.v, bytesText(r.free))
		}
		return fmt.Sprintf("%.1f%% free", r.v)
	case KindService:
		if r.state == "" {
			return "not installed"
		}
		return "state " + r.state
	case KindReboot:
		if r.dur == 0 {
			return "no reboot pending"
		}
		return "a reboot has been pending for " + roundDur(r.dur)
	case KindPatches:
		if r.count == 0 {
			return "no security patch pending"
		}
		return fmt.Sprintf("%d security patches pending for %s", r.count, roundDur(r.dur))
	case KindReport:
		return fmt.Sprintf("last %s report %s ago", r.target, roundDur(r.dur))
	case KindNetwork, KindScript:
		return r.text
	}
	return ""
}

// level grades a value against warning and critical thresholds, high
// values being bad.
func level(v, warn, crit float64) string {
	switch {
	case crit > 0 && v >= crit:
		return SevCritical
	case warn > 0 && v >= warn:
		return SevWarning
	}
	return ""
}

// evaluate runs one check against a device's facts, appending its
// results to out.
func evaluate(out []result, c *store.Check, f *facts) []result {
	s, d := f.s, f.dev
	r := result{kind: c.Kind}
	switch c.Kind {
	case KindScript:
		return evalScript(out, c, f)
	case KindAvailability:
		if s.Online {
			r.online = true
			return append(out, r)
		}
		since := s.OfflineSince
		if since.IsZero() {
			since = s.EnrolledAt // never connected since enrolled
		}
		if since.Before(f.started) {
			since = f.started
		}
		r.dur = f.now.Sub(since)
		r.sev = level(r.dur.Minutes(), c.Warning, c.Critical)
	case KindCPU, KindMemory:
		avg, ok := d.ring.average(c.Kind == KindMemory, f.now, c.Window)
		r.v, r.window, r.unknown = avg, c.Window, !ok
		r.sev = level(avg, c.Warning, c.Critical)
	case KindDisk:
		return evalDisks(out, c, f)
	case KindService:
		r.target = c.Target
		if len(d.services) == 0 {
			r.unknown = true
			return append(out, r)
		}
		r.sev = c.Severity // not installed, unless found
		for _, sv := range d.services {
			if strings.EqualFold(sv.Name, c.Target) || strings.EqualFold(sv.DisplayName, c.Target) {
				r.state = sv.State
				if sv.State == "running" {
					r.sev = ""
				}
				break
			}
		}
	case KindReboot:
		if !d.rebootSince.IsZero() {
			r.dur = f.now.Sub(d.rebootSince)
			r.sev = level(r.dur.Hours()/24, c.Warning, c.Critical)
		}
	case KindPatches:
		if !d.securitySince.IsZero() {
			r.count, r.dur = s.Heartbeat.SecurityPatches, f.now.Sub(d.securitySince)
			r.sev = level(r.dur.Hours()/24, c.Warning, c.Critical)
		}
	case KindReport:
		r.target = "health"
		at := d.healthAt
		if c.Target == "inventory" {
			r.target, at = "inventory", d.inventoryAt
		}
		if !s.Online {
			r.unknown = true // offline is the availability check's business
			return append(out, r)
		}
		if at.IsZero() {
			at = s.EnrolledAt
		}
		r.dur = f.now.Sub(at)
		r.sev = level(r.dur.Hours(), c.Warning, c.Critical)
	default:
		return out
	}
	return append(out, r)
}

// evalDisks grades every volume the check covers: free percent below a
// threshold or free bytes below an absolute one. Without an inventory,
// the heartbeat's fullest disk stands in for them all.
func evalDisks(out []result, c *store.Check, f *facts) []result {
	grade := func(mount string, freePct float64, free uint64, haveBytes bool) result {
		r := result{kind: KindDisk, target: mount, v: freePct, free: free, haveBytes: haveBytes}
		switch {
		case c.Critical > 0 && freePct < c.Critical, haveBytes && c.CriticalFree > 0 && free < c.CriticalFree:
			r.sev = SevCritical
		case c.Warning > 0 && freePct < c.Warning, haveBytes && c.WarningFree > 0 && free < c.WarningFree:
			r.sev = SevWarning
		}
		return r
	}
	if disks := f.dev.disks; len(disks) > 0 {
		n := len(out)
		for _, dk := range disks {
			if dk.Total == 0 || (c.Target != "" && !strings.EqualFold(dk.Mount, c.Target)) {
				continue
			}
			out = append(out, grade(dk.Mount, float64(dk.Free)*100/float64(dk.Total), dk.Free, true))
		}
		if len(out) > n {
			return out
		}
		if c.Target != "" {
			return append(out, result{kind: KindDisk, target: c.Target, unknown: true})
		}
	}
	hb := f.s.Heartbeat
	if hb.Seq == 0 && hb.DiskPercent == 0 {
		return append(out, result{kind: KindDisk, target: c.Target, unknown: true})
	}
	mount := c.Target
	if mount == "" {
		mount = "fullest disk"
	}
	return append(out, grade(mount, 100-hb.DiskPercent, 0, false))
}

func roundDur(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return fmt.Sprintf("%d seconds", int(d.Seconds()))
}

func bytesText(b uint64) string {
	const gib = 1 << 30
	if b >= gib {
		return fmt.Sprintf("%.1f GiB", float64(b)/gib)
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

// devState is what monitoring keeps per device between evaluations, in
// memory: the CPU and memory ring, the latest reported disks and
// services, and since when a reboot and security patches are pending.
type devState struct {
	ring    ring
	lastSeq uint64
	// disks and services are all the checks read of the last inventory
	// and health report: a few fields each, not the reports themselves
	// (whose software lists and interfaces would cost kilobytes per
	// device). disks is nil until an inventory with disks arrived;
	// services likewise.
	disks         []diskUse
	services      []serviceState
	inventoryAt   time.Time
	healthAt      time.Time
	rebootSince   time.Time
	securitySince time.Time
	seen          uint64 // the last round that sampled the device (0 = reported, never sampled yet)
	// states are the device's check states (also in Wing.checks): found
	// here by a short scan, cheaper than a lookup in the fleet-wide map.
	states []*checkState
}

// diskUse is what the disk checks read of one inventory disk.
type diskUse struct {
	Mount       string
	Total, Free uint64
}

// serviceState is what the service checks read of one reported service.
type serviceState struct {
	Name, DisplayName, State string
}

// setInventory keeps what the checks read of an inventory.
func (d *devState) setInventory(inv *protocol.Inventory) {
	d.disks = nil
	if len(inv.Disks) > 0 {
		d.disks = make([]diskUse, len(inv.Disks))
		for i, dk := range inv.Disks {
			d.disks[i] = diskUse{Mount: dk.Mount, Total: dk.Total, Free: dk.Free}
		}
	}
}

// setHealth keeps what the checks read of a health report.
func (d *devState) setHealth(h *protocol.Health) {
	d.services = nil
	if len(h.Services) > 0 {
		d.services = make([]serviceState, len(h.Services))
		for i, sv := range h.Services {
			d.services[i] = serviceState{Name: sv.Name, DisplayName: sv.DisplayName, State: sv.State}
		}
	}
}

// state returns the device's state of a check on a target, if any.
func (d *devState) state(profile, check, target string) *checkState {
	for _, st := range d.states {
		if st.key.check == check && st.key.target == target && st.key.profile == profile {
			return st
		}
	}
	return nil
}

// drop forgets a state of the device.
func (d *devState) drop(st *checkState) {
	for i, x := range d.states {
		if x == st {
			d.states = append(d.states[:i], d.states[i+1:]...)
			return
		}
	}
}

// maxWindow is the longest CPU and memory averaging window, in minutes:
// the ring holds one bucket per minute.
const maxWindow = 60

// ring keeps per-minute sums of CPU and memory samples for the last
// maxWindow minutes: 840 bytes per device, however often heartbeats come.
type ring struct {
	// minute is each bucket's minute since the Unix epoch: an int32 lasts
	// until the year 6053 and keeps the ring 240 bytes smaller per device.
	minute [maxWindow]int32
	cpu    [maxWindow]float32
	mem    [maxWindow]float32
	n      [maxWindow]uint16
}

func (r *ring) add(at time.Time, cpu, mem float64) {
	m := at.Unix() / 60
	i := m % maxWindow
	if int64(r.minute[i]) != m {
		r.minute[i], r.cpu[i], r.mem[i], r.n[i] = int32(m), 0, 0, 0
	}
	if r.n[i] == math.MaxUint16 {
		return
	}
	r.cpu[i] += float32(cpu)
	r.mem[i] += float32(mem)
	r.n[i]++
}

// average is the mean of the samples of the last window minutes (the
// current minute counts as one; window 0 means the current minute).
func (r *ring) average(mem bool, now time.Time, window int) (float64, bool) {
	cur := now.Unix() / 60
	var sum float64
	var n int
	for i := range maxWindow {
		if mi := int64(r.minute[i]); r.n[i] == 0 || mi > cur || mi <= cur-int64(max(window, 1)) {
			continue
		}
		if mem {
			sum += float64(r.mem[i])
		} else {
			sum += float64(r.cpu[i])
		}
		n += int(r.n[i])
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}
