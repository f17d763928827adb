package automation

import (
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestEveryAnchor: an every schedule with a Start is due at Start +
// k*every: at the anchor's phase (not the epoch's), a future Start is
// the first occurrence, and intervals are instants apart whatever the
// time zone's daylight-saving changes.
func TestEveryAnchor(t *testing.T) {
	for _, c := range []struct {
		name               string
		every              int
		start, after, want string
		zone               string
	}{
		{"every 4 h from 08:00, mid-interval", 4 * 3600, "2026-12-01T08:00:00Z", "2026-12-07T09:00:00Z", "2026-12-07T12:00:00Z", ""},
		{"exactly on an occurrence: the next one", 4 * 3600, "2026-12-01T08:00:00Z", "2026-12-07T12:00:00Z", "2026-12-07T16:00:00Z", ""},
		{"90 min from 08:20: not the epoch's 10:30", 5400, "2026-12-07T08:20:00Z", "2026-12-07T10:00:00Z", "2026-12-07T11:20:00Z", ""},
		{"a Start in the future is the first occurrence", 3600, "2026-12-09T08:00:00Z", "2026-12-07T10:00:00Z", "2026-12-09T08:00:00Z", ""},
		{"just before a future Start", 3600, "2026-12-07T10:00:00Z", "2026-12-07T09:59:59Z", "2026-12-07T10:00:00Z", ""},
		// Paris goes to summer time on 2026-03-29 at 01:00 UTC: a 24 h
		// interval stays 24 h of real time (09:00 then 10:00 local).
		{"24 h over the spring change in Paris", 86400, "2026-03-28T08:00:00Z", "2026-03-28T09:00:00Z", "2026-03-29T08:00:00Z", "Europe/Paris"},
		{"6 h over the autumn change in Paris", 6 * 3600, "2026-10-24T22:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T04:00:00Z", "Europe/Paris"},
	} {
		sc := mustCompile(t, store.AutoSchedule{Kind: SchedEvery, Every: c.every, Start: at(t, c.start), TimeZone: c.zone})
		if got := sc.nextBase(at(t, c.after), nil); !got.Equal(at(t, c.want)) {
			t.Errorf("%s: after %s got %s, want %s", c.name, c.after, got.Format(time.RFC3339), c.want)
		}
	}
	// Without a Start (saved before anchors): the epoch, as before.
	sc := mustCompile(t, store.AutoSchedule{Kind: SchedEvery, Every: 5400})
	if got := sc.nextBase(at(t, "2026-12-07T10:00:00Z"), nil); !got.Equal(at(t, "2026-12-07T10:30:00Z")) {
		t.Errorf("no Start: got %s, want the epoch-aligned 10:30", got.Format(time.RFC3339))
	}
	if _, err := compile(&store.AutoSchedule{Kind: SchedDaily, At: "03:00", Start: at(t, "2026-12-07T10:00:00Z")}, time.UTC, time.Minute); err == nil {
		t.Error("a daily schedule with a Start was accepted")
	}
}

// TestAnchorTasks: an every task saved without a Start is anchored at
// the save time; an edit keeps the anchor while the interval is the
// same (also a pre-anchor zero), a new interval takes the edit's time,
// and a given Start is kept (in UTC, to the second).
func TestAnchorTasks(t *testing.T) {
	saved := at(t, "2026-12-07T09:13:27Z")
	edit := saved.Add(3 * time.Hour)
	every := func(id string, n int, start time.Time) store.AutoTask {
		return store.AutoTask{ID: id, Schedule: store.AutoSchedule{Kind: SchedEvery, Every: n, Start: start}}
	}
	tasks := []store.AutoTask{every("a", 3600, time.Time{}), {ID: "d", Schedule: store.AutoSchedule{Kind: SchedDaily, At: "03:00"}}}
	anchorTasks(tasks, nil, saved.Add(400*time.Millisecond))
	if !tasks[0].Schedule.Start.Equal(saved) || !tasks[1].Schedule.Start.IsZero() {
		t.Fatalf("new tasks anchored at %v and %v; want the save time and none for daily", tasks[0].Schedule.Start, tasks[1].Schedule.Start)
	}
	old := tasks
	paris, _ := time.LoadLocation("Europe/Paris")
	given := time.Date(2026, 12, 24, 8, 0, 0, 5, paris)
	next := []store.AutoTask{every("a", 3600, time.Time{}), every("b", 7200, time.Time{}), every("c", 60, given)}
	anchorTasks(next, append(old, every("b", 3600, saved), every("c", 60, saved)), edit)
	switch {
	case !next[0].Schedule.Start.Equal(saved):
		t.Errorf("an edit moved an unchanged task's anchor to %v", next[0].Schedule.Start)
	case !next[1].Schedule.Start.Equal(edit):
		t.Errorf("a new interval kept the old anchor: %v", next[1].Schedule.Start)
	case !next[2].Schedule.Start.Equal(given.Truncate(time.Second)) || next[2].Schedule.Start.Location() != time.UTC:
		t.Errorf("a given Start became %v", next[2].Schedule.Start)
	}
	legacy := []store.AutoTask{every("a", 3600, time.Time{})}
	anchorTasks(legacy, []store.AutoTask{every("a", 3600, time.Time{})}, edit)
	if !legacy[0].Schedule.Start.IsZero() {
		t.Errorf("editing a task saved before anchors moved it off the epoch: %v", legacy[0].Schedule.Start)
	}
}

// TestSchedulerAnchorPhase: an hourly task anchored at 09:37 with ten
// minutes' spread starts each device once in [09:37, 09:47), not at the
// next full hour, and a server restart in the middle of the occurrence
// keeps the phase: the next occurrence is [10:37, 10:47).
func TestSchedulerAnchorPhase(t *testing.T) {
	r := newRig(t, 400) // the rig's clock starts at 09:30
	p := hourly(600)
	anchor := time.Date(2026, 12, 7, 9, 37, 0, 0, time.UTC)
	p.Tasks[0].Schedule.Start = anchor
	r.profile(p, store.ProfileAssignment{Level: store.LevelDefault})
	r.until(anchor.Add(4 * time.Minute))
	first := r.runner.taken()
	r.w = r.build() // restart in the middle of the occurrence
	r.until(anchor.Add(90 * time.Minute))
	starts := append(first, r.runner.taken()...)
	if len(first) == 0 || len(first) == 400 {
		t.Fatalf("%d of 400 started before the restart; want the occurrence cut in the middle", len(first))
	}
	per := map[string][2]int{}
	for _, s := range starts {
		off := s.at.Sub(anchor)
		k := int(off / time.Hour)
		if off < 0 || off%time.Hour >= 10*time.Minute+minWait || k > 1 {
			t.Fatalf("device %s started at %s: outside the anchored occurrences", s.device, s.at.Format(time.TimeOnly))
		}
		c := per[s.device]
		c[k]++
		per[s.device] = c
	}
	if len(per) != 400 {
		t.Fatalf("%d of 400 devices started", len(per))
	}
	for d, c := range per {
		if c != [2]int{1, 1} {
			t.Fatalf("device %s started %v times in the 09:37 and 10:37 occurrences, want once each", d, c)
		}
	}
}
