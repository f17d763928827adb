// Jobs: receive, spool, run, report the result and wait for its ack. The
// executors of each job kind are in executors.go and healthjobs.go.

package agent

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/steward-rmm/steward/agent/spool"
	"github.com/steward-rmm/steward/protocol"
)

type activeRun struct {
	cancel context.CancelFunc
	out    *spool.Output
}

// recoverSpool ends runs that were executing when the agent stopped: they
// can not be resumed, and must not dangle.
func (a *Agent) recoverSpool() {
	recs, err := a.spool.Pending()
	if err != nil {
		a.log.Error("read spool", "err", err)
		return
	}
	for _, r := range recs {
		if r.State == spool.Running {
			res := protocol.JobResult{RunID: r.RunID, State: protocol.StateFailed, ExitCode: -1,
				Reason: "agent restarted", Ended: time.Now().UTC()}
			if err := a.spool.Finish(res); err != nil {
				a.log.Error("spool finish", "run", r.RunID, "err", err)
			}
		}
	}
	a.spool.Prune(8 * 24 * time.Hour)
}

func (a *Agent) onJob(s *session, j protocol.Job) {
	rec, dup, err := a.spool.Begin(j)
	if err != nil {
		s.send(protocol.MustEncode(protocol.TypeJobAck, "", protocol.JobAck{RunID: j.RunID, Refused: err.Error()}))
		return
	}
	if dup {
		s.send(protocol.MustEncode(protocol.TypeJobAck, "", protocol.JobAck{RunID: j.RunID, Duplicate: true}))
		if rec.Result != nil {
			a.resend(s, rec)
		}
		return
	}
	if !j.Expires.IsZero() && time.Now().After(j.Expires) {
		res := protocol.JobResult{RunID: j.RunID, State: protocol.StateFailed, ExitCode: -1, Reason: "expired before it could start"}
		_ = a.spool.Finish(res)
		s.send(protocol.MustEncode(protocol.TypeJobAck, "", protocol.JobAck{RunID: j.RunID}))
		a.sendResult(res)
		return
	}
	go a.execute(j)
}

// resend sends a spooled run's output and, when finished, its result.
func (a *Agent) resend(s *session, r spool.Record) {
	a.mu.Lock()
	act := a.active[r.RunID]
	a.mu.Unlock()
	send := func() {
		for _, stream := range []string{"stdout", "stderr"} {
			b := a.spool.ReadOutput(r.RunID, stream)
			for off := 0; off < len(b); off += protocol.MaxChunk {
				end := min(off+protocol.MaxChunk, len(b))
				s.send(protocol.MustEncode(protocol.TypeJobOutput, "", protocol.JobOutput{RunID: r.RunID, Stream: stream,
					Offset: int64(off), Data: b[off:end]}))
			}
		}
	}
	if act != nil {
		act.out.Locked(send) // no live chunk may interleave with the resend
	} else {
		send()
	}
	if r.State == spool.Done && r.Result != nil {
		s.send(protocol.MustEncode(protocol.TypeJobResult, "", r.Result))
	}
}

// ackDelay is how long a run may take before the agent acknowledges it
// separately; a run that ends sooner is reported by one result message
// carrying its output (protocol 2), which is most of a fleet-wide fan-out.
const ackDelay = 50 * time.Millisecond

func (a *Agent) execute(j protocol.Job) {
	ctx, cancel := context.WithCancel(a.ctx)
	defer cancel()
	if j.Timeout > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, time.Duration(j.Timeout)*time.Second+5*time.Second)
		defer c2()
	}
	out := a.spool.Writer(j.RunID)
	a.mu.Lock()
	a.active[j.RunID] = &activeRun{cancel: cancel, out: out}
	inline := a.welcome.ProtocolVersion >= 2
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.active, j.RunID)
		a.mu.Unlock()
	}()
	// Until acked, output is only spooled; held chunks go out with the ack
	// or inline with the result.
	type held struct {
		stream string
		off    int64
		data   []byte
	}
	var pending []held
	acked := !inline
	truncated := false
	sendChunk := func(stream string, off int64, data []byte) {
		a.send(protocol.MustEncode(protocol.TypeJobOutput, "", protocol.JobOutput{RunID: j.RunID, Stream: stream,
			Offset: off, Data: data}))
	}
	ack := func() {
		out.Locked(func() {
			if acked {
				return
			}
			acked = true
			a.send(protocol.MustEncode(protocol.TypeJobAck, "", protocol.JobAck{RunID: j.RunID}))
			for _, h := range pending {
				sendChunk(h.stream, h.off, h.data)
			}
			pending = nil
		})
	}
	if acked {
		a.send(protocol.MustEncode(protocol.TypeJobAck, "", protocol.JobAck{RunID: j.RunID}))
	}
	timer := time.AfterFunc(ackDelay, ack)
	emit := func(stream string, b []byte) {
		out.Append(stream, b, func(off int64, kept []byte, trunc bool) {
			truncated = truncated || trunc
			if len(kept) == 0 {
				return
			}
			if !acked {
				pending = append(pending, held{stream, off, append([]byte(nil), kept...)})
				return
			}
			sendChunk(stream, off, kept)
		})
	}
	started := time.Now().UTC()
	var res protocol.JobResult
	if ex := a.execs[j.Kind]; ex == nil {
		res = protocol.JobResult{State: protocol.StateFailed, ExitCode: -1,
			Reason: fmt.Sprintf("job kind %q is not supported on %s", j.Kind, runtime.GOOS)}
	} else {
		res = ex(ctx, j, emit)
	}
	res.RunID = j.RunID
	if res.Started.IsZero() {
		res.Started = started
	}
	if res.Ended.IsZero() {
		res.Ended = time.Now().UTC()
	}
	res.Truncated = res.Truncated || truncated
	if res.ExitCode == 3010 && runtime.GOOS == "windows" {
		a.mu.Lock()
		a.saw3010 = true
		a.mu.Unlock()
	}
	if err := a.spool.Finish(res); err != nil {
		a.log.Error("spool result", "run", j.RunID, "err", err)
	}
	timer.Stop()
	// Inline the held output when it is small; otherwise ack and stream it.
	out.Locked(func() {
		if acked {
			return
		}
		size := map[string]int{}
		for _, h := range pending {
			size[h.stream] += len(h.data)
		}
		if size["stdout"] > protocol.MaxChunk || size["stderr"] > protocol.MaxChunk {
			return
		}
		for _, h := range pending {
			if h.stream == "stdout" {
				res.Stdout = append(res.Stdout, h.data...)
			} else {
				res.Stderr = append(res.Stderr, h.data...)
			}
		}
		pending, acked = nil, true
	})
	ack() // no-op when inlined
	a.sendResult(res)
}

// sendResult sends a stored result; without a connection it waits in the
// spool for the next one.
func (a *Agent) sendResult(res protocol.JobResult) {
	a.send(protocol.MustEncode(protocol.TypeJobResult, "", res))
}

// waitAck waits until the server acknowledged a result, or d passes.
func (a *Agent) waitAck(runID string, d time.Duration) bool {
	a.mu.Lock()
	ch := make(chan struct{})
	a.acks[runID] = ch
	a.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-time.After(d):
		a.mu.Lock()
		delete(a.acks, runID)
		a.mu.Unlock()
		return false
	}
}
