package tickets

import (
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// TestSweepNotices: what the sweep tells and when it looks next, on the
// computed SLA of one ticket: the warning once its time has come, then
// the breach (the warning is not repeated), nothing more after both; a
// breach found before its warning was sent skips the warning; a paused
// clock has no resolution check; a resolved ticket none; a first
// response given late is still told once as a breach.
func TestSweepNotices(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	c := clock{sla: &store.SLA{ID: "s1", Targets: []store.SLATarget{{Priority: "high", FirstResponse: 10, Resolution: 100}}}, warn: 0.8}
	tk := store.Ticket{ID: "t1", SLAID: "s1", Priority: "high", Status: "open", Clock: []store.TicketClockEvent{{At: at, Status: "open"}}}
	step := func(now time.Time) []notice {
		wn := c.compute(&tk, now)
		ns := due(&tk, wn, now)
		tk.SLA.NextCheck = nextCheck(&tk, wn)
		return ns
	}
	if ns := step(at); len(ns) != 0 || !tk.SLA.NextCheck.Equal(at.Add(8*time.Minute)) {
		t.Fatalf("at opening: %v, next %v", ns, tk.SLA.NextCheck)
	}
	ns := step(at.Add(8 * time.Minute))
	if len(ns) != 1 || ns[0].kind != "warning" || ns[0].target != "first_response" || !tk.SLA.NextCheck.Equal(at.Add(10*time.Minute)) {
		t.Fatalf("at 8 min: %+v, next %v", ns, tk.SLA.NextCheck)
	}
	if ns := step(at.Add(9 * time.Minute)); len(ns) != 0 {
		t.Fatalf("the warning again: %+v", ns)
	}
	ns = step(at.Add(10 * time.Minute))
	if len(ns) != 1 || ns[0].kind != "breach" || !tk.SLA.NextCheck.Equal(at.Add(80*time.Minute)) {
		t.Fatalf("at 10 min: %+v, next %v", ns, tk.SLA.NextCheck)
	}
	// 200 minutes on at once: the resolution breach, without its warning.
	ns = step(at.Add(200 * time.Minute))
	if len(ns) != 1 || ns[0].kind != "breach" || ns[0].target != "resolution" || !tk.SLA.NextCheck.IsZero() {
		t.Fatalf("at 200 min: %+v, next %v", ns, tk.SLA.NextCheck)
	}
	if ns := step(at.Add(300 * time.Minute)); len(ns) != 0 {
		t.Fatalf("after everything was told: %+v", ns)
	}

	// Paused at 5 min: only the first response is checked.
	tk = store.Ticket{ID: "t2", SLAID: "s1", Priority: "high", Status: "pending", Clock: []store.TicketClockEvent{{At: at, Status: "open"},
		{At: at.Add(5 * time.Minute), Status: "pending", Paused: true}}}
	if ns := step(at.Add(5 * time.Minute)); len(ns) != 0 || !tk.SLA.NextCheck.Equal(at.Add(8*time.Minute)) {
		t.Fatalf("paused: %+v, next %v", ns, tk.SLA.NextCheck)
	}
	tk.SLA.FirstResponseAt = at.Add(6 * time.Minute) // answered in time
	if ns := step(at.Add(500 * time.Minute)); len(ns) != 0 || !tk.SLA.NextCheck.IsZero() || !tk.SLA.ResolutionBreached.IsZero() {
		t.Fatalf("paused and answered, long after: %+v, next %v, %+v", ns, tk.SLA.NextCheck, tk.SLA)
	}
	// Resolved: nothing, whatever is due.
	tk.Status = "resolved"
	tk.Clock = append(tk.Clock, store.TicketClockEvent{At: at.Add(501 * time.Minute), Status: "resolved", Stopped: true})
	if ns := step(at.Add(900 * time.Minute)); len(ns) != 0 || !tk.SLA.NextCheck.IsZero() {
		t.Fatalf("resolved: %+v, next %v", ns, tk.SLA.NextCheck)
	}
	// Answered late (between two sweeps): the breach is still told, once.
	tk = store.Ticket{ID: "t3", SLAID: "s1", Priority: "high", Status: "open", Clock: []store.TicketClockEvent{{At: at, Status: "open"}}}
	tk.SLA.FirstResponseAt = at.Add(12 * time.Minute)
	ns = step(at.Add(12 * time.Minute))
	if len(ns) != 1 || ns[0].kind != "breach" || ns[0].target != "first_response" {
		t.Fatalf("late answer: %+v", ns)
	}
	if ns := step(at.Add(13 * time.Minute)); len(ns) != 0 {
		t.Fatalf("late answer again: %+v", ns)
	}
}
