//go:build linux

package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/agent/health"
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
)

// fakeDNF5 answers like dnf5 on a Fedora machine: five upgrades, and the
// advisory listing of agent/health/testdata (dnf5's table layout).
func fakeDNF5(t *testing.T) func(ctx context.Context, name string, args ...string) ([]byte, error) {
	advisories, err := os.ReadFile("../../agent/health/testdata/dnf5-advisory-list-synthetic.txt")
	if err != nil {
		t.Fatal(err)
	}
	return func(_ context.Context, name string, args ...string) ([]byte, error) {
		switch strings.Join(append([]string{name}, args...), " ") {
		case "dnf5 check-upgrade":
			return []byte("curl.x86_64          8.6.0-7.fc40      updates\n" +
				"glibc.x86_64         2.39-8.fc40       updates\n" +
				"dnf5.x86_64          5.1.17-1.fc40     updates\n" +
				"kernel.x86_64        6.8.9-300.fc40    updates\n" +
				"vim-enhanced.x86_64  2:9.1.083-1.fc40  updates\n"), nil
		case "dnf5 advisory list":
			return advisories, nil
		}
		return nil, nil
	}
}

// compliance reads one device's patch items from the compliance API:
// patch ID -> status, classification, severity.
func (e *env) patchItems(device string) map[string][3]string {
	e.t.Helper()
	var c api.Compliance
	if code := e.api("GET", "/api/v1/automation/compliance?device="+device, nil, &c); code != 200 || len(c.Devices) != 1 {
		return nil
	}
	out := map[string][3]string{}
	for _, it := range c.Devices[0].Items {
		if it.Policy == "patch" && it.Item != "window" {
			out[it.Item] = [3]string{it.Status, it.Classification, it.Severity}
		}
	}
	return out
}

