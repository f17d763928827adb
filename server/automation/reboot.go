package automation

// The reboot a patch policy leads itself: after an install that left a
// reboot pending (Reboot if-required at once, at-time at the next
// RebootAt), or for the reboot policy (a reboot pending
// RebootAfterDays, in the window), when the policy lets the user
// postpone it (MaxDeferrals > 0) or names a time. The logged-in user is
// asked "Restart now?" (a message job with Prompt); "No" postpones it by
// DeferMinutes while postponements are left; then a five-minute notice
// and the restart. Nobody logged in, or no answer possible (Linux
// terminals and notifications), restarts without waiting. Each step is
// an ordinary job of the patch task (history, audit by "automation"),
// each outcome a line of the scheduler's log, and where it stands is
// stored on the device's patch state (AutoState.RebootStep and the
// fields after it), so a server restart resumes it. Policies that do
// neither keep the simpler plan of patchPlan (the message, then the
// agent restarts by itself if required).

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// RebootAtTime is the patch policy's Reboot value restarting at RebootAt.
const RebootAtTime = "at-time"

// Steps of a reboot under way (store.AutoState.RebootStep).
const (
	stepInstall = "install" // the window's install runs (RunID)
	stepDue     = "due"     // the user is asked or told at RebootDue
	stepPrompt  = "prompt"  // the question is out (RebootRun)
	stepPower   = "power"   // the restart is sent (RebootRun)
	stepRestart = "restart" // waiting for the device to come back restarted
)

// Reboot limits and delays.
const (
	maxDeferrals        = 10
	defaultDeferMinutes = 60
	promptWaitSeconds   = 120
	noticeSeconds       = 300 // the notice before a forced restart
	soonSeconds         = 60  // a restart the user agreed to, or could not answer
	// restartWait is how long a sent restart may take to be seen before
	// the reboot is given up (the next window or reboot policy retries).
	restartWait = 6 * time.Hour
	// stepExpiry is how long a step's job waits for an offline device.
	stepExpiry = time.Hour
)

// checkReboot validates a patch policy's reboot time and deferrals
// (called from checkPatch, which checked Reboot's value).
func checkReboot(pp *store.PatchPolicy, in *api.PatchPolicy) error {
	pp.RebootAt, pp.DeferMinutes, pp.MaxDeferrals = strings.TrimSpace(in.RebootAt), in.DeferMinutes, in.MaxDeferrals
	if pp.Reboot == RebootAtTime {
		if _, _, err := parseClock(pp.RebootAt); err != nil {
			return errors.New("reboot_at must be a time of day HH:MM with reboot at-time")
		}
	} else if pp.RebootAt != "" {
		return errors.New("reboot_at is only for reboot at-time")
	}
	if pp.MaxDeferrals < 0 || pp.MaxDeferrals > maxDeferrals {
		return fmt.Errorf("max_deferrals must be 0..%d", maxDeferrals)
	}
	if pp.DeferMinutes < 0 || pp.DeferMinutes > 24*60 {
		return errors.New("defer_minutes must be 1..1440")
	}
	if pp.MaxDeferrals > 0 && pp.DeferMinutes == 0 {
		pp.DeferMinutes = defaultDeferMinutes
	}
	if pp.MaxDeferrals > 0 && pp.Reboot == RebootNever && pp.RebootAfterDays == 0 {
		return errors.New("max_deferrals needs a reboot: reboot if-required or at-time, or reboot_after_days")
	}
	return nil
}

// rebootToAPI copies a policy's reboot fields to its API form.
func rebootToAPI(pp *store.PatchPolicy, out *api.PatchPolicy) {
	out.RebootAt, out.DeferMinutes, out.MaxDeferrals = pp.RebootAt, pp.DeferMinutes, pp.MaxDeferrals
}

// leadsReboot reports whether the server leads a policy's reboots (ask,
// postpone, restart at a time) rather than the agent after the install.
func leadsReboot(pp *store.PatchPolicy) bool {
	return pp.Reboot == RebootAtTime || pp.MaxDeferrals > 0
}

