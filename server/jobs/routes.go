package jobs

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

func (s *Wing) apiCreateJob(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req jobRequest
	if err := httpx.DecodeBody(r, &req, 2<<20); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	if need := permFor(req.Kind); !p.Has(need) {
		httpx.WriteError(w, 403, p.Denied(need))
		return
	}
	views, desc, err := s.targets(p, &req)
	switch {
	case errors.Is(err, errNotFound):
		httpx.WriteError(w, 404, "device or client not found")
		return
	case errors.Is(err, errPendingDevice):
		httpx.WriteError(w, 409, err.Error())
		return
	case err != nil:
		httpx.WriteError(w, 400, err.Error())
		return
	}
	var lib *store.Script
	if req.Kind == protocol.KindScript && req.Library != "" {
		sc, code, msg := s.library.Library(p, req.Library, views)
		if code != 0 {
			httpx.WriteError(w, code, msg)
			return
		}
		lib = &sc
	}
	spec, ref, err := s.validate(&req, lib)
	if err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	if needsFresh(req.Kind) && !s.fresh.Fresh(p) {
		httpx.WriteNeedFresh(w, "installing or removing software needs a fresh two-factor check")
		return
	}
	if len(views) > s.cfg.LargeJob && !s.fresh.Fresh(p) {
		httpx.WriteNeedFresh(w, "a job on more than "+strconv.Itoa(s.cfg.LargeJob)+" devices needs a fresh two-factor check")
		return
	}
	job, runs, err := s.create(p, &req, views, desc, spec, ref)
	if err != nil {
		s.log.Error("create job", "err", err)
		httpx.WriteError(w, 500, "internal error")
		return
	}
	// A fan-out to thousands answers with the job only; its runs are at
	// GET /api/v1/jobs/{id}.
	if len(runs) > maxRunsInline {
		httpx.WriteJSON(w, 201, api.JobResponse{Job: toAPIJob(job), RunsOmitted: len(runs)})
		return
	}
	httpx.WriteJSON(w, 201, api.JobResponse{Job: toAPIJob(job), Runs: toAPIRuns(runs)})
}

// maxRunsInline is the most runs a job creation response lists.
const maxRunsInline = 1000

// visibleJob returns a job with its run counts if p may see it: all of its
// runs must be on clients in p's scope (a job spanning clients is visible
// to all-client users).
func (s *Wing) visibleJob(p *httpx.Principal, id string) (store.Job, bool) {
	j, err := s.st.Job(id)
	if err != nil || s.st.JobStates(&j) != nil || !s.jobVisible(p, &j) {
		return store.Job{}, false
	}
	return j, true
}

func (s *Wing) jobVisible(p *httpx.Principal, j *store.Job) bool {
	if p.AllClients {
		return true
	}
	for _, c := range j.Clients {
		if !p.CanSeeClient(c) {
			return false
		}
	}
	return len(j.Clients) > 0
}

func (s *Wing) apiJobs(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	limit := 50
	if v, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && v > 0 && v <= 1000 {
		limit = v
	}
	kind := r.URL.Query().Get("kind")
	jobs, err := s.st.Jobs(store.JobQuery{Kind: kind, Scope: p.Scope(), Limit: limit})
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, append([]api.Job{}, toAPIJobs(jobs)...))
}

// apiJob returns a job and its runs. runs=0 leaves the runs out (a
// fan-out's 20,000 runs are megabytes); wait=SECONDS first waits, up to
// 60 s, until no run of the job can change any more.
func (s *Wing) apiJob(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	j, ok := s.visibleJob(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "job not found")
		return
	}
	q := r.URL.Query()
	if wait, _ := strconv.Atoi(q.Get("wait")); wait > 0 && !j.Done() {
		deadline := time.After(time.Duration(min(wait, 60)) * time.Second)
	waiting:
		for !j.Done() {
			// Registered before the re-read, so a finish in between still wakes us.
			ch := s.wait(jobWaitKey(j.ID))
			if x, err := s.st.Job(j.ID); err == nil && s.st.JobStates(&x) == nil {
				j = x
				if j.Done() {
					s.unwait(jobWaitKey(j.ID), ch)
					break
				}
			}
			select {
			case <-ch:
			case <-deadline:
				s.unwait(jobWaitKey(j.ID), ch)
				break waiting
			case <-r.Context().Done():
				s.unwait(jobWaitKey(j.ID), ch)
				return
			}
		}
	}
	if q.Get("runs") == "0" {
		httpx.WriteJSON(w, 200, api.JobResponse{Job: toAPIJob(j)})
		return
	}
	runs, err := s.st.JobRuns(j.ID)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, api.JobResponse{Job: toAPIJob(j), Runs: toAPIRuns(runs)})
}

