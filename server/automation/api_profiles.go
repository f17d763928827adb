package automation

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/assign"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

const (
	maxBody  = 64 << 10
	maxTasks = 50
)

var taskIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func writeStoreError(rw http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		httpx.WriteError(rw, 404, "not found")
	case errors.Is(err, store.ErrExists):
		httpx.WriteError(rw, 409, "an automation profile of that owner has that name")
	default:
		httpx.WriteError(rw, 500, "internal error")
	}
}

// afterChange reloads the configuration and answers v.
func (w *Wing) afterChange(rw http.ResponseWriter, code int, v any) {
	if err := w.reload(); err != nil {
		w.d.Log.Error("reload automation configuration", "err", err)
		writeStoreError(rw, err)
		return
	}
	httpx.WriteJSON(rw, code, v)
}

func (w *Wing) clientNames() map[string]string {
	m := map[string]string{}
	cs, _ := w.d.Store.Clients()
	for _, c := range cs {
		m[c.ID] = c.Name
	}
	return m
}

func toAPITask(t *store.AutoTask) api.AutoTask {
	return api.AutoTask{ID: t.ID, Name: t.Name, Action: t.Action, Library: t.Library, Packages: t.Packages,
		Schedule: api.AutoSchedule(t.Schedule), SpreadSeconds: t.Spread, SkipOffline: t.SkipOffline,
		DeadlineMinutes: t.DeadlineMinutes, TimeoutSeconds: t.TimeoutSeconds}
}

func toAPIProfile(p *store.AutoProfile, names map[string]string) api.AutoProfile {
	out := api.AutoProfile{ID: p.ID, Name: p.Name, ClientID: p.ClientID, ClientName: names[p.ClientID], Description: p.Description,
		Tasks: []api.AutoTask{}, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, UpdatedBy: p.UpdatedBy}
	for i := range p.Tasks {
		out.Tasks = append(out.Tasks, toAPITask(&p.Tasks[i]))
	}
	if pp := p.Patch; pp != nil {
		out.Patch = &api.PatchPolicy{Auto: pp.Auto, Include: pp.Include, Exclude: pp.Exclude, Weekdays: pp.Weekdays, Start: pp.Start,
			Minutes: pp.Minutes, TimeZone: pp.TimeZone, Reboot: pp.Reboot, Message: pp.Message, RebootAfterDays: pp.RebootAfterDays}
		out.Patch.Classifications, out.Patch.MinSeverity = pp.Classifications, pp.MinSeverity
		rebootToAPI(pp, out.Patch)
	}
	return out
}

// visibleProfile finds a profile p may see by ID or name (the caller's
// client's first, then global).
func (w *Wing) visibleProfile(p *httpx.Principal, ref string) (store.AutoProfile, bool) {
	if pr, err := w.d.Store.AutoProfile(ref); err == nil {
		return pr, pr.ClientID == "" || p.CanSeeClient(pr.ClientID)
	}
	ps, err := w.d.Store.AutoProfiles()
	if err != nil {
		return store.AutoProfile{}, false
	}
	var hit *store.AutoProfile
	for i := range ps {
		pr := &ps[i]
		if pr.Name != ref || (pr.ClientID != "" && !p.CanSeeClient(pr.ClientID)) {
			continue
		}
		if hit == nil || (hit.ClientID == "" && pr.ClientID != "") {
			hit = pr
		}
	}
	if hit == nil {
		return store.AutoProfile{}, false
	}
	return *hit, true
}

// permForAction is the permission a task's action needs of whoever
// creates it (what a hand-made job of its kind needs).
func permForAction(action string) string {
	switch action {
	case ActionPatchScan, ActionPatchInstall:
		return httpx.PermPatch
	case ActionRebootIfNeeded:
		return httpx.PermPower
	case ActionSoftwareInstall:
		return httpx.PermSoftware
	}
	return httpx.PermRun
}

// taskError is a task the caller must fix, with its HTTP status.
type taskError struct {
	code int
	msg  string
}

func (e *taskError) Error() string { return e.msg }

func bad(format string, a ...any) error { return &taskError{400, fmt.Sprintf(format, a...)} }

