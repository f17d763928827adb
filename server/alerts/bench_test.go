package alerts

import (
	"fmt"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/store"
)

// BenchmarkEvaluate20k is one evaluation of a default profile
// (availability, CPU, memory, every disk, two services) over 20,000
// devices with two volumes each, nothing changing: the evaluator's idle
// cost per interval.
func BenchmarkEvaluate20k(b *testing.B) {
	t := &testing.T{}
	r := newRig(t)
	r.t = t
	r.profile("p1", "Default", "",
		store.Check{ID: "avail", Kind: KindAvailability, Warning: 5, Critical: 30},
		store.Check{ID: "cpu", Kind: KindCPU, Warning: 85, Critical: 95, Window: 10},
		store.Check{ID: "mem", Kind: KindMemory, Warning: 90, Critical: 97, Window: 10},
		store.Check{ID: "disk", Kind: KindDisk, Warning: 15, Critical: 5},
		store.Check{ID: "ssh", Kind: KindService, Target: "sshd"},
		store.Check{ID: "cron", Kind: KindService, Target: "cron"})
	r.assign(store.ProfileAssignment{Level: store.LevelDefault, ProfileID: "p1"})
	inv := &protocol.Inventory{Disks: []protocol.Disk{{Mount: "/", Total: 100 << 30, Free: 50 << 30}, {Mount: "/data", Total: 1 << 40, Free: 1 << 39}}}
	h := &protocol.Health{Services: []protocol.Service{{Name: "sshd", State: "running"}, {Name: "cron", State: "running"}, {Name: "x", State: "stopped"}}}
	for i := range 20000 {
		id := fmt.Sprintf("d%05d", i)
		r.device(id, fmt.Sprintf("c%02d", i%40), "")
		r.heartbeat(id, 5, 40, 50)
		r.w.InventoryReported(id, inv)
		r.w.HealthReported(id, h)
	}
	r.eval(time.Second)
	b.ResetTimer()
	for range b.N {
		r.now = r.now.Add(5 * time.Second)
		r.w.Evaluate()
	}
	b.StopTimer()
	if n := r.rec.count("raised"); n != 0 {
		b.Fatalf("raised %d alerts on a healthy fleet", n)
	}
}
