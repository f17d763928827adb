package devices

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
)

func writeDevicesCSV(w http.ResponseWriter, views []fleet.View) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="devices.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "hostname", "online", "last_seen", "client", "os", "platform", "os_version",
		"pending_reboot", "patches_available", "last_user", "ips", "macs"})
	for _, v := range views {
		row := []string{v.ID, v.Hostname, strconv.FormatBool(v.Online), v.LastSeen.UTC().Format(time.RFC3339),
			v.ClientName, v.OS, v.Platform, v.OSVersion, strconv.FormatBool(v.PendingReboot),
			strconv.Itoa(v.PatchesAvail), v.LastUser, strings.Join(v.IPs, " "), strings.Join(v.MACs, " ")}
		for i := range row {
			row[i] = httpx.CSVSafe(row[i])
		}
		_ = cw.Write(row)
	}
	cw.Flush()
}

// apiSoftwareSearch finds every device with a package name (optionally
// below a version) across the caller's clients.
func (s *Wing) apiSoftwareSearch(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	name := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("name")))
	below := r.URL.Query().Get("below")
	if name == "" || len(name) > 200 {
		httpx.WriteError(w, 400, "name is required (at most 200 characters)")
		return
	}
	type hit = api.SoftwareHit
	out := []hit{}
	err := fleet.EachHealth(s.st, func(id string, h *protocol.Health) error {
		v, ok := s.Device(p, id)
		if !ok {
			return nil
		}
		for _, sw := range h.Software {
			if !strings.Contains(strings.ToLower(sw.Name), name) {
				continue
			}
			if below != "" && compareVersions(sw.Version, below) >= 0 {
				continue
			}
			out = append(out, hit{DeviceID: v.ID, Hostname: v.Hostname, Client: v.Client, Name: sw.Name,
				Version: sw.Version, Source: sw.Source})
		}
		return nil
	})
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, out)
}

// compareVersions compares dotted versions numerically where both parts
// are numbers, as strings otherwise (epochs "1:" and Debian revisions are
// split on the same separators).
func compareVersions(a, b string) int {
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '-' || r == ':' || r == '+' || r == '~' || r == '_' })
	}
	pa, pb := split(a), split(b)
	for i := 0; i < len(pa) || i < len(pb); i++ {
		if i >= len(pa) {
			return -1
		}
		if i >= len(pb) {
			return 1
		}
		na, ea := strconv.Atoi(pa[i])
		nb, eb := strconv.Atoi(pb[i])
		if ea == nil && eb == nil {
			if na != nb {
				if na < nb {
					return -1
				}
				return 1
			}
			continue
		}
		if c := strings.Compare(pa[i], pb[i]); c != 0 {
			return c
		}
	}
	return 0
}
