//go:build linux

package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
)

// autoRuns lists what the scheduler did on a device, newest first.
func (e *env) autoRuns(device string) []api.AutoRun {
	e.t.Helper()
	var rs []api.AutoRun
	if code := e.api("GET", "/api/v1/automation/runs?limit=1000&device="+device, nil, &rs); code != 200 {
		return nil // the server is restarting
	}
	return rs
}

func startedOf(rs []api.AutoRun) []api.AutoRun {
	var out []api.AutoRun
	for _, r := range rs {
		if r.Outcome == "started" {
			out = append(out, r)
		}
	}
	return out
}

// TestAutomationScheduledTask: a task every two seconds (the scheduler's
// shortest interval shortened for the test) of a profile assigned to a
// client runs a pinned library script as ordinary jobs on a real agent;
// the device page lists it with its source; exempting it on the device
// stops it and removing the exemption resumes it; an agent offline at
// the due time gets the run when it returns, with later occurrences
// skipped meanwhile (never two runs at once); and a server restart
// neither runs an occurrence again nor skips the one due while down.
func TestAutomationScheduledTask(t *testing.T) {
	cfg := serverConfig()
	cfg.AutomationMinEvery = time.Second
	cfg.AutomationReconcile = 200 * time.Millisecond
	e := startServer(t, cfg)
	acme := e.createClient("Acme")
	dir, id, ag := onlineAgent(t, e, acme, agentConfig())
	mark := filepath.Join(t.TempDir(), "ticks")
	if code := e.api("POST", "/api/v1/scripts", map[string]any{"name": "tick", "interpreter": "sh",
		"body": "echo tick >> '" + mark + "'; echo ticked"}, nil); code != 201 {
		t.Fatalf("script: %d", code)
	}
	task := func(over map[string]any) map[string]any {
		t := map[string]any{"id": "tick", "name": "tick", "action": "script", "library": "tick@1",
			"schedule": map[string]any{"kind": "every", "every": 2}}
		for k, v := range over {
			t[k] = v
		}
		return t
	}
	for _, bad := range []map[string]any{
		task(map[string]any{"library": "tick"}),
		task(map[string]any{"library": "tick@9"}),
		task(map[string]any{"action": "format-disk"}),
		task(map[string]any{"schedule": map[string]any{"kind": "cron", "cron": "99 * * * *"}}),
		task(map[string]any{"schedule": map[string]any{"kind": "daily", "at": "03:00", "time_zone": "Nowhere/City"}}),
		task(map[string]any{"spread_seconds": -1}),
		task(map[string]any{"schedule": map[string]any{"kind": "daily", "at": "03:00", "start": "2026-12-07T08:00:00Z"}}),
		task(map[string]any{"schedule": map[string]any{"kind": "every", "every": 2, "start": "tomorrow at eight"}}),
	} {
		if code := e.api("POST", "/api/v1/automation/profiles", map[string]any{"name": "bad", "client": "Acme",
			"tasks": []any{bad}}, nil); code != 400 {
			t.Errorf("profile with task %v: %d, want 400", bad, code)
		}
	}
	var pr api.AutoProfile
	if code := e.api("POST", "/api/v1/automation/profiles", map[string]any{"name": "Every", "client": "Acme",
		"tasks": []any{task(nil)}}, &pr); code != 201 {
		t.Fatalf("profile: %d", code)
	}
	// Saved without a start: anchored at the save time.
	if st := pr.Tasks[0].Schedule.Start; st.IsZero() || time.Since(st) > time.Minute || time.Until(st) > time.Second {
		t.Fatalf("the every task's default start = %v, want the save time", st)
	}
	if code := e.api("POST", "/api/v1/automation/assignments", api.AssignRequest{Level: "client", Client: "Acme", Profile: "Every"}, nil); code != 200 {
		t.Fatalf("assign: %d", code)
	}
	var dt api.DeviceTasks
	waitFor(t, "the task in force with its next run", func() bool {
		e.api("GET", "/api/v1/devices/"+id+"/automation", nil, &dt)
		return len(dt.Tasks) == 1 && !dt.Tasks[0].NextRun.IsZero()
	})
	if tf := dt.Tasks[0]; tf.Source != "client Acme" || tf.Level != "client" || tf.ProfileName != "Every" || tf.Exempt {
		t.Fatalf("task in force = %+v", tf)
	}

	// It runs as ordinary jobs, tied to the task and profile.
	var first api.AutoRun
	waitFor(t, "two runs that succeeded", func() bool {
		st := startedOf(e.autoRuns(id))
		ok := 0
		for _, r := range st {
			if e.run(r.RunID).State == protocol.StateSucceeded {
				ok++
				first = r
			}
		}
		return ok >= 2
	})
	// The scheduler's own time is measured per tick.
	ticks := 0.0
	for _, line := range strings.Split(e.rawGet(t, "/metrics"), "\n") {
		if v, ok := strings.CutPrefix(line, "steward_automation_tick_seconds_count "); ok {
			ticks, _ = strconv.ParseFloat(v, 64)
		}
	}
	if ticks < 2 {
		t.Fatalf("steward_automation_tick_seconds counted %v ticks after two runs", ticks)
	}
	var jr api.JobResponse
	if code := e.api("GET", "/api/v1/jobs/"+first.JobID, nil, &jr); code != 200 {
		t.Fatalf("job: %d", code)
	}
	job := jr.Job
	if job.CreatedBy != "automation" || !strings.Contains(job.Target, `task "tick" of profile "Every"`) || job.Library != "tick@1" {
		t.Fatalf("job = %+v", job)
	}
	if o := e.output(first.RunID); o.Stdout != "ticked\n" {
		t.Fatalf("output %q", o.Stdout)
	}

	// Exempted on the device: no more runs; back: it resumes.
	if code := e.api("POST", "/api/v1/devices/"+id+"/automation/exemptions", map[string]any{"profile": "Every", "task": "tick",
		"reason": "kiosk <b>"}, nil); code != 200 {
		t.Fatalf("exempt: %d", code)
	}
	e.api("GET", "/api/v1/devices/"+id+"/automation", nil, &dt)
	if !dt.Tasks[0].Exempt || len(dt.Exemptions) != 1 || dt.Exemptions[0].Reason != "kiosk <b>" {
		t.Fatalf("after exemption: %+v", dt)
	}
	time.Sleep(time.Second) // a tick under way when the exemption came may still start one
	before := len(startedOf(e.autoRuns(id)))
	time.Sleep(5 * time.Second) // two and a half intervals
	if n := len(startedOf(e.autoRuns(id))); n != before {
		t.Fatalf("%d runs started while exempted", n-before)
	}
	if code := e.api("DELETE", "/api/v1/devices/"+id+"/automation/exemptions?profile=Every&task=tick", nil, nil); code != 200 {
		t.Fatalf("unexempt: %d", code)
	}
	waitFor(t, "runs again after the exemption is removed", func() bool { return len(startedOf(e.autoRuns(id))) > before })

	// Offline at the due time: the run waits for the agent; the
	// occurrences meanwhile are skipped, never a second run.
	ag.stop()
	waitFor(t, "agent offline", func() bool { return !e.online(id) })
	var queued api.AutoRun
	waitFor(t, "a run created while offline, then an occurrence skipped for it", func() bool {
		rs := e.autoRuns(id)
		for i := len(rs) - 1; i >= 0; i-- {
			if rs[i].Outcome == "started" && e.run(rs[i].RunID).State == protocol.StateQueued {
				queued = rs[i]
			}
		}
		return queued.RunID != "" && rs[0].Outcome == "skipped-running" && rs[0].RunID == queued.RunID
	})
	startAgent(t, dir, agentConfig())
	waitFor(t, "the queued run done on return", func() bool { return e.run(queued.RunID).State == protocol.StateSucceeded })

	// A restart: nothing runs twice, the occurrence due while down runs.
	beforeRestart := len(startedOf(e.autoRuns(id)))
	e.restart()
	waitFor(t, "runs after the restart", func() bool { return len(startedOf(e.autoRuns(id))) >= beforeRestart+2 })
	dues := map[string]int{}
	for _, r := range startedOf(e.autoRuns(id)) {
		dues[r.Due.Format(time.RFC3339Nano)]++
	}
	for d, n := range dues {
		if n != 1 {
			t.Fatalf("the occurrence due %s started %d times", d, n)
		}
	}
	b, _ := os.ReadFile(mark)
	if got, want := strings.Count(string(b), "tick\n"), len(dues); got < want-1 || got > want {
		// The newest run may still be under way.
		t.Fatalf("the script ran %d times for %d occurrences started", got, want)
	}
}

