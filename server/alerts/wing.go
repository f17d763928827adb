// Package alerts is the monitoring wing: threshold profiles (named sets of
// checks) assigned to everything, a client, a folder or a device, with
// single checks exempted per device; maintenance windows; and the alerts
// the checks raise, from raised to resolved.
//
// Checks run on the server, over what agents already send: an evaluator
// walks the in-memory fleet every few seconds (heartbeat figures,
// presence) together with the latest inventory and health reports the
// agent link hands it, and keeps what it needs between evaluations in
// memory (a per-minute CPU and memory ring per device, consecutive
// failure and pass counts per check). Storage is written only when an
// alert changes, never per heartbeat. An alert is raised after FailAfter
// consecutive failing evaluations and resolved after PassAfter
// consecutive passes, so a value oscillating around a threshold does not
// open and close alerts; inside a maintenance window nothing is raised
// (what would have been is recorded), and a check still failing when the
// window ends raises its alert then. Every alert change is told to the
// Notifier after it is stored.
package alerts

import (
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/events"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.MonitorStore
	store.AlertStore
	Clients() ([]store.Client, error)
	Inventories() ([]store.Inventory, error)
	Healths(after string, limit int) ([]store.Health, error)
}

// Fleet is the live device view monitoring reads and annotates.
type Fleet interface {
	Samples(buf []fleet.Sample) []fleet.Sample
	SetAlertCounts(id string, c fleet.AlertCounts)
}