// TestPatchPolicyClassification: a patch policy with classifications
// [critical] and min_severity important selects, on a real agent
// scanning (a stand-in for) dnf5 and on a device reporting what the
// Windows Update mapping makes of its updates, exactly the patches of a
// critical classification or at least important severity; an exclusion
// still wins; the rest wait for approval. Read through the compliance
// API, which says each patch's classification and severity (so does
// stewardctl, whose flags make a policy too). Unknown filter values are
// refused, naming the allowed ones; the audit log says what each policy
// selects.
func TestPatchPolicyClassification(t *testing.T) {
	e := startServer(t, server.Config{})
	acme := e.createClient("Acme")
	root := t.TempDir()
	for _, f := range []string{"usr/bin/dnf5", "usr/bin/dnf"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(root, f), []byte("#!/bin/sh\n"), 0o755)
	}
	_, linux, _ := onlineAgent(t, e, acme, agent.Config{HealthRoot: root, HealthRunner: fakeDNF5(t), OpsRunner: fakeDNF5(t), GOOS: "linux"})

	// A Windows device: what MapWUA makes of its updates, over the agent
	// protocol.
	dir, win := e.enroll(e.enrollToken(acme, 1, 0))
	ws, _ := rawAgent(t, e, dir, protocol.Version)
	wu := func(kb, title, sev string, cats ...string) health.WUAUpdate {
		return health.WUAUpdate{UpdateID: "aaaaaaaa-0000-4000-8000-00000000000" + kb[len(kb)-1:], Title: title, KBArticleIDs: []string{kb},
			MsrcSeverity: sev, Categories: cats}
	}
	h := protocol.Health{Patches: protocol.PatchStatus{Source: "wua", Available: health.MapWUA([]health.WUAUpdate{
		wu("5000001", "2026-11 Cumulative Update for Windows 11", "Critical", "Security Updates", "Windows 11"),
		wu("5000002", "Servicing Stack Update", "", "Critical Updates", "Windows 11"),
		wu("5000003", "Intel Display Driver", "", "Drivers"),
		wu("5000004", "Security Intelligence Update", "", "Definition Updates"),
		wu("5000005", "2026-11 Preview Update", "", "Critical Updates"),
		wu("5000006", "Office Security Update", "Moderate", "Security Updates"),
		wu("5000007", "Update for Windows", "Low", "Updates"),
	})}}
	if err := ws.WriteMessage(websocket.TextMessage, protocol.MustEncode(protocol.TypeHealth, "", h)); err != nil {
		t.Fatal(err)
	}

	policy := func(over map[string]any) map[string]any {
		pp := map[string]any{"auto": "none", "weekdays": []int{3}, "start": "02:00", "minutes": 120, "time_zone": "UTC",
			"classifications": []string{"Critical"}, "min_severity": "important", "exclude": []string{"*Preview*"}}
		for k, v := range over {
			pp[k] = v
		}
		return map[string]any{"name": "Patching", "client": "Acme", "tasks": []any{}, "patch": pp}
	}
	for _, c := range []struct {
		over map[string]any
		want string
	}{
		{map[string]any{"classifications": []string{"critical", "hotfix"}}, "security, critical, bugfix, enhancement, feature, definition, driver, rollup, servicepack, tool, other"},
		{map[string]any{"min_severity": "urgent"}, "critical, important, moderate, low"},
	} {
		var er struct{ Error string }
		if code := e.api("POST", "/api/v1/automation/profiles", policy(c.over), &er); code != 400 || !strings.Contains(er.Error, c.want) {
			t.Errorf("policy %v: %d %q, want 400 naming %q", c.over, code, er.Error, c.want)
		}
	}
	var pr api.AutoProfile
	if code := e.api("POST", "/api/v1/automation/profiles", policy(nil), &pr); code != 201 {
		t.Fatalf("profile: %d", code)
	}
	if pp := pr.Patch; pp == nil || strings.Join(pp.Classifications, ",") != "critical" || pp.MinSeverity != "important" {
		t.Fatalf("policy read back: %+v", pr.Patch)
	}
	if code := e.api("POST", "/api/v1/automation/assignments", api.AssignRequest{Level: "client", Client: "Acme", Profile: "Patching"}, nil); code != 200 {
		t.Fatalf("assign: %d", code)
	}

	const sel, pend, excl = "waiting-window", "pending-approval", "excluded"
	for dev, want := range map[string]map[string][3]string{
		linux: {
			"curl.x86_64":         {sel, "security", "important"}, // important >= important
			"glibc.x86_64":        {pend, "bugfix", ""},
			"dnf5.x86_64":         {pend, "enhancement", "moderate"},
			"kernel.x86_64":       {pend, "security", ""}, // security, but the policy is not auto security
			"vim-enhanced.x86_64": {pend, "", ""},
		},
		win: {
			"KB5000001": {sel, "security", "critical"},
			"KB5000002": {sel, "critical", ""},
			"KB5000003": {pend, "driver", ""},
			"KB5000004": {pend, "definition", ""},
			"KB5000005": {excl, "critical", ""}, // exclusion beats the classification
			"KB5000006": {pend, "security", "moderate"},
			"KB5000007": {pend, "bugfix", "low"},
		},
	} {
		var got map[string][3]string
		waitFor(t, "the compliance of "+dev, func() bool {
			got = e.patchItems(dev)
			return len(got) == len(want)
		})
		for id, w := range want {
			if got[id] != w {
				t.Errorf("%s %s: %q, want %q", dev, id, got[id], w)
			}
		}
	}
	// So does the CLI, and the policy made with its flags reads back.
	out, _, code := e.ctl(t, "automation", "compliance", "--device", win, "--items")
	if code != 0 || !strings.Contains(out, "CLASS") || !regexp.MustCompile(`KB5000002 +Servicing Stack Update +critical +waiting-window`).MatchString(out) {
		t.Errorf("stewardctl automation compliance --items: %d\n%s", code, out)
	}
	if out, errs, code := e.ctl(t, "automation", "profiles", "create", "CLI patching", "--client", "Acme", "--patch",
		`{"auto":"none","weekdays":[3],"start":"02:00","minutes":60}`, "--classification", "driver", "--classification", "rollup",
		"--min-severity", "Moderate"); code != 0 {
		t.Errorf("stewardctl automation profiles create: %d %s %s", code, out, errs)
	}
	var ps []api.AutoProfile
	e.api("GET", "/api/v1/automation/profiles", nil, &ps)
	if i := slices.IndexFunc(ps, func(p api.AutoProfile) bool { return p.Name == "CLI patching" }); i < 0 || ps[i].Patch == nil ||
		!slices.Equal(ps[i].Patch.Classifications, []string{"driver", "rollup"}) || ps[i].Patch.MinSeverity != "moderate" {
		t.Errorf("profiles: %+v", ps)
	}
	// The audit log says what the policies select.
	var ev []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=automation.profile.create", nil, &ev)
	if !slices.ContainsFunc(ev, func(x api.AuditEvent) bool {
		return x.Detail["patch"] == "auto none; classifications critical; min severity important; exclude *Preview*"
	}) || !slices.ContainsFunc(ev, func(x api.AuditEvent) bool {
		return x.Detail["patch"] == "auto none; classifications driver,rollup; min severity moderate"
	}) {
		t.Errorf("audit of the profiles: %+v", ev)
	}
	// The device's patch list says the same.
	for _, p := range e.health(linux).Patches.Available {
		if p.ID == "curl.x86_64" && (p.Classification != "security" || p.Severity != "important" || !p.Security) {
			t.Errorf("curl in the device's patches: %+v", p)
		}
	}
}
