package alerts

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/assign"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

var checkIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

const maxChecks = 100

// reload reads the configuration again after a change.
func (w *Wing) reload() error {
	cfg, err := loadConfig(w.d.Store)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.cfg = cfg
	w.mu.Unlock()
	return nil
}

// afterChange reloads the configuration and answers v, or 500.
func (w *Wing) afterChange(rw http.ResponseWriter, code int, v any) {
	if err := w.reload(); err != nil {
		w.d.Log.Error("reload monitoring configuration", "err", err)
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

func toAPICheck(c store.Check) api.Check { return api.Check(c) }

func toAPIProfile(p *store.Profile, names map[string]string) api.Profile {
	out := api.Profile{ID: p.ID, Name: p.Name, ClientID: p.ClientID, ClientName: names[p.ClientID], Description: p.Description,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, UpdatedBy: p.UpdatedBy, Checks: []api.Check{}}
	for _, c := range p.Checks {
		out.Checks = append(out.Checks, toAPICheck(c))
	}
	return out
}

// canWrite reports whether p may change something of owner clientID
// ("" = global: only a user of every client).
func canWrite(p *httpx.Principal, clientID string) bool {
	if clientID == "" {
		return p.AllClients
	}
	return p.CanSeeClient(clientID)
}

// visibleProfile finds a profile p may see by ID or name (the caller's
// client's first, then global).
func (w *Wing) visibleProfile(p *httpx.Principal, ref string) (store.Profile, bool) {
	if pr, err := w.d.Store.Profile(ref); err == nil {
		return pr, pr.ClientID == "" || p.CanSeeClient(pr.ClientID)
	}
	ps, err := w.d.Store.Profiles()
	if err != nil {
		return store.Profile{}, false
	}
	var hit *store.Profile
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
		return store.Profile{}, false
	}
	return *hit, true
}

// checkProfile validates a profile request's name and checks.
func checkProfile(req *api.ProfileRequest) (name string, checks []store.Check, err error) {
	if name, err = httpx.CleanName("name", req.Name, 100); err != nil {
		return "", nil, err
	}
	if len(req.Checks) > maxChecks {
		return "", nil, fmt.Errorf("at most %d checks", maxChecks)
	}
	ids := map[string]bool{}
	for i, ac := range req.Checks {
		c := store.Check(ac)
		if c.ID == "" {
			c.ID = c.Kind
			for n := 2; ids[c.ID]; n++ {
				c.ID = fmt.Sprintf("%s-%d", c.Kind, n)
			}
		}
		if !checkIDRE.MatchString(c.ID) {
			return "", nil, fmt.Errorf("check %d: id must be 1..64 of A-Z a-z 0-9 . _ -", i+1)
		}
		if ids[c.ID] {
			return "", nil, fmt.Errorf("check id %q used twice", c.ID)
		}
		ids[c.ID] = true
		if c.Target != "" {
			if c.Target, err = httpx.CleanName("target", c.Target, 255); err != nil {
				return "", nil, fmt.Errorf("check %q: %w", c.ID, err)
			}
		}
		if err := ValidateCheck(&c); err != nil {
			return "", nil, err
		}
		checks = append(checks, c)
	}
	return name, checks, nil
}

func (w *Wing) apiProfiles(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	ps, err := w.d.Store.Profiles()
	if err != nil {
		writeStoreError(rw, err)
		return
	}
	names := w.clientNames()
	out := []api.Profile{}
	for i := range ps {
		if ps[i].ClientID == "" || p.CanSeeClient(ps[i].ClientID) {
			out = append(out, toAPIProfile(&ps[i], names))
		}
	}
	httpx.WriteJSON(rw, 200, out)
}

func (w *Wing) apiProfile(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	pr, ok := w.visibleProfile(p, r.PathValue("profile"))
	if !ok {
		httpx.WriteError(rw, 404, "profile not found")
		return
	}
	httpx.WriteJSON(rw, 200, toAPIProfile(&pr, w.clientNames()))
}

func (w *Wing) apiCreateProfile(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.ProfileRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	owner, code, msg := assign.Owner(p, w.d.Devices, req.Client,
		"only a user with access to every client can write a global profile; give a client")
	if code != 0 {
		httpx.WriteError(rw, code, msg)
		return
	}
	name, checks, err := checkProfile(&req)
	if err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	now := w.d.Now().UTC()
	pr := store.Profile{ID: httpx.NewID("pf"), Name: name, ClientID: owner, Description: httpx.CleanText(req.Description, 1000),
		Checks: checks, CreatedAt: now, UpdatedAt: now, UpdatedBy: p.Name}
	if err := w.d.Store.PutProfile(pr); errors.Is(err, store.ErrExists) {
		httpx.WriteError(rw, 409, "a profile of that name exists")
		return
	} else if err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "profile.create", pr.ID, map[string]string{"client": owner, "name": name, "checks": fmt.Sprint(len(checks))})
	w.afterChange(rw, 201, toAPIProfile(&pr, w.clientNames()))
}

