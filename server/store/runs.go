package store

import (
	"time"
)

// Run states. They are the protocol's run states (a server test checks
// that they match); the store needs them to apply run changes and to keep
// a job's counts, without importing the protocol.
const (
	StateQueued    = "queued"
	StateSent      = "sent"
	StateRunning   = "running"
	StateSucceeded = "succeeded"
	StateFailed    = "failed"
	StateTimedOut  = "timed_out"
	StateCancelled = "cancelled"
	StateExpired   = "expired"
)

// Terminal reports whether a run in state can never change again.
func Terminal(state string) bool {
	switch state {
	case StateSucceeded, StateFailed, StateTimedOut, StateCancelled, StateExpired:
		return true
	}
	return false
}

// RunOp is one change to a run, applied by JobStore.ApplyRunOps. Exactly
// one of Output, Advance, Finish, Data and Cancel is set. The rules of each
// change are the methods below, so every implementation applies the same.
type RunOp struct {
	RunID string
	// Device, when set, must own the run: one agent can never write
	// another device's runs. A mismatch fails like an unknown run.
	Device  string
	Output  *OutputOp
	Advance *RunAdvance
	Finish  *RunFinish
	// Data replaces the run's kind-specific result (a confirmed reboot).
	Data []byte
	// Cancel records a cancel that could not reach the device yet.
	Cancel bool
}

// OutputOp appends an output chunk idempotently: a chunk (or the part of
// it) already stored is skipped, a chunk past a gap is refused so the
// agent's resend fills the gap in order, output beyond Cap bytes per
// stream marks the run truncated, and nothing is stored once the run is
// terminal.
type OutputOp struct {
	Stream string // stdout or stderr
	Offset int64
	Data   []byte
	Cap    int64
}

// Apply decides what of the chunk r takes: it returns the offset and bytes
// to store (none when nothing is new) and advances r's byte counts.
func (o *OutputOp) Apply(r *Run) (int64, []byte, bool) {
	if Terminal(r.State) || (o.Stream != "stdout" && o.Stream != "stderr") {
		return 0, nil, false
	}
	cur := &r.Stdout
	if o.Stream == "stderr" {
		cur = &r.Stderr
	}
	end := o.Offset + int64(len(o.Data))
	if end <= *cur || o.Offset > *cur {
		return 0, nil, false // duplicate, or a gap the agent fills on resend
	}
	at := *cur
	data := o.Data[at-o.Offset:]
	if room := o.Cap - at; int64(len(data)) > room {
		data = data[:max(room, 0)]
		r.Truncated = true
	}
	// Offsets keep counting past the cap so later chunks stay in order.
	*cur = end
	return at, data, true
}

// RunAdvance moves a run forward to a non-terminal state (sent, running).
type RunAdvance struct {
	State  string
	Reason string // kept when not empty
	At     time.Time
}

// Apply changes r and reports whether it changed: never a terminal run,
// never to the state it has, never back from running to sent.
func (a *RunAdvance) Apply(r *Run) bool {
	if Terminal(r.State) || r.State == a.State {
		return false
	}
	if a.State == StateSent && r.State == StateRunning {
		return false
	}
	r.State = a.State
	switch a.State {
	case StateSent:
		r.SentAt = a.At
	case StateRunning:
		if r.StartedAt.IsZero() {
			r.StartedAt = a.At
		}
	}
	if a.Reason != "" {
		r.Reason = a.Reason
	}
	return true
}

// RunFinish moves a run to its terminal state. Only the first finish of a
// run counts: a result delivered again changes nothing, and the run
// returned is the one the first result made.
type RunFinish struct {
	State    string
	Reason   string
	ExitCode int
	At       time.Time // when the server took the result
	// Started and Ended are the agent's times, used when set.
	Started, Ended time.Time
	Truncated      bool
	Data           []byte // kind-specific result JSON, already validated
}

// Apply changes r and reports whether it changed.
func (f *RunFinish) Apply(r *Run) bool {
	if Terminal(r.State) {
		return false
	}
	r.State, r.Reason, r.ExitCode, r.EndedAt = f.State, f.Reason, f.ExitCode, f.At
	if !f.Started.IsZero() {
		r.StartedAt = f.Started
	}
	if !f.Ended.IsZero() {
		r.EndedAt = f.Ended
	}
	r.Truncated = r.Truncated || f.Truncated
	if len(f.Data) > 0 {
		r.Data = append([]byte(nil), f.Data...)
	}
	return true
}

// Apply applies a non-output op to r and reports whether r changed.
func (op *RunOp) Apply(r *Run) bool {
	switch {
	case op.Advance != nil:
		return op.Advance.Apply(r)
	case op.Finish != nil:
		return op.Finish.Apply(r)
	case op.Data != nil:
		r.Data = append([]byte(nil), op.Data...)
		return true
	case op.Cancel:
		if r.CancelRequested {
			return false
		}
		r.CancelRequested = true
		return true
	}
	return false
}

// RunOpResult is the outcome of one RunOp.
type RunOpResult struct {
	Run     Run
	Changed bool
	Stored  int // output bytes newly stored
	Err     error
	// JobDone is set on the op after which no run of the job can change.
	JobDone bool
}
