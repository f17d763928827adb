package ctl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
)

// TestAutomationTables: the automation commands' tables (schedules in
// words, times to the second, hostile names escaped), compared with
// testdata/automation.golden.
func TestAutomationTables(t *testing.T) {
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
	at := now.Add(-5*time.Minute - 123456789*time.Nanosecond)
	tasks := []api.AutoTask{
		{ID: "scan", Name: "Patch scan", Action: "patch-scan", Schedule: api.AutoSchedule{Kind: "every", Every: 3600,
			Start: time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC)}, SpreadSeconds: 600},
		{ID: "clean", Name: "Clean \x1b[31mtemp\u202e", Action: "script", Library: "cleanup@3",
			Schedule: api.AutoSchedule{Kind: "weekly", At: "22:00", Weekdays: []int{2, 4}, TimeZone: "Europe/Paris"}, SkipOffline: true},
		{ID: "tools", Name: "Tools", Action: "software-install", Packages: []string{"curl", "jq"},
			Schedule: api.AutoSchedule{Kind: "cron", Cron: "30 2 * * 1-5"}},
	}
	fixtures := map[string]string{
		"GET /api/v1/automation/profiles": js([]api.AutoProfile{{ID: "ap_1", Name: "Servers", ClientID: "c_1", ClientName: "Smith, Jones & Co",
			Tasks: tasks, Patch: &api.PatchPolicy{Auto: "security", Weekdays: []int{3}, Start: "02:00", Minutes: 120}, UpdatedAt: at},
			{ID: "ap_2", Name: "Everyone", Tasks: tasks[:1], UpdatedAt: at}}),
		"GET /api/v1/automation/profiles/ap_1": js(api.AutoProfile{ID: "ap_1", Name: "Servers", Tasks: tasks}),
		"GET /api/v1/devices/d_1/automation": js(api.DeviceTasks{DeviceID: "d_1", Tasks: []api.TaskInForce{
			{Task: tasks[0], ProfileName: "Servers", Level: "client", Source: "client Smith, Jones & Co", NextRun: now.Add(7 * time.Minute), LastRun: at},
			{Task: tasks[1], ProfileName: "Servers", Level: "client", Source: "client Smith, Jones & Co", Exempt: true}}}),
		"GET /api/v1/automation/runs": js([]api.AutoRun{
			{ID: "ar_2", ProfileName: "Servers", TaskID: "scan", DeviceID: "d_1", Due: at, At: at, Outcome: "skipped-running", RunID: "r_1",
				Detail: "the previous run has not ended"},
			{ID: "ar_1", ProfileName: "Servers", TaskID: "scan", DeviceID: "d_1", Due: at.Add(-time.Hour), At: at.Add(-time.Hour),
				Outcome: "started", JobID: "j_1", RunID: "r_1"}}),
		"GET /api/v1/automation/compliance": js(api.Compliance{Devices: []api.DeviceCompliance{
			{DeviceID: "d_1", Hostname: "web1\x1b[2J", ClientName: "Smith, Jones & Co", ProfileName: "Servers", Status: "pending-approval",
				Items: []api.ComplianceItem{{Policy: "patch", Item: "KB5001", Name: "Cumulative <b>Update", Status: "pending-approval"},
					{Policy: "patch", Item: "openssl", Status: "waiting-window", Next: now.Add(26 * time.Hour)}}},
			{DeviceID: "d_2", Hostname: "db1", ClientName: "Smith, Jones & Co", ProfileName: "Servers", Online: true, Status: "compliant",
				Items: []api.ComplianceItem{{Policy: "patch", Item: "window", Status: "installed"}}}}}),
		"GET /api/v1/automation/approvals": js([]api.PatchApproval{{PatchID: "KB5001", Name: "Cumulative Update", By: "admin", At: at},
			{ClientID: "c_1", ClientName: "Smith, Jones & Co", PatchID: "openssl", By: "tech", At: at}}),
	}
	srv, _, fp := fakeAPI(t, fixtures)
	var got strings.Builder
	for _, args := range [][]string{{"automation", "profiles", "list"}, {"automation", "profiles", "show", "ap_1"},
		{"automation", "tasks", "d_1"}, {"automation", "runs"}, {"automation", "compliance"}, {"automation", "compliance", "--items"},
		{"automation", "approvals", "list"}} {
		out, errs, code := runCtl(t, srv, fp, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d %q", args, code, errs)
		}
		got.WriteString("$ stewardctl " + strings.Join(args, " ") + "\n" + out + "\n")
	}
	golden := filepath.Join("testdata", "automation.golden")
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
		t.Errorf("tables differ from %s (go test ./ctl -run TestAutomationTables -update to accept):\n%s", golden, got.String())
	}
	for _, bad := range []string{"\x1b", "\u202e", ".123"} {
		if strings.Contains(got.String(), bad) {
			t.Errorf("tables contain %q", bad)
		}
	}
}

// TestAutomationStartFlag: --start anchors the every tasks that give no
// start of their own (others keep theirs; daily ones take none), and a
// --start that is not RFC 3339 is refused before anything is sent.
func TestAutomationStartFlag(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	srv, seen, fp := fakeAPI(t, map[string]string{"POST /api/v1/automation/profiles": `{"id":"ap_1","name":"Servers","tasks":[]}`})
	own := `{"name":"b","action":"patch-scan","schedule":{"kind":"every","every":60,"start":"2026-12-24T00:00:00Z"}}`
	args := []string{"automation", "profiles", "create", "Servers", "--start", "2026-12-07T08:00:00+01:00",
		"--task", `{"name":"a","action":"patch-scan","schedule":{"kind":"every","every":14400}}`, "--task", own,
		"--task", `{"name":"c","action":"patch-scan","schedule":{"kind":"daily","at":"03:00"}}`}
	if _, errs, code := runCtl(t, srv, fp, args...); code != 0 {
		t.Fatalf("create: exit %d %q", code, errs)
	}
	if len(*seen) != 1 {
		t.Fatalf("requests %v", *seen)
	}
	var req api.AutoProfileRequest
	if err := json.Unmarshal([]byte(strings.SplitN((*seen)[0], " ", 3)[2]), &req); err != nil {
		t.Fatal(err)
	}
	want := []time.Time{time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC), time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC), {}}
	for i, w := range want {
		if got := req.Tasks[i].Schedule.Start; !got.Equal(w) {
			t.Errorf("task %d start %v, want %v", i, got, w)
		}
	}
	args[5] = "tomorrow 8am"
	if _, errs, code := runCtl(t, srv, fp, args...); code == 0 || !strings.Contains(errs, "--start") || len(*seen) != 1 {
		t.Fatalf("a bad --start: exit %d %q, %d requests", code, errs, len(*seen))
	}
}
