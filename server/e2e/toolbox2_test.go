//go:build linux

package e2e_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/agent/registry"
	"github.com/steward-rmm/steward/agent/registry/regtest"
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
)

// fakeJournalctl puts a journalctl first on PATH that records its argv
// (one file per run, one argument per line), prints the journal capture
// and, when following, stays until killed. This machine's journald holds
// no entries, so the agent's real reader runs on a capture.
func fakeJournalctl(t *testing.T) (argvDir string) {
	t.Helper()
	bin, argvDir := t.TempDir(), t.TempDir()
	capture, err := filepath.Abs("../../agent/eventlog/testdata/journal.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`#!/bin/sh
n=$(date +%%s%%N)
for a in "$@"; do printf '%%s\n' "$a"; done > %q/argv.$n.tmp
mv %q/argv.$n.tmp %q/argv.$n
cat %q
case " $* " in *" --follow "*) echo $$ > %q/follow.pid; exec sleep 600;; esac
`, argvDir, argvDir, argvDir, capture, argvDir)
	if err := os.WriteFile(filepath.Join(bin, "journalctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return argvDir
}

// lastArgv is the argv of the newest fake journalctl run.
func lastArgv(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "argv.*[0-9]"))
	if len(m) == 0 {
		t.Fatal("journalctl did not run")
	}
	slices.Sort(m)
	b, err := os.ReadFile(m[len(m)-1])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestEventLogJournaldThroughAgent(t *testing.T) {
	argvDir := fakeJournalctl(t)
	e := startServer(t, serverConfig())
	a := e.createClient("Acme")
	_, dev, ag := onlineAgent(t, e, a, agentConfig())
	base := "/api/v1/devices/" + dev + "/eventlog"

	var page api.EventLogPage
	if code := e.api("GET", base+"?limit=2&unit=ssh.service&unit=cron.service&level=error,warning&since=2026-12-05T04:00:00Z", nil, &page); code != 200 {
		t.Fatalf("page: %d %+v", code, page)
	}
	want := []string{"--output=json", "--no-pager", "--quiet", "--reverse", "--lines=3", "--since=@1796443200", "--priority=3..4",
		"--unit=ssh.service", "--unit=cron.service"}
	if got := lastArgv(t, argvDir); !slices.Equal(got, want) {
		t.Errorf("journalctl argv\n got %q\nwant %q", got, want)
	}
	// The capture's records, as the agent parsed them; the fake ignores
	// the filters, so the levels the agent filters itself show.
	if page.System != "journald" || !page.NewestFirst || len(page.Records) != 2 || page.Records[0].Source != "sshd" ||
		page.Records[0].Level != "error" || page.Records[1].Level != "warning" || page.Records[1].Source != "kernel" || page.Cursor != page.Records[1].RecordID {
		t.Fatalf("page %+v", page)
	}
	// The next page continues after the cursor.
	var next api.EventLogPage
	if code := e.api("GET", base+"?limit=2&cursor="+url.QueryEscape(page.Cursor), nil, &next); code != 200 {
		t.Fatalf("next page: %d", code)
	}
	if got := lastArgv(t, argvDir); !slices.Contains(got, "--after-cursor="+page.Cursor) {
		t.Errorf("next page argv %q", got)
	}
	// Text is matched by the agent.
	if code := e.api("GET", base+"?text=DAILY", nil, &page); code != 200 || len(page.Records) != 1 || page.Records[0].Unit != "apt-daily.service" {
		t.Errorf("text filter: %d %+v", code, page.Records)
	}
	// A unit that would be an option, a Windows filter, a bad time: 400,
	// journalctl not run for them.
	runs, _ := filepath.Glob(filepath.Join(argvDir, "argv.*[0-9]"))
	for _, q := range []string{"?unit=--all", "?channel=System", "?since=yesterday", "?level=loud", "?event_id=x"} {
		var er struct{ Error string }
		if code := e.api("GET", base+q, nil, &er); code != 400 || er.Error == "" {
			t.Errorf("%s: %d %+v", q, code, er)
		}
	}
	if again, _ := filepath.Glob(filepath.Join(argvDir, "argv.*[0-9]")); len(again) != len(runs) {
		t.Errorf("refused queries ran journalctl (%d runs, had %d)", len(again), len(runs))
	}

	// Follow: records stream as NDJSON; closing the stream ends journalctl.
	req, _ := http.NewRequest("GET", e.url+base+"/follow?unit=ssh.service", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("follow: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	var streamed []api.EventRecord
	for len(streamed) < 4 && sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var r api.EventRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("follow line %q: %v", sc.Text(), err)
		}
		streamed = append(streamed, r)
	}
	if len(streamed) != 4 || streamed[0].Source != "sshd" || streamed[2].Message != "[ 12.3] usb 1-1: \uFFFD bad" {
		t.Fatalf("streamed %+v", streamed)
	}
	if got := lastArgv(t, argvDir); !slices.Equal(got, []string{"--output=json", "--no-pager", "--quiet", "--follow", "--lines=0", "--unit=ssh.service"}) {
		t.Errorf("follow argv %q", got)
	}
	pidb, err := os.ReadFile(filepath.Join(argvDir, "follow.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(pidb)))
	resp.Body.Close()
	waitFor(t, "journalctl --follow ended with the stream", func() bool { return syscall.Kill(pid, 0) != nil })

	// Audited, once per query.
	var evs []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=eventlog.query&limit=100", nil, &evs)
	found := false
	for _, ev := range evs {
		found = found || (ev.Target == dev && ev.Detail["units"] == "ssh.service,cron.service" && ev.Detail["records"] == "2")
	}
	if !found {
		t.Errorf("query not audited: %+v", evs)
	}
	e.api("GET", "/api/v1/audit?action=eventlog.follow&limit=10", nil, &evs)
	if len(evs) != 1 {
		t.Errorf("follow audited %d times", len(evs))
	}
	// The CLI reads the same pages.
	if out, errs, code := e.ctl(t, "events", "--device", dev, "--limit", "2", "--pages", "2"); code != 0 ||
		!strings.Contains(out, "sshd (ssh.service)") || !strings.Contains(out, "apt-daily.service") || strings.Count(out, "\n") != 5 {
		t.Errorf("stewardctl events: %d %q %q", code, out, errs)
	}
	// Permissions: read-only users have no event log; offline says so.
	e.createUser("ro", "read-only")
	if code := e.apiAs(e.tokenFor("ro"), "GET", base, nil, nil); code != 403 {
		t.Errorf("read-only user read the event log: %d", code)
	}
	ag.stop()
	waitFor(t, "agent offline", func() bool { return !e.online(dev) })
	var er struct{ Error string }
	if code := e.api("GET", base, nil, &er); code != 409 || !strings.Contains(er.Error, "offline") {
		t.Errorf("offline device: %d %+v", code, er)
	}
}

func TestRegistryThroughAgent(t *testing.T) {
	e := startServer(t, serverConfig())
	a := e.createClient("Acme")
	// This Linux agent answers with its own (absent) registry...
	_, linux, _ := onlineAgent(t, e, a, agentConfig())
	var er struct{ Error string }
	if code := e.api("GET", "/api/v1/devices/"+linux+"/registry?path=HKLM%5CSOFTWARE", nil, &er); code != 400 || er.Error != "registry is Windows-only" {
		t.Fatalf("registry on Linux: %d %+v", code, er)
	}
	// ...and an agent with an in-memory registry in place of Windows'
	// carries every type through the server and back.
	mem := regtest.New(`HKLM\SOFTWARE\Acme`)
	_, dev, _ := onlineAgent(t, e, a, agent.Config{ToolboxMethods: registry.MethodsOn(mem)})
	reg := "/api/v1/devices/" + dev + "/registry"
	values := []api.RegValue{
		{Name: "Path", Type: "REG_SZ", String: `C:\Tools <b>"x"</b>`},
		{Name: "Exp", Type: "REG_EXPAND_SZ", String: `%ProgramFiles%\Acme`},
		{Name: "Servers", Type: "REG_MULTI_SZ", Strings: []string{"a.example", "b.example"}},
		{Name: "Flags", Type: "REG_DWORD", Number: "4294967295"},
		{Name: "Big", Type: "REG_QWORD", Number: "18446744073709551615"},
		{Name: "Blob", Type: "REG_BINARY", Data: []byte{0, 1, 0xfe, 0xff}},
		{Name: "", Type: "REG_SZ", String: "default"},
	}
	for _, v := range values {
		var ch api.RegistryChanged
		if code := e.api("PUT", reg+"/value", api.RegistrySetRequest{RegistryKeyParams: api.RegistryKeyRequest{Path: `HKLM\SOFTWARE\Acme`}, Value: v}, &ch); code != 200 || ch.Previous != nil {
			t.Fatalf("set %s: %d %+v", v.Type, code, ch)
		}
	}
	// A 32-bit view is a registry of its own.
	if code := e.api("PUT", reg+"/value", api.RegistrySetRequest{RegistryKeyParams: api.RegistryKeyRequest{Path: `HKLM\SOFTWARE\Acme\Sub`, View: "32"},
		Value: api.RegValue{Name: "Only32", Type: "REG_DWORD", Number: "0x10"}, Create: true}, nil); code != 200 {
		t.Fatalf("create in the 32-bit view: %d", code)
	}
	var list api.RegistryList
	if code := e.api("GET", reg+"?path="+url.QueryEscape(`hklm\software\acme`), nil, &list); code != 200 {
		t.Fatalf("list: %d", code)
	}
	if len(list.Keys) != 0 || len(list.Values) != len(values) || list.Values[0].Name != "" || list.View != "64" {
		t.Fatalf("64-bit view %+v", list)
	}
	got := map[string]api.RegValue{}
	for _, v := range list.Values {
		got[v.Name] = v
	}
	for _, v := range values {
		g := got[v.Name]
		if g.Type != v.Type || g.String != v.String || !slices.Equal(g.Strings, v.Strings) || g.Number != v.Number || string(g.Data) != string(v.Data) {
			t.Errorf("%q read back as %+v, wrote %+v", v.Name, g, v)
		}
	}
	if code := e.api("GET", reg+"?view=32&limit=1&path="+url.QueryEscape(`HKLM\SOFTWARE\Acme`), nil, &list); code != 200 || !slices.Equal(list.Keys, []string{"Sub"}) || list.Next != 0 {
		t.Errorf("32-bit view %d %+v", code, list)
	}
	var v api.RegValue
	if code := e.api("GET", reg+"/value?view=32&name=only32&path="+url.QueryEscape(`HKLM\SOFTWARE\Acme\Sub`), nil, &v); code != 200 || v.Number != "16" || v.Type != "REG_DWORD" {
		t.Errorf("get: %d %+v", code, v)
	}
	// Bad writes are refused before anything changes.
	for _, bad := range []api.RegistrySetRequest{
		{RegistryKeyParams: api.RegistryKeyRequest{Path: `HKLM\SOFTWARE\Acme`}, Value: api.RegValue{Name: "Flags", Type: "REG_DWORD", Number: "4294967296"}},
		{RegistryKeyParams: api.RegistryKeyRequest{Path: `HKLM\\SOFTWARE`}, Value: api.RegValue{Name: "x", Type: "REG_SZ"}},
		{RegistryKeyParams: api.RegistryKeyRequest{Path: `HKXX\SOFTWARE`}, Value: api.RegValue{Name: "x", Type: "REG_SZ"}},
		{RegistryKeyParams: api.RegistryKeyRequest{Path: `HKLM\SOFTWARE\Acme`}, Value: api.RegValue{Name: "Flags", Type: "REG_LINK", Data: []byte{1}}},
		{RegistryKeyParams: api.RegistryKeyRequest{Path: `HKLM\SOFTWARE\Acme`, View: "16"}, Value: api.RegValue{Name: "x", Type: "REG_SZ"}},
	} {
		if code := e.api("PUT", reg+"/value", bad, &er); code != 400 {
			t.Errorf("bad write %+v: %d %+v", bad, code, er)
		}
	}
	if code := e.api("GET", reg+"/value?name=Flags&path="+url.QueryEscape(`HKLM\SOFTWARE\Acme`), nil, &v); code != 200 || v.Number != "4294967295" {
		t.Errorf("value after refused writes: %+v", v)
	}
	// Deleting: a key with subkeys needs recursive; the value deleted is
	// audited with what it held.
	var ch api.RegistryChanged
	if code := e.api("POST", reg+"/value/delete", api.RegistryValueRequest{RegistryKeyParams: api.RegistryKeyRequest{Path: `HKLM\SOFTWARE\Acme`}, Name: "Servers"}, &ch); code != 200 ||
		ch.Previous == nil || !slices.Equal(ch.Previous.Strings, []string{"a.example", "b.example"}) {
		t.Errorf("delete value: %d %+v", code, ch)
	}
	if code := e.api("POST", reg+"/value/delete", api.RegistryValueRequest{RegistryKeyParams: api.RegistryKeyRequest{Path: `HKLM\SOFTWARE\Acme`}, Name: "Servers"}, nil); code != 404 {
		t.Errorf("delete a missing value: %d", code)
	}
	if code := e.api("POST", reg+"/key", api.RegistryKeyRequest{Path: `HKLM\SOFTWARE\Acme\K\L`}, &ch); code != 200 || !ch.Created {
		t.Errorf("create key: %d %+v", code, ch)
	}
	if code := e.api("POST", reg+"/key/delete", api.RegistryKeyRequest{Path: `HKLM\SOFTWARE\Acme\K`}, nil); code != 409 {
		t.Errorf("delete a key with subkeys: %d", code)
	}
	if code := e.api("POST", reg+"/key/delete", api.RegistryKeyRequest{Path: `HKLM\SOFTWARE\Acme\K`, Recursive: true}, nil); code != 200 {
		t.Errorf("recursive delete: %d", code)
	}
	if code := e.api("POST", reg+"/key/delete", api.RegistryKeyRequest{Path: `HKLM`}, nil); code != 400 {
		t.Errorf("delete a hive: %d", code)
	}
	// The CLI writes and reads through the same routes.
	if out, errs, code := e.ctl(t, "registry", "set", `HKLM\SOFTWARE\Acme`, "Big", "0x10", "--type", "REG_QWORD", "--device", dev); code != 0 ||
		!strings.Contains(out, "was: REG_QWORD 0xffffffffffffffff") {
		t.Errorf("stewardctl registry set: %d %q %q", code, out, errs)
	}
	if out, errs, code := e.ctl(t, "registry", "ls", `HKLM\SOFTWARE\Acme`, "--device", dev); code != 0 || !strings.Contains(out, "0x10 (16)") ||
		!strings.Contains(out, "(Default)") {
		t.Errorf("stewardctl registry ls: %d %q %q", code, out, errs)
	}
	var evs []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=registry.delete_value&limit=10", nil, &evs)
	if len(evs) == 0 || evs[0].Detail["previous"] != "REG_MULTI_SZ:a.example|b.example" || evs[0].Detail["name"] != "Servers" {
		t.Errorf("delete audited as %+v", evs)
	}
	e.api("GET", "/api/v1/audit?action=registry.set&limit=20", nil, &evs)
	if len(evs) < len(values) {
		t.Errorf("%d sets audited", len(evs))
	}
	// Writes need a fresh second factor: a password-only token reads only.
	e.createUser("pat", "technician")
	code, pat, _ := e.loginToken(t, map[string]any{"username": "pat", "password": "pat-password-1"}, "")
	if code != 201 {
		t.Fatalf("pat token: %d", code)
	}
	if code := e.apiAs(pat, "GET", reg+"?path=HKLM", nil, nil); code != 200 {
		t.Errorf("browse without two-factor: %d", code)
	}
	if code := e.apiAs(pat, "PUT", reg+"/value", api.RegistrySetRequest{RegistryKeyParams: api.RegistryKeyRequest{Path: `HKLM\SOFTWARE\Acme`},
		Value: api.RegValue{Name: "Path", Type: "REG_SZ", String: "pwned"}}, nil); code != 401 && code != 403 {
		t.Errorf("write without two-factor: %d", code)
	}
	if e.api("GET", reg+"/value?name=Path&path="+url.QueryEscape(`HKLM\SOFTWARE\Acme`), nil, &v); v.String == "pwned" {
		t.Error("a password-only token wrote the registry")
	}
	// Helpdesk may not browse the registry.
	e.createUser("desk", "helpdesk")
	if code := e.apiAs(e.tokenFor("desk"), "GET", reg+"?path=HKLM", nil, nil); code != 403 {
		t.Errorf("helpdesk browsed the registry: %d", code)
	}
	// An oversized body is 413.
	big := api.RegistrySetRequest{RegistryKeyParams: api.RegistryKeyRequest{Path: `HKLM\SOFTWARE\Acme`},
		Value: api.RegValue{Name: "b", Type: "REG_BINARY", Data: make([]byte, 4<<20)}}
	if code := e.api("PUT", reg+"/value", big, nil); code != 413 {
		t.Errorf("oversized write: %d", code)
	}
}

func TestUserActivityThroughAgent(t *testing.T) {
	e := startServer(t, serverConfig())
	a := e.createClient("Acme")
	// The agent reads a prepared tree: logind's session files and
	// terminals with known access times (this machine has no logins).
	root := t.TempDir()
	now := time.Now()
	sd := filepath.Join(root, "run/systemd/sessions")
	for name, src := range map[string]string{"41": "logind-ssh", "3": "logind-x11", "c1": "logind-greeter"} {
		b, err := os.ReadFile("../../agent/sessions/testdata/" + src)
		if err != nil {
			t.Fatal(err)
		}
		_ = os.MkdirAll(sd, 0o755)
		if err := os.WriteFile(filepath.Join(sd, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for tty, idle := range map[string]time.Duration{"pts/0": 2 * time.Hour, "tty2": 10 * time.Minute} {
		p := filepath.Join(root, "dev", tty)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, nil, 0o620); err != nil {
			t.Fatal(err)
		}
		_ = os.Chtimes(p, now.Add(-idle), now.Add(-idle))
	}
	_, dev, _ := onlineAgent(t, e, a, agent.Config{HealthRoot: root})
	var res api.DeviceSessions
	if code := e.api("GET", "/api/v1/devices/"+dev+"/sessions", nil, &res); code != 200 {
		t.Fatalf("sessions: %d", code)
	}
	if res.Device != dev || len(res.Sessions) != 2 {
		t.Fatalf("sessions %+v", res)
	}
	al, bob := res.Sessions[0], res.Sessions[1]
	if al.User != "alice" || al.Type != "ssh" || al.State != protocol.SessionActive || al.Host != "203.0.113.9" || al.IdleSeconds == nil ||
		*al.IdleSeconds < 7190 || *al.IdleSeconds > 7300 || al.LastActivity.IsZero() {
		t.Errorf("alice %+v", al)
	}
	if bob.User != "bob" || bob.Type != "x11" || bob.State != protocol.SessionOnline || bob.IdleSeconds == nil || *bob.IdleSeconds < 590 || bob.Locked != nil {
		t.Errorf("bob %+v", bob)
	}
	if out, errs, code := e.ctl(t, "sessions", "--device", dev); code != 0 || !strings.Contains(out, "alice") || !strings.Contains(out, "203.0.113.9") {
		t.Errorf("stewardctl sessions: %d %q %q", code, out, errs)
	}
	var evs []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=sessions.list&limit=10", nil, &evs)
	if len(evs) != 2 || evs[0].Detail["sessions"] != "2" {
		t.Errorf("audit %+v", evs)
	}
	// Helpdesk sees user activity; read-only does not.
	e.createUser("desk", "helpdesk")
	if code := e.apiAs(e.tokenFor("desk"), "GET", "/api/v1/devices/"+dev+"/sessions", nil, nil); code != 200 {
		t.Errorf("helpdesk: %d", code)
	}
	e.createUser("ro", "read-only")
	if code := e.apiAs(e.tokenFor("ro"), "GET", "/api/v1/devices/"+dev+"/sessions", nil, nil); code != 403 {
		t.Errorf("read-only: %d", code)
	}
}

// TestEventLogRealJournalctl: this machine's own journalctl (its journal
// is empty here) accepts every option the agent builds, and its refusal of
// a bad cursor reaches the technician as text.
func TestEventLogRealJournalctl(t *testing.T) {
	if _, err := exec.LookPath("journalctl"); err != nil {
		t.Skip("no journalctl on this machine")
	}
	e := startServer(t, serverConfig())
	_, dev, _ := onlineAgent(t, e, e.createClient("Acme"), agentConfig())
	base := "/api/v1/devices/" + dev + "/eventlog"
	var page api.EventLogPage
	if code := e.api("GET", base+"?limit=5&unit=ssh.service&level=error&level=info&since=2026-12-01T00:00:00Z&until=2026-12-06T00:00:00Z&text=x", nil, &page); code != 200 ||
		page.System != "journald" || page.Records == nil {
		t.Fatalf("real journalctl: %d %+v", code, page)
	}
	for _, r := range page.Records {
		if r.RecordID == "" || r.Time.IsZero() {
			t.Errorf("record without cursor or time: %+v", r)
		}
	}
	var er struct{ Error string }
	if code := e.api("GET", base+"?cursor="+url.QueryEscape("s=1;i=2"), nil, &er); code != 502 || !strings.Contains(er.Error, "cursor") {
		t.Errorf("bad cursor: %d %+v", code, er)
	}
}
