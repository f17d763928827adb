package automation

import (
	"fmt"
	"strings"
	"time"

	"github.com/steward-rmm/steward/server/fleet"
)

// Schedule time zones besides an IANA name and "" (the server's zone).
const (
	// ZoneDevice reads each device's schedule in the zone its agent
	// reports, else its client's, else the server's.
	ZoneDevice = "device"
	// ZoneClient reads each device's schedule in its client's zone, else
	// the server's.
	ZoneClient = "client"
)

// ClientZones gives the time zone (an IANA name, "" = none set) of every
// client that has one, by client ID (the clients wing, through the
// wiring). It is read once per reconcile.
type ClientZones interface {
	ClientTimeZones() map[string]string
}

// LoadZone loads a named IANA time zone, refusing what LoadLocation
// accepts but is no zone a person means ("Local", names with spaces).
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > 64 || strings.ContainsAny(name, " \t\\") {
		return nil, fmt.Errorf("unknown time zone %q: use an IANA name like Europe/Paris", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: use an IANA name like Europe/Paris", name)
	}
	return loc, nil
}

// zoneCache holds loaded locations by name, so a reconcile over 20,000
// devices loads each zone once, not once per device. Names that do not
// load are cached as nil. Guarded by the wing's mu.
type zoneCache map[string]*time.Location

// get returns the named zone, nil when "" or not loadable.
func (zc zoneCache) get(name string) *time.Location {
	if name == "" {
		return nil
	}
	loc, ok := zc[name]
	if !ok {
		if len(zc) > 4096 { // hostile agents cannot grow it without bound
			clear(zc)
		}
		loc, _ = LoadZone(name)
		zc[name] = loc
	}
	return loc
}

// zoneFor resolves the zone a schedule is read in on one device: for
// "device" the device's reported zone, else its client's; for "client"
// the client's; nil = the schedule's own (a named zone or the server's).
// name is the resolved zone's name ("" for the schedule's own), part of
// the entry's signature so a changed zone recomputes the due time.
func (w *Wing) zoneFor(sc *schedule, s *fleet.Sample, clients map[string]string) (loc *time.Location, name string) {
	if sc.zone == ZoneDevice {
		if loc := w.zones.get(s.TimeZone); loc != nil {
			return loc, s.TimeZone
		}
	}
	if sc.zone == ZoneDevice || sc.zone == ZoneClient {
		if z := clients[s.ClientID]; z != "" {
			if loc := w.zones.get(z); loc != nil {
				return loc, z
			}
		}
	}
	return nil, ""
}

// clientZones reads the clients' zones for one reconcile (none when the
// wiring gave no source).
func (w *Wing) clientZones() map[string]string {
	if w.d.Clients == nil {
		return nil
	}
	return w.d.Clients.ClientTimeZones()
}

// zoneName is the name of the zone an entry's due times are read in,
// for the device page.
func zoneName(sc *schedule, loc *time.Location) string {
	if loc == nil && sc != nil {
		loc = sc.loc
	}
	if loc == nil || loc == time.Local {
		return ""
	}
	return loc.String()
}
