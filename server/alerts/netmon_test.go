package alerts

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/store"
)

// TestNetResultGrades: a probe's result against its monitor's thresholds.
func TestNetResultGrades(t *testing.T) {
	now := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	httpM := &store.NetMonitor{Name: "Site", Kind: store.NetHTTP, WarningMS: 500, CriticalMS: 2000}
	tlsM := &store.NetMonitor{Name: "Cert", Kind: store.NetTLS, WarningDays: 30, CriticalDays: 7}
	for _, c := range []struct {
		m       *store.NetMonitor
		ns      netState
		sev     string
		unknown bool
		detail  string
	}{
		{httpM, netState{res: protocol.NetProbeResult{OK: true, Status: 200, LatencyMS: 100}}, "", false, "status 200 in 100 ms"},
		{httpM, netState{res: protocol.NetProbeResult{OK: true, Status: 200, LatencyMS: 700}}, SevWarning, false, "700 ms"},
		{httpM, netState{res: protocol.NetProbeResult{OK: true, Status: 200, LatencyMS: 2500}}, SevCritical, false, "2500 ms"},
		{httpM, netState{res: protocol.NetProbeResult{OK: true, Status: 500, LatencyMS: 5}}, SevCritical, false, "status 500, expected 200"},
		{httpM, netState{res: protocol.NetProbeResult{Error: "connection refused"}}, SevCritical, false, "connection refused"},
		{httpM, netState{callErr: "the agent is offline"}, "", true, "offline"},
		{tlsM, netState{res: protocol.NetProbeResult{OK: true, NotAfter: now.Add(60 * 24 * time.Hour).Format(time.RFC3339)}}, "", false, "60 days"},
		{tlsM, netState{res: protocol.NetProbeResult{OK: true, NotAfter: now.Add(20 * 24 * time.Hour).Format(time.RFC3339)}}, SevWarning, false, "20 days"},
		{tlsM, netState{res: protocol.NetProbeResult{OK: true, NotAfter: now.Add(3 * 24 * time.Hour).Format(time.RFC3339)}}, SevCritical, false, "3 days"},
		{tlsM, netState{res: protocol.NetProbeResult{OK: true, NotAfter: now.Add(-time.Hour).Format(time.RFC3339)}}, SevCritical, false, "expired"},
	} {
		r := netResult(c.m, &c.ns, now)
		if r.sev != c.sev || r.unknown != c.unknown || !strings.Contains(r.detail(), c.detail) || r.title() != "Network monitor "+c.m.Name+" failing" {
			t.Errorf("%s %+v: sev %q unknown %v detail %q, want %q %v %q", c.m.Kind, c.ns, r.sev, r.unknown, r.detail(), c.sev, c.unknown, c.detail)
		}
	}
}

// TestNetworkCheckNotInProfiles: a profile cannot hold a network check.
func TestNetworkCheckNotInProfiles(t *testing.T) {
	if err := ValidateCheck(&store.Check{ID: "n", Kind: KindNetwork}); err == nil {
		t.Fatal("a network check was accepted in a profile")
	}
}
