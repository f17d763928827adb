package devices

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Retired devices, moves between clients, favourites and bulk actions.
//
// A retired device keeps its record and history but is out of service: it
// counts against no device limit, nothing is sent to it (the fleet reports
// it as held, like a pending device; naming it in a job or a shell is
// refused with 409 saying it is retired), it is left out of the device list
// unless asked for, and its agent is told to stop reporting (protocol
// Retire) while its connection stays, so a restore reaches it at once.

// maxBulk bounds the devices of one bulk action.
const maxBulk = 20000

// LimitMessage is the refusal of a device past the device limit: the
// enrollment's and a restore's, printed by the installer as it is.
func LimitMessage(limit int) string {
	return fmt.Sprintf("device limit of %d reached: retire a device or raise the limit", limit)
}

// errLimit marks a restore refused by the device limit.
var errLimit = errors.New("device limit reached")

// setRetired retires or restores one device the caller may see and tells
// its agent; changed is false when it already was so.
func (s *Wing) setRetired(p *httpx.Principal, v fleet.View, retired bool) (changed bool, err error) {
	if v.Retired == retired {
		return false, nil
	}
	if !retired && s.limit != nil {
		if n := s.limit(); n > 0 && s.fleet.Active() >= n {
			return false, fmt.Errorf("%w: %s", errLimit, LimitMessage(n))
		}
	}
	// A restore clears who retired it and when; the audit log keeps both.
	now, by := s.now(), p.Name
	if !retired {
		now, by = time.Time{}, ""
	}
	if _, err := s.st.SetDeviceRetired(v.ID, retired, by, now); err != nil {
		return false, err
	}
	s.fleet.SetRetired(v.ID, retired, by, now)
	if c := s.hub.Get(v.ID); c != nil {
		c.Send(protocol.MustEncode(protocol.TypeRetire, "", protocol.Retire{Retired: retired}))
		if !retired {
			// What was held for it goes now, as after an approval.
			s.approved(c)
		}
	}
	action := "device.restore"
	if retired {
		action = "device.retire"
	}
	s.alog.AuditP(p, action, v.ID, map[string]string{"hostname": v.Hostname, "client": v.Client})
	return true, nil
}

func (s *Wing) apiRetire(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	s.retireOne(w, r, p, true)
}

func (s *Wing) apiRestore(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	s.retireOne(w, r, p, false)
}

func (s *Wing) retireOne(w http.ResponseWriter, r *http.Request, p *httpx.Principal, retired bool) {
	v, ok := s.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "device not found")
		return
	}
	changed, err := s.setRetired(p, v, retired)
	switch {
	case errors.Is(err, errLimit):
		httpx.WriteError(w, 409, LimitMessage(s.limit()))
		return
	case errors.Is(err, store.ErrNotFound):
		httpx.WriteError(w, 404, "device not found")
		return
	case err != nil:
		httpx.WriteError(w, 500, "internal error")
		return
	case !changed && retired:
		httpx.WriteError(w, 409, "device is already retired")
		return
	case !changed:
		httpx.WriteError(w, 409, "device is not retired")
		return
	}
	s.writeDevice(w, p, v.ID)
}

// writeDevice answers with a device's current view.
func (s *Wing) writeDevice(w http.ResponseWriter, p *httpx.Principal, id string) {
	v, ok := s.fleet.View(id)
	if !ok {
		httpx.WriteError(w, 404, "device not found")
		return
	}
	s.redactDuplicate(p, &v)
	d := toAPIDevice(v)
	favs := s.favorites(p)
	d.Favorite, d.Monitored = favs[v.ID], s.monitored(v)
	httpx.WriteJSON(w, 200, api.DeviceResponse{Device: d})
}

// move gives a device to client cl (the caller sees both) and folder
// group (nil keeps its folder), and audits it.
func (s *Wing) move(p *httpx.Principal, v fleet.View, cl *store.Client, group *string) (bool, error) {
	to, g := v.Client, v.Group
	if cl != nil {
		to = cl.ID
	}
	if group != nil {
		g = *group
	}
	if to == v.Client && g == v.Group {
		return false, nil
	}
	if to == v.Client {
		if _, err := s.st.SetDeviceGroup(v.ID, g); err != nil {
			return false, err
		}
		s.fleet.SetGroup(v.ID, g)
	} else {
		if _, err := s.st.MoveDevice(v.ID, to, g); err != nil {
			return false, err
		}
		s.fleet.Move(v.ID, to, g)
		// The connection was attached under the old client: the agent
		// reconnects at once and is attached under the new one.
		if c := s.hub.Get(v.ID); c != nil {
			c.Close("device moved to another client")
		}
	}
	clients := v.Client
	if to != v.Client {
		clients = to + "," + v.Client // the event concerns both clients
	}
	s.alog.AuditP(p, "device.move", v.ID, map[string]string{"hostname": v.Hostname, "client": clients,
		"from_client": v.Client, "to_client": to, "previous_group": v.Group, "group": g})
	return true, nil
}

