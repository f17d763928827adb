package devices

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

func boolParam(r *http.Request, name string) (*bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, fmt.Errorf("%s must be true or false", name)
	}
	return &b, nil
}

func (s *Wing) apiDevices(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	q := r.URL.Query()
	f := fleet.Filter{Clients: p.ClientScope(), OS: q.Get("os"), Search: q.Get("search"), DeviceType: q.Get("type"),
		Sort: q.Get("sort"), Desc: q.Get("order") == "desc"}
	if f.DeviceType != "" && !slices.Contains(fleet.DeviceTypes, strings.ToLower(f.DeviceType)) {
		httpx.WriteError(w, 400, "type must be one of "+strings.Join(fleet.DeviceTypes, ", "))
		return
	}
	switch q.Get("retired") {
	case "", "false":
	case "true":
		f.Retired = new(true)
	case "any":
		f.WithRetired = true
	default:
		httpx.WriteError(w, 400, "retired must be true, false or any")
		return
	}
	f.Group = q.Get("group") // folder, exact match
	f.AlertSeverity, f.AlertCategory = q.Get("alert_severity"), q.Get("alert_category")
	switch f.AlertSeverity {
	case "", "any", "information", "warning", "critical":
	default:
		httpx.WriteError(w, 400, "alert_severity must be any, information, warning or critical")
		return
	}
	if len(f.AlertCategory) > 64 {
		httpx.WriteError(w, 400, "alert_category too long")
		return
	}
	var err error
	switch q.Get("approval") {
	case "":
	case fleet.ApprovalPending, fleet.ApprovalApproved:
		pending := q.Get("approval") == fleet.ApprovalPending
		f.Pending = &pending
	default:
		httpx.WriteError(w, 400, "approval must be pending or approved")
		return
	}
	var fav *bool
	for name, dst := range map[string]**bool{"online": &f.Online, "pending_reboot": &f.PendingReboot,
		"has_patches": &f.HasPatches, "security": &f.Security, "favorite": &fav, "monitored": &f.Monitored} {
		if *dst, err = boolParam(r, name); err != nil {
			httpx.WriteError(w, 400, err.Error())
			return
		}
	}
	if c := q.Get("client"); c != "" {
		cl, ok := s.ResolveClient(p, c)
		if !ok {
			httpx.WriteError(w, 404, "client not found")
			return
		}
		f.Clients = []string{cl.ID}
	}
	if len(f.Search) > 256 {
		httpx.WriteError(w, 400, "search longer than 256 characters")
		return
	}
	f.Limit, f.Offset = 100, 0
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 50000 {
			httpx.WriteError(w, 400, "limit must be 1..50000")
			return
		}
	}
	if v := q.Get("offset"); v != "" {
		if f.Offset, err = strconv.Atoi(v); err != nil || f.Offset < 0 {
			httpx.WriteError(w, 400, "offset must be >= 0")
			return
		}
	}
	favs := s.favorites(p)
	if fav != nil && *fav {
		f.Favorites = favs
	} else if fav != nil {
		// Not starred: every device but the favourites.
		f.Excluded = favs
	}
	if s.monitor != nil {
		f.IsMonitored = s.monitor.Monitored
	}
	views, total := s.fleet.List(f)
	if views == nil {
		views = []fleet.View{}
	}
	for i := range views {
		s.redactDuplicate(p, &views[i])
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	if q.Get("format") == "csv" {
		writeDevicesCSV(w, views)
		return
	}
	list := toAPIDevices(views)
	for i := range list {
		list[i].Favorite, list[i].Monitored = favs[list[i].ID], s.monitored(views[i])
	}
	httpx.WriteJSON(w, 200, api.DeviceList{Devices: list, Total: total, Offset: f.Offset, Limit: f.Limit})
}

// Device finds a device in the caller's scope; out of scope is not found.
func (s *Wing) Device(p *httpx.Principal, id string) (fleet.View, bool) {
	v, ok := s.fleet.View(id)
	if !ok || !p.CanSeeClient(v.Client) {
		return fleet.View{}, false
	}
	return v, true
}

