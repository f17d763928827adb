package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/events"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/hub"
	"github.com/steward-rmm/steward/server/store"
)

// Wing creates jobs, sends runs to devices, and records what comes
// back. Every run ends in exactly one terminal state: the store refuses to
// move a terminal run, so a duplicate or late result changes nothing.
type Wing struct {
	cfg     Config
	st      Store
	fleet   *fleet.Fleet
	hub     Conns
	bus     *events.Bus
	devices Devices
	library Library
	fresh   Fresh
	metrics Metrics
	alog    auditlog.Writer
	now     httpx.Clock
	log     *slog.Logger
	// mu guards waiters, which wake followers of a run when its output or
	// state changes. Lock order: a leaf; channels are closed after it is
	// released.
	mu      sync.Mutex
	waiters map[string][]chan struct{}
	w       jobWriter // every write of jobs and runs (jobwriter.go)
}

// New builds the jobs wing. Its writer runs in RunWriter.
func New(d Deps) *Wing {
	j := &Wing{cfg: d.Config, st: d.Store, fleet: d.Fleet, hub: d.Conns, bus: d.Bus, devices: d.Devices, library: d.Library,
		fresh: d.Fresh, metrics: d.Metrics, alog: d.Audit, now: d.Now, log: d.Log, waiters: map[string][]chan struct{}{}}
	j.w.init(d.Store, d.Metrics.StoreWrite)
	return j
}

// jobRequest is the API's body for creating a job.
type jobRequest = api.JobRequest

// errNotFound: a job's target or script the caller cannot see.
var errNotFound = errors.New("not found")

// errBadJob marks a request the caller must fix (400).
var errBadJob = errors.New("invalid job")

func badJob(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errBadJob, fmt.Sprintf(format, a...))
}

// permFor returns the permission a job kind needs.
func permFor(kind string) string {
	switch kind {
	case protocol.KindScript, protocol.KindUninstall:
		return httpx.PermRun
	case protocol.KindService:
		return httpx.PermServices
	case protocol.KindServiceList:
		return httpx.PermView
	case protocol.KindPower:
		return httpx.PermPower
	case protocol.KindPatchInstall, protocol.KindPatchScan:
		return httpx.PermPatch
	case protocol.KindPackage:
		return httpx.PermSoftware
	case protocol.KindMessage:
		return httpx.PermMessage
	}
	return httpx.PermAdmin
}

// needsFresh reports whether a job kind changes the device enough to need
// a fresh second factor whatever its size (as a shell does): installing
// or removing software.
func needsFresh(kind string) bool { return kind == protocol.KindPackage }

