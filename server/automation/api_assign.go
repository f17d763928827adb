package automation

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/assign"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// profileName names a profile of the configuration in force ("" when
// there is none).
func (w *Wing) profileName(id string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if pr := w.cfg.profiles[id]; pr != nil {
		return pr.Name
	}
	return ""
}

func (w *Wing) apiAssignments(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	as, err := w.d.Store.AutoAssignments()
	if err != nil {
		writeStoreError(rw, err)
		return
	}
	httpx.WriteJSON(rw, 200, assign.Visible(p, as, w.clientNames(), w.profileName))
}

// apiAssign assigns an automation profile (or, with none, removes the
// assignment) at one level; level device takes a list of devices as one
// bulk action. Reaching more devices than a large job needs a fresh
// second factor, as the job would.
func (w *Wing) apiAssign(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.AssignRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	targets, code, msg := assign.Targets(p, w.d.Devices, &req, "automation profile")
	if code != 0 {
		httpx.WriteError(rw, code, msg)
		return
	}
	targets = assign.Unique(targets)
	profileID := ""
	var tasks []store.AutoTask
	if req.Profile != "" {
		pr, ok := w.visibleProfile(p, req.Profile)
		if !ok {
			httpx.WriteError(rw, 404, "automation profile not found")
			return
		}
		if assign.Foreign(targets, pr.ClientID) {
			httpx.WriteError(rw, 403, "automation profile "+pr.Name+" belongs to one client and applies only to its devices")
			return
		}
		profileID, tasks = pr.ID, pr.Tasks
	}
	if msg := w.needsFresh(p, w.targetSize(targets), tasks); profileID != "" && msg != "" {
		httpx.WriteNeedFresh(rw, msg)
		return
	}
	now := w.d.Now().UTC()
	names := w.clientNames()
	out := api.AssignResponse{Assignments: []api.Assignment{}}
	for _, t := range targets {
		t.ProfileID, t.By, t.At = profileID, p.Name, now
		if err := w.d.Store.SetAutoAssignment(t); err != nil {
			writeStoreError(rw, err)
			return
		}
		w.d.Audit.AuditP(p, "automation.assign", t.Key(), map[string]string{"client": t.ClientID, "profile": profileID,
			"level": t.Level, "folder": t.Folder, "device": t.DeviceID})
		out.Assignments = append(out.Assignments, assign.ToAPI(&t, names, w.profileName))
	}
	w.afterChange(rw, 200, out)
}

// targetSize counts the devices assignments reach.
func (w *Wing) targetSize(targets []store.ProfileAssignment) int {
	if len(targets) == 0 {
		return 0
	}
	if targets[0].Level == store.LevelDevice {
		return len(targets)
	}
	t := targets[0]
	w.mu.Lock()
	defer w.mu.Unlock()
	w.samples = w.d.Fleet.Samples(w.samples[:0])
	n := 0
	for i := range w.samples {
		s := &w.samples[i]
		if !s.Pending && (t.Level == store.LevelDefault || s.ClientID == t.ClientID && (t.Level == store.LevelClient || s.Group == t.Folder)) {
			n++
		}
	}
	return n
}

// apiExempt takes one task of a profile off a device.
func (w *Wing) apiExempt(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := w.d.Devices.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(rw, 404, "device not found")
		return
	}
	var req api.AutoExemptionRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	pr, ok := w.visibleProfile(p, req.Profile)
	if !ok {
		httpx.WriteError(rw, 404, "automation profile not found")
		return
	}
	if taskOf(&pr, req.Task) == nil && (req.Task != PatchTaskID || pr.Patch == nil) {
		httpx.WriteError(rw, 404, "automation profile "+pr.Name+" has no task "+fmt.Sprintf("%q", httpx.CleanText(req.Task, 64)))
		return
	}
	e := store.AutoExemption{DeviceID: v.ID, ClientID: v.Client, ProfileID: pr.ID, TaskID: req.Task,
		Reason: httpx.CleanText(req.Reason, 500), By: p.Name, At: w.d.Now().UTC()}
	if err := w.d.Store.PutAutoExemption(e); err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "automation.exempt", v.ID, map[string]string{"profile": pr.ID, "task": req.Task, "reason": e.Reason})
	w.afterChange(rw, 200, api.AutoExemption{DeviceID: e.DeviceID, ProfileID: e.ProfileID, TaskID: e.TaskID, Reason: e.Reason,
		By: e.By, At: e.At})
}

