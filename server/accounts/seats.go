package accounts

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Seats and the device limit: the account plan.
//
// The rule (as seat-licensed remote-support products have it): a seat is
// a licence for one technician to act. Every user whose role carries a
// module's permissions holds that module's seat by default, and an admin
// may take it away or give it back; the user record keeps only those
// explicit decisions. Under the default plan (unlimited everything, a
// self-hosted install) that changes nothing. Once a module has a limit:
//   - used = users, not disabled, who hold the seat;
//   - giving a seat past the limit is refused with the count and limit;
//   - a new user, a role change or re-enabling a user gets a seat only if
//     one is free, else the user is left without one (pinned explicitly);
//   - an admin cannot lower a limit below what is in use (409 with the
//     count); a flag can (the holders keep their seats; no seat is given
//     until use is back under the limit).
// A user without a seat signs in and views everything in scope: the
// permissions of the module (httpx.SeatPerms) are refused with 403
// naming the seat (httpx.Principal.Has and Denied, so every check of
// them, route policy or handler, refuses alike).
//
// Limits are kept in the meta store; a limit given by a steward-server
// flag (--seats-remote-support, --seats-service-desk, --device-limit)
// wins over the stored one at every start and cannot be changed through
// the API (409 naming the flag): a hosting provider pins the plan.

// metaPlan is the meta key of the stored plan (JSON).
const metaPlan = "account_plan"

// planDevices is the plan key of the device limit; the seat modules'
// keys are their names.
const planDevices = "devices"

// flagOf names the server flag fixing each plan key.
var flagOf = map[string]string{httpx.SeatRemoteSupport: "--seats-remote-support",
	httpx.SeatServiceDesk: "--seats-service-desk", planDevices: "--device-limit"}

// Devices counts the devices in use (enrolled, not retired) for the plan.
type Devices interface {
	Active() int
}

// plan is the account plan in memory.
type plan struct {
	mu     sync.Mutex
	loaded bool
	limits map[string]int // 0 or absent = unlimited
	// grant serialises seat changes, so two grants racing for the last
	// seat cannot both succeed.
	grant sync.Mutex
}

// limits returns the plan's limits: stored, with the flags' on top.
func (s *Wing) limits() map[string]int {
	s.plan.mu.Lock()
	defer s.plan.mu.Unlock()
	if !s.plan.loaded {
		m := map[string]int{}
		if raw, err := s.st.Meta(metaPlan); err == nil && raw != "" {
			if err := json.Unmarshal([]byte(raw), &m); err != nil {
				s.log.Error("stored account plan unreadable; treating it as unlimited", "err", err)
				m = map[string]int{}
			}
		} else if err != nil {
			return s.fixedOver(map[string]int{})
		}
		s.plan.limits, s.plan.loaded = m, true
	}
	return s.fixedOver(s.plan.limits)
}

func (s *Wing) fixedOver(m map[string]int) map[string]int {
	out := make(map[string]int, len(m)+len(s.cfg.FixedPlan))
	for k, v := range m {
		out[k] = v
	}
	for k, v := range s.cfg.FixedPlan {
		out[k] = v
	}
	return out
}

// DeviceLimit is the device limit now (0 = none), for enrollment.
func (s *Wing) DeviceLimit() int { return s.limits()[planDevices] }

// holdsSeat reports whether u holds module m's seat.
func holdsSeat(u *store.User, m string) bool {
	if v, ok := u.Seats[m]; ok {
		return v
	}
	for _, pm := range httpx.SeatPerms[m] {
		if slices.Contains(httpx.RolePerms[u.Role], pm) {
			return true
		}
	}
	return false
}

// seatsOf lists the modules u holds seats of.
func seatsOf(u *store.User) []string {
	out := []string{}
	for _, m := range httpx.SeatModules {
		if holdsSeat(u, m) {
			out = append(out, m)
		}
	}
	return out
}

// noSeats lists the modules u holds no seat of.
func noSeats(u *store.User) []string {
	var out []string
	for _, m := range httpx.SeatModules {
		if !holdsSeat(u, m) {
			out = append(out, m)
		}
	}
	return out
}

// seatUse counts, per module, the active users holding a seat, leaving
// out the user except (its seat is being decided).
func seatUse(us []store.User, except string) map[string]int {
	n := map[string]int{}
	for i := range us {
		if us[i].Disabled || us[i].ID == except {
			continue
		}
		for _, m := range httpx.SeatModules {
			if holdsSeat(&us[i], m) {
				n[m]++
			}
		}
	}
	return n
}

// settleSeats pins u's seats of limited modules it holds by default: kept
// when a seat is free, else taken away, so a new user, a role change or a
// re-enabled user never goes past a limit. use excludes u.
func settleSeats(u *store.User, limits, use map[string]int) {
	for _, m := range httpx.SeatModules {
		lim := limits[m]
		if _, explicit := u.Seats[m]; lim <= 0 || explicit || u.Disabled || !holdsSeat(u, m) {
			continue
		}
		if u.Seats == nil {
			u.Seats = map[string]bool{}
		}
		u.Seats[m] = use[m] < lim
	}
}

