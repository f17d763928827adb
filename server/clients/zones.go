package clients

import (
	"fmt"
	"strings"
	"time"
)

// timeZone validates a client's time zone: an IANA name the server's
// zone database knows, or "" for the server's.
func timeZone(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if v == "Local" || len(v) > 64 || strings.ContainsAny(v, " \t\\") {
		return "", fmt.Errorf("unknown time zone %q: use an IANA name like Europe/Paris, or empty for the server's", v)
	}
	if _, err := time.LoadLocation(v); err != nil {
		return "", fmt.Errorf("unknown time zone %q: use an IANA name like Europe/Paris, or empty for the server's", v)
	}
	return v, nil
}

// ClientTimeZones returns the time zone of every client that has one, by
// client ID: what automation reads at each reconcile. The profiles are
// read once and kept (the wing is their only writer while serving), so
// a reconcile costs a map copy, not a store read.
func (s *Wing) ClientTimeZones() map[string]string {
	s.zmu.Lock()
	defer s.zmu.Unlock()
	if s.zones == nil {
		ps, err := s.st.ClientProfiles()
		if err != nil {
			s.log.Error("read client time zones", "err", err)
			return nil
		}
		s.zones = map[string]string{}
		for _, p := range ps {
			if p.TimeZone != "" {
				s.zones[p.ClientID] = p.TimeZone
			}
		}
	}
	out := make(map[string]string, len(s.zones))
	for k, v := range s.zones {
		out[k] = v
	}
	return out
}

// zoneChanged records a client's new time zone in the kept map.
func (s *Wing) zoneChanged(clientID, zone string) {
	s.zmu.Lock()
	defer s.zmu.Unlock()
	if s.zones == nil {
		return // read in full at the next ClientTimeZones
	}
	if zone == "" {
		delete(s.zones, clientID)
	} else {
		s.zones[clientID] = zone
	}
}
