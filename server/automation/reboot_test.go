package automation

import (
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
)

// runsOf serves advance's run reads from a map.
func runsOf(m map[string]store.Run) func(string) (store.Run, bool) {
	return func(id string) (store.Run, bool) {
		r, ok := m[id]
		return r, ok
	}
}

func answersRun(id, state string, answers ...string) store.Run {
	var res protocol.MessageResult
	for _, a := range answers {
		res.Answers = append(res.Answers, protocol.MessageAnswer{User: "alice", Session: "1", Answer: a})
	}
	b, _ := json.Marshal(res)
	return store.Run{ID: id, Kind: protocol.KindMessage, State: state, Data: b}
}

func installRun(id string, reboot bool, ended time.Time) store.Run {
	b, _ := json.Marshal(protocol.PatchInstallResult{Installed: []string{"openssl"}, RebootRequired: reboot})
	return store.Run{ID: id, Kind: protocol.KindPatchInstall, State: protocol.StateSucceeded, Data: b, EndedAt: ended}
}

// TestRebootDeferralMachine walks the state machine: after an install
// that left a reboot pending the logged-in user is asked; "No" postpones
// it by DeferMinutes, twice (the limit); then a notice and the restart
// in five minutes without asking; the device back without a reboot
// pending ends it with the postponements reset.
func TestRebootDeferralMachine(t *testing.T) {
	pp := &store.PatchPolicy{Reboot: RebootIfReq, Message: "Updates <b>installed</b>", DeferMinutes: 60, MaxDeferrals: 2}
	now := time.Date(2026, 12, 9, 2, 10, 0, 0, time.UTC)
	runs := map[string]store.Run{"i1": installRun("i1", true, now)}
	st := &store.AutoState{RunID: "i1", RebootStep: stepInstall}
	dev := devState{Online: true, User: "alice", Pending: true}

	ask := func(left string) {
		t.Helper()
		act := advance(pp, st, dev, runsOf(runs), now, time.UTC)
		if act.Outcome != store.AutoPrompted || len(act.Jobs) != 1 || st.RebootStep != stepPrompt {
			t.Fatalf("at %v: %+v, step %q, want one prompt", now, act, st.RebootStep)
		}
		m := act.Jobs[0].Message
		if act.Jobs[0].Kind != protocol.KindMessage || m == nil || !m.Prompt || !strings.HasPrefix(m.Text, pp.Message+"\n\n") ||
			!strings.Contains(m.Text, "Restart now?") || !strings.Contains(m.Text, "by 60 minutes ("+left+" left)") {
			t.Fatalf("prompt = %+v", m)
		}
		if err := protocol.CheckMessageJob(m); err != nil {
			t.Fatal(err)
		}
	}
	ask("2 postponements")
	for n := 1; n <= 2; n++ {
		st.RebootRun = "m" + string(rune('0'+n))
		runs[st.RebootRun] = answersRun(st.RebootRun, protocol.StateSucceeded, "no")
		act := advance(pp, st, dev, runsOf(runs), now, time.UTC)
		if act.Outcome != store.AutoDeferred || st.Deferrals != n || !st.RebootDue.Equal(now.Add(time.Hour)) || st.RebootStep != stepDue {
			t.Fatalf("answer no #%d: %+v, state %+v", n, act, st)
		}
		// Nothing before the postponed time.
		now = now.Add(59 * time.Minute)
		if act := advance(pp, st, dev, runsOf(runs), now, time.UTC); act.Outcome != "" || len(act.Jobs) != 0 {
			t.Fatalf("before the postponed time: %+v", act)
		}
		now = now.Add(time.Minute)
		if n == 1 {
			ask("1 postponement")
		}
	}
	// The limit reached: told, then the restart in five minutes.
	act := advance(pp, st, dev, runsOf(runs), now, time.UTC)
	if act.Outcome != store.AutoRebooting || len(act.Jobs) != 2 || st.RebootStep != stepPower {
		t.Fatalf("limit reached: %+v, state %+v", act, st)
	}
	if m := act.Jobs[0].Message; m == nil || m.Prompt || !strings.Contains(m.Text, "restarts in 5 minutes") {
		t.Fatalf("notice = %+v", m)
	}
	if p := act.Jobs[1].Power; act.Jobs[1].Kind != protocol.KindPower || p.Action != "reboot" || p.DelaySeconds != 300 {
		t.Fatalf("restart = %+v", act.Jobs[1])
	}
	// The restart sent, then seen.
	st.RebootRun = "p1"
	runs["p1"] = store.Run{ID: "p1", Kind: protocol.KindPower, State: protocol.StateSucceeded, EndedAt: now}
	if act := advance(pp, st, dev, runsOf(runs), now, time.UTC); act.Outcome != "" || st.RebootStep != stepRestart || st.Deferrals != 2 {
		t.Fatalf("restart sent: %+v, state %+v", act, st)
	}
	dev.Boot = now.Add(2 * time.Minute)
	now = now.Add(3 * time.Minute)
	if act := advance(pp, st, dev, runsOf(runs), now, time.UTC); act.Outcome != store.AutoRebooted || st.RebootStep != "" || st.Deferrals != 0 {
		t.Fatalf("restarted: %+v, state %+v", act, st)
	}
}

