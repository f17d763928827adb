package ctl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
)

// TestPatchClassTables: the device's patch list, the compliance items and
// the profile list show classification and severity (hostile text
// escaped), compared with testdata/patchclass.golden; and the
// --classification / --min-severity flags land in the patch policy sent.
func TestPatchClassTables(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	now := time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)
	clock = func() time.Time { return now }
	t.Cleanup(func() { clock = time.Now })
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	patches := []api.Patch{
		{ID: "KB5000001", Name: "2026-11 Cumulative Update", Security: true, Classification: "security", Severity: "critical"},
		{ID: "KB5000002", Name: "Servicing Stack", Classification: "critical"},
		{ID: "evil", Name: "x", Classification: "\x1b]52;c;aGk=\x07rollup", Severity: "low\u202e"},
	}
	var h api.Health
	h.Patches.Available = patches
	fixtures := map[string]string{
		"GET /api/v1/devices/d_1": js(api.DeviceDetail{Device: api.Device{ID: "d_1"}, Health: &h}),
		"GET /api/v1/automation/compliance": js(api.Compliance{Devices: []api.DeviceCompliance{
			{DeviceID: "d_1", Hostname: "win1", ClientName: "Acme", ProfileName: "Patching", Status: "pending-approval",
				Items: []api.ComplianceItem{
					{Policy: "patch", Item: "KB5000001", Name: "Cumulative", Status: "waiting-window", Classification: "security", Severity: "critical",
						Next: now.Add(26 * time.Hour)},
					{Policy: "patch", Item: "KB5000003", Name: "Intel <b>Driver", Status: "pending-approval", Classification: "driver\x1b[2J"}}}}}),
		"GET /api/v1/automation/profiles": js([]api.AutoProfile{{ID: "ap_1", Name: "Patching", Tasks: []api.AutoTask{},
			Patch: &api.PatchPolicy{Auto: "none", Classifications: []string{"critical", "driver"}, MinSeverity: "important",
				Weekdays: []int{3}, Start: "02:00", Minutes: 120}, UpdatedAt: now}}),
		"POST /api/v1/automation/profiles": js(api.AutoProfile{ID: "ap_2", Name: "P"}),
	}
	srv, seen, fp := fakeAPI(t, fixtures)
	var got strings.Builder
	for _, args := range [][]string{{"patches", "list", "d_1"}, {"automation", "compliance", "--items"}, {"automation", "profiles", "list"}} {
		out, errs, code := runCtl(t, srv, fp, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d %q", args, code, errs)
		}
		got.WriteString("$ stewardctl " + strings.Join(args, " ") + "\n" + out + "\n")
	}
	golden := filepath.Join("testdata", "patchclass.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("tables differ from %s (go test ./ctl -run TestPatchClassTables -update to accept):\n%s", golden, got.String())
	}
	for _, bad := range []string{"\x1b", "\u202e", "\x07"} {
		if strings.Contains(got.String(), bad) {
			t.Errorf("tables contain %q", bad)
		}
	}

	// The flags refine --patch.
	*seen = nil
	if _, errs, code := runCtl(t, srv, fp, "automation", "profiles", "create", "P", "--patch", `{"auto":"none","weekdays":[3],"start":"02:00","minutes":120}`,
		"--classification", "critical", "--classification", "driver,rollup", "--min-severity", "important"); code != 0 {
		t.Fatalf("create: %d %s", code, errs)
	}
	i := slices.IndexFunc(*seen, func(s string) bool { return strings.HasPrefix(s, "POST /api/v1/automation/profiles ") })
	if i < 0 {
		t.Fatalf("no POST: %q", *seen)
	}
	var req api.AutoProfileRequest
	if err := json.Unmarshal([]byte(strings.TrimPrefix((*seen)[i], "POST /api/v1/automation/profiles ")), &req); err != nil {
		t.Fatal(err)
	}
	if req.Patch == nil || !slices.Equal(req.Patch.Classifications, []string{"critical", "driver", "rollup"}) || req.Patch.MinSeverity != "important" {
		t.Fatalf("request patch policy %+v", req.Patch)
	}
	if _, errs, code := runCtl(t, srv, fp, "automation", "profiles", "create", "P", "--min-severity", "low"); code == 0 || !strings.Contains(errs, "--patch") {
		t.Fatalf("--min-severity without --patch: %d %q", code, errs)
	}
}