// validate checks a request and fills the protocol job template. lib is
// the library script version the request names (resolved by
// the scripts wing's Library), nil for an ad-hoc script.
func (j *Wing) validate(req *jobRequest, lib *store.Script) (protocol.Job, *store.ScriptRef, error) {
	spec := protocol.Job{Kind: req.Kind, Timeout: req.TimeoutSeconds}
	var ref *store.ScriptRef
	if req.TimeoutSeconds < 0 || req.TimeoutSeconds > 7*24*3600 {
		return spec, nil, badJob("timeout_seconds must be between 0 and 604800")
	}
	switch req.Kind {
	case protocol.KindScript:
		if lib != nil {
			args := lib.Args
			if req.Script != nil && req.Script.Args != nil {
				args = req.Script.Args
			}
			spec.Script = &protocol.ScriptSpec{Interpreter: lib.Interpreter, Body: lib.Body, Args: args}
			if req.Script != nil {
				spec.Script.Env = req.Script.Env
			}
			ref = &store.ScriptRef{ID: lib.ID, ClientID: lib.ClientID, Name: lib.Name, Version: lib.Version}
		} else {
			if req.Script == nil {
				return spec, nil, badJob("a script job needs script or library")
			}
			sc := *req.Script
			spec.Script = &sc
			if sc.Body != "" {
				ref = &store.ScriptRef{}
			}
		}
		if ref != nil {
			// The hash of exactly what the agents are sent.
			ref.SHA256 = store.ScriptHash(spec.Script.Body)
		}
		sc := spec.Script
		if len(sc.Command) == 0 && !protocol.KnownInterpreter(sc.Interpreter) {
			return spec, nil, badJob("interpreter must be one of sh, bash, powershell, cmd, python")
		}
		if sc.Body == "" && len(sc.Command) == 0 {
			return spec, nil, badJob("script body or command is empty")
		}
		if len(sc.Body) > 1<<20 {
			return spec, nil, badJob("script body larger than 1 MiB")
		}
		if len(sc.Args) > 256 || len(sc.Env) > 256 || len(sc.Command) > 256 {
			return spec, nil, badJob("too many arguments or environment variables")
		}
		for k := range sc.Env {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return spec, nil, badJob("invalid environment variable name %q", k)
			}
		}
	case protocol.KindService:
		if req.Service == nil || req.Service.Name == "" {
			return spec, nil, badJob("service name required")
		}
		switch req.Service.Action {
		case "start", "stop", "restart":
		default:
			return spec, nil, badJob("service action must be start, stop or restart")
		}
		spec.Service = req.Service
	case protocol.KindServiceList, protocol.KindPatchScan:
	case protocol.KindPower:
		if req.Power == nil {
			return spec, nil, badJob("power action required")
		}
		switch req.Power.Action {
		case "shutdown", "reboot", "logoff":
		default:
			return spec, nil, badJob("power action must be shutdown, reboot or logoff")
		}
		if req.Power.DelaySeconds < 0 || req.Power.DelaySeconds > 7*24*3600 {
			return spec, nil, badJob("delay_seconds out of range")
		}
		if len(req.Power.Message) > 512 {
			return spec, nil, badJob("message longer than 512 bytes")
		}
		spec.Power = req.Power
	case protocol.KindPatchInstall:
		p := protocol.PatchInstall{}
		if req.Patch != nil {
			p = *req.Patch
		}
		switch p.Reboot {
		case "", "never", "if-required":
		default:
			return spec, nil, badJob("reboot must be never or if-required (use at for a scheduled reboot)")
		}
		spec.Patch = &p
	case protocol.KindUninstall:
		if req.Software == nil || req.Software.ID == "" {
			return spec, nil, badJob("software id required")
		}
		spec.Software = req.Software
	case protocol.KindPackage:
		if req.Package == nil {
			return spec, nil, badJob("package job needs package (action, packages)")
		}
		p := *req.Package
		p.Packages = append([]string(nil), p.Packages...)
		if err := protocol.CheckPackageJob(&p); err != nil {
			return spec, nil, badJob("%s", err.Error())
		}
		spec.Package = &p
	case protocol.KindMessage:
		if req.Message == nil {
			return spec, nil, badJob("message job needs message (text)")
		}
		m := *req.Message
		if err := protocol.CheckMessageJob(&m); err != nil {
			return spec, nil, badJob("%s", err.Error())
		}
		spec.Message = &m
	default:
		return spec, nil, badJob("unknown job kind %q", req.Kind)
	}
	return spec, ref, nil
}

// targets resolves a request's devices within the principal's scope.
func (j *Wing) targets(p *httpx.Principal, req *jobRequest) ([]fleet.View, string, error) {
	f := fleet.Filter{Clients: p.ClientScope()}
	desc := ""
	switch {
	case len(req.Devices) > 0:
		f.IDs = req.Devices
		desc = fmt.Sprintf("%d devices", len(req.Devices))
	case req.Client != "":
		c, ok := j.devices.ResolveClient(p, req.Client)
		if !ok {
			return nil, "", errNotFound
		}
		f.Clients = []string{c.ID}
		desc = "client " + c.Name
	case req.Filter != nil:
		q := req.Filter
		f.Search, f.OS, f.Online, f.PendingReboot, f.HasPatches, f.DeviceType = q.Search, q.OS, q.Online, q.PendingReboot, q.HasPatches, q.DeviceType
		if q.Client != "" {
			c, ok := j.devices.ResolveClient(p, q.Client)
			if !ok {
				return nil, "", errNotFound
			}
			f.Clients = []string{c.ID}
		}
		desc = "filter"
	default:
		return nil, "", badJob("a job needs devices, client or filter")
	}
	views, _ := j.fleet.List(f)
	if len(req.Devices) > 0 && len(views) != len(dedupe(req.Devices)) {
		// Unknown and out-of-scope devices look the same: not found. The
		// scope check names each (a client withheld for lack of the
		// customer's consent turns the answer into that refusal).
		for id := range dedupe(req.Devices) {
			j.devices.Device(p, id)
		}
		return nil, "", errNotFound
	}
	// A device waiting for approval gets no job: naming one is refused,
	// and a client or filter target leaves it out.
	// Filtered in place: a fan-out to every device copies no views.
	approved, pending := views[:0], 0
	for _, v := range views {
		if v.Retired { // named: client and filter targets leave retired devices out
			return nil, "", fmt.Errorf("%w: device %s is retired; restore it first (POST /api/v1/devices/%s/restore)",
				errPendingDevice, v.ID, v.ID)
		}
		if v.Approval == fleet.ApprovalPending {
			if len(req.Devices) > 0 {
				return nil, "", fmt.Errorf("%w: device %s is pending approval; approve it first (POST /api/v1/devices/%s/approve)",
					errPendingDevice, v.ID, v.ID)
			}
			pending++
			continue
		}
		approved = append(approved, v)
	}
	if len(approved) == 0 {
		if pending > 0 {
			return nil, "", fmt.Errorf("%w: no approved device matches the target (%d pending approval)", errPendingDevice, pending)
		}
		return nil, "", badJob("no device matches the target")
	}
	// Each client the job reaches passes the shared scope check once,
	// which records the use of a customer's grant it runs under.
	seen := map[string]bool{}
	for _, v := range approved {
		if !seen[v.Client] {
			seen[v.Client] = true
			p.CanSeeClient(v.Client)
		}
	}
	return approved, desc, nil
}

