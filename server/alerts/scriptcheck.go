package alerts

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/store"
)

// KindScript is a script check: a library script (Target NAME@VERSION,
// pinned) run every Window minutes on each device the check is in force
// on, as a job; exit 0 passes, Warning (default 1) warns, Critical
// (default 2) and any other non-zero exit are critical.
const KindScript = "script"

// maxScriptEvery bounds a script check's interval in minutes (a day).
const maxScriptEvery = 1440

// ScriptRunner runs script checks as jobs (the jobs wing, through the
// wiring).
type ScriptRunner interface {
	// RunCheck starts the library script on the device and returns the run.
	RunCheck(deviceID, library, check string) (runID string, err error)
	// CheckResult reports the run: done once terminal, its state, exit
	// code and first line of output.
	CheckResult(runID string) (done bool, state string, exit int, firstLine string, err error)
}

// scriptState is one script check on one device between evaluations:
// at most one run of it is in flight.
type scriptState struct {
	starting  bool
	running   string    // the run in flight
	startedAt time.Time // the last start (or failed attempt)
	seq, used uint64    // results received; the last one evaluated
	state     string
	exit      int
	line      string
	seen      uint64 // the last round that evaluated it
}

// scriptKey names a script check on a device.
type scriptKey struct{ device, profile, check string }

// scriptStart is a run to start after an evaluation.
type scriptStart struct {
	key     scriptKey
	library string
}

// validateScript checks a script check's library reference and codes.
func validateScript(c *store.Check) error {
	i := strings.LastIndexByte(c.Target, '@')
	if i <= 0 {
		return fmt.Errorf("check %q: a script check's target is a library script pinned as NAME@VERSION", c.ID)
	}
	if v, err := strconv.Atoi(c.Target[i+1:]); err != nil || v < 1 {
		return fmt.Errorf("check %q: a script check's target is a library script pinned as NAME@VERSION", c.ID)
	}
	if c.Window == 0 {
		c.Window = 15
	}
	if c.Window < 1 || c.Window > maxScriptEvery {
		return fmt.Errorf("check %q: a script check runs every 1..%d minutes (window)", c.ID, maxScriptEvery)
	}
	for _, v := range []float64{c.Warning, c.Critical} {
		if v != float64(int(v)) || v > 255 {
			return fmt.Errorf("check %q: a script check's warning and critical are exit codes 1..255", c.ID)
		}
	}
	if c.Warning == 0 {
		c.Warning = 1
	}
	if c.Critical == 0 {
		c.Critical = 2
	}
	if c.Severity != "" {
		return fmt.Errorf("check %q: a script check takes its severity from its exit code", c.ID)
	}
	return nil
}

// evalScript judges a script check on a device by its newest finished
// run, and asks for a run when one is due (never while one is in flight;
// not while the device is offline).
func evalScript(out []result, c *store.Check, f *facts) []result {
	k := scriptKey{f.s.ID, f.profile, c.ID}
	ss := f.scripts[k]
	if ss == nil {
		ss = &scriptState{}
		f.scripts[k] = ss
	}
	ss.seen = f.round
	every := time.Duration(max(c.Window, 1)) * f.minute
	if f.s.Online && !ss.starting && ss.running == "" && (ss.startedAt.IsZero() || f.now.Sub(ss.startedAt) >= every) {
		ss.starting = true
		*f.due = append(*f.due, scriptStart{key: k, library: c.Target})
	}
	r := result{kind: KindScript, target: "", label: c.Target, unknown: true}
	if ss.seq == ss.used {
		return append(out, r)
	}
	ss.used = ss.seq
	switch ss.state {
	case protocol.StateSucceeded, protocol.StateFailed:
	default: // expired, cancelled: nothing to judge by
		return append(out, r)
	}
	r.unknown, r.count = false, ss.exit
	r.text = fmt.Sprintf("exit %d", ss.exit)
	if ss.line != "" {
		r.text += ": " + ss.line
	}
	switch {
	case ss.state == protocol.StateSucceeded && ss.exit == 0:
	case ss.exit == int(c.Warning):
		r.sev = SevWarning
	default:
		r.sev = SevCritical
	}
	return append(out, r)
}

// startScripts starts the runs an evaluation found due, outside mu.
func (w *Wing) startScripts(due []scriptStart) {
	if len(due) == 0 {
		return
	}
	go func() {
		for _, d := range due {
			runID, err := "", fmt.Errorf("no script runner")
			if w.d.Scripts != nil {
				runID, err = w.d.Scripts.RunCheck(d.key.device, d.library, d.library)
			}
			now := w.d.Now()
			w.mu.Lock()
			if ss := w.scripts[d.key]; ss != nil {
				ss.starting, ss.startedAt, ss.running = false, now, runID
			}
			w.mu.Unlock()
			if err != nil {
				w.d.Log.Warn("script check", "device", d.key.device, "script", d.library, "err", err)
			}
		}
	}()
}

// scriptLoop collects finished script check runs every second.
func (w *Wing) scriptLoop(ctx context.Context) {
	if w.d.Scripts == nil {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.mu.Lock()
		running := map[scriptKey]string{}
		for k, ss := range w.scripts {
			if ss.running != "" {
				running[k] = ss.running
			}
		}
		w.mu.Unlock()
		for k, runID := range running {
			done, state, exit, line, err := w.d.Scripts.CheckResult(runID)
			if err != nil || !done {
				continue
			}
			w.mu.Lock()
			if ss := w.scripts[k]; ss != nil && ss.running == runID {
				ss.running, ss.state, ss.exit, ss.line = "", state, exit, line
				ss.seq++
			}
			w.mu.Unlock()
		}
	}
}