// rebootPlan is patchPlan's part for a device with a reboot under way
// (nothing new starts until it is done) or a policy that leads its
// reboots: the install without the agent's own reboot, the reboot
// armed to follow it (or, for the reboot policy, started at once by the
// next stepReboots). ok false leaves the plan to patchPlan.
func (w *Wing) rebootPlan(pp *store.PatchPolicy, e *entry, ids []string, rebootDue bool, now time.Time) (req api.JobRequest, detail string, ok bool) {
	if e.st.RebootStep != "" {
		return api.JobRequest{}, "a reboot is under way: " + w.rebootStatus(pp, &e.st, now), true
	}
	if !leadsReboot(pp) {
		return api.JobRequest{}, "", false
	}
	switch {
	case len(ids) > 0:
		if pp.Reboot != RebootNever || rebootDue {
			// The run that follows is the one start records (none if it
			// cannot start: the step then ends the reboot).
			w.armReboot(e, stepInstall, now)
			e.st.RunID = ""
		}
		return api.JobRequest{Kind: protocol.KindPatchInstall, Patch: &protocol.PatchInstall{IDs: ids, Reboot: RebootNever}}, "", true
	case rebootDue:
		w.armReboot(e, stepDue, now)
		return api.JobRequest{}, "reboot pending since " + e.st.PendingSince.UTC().Format(time.RFC3339) +
			": the restart follows, the user asked first", true
	}
	return api.JobRequest{}, "nothing to install", true
}

// armReboot starts a reboot on an entry at step.
func (w *Wing) armReboot(e *entry, step string, now time.Time) {
	e.st.RebootStep, e.st.RebootDue, e.st.RebootRun = step, now, ""
	if w.reboots == nil {
		w.reboots = map[key]*entry{}
	}
	w.reboots[e.key] = e
}

// endReboot clears a reboot, done or given up.
func endReboot(st *store.AutoState) {
	st.RebootStep, st.RebootDue, st.RebootRun, st.Deferrals = "", time.Time{}, "", 0
}

// devState is what a reboot step needs of a device.
type devState struct {
	Online  bool
	User    string // logged in now ("" = nobody)
	Pending bool   // a reboot pending
	Boot    time.Time
}

// rebootAct is what one advance says: jobs to start in order (the last
// one's run is the step's), and a log line (Outcome "" = none).
type rebootAct struct {
	Jobs    []api.JobRequest
	Outcome string
	Detail  string
}