// errPendingDevice marks a job refused because its devices wait for
// approval (409).
var errPendingDevice = errors.New("job refused")

func dedupe(ids []string) map[string]bool {
	m := map[string]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// create stores a job with one run per target and sends the runs to the
// devices that are online. Runs for online devices are stored as "sent" in
// the same transaction, so a fan-out to thousands costs one commit.
func (j *Wing) create(p *httpx.Principal, req *jobRequest, views []fleet.View, desc string, spec protocol.Job, ref *store.ScriptRef) (store.Job, []store.Run, error) {
	lib := ""
	if ref != nil && ref.ID != "" {
		lib = fmt.Sprintf("%s@%d", ref.Name, ref.Version)
	}
	now := j.now()
	exp := j.cfg.JobExpiry
	if req.ExpiresSeconds > 0 {
		exp = time.Duration(req.ExpiresSeconds) * time.Second
	}
	specDoc, err := EncodeSpec(spec)
	if err != nil {
		return store.Job{}, nil, err
	}
	job := store.Job{ID: httpx.NewID("j"), Kind: req.Kind, CreatedBy: p.Name, CreatedAt: now, Expires: now.Add(exp),
		NotBefore: req.At, Spec: specDoc, Target: desc, Runs: len(views), Library: lib, Script: ref}
	online := j.fleet.OnlineIDs()
	runs := make([]store.Run, len(views))
	immediate := req.At.IsZero() || !req.At.After(now)
	for i, v := range views {
		r := store.Run{ID: httpx.NewID("r"), JobID: job.ID, DeviceID: v.ID, ClientID: v.Client, Kind: req.Kind,
			State: protocol.StateQueued, CreatedAt: now, Expires: job.Expires, NotBefore: req.At}
		// targets left pending devices out; checked again here because
		// nothing may reach a device before it is approved.
		if immediate && online[v.ID] && j.hub.Get(v.ID) != nil && v.Approval != fleet.ApprovalPending && !v.Retired {
			r.State, r.SentAt = protocol.StateSent, now
		}
		runs[i] = r
	}
	// Through the writer like every run write, so the job's runs exist
	// before any op queued after it touches them.
	if err := j.write(func() error { return j.st.CreateJob(&job, runs) }); err != nil {
		return job, nil, err
	}
	var msg *jobMessage
	for i := range runs {
		if runs[i].State == protocol.StateSent {
			if c := j.hub.Get(runs[i].DeviceID); c != nil {
				if msg == nil {
					msg = j.newJobMessage(&job)
				}
				c.Send(msg.forRun(j, &runs[i]))
			}
		}
	}
	ids := make([]string, 0, min(len(runs), 100))
	for i := range runs {
		if i < 100 {
			ids = append(ids, runs[i].DeviceID)
		}
	}
	j.alog.AuditP(p, "job.create", job.ID, map[string]string{"kind": job.Kind, "target": desc,
		"devices": strings.Join(ids, ","), "count": fmt.Sprint(len(runs)), "detail": jobSummary(&spec, lib), "script_sha256": scriptHashOf(ref)})
	// The event names the job's clients, so the stream shows it only to
	// users who can see the job itself (jobVisible).
	ev := events.Event{Type: "job", ID: job.ID, State: "created", Clients: job.Clients}
	if len(job.Clients) == 1 {
		ev.ClientID = job.Clients[0]
	}
	j.bus.Publish(ev)
	return job, runs, nil
}

func scriptHashOf(ref *store.ScriptRef) string {
	if ref == nil {
		return ""
	}
	return ref.SHA256
}

func jobSummary(spec *protocol.Job, lib string) string {
	switch {
	case lib != "":
		return "library " + lib
	case spec.Script != nil && len(spec.Script.Command) > 0:
		return httpx.CleanText(strings.Join(spec.Script.Command, " "), 200)
	case spec.Script != nil:
		return spec.Script.Interpreter + " script, " + fmt.Sprint(len(spec.Script.Body)) + " bytes"
	case spec.Service != nil:
		return spec.Service.Action + " " + spec.Service.Name
	case spec.Power != nil:
		return spec.Power.Action
	case spec.Patch != nil:
		return fmt.Sprintf("patches %v reboot=%s", spec.Patch.IDs, spec.Patch.Reboot)
	case spec.Package != nil:
		m := spec.Package.Manager
		if m == "" {
			m = "detected manager"
		}
		return httpx.CleanText(spec.Package.Action+" "+strings.Join(spec.Package.Packages, " ")+" ("+m+")", 400)
	case spec.Message != nil:
		kind := "message"
		if spec.Message.Prompt {
			kind = "yes/no prompt"
		}
		return httpx.CleanText(kind+": "+spec.Message.Title+": "+spec.Message.Text, 400)
	}
	return spec.Kind
}

func (j *Wing) message(job *store.Job, r *store.Run) []byte {
	m, err := DecodeSpec(job)
	if err != nil {
		j.log.Error("job spec", "job", job.ID, "err", err)
	}
	m.RunID, m.JobID, m.Expires = r.ID, job.ID, r.Expires
	return protocol.MustEncode(protocol.TypeJob, "", m)
}

func (j *Wing) DeviceGone(c *hub.Conn) {}

func (j *Wing) stateOp(runID, device, state, reason string) store.RunOp {
	return store.RunOp{RunID: runID, Device: device, Advance: &store.RunAdvance{State: state, Reason: reason, At: j.now()}}
}

// changed publishes a run's new state after its commit.
func (j *Wing) changed(r store.RunOpResult, state string) {
	if r.Err != nil {
		if !errors.Is(r.Err, store.ErrNotFound) {
			j.log.Error("run state", "run", r.Run.ID, "err", r.Err)
		}
		return
	}
	if r.Changed {
		j.metrics.RunState(state)
		j.bus.Publish(events.Event{Type: "run", ID: r.Run.ID, JobID: r.Run.JobID, DeviceID: r.Run.DeviceID,
			ClientID: r.Run.ClientID, State: state})
		j.wake(r.Run.ID)
		if r.JobDone {
			j.wake(jobWaitKey(r.Run.JobID))
		}
	}
}

// jobWaitKey names a job among the waiters, which are keyed by run id
// otherwise.
func jobWaitKey(jobID string) string { return "job/" + jobID }

func (j *Wing) finishOp(runID, device, state, reason string, exit int, res *protocol.JobResult) store.RunOp {
	f := &store.RunFinish{State: state, Reason: reason, ExitCode: exit, At: j.now()}
	if res != nil {
		f.Started, f.Ended, f.Truncated = res.Started, res.Ended, res.Truncated
		if len(res.Data) > 0 && len(res.Data) < 1<<20 && json.Valid(res.Data) {
			f.Data = res.Data
		}
	}
	return store.RunOp{RunID: runID, Device: device, Finish: f}
}

// finish moves a run to a terminal state once and waits for the commit;
// later calls change nothing.
func (j *Wing) finish(runID, state, reason string, exit int, res *protocol.JobResult) (bool, error) {
	r := j.submitWait(j.finishOp(runID, "", state, reason, exit, res))
	j.changed(r, state)
	return r.Changed, r.Err
}

// ackUnknown lets an agent forget a result for a run the server does not
// know (deleted, or not this device's).
func ackUnknown(c *hub.Conn, runID string) {
	c.Send(protocol.MustEncode(protocol.TypeResultAck, "", protocol.ResultAck{RunID: runID}))
}

func (j *Wing) AgentMessage(c *hub.Conn, env protocol.Envelope) error {
	switch env.Type {
	case protocol.TypeJobAck:
		var a protocol.JobAck
		if err := protocol.DecodeData(env, &a); err != nil {
			return err
		}
		if a.Refused != "" {
			state := protocol.StateFailed
			j.submit(j.finishOp(a.RunID, c.DeviceID, state, "refused by agent: "+httpx.CleanText(a.Refused, 512), -1, nil),
				func(r store.RunOpResult) { j.changed(r, state) })
		} else if !a.Duplicate {
			j.submit(j.stateOp(a.RunID, c.DeviceID, protocol.StateRunning, ""),
				func(r store.RunOpResult) { j.changed(r, protocol.StateRunning) })
		}
	case protocol.TypeJobOutput:
		var o protocol.JobOutput
		if err := protocol.DecodeData(env, &o); err != nil {
			return err
		}
		if len(o.Data) > protocol.MaxChunk || o.Offset < 0 || (o.Stream != "stdout" && o.Stream != "stderr") {
			return fmt.Errorf("%w: bad job_output", protocol.ErrMalformed)
		}
		j.submit(store.RunOp{RunID: o.RunID, Device: c.DeviceID, Output: &store.OutputOp{Stream: o.Stream,
			Offset: o.Offset, Data: o.Data, Cap: j.cfg.OutputCap}}, func(r store.RunOpResult) {
			if r.Stored > 0 {
				j.wake(o.RunID)
			}
		})
	case protocol.TypeJobResult:
		var res protocol.JobResult
		if err := protocol.DecodeData(env, &res); err != nil {
			return err
		}
		if !protocol.Terminal(res.State) || res.State == protocol.StateExpired ||
			len(res.Stdout) > protocol.MaxChunk || len(res.Stderr) > protocol.MaxChunk {
			return fmt.Errorf("%w: result state %q", protocol.ErrMalformed, res.State)
		}
		// Output carried inline (protocol 2) is stored before the state.
		for _, o := range []struct {
			stream string
			data   []byte
		}{{"stdout", res.Stdout}, {"stderr", res.Stderr}} {
			if len(o.data) > 0 {
				j.submit(store.RunOp{RunID: res.RunID, Device: c.DeviceID, Output: &store.OutputOp{Stream: o.stream,
					Data: o.data, Cap: j.cfg.OutputCap}}, nil)
			}
		}
		res.Stdout, res.Stderr = nil, nil
		// The output chunks before it are in the same queue, so they are
		// committed first; only then does the agent get its ack.
		j.submit(j.finishOp(res.RunID, c.DeviceID, res.State, httpx.CleanText(res.Reason, 1024), res.ExitCode, &res),
			func(r store.RunOpResult) {
				switch {
				case r.Err == nil:
					j.changed(r, res.State)
					c.Send(protocol.MustEncode(protocol.TypeResultAck, "", protocol.ResultAck{RunID: res.RunID}))
				case errors.Is(r.Err, store.ErrNotFound):
					ackUnknown(c, res.RunID)
				default:
					// No ack: the agent keeps the result and resends it.
					j.log.Error("store result", "run", res.RunID, "err", r.Err)
				}
			})
	}
	return nil
}

// cancel stops a run: queued runs end at once; sent or running ones are
// killed on the device (or when it reconnects).
func (j *Wing) cancel(p *httpx.Principal, runID string) (store.Run, error) {
	r, err := j.st.Run(runID)
	if err != nil {
		return r, err
	}
	if protocol.Terminal(r.State) {
		return r, nil
	}
	if r.State == protocol.StateQueued {
		if _, err := j.finish(runID, protocol.StateCancelled, "cancelled by "+p.Name+" before it was sent", -1, nil); err != nil {
			return r, err
		}
	} else {
		j.submitWait(store.RunOp{RunID: runID, Cancel: true})
		if c := j.hub.Get(r.DeviceID); c != nil {
			c.Send(protocol.MustEncode(protocol.TypeJobCancel, "", protocol.JobCancel{RunID: runID}))
		}
	}
	j.alog.AuditP(p, "run.cancel", runID, map[string]string{"device": r.DeviceID, "job": r.JobID})
	return j.st.Run(runID)
}

// wait returns a channel closed at the next change of a run.
func (j *Wing) wait(runID string) chan struct{} {
	ch := make(chan struct{})
	j.mu.Lock()
	j.waiters[runID] = append(j.waiters[runID], ch)
	j.mu.Unlock()
	return ch
}

// unwait drops a waiter that stopped waiting (timeout, client gone), so a
// run or job that never changes again does not keep its channels forever.
func (j *Wing) unwait(key string, ch chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	ws := j.waiters[key]
	for i, c := range ws {
		if c == ch {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(j.waiters, key)
	} else {
		j.waiters[key] = ws
	}
}

func (j *Wing) wake(runID string) {
	j.mu.Lock()
	ws := j.waiters[runID]
	delete(j.waiters, runID)
	j.mu.Unlock()
	for _, ch := range ws {
		close(ch)
	}
}
