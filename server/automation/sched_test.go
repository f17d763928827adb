package automation

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// testFleet is the fleet as the scheduler reads it: samples a test sets.
type testFleet struct {
	mu      sync.Mutex
	samples map[string]*fleet.Sample
}

func (f *testFleet) Samples(buf []fleet.Sample) []fleet.Sample {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.samples {
		buf = append(buf, *s)
	}
	return buf
}

func (f *testFleet) View(id string) (fleet.View, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.samples[id]
	if !ok {
		return fleet.View{}, false
	}
	return fleet.View{ID: s.ID, Client: s.ClientID, Group: s.Group, Online: s.Online, PendingReboot: s.Heartbeat.PendingReboot,
		Heartbeat: protocol.Heartbeat{User: s.Heartbeat.User}}, true
}

func (f *testFleet) set(id string, fn func(s *fleet.Sample)) {
	f.mu.Lock()
	fn(f.samples[id])
	f.mu.Unlock()
}

// testStore is the real bolt store with the runs' states a test decides
// (the jobs wing is not part of a scheduler unit test).
type testStore struct {
	*boltstore.DB
	mu   sync.Mutex
	runs map[string]string // run ID -> state
}

func (s *testStore) Run(id string) (store.Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.runs[id]
	if !ok {
		return store.Run{}, store.ErrNotFound
	}
	return store.Run{ID: id, State: st}, nil
}

// start is one device's start as the runner saw it.
type start struct {
	device, kind, library string
	reboot                string // a patch install's
	at, expires           time.Time
}

// testRunner records the jobs the scheduler creates; their runs stay
// running until the test ends them (end false) or end at once.
type testRunner struct {
	mu     sync.Mutex
	st     *testStore
	now    func() time.Time
	starts []start
	jobs   int
	keep   bool // runs stay in flight
}

func (r *testRunner) RunAutomated(req api.JobRequest, origin string, expires time.Time) (string, map[string]string, []string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.jobs++
	job := fmt.Sprintf("j%d", r.jobs)
	runs := map[string]string{}
	for _, d := range req.Devices {
		id := fmt.Sprintf("r%d-%s", r.jobs, d)
		runs[d] = id
		state := protocol.StateSucceeded
		if r.keep {
			state = protocol.StateQueued
		}
		r.st.mu.Lock()
		r.st.runs[id] = state
		r.st.mu.Unlock()
		s := start{device: d, kind: req.Kind, library: req.Library, at: r.now(), expires: expires}
		if req.Patch != nil {
			s.reboot = req.Patch.Reboot
		}
		r.starts = append(r.starts, s)
	}
	return job, runs, nil, nil
}

func (r *testRunner) taken() []start {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.starts
	r.starts = nil
	return out
}

// metricsRec counts outcomes.
type metricsRec struct {
	mu sync.Mutex
	n  map[string]int
}

func (m *metricsRec) SchedulerTick(time.Duration) {}

func (m *metricsRec) Scheduled(o string, n int) {
	m.mu.Lock()
	m.n[o] += n
	m.mu.Unlock()
}

type rig struct {
	t      testing.TB
	dir    string
	st     *testStore
	fleet  *testFleet
	runner *testRunner
	met    *metricsRec
	now    time.Time
	w      *Wing
	czones testClientZones
}

func newRig(t testing.TB, devices int) *rig {
	t.Helper()
	r := &rig{t: t, dir: t.TempDir(), fleet: &testFleet{samples: map[string]*fleet.Sample{}},
		now: time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC), met: &metricsRec{n: map[string]int{}}}
	db, err := boltstore.Open(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.st.DB.Close() })
	r.st = &testStore{DB: db, runs: map[string]string{}}
	for i := range devices {
		id := fmt.Sprintf("d%05d", i)
		r.fleet.samples[id] = &fleet.Sample{ID: id, ClientID: "c1", Online: true}
	}
	r.runner = &testRunner{st: r.st, now: func() time.Time { return r.now }}
	r.czones = testClientZones{}
	r.w = r.build()
	return r
}

