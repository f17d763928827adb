//go:build linux

package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/agent/inventory"
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
)

// promptUser stands in for the Windows and macOS dialog (notify.Send),
// which cannot run here: it records each message and answers a question
// "No" as the logged-in user alice.
type promptUser struct {
	mu   sync.Mutex
	seen []protocol.MessageJob
}

func (p *promptUser) run(_ context.Context, j protocol.Job, out func(string, []byte)) protocol.JobResult {
	p.mu.Lock()
	p.seen = append(p.seen, *j.Message)
	p.mu.Unlock()
	a := protocol.MessageAnswer{User: "alice", Session: "2", Answer: "ok"}
	if j.Message.Prompt {
		a.Answer = "no"
	}
	out("stdout", []byte("alice (2): "+a.Answer+"\n"))
	b, _ := json.Marshal(protocol.MessageResult{Answers: []protocol.MessageAnswer{a}})
	return protocol.JobResult{State: protocol.StateSucceeded, Data: b}
}

func (p *promptUser) messages() []protocol.MessageJob {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]protocol.MessageJob(nil), p.seen...)
}

// outcomes lists what the scheduler logged of a task on a device,
// oldest first.
func (e *env) outcomes(device, task string) []api.AutoRun {
	var out []api.AutoRun
	rs := e.autoRuns(device)
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].TaskID == task {
			out = append(out, rs[i])
		}
	}
	return out
}

func outcomeList(rs []api.AutoRun) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Outcome)
	}
	return strings.Join(s, ",")
}