func (s *Wing) apiFavorite(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := s.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "device not found")
		return
	}
	on := r.Method == http.MethodPut
	if err := s.st.SetFavorite(p.UserID, v.ID, on); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, api.FavoriteResponse{ID: v.ID, Favorite: on})
}

// favorites is the caller's starred devices (empty on a store error: a
// star is a convenience, never a reason to fail a list).
func (s *Wing) favorites(p *httpx.Principal) map[string]bool {
	ids, _ := s.st.Favorites(p.UserID)
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// monitored reports whether monitoring watches a device.
func (s *Wing) monitored(v fleet.View) bool {
	if s.monitor != nil {
		return s.monitor.Monitored(v.ID)
	}
	return !v.Retired
}

// apiBulk applies one action to many devices. Scope is checked for every
// device (and for a move's target client) before anything changes, so a
// request naming one device outside the caller's scope does nothing.
func (s *Wing) apiBulk(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.BulkDevicesRequest
	if err := httpx.DecodeBody(r, &req, 2<<20); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	switch req.Action {
	case api.BulkMove, api.BulkRetire, api.BulkRestore, api.BulkFavorite, api.BulkUnfavorite:
	default:
		httpx.WriteError(w, 400, "action must be move, retire, restore, favorite or unfavorite")
		return
	}
	if len(req.Devices) == 0 || len(req.Devices) > maxBulk {
		httpx.WriteError(w, 400, "devices must name 1 to "+strconv.Itoa(maxBulk)+" devices")
		return
	}
	if req.Action != api.BulkMove && (req.Client != "" || req.Group != nil) {
		httpx.WriteError(w, 400, "client and group go with the move action only")
		return
	}
	var target *store.Client
	var group *string
	if req.Action == api.BulkMove {
		if req.Client == "" && req.Group == nil {
			httpx.WriteError(w, 400, "a move needs client and/or group")
			return
		}
		if req.Client != "" {
			cl, ok := s.ResolveClient(p, req.Client)
			if !ok {
				httpx.WriteError(w, 404, "client not found")
				return
			}
			target = &cl
		}
		if req.Group != nil {
			g, err := cleanGroup(*req.Group)
			if err != nil {
				httpx.WriteError(w, 400, err.Error())
				return
			}
			group = &g
		}
	}
	views := make([]fleet.View, 0, len(req.Devices))
	seen := map[string]bool{}
	for _, id := range req.Devices {
		if seen[id] {
			continue
		}
		seen[id] = true
		v, ok := s.Device(p, id)
		if !ok {
			httpx.WriteError(w, 404, "device not found (one of the devices named)")
			return
		}
		views = append(views, v)
	}
	out := api.BulkDevicesResponse{Action: req.Action, Results: make([]api.BulkResult, 0, len(views))}
	for _, v := range views {
		var changed bool
		var err error
		switch req.Action {
		case api.BulkMove:
			changed, err = s.move(p, v, target, group)
		case api.BulkRetire, api.BulkRestore:
			changed, err = s.setRetired(p, v, req.Action == api.BulkRetire)
		case api.BulkFavorite, api.BulkUnfavorite:
			err, changed = s.st.SetFavorite(p.UserID, v.ID, req.Action == api.BulkFavorite), true
		}
		res := api.BulkResult{ID: v.ID, Changed: changed && err == nil}
		switch {
		case errors.Is(err, errLimit):
			res.Error = LimitMessage(s.limit())
		case errors.Is(err, store.ErrNotFound):
			res.Error = "device not found"
		case err != nil:
			res.Error = "internal error"
		}
		if res.Changed {
			out.Changed++
		}
		out.Results = append(out.Results, res)
	}
	httpx.WriteJSON(w, 200, out)
}
