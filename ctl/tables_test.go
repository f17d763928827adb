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
	al := api.Alert{ID: "al_1", DeviceID: "d_1", DeviceName: "web1", ClientID: "c_1", ClientName: "Smith, Jones & Co",
		CheckKind: "disk", CheckTarget: "C:", Severity: "critical", Category: "disk", Title: "Low disk space on C:\x1b[31m\u202e",
		Detail: "4.0% free (2.0 GiB)", Status: "open", CreatedAt: at, ProfileName: "Servers"}
	return map[string]string{
		"GET /api/v1/clients/c_2/consent": js(api.ClientConsent{ClientID: "c_2", ClientName: "A+B Plumbing", Required: true,
			Covered: []string{"manage_devices"}, Requests: []api.ConsentRequest{{ID: "cr_1", ClientID: "c_2", Roles: []string{"manage_devices", "helpdesk_view"},
				Days: 90, Message: "patch\x1b[31m night", CreatedAt: at, CreatedBy: "tech\u202e", ExpiresAt: at.Add(90 * 24 * time.Hour), Status: "accepted"}},
			Grants: []api.ConsentGrant{{ID: "cg_1", ClientID: "c_2", Roles: []string{"manage_devices"}, StartsAt: at, EndsAt: now.Add(30 * 24 * time.Hour),
				GrantedBy: "Ann <b>Smith</b>", Status: "active", Uses: 3}, {ID: "cg_0", ClientID: "c_2", Roles: []string{"helpdesk_view"}, StartsAt: at,
				EndsAt: at.Add(time.Hour), Status: "revoked", RevokedReason: "audit\x1b[2J week"}}}),
		"GET /api/v1/customers": js(api.CustomerList{Customers: []api.Customer{{ClientID: "c_2", Name: "A+B Plumbing\u202e", Devices: 12, Offline: 2,
			Alerts: api.AlertCounts{Critical: 1, Warning: 3}, PendingReboot: 1, SecurityPatches: 4, GrantID: "cg_1",
			Roles: []string{"manage_devices", "helpdesk_view"}, GrantEndsAt: now.Add(30 * 24 * time.Hour), ConsentRequired: true}}}),
		"GET /api/v1/alerts":      js(api.AlertList{Alerts: []api.Alert{al}, Next: "al_1"}),
		"GET /api/v1/alerts/al_1": js(api.AlertDetail{Alert: al, Events: []api.AlertEvent{{Kind: "raised", Severity: "warning", At: at}, {Kind: "escalated", Severity: "critical", At: at}}}),
		"GET /api/v1/devices/d_1/checks": js(api.DeviceChecks{DeviceID: "d_1", Checks: []api.CheckInForce{{Check: api.Check{ID: "disk",
			Kind: "disk", Warning: 20, Critical: 10, CriticalFree: 2 << 30}, ProfileName: "Servers", Level: "client",
			Source: "client Smith, Jones & Co", State: "critical", Detail: "C:: 4.0% free"}}, Maintenance: "Patch night"}),
		"GET /api/v1/monitors": js([]api.Monitor{{ID: "nm_1", Name: "Shop\x1b[31m\u202e", ClientID: "c_1", ClientName: "Smith, Jones & Co",
			Kind: "http", DeviceType: "http", Address: "https://shop.example/", IntervalSec: 60, State: "down",
			LastResult: "status 503, expected 200 (41 ms)", Status: 503, LatencyMS: 41, LastAt: at, CreatedAt: at}}),
		"GET /api/v1/maintenance": js([]api.MaintenanceWindow{{ID: "mw_1", Name: "Patch night", Level: "client", ClientName: "Smith, Jones & Co",
			Start: at, Minutes: 120, Recur: "weekly", Weekdays: []int{2, 4}, TimeZone: "Europe/Paris", Active: true}}),
		"GET /api/v1/clients": js([]api.Client{{ID: "c_1", Name: "Smith, Jones & Co", CreatedAt: at, Ranking: 4,
			Stats: &api.ClientStats{Devices: 3, Online: 2, Offline: 1, PendingReboot: 1, WithPatches: 2}},
			{ID: "c_2", Name: "A+B Plumbing", CreatedAt: at}}),
		"GET /api/v1/clients/c_2": js(api.ClientPage{Client: api.Client{ID: "c_2", Name: "A+B Plumbing", CreatedAt: at},
			Profile: api.ClientProfile{Phone: "020 7946 0958", PhoneE164: "+442079460958", Address: "1 High St\nLondon",
				Postcode: "SW1A 1AA", MapURL: "https://www.openstreetmap.org/search?query=1+High+St+London+SW1A+1AA",
				Domains: []string{"ab.example", "ab.example.net"}, TicketLimit: 10, Ranking: 2, Custom: map[string]string{"cf_1": "Gold"},
				ModifiedAt: at, ModifiedBy: "admin"},
			Fields: []api.ClientField{{ID: "cf_1", Label: "Plan", Type: "choice", Options: []string{"Gold", "Silver"}}},
			Pinned: []api.PinnedValue{{Key: "ranking", Label: "Ranking", Value: "normal"}, {Key: "cf_1", Label: "Plan", Value: "Gold"},
				{Key: "phone", Label: "Phone", Value: "020 7946 0958"}}}),
		"GET /api/v1/clients/c_2/portal-users": js([]api.PortalUser{{ID: "pu_1", ClientID: "c_2", ContactID: "ct_1",
			ContactName: "Ann\x1b[31m\u202e<b>", Email: "ann@ab.example", Admin: true, Status: "active", TOTPEnabled: true,
			CreatedAt: at, CreatedBy: "admin", LastLoginAt: at}, {ID: "pu_2", ClientID: "c_2", Email: "bob@ab.example",
			Status: "invited", InviteExpires: at.Add(7 * 24 * time.Hour), CreatedAt: at, CreatedBy: "admin"}}),
		"GET /api/v1/clients/c_2/contacts": js(api.ContactList{Total: 2, Contacts: []api.Contact{
			{ID: "ct_1", ClientID: "c_2", Name: "Ann \u202eSmith", JobTitle: "=cmd|' /C calc'!A0", Email: "ann@ab.example",
				Phone: "020 7946 0958", PhoneE164: "+442079460958", Devices: []string{"d_1"}, ModifiedAt: at},
			{ID: "ct_2", ClientID: "c_2", Name: "<script>alert(1)</script>", Disabled: true, ModifiedAt: at}}}),
		"GET /api/v1/jobs": js([]api.Job{{ID: "j_1", Kind: "script", CreatedBy: "admin", CreatedAt: at, Runs: 3,
			States: map[string]int{"succeeded": 2, "failed": 1}}}),
		"GET /api/v1/jobs/j_2": js(api.JobResponse{Job: api.Job{ID: "j_2", Kind: "power", CreatedBy: "admin",
			CreatedAt: at, NotBefore: now.Add(2*time.Hour + 30*time.Second)},
			Runs: []api.Run{{ID: "r_1", JobID: "j_2", DeviceID: "d_1", State: "scheduled"}}}),
		"GET /api/v1/devices": js(api.DeviceList{Devices: []api.Device{dev}, Total: 1}),
		"GET /api/v1/devices/d_1": js(api.DeviceDetail{Device: dev, Inventory: &protocol.Inventory{Kernel: "6.1", TimeZone: "Europe/Paris",
			CPUModel: "Xeon", CPUCores: 4, MemoryTotal: 16 << 30,
			Manufacturer: "Dell Inc.", Model: "PowerEdge\x1b[2J R650", Serial: "7XK2Q53",
			Disks: []protocol.Disk{{Mount: "/", Filesystem: "ext4", Total: 100 << 30, Free: 25 << 29}}}}),
		"GET /api/v1/audit": js([]api.AuditEvent{{Seq: 7, At: at, Actor: "admin", Source: "api", Client: "c_1,c_2",
			Action: "job.create", Target: "j_1", Detail: map[string]string{"command": `echo hi >&2 && "x"`, "devices": "1"}}}),
		"GET /api/v1/users": js([]api.User{{ID: "u_1", Name: "tech", Role: "technician", Clients: []string{"c_1", "c_2"}},
			{ID: "u_2", Name: "boss", Role: "admin", AllClients: true, Clients: []string{}}}),
		"GET /api/v1/tokens": js([]api.EnrollToken{{ID: "et_1", ClientID: "c_2", Uses: 1, MaxUses: 5, ExpiresAt: now.Add(7 * 24 * time.Hour)},
			{ID: "et_2", ClientID: "c_gone", ExpiresAt: now.Add(time.Hour)}}),
		"GET /api/v1/notifications/channels": js([]api.NotifyChannel{{ID: "ch_1", Name: "ops-hook", Type: "webhook",
			URL: "https://hooks.example/\u202eevil", HasSecret: true, CreatedAt: at}, {ID: "ch_2", Name: "ops\x1b[31mmail", Type: "email",
			To: []string{"ops@example.com", "boss@example.com"}, Disabled: true, CreatedAt: at}}),
		"GET /api/v1/notifications/rules": js([]api.NotifyRule{{ID: "nr_1", Name: "critical to ops", MinSeverity: "critical",
			Clients: []string{"c_1"}, Kinds: []string{"raised", "escalated"}, Channels: []string{"ch_1", "ch_gone"}, RenotifyMinutes: 30},
			{ID: "nr_2", Name: "all", MinSeverity: "information", Channels: []string{"ch_2"}}}),
		"GET /api/v1/notifications/deliveries": js([]api.Delivery{{ID: "dl_2", ChannelID: "ch_1", ChannelName: "ops-hook", ChannelType: "webhook",
			Status: "pending", Subject: "[Steward] 50 availability alerts raised: availability (Smith, Jones & Co)", Count: 50, Attempts: 3,
			LastError: "receiver answered 503 Service Unavailable", CreatedAt: at, NextAttempt: now.Add(90 * time.Second)},
			{ID: "dl_1", ChannelID: "ch_2", ChannelName: "ops-mail", ChannelType: "email", Status: "dead", Subject: "[Steward] Test notification",
				Attempts: 41, LastError: "mail: send via smtp.example: 535 auth failed\r\nX-Injected: 1", CreatedAt: at}}),
		"GET /api/v1/vault": js([]api.VaultEntry{{ID: "vlt_1", ClientID: "c_2", ClientName: "A+B Plumbing", Name: "router \x1b[31m<b>",
			URL: "https://192.0.2.1/", Username: "admin", UpdatedAt: at}}),
		"GET /api/v1/search": js(api.SearchResults{Query: "ann", Read: []string{"name"}, Clients: []api.SearchClient{{ID: "c_2",
			Name: "A+B Plumbing", Domains: []string{"ab.example"}, Phone: "020 7946 0958", Matched: []string{"name", "domain"}}},
			Contacts: []api.SearchContact{{ID: "ct_1", ClientID: "c_2", ClientName: "A+B Plumbing", Name: "Ann \u202eSmith\x1b[2J",
				Email: "ann@ab.example", Phone: "020 7946 0958", Mobile: "07911 123456", SIP: "sip:ann@pbx.ab.example", Matched: []string{"name"}}},
			Devices: []api.SearchDevice{{ID: "d_1", ClientID: "c_2", ClientName: "A+B Plumbing", Hostname: "ann-laptop\x1b[31m", Online: true,
				IPs: []string{"10.0.0.5"}, MACs: []string{"525400a1b2c4"}, Serial: "=cmd|' /C calc'!A0", SIP: "sip:desk\u202e1@pbx.ab.example", Matched: []string{"name", "serial"}}}}),
		"POST /api/v1/contacts/ct_1/verify": js(api.VerifySent{ContactID: "ct_1", SentTo: "a***@ab.example", ExpiresAt: now.Add(10 * time.Minute), Attempts: 5}),
		"POST /api/v1/contacts/ct_1/verify/check": js(api.VerifyResult{ContactID: "ct_1", Verified: true, Outcome: "verified",
			Message: "verified: the caller read back the code sent to the contact's e-mail"}),
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
		{"audit", "list"}, {"users", "list"}, {"tokens", "list"}, {"clients", "list"},
		{"notifications", "channels", "list"}, {"notifications", "rules", "list"}, {"notifications", "deliveries", "list"},
		{"clients", "show", "A+B Plumbing"}, {"contacts", "list", "a+b plumbing"},
		{"alerts", "list"}, {"alerts", "show", "al_1"}, {"profiles", "checks", "d_1"}, {"maintenance", "list"},
		{"vault", "list"}, {"files", "ls", "/srv", "--device", "d_1"}, {"monitors", "list"},
		{"clients", "portal-users", "list", "A+B Plumbing"},
		{"search", "ann"}, {"contacts", "verify", "ct_1"}, {"contacts", "check", "ct_1", "123456"},
		{"consent", "show", "c_2"}, {"consent", "customers"}} {
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
		"users list": "GET /api/v1/users", "tokens list": "GET /api/v1/tokens", "clients list": "GET /api/v1/clients",
		"notifications deliveries list": "GET /api/v1/notifications/deliveries", "notifications rules list": "GET /api/v1/notifications/rules",
		"alerts list": "GET /api/v1/alerts", "alerts show al_1": "GET /api/v1/alerts/al_1", "maintenance list": "GET /api/v1/maintenance",
		"vault list": "GET /api/v1/vault", "monitors list": "GET /api/v1/monitors", "consent show c_2": "GET /api/v1/clients/c_2/consent",
		"consent customers": "GET /api/v1/customers"} {
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