// TestAutomationRebootDeferrals: a patch policy made with stewardctl
// (--max-deferrals 2) installs in its window on the real agent (apt
// stood in for, the install leaving a reboot pending) without the
// agent's own reboot; the logged-in user is asked "Restart now?" and
// answers No twice, an hour apart by the server's clock, across a server
// restart; at the limit the user is told and the restart is sent (to a
// recorder, never to this machine) with five minutes' delay. Every step
// is an ordinary job by "automation" tied to the profile, each outcome
// in the log, the compliance view and the metrics; the device back with
// no reboot pending ends it.
func TestAutomationRebootDeferrals(t *testing.T) {
	var clk movableClock
	cfg := serverConfig()
	cfg.AutomationReconcile = 200 * time.Millisecond
	cfg.Heartbeat = time.Second
	clk.config(&cfg)
	e := startServer(t, cfg)
	root := t.TempDir()
	for _, d := range []string{"run", "usr/bin", "var/lib/dpkg"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "usr/bin/apt-get"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), nil, 0o644)
	fake := &fakeApt{root: root}
	user := &promptUser{}
	acme := e.createClient("Acme")
	_, id, _ := onlineAgent(t, e, acme, agent.Config{HealthRoot: root, HealthRunner: fake.run, OpsRunner: fake.run, GOOS: "linux",
		Live:      func(context.Context) inventory.Live { return inventory.Live{User: "alice"} },
		Executors: map[string]agent.Executor{protocol.KindMessage: user.run}})
	waitFor(t, "patches reported", func() bool { return len(e.health(id).Patches.Available) == 121 })
	waitFor(t, "the user seen", func() bool {
		var v struct {
			Device struct{ Heartbeat protocol.Heartbeat }
		}
		e.api("GET", "/api/v1/devices/"+id, nil, &v)
		return v.Device.Heartbeat.User == "alice"
	})

	// Bad reboot settings are refused.
	pol := func(over map[string]any) map[string]any {
		p := map[string]any{"auto": "all", "weekdays": []int{0, 1, 2, 3, 4, 5, 6}, "start": "02:00", "minutes": 30, "time_zone": "UTC",
			"reboot": "if-required"}
		for k, v := range over {
			p[k] = v
		}
		return p
	}
	for _, bad := range []map[string]any{
		pol(map[string]any{"max_deferrals": 11}),
		pol(map[string]any{"max_deferrals": 2, "defer_minutes": -5}),
		pol(map[string]any{"reboot": "at-time", "reboot_at": "25:00"}),
		pol(map[string]any{"reboot": "at-time"}),
		pol(map[string]any{"reboot_at": "22:00"}),
		pol(map[string]any{"reboot": "never", "max_deferrals": 1}),
		pol(map[string]any{"reboot": "whenever"}),
	} {
		if code := e.api("POST", "/api/v1/automation/profiles", map[string]any{"name": "bad", "client": "Acme", "tasks": []any{},
			"patch": bad}, nil); code != 400 {
			t.Errorf("patch policy %v: %d, want 400", bad, code)
		}
	}

	// The window starts two minutes from the server's now.
	start := clk.now().UTC().Add(2 * time.Minute).Format("15:04")
	patch, _ := json.Marshal(pol(map[string]any{"start": start, "message": "Updates from <b>IT</b>\x1b[2J"}))
	out, errOut, code := e.ctl(t, "automation", "profiles", "create", "Patching", "--client", "Acme", "--patch", string(patch),
		"--max-deferrals", "2", "--defer-minutes", "60")
	if code != 0 {
		t.Fatalf("stewardctl automation profiles create: %d %s %s", code, out, errOut)
	}
	var pr api.AutoProfile
	if c := e.api("GET", "/api/v1/automation/profiles/Patching", nil, &pr); c != 200 || pr.Patch == nil || pr.Patch.MaxDeferrals != 2 ||
		pr.Patch.DeferMinutes != 60 || pr.Patch.Reboot != "if-required" {
		t.Fatalf("profile: %d %+v", c, pr.Patch)
	}
	if c := e.api("POST", "/api/v1/automation/assignments", api.AssignRequest{Level: "client", Client: "Acme", Profile: "Patching"}, nil); c != 200 {
		t.Fatalf("assign: %d", c)
	}
	var dt api.DeviceTasks
	waitFor(t, "the patch policy in force", func() bool {
		e.api("GET", "/api/v1/devices/"+id+"/automation", nil, &dt)
		return len(dt.Tasks) == 1 && !dt.Tasks[0].NextRun.IsZero()
	})
	clk.advance(dt.Tasks[0].NextRun.Sub(clk.now()) + time.Second)

	// The window: the install, without the agent's own reboot; then the
	// question, answered No.
	waitFor(t, "the install, then the first No", func() bool {
		return strings.HasPrefix(outcomeList(e.outcomes(id, "patch-policy")), "started,prompted,deferred")
	})
	rs := e.outcomes(id, "patch-policy")
	install := e.run(rs[0].RunID)
	var ij api.JobResponse
	e.api("GET", "/api/v1/jobs/"+install.JobID, nil, &ij)
	if install.State != protocol.StateSucceeded || ij.Job.Spec.Patch == nil || ij.Job.Spec.Patch.Reboot != "never" || fake.ran("shutdown") {
		t.Fatalf("install run %s, job %+v; shutdown run: %v", install.State, ij.Job.Spec.Patch, fake.ran("shutdown"))
	}
	var qj api.JobResponse
	e.api("GET", "/api/v1/jobs/"+rs[1].JobID, nil, &qj)
	if qj.Job.Kind != protocol.KindMessage || qj.Job.CreatedBy != "automation" || !strings.Contains(qj.Job.Target, `profile "Patching"`) {
		t.Fatalf("question job %+v", qj.Job)
	}
	if m := user.messages(); len(m) != 1 || !m[0].Prompt || !strings.HasPrefix(m[0].Text, "Updates from <b>IT</b>\x1b[2J\n\n") ||
		!strings.Contains(m[0].Text, "Restart now?") || !strings.Contains(m[0].Text, "(2 postponements left)") {
		t.Fatalf("messages %+v", m)
	}
	if rs[2].Detail == "" || !strings.Contains(rs[2].Detail, "alice postponed the restart (1 of 2)") {
		t.Fatalf("deferral logged as %+v", rs[2])
	}
	var comp api.Compliance
	e.api("GET", "/api/v1/automation/compliance?device="+id, nil, &comp)
	found := false
	for _, it := range comp.Devices[0].Items {
		found = found || it.Policy == "reboot" && strings.HasPrefix(it.Detail, "reboot deferred (1 of 2), next at ")
	}
	if !found {
		t.Fatalf("compliance %+v", comp.Devices)
	}

	// The server restarts; an hour later it asks again.
	e.restart()
	time.Sleep(time.Second) // nothing is due before the postponed time
	if got := outcomeList(e.outcomes(id, "patch-policy")); got != "started,prompted,deferred" {
		t.Fatalf("after the restart, before the postponed time: %s", got)
	}
	clk.advance(61 * time.Minute)
	waitFor(t, "the second No", func() bool {
		return outcomeList(e.outcomes(id, "patch-policy")) == "started,prompted,deferred,prompted,deferred"
	})
	if m := user.messages(); len(m) != 2 || !strings.Contains(m[1].Text, "(1 postponement left)") {
		t.Fatalf("messages %+v", m)
	}

	// At the limit: told, then restarted in five minutes.
	clk.advance(61 * time.Minute)
	waitFor(t, "the restart sent", func() bool { return fake.ran("shutdown -r +5") })
	rs = e.outcomes(id, "patch-policy")
	last := rs[len(rs)-1]
	if last.Outcome != "rebooting" || !strings.Contains(last.Detail, "no postponement left (2 of 2 used)") {
		t.Fatalf("log %s, last %+v", outcomeList(rs), last)
	}
	if m := user.messages(); len(m) != 3 || m[2].Prompt || !strings.Contains(m[2].Text, "restarts in 5 minutes") {
		t.Fatalf("messages %+v", m)
	}
	var pj api.JobResponse
	e.api("GET", "/api/v1/jobs/"+last.JobID, nil, &pj)
	if pj.Job.Kind != protocol.KindPower || pj.Job.CreatedBy != "automation" || pj.Job.Spec.Power.DelaySeconds != 300 {
		t.Fatalf("restart job %+v", pj.Job)
	}
	waitFor(t, "the restart's run done", func() bool { return e.run(last.RunID).State == protocol.StateSucceeded })

	// Back with no reboot pending: done, postponements reset.
	os.Remove(filepath.Join(root, "run/reboot-required"))
	e.api("POST", "/api/v1/devices/"+id+"/refresh?what=health", nil, nil)
	waitFor(t, "the restart seen", func() bool {
		return strings.HasSuffix(outcomeList(e.outcomes(id, "patch-policy")), ",rebooting,rebooted")
	})
	e.api("GET", "/api/v1/automation/compliance?device="+id, nil, &comp)
	for _, it := range comp.Devices[0].Items {
		if it.Policy == "reboot" {
			t.Fatalf("a reboot still under way: %+v", it)
		}
	}
	m := e.rawGet(t, "/metrics")
	for _, want := range []string{`steward_automation_runs_total{outcome="deferred"} 1`, `steward_automation_runs_total{outcome="rebooted"} 1`} {
		// Counters restart with the server: one deferral before, one after.
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
