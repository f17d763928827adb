//go:build linux

package e2e_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
)

// fakeAptGet puts a recording apt-get first on PATH: each call appends its
// arguments (one per line), the debconf frontend it saw and an end mark.
func fakeAptGet(t *testing.T) (record string) {
	t.Helper()
	bin := t.TempDir()
	record = filepath.Join(bin, "calls.txt")
	script := "#!/bin/sh\n" +
		"{ for a in \"$@\"; do printf '%s\\n' \"$a\"; done; echo \"FRONTEND=$DEBIAN_FRONTEND\"; echo '--end--'; } >> " + record + "\n" +
		"echo 'Reading package lists... Done'\n" +
		"echo 'fake apt-get warning' >&2\n"
	if err := os.WriteFile(filepath.Join(bin, "apt-get"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	return record
}

func aptCalls(t *testing.T, record string) []string {
	b, err := os.ReadFile(record)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	calls := strings.Split(strings.TrimSuffix(string(b), "--end--\n"), "--end--\n")
	if len(calls) == 1 && calls[0] == "" {
		return nil
	}
	return calls
}

func packageJob(target map[string]any, action string, names ...string) map[string]any {
	body := map[string]any{"kind": "package", "package": map[string]any{"action": action, "packages": names}}
	for k, v := range target {
		body[k] = v
	}
	return body
}

// TestPackageJobsReachTheManagerAsArgv: install on every device of a
// client and remove on one, through the real agent to a recording
// apt-get; hostile names never get that far.
func TestPackageJobsReachTheManagerAsArgv(t *testing.T) {
	record := fakeAptGet(t)
	e := startServer(t, server.Config{})
	acme := e.createClient("Acme")
	_, d1, _ := onlineAgent(t, e, acme, agent.Config{})
	_, d2, _ := onlineAgent(t, e, acme, agent.Config{})

	j := e.createJob(packageJob(map[string]any{"client": acme}, "install", "curl", "libssl3"))
	if len(j.Runs) != 2 {
		t.Fatalf("runs %d, want 2", len(j.Runs))
	}
	for _, r := range j.Runs {
		r = e.waitState(r.ID, protocol.StateSucceeded, protocol.StateFailed)
		if r.State != protocol.StateSucceeded {
			t.Fatalf("run on %s: %s (%s)", r.DeviceID, r.State, r.Reason)
		}
		var data api.PackageResult
		if err := json.Unmarshal(r.Data, &data); err != nil || data.Manager != "apt" || data.Action != "install" ||
			strings.Join(data.Packages, ",") != "curl,libssl3" {
			t.Fatalf("run data %s (%v)", r.Data, err)
		}
		if o := e.output(r.ID); !strings.Contains(o.Stdout, "Reading package lists... Done") || !strings.Contains(o.Stderr, "fake apt-get warning") {
			t.Fatalf("output %q / %q", o.Stdout, o.Stderr)
		}
	}
	install := "-y\n-o\nDpkg::Options::=--force-confdef\n-o\nDpkg::Options::=--force-confold\ninstall\n--\ncurl\nlibssl3\nFRONTEND=noninteractive\n"
	if calls := aptCalls(t, record); len(calls) != 2 || calls[0] != install || calls[1] != install {
		t.Fatalf("apt-get received %q, want twice %q", calls, install)
	}

	j = e.createJob(packageJob(map[string]any{"devices": []string{d2}}, "remove", "telnet"))
	if r := e.waitState(j.Runs[0].ID, protocol.StateSucceeded, protocol.StateFailed); r.State != protocol.StateSucceeded {
		t.Fatalf("remove: %s (%s)", r.State, r.Reason)
	}
	if calls := aptCalls(t, record); len(calls) != 3 || calls[2] != "-y\nremove\n--\ntelnet\nFRONTEND=noninteractive\n" {
		t.Fatalf("remove call %q", calls)
	}

	// The CLI: upgrade on one device, waiting for the manager's output.
	out, errOut, code := e.ctl(t, "software", "upgrade", "openssl", "--device", d1, "--wait")
	if code != 0 || !strings.Contains(out, "Reading package lists... Done") {
		t.Fatalf("stewardctl software upgrade: %d %q %q", code, out, errOut)
	}
	upgrade := "-y\n-o\nDpkg::Options::=--force-confdef\n-o\nDpkg::Options::=--force-confold\ninstall\n--only-upgrade\n--\nopenssl\nFRONTEND=noninteractive\n"
	if calls := aptCalls(t, record); len(calls) != 4 || calls[3] != upgrade {
		t.Fatalf("upgrade call %q", calls)
	}
	if _, errOut, code := e.ctl(t, "software", "install", "foo;rm -rf /", "--device", d1); code == 0 || !strings.Contains(errOut, "invalid package name") {
		t.Fatalf("CLI hostile name: %d %q", code, errOut)
	}

	// Hostile names are refused by the server (400) and never reach apt.
	for _, bad := range []map[string]any{
		packageJob(map[string]any{"devices": []string{d1}}, "install", "-oAPT::Update::Pre-Invoke::=touch /tmp/pwned"),
		packageJob(map[string]any{"devices": []string{d1}}, "install", "foo;rm -rf /"),
		packageJob(map[string]any{"devices": []string{d1}}, "install", "--option"),
		packageJob(map[string]any{"devices": []string{d1}}, "purge", "curl"),
		{"kind": "package", "devices": []string{d1}, "package": map[string]any{"action": "install", "manager": "apt", "packages": []string{"Curl"}}},
		{"kind": "package", "devices": []string{d1}, "package": map[string]any{"action": "install", "manager": "npm", "packages": []string{"x"}}},
		{"kind": "package", "devices": []string{d1}},
	} {
		var er struct{ Error string }
		if code := e.api("POST", "/api/v1/jobs", bad, &er); code != 400 || er.Error == "" {
			t.Errorf("%v: %d %q, want 400", bad["package"], code, er.Error)
		}
	}
	// A manager the device's OS does not use fails on the agent.
	j = e.createJob(map[string]any{"kind": "package", "devices": []string{d1},
		"package": map[string]any{"action": "install", "manager": "winget", "packages": []string{"Mozilla.Firefox"}}})
	if r := e.waitState(j.Runs[0].ID, protocol.StateSucceeded, protocol.StateFailed); r.State != protocol.StateFailed ||
		!strings.Contains(r.Reason, "winget is not used on linux") {
		t.Fatalf("winget on linux: %s (%s)", r.State, r.Reason)
	}
	if calls := aptCalls(t, record); len(calls) != 4 {
		t.Fatalf("refused jobs reached apt-get: %q", calls)
	}

	// Audited with what was asked.
	var evs []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=job.create", nil, &evs)
	found := false
	for _, ev := range evs {
		if strings.Contains(ev.Detail["detail"], "install curl libssl3") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no audit of the install: %+v", evs)
	}

	// Permissions and scope: helpdesk may message but not install; a user
	// of another client does not see Acme's devices.
	e.createUser("hd", "helpdesk")
	other := e.createClient("Other")
	e.createUser("tech-other", "technician", other)
	if code := e.apiAs(e.tokenFor("hd"), "POST", "/api/v1/jobs", packageJob(map[string]any{"devices": []string{d1}}, "install", "curl"), nil); code != 403 {
		t.Errorf("helpdesk installs: %d, want 403", code)
	}
	if code := e.apiAs(e.tokenFor("tech-other"), "POST", "/api/v1/jobs", packageJob(map[string]any{"devices": []string{d1}}, "install", "curl"), nil); code != 404 {
		t.Errorf("other client's technician installs on Acme: %d, want 404", code)
	}
	if calls := aptCalls(t, record); len(calls) != 4 {
		t.Fatalf("denied jobs reached apt-get: %q", calls)
	}
}

// TestMessageJobResult: a message runs on the real agent and its run data
// lists an answer per user reached (nobody is logged in on this machine).
func TestMessageJobResult(t *testing.T) {
	e := startServer(t, server.Config{})
	acme := e.createClient("Acme")
	_, d1, _ := onlineAgent(t, e, acme, agent.Config{})
	e.createUser("hd", "helpdesk")
	e.createUser("ro", "read-only")
	body := map[string]any{"kind": "message", "devices": []string{d1},
		"message": map[string]any{"title": "Reboot tonight", "text": "Save your work\x1b[2J", "prompt": true, "wait_seconds": 30}}
	if code := e.apiAs(e.tokenFor("ro"), "POST", "/api/v1/jobs", body, nil); code != 403 {
		t.Fatalf("read-only sends a message: %d, want 403", code)
	}
	var j jobResp
	if code := e.apiAs(e.tokenFor("hd"), "POST", "/api/v1/jobs", body, &j); code != 201 {
		t.Fatalf("helpdesk message: %d", code)
	}
	r := e.waitState(j.Runs[0].ID, protocol.StateSucceeded, protocol.StateFailed)
	var data api.MessageResult
	if r.State != protocol.StateSucceeded || json.Unmarshal(r.Data, &data) != nil || data.Answers == nil {
		t.Fatalf("message run %s (%s) data %s", r.State, r.Reason, r.Data)
	}
	if o := e.output(r.ID); len(data.Answers) == 0 && !strings.Contains(o.Stdout, "nobody is logged in") {
		t.Fatalf("output %q", o.Stdout)
	}
	out, errOut, code := e.ctl(t, "message", "--device", d1, "--text", "Rebooting at 18:00", "--prompt", "--wait", "1m")
	if code != 0 || !strings.Contains(out, "ANSWER") || !strings.Contains(out, d1) {
		t.Fatalf("stewardctl message: %d %q %q", code, out, errOut)
	}
	for _, bad := range []map[string]any{
		{"kind": "message", "devices": []string{d1}, "message": map[string]any{"text": "  "}},
		{"kind": "message", "devices": []string{d1}, "message": map[string]any{"text": strings.Repeat("x", 2001)}},
		{"kind": "message", "devices": []string{d1}, "message": map[string]any{"text": "x", "wait_seconds": 99999}},
	} {
		if code := e.api("POST", "/api/v1/jobs", bad, nil); code != 400 {
			t.Errorf("%v: %d, want 400", bad["message"], code)
		}
	}
}
