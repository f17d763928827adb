// Package automation is the automation wing: profiles of scheduled tasks
// (a pinned library script or a built-in action: patch scan, patch
// install, reboot if required, software install) assigned to
// everything, a client, a folder or devices, inherited device ← folder
// ← client ← everything like threshold profiles (the narrowest
// assignment wins), with single tasks exempted per device; and the
// scheduler that starts each task on each device it is in force on.
//
// The scheduler keeps one entry per task and device in a min-heap of
// next due times and sleeps until the earliest, so it costs nothing
// between due times whatever the fleet's size. Each device starts at a
// fixed offset inside the task's spread (a hash of device and task), so
// a restart computes the same times and 20,000 devices do not start in
// the same second. Due times and the last run are stored per task and
// device in the same commit as the start, so a restart neither runs an
// occurrence again nor skips one (an occurrence missed while the server
// was down runs once at start, within its deadline). Every start is an
// ordinary job through the jobs wing (output, history, audit by
// "automation"), at most one in flight per task and device; runs for
// offline devices stay queued until they return or the deadline passes.
// The fleet is walked again every Reconcile (and at once after a
// change through the API) to pick up new, moved and removed devices.
package automation

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.AutomationStore
	Clients() ([]store.Client, error)
	// Run reads a started run, to know whether it has ended.
	Run(id string) (store.Run, error)
	// Health reads a device's latest health report (its available
	// patches, for patch policies).
	Health(deviceID string) (store.Health, error)
}

// Fleet is the live device view the scheduler walks.
type Fleet interface {
	Samples(buf []fleet.Sample) []fleet.Sample
	View(id string) (fleet.View, bool)
}

