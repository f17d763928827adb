package jobs

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// commitCounter counts the writer's commits (its StoreWrite calls).
type commitCounter struct{ n atomic.Int64 }

func (*commitCounter) RunState(string)            {}
func (c *commitCounter) StoreWrite(time.Duration) { c.n.Add(1) }

// fanoutFixture stores a job of n sent runs through the writer.
func fanoutFixture(t testing.TB, j *Wing, st Store, n int) []store.Run {
	now := time.Now()
	job := store.Job{ID: httpx.NewID("j"), Kind: protocol.KindScript, CreatedAt: now, Expires: now.Add(time.Hour), Runs: n}
	runs := make([]store.Run, n)
	for i := range runs {
		runs[i] = store.Run{ID: httpx.NewID("r"), JobID: job.ID, DeviceID: fmt.Sprintf("d_%05d", i), ClientID: "c_1",
			Kind: protocol.KindScript, State: protocol.StateSent, CreatedAt: now, SentAt: now, Expires: job.Expires}
	}
	if err := j.write(func() error { return st.CreateJob(&job, runs) }); err != nil {
		t.Fatal(err)
	}
	return runs
}

// TestGroupCommitUnderLoadKeepsAcknowledgedResults: results of thousands
// of devices submitted at once (each device's ack and result from its own
// goroutine, as agent readers do) share a few commits, not one each; a
// result is acknowledged (its done callback) only once committed: read
// back in the callback, and still there after the store is closed and
// opened again straight after the last acknowledgement.
func TestGroupCommitUnderLoadKeepsAcknowledgedResults(t *testing.T) {
	dir := t.TempDir()
	st, err := boltstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cc := &commitCounter{}
	j := New(Deps{Store: st, Metrics: cc, Now: time.Now})
	go j.w.loop()
	const n = 3000
	runs := fanoutFixture(t, j, st, n)
	before := cc.n.Load()
	var acked sync.Map // run ID -> true once its result was acknowledged
	var notStored atomic.Int64
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func(r store.Run) {
			defer wg.Done()
			j.submit(j.stateOp(r.ID, r.DeviceID, protocol.StateRunning, ""), nil)
			done := make(chan struct{})
			j.submit(j.finishOp(r.ID, r.DeviceID, protocol.StateSucceeded, "", 0, &protocol.JobResult{RunID: r.ID,
				State: protocol.StateSucceeded}), func(res store.RunOpResult) {
				defer close(done)
				if res.Err != nil || !res.Changed {
					return
				}
				// What the agent's ack stands for: the result is in the store.
				if got, err := st.Run(r.ID); err != nil || got.State != protocol.StateSucceeded {
					notStored.Add(1)
					return
				}
				acked.Store(r.ID, true)
			})
			<-done
		}(runs[i])
	}
	wg.Wait()
	commits := cc.n.Load() - before
	j.w.stop()
	if notStored.Load() > 0 {
		t.Fatalf("%d results acknowledged before they were readable from the store", notStored.Load())
	}
	count := 0
	acked.Range(func(any, any) bool { count++; return true })
	if count != n {
		t.Fatalf("%d of %d results acknowledged", count, n)
	}
	// 2n ops from n goroutines: one commit per op would be 2n commits.
	if commits >= n/4 {
		t.Fatalf("%d commits for %d ops: results are not grouped", commits, 2*n)
	}
	t.Logf("%d ops in %d commits", 2*n, commits)
	// An immediate restart: close and open the same store.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st2, err := boltstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	for _, r := range runs {
		got, err := st2.Run(r.ID)
		if err != nil || got.State != protocol.StateSucceeded {
			t.Fatalf("after reopening, acknowledged run %s is %q (%v)", r.ID, got.State, err)
		}
	}
	pend, err := st2.PendingRuns("")
	if err != nil || len(pend) != 0 {
		t.Fatalf("after reopening, %d runs still pending (%v)", len(pend), err)
	}
}

// BenchmarkWriterFanout measures the writer storing a fan-out's acks and
// results (ns/op is per device), submitted from one goroutine per device.
func BenchmarkWriterFanout(b *testing.B) {
	st, err := boltstore.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cc := &commitCounter{}
	j := New(Deps{Store: st, Metrics: cc, Now: time.Now})
	go j.w.loop()
	defer j.w.stop()
	const n = 3000
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		runs := fanoutFixture(b, j, st, n)
		b.StartTimer()
		var wg sync.WaitGroup
		for _, r := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j.submit(j.stateOp(r.ID, r.DeviceID, protocol.StateRunning, ""), nil)
				j.submitWait(j.finishOp(r.ID, r.DeviceID, protocol.StateSucceeded, "", 0, nil))
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(float64(cc.n.Load())/float64(b.N), "commits/fanout")
}