// build makes a wing over the rig's store, as a server start does.
func (r *rig) build() *Wing {
	w := New(Deps{Config: Config{TimeZone: time.UTC, Reconcile: time.Minute}, Store: r.st, Fleet: r.fleet, Runner: r.runner,
		Metrics: r.met, Now: func() time.Time { return r.now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clients: r.czones})
	if err := w.load(); err != nil {
		r.t.Fatal(err)
	}
	return w
}

// until runs the wing's loop on the fake clock: tick, sleep what the
// tick asks, until end.
func (r *rig) until(end time.Time) {
	for r.now.Before(end) {
		wait := r.w.tick(r.now)
		r.now = r.now.Add(wait)
		if r.now.After(end) {
			r.now = end
		}
	}
	r.w.tick(r.now)
}

func (r *rig) profile(p store.AutoProfile, assign ...store.ProfileAssignment) {
	r.t.Helper()
	if err := r.st.PutAutoProfile(p); err != nil {
		r.t.Fatal(err)
	}
	for _, a := range assign {
		a.ProfileID = p.ID
		if err := r.st.SetAutoAssignment(a); err != nil {
			r.t.Fatal(err)
		}
	}
	if err := r.w.reload(); err != nil {
		r.t.Fatal(err)
	}
}

func hourly(spread int) store.AutoProfile {
	return store.AutoProfile{ID: "ap1", Name: "Hourly", Tasks: []store.AutoTask{{ID: "t1", Name: "scan", Action: ActionPatchScan,
		Schedule: store.AutoSchedule{Kind: SchedEvery, Every: 3600}, Spread: spread}}}
}

// TestSchedulerSpreadsAndRunsEachOnce: 1,000 devices with a task every
// hour spread over ten minutes, three hours on the fake clock: every
// device starts exactly once an hour, each start inside its hour's
// first ten minutes, and the starts spread over the ten minutes.
func TestSchedulerSpreadsAndRunsEachOnce(t *testing.T) {
	r := newRig(t, 1000)
	r.profile(hourly(600), store.ProfileAssignment{Level: store.LevelDefault})
	r.until(r.now.Add(3 * time.Hour))
	starts := r.runner.taken()
	perHour := map[string]map[int]int{}
	var minutes [10]int
	for _, s := range starts {
		h := int(s.at.Sub(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)) / time.Hour)
		if perHour[s.device] == nil {
			perHour[s.device] = map[int]int{}
		}
		perHour[s.device][h]++
		off := s.at.Sub(s.at.Truncate(time.Hour))
		if off >= 10*time.Minute+minWait {
			t.Fatalf("start %v is %v after the hour, past the spread", s.at, off)
		}
		minutes[min(int(off/time.Minute), 9)]++
	}
	if len(perHour) != 1000 {
		t.Fatalf("%d devices started, want 1000", len(perHour))
	}
	for d, hs := range perHour {
		if len(hs) != 3 || hs[0] != 1 || hs[1] != 1 || hs[2] != 1 {
			t.Fatalf("device %s started %v by hour, want once in each of 3 hours", d, hs)
		}
	}
	for m, n := range minutes {
		if n < 3*1000/10*7/10 || n > 3*1000/10*13/10 {
			t.Fatalf("minute %d of the spread had %d starts of %d: not spread (%v)", m, n, len(starts), minutes)
		}
	}
	if r.met.n[store.AutoStarted] != 3000 || len(r.met.n) != 1 {
		t.Fatalf("metrics %v, want 3000 started and nothing else", r.met.n)
	}
	if r.runner.jobs > 3*int(10*time.Minute/minWait)+3 {
		t.Fatalf("%d jobs for 3000 starts: devices due together should share one", r.runner.jobs)
	}
}