// TestRebootAnswers: what each answer to the question does.
func TestRebootAnswers(t *testing.T) {
	pp := &store.PatchPolicy{Reboot: RebootIfReq, DeferMinutes: 30, MaxDeferrals: 3}
	now := time.Date(2026, 12, 9, 2, 10, 0, 0, time.UTC)
	for _, x := range []struct {
		name      string
		run       store.Run
		deferrals int
		outcome   string
		delay     int
		detail    string
	}{
		{"yes", answersRun("m", protocol.StateSucceeded, "yes"), 0, store.AutoRebooting, soonSeconds, "answered yes"},
		{"yes beats no", answersRun("m", protocol.StateSucceeded, "no", "yes"), 0, store.AutoRebooting, soonSeconds, "answered yes"},
		{"no", answersRun("m", protocol.StateSucceeded, "no"), 1, store.AutoDeferred, 0, "postponed the restart (1 of 3) until Wed 02:40 UTC"},
		{"no answer in time", answersRun("m", protocol.StateSucceeded, "timeout"), 0, store.AutoRebooting, soonSeconds, "no answer within"},
		{"only shown (Linux)", answersRun("m", protocol.StateSucceeded, "shown"), 0, store.AutoRebooting, soonSeconds, "no answer possible"},
		{"nobody answered", answersRun("m", protocol.StateSucceeded), 0, store.AutoRebooting, soonSeconds, "no answer possible"},
		{"not shown", answersRun("m", protocol.StateFailed), 0, store.AutoRebooting, soonSeconds, "could not be shown"},
	} {
		st := &store.AutoState{RebootStep: stepPrompt, RebootRun: "m"}
		act := advance(pp, st, devState{Online: true, User: "alice", Pending: true}, runsOf(map[string]store.Run{"m": x.run}), now, time.UTC)
		if act.Outcome != x.outcome || st.Deferrals != x.deferrals || !strings.Contains(act.Detail, x.detail) {
			t.Errorf("%s: %+v, state %+v", x.name, act, st)
			continue
		}
		if x.outcome == store.AutoRebooting && (len(act.Jobs) != 1 || act.Jobs[0].Power.DelaySeconds != x.delay || st.RebootStep != stepPower) {
			t.Errorf("%s: jobs %+v", x.name, act.Jobs)
		}
	}
	// A question still out: nothing yet.
	st := &store.AutoState{RebootStep: stepPrompt, RebootRun: "m"}
	if act := advance(pp, st, devState{Online: true, User: "alice"}, runsOf(map[string]store.Run{"m": {ID: "m", State: protocol.StateRunning}}),
		now, time.UTC); act.Outcome != "" || st.RebootStep != stepPrompt {
		t.Fatalf("question out: %+v", act)
	}
}

