package consent

import (
	"net/http"
	"slices"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
)

// apiCustomers lists the clients in the caller's scope with an active
// grant, each with its health at a glance (from the live fleet), its
// details and its grant, by name.
func (w *Wing) apiCustomers(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	now := w.d.Now()
	type hit struct {
		id, name string
		gi       int
	}
	var hits []hit
	out := api.CustomerList{Customers: []api.Customer{}}
	w.mu.RLock()
	for id, gs := range w.grants {
		if !p.CanSeeClient(id) {
			continue
		}
		best := -1
		for i := range gs {
			if gs[i].Active(now) && (best < 0 || gs[i].EndsAt.After(gs[best].EndsAt)) {
				best = i
			}
		}
		if best >= 0 {
			hits = append(hits, hit{id, w.names[id], best})
		}
	}
	ids := make([]string, 0, len(hits))
	for _, h := range hits {
		ids = append(ids, h.id)
	}
	for _, h := range hits {
		g := w.grants[h.id][h.gi]
		out.Customers = append(out.Customers, api.Customer{ClientID: h.id, Name: h.name, GrantID: g.ID, Roles: nonNil(g.Roles),
			GrantEndsAt: g.EndsAt, ConsentRequired: w.required[h.id]})
	}
	w.mu.RUnlock()
	var sums = w.d.Fleet.Summarize(ids)
	for i := range out.Customers {
		c := &out.Customers[i]
		if s := sums[c.ClientID]; s != nil {
			c.Devices, c.Offline, c.PendingReboot, c.SecurityPatches = s.Total, s.Offline, s.PendingReboot, s.WithSecurity
			c.Alerts = api.AlertCounts{Information: s.Alerts.Information, Warning: s.Alerts.Warning, Critical: s.Alerts.Critical}
		}
		if pr, err := w.d.Store.ClientProfile(c.ClientID); err == nil {
			c.Address, c.Postcode, c.Website = pr.Address, pr.Postcode, pr.Website
		}
	}
	slices.SortFunc(out.Customers, func(a, b api.Customer) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ClientID, b.ClientID)
	})
	httpx.WriteJSON(rw, http.StatusOK, out)
}