// advance moves a reboot along as far as it can at now: st is changed
// in place; runs reads a run (false: unknown). It is the whole state
// machine, with no storage, jobs or clock of its own.
func advance(pp *store.PatchPolicy, st *store.AutoState, dev devState, runs func(string) (store.Run, bool), now time.Time,
	loc *time.Location) rebootAct {
	ended := func(id string) (store.Run, bool, bool) {
		if id == "" {
			return store.Run{}, false, false
		}
		r, ok := runs(id)
		return r, ok, ok && store.Terminal(r.State)
	}
	for {
		switch st.RebootStep {
		case stepInstall:
			r, known, done := ended(st.RunID)
			if !known {
				endReboot(st) // the install did not start (logged then)
				return rebootAct{}
			}
			if !done {
				return rebootAct{}
			}
			var res protocol.PatchInstallResult
			_ = json.Unmarshal(r.Data, &res)
			if !res.RebootRequired && !dev.Pending {
				endReboot(st)
				return rebootAct{Outcome: store.AutoNotRequired, Detail: "the install left no reboot pending"}
			}
			st.RebootStep, st.RebootDue = stepDue, now
			if pp.Reboot == RebootAtTime {
				at := r.EndedAt
				if at.IsZero() {
					at = now
				}
				st.RebootDue = nextClock(pp.RebootAt, loc, at)
			}
		case stepDue:
			if now.Before(st.RebootDue) || !dev.Online {
				return rebootAct{}
			}
			if st.Deferrals > 0 && !dev.Pending {
				endReboot(st)
				return rebootAct{Outcome: store.AutoRebooted, Detail: "restarted before the postponed restart"}
			}
			user := httpx.CleanText(dev.User, 64)
			switch {
			case dev.User == "":
				return restartNow(st, 0, "nobody is logged in: restarting without asking")
			case st.Deferrals >= pp.MaxDeferrals:
				act := restartNow(st, noticeSeconds, fmt.Sprintf("no postponement left (%d of %d used): %s told, restarting in 5 minutes",
					st.Deferrals, pp.MaxDeferrals, user))
				notice := &protocol.MessageJob{Title: "Restart in 5 minutes", Text: withMessage(pp.Message,
					"This computer restarts in 5 minutes to finish installing updates. Please save your work now.")}
				act.Jobs = append([]api.JobRequest{{Kind: protocol.KindMessage, Message: notice}}, act.Jobs...)
				return act
			}
			left := pp.MaxDeferrals - st.Deferrals
			q := &protocol.MessageJob{Title: "Restart required", Prompt: true, WaitSeconds: promptWaitSeconds,
				Text: withMessage(pp.Message, fmt.Sprintf("Restart now? Choose No to postpone it by %s (%s left); "+
					"without an answer within %d seconds it restarts.", minutes(pp.DeferMinutes), plural(left, "postponement"), promptWaitSeconds))}
			st.RebootStep, st.RebootRun = stepPrompt, ""
			return rebootAct{Jobs: []api.JobRequest{{Kind: protocol.KindMessage, Message: q}}, Outcome: store.AutoPrompted,
				Detail: fmt.Sprintf("%s asked to restart now (%d of %d postponements used)", user, st.Deferrals, pp.MaxDeferrals)}
		case stepPrompt:
			r, known, done := ended(st.RebootRun)
			if !known {
				endReboot(st)
				return rebootAct{Outcome: store.AutoFailed, Detail: "the question's run is gone"}
			}
			if !done {
				return rebootAct{}
			}
			return answered(pp, st, &r, now, loc)
		case stepPower:
			r, known, done := ended(st.RebootRun)
			switch {
			case !known:
				endReboot(st)
				return rebootAct{Outcome: store.AutoFailed, Detail: "the restart's run is gone"}
			case !done:
				return rebootAct{}
			case r.State != protocol.StateSucceeded:
				endReboot(st)
				return rebootAct{Outcome: store.AutoFailed, Detail: "the restart " + r.State + ": " + httpx.CleanText(r.Reason, 200)}
			}
			st.RebootStep, st.RebootDue = stepRestart, r.EndedAt
			if st.RebootDue.IsZero() {
				st.RebootDue = now
			}
		case stepRestart:
			switch {
			case !dev.Pending || dev.Boot.After(st.RebootDue):
				endReboot(st)
				return rebootAct{Outcome: store.AutoRebooted, Detail: "restarted: no reboot pending any more"}
			case now.After(st.RebootDue.Add(restartWait)):
				endReboot(st)
				return rebootAct{Outcome: store.AutoFailed, Detail: "no restart seen " + restartWait.String() + " after it was sent"}
			}
			return rebootAct{}
		default:
			endReboot(st)
			return rebootAct{}
		}
	}
}

// answered decides on a question's answers: yes, no answer in time or
// none possible restart; "No" postpones while postponements are left.
func answered(pp *store.PatchPolicy, st *store.AutoState, r *store.Run, now time.Time, loc *time.Location) rebootAct {
	var res protocol.MessageResult
	_ = json.Unmarshal(r.Data, &res)
	by := map[string][]string{}
	for _, a := range res.Answers {
		by[a.Answer] = append(by[a.Answer], httpx.CleanText(a.User, 64))
	}
	switch {
	case r.State != protocol.StateSucceeded:
		return restartNow(st, soonSeconds, "the question could not be shown ("+r.State+" "+httpx.CleanText(r.Reason, 200)+"): restarting")
	case len(by["yes"]) > 0:
		return restartNow(st, soonSeconds, strings.Join(by["yes"], ", ")+" answered yes: restarting")
	case len(by["no"]) > 0 && st.Deferrals < pp.MaxDeferrals:
		st.Deferrals++
		st.RebootStep, st.RebootRun, st.RebootDue = stepDue, "", now.Add(time.Duration(max(pp.DeferMinutes, 1))*time.Minute)
		return rebootAct{Outcome: store.AutoDeferred, Detail: fmt.Sprintf("%s postponed the restart (%d of %d) until %s",
			strings.Join(by["no"], ", "), st.Deferrals, pp.MaxDeferrals, st.RebootDue.In(loc).Format("Mon 15:04 MST"))}
	case len(by["no"]) > 0:
		return restartNow(st, soonSeconds, "no postponement left: restarting")
	case len(by["timeout"]) > 0:
		return restartNow(st, soonSeconds, fmt.Sprintf("no answer within %d seconds: restarting", promptWaitSeconds))
	}
	return restartNow(st, soonSeconds, "no answer possible (the message was only shown): restarting")
}