// TestSchedulerRestart: a server restart (a new wing on the same store)
// neither runs an occurrence again nor skips one, and an occurrence
// missed while the server was down runs once at start.
func TestSchedulerRestart(t *testing.T) {
	r := newRig(t, 300)
	r.profile(hourly(600), store.ProfileAssignment{Level: store.LevelDefault})
	r.until(r.now.Add(35 * time.Minute)) // 10:05: the 10:00 round half done
	first := r.runner.taken()
	r.w = r.build()                      // restart at once
	r.until(r.now.Add(50 * time.Minute)) // 10:55
	second := r.runner.taken()
	count := map[string]int{}
	for _, s := range append(first, second...) {
		count[s.device]++
	}
	if len(first) == 0 || len(first) == 300 {
		t.Fatalf("%d started before the restart; want a round cut in the middle", len(first))
	}
	for d, n := range count {
		if n != 1 {
			t.Fatalf("device %s ran the 10:00 round %d times across the restart", d, n)
		}
	}
	if len(count) != 300 {
		t.Fatalf("%d of 300 devices ran the 10:00 round across the restart", len(count))
	}
	// Down from 11:00 to 11:20 (within the deadline, the next due time):
	// the 11:00 round runs once when the server is back.
	r.now = r.now.Add(20 * time.Minute)
	r.w = r.build()
	r.until(r.now.Add(time.Minute))
	back := r.runner.taken()
	if len(back) != 300 {
		t.Fatalf("%d devices ran the round missed while down, want 300", len(back))
	}
	// Down for two hours: the missed rounds are past their deadline
	// (deadline 30 minutes): logged as skipped, not run.
	p := hourly(600)
	p.Tasks[0].DeadlineMinutes = 30
	r.profile(p)
	r.until(r.now.Add(time.Minute))
	r.runner.taken()
	r.now = r.now.Add(2 * time.Hour)
	r.w = r.build()
	before := r.met.n[store.AutoSkippedDeadline]
	r.until(r.now.Add(time.Second))
	if got := r.met.n[store.AutoSkippedDeadline] - before; got == 0 {
		t.Fatalf("no occurrence skipped past its deadline after two hours down (%v)", r.met.n)
	}
	if n := len(r.runner.taken()); n != 0 {
		t.Fatalf("%d runs started for occurrences past their deadline", n)
	}
}

// TestSchedulerNeverTwoAtOnce: while a device's run has not ended, the
// next occurrence is skipped; once it ends, the following one starts.
func TestSchedulerNeverTwoAtOnce(t *testing.T) {
	r := newRig(t, 1)
	r.runner.keep = true
	r.profile(hourly(0), store.ProfileAssignment{Level: store.LevelDefault})
	r.until(r.now.Add(61 * time.Minute))
	if s := r.runner.taken(); len(s) != 1 {
		t.Fatalf("first occurrence: %d starts", len(s))
	}
	r.until(r.now.Add(time.Hour))
	if s := r.runner.taken(); len(s) != 0 || r.met.n[store.AutoSkippedRunning] != 1 {
		t.Fatalf("second occurrence with the first in flight: %d starts, metrics %v", len(s), r.met.n)
	}
	r.st.mu.Lock()
	for id := range r.st.runs {
		r.st.runs[id] = protocol.StateSucceeded
	}
	r.st.mu.Unlock()
	r.until(r.now.Add(time.Hour))
	if s := r.runner.taken(); len(s) != 1 {
		t.Fatalf("after the run ended: %d starts, want 1", len(s))
	}
}