// checkTasks validates a profile's tasks for principal p and owner
// client ("" = global).
func (w *Wing) checkTasks(p *httpx.Principal, owner string, in []api.AutoTask) ([]store.AutoTask, error) {
	if len(in) > maxTasks {
		return nil, bad("at most %d tasks", maxTasks)
	}
	ids := map[string]bool{}
	out := make([]store.AutoTask, 0, len(in))
	for i, at := range in {
		t := store.AutoTask{ID: at.ID, Action: at.Action, Library: strings.TrimSpace(at.Library), Schedule: store.AutoSchedule(at.Schedule),
			Spread: at.SpreadSeconds, SkipOffline: at.SkipOffline, DeadlineMinutes: at.DeadlineMinutes, TimeoutSeconds: at.TimeoutSeconds}
		name, err := httpx.CleanName("task name", at.Name, 100)
		if err != nil {
			return nil, bad("task %d: %s", i+1, err.Error())
		}
		t.Name = name
		if t.ID == "" {
			for n := i + 1; t.ID == "" || ids[t.ID]; n++ {
				t.ID = "task-" + strconv.Itoa(n)
			}
		}
		if !taskIDRE.MatchString(t.ID) || t.ID == PatchTaskID {
			return nil, bad("task %d: id must be 1..64 of A-Z a-z 0-9 . _ -", i+1)
		}
		if ids[t.ID] {
			return nil, bad("task id %q used twice", t.ID)
		}
		ids[t.ID] = true
		switch t.Action {
		case ActionScript, ActionPatchScan, ActionPatchInstall, ActionRebootIfNeeded, ActionSoftwareInstall:
		default:
			return nil, bad("task %q: action must be script, patch-scan, patch-install, reboot-if-required or software-install", t.ID)
		}
		if need := permForAction(t.Action); !p.Has(need) {
			return nil, &taskError{403, p.Denied(need)}
		}
		if t.Action == ActionScript {
			j := strings.LastIndexByte(t.Library, '@')
			if v, err := strconv.Atoi(t.Library[j+1:]); j <= 0 || err != nil || v < 1 {
				return nil, bad("task %q: a script task runs a library script pinned as NAME@VERSION", t.ID)
			}
			var views []fleet.View
			if owner != "" {
				views = []fleet.View{{Client: owner}}
			}
			if _, code, msg := w.d.Library.Library(p, t.Library, views); code != 0 {
				return nil, &taskError{code, "task " + strconv.Quote(t.ID) + ": " + msg}
			}
		} else if t.Library != "" {
			return nil, bad("task %q: only a script task names a library script", t.ID)
		}
		if t.Action == ActionSoftwareInstall {
			pj := protocol.PackageJob{Action: "install", Packages: append([]string(nil), at.Packages...)}
			if err := protocol.CheckPackageJob(&pj); err != nil {
				return nil, bad("task %q: %s", t.ID, err.Error())
			}
			t.Packages = pj.Packages
		} else if len(at.Packages) > 0 {
			return nil, bad("task %q: only a software-install task names packages", t.ID)
		}
		if _, err := compile(&t.Schedule, w.d.Config.TimeZone, w.d.Config.MinEvery); err != nil {
			return nil, bad("task %q: %s", t.ID, err.Error())
		}
		switch {
		case t.Spread < 0 || t.Spread > 86400:
			return nil, bad("task %q: spread_seconds must be 0..86400", t.ID)
		case t.DeadlineMinutes < 0 || t.DeadlineMinutes > 7*1440:
			return nil, bad("task %q: deadline_minutes must be 0..10080", t.ID)
		case t.TimeoutSeconds < 0 || t.TimeoutSeconds > 7*24*3600:
			return nil, bad("task %q: timeout_seconds must be 0..604800", t.ID)
		}
		out = append(out, t)
	}
	return out, nil
}

func writeTaskError(rw http.ResponseWriter, err error) {
	var te *taskError
	if errors.As(err, &te) {
		httpx.WriteError(rw, te.code, te.msg)
		return
	}
	httpx.WriteError(rw, 400, err.Error())
}

// needsFresh reports whether a change reaching devices devices with
// tasks needs a fresh second factor, as a hand-made job would: more
// devices than a large job, or software installed whatever the count.
func (w *Wing) needsFresh(p *httpx.Principal, devices int, tasks []store.AutoTask) string {
	if w.d.Fresh == nil || w.d.Fresh.Fresh(p) {
		return ""
	}
	for _, t := range tasks {
		if t.Action == ActionSoftwareInstall && devices > 0 {
			return "a task installing software needs a fresh two-factor check"
		}
	}
	if devices > w.d.Config.LargeJob {
		return "automation reaching more than " + strconv.Itoa(w.d.Config.LargeJob) + " devices needs a fresh two-factor check"
	}
	return ""
}

func (w *Wing) apiProfiles(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	ps, err := w.d.Store.AutoProfiles()
	if err != nil {
		writeStoreError(rw, err)
		return
	}
	names := w.clientNames()
	out := []api.AutoProfile{}
	for i := range ps {
		if ps[i].ClientID == "" || p.CanSeeClient(ps[i].ClientID) {
			out = append(out, toAPIProfile(&ps[i], names))
		}
	}
	httpx.WriteJSON(rw, 200, out)
}

func (w *Wing) apiProfile(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	pr, ok := w.visibleProfile(p, r.PathValue("autoprofile"))
	if !ok {
		httpx.WriteError(rw, 404, "automation profile not found")
		return
	}
	httpx.WriteJSON(rw, 200, toAPIProfile(&pr, w.clientNames()))
}

