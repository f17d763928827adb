package automation

import (
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// BenchmarkReconcile19900: one walk of 19,900 devices with an hourly task
// in force on each (the scheduler does it every --automation-reconcile).
func BenchmarkReconcile19900(b *testing.B) {
	r := newRig(b, 19900)
	r.profile(hourly(600), store.ProfileAssignment{Level: store.LevelDefault})
	r.w.tick(r.now) // the first walk creates the entries
	b.ResetTimer()
	for range b.N {
		r.w.mu.Lock()
		r.w.reconcile(r.now)
		r.w.mu.Unlock()
	}
}

// BenchmarkOccurrence19900: the whole ten minutes' spread of an hourly
// task on 19,900 devices, tick after tick on the fake clock (job
// creation is the test runner's; the store is the real bolt store).
func BenchmarkOccurrence19900(b *testing.B) {
	for range b.N {
		b.StopTimer()
		r := newRig(b, 19900)
		r.profile(hourly(600), store.ProfileAssignment{Level: store.LevelDefault})
		r.now = time.Date(2026, 12, 7, 9, 59, 0, 0, time.UTC)
		r.w.tick(r.now)
		b.StartTimer()
		r.until(r.now.Add(12 * time.Minute))
		b.StopTimer()
		if n := len(r.runner.taken()); n != 19900 {
			b.Fatalf("%d started, want 19900", n)
		}
		r.st.DB.Close()
	}
}
