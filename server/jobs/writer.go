package jobs

import (
	"errors"
	"sync"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// jobWriter is the one goroutine that writes jobs and runs: job creation,
// every run state change and flag, and every output chunk go through it,
// in the order they were submitted. It applies everything queued in one
// transaction and then runs the callbacks (acks, events), so agent readers
// never wait for a commit, a fan-out to thousands of devices costs a
// handful of commits, and an agent's output chunks are committed before
// the result that follows them is acknowledged.
//
// Run starts the loop under the server's group and stops it after every
// producer (HTTP handlers, agent readers) has ended; stop drains the queue
// first. An op submitted after stop fails with errWriterStopped.
type jobWriter struct {
	st      Store
	observe func(time.Duration) // a batch's commit latency (metrics)
	ops     chan queuedOp
	// mu orders submissions against stop: submit holds it shared while it
	// queues, stop takes it exclusively to flip stopped, so nothing is
	// queued after the final drain. Lock order: a leaf (a submit blocked
	// on a full queue holds it shared, which only delays stop).
	mu       sync.RWMutex
	stopped  bool
	quit     chan struct{}
	finished chan struct{}
}

// queuedOp is a run op, or (write set) a write of its own, applied in
// queue order between batches.
type queuedOp struct {
	op    store.RunOp
	write func() error
	done  func(store.RunOpResult)
}

// maxOpsPerCommit bounds one write transaction.
const maxOpsPerCommit = 8192

var errWriterStopped = errors.New("server shutting down: job writer stopped")

func (w *jobWriter) init(st Store, observe func(time.Duration)) {
	w.st, w.observe = st, observe
	w.ops = make(chan queuedOp, 1<<16)
	w.quit = make(chan struct{})
	w.finished = make(chan struct{})
}

// submit queues an op; done runs in the writer after the commit and must
// neither block nor submit.
func (j *Wing) submit(op store.RunOp, done func(store.RunOpResult)) {
	j.w.queue(queuedOp{op: op, done: done})
}

// submitWait queues an op and waits for its commit.
func (j *Wing) submitWait(op store.RunOp) store.RunOpResult {
	ch := make(chan store.RunOpResult, 1)
	j.submit(op, func(r store.RunOpResult) { ch <- r })
	return <-ch
}

// write runs fn in the writer, after everything queued before it, and
// returns its error.
func (j *Wing) write(fn func() error) error {
	ch := make(chan store.RunOpResult, 1)
	j.w.queue(queuedOp{write: fn, done: func(r store.RunOpResult) { ch <- r }})
	return (<-ch).Err
}

func (w *jobWriter) queue(q queuedOp) {
	w.mu.RLock()
	if w.stopped {
		w.mu.RUnlock()
		if q.done != nil {
			q.done(store.RunOpResult{Err: errWriterStopped})
		}
		return
	}
	w.ops <- q
	w.mu.RUnlock()
}

// loop is the writer; it returns after stop, once the queue is drained.
func (w *jobWriter) loop() {
	defer close(w.finished)
	batch := make([]queuedOp, 0, 256)
	for {
		batch = batch[:0]
		select {
		case q := <-w.ops:
			batch = append(batch, q)
			// A moment's wait lets a burst of results share one commit.
			time.Sleep(2 * time.Millisecond)
		case <-w.quit:
			// stop has flipped stopped: nothing more arrives. Drain, then end.
			for {
				select {
				case q := <-w.ops:
					batch = append(batch, q)
					continue
				default:
				}
				break
			}
			if len(batch) > 0 {
				w.apply(batch)
			}
			return
		}
	drain:
		for len(batch) < maxOpsPerCommit {
			select {
			case q := <-w.ops:
				batch = append(batch, q)
			default:
				break drain
			}
		}
		w.apply(batch)
	}
}

// apply commits a batch in order: runs of run ops share one transaction,
// a write of its own runs between them.
func (w *jobWriter) apply(batch []queuedOp) {
	for len(batch) > 0 {
		if batch[0].write != nil {
			err := batch[0].write()
			if batch[0].done != nil {
				batch[0].done(store.RunOpResult{Err: err})
			}
			batch = batch[1:]
			continue
		}
		n := 0
		for n < len(batch) && batch[n].write == nil {
			n++
		}
		w.applyOps(batch[:n])
		batch = batch[n:]
	}
}

func (w *jobWriter) applyOps(batch []queuedOp) {
	ops := make([]store.RunOp, len(batch))
	for i := range batch {
		ops[i] = batch[i].op
	}
	t0 := time.Now()
	res, err := w.st.ApplyRunOps(ops)
	w.observe(time.Since(t0))
	for i, q := range batch {
		r := store.RunOpResult{Err: err}
		if err == nil {
			r = res[i]
		}
		if q.done != nil {
			q.done(r)
		}
	}
}

// stop refuses new ops, lets the loop commit what is queued and waits for
// it to end. Call once, after every producer has ended and before the
// store closes; the loop must have been started.
func (w *jobWriter) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	close(w.quit)
	<-w.finished
}
