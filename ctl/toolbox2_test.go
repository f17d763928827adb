package ctl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
)

// TestToolboxTables: event records, registry values of every type and user
// sessions as tables, hostile text from the device escaped; the requests
// carry the filters; compared with testdata/toolbox2.golden.
func TestToolboxTables(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	now := time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)
	clock = func() time.Time { return now }
	t.Cleanup(func() { clock = time.Now })
	js := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	yes, no := true, false
	idle := int64(754)
	srv, seen, fp := fakeAPI(t, map[string]string{
		"GET /api/v1/devices/d_1/eventlog": js(api.EventLogPage{Device: "d_1", System: "journald", NewestFirst: true, Records: []api.EventRecord{
			{Time: now.Add(-time.Minute), Level: "error", Source: "sshd", Unit: "ssh.service", Message: "Failed password\x1b[2J for \u202eadmin\nsecond line"},
			{Time: now.Add(-2 * time.Minute), Level: "info", Source: "Service Control Manager", Channel: "System", EventID: 7036, Message: "The Windows Update service entered the running state."}}}),
		"GET /api/v1/devices/d_1/registry": js(api.RegistryList{Path: `HKLM\SOFTWARE\Acme`, View: "64", Keys: []string{"Sub\x07key"}, Values: []api.RegValue{
			{Name: "", Type: "REG_SZ", String: "default"}, {Name: "Flags", Type: "REG_DWORD", Number: "255"},
			{Name: "Big", Type: "REG_QWORD", Number: "18446744073709551615"}, {Name: "Servers", Type: "REG_MULTI_SZ", Strings: []string{"a", "b\x1b]0;x"}},
			{Name: "Blob", Type: "REG_BINARY", Data: []byte{0xde, 0xad, 0xbe, 0xef}}, {Name: "Exp", Type: "REG_EXPAND_SZ", String: `%SystemRoot%\x`}}}),
		"PUT /api/v1/devices/d_1/registry/value": js(api.RegistryChanged{Path: `HKLM\SOFTWARE\Acme`, View: "32", Name: "Flags",
			Previous: &api.RegValue{Name: "Flags", Type: "REG_DWORD", Number: "1"}}),
	})
	var got strings.Builder
	for _, args := range [][]string{
		{"events", "--device", "d_1", "--unit", "ssh.service", "--level", "error", "--since", "2h", "--limit", "50"},
		{"registry", "ls", `HKLM\SOFTWARE\Acme`, "--device", "d_1"},
		{"registry", "set", `HKLM\SOFTWARE\Acme`, "Flags", "0x10", "--type", "reg_dword", "--view", "32", "--device", "d_1"},
	} {
		out, errs, code := runCtl(t, srv, fp, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d %q", args, code, errs)
		}
		got.WriteString("$ stewardctl " + strings.Join(args, " ") + "\n" + out + "\n")
	}
	// Sessions, with a second answer set.
	srv2, _, fp2 := fakeAPI(t, map[string]string{"GET /api/v1/devices/d_1/sessions": js(api.DeviceSessions{Device: "d_1",
		SessionsResult: sessionsFixture(now, &yes, &no, &idle)})})
	out, errs, code := runCtl(t, srv2, fp2, "sessions", "--device", "d_1")
	if code != 0 {
		t.Fatalf("sessions: exit %d %q", code, errs)
	}
	got.WriteString("$ stewardctl sessions --device d_1\n" + out + "\n")
	golden := filepath.Join("testdata", "toolbox2.golden")
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
		t.Errorf("tables differ from %s (go test ./ctl -run TestToolboxTables -update to accept):\n%s", golden, got.String())
	}
	for _, bad := range []string{"\x1b", "\u202e", "\x07"} {
		if strings.Contains(got.String(), bad) {
			t.Errorf("output holds %q raw", bad)
		}
	}
	reqs := strings.Join(*seen, "\n")
	for _, w := range []string{"GET /api/v1/devices/d_1/eventlog?level=error&limit=50&since=2026-12-05T02%3A00%3A00Z&unit=ssh.service",
		`PUT /api/v1/devices/d_1/registry/value {"path":"HKLM\\SOFTWARE\\Acme","view":"32","value":{"name":"Flags","type":"REG_DWORD","number":"0x10","size":0}}`} {
		if !strings.Contains(reqs, w) {
			t.Errorf("no request %s in:\n%s", w, reqs)
		}
	}
	// Bad values are refused before any request.
	for _, args := range [][]string{{"registry", "set", "HKLM\\X", "v", "zz", "--type", "REG_BINARY", "--device", "d_1"},
		{"registry", "set", "HKLM\\X", "v", "1", "2", "--type", "REG_DWORD", "--device", "d_1"},
		{"registry", "set", "HKLM\\X", "v", "1", "--type", "REG_LINK", "--device", "d_1"},
		{"events", "--device", "d_1", "--since", "yesterday"}} {
		if _, _, code := runCtl(t, srv, fp, args...); code == 0 {
			t.Errorf("%v accepted", args)
		}
	}
}

func sessionsFixture(now time.Time, yes, no *bool, idle *int64) protocol.SessionsResult {
	return protocol.SessionsResult{Time: now, Notes: []string{"graphical sessions show no idle time\x1b[31m"}, Sessions: []api.UserActivity{
		{User: "jdoe", Domain: "CONTOSO", ID: "1", Terminal: "Console", Type: "console", State: "active", Locked: yes, IdleSeconds: idle,
			LastActivity: now.Add(-754 * time.Second), LoginTime: now.Add(-3 * time.Hour)},
		{User: "admin\u202e", ID: "3", Terminal: "RDP-Tcp#12", Host: "198.51.100.4", Type: "rdp", State: "disconnected", Locked: no},
	}}
}
