// The help desk's device lookup: exact keys (MAC, IP, serial, ID) and
// host names, over the live in-memory index, so a device is found by the
// inventory it reported last and never by one it replaced.

package fleet

import (
	"net"
	"slices"
	"strings"
)

// Lookup selects devices for the help-desk search: those with any of the
// keys set (an empty field is not searched), within Clients (nil = every
// client), retired ones included, at most Limit (0 = 50), by host name.
type Lookup struct {
	// Name is part of the host name (case-insensitive).
	Name string
	// MAC is a MAC address in any form NormalizeMAC accepts; it matches
	// the whole address.
	MAC string
	// IP is an address, matched whole in its canonical form.
	IP string
	// Serial is the firmware's serial, matched whole, case-insensitively.
	Serial string
	// ID is a device ID; IDs more of them (found elsewhere, e.g. by a SIP
	// address the store keeps).
	ID      string
	IDs     []string
	Clients []string
	Limit   int
}

// Find returns the devices q selects.
func (fl *Fleet) Find(q Lookup) []View {
	name := strings.ToLower(strings.TrimSpace(q.Name))
	mac := NormalizeMAC(strings.TrimSpace(q.MAC))
	ip := ""
	if a := net.ParseIP(strings.TrimSpace(q.IP)); a != nil {
		ip = a.String()
	}
	serial := strings.TrimSpace(q.Serial)
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	var allowed map[string]bool
	if q.Clients != nil {
		allowed = make(map[string]bool, len(q.Clients))
		for _, c := range q.Clients {
			allowed[c] = true
		}
	}
	fl.mu.RLock()
	defer fl.mu.RUnlock()
	var hits []*entry
	for _, e := range fl.devs {
		if allowed != nil && !allowed[e.d.ClientID] {
			continue
		}
		if name != "" && strings.Contains(e.name, name) ||
			mac != "" && slices.Contains(e.macs, mac) ||
			ip != "" && slices.Contains(e.ips, ip) ||
			serial != "" && strings.EqualFold(e.serial, serial) ||
			q.ID != "" && e.d.ID == q.ID || slices.Contains(q.IDs, e.d.ID) {
			hits = append(hits, e)
		}
	}
	slices.SortFunc(hits, func(a, b *entry) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.d.ID, b.d.ID)
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]View, len(hits))
	for i, e := range hits {
		out[i] = fl.view(e, false)
	}
	return out
}

// Serial returns a device's serial as its inventory reported it ("" if
// none).
func (fl *Fleet) Serial(id string) string {
	fl.mu.RLock()
	defer fl.mu.RUnlock()
	if e := fl.devs[id]; e != nil {
		return e.serial
	}
	return ""
}
