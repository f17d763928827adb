// The device list: filtering, sorting and paging the in-memory fleet, and
// the overview counts.

package fleet

import (
	"sort"
	"strings"
)

// Filter selects devices for a list.
type Filter struct {
	Online        *bool
	OS            string
	DeviceType    string
	Clients       []string // restrict to these clients (nil = any)
	Group         string   // folder, exact match ("" = any)
	Search        string
	PendingReboot *bool
	HasPatches    *bool
	Security      *bool
	Pending       *bool // awaiting approval
	// IDs names devices; they are returned retired or not (the caller
	// decides what a retired one may get).
	IDs []string
	// Retired selects retired devices (true) or the others (false); nil
	// hides retired devices unless IDs or WithRetired is set.
	Retired     *bool
	WithRetired bool
	// Favorites, when not nil, keeps only the devices it holds; Excluded
	// leaves out those it holds.
	Favorites, Excluded map[string]bool
	// Monitored selects devices watched by monitoring (true) or not;
	// IsMonitored says which are (nil: every device that is not retired).
	// It is called with the fleet's lock held, so it must not call the
	// fleet.
	Monitored   *bool
	IsMonitored func(id string) bool
	// AlertSeverity keeps devices with an unresolved alert of that
	// severity ("any" = any), AlertCategory of that category.
	AlertSeverity string
	AlertCategory string
	Sort          string // hostname, last_seen, client, os, patches
	Desc          bool
	Offset, Limit int
}

func (e *entry) matches(q string, qmac string) bool {
	if strings.Contains(e.name, q) || strings.Contains(strings.ToLower(e.d.ID), q) {
		return true
	}
	for _, ip := range e.ips {
		if strings.HasPrefix(ip, q) {
			return true
		}
	}
	if len(qmac) >= 4 {
		for _, m := range e.macs {
			if strings.Contains(m, qmac) {
				return true
			}
		}
	}
	return false
}

