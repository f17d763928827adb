// Package jobs is the wing for remote actions: a job (script, service,
// power, patch, uninstall) is created for devices, split into one run per
// device, sent to each device when it is online and approved, followed
// through its output to exactly one terminal state, cancelled, expired by
// the sweep, and redelivered after a reconnect. Every write of jobs and
// runs goes through one writer goroutine (RunWriter). Its routes list and
// show jobs and runs within the caller's clients, and the overview.
package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/events"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/hub"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.JobStore
}

// Conns finds a device's agent connection.
type Conns interface {
	Get(id string) *hub.Conn
}

// Devices finds devices and clients within a caller's scope (the devices
// wing).
type Devices interface {
	Device(p *httpx.Principal, id string) (fleet.View, bool)
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// Library pins a job to a library script version (the scripts wing).
type Library interface {
	Library(p *httpx.Principal, ref string, views []fleet.View) (store.Script, int, string)
}

// Fresh tells whether the caller proved two-factor recently (the
// accounts wing); large jobs need it.
type Fresh interface {
	Fresh(p *httpx.Principal) bool
}

// Metrics counts what the wing does.
type Metrics interface {
	// RunState counts a run reaching state.
	RunState(state string)
	// StoreWrite records one batched commit's latency.
	StoreWrite(d time.Duration)
}

// Config is the job settings of the server.
type Config struct {
	// OutputCap is the most output kept per run.
	OutputCap int64
	// JobExpiry is how long a queued run waits for its device.
	JobExpiry time.Duration
	// LargeJob is the number of targets above which a job needs a fresh
	// second factor.
	LargeJob int
}

// Deps are what the jobs wing is built from.
type Deps struct {
	Config  Config
	Store   Store
	Fleet   *fleet.Fleet
	Conns   Conns
	Bus     *events.Bus
	Devices Devices
	Library Library
	Fresh   Fresh
	Metrics Metrics
	Audit   auditlog.Writer
	Now     httpx.Clock
	Log     *slog.Logger
}

// Routes lists the wing's routes.
func (s *Wing) Routes() []httpx.Route {
	perm := httpx.NeedPerm
	return []httpx.Route{
		httpx.R("GET", "/api/v1/overview", perm(httpx.PermView), s.apiOverview),
		httpx.R("GET", "/api/v1/devices/{id}/runs", perm(httpx.PermView), s.apiDeviceRuns),
		httpx.R("POST", "/api/v1/jobs", perm(httpx.PermView), s.apiCreateJob), // kind-specific permission checked inside
		httpx.R("GET", "/api/v1/jobs", perm(httpx.PermView), s.apiJobs),
		httpx.R("GET", "/api/v1/jobs/{id}", perm(httpx.PermView), s.apiJob),
		httpx.R("POST", "/api/v1/jobs/{id}/cancel", perm(httpx.PermView), s.apiCancelJob),
		httpx.R("GET", "/api/v1/runs/{id}", perm(httpx.PermView), s.apiRun),
		httpx.R("GET", "/api/v1/runs/{id}/output", perm(httpx.PermView), s.apiRunOutput),
		httpx.R("POST", "/api/v1/runs/{id}/cancel", perm(httpx.PermView), s.apiCancelRun),
	}
}

// RunWriter applies the queued writes until StopWriter; the lifecycle
// starts it first and stops it after every producer of writes has ended.
func (j *Wing) RunWriter() error { j.w.loop(); return nil }

// StopWriter commits what is queued and ends RunWriter; later writes fail.
func (j *Wing) StopWriter() { j.w.stop() }

// Run sweeps runs (expiry, redelivery) until ctx ends.
func (j *Wing) Run(ctx context.Context) error {
	j.loop(ctx)
	return nil
}