// TestRebootWithoutUserOrNeed: nobody logged in restarts at once without
// asking; an install that left no reboot pending ends the reboot; one
// that did not start too; offline devices wait; a restart that failed
// is logged and given up.
func TestRebootWithoutUserOrNeed(t *testing.T) {
	pp := &store.PatchPolicy{Reboot: RebootIfReq, DeferMinutes: 60, MaxDeferrals: 2}
	now := time.Date(2026, 12, 9, 2, 10, 0, 0, time.UTC)
	runs := runsOf(map[string]store.Run{"i1": installRun("i1", true, now), "i0": installRun("i0", false, now),
		"p": {ID: "p", State: protocol.StateFailed, Reason: "shutdown: access denied"}})

	st := &store.AutoState{RebootStep: stepInstall, RunID: "i1"}
	act := advance(pp, st, devState{Online: true}, runs, now, time.UTC)
	if act.Outcome != store.AutoRebooting || len(act.Jobs) != 1 || act.Jobs[0].Power.DelaySeconds != 0 || !strings.Contains(act.Detail, "nobody is logged in") {
		t.Fatalf("nobody logged in: %+v", act)
	}
	st = &store.AutoState{RebootStep: stepInstall, RunID: "i0"}
	if act := advance(pp, st, devState{Online: true, User: "alice"}, runs, now, time.UTC); act.Outcome != store.AutoNotRequired || st.RebootStep != "" {
		t.Fatalf("no reboot needed: %+v %+v", act, st)
	}
	st = &store.AutoState{RebootStep: stepInstall}
	if act := advance(pp, st, devState{Online: true, User: "alice"}, runs, now, time.UTC); act.Outcome != "" || st.RebootStep != "" {
		t.Fatalf("install not started: %+v %+v", act, st)
	}
	st = &store.AutoState{RebootStep: stepInstall, RunID: "i1"}
	if act := advance(pp, st, devState{User: "alice", Pending: true}, runs, now, time.UTC); act.Outcome != "" || st.RebootStep != stepDue {
		t.Fatalf("offline: %+v %+v", act, st)
	}
	st = &store.AutoState{RebootStep: stepPower, RebootRun: "p", Deferrals: 2}
	if act := advance(pp, st, devState{Online: true, User: "alice", Pending: true}, runs, now, time.UTC); act.Outcome != store.AutoFailed ||
		!strings.Contains(act.Detail, "access denied") || st.RebootStep != "" {
		t.Fatalf("restart failed: %+v %+v", act, st)
	}
	// No postponement allowed (at-time alone): told, then restarted.
	at := &store.PatchPolicy{Reboot: RebootAtTime, RebootAt: "22:00"}
	st = &store.AutoState{RebootStep: stepDue, RebootDue: now}
	if act := advance(at, st, devState{Online: true, User: "alice", Pending: true}, runs, now, time.UTC); act.Outcome != store.AutoRebooting ||
		len(act.Jobs) != 2 || act.Jobs[0].Message.Prompt {
		t.Fatalf("at-time without deferrals: %+v", act)
	}
}

// TestRebootAtTime: at-time restarts at the next RebootAt in the
// policy's zone after the install ended (the next day when past it),
// and the compliance view says it waits for it.
func TestRebootAtTime(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata")
	}
	pp := &store.PatchPolicy{Reboot: RebootAtTime, RebootAt: "22:00", TimeZone: "America/New_York", DeferMinutes: 60, MaxDeferrals: 1}
	ended := time.Date(2026, 12, 9, 2, 30, 0, 0, time.UTC) // 21:30 on the 8th in New York
	st := &store.AutoState{RebootStep: stepInstall, RunID: "i1"}
	act := advance(pp, st, devState{Online: true, User: "alice", Pending: true}, runsOf(map[string]store.Run{"i1": installRun("i1", true, ended)}),
		ended.Add(time.Minute), ny)
	want := time.Date(2026, 12, 8, 22, 0, 0, 0, ny)
	if act.Outcome != "" || st.RebootStep != stepDue || !st.RebootDue.Equal(want) {
		t.Fatalf("after the install: %+v, due %v, want %v", act, st.RebootDue, want)
	}
	if got := nextClock("22:00", ny, want); !got.Equal(time.Date(2026, 12, 9, 22, 0, 0, 0, ny)) {
		t.Fatalf("next after 22:00 = %v", got)
	}
	r := newRig(t, 1)
	r.now = ended
	d := &api.DeviceCompliance{}
	r.w.rebootCompliance(d, pp, st, func(string) {})
	if len(d.Items) != 1 || d.Items[0].Detail != "waiting for reboot at Tue 22:00 EST" || !d.Items[0].Next.Equal(want) {
		t.Fatalf("compliance = %+v", d.Items)
	}
	st.Deferrals, st.RebootDue = 1, want.Add(time.Hour)
	d = &api.DeviceCompliance{}
	r.w.rebootCompliance(d, pp, st, func(string) {})
	if d.Items[0].Detail != "reboot deferred (1 of 1), next at Tue 23:00 EST" {
		t.Fatalf("compliance = %+v", d.Items)
	}
}