// TestSchedulerOfflineAndReboot: an offline device gets its run (queued
// by the jobs wing) unless the task says not to wait; reboot if required
// starts only where a reboot is pending.
func TestSchedulerOfflineAndReboot(t *testing.T) {
	r := newRig(t, 2)
	r.fleet.set("d00000", func(s *fleet.Sample) { s.Online = false })
	r.fleet.set("d00001", func(s *fleet.Sample) { s.Heartbeat.PendingReboot = true })
	p := hourly(0)
	p.Tasks = append(p.Tasks, store.AutoTask{ID: "t2", Name: "strict", Action: ActionPatchScan, SkipOffline: true,
		Schedule: store.AutoSchedule{Kind: SchedEvery, Every: 3600}},
		store.AutoTask{ID: "t3", Name: "reboot", Action: ActionRebootIfNeeded, Schedule: store.AutoSchedule{Kind: SchedEvery, Every: 3600}})
	r.profile(p, store.ProfileAssignment{Level: store.LevelDefault})
	r.until(r.now.Add(61 * time.Minute))
	got := map[string]int{}
	for _, s := range r.runner.taken() {
		got[s.device+" "+s.kind]++
	}
	want := map[string]int{"d00000 " + protocol.KindPatchScan: 1, "d00001 " + protocol.KindPatchScan: 2, "d00001 " + protocol.KindPower: 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("starts %v, want %v", got, want)
	}
	if r.met.n[store.AutoSkippedOffline] != 1 || r.met.n[store.AutoNotRequired] != 1 {
		t.Fatalf("metrics %v: want one skipped offline, one reboot not required", r.met.n)
	}
	logs, err := r.st.AutoRuns(store.AutoRunQuery{DeviceID: "d00000", TaskID: "t2"})
	if err != nil || len(logs) != 1 || logs[0].Outcome != store.AutoSkippedOffline {
		t.Fatalf("log of the strict task on the offline device: %+v %v", logs, err)
	}
}

// TestSchedulerInheritanceAndExemption: device ← folder ← client ←
// default, narrowest first; an exempted task stops on its device only.
func TestSchedulerInheritanceAndExemption(t *testing.T) {
	r := newRig(t, 0)
	for _, s := range []fleet.Sample{{ID: "a", ClientID: "c1", Group: "srv"}, {ID: "b", ClientID: "c1"}, {ID: "c", ClientID: "c2"},
		{ID: "d", ClientID: "c1", Group: "srv"}} {
		r.fleet.samples[s.ID] = &s
		s.Online = true
	}
	mk := func(id string) store.AutoProfile {
		return store.AutoProfile{ID: id, Name: id, Tasks: []store.AutoTask{{ID: "t", Name: "t", Action: ActionPatchScan,
			Schedule: store.AutoSchedule{Kind: SchedEvery, Every: 3600}}}}
	}
	r.profile(mk("pdef"), store.ProfileAssignment{Level: store.LevelDefault})
	r.profile(mk("pcli"), store.ProfileAssignment{Level: store.LevelClient, ClientID: "c1"})
	r.profile(mk("pfol"), store.ProfileAssignment{Level: store.LevelFolder, ClientID: "c1", Folder: "srv"})
	r.profile(mk("pdev"), store.ProfileAssignment{Level: store.LevelDevice, ClientID: "c1", DeviceID: "d"})
	if err := r.st.PutAutoExemption(store.AutoExemption{DeviceID: "a", ProfileID: "pfol", TaskID: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := r.w.reload(); err != nil {
		t.Fatal(err)
	}
	r.until(r.now.Add(61 * time.Minute))
	r.w.mu.Lock()
	got := map[string]string{}
	for k := range r.w.entries {
		got[k.device] = k.profile
	}
	r.w.mu.Unlock()
	want := map[string]string{"b": "pcli", "c": "pdef", "d": "pdev"} // a: its folder's task exempted
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("tasks in force %v, want %v", got, want)
	}
	starts := map[string]bool{}
	for _, s := range r.runner.taken() {
		starts[s.device] = true
	}
	if starts["a"] || !starts["b"] || !starts["c"] || !starts["d"] {
		t.Fatalf("started on %v: the exempted device must not run, the others must", starts)
	}
	// A device moved out of the folder falls back to its client's profile.
	r.fleet.set("d", func(s *fleet.Sample) { s.Group = "" })
	r.until(r.now.Add(2 * time.Minute))
	r.w.mu.Lock()
	_, stillDev := r.w.entries[key{"pdev", "t", "d"}]
	r.w.mu.Unlock()
	if !stillDev {
		t.Fatal("the device-level assignment must still win after the move")
	}
	r.fleet.set("a", func(s *fleet.Sample) { s.Group = "" })
	r.until(r.now.Add(2 * time.Minute))
	r.w.mu.Lock()
	_, moved := r.w.entries[key{"pcli", "t", "a"}]
	r.w.mu.Unlock()
	if !moved {
		t.Fatal("a device moved out of its folder did not get its client's task at the next reconcile")
	}
}
