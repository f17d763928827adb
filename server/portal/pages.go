package portal

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// The portal pages' data: everything is scoped to the principal's
// client, and shaped by curated types that carry no technician-only
// field and nothing of the MSP's internals.

func (s *Wing) apiMe(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	out := api.PortalMe{ClientID: p.Portal.ClientID, ContactID: p.Portal.ContactID, Admin: p.Portal.Admin, CSRF: p.Session.CSRF}
	if c, err := s.st.Client(p.Portal.ClientID); err == nil {
		out.ClientName = c.Name
	}
	if p.Portal.ViewedBy != "" {
		out.ViewedBy = p.Name
	} else {
		out.Email = p.Name
	}
	if ct, err := s.st.Contact(p.Portal.ContactID); err == nil && ct.ClientID == p.Portal.ClientID {
		out.ContactName = ct.Name
	}
	httpx.WriteJSON(w, 200, out)
}

// devices lists the client's devices (not retired, approved or not).
func (s *Wing) devices(clientID string) []fleet.View {
	vs, _ := s.fleet.List(fleet.Filter{Clients: []string{clientID}, Sort: "hostname"})
	return slices.DeleteFunc(vs, func(v fleet.View) bool { return v.Client != clientID })
}

func toAPIDevice(v fleet.View) api.PortalDevice {
	return api.PortalDevice{ID: v.ID, Hostname: v.Hostname, Online: v.Online, LastSeen: v.LastSeen, OS: v.OS, OSVersion: v.OSVersion,
		DeviceType: v.DeviceType, PendingReboot: v.PendingReboot, PatchesAvailable: v.PatchesAvail, SecurityPatches: v.SecurityPatches,
		DiskPercent: v.Heartbeat.DiskPercent, OpenAlerts: v.Alerts.Information + v.Alerts.Warning + v.Alerts.Critical}
}

func (s *Wing) apiDevices(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	out := []api.PortalDevice{}
	for _, v := range s.devices(p.Portal.ClientID) {
		out = append(out, toAPIDevice(v))
	}
	httpx.WriteJSON(w, 200, out)
}

func (s *Wing) apiDevice(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	id := r.PathValue("device")
	vs, _ := s.fleet.List(fleet.Filter{IDs: []string{id}, Clients: []string{p.Portal.ClientID}})
	if len(vs) != 1 || vs[0].Client != p.Portal.ClientID || vs[0].Retired {
		httpx.WriteError(w, http.StatusNotFound, "device not found")
		return
	}
	httpx.WriteJSON(w, 200, toAPIDevice(vs[0]))
}

func (s *Wing) apiAlerts(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	as, err := s.st.Alerts(store.AlertQuery{Scope: store.Scope{Only: true, Clients: []string{p.Portal.ClientID}},
		ClientID: p.Portal.ClientID, Statuses: []string{store.AlertOpen, store.AlertSnoozed}, Limit: 500})
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	out := []api.PortalAlert{}
	for _, a := range as {
		if a.ClientID != p.Portal.ClientID {
			continue
		}
		out = append(out, api.PortalAlert{ID: a.ID, DeviceID: a.DeviceID, DeviceName: a.DeviceName, Severity: a.Severity,
			Category: a.Category, Title: a.Title, Status: a.Status, CreatedAt: a.CreatedAt})
	}
	httpx.WriteJSON(w, 200, out)
}

// hiddenActions are audit actions that are the MSP's own housekeeping,
// not actions on the customer's organisation (or the customer's own
// sign-ins): they stay out of the customer's activity.
var hiddenActions = []string{"auth.", "portal.auth.", "vault.", "token.", "user.", "notify.", "plan.", "setup.",
	"client_field.", "client_pinned.", "profile.", "check.", "maintenance.", "monitor.", "script.", "asset.types",
	"shell.record_input"}