// answering is the rig's store and runner with run data: a patch
// install that leaves a reboot pending, and the user's answer to each
// question.
type answering struct {
	*testStore
	mu     sync.Mutex
	kinds  map[string]string
	answer string
	run    *testRunner
	jobs   []api.JobRequest
}

func (a *answering) Run(id string) (store.Run, error) {
	r, err := a.testStore.Run(id)
	a.mu.Lock()
	defer a.mu.Unlock()
	r.Kind = a.kinds[id]
	switch r.Kind {
	case protocol.KindPatchInstall:
		r.Data, _ = json.Marshal(protocol.PatchInstallResult{RebootRequired: true})
	case protocol.KindMessage:
		r.Data, _ = json.Marshal(protocol.MessageResult{Answers: []protocol.MessageAnswer{{User: "alice", Answer: a.answer}}})
	}
	return r, err
}

func (a *answering) RunAutomated(req api.JobRequest, origin string, expires time.Time) (string, map[string]string, []string, error) {
	job, runs, sk, err := a.run.RunAutomated(req, origin, expires)
	a.mu.Lock()
	for _, id := range runs {
		a.kinds[id] = req.Kind
	}
	a.jobs = append(a.jobs, req)
	a.mu.Unlock()
	return job, runs, sk, err
}

// TestRebootDeferralsSurviveRestart: the scheduler end to end on the
// fake clock over the real store: the window's install (without the
// agent's own reboot), the question answered "No", a server restart
// (the wing built again from the store), "No" again, then the forced
// restart at the limit; the log tells each step and the metrics count
// them.
func TestRebootDeferralsSurviveRestart(t *testing.T) {
	r := newRig(t, 1)
	a := &answering{testStore: r.st, kinds: map[string]string{}, answer: "no", run: r.runner}
	build := func() *Wing {
		w := New(Deps{Config: Config{TimeZone: time.UTC, Reconcile: time.Minute}, Store: a, Fleet: r.fleet, Runner: a,
			Metrics: r.met, Now: func() time.Time { return r.now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err := w.load(); err != nil {
			t.Fatal(err)
		}
		return w
	}
	r.w = build()
	r.health("d00000", protocol.Health{Patches: protocol.PatchStatus{Available: []protocol.Patch{{ID: "openssl", Name: "openssl", Security: true}}}})
	r.fleet.set("d00000", func(s *fleet.Sample) { s.Heartbeat.User, s.Heartbeat.PendingReboot = "alice", true })
	pp := &store.PatchPolicy{Auto: AutoAll, Weekdays: []int{3}, Start: "02:00", Minutes: 60, TimeZone: "UTC", Reboot: RebootIfReq,
		DeferMinutes: 60, MaxDeferrals: 2}
	r.profile(store.AutoProfile{ID: "ap1", Name: "Patching", Patch: pp}, store.ProfileAssignment{Level: store.LevelDefault})
	r.until(time.Date(2026, 12, 9, 2, 45, 0, 0, time.UTC))
	kinds := func() []string {
		a.mu.Lock()
		defer a.mu.Unlock()
		var out []string
		for _, j := range a.jobs {
			k := j.Kind
			switch {
			case j.Patch != nil:
				k += " " + j.Patch.Reboot
			case j.Message != nil && j.Message.Prompt:
				k += " prompt"
			case j.Power != nil:
				k += " " + j.Power.Action
			}
			out = append(out, k)
		}
		a.jobs = nil
		return out
	}
	if got := strings.Join(kinds(), ","); got != "patch_install never,message prompt" {
		t.Fatalf("jobs in the window: %s", got)
	}
	states, _ := a.AutoStates()
	if len(states) != 1 || states[0].Deferrals != 1 || states[0].RebootStep != stepDue {
		t.Fatalf("stored state %+v", states)
	}
	// The server restarts: the postponed restart is still known.
	due := states[0].RebootDue
	r.w = build()
	r.until(due.Add(-time.Second))
	if got := kinds(); len(got) != 0 {
		t.Fatalf("jobs before the postponed time: %q", got)
	}
	r.until(due.Add(61 * time.Minute))
	if got := strings.Join(kinds(), ","); got != "message prompt,message,power reboot" {
		t.Fatalf("jobs after the restart: %s", got)
	}
	// The device comes back with no reboot pending.
	r.fleet.set("d00000", func(s *fleet.Sample) { s.Heartbeat.PendingReboot = false })
	r.until(r.now.Add(time.Minute))
	logs, _ := a.AutoRuns(store.AutoRunQuery{DeviceID: "d00000"})
	// Oldest first; steps logged in one tick share their time, and the
	// store orders those by their random IDs: such a group is put in the
	// order the steps happen.
	rank := map[string]int{"started": 0, "prompted": 1, "deferred": 2, "rebooting": 3, "rebooted": 4}
	slices.Reverse(logs)
	slices.SortStableFunc(logs, func(x, y store.AutoRun) int {
		if c := x.At.Compare(y.At); c != 0 {
			return c
		}
		return rank[x.Outcome] - rank[y.Outcome]
	})
	var outcomes []string
	for i := range logs {
		outcomes = append(outcomes, logs[i].Outcome)
	}
	if got := strings.Join(outcomes, ","); got != "started,prompted,deferred,prompted,deferred,rebooting,rebooted" {
		t.Fatalf("log %s", got)
	}
	states, _ = a.AutoStates()
	if states[0].Deferrals != 0 || states[0].RebootStep != "" {
		t.Fatalf("state after the restart %+v", states[0])
	}
	if r.met.n[store.AutoDeferred] != 2 || r.met.n[store.AutoRebooted] != 1 {
		t.Fatalf("metrics %v", r.met.n)
	}
}

// TestRebootPolicyChecks: the reboot fields a patch policy accepts, and
// the default postponement.
func TestRebootPolicyChecks(t *testing.T) {
	for _, x := range []struct {
		in   api.PatchPolicy
		ok   bool
		want store.PatchPolicy
	}{
		{api.PatchPolicy{Reboot: RebootIfReq, MaxDeferrals: 3}, true, store.PatchPolicy{Reboot: RebootIfReq, MaxDeferrals: 3, DeferMinutes: 60}},
		{api.PatchPolicy{Reboot: RebootAtTime, RebootAt: " 22:30 "}, true, store.PatchPolicy{Reboot: RebootAtTime, RebootAt: "22:30"}},
		{api.PatchPolicy{Reboot: RebootNever, RebootAfterDays: 7, MaxDeferrals: 1, DeferMinutes: 15}, true,
			store.PatchPolicy{Reboot: RebootNever, RebootAfterDays: 7, MaxDeferrals: 1, DeferMinutes: 15}},
		{api.PatchPolicy{Reboot: RebootAtTime, RebootAt: "7:5"}, false, store.PatchPolicy{}},
		{api.PatchPolicy{Reboot: RebootAtTime}, false, store.PatchPolicy{}},
		{api.PatchPolicy{Reboot: RebootIfReq, RebootAt: "22:00"}, false, store.PatchPolicy{}},
		{api.PatchPolicy{Reboot: RebootIfReq, MaxDeferrals: 11}, false, store.PatchPolicy{}},
		{api.PatchPolicy{Reboot: RebootIfReq, MaxDeferrals: 1, DeferMinutes: 1441}, false, store.PatchPolicy{}},
		{api.PatchPolicy{Reboot: RebootNever, MaxDeferrals: 1}, false, store.PatchPolicy{}},
	} {
		pp := store.PatchPolicy{Reboot: x.in.Reboot, RebootAfterDays: x.in.RebootAfterDays}
		err := checkReboot(&pp, &x.in)
		if (err == nil) != x.ok || x.ok && (pp.RebootAt != x.want.RebootAt || pp.DeferMinutes != x.want.DeferMinutes || pp.MaxDeferrals != x.want.MaxDeferrals) {
			t.Errorf("%+v: %+v, %v", x.in, pp, err)
		}
	}
}
