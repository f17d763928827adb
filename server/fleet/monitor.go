package fleet

import (
	"slices"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Sample is what monitoring reads of a device at each evaluation: the
// live figures the fleet already holds, copied out under one read lock.
type Sample struct {
	ID           string
	ClientID     string
	ClientName   string
	Group        string
	Hostname     string
	DeviceType   string
	Online       bool
	Pending      bool
	OfflineSince time.Time
	LastSeen     time.Time
	EnrolledAt   time.Time
	Heartbeat    store.Heartbeat
	// TimeZone is the IANA zone the device's inventory reports ("" =
	// unknown).
	TimeZone string
}

// AlertCounts are a device's unresolved alerts by severity, as the
// device list shows them, and their categories (for its filters).
type AlertCounts struct {
	Information int      `json:"information"`
	Warning     int      `json:"warning"`
	Critical    int      `json:"critical"`
	Categories  []string `json:"-"`
}

// hasAlert reports whether c has an unresolved alert of severity sev
// ("any" = any) and category cat ("" = any).
func (c *AlertCounts) hasAlert(sev, cat string) bool {
	n := map[string]int{"any": c.Information + c.Warning + c.Critical, "information": c.Information, "warning": c.Warning,
		"critical": c.Critical}[sev]
	if sev == "" {
		n = 1
	}
	return n > 0 && (cat == "" || slices.Contains(c.Categories, cat))
}

// Samples appends every device's sample to buf and returns it.
func (f *Fleet) Samples(buf []Sample) []Sample {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, e := range f.devs {
		buf = append(buf, Sample{ID: e.d.ID, ClientID: e.d.ClientID, ClientName: f.clients[e.d.ClientID], Group: e.d.Group,
			Hostname: e.d.Hostname, DeviceType: deviceType(e), Online: e.online, Pending: e.d.Pending,
			OfflineSince: e.d.OfflineSince, LastSeen: e.d.LastSeen, EnrolledAt: e.d.EnrolledAt, Heartbeat: e.d.Heartbeat,
			TimeZone: e.timeZone})
	}
	return buf
}

// SetAlertCounts records a device's alert counts for its views (memory
// only: monitoring recomputes them at start).
func (f *Fleet) SetAlertCounts(id string, c AlertCounts) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.devs[id]; ok {
		e.alerts = c
	}
}