// TestAutomationRules: a technician scoped to one client creates
// profiles of that client only and assigns them only to its devices
// (another client's is not found, the default level and global profiles
// are refused); assigning a profile to more devices than a large job,
// or software installs to any, asks for a fresh second factor as the
// job would.
func TestAutomationRules(t *testing.T) {
	cfg := serverConfig()
	cfg.FreshTOTP, cfg.LargeJob = time.Nanosecond, 1
	e := startServer(t, cfg)
	acme, bravo := e.createClient("Acme"), e.createClient("Bravo")
	_, a1 := e.enroll(e.enrollToken(acme, 1, 0))
	_, a2 := e.enroll(e.enrollToken(acme, 1, 0))
	_, b1 := e.enroll(e.enrollToken(bravo, 1, 0))
	e.createUser("acme-tech", "technician", acme)
	tok := e.tokenFor("acme-tech")
	scan := []any{map[string]any{"name": "scan", "action": "patch-scan", "schedule": map[string]any{"kind": "weekly", "at": "02:00",
		"weekdays": []int{2}}}}
	for _, c := range []struct {
		what, method, path string
		body               any
		want               int
	}{
		{"a global profile", "POST", "/api/v1/automation/profiles", map[string]any{"name": "g", "tasks": scan}, 403},
		{"a profile of Bravo", "POST", "/api/v1/automation/profiles", map[string]any{"name": "b", "client": "Bravo", "tasks": scan}, 404},
		{"a profile of Acme", "POST", "/api/v1/automation/profiles", map[string]any{"name": "Acme scan", "client": "Acme", "tasks": scan}, 201},
		{"Acme's profile on Bravo's device", "POST", "/api/v1/automation/assignments",
			map[string]any{"level": "device", "devices": []string{a1, b1}, "profile": "Acme scan"}, 404},
		{"Acme's profile on client Bravo", "POST", "/api/v1/automation/assignments",
			map[string]any{"level": "client", "client": "Bravo", "profile": "Acme scan"}, 404},
		{"the default level", "POST", "/api/v1/automation/assignments",
			map[string]any{"level": "default", "profile": "Acme scan"}, 403},
		{"Bravo's device page", "GET", "/api/v1/devices/" + b1 + "/automation", nil, 404},
		{"Acme's profile on one Acme device", "POST", "/api/v1/automation/assignments",
			map[string]any{"level": "device", "device": a1, "profile": "Acme scan"}, 200},
	} {
		if code := e.apiAs(tok, c.method, c.path, c.body, nil); code != c.want {
			t.Errorf("%s: %d, want %d", c.what, code, c.want)
		}
	}
	// An admin's profile of Acme cannot land on Bravo either.
	if code := e.api("POST", "/api/v1/automation/assignments", map[string]any{"level": "device", "device": b1, "profile": "Acme scan"}, nil); code != 403 {
		t.Errorf("Acme's profile on Bravo's device by an admin: %d, want 403", code)
	}
	// More devices than a large job: a fresh second factor first.
	var er struct{ Code string }
	if code := e.apiAs(tok, "POST", "/api/v1/automation/assignments", map[string]any{"level": "client", "client": "Acme",
		"profile": "Acme scan"}, &er); code != 401 || er.Code != "fresh_2fa" {
		t.Errorf("a profile on two devices with a stale session: %d %q, want 401 fresh_2fa", code, er.Code)
	}
	soft := []any{map[string]any{"name": "curl", "action": "software-install", "packages": []string{"curl"},
		"schedule": map[string]any{"kind": "daily", "at": "01:00"}}}
	if code := e.apiAs(tok, "PUT", "/api/v1/automation/profiles/Acme%20scan", map[string]any{"name": "Acme scan", "tasks": soft}, &er); code != 401 || er.Code != "fresh_2fa" {
		t.Errorf("software installs on a device with a stale session: %d %q, want 401 fresh_2fa", code, er.Code)
	}
	var as []api.Assignment
	e.api("GET", "/api/v1/automation/assignments", nil, &as)
	if len(as) != 1 || as[0].DeviceID != a1 || as[0].ProfileName != "Acme scan" {
		t.Fatalf("assignments = %+v", as)
	}
	// Every change is audited.
	var ev []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=automation.", nil, &ev)
	seen := map[string]bool{}
	for _, x := range ev {
		seen[x.Action] = true
	}
	for _, a := range []string{"automation.profile.create", "automation.assign"} {
		if !seen[a] {
			t.Errorf("no %s in the audit log (%v)", a, fmt.Sprint(seen))
		}
	}
	_ = a2
}