// restartNow sends the restart after delay seconds.
func restartNow(st *store.AutoState, delay int, detail string) rebootAct {
	msg := "Steward: restarting now to finish installing updates."
	if delay > 0 {
		msg = "Steward: restarting in " + minutes(delay/60) + " to finish installing updates. Please save your work."
	}
	st.RebootStep, st.RebootRun = stepPower, ""
	return rebootAct{Jobs: []api.JobRequest{{Kind: protocol.KindPower, Power: &protocol.PowerAction{Action: "reboot",
		DelaySeconds: delay, Message: msg}}}, Outcome: store.AutoRebooting, Detail: detail}
}

// withMessage puts the policy's message before text, cut to what a
// message job holds.
func withMessage(policy, text string) string {
	if policy == "" {
		return text
	}
	room := protocol.MaxMessageText - len(text) - 2
	if len(policy) > room {
		policy = strings.ToValidUTF8(policy[:room], "")
	}
	return policy + "\n\n" + text
}

func minutes(n int) string { return plural(n, "minute") }

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// nextClock is the first HH:MM in loc strictly after t.
func nextClock(at string, loc *time.Location, t time.Time) time.Time {
	h, m, err := parseClock(at)
	if err != nil {
		return t
	}
	l := t.In(loc)
	for d := 0; d < 3; d++ {
		if c := time.Date(l.Year(), l.Month(), l.Day()+d, h, m, 0, 0, loc); c.After(t) {
			return c
		}
	}
	return t.Add(24 * time.Hour)
}

// rebootZone is the zone of a policy's RebootAt: the one the scheduler
// resolved for the device ("device" or "client" zones), else the
// policy's own, else the server's.
func (w *Wing) rebootZone(pp *store.PatchPolicy, e *entry) *time.Location {
	if e != nil && e.loc != nil {
		return e.loc
	}
	if pp.TimeZone != "" {
		if loc, err := time.LoadLocation(pp.TimeZone); err == nil {
			return loc
		}
	}
	return w.d.Config.TimeZone
}