func (s *Wing) seatsView() (api.Seats, error) {
	us, err := s.st.Users()
	if err != nil {
		return api.Seats{}, err
	}
	lim, use := s.limits(), seatUse(us, "")
	out := api.Seats{}
	for _, m := range httpx.SeatModules {
		_, fixed := s.cfg.FixedPlan[m]
		perms := slices.Clone(httpx.SeatPerms[m])
		if perms == nil {
			perms = []string{}
		}
		out.Modules = append(out.Modules, api.SeatModule{Module: m, Label: httpx.SeatLabels[m], Perms: perms,
			Limit: lim[m], Used: use[m], Fixed: fixed})
	}
	_, fixed := s.cfg.FixedPlan[planDevices]
	out.Devices = api.DeviceSeats{Limit: lim[planDevices], Fixed: fixed}
	if s.devices != nil {
		out.Devices.Used = s.devices.Active()
	}
	return out, nil
}

func (s *Wing) apiSeats(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	out, err := s.seatsView()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, out)
}

// apiSetPlan changes limits (0 = unlimited).
func (s *Wing) apiSetPlan(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.SetPlanRequest
	if err := httpx.DecodeBody(r, &req, 4<<10); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	s.plan.grant.Lock()
	defer s.plan.grant.Unlock()
	cur, err := s.seatsView()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	used := map[string]int{planDevices: cur.Devices.Used}
	for _, m := range cur.Modules {
		used[m.Module] = m.Used
	}
	changes := map[string]*int{httpx.SeatRemoteSupport: req.RemoteSupport, httpx.SeatServiceDesk: req.ServiceDesk,
		planDevices: req.DeviceLimit}
	s.limits() // loaded
	s.plan.mu.Lock()
	next := s.fixedOver(nil)
	for k, v := range s.plan.limits {
		next[k] = v
	}
	s.plan.mu.Unlock()
	detail := map[string]string{}
	for _, k := range []string{httpx.SeatRemoteSupport, httpx.SeatServiceDesk, planDevices} {
		v := changes[k]
		if v == nil {
			continue
		}
		what := "devices"
		if k != planDevices {
			what = httpx.SeatLabels[k] + " seats"
		}
		switch {
		case *v < 0 || *v > 1_000_000:
			httpx.WriteError(w, 400, what+": the limit must be 0 (unlimited) to 1000000")
			return
		case s.cfg.FixedPlan != nil && hasKey(s.cfg.FixedPlan, k):
			httpx.WriteError(w, 409, what+": the limit is fixed by the server's "+flagOf[k]+" flag")
			return
		case *v > 0 && used[k] > *v:
			httpx.WriteError(w, 409, fmt.Sprintf("%s: %d in use, more than the limit of %d; %s first", what, used[k], *v,
				map[bool]string{true: "retire devices", false: "take seats away"}[k == planDevices]))
			return
		}
		next[k] = *v
		detail[k] = strconv.Itoa(*v)
	}
	if len(detail) == 0 {
		httpx.WriteError(w, 400, "nothing to change: give remote_support, service_desk or device_limit")
		return
	}
	stored := map[string]int{}
	for k, v := range next {
		if !hasKey(s.cfg.FixedPlan, k) && v > 0 {
			stored[k] = v
		}
	}
	raw, _ := json.Marshal(stored)
	if err := s.st.SetMeta(metaPlan, string(raw)); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.plan.mu.Lock()
	s.plan.limits = stored
	s.plan.mu.Unlock()
	s.alog.AuditP(p, "plan.update", "", detail)
	out, err := s.seatsView()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, out)
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

// apiSetSeat gives or takes away a user's seat of one module.
func (s *Wing) apiSetSeat(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.SetSeatRequest
	if err := httpx.DecodeBody(r, &req, 1<<10); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	u, ok := s.userInScope(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "user not found")
		return
	}
	m := r.PathValue("module")
	if _, ok := httpx.SeatLabels[m]; !ok {
		httpx.WriteError(w, 404, "no seat module "+strconv.Quote(httpx.CleanText(m, 40))+"; modules: remote_support, service_desk")
		return
	}
	if !p.HoldsRole(u.Role) {
		httpx.WriteError(w, 403, "that user holds permissions you do not")
		return
	}
	s.plan.grant.Lock()
	defer s.plan.grant.Unlock()
	us, err := s.st.Users()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	lim, use := s.limits()[m], seatUse(us, u.ID)
	if req.Enabled && !holdsSeat(&u, m) && lim > 0 && use[m] >= lim {
		httpx.WriteError(w, 409, fmt.Sprintf("no %s seat free: %d of %d in use; raise the limit or take a seat away first",
			httpx.SeatLabels[m], use[m], lim))
		return
	}
	had := holdsSeat(&u, m)
	u, err = s.st.UpdateUser(u.ID, func(x *store.User) error {
		if x.Seats == nil {
			x.Seats = map[string]bool{}
		}
		x.Seats[m] = req.Enabled
		return nil
	})
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	if had != req.Enabled {
		s.alog.AuditP(p, "user.seat", u.ID, map[string]string{"name": u.Name, "module": m,
			"enabled": strconv.FormatBool(req.Enabled)})
	}
	httpx.WriteJSON(w, 200, toAPIUser(u))
}