// Devices finds devices and clients within a caller's scope.
type Devices interface {
	Device(p *httpx.Principal, id string) (fleet.View, bool)
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// Change is one alert change, as the Notifier hears of it.
type Change struct {
	// Kind is raised, escalated, deescalated, resolved, snoozed or reopened.
	Kind        string
	AlertID     string
	ClientID    string
	ClientName  string
	DeviceID    string
	DeviceName  string
	Severity    string // information, warning, critical
	Category    string
	Check       string // the check's kind and target, e.g. "disk C:"
	Title       string
	Detail      string
	ProfileID   string
	ProfileName string
	At          time.Time
	By          string // who, for a manual resolve or snooze
	Reason      string
}

// Notifier hears of every alert change (the notify wing, through the
// wiring); nil = nobody. It is called after the change is stored, outside
// the wing's locks, from the evaluator or a request, with all the changes
// of one evaluation or action at once (an outage of thousands of devices
// is one call, which notifications store in one commit).
type Notifier interface{ AlertsChanged(cs []Change) }

// Config tunes the evaluator.
type Config struct {
	// Interval between evaluations (default 5 s).
	Interval time.Duration
	// ScriptMinute is how long one minute of a script check's interval
	// lasts (default a minute; tests shorten it).
	ScriptMinute time.Duration
}

// Deps are what the wing is built from.
type Deps struct {
	Config   Config
	Store    Store
	Fleet    Fleet
	Devices  Devices
	Bus      *events.Bus
	Notifier Notifier
	// Scripts runs script checks as jobs; nil = script checks never run.
	Scripts ScriptRunner
	// Prober runs network monitors' probes on agents; nil = monitors are
	// stored but never probed.
	Prober Prober
	Audit  auditlog.Writer
	Now    httpx.Clock
	Log    *slog.Logger
}

// Wing evaluates checks and serves alerts, profiles and maintenance
// windows.
type Wing struct {
	d Deps
	// mu guards everything below. Lock order: taken before fleet.Fleet.mu
	// (SetAlertCounts) and events.Bus.mu; the store is written under it
	// only when an alert changes; the Notifier is called after it is
	// released.
	mu      sync.Mutex
	cfg     *config
	devs    map[string]*devState
	checks  map[alertKey]*checkState
	byID    map[string]alertKey
	counts  map[string]fleet.AlertCounts
	round   uint64
	samples []fleet.Sample
	open    [3]int // unresolved alerts by severity (information, warning, critical)
	ops     []*op  // writes queued by the evaluation or action under way
	started time.Time
	nets    map[string]*netState // network monitors' probing, by monitor ID
	probing int                  // probes in flight
	scripts map[scriptKey]*scriptState
	results []result // an evaluation's scratch
	// monDirty is set when a device gains its first check state or loses
	// its last; the evaluation then republishes monitored.
	monDirty bool
	// monitored holds the devices with a check in force as of the last
	// evaluation (nil before the first). Read without mu: the device list
	// asks while holding the fleet's lock, which mu is taken before.
	monitored atomic.Pointer[map[string]bool]
}

// Monitored reports whether a check is in force on the device, as of the
// last evaluation; before the first, every device counts as monitored.
func (w *Wing) Monitored(id string) bool {
	m := w.monitored.Load()
	return m == nil || (*m)[id]
}

// New builds the wing; Start loads its state.
func New(d Deps) *Wing {
	if d.Config.ScriptMinute <= 0 {
		d.Config.ScriptMinute = time.Minute
	}
	if d.Config.Interval <= 0 {
		d.Config.Interval = 5 * time.Second
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Wing{d: d, devs: map[string]*devState{}, checks: map[alertKey]*checkState{}, byID: map[string]alertKey{},
		counts: map[string]fleet.AlertCounts{}, cfg: &config{}, nets: map[string]*netState{},
		scripts: map[scriptKey]*scriptState{}}
}

// Routes lists the wing's routes.
func (w *Wing) Routes() []httpx.Route {
	view, act, mon := httpx.NeedPerm(httpx.PermView), httpx.NeedPerm(httpx.PermAlerts), httpx.NeedPerm(httpx.PermMonitoring)
	return []httpx.Route{
		httpx.R("GET", "/api/v1/alerts", view, w.apiAlerts),
		httpx.R("GET", "/api/v1/alerts/{alert}", view, w.apiAlert),
		httpx.R("POST", "/api/v1/alerts/{alert}/snooze", act, w.apiSnooze),
		httpx.R("POST", "/api/v1/alerts/{alert}/resolve", act, w.apiResolve),
		httpx.R("GET", "/api/v1/devices/{id}/alerts", view, w.apiDeviceAlerts),
		httpx.R("GET", "/api/v1/devices/{id}/checks", view, w.apiDeviceChecks),
		httpx.R("POST", "/api/v1/devices/{id}/exemptions", mon, w.apiExempt),
		httpx.R("DELETE", "/api/v1/devices/{id}/exemptions", mon, w.apiUnexempt),
		httpx.R("GET", "/api/v1/clients/{client}/alerts", view, w.apiClientAlerts),
		httpx.R("GET", "/api/v1/profiles", view, w.apiProfiles),
		httpx.R("POST", "/api/v1/profiles", mon, w.apiCreateProfile),
		httpx.R("GET", "/api/v1/profiles/{profile}", view, w.apiProfile),
		httpx.R("PUT", "/api/v1/profiles/{profile}", mon, w.apiUpdateProfile),
		httpx.R("DELETE", "/api/v1/profiles/{profile}", mon, w.apiDeleteProfile),
		httpx.R("GET", "/api/v1/profile-assignments", view, w.apiAssignments),
		httpx.R("POST", "/api/v1/profile-assignments", mon, w.apiAssign),
		httpx.R("GET", "/api/v1/maintenance", view, w.apiWindows),
		httpx.R("POST", "/api/v1/maintenance", mon, w.apiCreateWindow),
		httpx.R("GET", "/api/v1/maintenance/{window}", view, w.apiWindow),
		httpx.R("PUT", "/api/v1/maintenance/{window}", mon, w.apiUpdateWindow),
		httpx.R("DELETE", "/api/v1/maintenance/{window}", mon, w.apiDeleteWindow),
		httpx.R("GET", "/api/v1/monitors", view, w.apiMonitors),
		httpx.R("POST", "/api/v1/monitors", mon, w.apiCreateMonitor),
		httpx.R("GET", "/api/v1/monitors/{monitor}", view, w.apiMonitor),
		httpx.R("DELETE", "/api/v1/monitors/{monitor}", mon, w.apiDeleteMonitor),
	}
}

// OpenCounts returns the unresolved alerts by severity (for metrics).
func (w *Wing) OpenCounts() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return map[string]int{SevInformation: w.open[0], SevWarning: w.open[1], SevCritical: w.open[2]}
}

// writeStoreError answers a failed store call.
func writeStoreError(w http.ResponseWriter, err error) {
	httpx.WriteError(w, 500, "internal error")
}
