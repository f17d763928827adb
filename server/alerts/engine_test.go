package alerts

import (
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// testFleet is the fleet's sampling side for engine tests: the samples a
// test sets, and the alert counts the wing hands back.
type testFleet struct {
	mu      sync.Mutex
	samples map[string]*fleet.Sample
	counts  map[string]fleet.AlertCounts
}

func (f *testFleet) Samples(buf []fleet.Sample) []fleet.Sample {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.samples {
		buf = append(buf, *s)
	}
	return buf
}

func (f *testFleet) SetAlertCounts(id string, c fleet.AlertCounts) {
	f.mu.Lock()
	f.counts[id] = c
	f.mu.Unlock()
}

// recorder is a Notifier that keeps every change.
type recorder struct {
	mu      sync.Mutex
	changes []Change
}

func (r *recorder) AlertsChanged(cs []Change) {
	for _, c := range cs {
		r.alertChanged(c)
	}
}

func (r *recorder) alertChanged(c Change) {
	r.mu.Lock()
	r.changes = append(r.changes, c)
	r.mu.Unlock()
}

func (r *recorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.changes {
		out = append(out, c.Kind)
	}
	return out
}

func (r *recorder) count(kind string) int {
	n := 0
	for _, k := range r.kinds() {
		if k == kind {
			n++
		}
	}
	return n
}

// rig is a wing on a real bolt store with a test clock.
type rig struct {
	t   *testing.T
	st  *boltstore.DB
	fl  *testFleet
	rec *recorder
	w   *Wing
	now time.Time
	dir string
	seq uint64
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, dir: t.TempDir(), fl: &testFleet{samples: map[string]*fleet.Sample{}, counts: map[string]fleet.AlertCounts{}},
		rec: &recorder{}, now: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	st, err := boltstore.Open(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	r.st = st
	t.Cleanup(func() { r.st.Close() })
	r.start()
	return r
}

// start builds a wing on the store (again: a restart).
func (r *rig) start() {
	r.w = New(Deps{Store: r.st, Fleet: r.fl, Notifier: r.rec, Now: func() time.Time { return r.now }})
	if err := r.w.Start(); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) device(id, client, group string) *fleet.Sample {
	s := &fleet.Sample{ID: id, ClientID: client, ClientName: "Client " + client, Group: group, Hostname: "host-" + id,
		DeviceType: "server", Online: true, LastSeen: r.now, EnrolledAt: r.now.Add(-time.Hour)}
	r.fl.samples[id] = s
	return s
}

// heartbeat sets a device's live figures as a new heartbeat.
func (r *rig) heartbeat(id string, cpu, mem, disk float64) {
	s := r.fl.samples[id]
	r.seq++
	s.Heartbeat.Seq, s.Heartbeat.CPUPercent, s.Heartbeat.MemPercent, s.Heartbeat.DiskPercent = r.seq, cpu, mem, disk
	s.LastSeen = r.now
}

func (r *rig) profile(id, name, client string, checks ...store.Check) {
	r.t.Helper()
	for i := range checks {
		if err := ValidateCheck(&checks[i]); err != nil {
			r.t.Fatal(err)
		}
	}
	if err := r.st.PutProfile(store.Profile{ID: id, Name: name, ClientID: client, Checks: checks}); err != nil {
		r.t.Fatal(err)
	}
	r.reload()
}

func (r *rig) assign(a store.ProfileAssignment) {
	r.t.Helper()
	if err := r.st.SetAssignment(a); err != nil {
		r.t.Fatal(err)
	}
	r.reload()
}

func (r *rig) reload() {
	r.t.Helper()
	if err := r.w.reload(); err != nil {
		r.t.Fatal(err)
	}
}

// eval advances the clock by step and evaluates once.
func (r *rig) eval(step time.Duration) {
	r.now = r.now.Add(step)
	r.w.Evaluate()
}

func (r *rig) open(device string) []store.Alert {
	r.t.Helper()
	as, err := r.st.Alerts(store.AlertQuery{DeviceID: device, Statuses: []string{store.AlertOpen, store.AlertSnoozed}})
	if err != nil {
		r.t.Fatal(err)
	}
	return as
}

var diskCheck = store.Check{ID: "disk", Kind: KindDisk, Warning: 20, Critical: 10, FailAfter: 3, PassAfter: 3}

// TestFlappingNoChurn: a disk oscillating around its warning threshold at
// every evaluation opens no alert; once raised, an oscillating value
// neither resolves nor re-raises it; it resolves only after PassAfter
// passes in a row.
func TestFlappingNoChurn(t *testing.T) {
	r := newRig(t)
	r.device("d1", "c1", "")
	r.profile("p1", "Default", "", diskCheck)
	r.assign(store.ProfileAssignment{Level: store.LevelDefault, ProfileID: "p1"})
	for i := range 200 { // 79% and 81% used: 21% and 19% free around the 20% threshold
		r.heartbeat("d1", 5, 40, 79+2*float64(i%2))
		r.eval(10 * time.Second)
	}
	if k := r.rec.kinds(); len(k) != 0 || len(r.open("d1")) != 0 {
		t.Fatalf("a value oscillating at every sample changed alerts: %v", k)
	}
	// Passes once, fails twice, forever: still no alert (needs 3 in a row).
	for i := range 150 {
		r.heartbeat("d1", 5, 40, map[bool]float64{true: 79, false: 85}[i%3 == 0])
		r.eval(10 * time.Second)
	}
	if k := r.rec.kinds(); len(k) != 0 {
		t.Fatalf("two failures in three raised alerts: %v", k)
	}
	for range 3 {
		r.heartbeat("d1", 5, 40, 85)
		r.eval(10 * time.Second)
	}
	if got := r.open("d1"); len(got) != 1 || got[0].Severity != SevWarning || got[0].Title != "Low disk space on fullest disk" {
		t.Fatalf("after 3 failures in a row: %+v", got)
	}
	// Open now: an oscillation keeps it open, with no further change.
	for i := range 200 {
		r.heartbeat("d1", 5, 40, 79+6*float64(i%2))
		r.eval(10 * time.Second)
	}
	if k := r.rec.kinds(); len(k) != 1 || k[0] != "raised" || len(r.open("d1")) != 1 {
		t.Fatalf("an oscillating value churned an open alert: %v", k)
	}
	for range 3 {
		r.heartbeat("d1", 5, 40, 50)
		r.eval(10 * time.Second)
	}
	if k := r.rec.kinds(); len(k) != 2 || k[1] != "resolved" || len(r.open("d1")) != 0 {
		t.Fatalf("after 3 passes in a row: %v", k)
	}
	t.Logf("flapping: 550 evaluations oscillating around the threshold made %d alert changes (one raise, one resolve)", len(r.rec.kinds()))
}