// Devices finds devices and clients within a caller's scope.
type Devices interface {
	Device(p *httpx.Principal, id string) (fleet.View, bool)
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// Runner starts scheduled tasks as jobs (the jobs wing, through the
// wiring): one system job for the devices given, whose target names
// origin; runs of offline devices expire at expires. It returns each
// device's run; devices it cannot send anything to are in skipped.
type Runner interface {
	RunAutomated(req api.JobRequest, origin string, expires time.Time) (jobID string, runs map[string]string, skipped []string, err error)
}

// Library checks a pinned library script exists for a principal and the
// devices of a client (the scripts wing): code 0 = found, else an HTTP
// status and message.
type Library interface {
	Library(p *httpx.Principal, ref string, views []fleet.View) (store.Script, int, string)
}

// Fresh reports whether a principal passed two-factor recently.
type Fresh interface {
	Fresh(p *httpx.Principal) bool
}

// Metrics counts scheduled occurrences by outcome (store.AutoStarted,
// store.AutoSkipped..., store.AutoFailed).
type Metrics interface {
	Scheduled(outcome string, n int)
	// SchedulerTick records how long one tick took (its own cost).
	SchedulerTick(d time.Duration)
}

// Config tunes the scheduler.
type Config struct {
	// Reconcile is how often the fleet is walked for new, moved and
	// removed devices (default 30 s).
	Reconcile time.Duration
	// MinEvery is the shortest interval of an "every" schedule (default
	// a minute; tests and the bench shorten it).
	MinEvery time.Duration
	// LargeJob is the device count above which assigning a profile, or
	// changing one, needs a fresh second factor, as a large job does.
	LargeJob int
	// TimeZone is the zone of schedules that name none (default the
	// server's local zone).
	TimeZone *time.Location
	// Retention is how long the scheduler's log is kept (default 30 days).
	Retention time.Duration
}

// Deps are what the wing is built from.
type Deps struct {
	Config  Config
	Store   Store
	Fleet   Fleet
	Devices Devices
	Runner  Runner
	Library Library
	Fresh   Fresh
	Metrics Metrics
	Audit   auditlog.Writer
	Now     httpx.Clock
	Log     *slog.Logger
	// Clients gives the clients' time zones (nil: none, schedules in
	// "client" zone use the server's).
	Clients ClientZones
}

// Wing serves automation profiles and runs the scheduler.
type Wing struct {
	d Deps
	// mu guards cfg and the scheduler's state (sched.go). Lock order:
	// taken before the fleet's lock; the jobs wing is called under it.
	mu      sync.Mutex
	cfg     *config
	entries map[key]*entry
	heap    entryHeap
	saved   map[key]store.AutoState // states read at start, until the first reconcile
	round   uint64
	nextRec time.Time
	dirty   bool
	samples []fleet.Sample
	wake    chan struct{}
	zones   zoneCache
	reboots map[key]*entry // the patch entries with a reboot under way (reboot.go)
}

// New builds the wing; the scheduler runs in Run.
func New(d Deps) *Wing {
	if d.Config.Reconcile <= 0 {
		d.Config.Reconcile = 30 * time.Second
	}
	if d.Config.MinEvery <= 0 {
		d.Config.MinEvery = time.Minute
	}
	if d.Config.TimeZone == nil {
		d.Config.TimeZone = time.Local
	}
	if d.Config.Retention <= 0 {
		d.Config.Retention = 30 * 24 * time.Hour
	}
	if d.Config.LargeJob <= 0 {
		d.Config.LargeJob = 50
	}
	return &Wing{d: d, cfg: &config{}, entries: map[key]*entry{}, wake: make(chan struct{}, 1),
		zones: zoneCache{}}
}

// Routes lists the wing's routes.
func (w *Wing) Routes() []httpx.Route {
	view, run, patch := httpx.NeedPerm(httpx.PermView), httpx.NeedPerm(httpx.PermRun), httpx.NeedPerm(httpx.PermPatch)
	return []httpx.Route{
		httpx.R("GET", "/api/v1/automation/profiles", view, w.apiProfiles),
		httpx.R("POST", "/api/v1/automation/profiles", run, w.apiCreateProfile),
		httpx.R("GET", "/api/v1/automation/profiles/{autoprofile}", view, w.apiProfile),
		httpx.R("PUT", "/api/v1/automation/profiles/{autoprofile}", run, w.apiUpdateProfile),
		httpx.R("DELETE", "/api/v1/automation/profiles/{autoprofile}", run, w.apiDeleteProfile),
		httpx.R("GET", "/api/v1/automation/assignments", view, w.apiAssignments),
		httpx.R("POST", "/api/v1/automation/assignments", run, w.apiAssign),
		httpx.R("GET", "/api/v1/automation/runs", view, w.apiRuns),
		httpx.R("GET", "/api/v1/automation/compliance", view, w.apiCompliance),
		httpx.R("GET", "/api/v1/automation/approvals", view, w.apiApprovals),
		httpx.R("POST", "/api/v1/automation/approvals", patch, w.apiApprove),
		httpx.R("DELETE", "/api/v1/automation/approvals", patch, w.apiUnapprove),
		httpx.R("GET", "/api/v1/devices/{id}/automation", view, w.apiDeviceTasks),
		httpx.R("POST", "/api/v1/devices/{id}/automation/exemptions", run, w.apiExempt),
		httpx.R("DELETE", "/api/v1/devices/{id}/automation/exemptions", run, w.apiUnexempt),
	}
}

// Run loads the configuration and schedule states, then starts tasks as
// they fall due until ctx ends.
func (w *Wing) Run(ctx context.Context) error {
	if err := w.load(); err != nil {
		return err
	}
	prune := w.d.Now().Add(time.Hour)
	for {
		now := w.d.Now()
		t0 := time.Now()
		wait := w.tick(now)
		if w.d.Metrics != nil {
			w.d.Metrics.SchedulerTick(time.Since(t0))
		}
		if now.After(prune) {
			prune = now.Add(time.Hour)
			if _, err := w.d.Store.PruneAutoRuns(now.Add(-w.d.Config.Retention)); err != nil {
				w.d.Log.Error("prune automation log", "err", err)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		case <-w.wake:
			t.Stop()
		}
	}
}

// changed marks the configuration changed: the next tick reconciles at
// once.
func (w *Wing) changed() {
	w.mu.Lock()
	w.dirty = true
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}