// stepReboots advances every reboot under way (called each tick, under
// w.mu) and returns how long until one needs a look again.
func (w *Wing) stepReboots(now time.Time) time.Duration {
	if w.reboots == nil { // the first tick after load: the stored ones
		w.reboots = map[key]*entry{}
		for k, e := range w.entries {
			if e.st.RebootStep != "" {
				w.reboots[k] = e
			}
		}
	}
	poll := min(w.d.Config.Reconcile, 5*time.Second)
	wait := time.Duration(math.MaxInt64)
	var states []store.AutoState
	var logs []store.AutoRun
	for k, e := range w.reboots {
		p := w.cfg.profiles[e.profile]
		if w.entries[k] != e || e.st.RebootStep == "" || p == nil || p.Patch == nil {
			delete(w.reboots, k)
			continue
		}
		before := e.st
		dev := devState{}
		if v, ok := w.d.Fleet.View(e.device); ok {
			dev = devState{Online: v.Online, User: v.Heartbeat.User, Pending: v.PendingReboot, Boot: v.BootTime}
		}
		act := advance(p.Patch, &e.st, dev, w.readRun, now, w.rebootZone(p.Patch, e))
		var jobID, runID string
		for i := range act.Jobs {
			req := act.Jobs[i]
			req.Devices = []string{e.device}
			origin := fmt.Sprintf("automation: reboot of the patch policy of profile %q (%s/%s)", p.Name, p.ID, PatchTaskID)
			id, runs, _, err := w.d.Runner.RunAutomated(req, origin, now.Add(stepExpiry))
			if err == nil && runs[e.device] == "" {
				err = errors.New("nothing may be sent to the device (pending approval or retired)")
			}
			if err != nil && req.Kind == protocol.KindMessage && i < len(act.Jobs)-1 {
				w.d.Log.Warn("automation reboot notice not sent", "device", e.device, "err", err)
				continue // the notice before a restart: the restart goes on
			}
			if err != nil {
				endReboot(&e.st)
				act.Outcome, act.Detail = store.AutoFailed, httpx.CleanText(act.Detail+"; not sent: "+err.Error(), 300)
				break
			}
			jobID, runID = id, runs[e.device]
		}
		if runID != "" {
			e.st.RebootRun = runID
		}
		if act.Outcome != "" {
			logs = append(logs, store.AutoRun{ID: httpx.NewID("ar"), ProfileID: e.profile, TaskID: e.task, DeviceID: e.device,
				ClientID: e.client, Due: before.RebootDue, At: now, Outcome: act.Outcome, JobID: jobID, RunID: runID, Detail: act.Detail})
		}
		if e.st != before {
			states = append(states, e.st)
		}
		switch {
		case e.st.RebootStep == "":
			delete(w.reboots, k)
		case e.st.RebootStep == stepDue && e.st.RebootDue.After(now) && dev.Online:
			wait = min(wait, e.st.RebootDue.Sub(now))
		default:
			wait = min(wait, poll)
		}
	}
	if len(states)+len(logs) > 0 {
		if err := w.d.Store.SaveAutoStates(states, nil, logs); err != nil {
			w.d.Log.Error("save automation states", "err", err)
		}
		w.count(logs)
	}
	return wait
}

// readRun reads a run for advance.
func (w *Wing) readRun(id string) (store.Run, bool) {
	r, err := w.d.Store.Run(id)
	return r, err == nil
}

// count adds log lines to the metrics by outcome.
func (w *Wing) count(logs []store.AutoRun) {
	if w.d.Metrics == nil {
		return
	}
	n := map[string]int{}
	for i := range logs {
		n[logs[i].Outcome]++
	}
	for o, c := range n {
		w.d.Metrics.Scheduled(o, c)
	}
}

// rebootStatus says where a reboot under way stands, for the compliance
// view and the log.
func (w *Wing) rebootStatus(pp *store.PatchPolicy, st *store.AutoState, now time.Time) string {
	at := st.RebootDue.In(w.rebootZone(pp, w.entries[key{st.ProfileID, st.TaskID, st.DeviceID}])).Format("Mon 15:04 MST")
	switch st.RebootStep {
	case stepInstall:
		return "the install runs; the restart follows if it leaves one pending"
	case stepDue:
		switch {
		case st.Deferrals > 0:
			return fmt.Sprintf("reboot deferred (%d of %d), next at %s", st.Deferrals, pp.MaxDeferrals, at)
		case st.RebootDue.After(now):
			return "waiting for reboot at " + at
		}
		return "reboot due: the user is asked or told next (when online)"
	case stepPrompt:
		return fmt.Sprintf("asking the user to restart now (%d of %d postponements used)", st.Deferrals, pp.MaxDeferrals)
	case stepPower:
		return "restart sent"
	case stepRestart:
		return "restart sent, waiting for the device to come back"
	}
	return ""
}

// rebootCompliance adds a reboot under way to a device's compliance.
func (w *Wing) rebootCompliance(d *api.DeviceCompliance, pp *store.PatchPolicy, st *store.AutoState, worse func(string)) {
	if st.RebootStep == "" || st.RebootStep == stepInstall {
		return
	}
	it := api.ComplianceItem{Policy: "reboot", Item: "reboot", Name: "restart after updates", Status: "waiting-reboot",
		Detail: w.rebootStatus(pp, st, w.d.Now())}
	if st.RebootStep == stepDue {
		it.Next = st.RebootDue
	}
	d.Items = append(d.Items, it)
	worse("waiting-window")
}