func (w *Wing) apiCreateProfile(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.AutoProfileRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	owner, code, msg := assign.Owner(p, w.d.Devices, req.Client,
		"a user of some clients creates profiles of one of them (give client)")
	if code != 0 {
		httpx.WriteError(rw, code, msg)
		return
	}
	name, err := httpx.CleanName("name", req.Name, 100)
	if err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	tasks, err := w.checkTasks(p, owner, req.Tasks)
	if err != nil {
		writeTaskError(rw, err)
		return
	}
	anchorTasks(tasks, nil, w.d.Now())
	patch, err := w.checkPatchFor(p, req.Patch)
	if err != nil {
		writeTaskError(rw, err)
		return
	}
	now := w.d.Now().UTC()
	pr := store.AutoProfile{ID: httpx.NewID("ap"), Name: name, ClientID: owner, Description: httpx.CleanText(req.Description, 1000),
		Tasks: tasks, Patch: patch, CreatedAt: now, UpdatedAt: now, UpdatedBy: p.Name}
	if err := w.d.Store.PutAutoProfile(pr); err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "automation.profile.create", pr.ID, map[string]string{"name": pr.Name, "client": owner,
		"tasks": taskSummary(tasks), "patch": patchSelection(pr.Patch)})
	w.afterChange(rw, 201, toAPIProfile(&pr, w.clientNames()))
}

// taskSummary is a profile's tasks as the audit log records them.
func taskSummary(ts []store.AutoTask) string {
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		s := t.ID + ":" + t.Action
		if t.Library != "" {
			s += " " + t.Library
		}
		parts = append(parts, s+" "+sigOf(&t))
	}
	return httpx.CleanText(strings.Join(parts, "; "), 2000)
}

func (w *Wing) apiUpdateProfile(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	pr, ok := w.visibleProfile(p, r.PathValue("autoprofile"))
	if !ok {
		httpx.WriteError(rw, 404, "automation profile not found")
		return
	}
	if pr.ClientID == "" && !p.AllClients {
		httpx.WriteError(rw, 403, "only a user with access to every client can change a global profile")
		return
	}
	var req api.AutoProfileRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	name, err := httpx.CleanName("name", req.Name, 100)
	if err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	tasks, err := w.checkTasks(p, pr.ClientID, req.Tasks)
	if err != nil {
		writeTaskError(rw, err)
		return
	}
	anchorTasks(tasks, pr.Tasks, w.d.Now())
	patch, err := w.checkPatchFor(p, req.Patch)
	if err != nil {
		writeTaskError(rw, err)
		return
	}
	if patch != nil {
		tasks = append(tasks, *patchPolicyTask(patch)) // for the two-factor rule only
	}
	if msg := w.needsFresh(p, w.reach(pr.ID), tasks); msg != "" {
		httpx.WriteNeedFresh(rw, msg)
		return
	}
	if patch != nil {
		tasks = tasks[:len(tasks)-1]
	}
	pr.Name, pr.Description, pr.Tasks, pr.Patch = name, httpx.CleanText(req.Description, 1000), tasks, patch
	pr.UpdatedAt, pr.UpdatedBy = w.d.Now().UTC(), p.Name
	if err := w.d.Store.PutAutoProfile(pr); err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "automation.profile.update", pr.ID, map[string]string{"name": pr.Name, "client": pr.ClientID,
		"tasks": taskSummary(tasks), "patch": patchSelection(pr.Patch)})
	w.afterChange(rw, 200, toAPIProfile(&pr, w.clientNames()))
}

func (w *Wing) apiDeleteProfile(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	pr, ok := w.visibleProfile(p, r.PathValue("autoprofile"))
	if !ok {
		httpx.WriteError(rw, 404, "automation profile not found")
		return
	}
	if pr.ClientID == "" && !p.AllClients {
		httpx.WriteError(rw, 403, "only a user with access to every client can delete a global profile")
		return
	}
	if err := w.d.Store.DeleteAutoProfile(pr.ID); err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "automation.profile.delete", pr.ID, map[string]string{"name": pr.Name, "client": pr.ClientID})
	w.afterChange(rw, 200, api.Deleted{ID: pr.ID, Deleted: true})
}

// reach counts the devices a profile is in force on now.
func (w *Wing) reach(profileID string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.samples = w.d.Fleet.Samples(w.samples[:0])
	n := 0
	for i := range w.samples {
		s := &w.samples[i]
		if pr, _ := w.cfg.resolve(s.ID, s.ClientID, s.Group); pr != nil && pr.ID == profileID && !s.Pending {
			n++
		}
	}
	return n
}

// checkPatchFor validates a patch policy for p, who must hold the patch
// permission to set one.
func (w *Wing) checkPatchFor(p *httpx.Principal, in *api.PatchPolicy) (*store.PatchPolicy, error) {
	if in == nil {
		return nil, nil
	}
	if !p.Has(httpx.PermPatch) {
		return nil, &taskError{403, p.Denied(httpx.PermPatch)}
	}
	pp, err := w.checkPatch(in)
	if err != nil {
		return nil, bad("%s", err.Error())
	}
	return pp, nil
}
