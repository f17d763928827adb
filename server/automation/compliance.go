package automation

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Compliance statuses, worst first.
var statusRank = map[string]int{"failed": 0, "offline": 1, "pending-approval": 2, "waiting-window": 3, "compliant": 4}

// snapshot copies what the compliance view reads of the scheduler: the
// configuration (never changed in place, only replaced) and the schedule
// states of the devices given, so the view reads storage without
// holding the scheduler's lock.
func (w *Wing) snapshot(samples []fleet.Sample) (*config, map[key]store.AutoState) {
	w.mu.Lock()
	defer w.mu.Unlock()
	states := map[key]store.AutoState{}
	for i := range samples {
		s := &samples[i]
		pr, _ := w.cfg.resolve(s.ID, s.ClientID, s.Group)
		if pr == nil {
			continue
		}
		for _, t := range w.cfg.tasksOf(pr) {
			if e := w.entries[key{pr.ID, t.ID, s.ID}]; e != nil {
				states[e.key] = e.st
			}
		}
	}
	return w.cfg, states
}

// deviceCompliance is one device's standing against the policies in
// force on it (nil when none is), from a snapshot.
func (w *Wing) deviceCompliance(cfg *config, states map[key]store.AutoState, s *fleet.Sample, names map[string]string) *api.DeviceCompliance {
	pr, _ := cfg.resolve(s.ID, s.ClientID, s.Group)
	if pr == nil {
		return nil
	}
	d := &api.DeviceCompliance{DeviceID: s.ID, Hostname: s.Hostname, ClientID: s.ClientID, ClientName: names[s.ClientID],
		ProfileID: pr.ID, ProfileName: pr.Name, Online: s.Online, Status: "compliant", Items: []api.ComplianceItem{}}
	worse := func(st string) {
		if statusRank[st] < statusRank[d.Status] {
			d.Status = st
		}
	}
	for _, t := range cfg.tasksOf(pr) {
		if cfg.exempted(s.ID, pr.ID, t.ID) {
			continue
		}
		st, ok := states[key{pr.ID, t.ID, s.ID}]
		var last store.Run
		if ok && st.RunID != "" {
			last, _ = w.d.Store.Run(st.RunID)
		}
		next := st.NextRun
		if t.ID == PatchTaskID {
			w.patchCompliance(cfg, d, pr.Patch, s, &st, next, &last, worse)
			continue
		}
		it := api.ComplianceItem{Policy: "task", Item: t.ID, Name: t.Name, Status: "ok", Next: next}
		switch {
		case last.State == protocol.StateFailed || last.State == protocol.StateExpired:
			it.Status, it.Detail = "failed", "last run "+last.State+" "+httpx.CleanText(last.Reason, 200)
			worse("failed")
		case last.ID != "" && !store.Terminal(last.State) && !s.Online:
			it.Status, it.Detail = "offline", "a run waits for the device"
			worse("offline")
		}
		d.Items = append(d.Items, it)
	}
	return d
}

// patchCompliance adds a patch policy's items: each available patch's
// verdict, the last window's run, the reboot policy.
func (w *Wing) patchCompliance(cfg *config, d *api.DeviceCompliance, pp *store.PatchPolicy, s *fleet.Sample, st *store.AutoState,
	next time.Time, last *store.Run, worse func(string)) {
	patches, err := w.available(s.ID)
	if err != nil {
		d.Items = append(d.Items, api.ComplianceItem{Policy: "patch", Item: "health", Status: "failed", Detail: "health report unreadable"})
		worse("failed")
		return
	}
	switch {
	case last.State == protocol.StateFailed || last.State == protocol.StateExpired:
		d.Items = append(d.Items, api.ComplianceItem{Policy: "patch", Item: "window", Status: "failed",
			Detail: "last window's install " + last.State + " " + httpx.CleanText(last.Reason, 200)})
		worse("failed")
	case last.State == protocol.StateSucceeded:
		d.Items = append(d.Items, api.ComplianceItem{Policy: "patch", Item: "window", Status: "installed",
			Detail: "last window's install succeeded"})
	}
	for i := range patches {
		p := &patches[i]
		it := api.ComplianceItem{Policy: "patch", Item: p.ID, Name: httpx.CleanText(p.Name, 200),
			Classification: p.Classification, Severity: p.Severity}
		switch v := cfg.patchVerdict(pp, s.ClientID, p); {
		case v == "excluded":
			it.Status = "excluded"
		case v == "pending-approval":
			it.Status = v
			worse(v)
		case !s.Online:
			it.Status, it.Next = "offline", next
			worse("offline")
		default:
			it.Status, it.Next = "waiting-window", next
			worse("waiting-window")
		}
		d.Items = append(d.Items, it)
	}
	if pp.RebootAfterDays > 0 && !st.PendingSince.IsZero() {
		days := int(w.d.Now().Sub(st.PendingSince) / (24 * time.Hour))
		it := api.ComplianceItem{Policy: "reboot", Item: "reboot", Status: "ok", Detail: "reboot pending " + strconv.Itoa(days) + " days"}
		if days >= pp.RebootAfterDays {
			it.Status, it.Next = "waiting-window", next
			worse("waiting-window")
		}
		d.Items = append(d.Items, it)
	}
	w.rebootCompliance(d, pp, st, worse)
}