func (w *Wing) apiUpdateProfile(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	pr, ok := w.visibleProfile(p, r.PathValue("profile"))
	if !ok {
		httpx.WriteError(rw, 404, "profile not found")
		return
	}
	if !canWrite(p, pr.ClientID) {
		httpx.WriteError(rw, 403, "only a user with access to every client can change a global profile")
		return
	}
	var req api.ProfileRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	if req.Client != "" {
		cl, ok := w.d.Devices.ResolveClient(p, req.Client)
		if !ok {
			httpx.WriteError(rw, 404, "client not found")
			return
		}
		if cl.ID != pr.ClientID {
			httpx.WriteError(rw, 400, "a profile keeps its owner; create one for the other client")
			return
		}
	}
	name, checks, err := checkProfile(&req)
	if err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	pr.Name, pr.Checks, pr.Description = name, checks, httpx.CleanText(req.Description, 1000)
	pr.UpdatedAt, pr.UpdatedBy = w.d.Now().UTC(), p.Name
	if err := w.d.Store.PutProfile(pr); errors.Is(err, store.ErrExists) {
		httpx.WriteError(rw, 409, "a profile of that name exists")
		return
	} else if err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "profile.update", pr.ID, map[string]string{"client": pr.ClientID, "name": name, "checks": fmt.Sprint(len(checks))})
	w.afterChange(rw, 200, toAPIProfile(&pr, w.clientNames()))
}

func (w *Wing) apiDeleteProfile(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	pr, ok := w.visibleProfile(p, r.PathValue("profile"))
	if !ok {
		httpx.WriteError(rw, 404, "profile not found")
		return
	}
	if !canWrite(p, pr.ClientID) {
		httpx.WriteError(rw, 403, "only a user with access to every client can delete a global profile")
		return
	}
	if err := w.d.Store.DeleteProfile(pr.ID); err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "profile.delete", pr.ID, map[string]string{"client": pr.ClientID, "name": pr.Name})
	w.afterChange(rw, 200, api.Deleted{ID: pr.ID, Deleted: true})
}

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
	as, err := w.d.Store.Assignments()
	if err != nil {
		writeStoreError(rw, err)
		return
	}
	httpx.WriteJSON(rw, 200, assign.Visible(p, as, w.clientNames(), w.profileName))
}

// apiAssign assigns a profile (or, with none, removes the assignment) at
// one level; level device takes a list of devices as one bulk action.
func (w *Wing) apiAssign(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.AssignRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	now := w.d.Now().UTC()
	targets, code, msg := assign.Targets(p, w.d.Devices, &req, "profile")
	if code != 0 {
		httpx.WriteError(rw, code, msg)
		return
	}
	profileID := ""
	if req.Profile != "" {
		pr, ok := w.visibleProfile(p, req.Profile)
		if !ok {
			httpx.WriteError(rw, 404, "profile not found")
			return
		}
		if assign.Foreign(targets, pr.ClientID) {
			httpx.WriteError(rw, 400, "profile "+pr.Name+" belongs to one client and applies only to its devices")
			return
		}
		profileID = pr.ID
	}
	names := w.clientNames()
	out := api.AssignResponse{Assignments: []api.Assignment{}}
	for _, t := range targets {
		t.ProfileID, t.By, t.At = profileID, p.Name, now
		if err := w.d.Store.SetAssignment(t); err != nil {
			writeStoreError(rw, err)
			return
		}
		w.d.Audit.AuditP(p, "profile.assign", t.Key(), map[string]string{"client": t.ClientID, "profile": profileID,
			"level": t.Level, "folder": t.Folder, "device": t.DeviceID})
		out.Assignments = append(out.Assignments, assign.ToAPI(&t, names, w.profileName))
	}
	w.afterChange(rw, 200, out)
}

