package jobs

import (
	"errors"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// TestJobWriterKeepsQueueOrderAndDrains: a job's creation and an update
// of its run, queued back to back without waiting, are applied in that
// order (the update finds the run); what is queued when stop is called
// is committed; an op submitted after stop fails at once instead of
// waiting for a writer that is gone.
func TestJobWriterKeepsQueueOrderAndDrains(t *testing.T) {
	st, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	j := New(Deps{Store: st, Metrics: noMetrics{}, Now: time.Now})
	go j.w.loop()
	now := time.Now()
	job := store.Job{ID: httpx.NewID("j"), Kind: protocol.KindScript, CreatedAt: now, Expires: now.Add(time.Hour), Runs: 1}
	runs := []store.Run{{ID: httpx.NewID("r"), JobID: job.ID, DeviceID: "d_x", Kind: protocol.KindScript,
		State: protocol.StateQueued, CreatedAt: now, Expires: job.Expires}}
	created := make(chan error, 1)
	j.w.queue(queuedOp{write: func() error { return st.CreateJob(&job, runs) },
		done: func(r store.RunOpResult) { created <- r.Err }})
	sent := make(chan store.RunOpResult, 1)
	j.submit(j.stateOp(runs[0].ID, "", protocol.StateSent, ""), func(r store.RunOpResult) { sent <- r })
	j.w.stop()
	if err := <-created; err != nil {
		t.Fatalf("create: %v", err)
	}
	if r := <-sent; r.Err != nil || !r.Changed {
		t.Fatalf("the update queued after the creation: %+v", r)
	}
	if r, err := st.Run(runs[0].ID); err != nil || r.State != protocol.StateSent {
		t.Fatalf("stored run %+v, %v; want sent", r, err)
	}
	if r := j.submitWait(j.stateOp(runs[0].ID, "", protocol.StateRunning, "")); !errors.Is(r.Err, errWriterStopped) {
		t.Fatalf("op after stop: %+v, want errWriterStopped", r)
	}
	if err := j.write(func() error { t.Error("a write ran after stop"); return nil }); !errors.Is(err, errWriterStopped) {
		t.Fatalf("write after stop: %v", err)
	}
}

type noMetrics struct{}

func (noMetrics) RunState(string)          {}
func (noMetrics) StoreWrite(time.Duration) {}