// apiUnexempt puts an exempted task back: ?profile=&task=.
func (w *Wing) apiUnexempt(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := w.d.Devices.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(rw, 404, "device not found")
		return
	}
	pr, ok := w.visibleProfile(p, r.URL.Query().Get("profile"))
	if !ok {
		httpx.WriteError(rw, 404, "automation profile not found")
		return
	}
	task := r.URL.Query().Get("task")
	if err := w.d.Store.DeleteAutoExemption(v.ID, pr.ID, task); errors.Is(err, store.ErrNotFound) {
		httpx.WriteError(rw, 404, "no such exemption")
		return
	} else if err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "automation.unexempt", v.ID, map[string]string{"profile": pr.ID, "task": task})
	w.afterChange(rw, 200, api.Deleted{ID: pr.ID + "/" + task, Deleted: true})
}

// apiDeviceTasks lists the tasks in force on a device, where each comes
// from, and when each runs next and ran last.
func (w *Wing) apiDeviceTasks(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := w.d.Devices.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(rw, 404, "device not found")
		return
	}
	names := w.clientNames()
	out := api.DeviceTasks{DeviceID: v.ID, Tasks: []api.TaskInForce{}, Exemptions: []api.AutoExemption{}}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.cfg.exempt {
		if e.DeviceID == v.ID {
			out.Exemptions = append(out.Exemptions, api.AutoExemption{DeviceID: e.DeviceID, ProfileID: e.ProfileID, TaskID: e.TaskID,
				Reason: e.Reason, By: e.By, At: e.At})
		}
	}
	slices.SortFunc(out.Exemptions, func(a, b api.AutoExemption) int {
		return cmpStr(a.ProfileID+"/"+a.TaskID, b.ProfileID+"/"+b.TaskID)
	})
	pr, a := w.cfg.resolve(v.ID, v.Client, v.Group)
	if pr == nil {
		httpx.WriteJSON(rw, 200, out)
		return
	}
	source := map[string]string{store.LevelDefault: "everything", store.LevelClient: "client " + names[a.ClientID],
		store.LevelFolder: "folder " + a.Folder, store.LevelDevice: "this device"}[a.Level]
	for _, t := range w.cfg.tasksOf(pr) {
		tf := api.TaskInForce{Task: toAPITask(t), ProfileID: pr.ID, ProfileName: pr.Name, Level: a.Level, Source: source,
			Exempt: w.cfg.exempted(v.ID, pr.ID, t.ID)}
		if e := w.entries[key{pr.ID, t.ID, v.ID}]; e != nil {
			tf.NextRun, tf.LastRun, tf.RunID = e.st.NextRun, e.st.LastRun, e.st.RunID
			tf.TimeZone = zoneName(w.cfg.compiled[taskKey{pr.ID, t.ID}], e.loc)
		}
		out.Tasks = append(out.Tasks, tf)
	}
	httpx.WriteJSON(rw, 200, out)
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// apiRuns lists what the scheduler did, newest first: ?profile= (ID or
// name) &task= &device= &limit= (default 100, at most 1000).
func (w *Wing) apiRuns(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	q := store.AutoRunQuery{Scope: p.Scope(), TaskID: r.URL.Query().Get("task"), Limit: 100}
	if v, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && v > 0 && v <= 1000 {
		q.Limit = v
	}
	if ref := r.URL.Query().Get("profile"); ref != "" {
		pr, ok := w.visibleProfile(p, ref)
		if !ok {
			httpx.WriteError(rw, 404, "automation profile not found")
			return
		}
		q.ProfileID = pr.ID
	}
	if id := r.URL.Query().Get("device"); id != "" {
		v, ok := w.d.Devices.Device(p, id)
		if !ok {
			httpx.WriteError(rw, 404, "device not found")
			return
		}
		q.DeviceID = v.ID
	}
	rs, err := w.d.Store.AutoRuns(q)
	if err != nil {
		writeStoreError(rw, err)
		return
	}
	w.mu.Lock()
	names := map[string]string{}
	for id, pr := range w.cfg.profiles {
		names[id] = pr.Name
	}
	w.mu.Unlock()
	out := make([]api.AutoRun, 0, len(rs))
	for _, x := range rs {
		out = append(out, api.AutoRun{ID: x.ID, ProfileID: x.ProfileID, ProfileName: names[x.ProfileID], TaskID: x.TaskID,
			DeviceID: x.DeviceID, ClientID: x.ClientID, Due: x.Due, At: x.At, Outcome: x.Outcome, JobID: x.JobID, RunID: x.RunID,
			Detail: x.Detail})
	}
	httpx.WriteJSON(rw, 200, out)
}