// apiCompliance is GET /api/v1/automation/compliance: per device in the
// caller's scope (?client= one client, ?device= one device), what each
// policy expected and where it stands, devices out of compliance first,
// at most limit (default 500) of them; and the counts per client over
// every device.
func (w *Wing) apiCompliance(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	limit := 500
	if v, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && v > 0 && v <= 20000 {
		limit = v
	}
	clientID, deviceID := "", ""
	if ref := r.URL.Query().Get("client"); ref != "" {
		cl, ok := w.d.Devices.ResolveClient(p, ref)
		if !ok {
			httpx.WriteError(rw, 404, "client not found")
			return
		}
		clientID = cl.ID
	}
	if id := r.URL.Query().Get("device"); id != "" {
		v, ok := w.d.Devices.Device(p, id)
		if !ok {
			httpx.WriteError(rw, 404, "device not found")
			return
		}
		deviceID = v.ID
	}
	names := w.clientNames()
	out := api.Compliance{Clients: []api.ClientCompliance{}, Devices: []api.DeviceCompliance{}}
	perClient := map[string]*api.ClientCompliance{}
	var samples []fleet.Sample
	for _, s := range w.d.Fleet.Samples(nil) {
		if !s.Pending && p.CanSeeClient(s.ClientID) && (clientID == "" || s.ClientID == clientID) && (deviceID == "" || s.ID == deviceID) {
			samples = append(samples, s)
		}
	}
	cfg, states := w.snapshot(samples)
	for i := range samples {
		s := &samples[i]
		d := w.deviceCompliance(cfg, states, s, names)
		if d == nil {
			continue
		}
		c := perClient[s.ClientID]
		if c == nil {
			c = &api.ClientCompliance{ClientID: s.ClientID, ClientName: names[s.ClientID], ByStatus: map[string]int{}}
			perClient[s.ClientID] = c
		}
		c.Devices++
		c.ByStatus[d.Status]++
		if d.Status == "compliant" {
			c.Compliant++
		}
		out.Devices = append(out.Devices, *d)
	}
	slices.SortFunc(out.Devices, func(a, b api.DeviceCompliance) int {
		if ra, rb := statusRank[a.Status], statusRank[b.Status]; ra != rb {
			return ra - rb
		}
		return cmpStr(a.Hostname+a.DeviceID, b.Hostname+b.DeviceID)
	})
	if len(out.Devices) > limit {
		out.Devices = out.Devices[:limit]
	}
	for _, c := range perClient {
		out.Clients = append(out.Clients, *c)
	}
	slices.SortFunc(out.Clients, func(a, b api.ClientCompliance) int {
		return (a.Compliant*b.Devices - b.Compliant*a.Devices) // the least compliant share first
	})
	httpx.WriteJSON(rw, 200, out)
}

// apiApprovals lists patch approvals: global ones and those of clients
// the caller sees.
func (w *Wing) apiApprovals(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	as, err := w.d.Store.PatchApprovals()
	if err != nil {
		writeStoreError(rw, err)
		return
	}
	names := w.clientNames()
	out := []api.PatchApproval{}
	for _, a := range as {
		if a.ClientID == "" || p.CanSeeClient(a.ClientID) {
			out = append(out, api.PatchApproval{ClientID: a.ClientID, ClientName: names[a.ClientID], PatchID: a.PatchID, Name: a.Name,
				By: a.By, At: a.At})
		}
	}
	httpx.WriteJSON(rw, 200, out)
}

// approvalTarget resolves an approval's client ("" = every client, for
// users of every client only).
func (w *Wing) approvalTarget(rw http.ResponseWriter, p *httpx.Principal, ref string) (string, bool) {
	if ref == "" {
		if !p.AllClients {
			httpx.WriteError(rw, 403, "only a user with access to every client approves a patch for everything")
			return "", false
		}
		return "", true
	}
	cl, ok := w.d.Devices.ResolveClient(p, ref)
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return "", false
	}
	return cl.ID, true
}

// apiApprove approves a patch for a client or for everything: it installs
// in the next window of the devices whose patch policy does not already
// select it.
func (w *Wing) apiApprove(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.PatchApprovalRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	client, ok := w.approvalTarget(rw, p, req.Client)
	if !ok {
		return
	}
	id, err := httpx.CleanName("patch", req.Patch, 200)
	if err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	a := store.PatchApproval{ClientID: client, PatchID: id, Name: httpx.CleanText(req.Name, 200), By: p.Name, At: w.d.Now().UTC()}
	if err := w.d.Store.PutPatchApproval(a); err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "automation.patch.approve", id, map[string]string{"client": client, "name": a.Name})
	w.afterChange(rw, 200, api.PatchApproval{ClientID: a.ClientID, PatchID: a.PatchID, Name: a.Name, By: a.By, At: a.At})
}

// apiUnapprove withdraws an approval: ?client=&patch=.
func (w *Wing) apiUnapprove(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	client, ok := w.approvalTarget(rw, p, r.URL.Query().Get("client"))
	if !ok {
		return
	}
	id := r.URL.Query().Get("patch")
	if err := w.d.Store.DeletePatchApproval(client, id); errors.Is(err, store.ErrNotFound) {
		httpx.WriteError(rw, 404, "no such approval")
		return
	} else if err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "automation.patch.unapprove", id, map[string]string{"client": client})
	w.afterChange(rw, 200, api.Deleted{ID: client + "/" + id, Deleted: true})
}