// apiExempt takes one check of a profile off a device.
func (w *Wing) apiExempt(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := w.d.Devices.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(rw, 404, "device not found")
		return
	}
	var req api.ExemptionRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	pr, ok := w.visibleProfile(p, req.Profile)
	if !ok {
		httpx.WriteError(rw, 404, "profile not found")
		return
	}
	found := false
	for _, c := range pr.Checks {
		found = found || c.ID == req.Check
	}
	if !found {
		httpx.WriteError(rw, 404, "profile "+pr.Name+" has no check "+fmt.Sprintf("%q", httpx.CleanText(req.Check, 64)))
		return
	}
	e := store.CheckExemption{DeviceID: v.ID, ClientID: v.Client, ProfileID: pr.ID, CheckID: req.Check,
		Reason: httpx.CleanText(req.Reason, 500), By: p.Name, At: w.d.Now().UTC()}
	if err := w.d.Store.PutExemption(e); err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "check.exempt", v.ID, map[string]string{"profile": pr.ID, "check": req.Check, "reason": e.Reason})
	w.afterChange(rw, 200, api.Exemption{DeviceID: e.DeviceID, ProfileID: e.ProfileID, CheckID: e.CheckID, Reason: e.Reason,
		By: e.By, At: e.At})
}

// apiUnexempt puts an exempted check back: ?profile=&check=.
func (w *Wing) apiUnexempt(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := w.d.Devices.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(rw, 404, "device not found")
		return
	}
	pr, ok := w.visibleProfile(p, r.URL.Query().Get("profile"))
	check := r.URL.Query().Get("check")
	if !ok {
		httpx.WriteError(rw, 404, "profile not found")
		return
	}
	if err := w.d.Store.DeleteExemption(v.ID, pr.ID, check); errors.Is(err, store.ErrNotFound) {
		httpx.WriteError(rw, 404, "no such exemption")
		return
	} else if err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "check.unexempt", v.ID, map[string]string{"profile": pr.ID, "check": check})
	w.afterChange(rw, 200, api.Deleted{ID: pr.ID + "/" + check, Deleted: true})
}

// apiDeviceChecks lists the checks in force on a device, where each comes
// from, and how each stands.
func (w *Wing) apiDeviceChecks(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := w.d.Devices.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(rw, 404, "device not found")
		return
	}
	names := w.clientNames()
	s := fleet.Sample{ID: v.ID, ClientID: v.Client, Group: v.Group}
	out := api.DeviceChecks{DeviceID: v.ID, Checks: []api.CheckInForce{}, Exemptions: []api.Exemption{}}
	w.mu.Lock()
	defer w.mu.Unlock()
	if win := w.cfg.window(&s, w.d.Now()); win != nil {
		out.Maintenance = win.Name
	}
	for _, e := range w.cfg.exempt {
		if e.DeviceID == v.ID {
			out.Exemptions = append(out.Exemptions, api.Exemption{DeviceID: e.DeviceID, ProfileID: e.ProfileID, CheckID: e.CheckID,
				Reason: e.Reason, By: e.By, At: e.At})
		}
	}
	pr, a := w.cfg.resolve(&s)
	if pr == nil {
		httpx.WriteJSON(rw, 200, out)
		return
	}
	source := map[string]string{store.LevelDefault: "everything", store.LevelClient: "client " + names[a.ClientID],
		store.LevelFolder: "folder " + a.Folder, store.LevelDevice: "this device"}[a.Level]
	for _, c := range pr.Checks {
		cf := api.CheckInForce{Check: toAPICheck(c), ProfileID: pr.ID, ProfileName: pr.Name, Level: a.Level, Source: source,
			Exempt: w.cfg.exempted(v.ID, pr.ID, c.ID), State: "unknown"}
		if sev, detail, known := w.state(v.ID, pr.ID, c.ID); known && !cf.Exempt {
			cf.State, cf.Detail = sev, detail
			if sev == "" {
				cf.State = "ok"
			}
		}
		out.Checks = append(out.Checks, cf)
	}
	httpx.WriteJSON(rw, 200, out)
}
