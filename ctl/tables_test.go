package ctl

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// tableFixtures are API answers as the server would send them.
func tableFixtures(t *testing.T, now time.Time) map[string]string {
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	at := now.Add(-5*time.Minute - 123456789*time.Nanosecond)
	dev := api.Device{ID: "d_1", Hostname: "web1", Online: true, LastSeen: at, ClientName: "Smith, Jones & Co",
		Platform: "debian", OSVersion: "12", IPs: []string{"10.0.0.5", "fe80::1"}, MACs: []string{"525400a1b2c3"}}
	return map[string]string{
		"GET /api/v1/clients": js([]api.Client{{ID: "c_1", Name: "Smith, Jones & Co", CreatedAt: at},
			{ID: "c_2", Name: "A+B Plumbing", CreatedAt: at}}),
		"GET /api/v1/jobs": js([]api.Job{{ID: "j_1", Kind: "script", CreatedBy: "admin", CreatedAt: at, Runs: 3,
			States: map[string]int{"succeeded": 2, "failed": 1}}}),
		"GET /api/v1/jobs/j_2": js(api.JobResponse{Job: api.Job{ID: "j_2", Kind: "power", CreatedBy: "admin",
			CreatedAt: at, NotBefore: now.Add(2*time.Hour + 30*time.Second)},
			Runs: []api.Run{{ID: "r_1", JobID: "j_2", DeviceID: "d_1", State: "scheduled"}}}),
		"GET /api/v1/devices": js(api.DeviceList{Devices: []api.Device{dev}, Total: 1}),
		"GET /api/v1/devices/d_1": js(api.DeviceDetail{Device: dev, Inventory: &protocol.Inventory{Kernel: "6.1",
			CPUModel: "Xeon", CPUCores: 4, MemoryTotal: 16 << 30,
			Disks: []protocol.Disk{{Mount: "/", Filesystem: "ext4", Total: 100 << 30, Free: 25 << 29}}}}),
		"GET /api/v1/audit": js([]api.AuditEvent{{Seq: 7, At: at, Actor: "admin", Source: "api", Client: "c_1,c_2",
			Action: "job.create", Target: "j_1", Detail: map[string]string{"command": `echo hi >&2 && "x"`, "devices": "1"}}}),
		"GET /api/v1/users": js([]api.User{{ID: "u_1", Name: "tech", Role: "technician", Clients: []string{"c_1", "c_2"}},
			{ID: "u_2", Name: "boss", Role: "admin", AllClients: true, Clients: []string{}}}),
		"GET /api/v1/tokens": js([]api.EnrollToken{{ID: "et_1", ClientID: "c_2", Uses: 1, MaxUses: 5, ExpiresAt: now.Add(7 * 24 * time.Hour)},
			{ID: "et_2", ClientID: "c_gone", ExpiresAt: now.Add(time.Hour)}}),
		"GET /api/v1/devices/d_1/files": js(api.FileList{Path: "/srv", Parent: "/", Total: 3, Entries: []api.FileEntry{
			{Name: "data", Type: "dir", Modified: at, Mode: "drwxr-xr-x", Perm: 0o755},
			{Name: "evil\x1b[31mred\u202e.txt", Type: "file", Size: 1234, Modified: at, Mode: "-rw-r--r--", Perm: 0o644},
			{Name: "current", Type: "symlink", Modified: at, Mode: "Lrwxrwxrwx", Perm: 0o777, Target: "/srv/data", TargetDir: true}}}),
	}
}

// TestTablesForPeople: tables show states as words, sizes in GB, MACs
// with separators, IP lists as text, times to the second (relative where
// it helps), audit details unescaped, client names instead of IDs, and a
// scheduled job's time; compared with testdata/tables.golden.
func TestTablesForPeople(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	now := time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)
	clock = func() time.Time { return now }
	t.Cleanup(func() { clock = time.Now })
	srv, _, fp := fakeAPI(t, tableFixtures(t, now))
	var got strings.Builder
	for _, args := range [][]string{{"jobs", "list"}, {"jobs", "show", "j_2"}, {"devices", "list"}, {"devices", "show", "d_1"},
		{"audit", "list"}, {"users", "list"}, {"tokens", "list"}, {"clients", "list"}, {"files", "ls", "/srv", "--device", "d_1"}} {
		out, errs, code := runCtl(t, srv, fp, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d %q", args, code, errs)
		}
		got.WriteString("$ stewardctl " + strings.Join(args, " ") + "\n" + out + "\n")
	}
	golden := filepath.Join("testdata", "tables.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(got.String(), "c_1") != 1 { // the clients list's ID column only
		t.Errorf("a client ID instead of its name:\n%s", got.String())
	}
	if got.String() != string(want) {
		t.Errorf("tables differ from %s (go test ./ctl -run TestTablesForPeople -update to accept):\n%s", golden, got.String())
	}
	for _, bad := range []string{`\u003e`, `\u0026`, `{"`, `["`, ".123", "525400a1b2c3", "17179869184"} {
		if strings.Contains(got.String(), bad) {
			t.Errorf("tables contain %q", bad)
		}
	}
}

// TestJSONOutputIsTheAPIs: -o json prints what the API answered, field
// for field (no names, units or rounding from the tables).
func TestJSONOutputIsTheAPIs(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	fx := tableFixtures(t, time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC))
	srv, _, fp := fakeAPI(t, fx)
	for args, path := range map[string]string{"jobs list": "GET /api/v1/jobs", "jobs show j_2": "GET /api/v1/jobs/j_2",
		"devices list": "GET /api/v1/devices", "devices show d_1": "GET /api/v1/devices/d_1", "audit list": "GET /api/v1/audit",
		"users list": "GET /api/v1/users", "tokens list": "GET /api/v1/tokens", "clients list": "GET /api/v1/clients"} {
		out, errs, code := runCtl(t, srv, fp, append([]string{"-o", "json"}, strings.Fields(args)...)...)
		var gotV, wantV any
		if code != 0 || json.Unmarshal([]byte(out), &gotV) != nil || json.Unmarshal([]byte(fx[path]), &wantV) != nil {
			t.Fatalf("%s: exit %d %q %q", args, code, out, errs)
		}
		if !reflect.DeepEqual(gotV, wantV) {
			t.Errorf("%s -o json:\n%s\nwant the API's\n%s", args, out, fx[path])
		}
	}
}
