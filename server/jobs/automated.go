package jobs

import (
	"errors"
	"fmt"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// automation is who scheduled tasks' jobs are created by: the automation
// wing runs them for the profiles in force, not on a person's behalf
// (the technician who assigned the profile passed the two-factor and
// scope checks then).
var automation = &httpx.Principal{Name: "automation", Role: "system", AllClients: true,
	Perms: []string{httpx.PermRun, httpx.PermPatch, httpx.PermPower, httpx.PermSoftware, httpx.PermMessage}, Via: "automation"}

// RunAutomated creates one system job of a scheduled task for the given
// devices: an ordinary job (runs, output, history, audit by
// "automation") whose target names its origin, e.g. "task Nightly of
// automation profile Servers". Runs for offline devices stay queued
// until they return or expires passes. Devices unknown, pending approval
// or retired are left out and returned in skipped. It returns the job's
// ID and each device's run ID.
func (j *Wing) RunAutomated(req api.JobRequest, origin string, expires time.Time) (jobID string, runs map[string]string, skipped []string, err error) {
	var views []fleet.View
	for _, id := range req.Devices {
		v, ok := j.fleet.View(id)
		if !ok || v.Retired || v.Approval == fleet.ApprovalPending {
			skipped = append(skipped, id)
			continue
		}
		views = append(views, v)
	}
	if len(views) == 0 {
		return "", nil, skipped, nil
	}
	var lib *store.Script
	if req.Kind == protocol.KindScript {
		sc, code, msg := j.library.Library(automation, req.Library, views)
		if code != 0 {
			return "", nil, skipped, fmt.Errorf("%s: %s", origin, msg)
		}
		lib = &sc
	}
	if !expires.IsZero() {
		// ExpiresSeconds counts from the job's creation on the wing's
		// clock; at least a minute so a run is never born expired.
		d := expires.Sub(j.now())
		req.ExpiresSeconds = max(60, int(d/time.Second))
	}
	spec, ref, err := j.validate(&req, lib)
	if err != nil {
		return "", nil, skipped, fmt.Errorf("%s: %w", origin, err)
	}
	job, rs, err := j.create(automation, &req, views, origin, spec, ref)
	if err != nil {
		return "", nil, skipped, err
	}
	if len(rs) == 0 {
		return "", nil, skipped, errors.New("automated job: no run created")
	}
	runs = make(map[string]string, len(rs))
	for i := range rs {
		runs[rs[i].DeviceID] = rs[i].ID
	}
	return job.ID, runs, skipped, nil
}
