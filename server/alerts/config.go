package alerts

import (
	"fmt"
	"slices"
	"time"

	"github.com/steward-rmm/steward/server/assign"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
)

// config is the monitoring configuration in memory: read at start and
// again after every change through the API, so an evaluation reads no
// storage.
type config struct {
	profiles map[string]*store.Profile
	assign   assign.Table
	exempt   map[exemptKey]store.CheckExemption
	windows  []store.MaintenanceWindow
	zones    map[string]*time.Location
	// monitors are the network monitors, with their clients' names.
	monitors    []store.NetMonitor
	clientNames map[string]string
}

// monitor returns the network monitor id, or nil.
func (c *config) monitor(id string) *store.NetMonitor {
	for i := range c.monitors {
		if c.monitors[i].ID == id {
			return &c.monitors[i]
		}
	}
	return nil
}

// exemptKey is a map key that costs no allocation to build (as is
// assign.Key): both are looked up for every device at every evaluation.
type exemptKey struct{ device, profile, check string }

// loadConfig reads the configuration from the store.
func loadConfig(st Store) (*config, error) {
	c := &config{profiles: map[string]*store.Profile{}, assign: assign.Table{},
		exempt: map[exemptKey]store.CheckExemption{}, zones: map[string]*time.Location{}}
	ps, err := st.Profiles()
	if err != nil {
		return nil, fmt.Errorf("load profiles: %w", err)
	}
	for i := range ps {
		c.profiles[ps[i].ID] = &ps[i]
	}
	as, err := st.Assignments()
	if err != nil {
		return nil, fmt.Errorf("load assignments: %w", err)
	}
	c.assign = assign.NewTable(as)
	es, err := st.Exemptions("")
	if err != nil {
		return nil, fmt.Errorf("load exemptions: %w", err)
	}
	for _, e := range es {
		c.exempt[exemptKey{e.DeviceID, e.ProfileID, e.CheckID}] = e
	}
	if c.windows, err = st.Windows(); err != nil {
		return nil, fmt.Errorf("load windows: %w", err)
	}
	if c.monitors, err = st.NetMonitors(); err != nil {
		return nil, fmt.Errorf("load network monitors: %w", err)
	}
	c.clientNames = map[string]string{}
	if len(c.monitors) > 0 {
		cs, err := st.Clients()
		if err != nil {
			return nil, fmt.Errorf("load clients: %w", err)
		}
		for _, cl := range cs {
			c.clientNames[cl.ID] = cl.Name
		}
	}
	for _, w := range c.windows {
		if loc, err := time.LoadLocation(w.TimeZone); err == nil {
			c.zones[w.TimeZone] = loc
		}
	}
	return c, nil
}

// resolve finds the profile in force on a device: the one assigned at its
// narrowest level (device, then its folder, its client, everything).
func (c *config) resolve(s *fleet.Sample) (*store.Profile, store.ProfileAssignment) {
	return assign.Resolve(c.assign, c.profiles, s.ID, s.ClientID, s.Group)
}

// exempted reports whether a check of a profile is exempted on a device.
func (c *config) exempted(device, profile, check string) bool {
	_, ok := c.exempt[exemptKey{device, profile, check}]
	return ok
}

// window returns the maintenance window in force on a device now, if any.
func (c *config) window(s *fleet.Sample, now time.Time) *store.MaintenanceWindow {
	for i := range c.windows {
		w := &c.windows[i]
		if windowCovers(w, s) && windowActive(w, c.zones[w.TimeZone], now) {
			return w
		}
	}
	return nil
}

// windowCovers reports whether a window is about a device.
func windowCovers(w *store.MaintenanceWindow, s *fleet.Sample) bool {
	switch w.Level {
	case store.LevelDevice:
		return w.DeviceID == s.ID
	case store.LevelFolder:
		return w.ClientID == s.ClientID && w.Folder == s.Group
	case store.LevelClient:
		return w.ClientID == s.ClientID
	}
	return false
}

// windowActive reports whether now falls inside one of a window's
// occurrences. A recurring window's occurrence starts at Start's time of
// day (in loc, UTC when nil) on each day it recurs from Start's date on;
// occurrences that began on earlier days still count while they last.
func windowActive(w *store.MaintenanceWindow, loc *time.Location, now time.Time) bool {
	dur := time.Duration(w.Minutes) * time.Minute
	if w.Recur == "" {
		return !now.Before(w.Start) && now.Before(w.Start.Add(dur))
	}
	if loc == nil {
		loc = time.UTC
	}
	start := w.Start.In(loc)
	local := now.In(loc)
	days := int(dur/(24*time.Hour)) + 1
	for back := 0; back <= days; back++ {
		day := local.AddDate(0, 0, -back)
		occ := time.Date(day.Year(), day.Month(), day.Day(), start.Hour(), start.Minute(), start.Second(), 0, loc)
		if occ.Before(start) {
			continue
		}
		if w.Recur == "weekly" && !slices.Contains(w.Weekdays, int(occ.Weekday())) {
			continue
		}
		if !now.Before(occ) && now.Before(occ.Add(dur)) {
			return true
		}
	}
	return false
}