// shownDetail are the audit details that describe an action to the
// customer; the rest (addresses, hashes, other clients' targets) stay.
var shownDetail = []string{"kind", "detail", "name", "shell", "fields", "version", "role", "email", "disabled", "admin",
	"stage", "action", "state", "until"}

const activityPage = 100

func (s *Wing) apiActivity(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var before uint64
	if v := r.URL.Query().Get("before"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			httpx.WriteError(w, 400, "before must be a record number")
			return
		}
		before = n
	}
	names := map[string]string{}
	for _, v := range s.devices(p.Portal.ClientID) {
		names[v.ID] = v.Hostname
	}
	// The store reads the client's events newest first through its client
	// index, a chunk at a time, until a page of shown events (and one
	// more, to know there is a next page) is found: never the whole log.
	out := api.PortalActivityPage{Items: []api.PortalActivity{}}
	q := store.AuditQuery{Client: p.Portal.ClientID, Newest: true, Before: before, Limit: 2 * activityPage}
	for {
		evs, err := s.st.Audit(q)
		if err != nil {
			httpx.WriteError(w, 500, "internal error")
			return
		}
		for i := range evs {
			e := &evs[i]
			if !slices.Contains(strings.Split(e.Client, ","), p.Portal.ClientID) || hidden(e.Action) {
				continue
			}
			if len(out.Items) == activityPage {
				out.Before = out.Items[len(out.Items)-1].Seq
				httpx.WriteJSON(w, 200, out)
				return
			}
			out.Items = append(out.Items, toActivity(e, names))
		}
		if len(evs) < q.Limit {
			break
		}
		q.Before = evs[len(evs)-1].Seq
	}
	httpx.WriteJSON(w, 200, out)
}

func hidden(action string) bool {
	for _, h := range hiddenActions {
		if strings.HasPrefix(action, h) {
			return true
		}
	}
	return false
}

// toActivity shapes an audit event for the customer: the devices it
// names are shown by name and only when they are the customer's own.
func toActivity(e *store.AuditEvent, names map[string]string) api.PortalActivity {
	a := api.PortalActivity{Seq: e.Seq, At: e.At, Actor: e.Actor, Action: e.Action}
	ids := []string{e.Target, e.Detail["device"]}
	ids = append(ids, strings.Split(e.Detail["devices"], ",")...)
	for _, id := range ids {
		if n, ok := names[id]; ok && !slices.Contains(a.Devices, n) {
			a.Devices = append(a.Devices, n)
		}
	}
	for _, k := range shownDetail {
		if v, ok := e.Detail[k]; ok && v != "" {
			if a.Detail == nil {
				a.Detail = map[string]string{}
			}
			a.Detail[k] = v
		}
	}
	return a
}

func (s *Wing) apiChangePassword(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	if readOnly(w, p) {
		return
	}
	var req api.PortalPasswordChange
	if err := httpx.DecodeBody(r, &req, 4096); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	if err := checkNewPassword(req.New); err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	a, err := s.st.PortalAccount(p.UserID)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	key := "pw:" + a.ID
	if s.limit.Blocked(key, s.now()) {
		httpx.WriteError(w, http.StatusTooManyRequests, "too many wrong passwords; try again later")
		return
	}
	if len(req.Current) > 1024 || bcryptMismatch(a.PasswordHash, req.Current) {
		s.limit.Fail(key, s.now())
		httpx.WriteError(w, 403, "the current password is wrong")
		return
	}
	hash, err := hashPassword(req.New)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	a, err = s.st.UpdatePortalAccount(a.ID, func(x *store.PortalAccount) error {
		x.PasswordHash = hash
		x.Epoch++ // every other session ends
		return nil
	})
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	// This session stays: it moves to the new epoch.
	se, err := s.st.PortalSession(p.Session.Hash)
	if err == nil {
		se.Epoch = a.Epoch
		_ = s.st.PutPortalSession(se)
	}
	s.audit(r, a, "portal.auth.password_changed", nil)
	httpx.WriteJSON(w, 200, api.OK{OK: true})
}