func (s *Wing) visibleRun(p *httpx.Principal, id string) (store.Run, bool) {
	run, err := s.st.Run(id)
	if err != nil || !p.CanSeeClient(run.ClientID) {
		return store.Run{}, false
	}
	return run, true
}

func (s *Wing) apiRun(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	run, ok := s.visibleRun(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "run not found")
		return
	}
	httpx.WriteJSON(w, 200, toAPIRun(run))
}

// apiRunOutput returns output from the given offsets. With wait=SECONDS it
// long-polls until there is new output or the run ends, which is how the
// CLI's -f and the dashboard follow a live run.
func (s *Wing) apiRunOutput(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	q := r.URL.Query()
	run, ok := s.visibleRun(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "run not found")
		return
	}
	outFrom, _ := strconv.ParseInt(q.Get("stdout_from"), 10, 64)
	errFrom, _ := strconv.ParseInt(q.Get("stderr_from"), 10, 64)
	wait, _ := strconv.Atoi(q.Get("wait"))
	wait = min(max(wait, 0), 60)
	if wait > 0 && !protocol.Terminal(run.State) && run.Stdout <= outFrom && run.Stderr <= errFrom {
		ch := s.wait(run.ID)
		// Re-read after registering so a change in between is not missed.
		if run2, err := s.st.Run(run.ID); err == nil && run2.Stdout <= outFrom && run2.Stderr <= errFrom && !protocol.Terminal(run2.State) {
			select {
			case <-ch:
			case <-time.After(time.Duration(wait) * time.Second):
				s.unwait(run.ID, ch)
			case <-r.Context().Done():
				s.unwait(run.ID, ch)
				return
			}
		} else {
			s.unwait(run.ID, ch)
		}
		run, _ = s.st.Run(run.ID)
	}
	const max = 256 << 10
	so, soNext, err1 := s.st.Output(run.ID, "stdout", outFrom, max)
	se, seNext, err2 := s.st.Output(run.ID, "stderr", errFrom, max)
	if err1 != nil || err2 != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, api.RunOutput{Run: toAPIRun(run), Stdout: string(so), Stderr: string(se),
		StdoutNext: soNext, StderrNext: seNext, Done: protocol.Terminal(run.State)})
}

func (s *Wing) apiCancelRun(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	run, ok := s.visibleRun(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "run not found")
		return
	}
	if need := permFor(run.Kind); !p.Has(need) {
		httpx.WriteError(w, 403, p.Denied(need))
		return
	}
	run, err := s.cancel(p, run.ID)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, toAPIRun(run))
}

func (s *Wing) apiCancelJob(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	j, ok := s.visibleJob(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "job not found")
		return
	}
	runs, err := s.st.JobRuns(j.ID)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	if need := permFor(j.Kind); !p.Has(need) {
		httpx.WriteError(w, 403, p.Denied(need))
		return
	}
	n := 0
	for _, run := range runs {
		if !protocol.Terminal(run.State) {
			if _, err := s.cancel(p, run.ID); err == nil {
				n++
			}
		}
	}
	httpx.WriteJSON(w, 200, api.Cancelled{Cancelled: n})
}

func (s *Wing) apiDeviceRuns(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := s.devices.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "device not found")
		return
	}
	runs, err := s.st.DeviceRuns(v.ID, 100)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, toAPIRuns(runs))
}

func (s *Wing) apiOverview(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	sum := s.fleet.Summarize(p.ClientScope())
	jobs, _ := s.st.Jobs(store.JobQuery{Limit: 10})
	var visible []store.Job
	for _, j := range jobs {
		if p.AllClients || j.CreatedBy == p.Name {
			visible = append(visible, j)
		}
	}
	httpx.WriteJSON(w, 200, api.Overview{Devices: toAPISummaries(sum), RecentJobs: toAPIJobs(visible)})
}