func (s *Wing) apiDevice(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := s.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "device not found")
		return
	}
	s.redactDuplicate(p, &v)
	out := api.DeviceDetail{Device: toAPIDevice(v)}
	out.Device.Favorite, out.Device.Monitored = s.favorites(p)[v.ID], s.monitored(v)
	if rec, err := s.st.Inventory(v.ID); err == nil {
		if inv, err := fleet.DecodeInventory(rec); err == nil {
			out.Inventory = &inv
			out.InventoryUpdatedAt = rec.UpdatedAt
		}
	}
	if rec, err := s.st.Health(v.ID); err == nil {
		if h, err := fleet.DecodeHealth(rec); err == nil {
			out.Health = &h
			out.HealthUpdatedAt = rec.UpdatedAt
		}
	}
	httpx.WriteJSON(w, 200, out)
}

func (s *Wing) apiRevokeDevice(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := s.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "device not found")
		return
	}
	if err := s.revokeDevice(p, v, nil); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, api.DeviceRevoked{ID: v.ID, Revoked: true})
}

func (s *Wing) apiRefresh(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := s.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "device not found")
		return
	}
	what := r.URL.Query().Get("what")
	switch what {
	case "", "inventory", "health", "patches":
	default:
		httpx.WriteError(w, 400, "what must be inventory, health or patches")
		return
	}
	if v.Retired {
		httpx.WriteError(w, 409, "device is retired: it reports nothing until it is restored")
		return
	}
	c := s.hub.Get(v.ID)
	if c == nil {
		httpx.WriteError(w, 409, "device is offline")
		return
	}
	c.Send(protocol.MustEncode(protocol.TypeRefresh, "", protocol.Refresh{What: what}))
	httpx.WriteJSON(w, 202, api.RefreshRequested{Requested: true})
}

func toAPIEnrollToken(t store.EnrollToken) api.EnrollToken {
	return api.EnrollToken{ID: t.ID, ClientID: t.ClientID, Note: t.Note, CreatedAt: t.CreatedAt, CreatedBy: t.CreatedBy,
		ExpiresAt: t.ExpiresAt, MaxUses: t.MaxUses, Uses: t.Uses, Revoked: t.Revoked, RequireApproval: t.RequireApproval}
}

func toAPIDevice(v fleet.View) api.Device {
	d := api.Device{ID: v.ID, Hostname: v.Hostname, Online: v.Online, LastSeen: v.LastSeen, OfflineSince: v.OfflineSince,
		Client: v.Client, ClientName: v.ClientName, Group: v.Group, OS: v.OS, Platform: v.Platform, OSVersion: v.OSVersion,
		Arch: v.Arch, DeviceType: v.DeviceType, AgentVersion: v.AgentVersion, PendingReboot: v.PendingReboot,
		PatchesAvail: v.PatchesAvail, SecurityPatches: v.SecurityPatches, LastUser: v.LastUser, LastUserAt: v.LastUserAt,
		IPs: v.IPs, MACs: v.MACs, EnrolledAt: v.EnrolledAt, BootTime: v.BootTime, Heartbeat: v.Heartbeat,
		Approval: v.Approval, DuplicateOf: v.DuplicateOf, DuplicateElsewhere: v.DuplicateElsewhere, MachineID: v.MachineID,
		ApprovedBy: v.ApprovedBy, ApprovedAt: v.ApprovedAt, Retired: v.Retired, RetiredBy: v.RetiredBy, RetiredAt: v.RetiredAt,
		Alerts: api.AlertCounts{Information: v.Alerts.Information, Warning: v.Alerts.Warning, Critical: v.Alerts.Critical}}
	for _, t := range v.Transitions {
		d.Transitions = append(d.Transitions, api.Transition{Online: t.Online, At: t.At, Reason: t.Reason})
	}
	return d
}

func toAPIDevices(vs []fleet.View) []api.Device {
	out := make([]api.Device, 0, len(vs))
	for _, v := range vs {
		out = append(out, toAPIDevice(v))
	}
	return out
}