func isHexMAC(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// List returns the devices matching f, sorted and paged, plus the total
// count before paging.
func (fl *Fleet) List(f Filter) ([]View, int) {
	q := strings.ToLower(strings.TrimSpace(f.Search))
	qmac := NormalizeMAC(q)
	if !isHexMAC(qmac) {
		qmac = ""
	}
	var allowed map[string]bool
	if f.Clients != nil {
		allowed = map[string]bool{}
		for _, c := range f.Clients {
			allowed[c] = true
		}
	}
	var ids map[string]bool
	if f.IDs != nil {
		ids = map[string]bool{}
		for _, id := range f.IDs {
			ids[id] = true
		}
	}
	dtype := NormalizeType(f.DeviceType)
	monitored := func(e *entry) bool {
		if f.IsMonitored != nil {
			return f.IsMonitored(e.d.ID)
		}
		return !e.d.Retired
	}
	fl.mu.RLock()
	defer fl.mu.RUnlock()
	hits := make([]*entry, 0, 64)
	for _, e := range fl.devs {
		switch {
		case f.Retired == nil && ids == nil && !f.WithRetired && e.d.Retired,
			f.Retired != nil && *f.Retired != e.d.Retired,
			f.Favorites != nil && !f.Favorites[e.d.ID],
			f.Excluded != nil && f.Excluded[e.d.ID],
			f.Monitored != nil && *f.Monitored != monitored(e):
			continue
		case allowed != nil && !allowed[e.d.ClientID],
			ids != nil && !ids[e.d.ID],
			f.Online != nil && *f.Online != e.online,
			f.OS != "" && !strings.EqualFold(f.OS, e.d.OS),
			dtype != "" && dtype != deviceType(e),
			f.Group != "" && f.Group != e.d.Group,
			f.PendingReboot != nil && *f.PendingReboot != e.d.Heartbeat.PendingReboot,
			f.HasPatches != nil && *f.HasPatches != (e.d.Heartbeat.PatchCount > 0),
			f.Security != nil && *f.Security != (e.d.Heartbeat.SecurityPatches > 0),
			f.Pending != nil && *f.Pending != e.d.Pending,
			(f.AlertSeverity != "" || f.AlertCategory != "") && !e.alerts.hasAlert(f.AlertSeverity, f.AlertCategory),
			q != "" && !e.matches(q, qmac):
			continue
		}
		hits = append(hits, e)
	}
	less := func(a, b *entry) int { return strings.Compare(a.name, b.name) }
	switch f.Sort {
	case "last_seen":
		less = func(a, b *entry) int { return a.d.LastSeen.Compare(b.d.LastSeen) }
	case "client":
		less = func(a, b *entry) int {
			return strings.Compare(fl.clients[a.d.ClientID], fl.clients[b.d.ClientID])
		}
	case "os":
		less = func(a, b *entry) int { return strings.Compare(a.d.OS+a.platform, b.d.OS+b.platform) }
	case "patches":
		less = func(a, b *entry) int { return a.d.Heartbeat.PatchCount - b.d.Heartbeat.PatchCount }
	case "online":
		less = func(a, b *entry) int { return boolInt(a.online) - boolInt(b.online) }
	case "pending_reboot":
		less = func(a, b *entry) int {
			return boolInt(a.d.Heartbeat.PendingReboot) - boolInt(b.d.Heartbeat.PendingReboot)
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		c := less(hits[i], hits[j])
		if c == 0 {
			c = strings.Compare(hits[i].d.ID, hits[j].d.ID)
		}
		if f.Desc {
			return c > 0
		}
		return c < 0
	})
	total := len(hits)
	if f.Offset > 0 {
		if f.Offset >= len(hits) {
			hits = nil
		} else {
			hits = hits[f.Offset:]
		}
	}
	if f.Limit > 0 && len(hits) > f.Limit {
		hits = hits[:f.Limit]
	}
	out := make([]View, len(hits))
	for i, e := range hits {
		out[i] = fl.view(e, false)
	}
	return out, total
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Summary counts devices for the overview.
type Summary struct {
	Total, Online, Offline, PendingReboot, WithPatches, WithSecurity int
	// Alerts sums the devices' unresolved alerts by severity.
	Alerts AlertCounts
}

// Summarize counts devices per client (key "" holds the total).
func (fl *Fleet) Summarize(clients []string) map[string]*Summary {
	var allowed map[string]bool
	if clients != nil {
		allowed = map[string]bool{}
		for _, c := range clients {
			allowed[c] = true
		}
	}
	out := map[string]*Summary{"": {}}
	fl.mu.RLock()
	defer fl.mu.RUnlock()
	for _, e := range fl.devs {
		if (allowed != nil && !allowed[e.d.ClientID]) || e.d.Retired {
			continue // a retired device is out of service: not counted
		}
		s := out[e.d.ClientID]
		if s == nil {
			s = &Summary{}
			out[e.d.ClientID] = s
		}
		for _, s := range []*Summary{s, out[""]} {
			s.Total++
			if e.online {
				s.Online++
			} else {
				s.Offline++
			}
			if e.d.Heartbeat.PendingReboot {
				s.PendingReboot++
			}
			if e.d.Heartbeat.PatchCount > 0 {
				s.WithPatches++
			}
			if e.d.Heartbeat.SecurityPatches > 0 {
				s.WithSecurity++
			}
			s.Alerts.Information += e.alerts.Information
			s.Alerts.Warning += e.alerts.Warning
			s.Alerts.Critical += e.alerts.Critical
		}
	}
	return out
}

// OnlineIDs returns the IDs of online devices among ids (all when nil).
func (fl *Fleet) OnlineIDs() map[string]bool {
	fl.mu.RLock()
	defer fl.mu.RUnlock()
	out := make(map[string]bool, len(fl.devs))
	for id, e := range fl.devs {
		if e.online {
			out[id] = true
		}
	}
	return out
}
