package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/steward-rmm/steward/protocol"
	bolt "go.etcd.io/bbolt"
)

// CreateJob stores a job and all its runs in one transaction.
func (s *DB) CreateJob(j Job, runs []Run) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := put(tx, bJobs, j.ID, j); err != nil {
			return err
		}
		jr, pend, dr := tx.Bucket(bJobRuns), tx.Bucket(bPending), tx.Bucket(bDevRuns)
		for i := range runs {
			r := &runs[i]
			if err := put(tx, bRuns, r.ID, r); err != nil {
				return err
			}
			if err := jr.Put([]byte(j.ID+"/"+r.ID), nil); err != nil {
				return err
			}
			if err := dr.Put([]byte(r.DeviceID+"/"+r.ID), nil); err != nil {
				return err
			}
			if !protocol.Terminal(r.State) {
				if err := pend.Put([]byte(r.DeviceID+"/"+r.ID), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Job returns one job.
func (s *DB) Job(id string) (Job, error) {
	var j Job
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bJobs, id, &j) })
	return j, err
}

// Jobs lists jobs, newest first, keeping those keep accepts, at most limit.
func (s *DB) Jobs(keep func(*Job) bool, limit int) ([]Job, error) {
	var out []Job
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bJobs).Cursor()
		// Job IDs are time-ordered, so walking backwards is newest first.
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var j Job
			if err := jsonUnmarshal(v, &j); err != nil {
				return err
			}
			if keep == nil || keep(&j) {
				out = append(out, j)
				if limit > 0 && len(out) >= limit {
					break
				}
			}
		}
		return nil
	})
	return out, err
}

// Run returns one run.
func (s *DB) Run(id string) (Run, error) {
	var r Run
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bRuns, id, &r) })
	return r, err
}

// JobRuns lists the runs of a job.
func (s *DB) JobRuns(jobID string) ([]Run, error) {
	var out []Run
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := []byte(jobID + "/")
		c := tx.Bucket(bJobRuns).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var r Run
			if err := get(tx, bRuns, string(k[len(prefix):]), &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// DeviceRuns lists runs of one device (newest first), at most limit.
func (s *DB) DeviceRuns(deviceID string, limit int) ([]Run, error) {
	var out []Run
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := []byte(deviceID + "/")
		c := tx.Bucket(bDevRuns).Cursor()
		// Seek past the prefix and walk back: run ids are time-ordered.
		end := append(append([]byte(nil), prefix[:len(prefix)-1]...), '/'+1)
		k, _ := c.Seek(end)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
			var r Run
			if err := get(tx, bRuns, string(k[len(prefix):]), &r); err != nil {
				continue
			}
			out = append(out, r)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	return out, err
}

// PendingRuns lists the non-terminal runs, of one device or of all devices
// when deviceID is empty.
func (s *DB) PendingRuns(deviceID string) ([]Run, error) {
	var out []Run
	err := s.db.View(func(tx *bolt.Tx) error {
		var prefix []byte
		if deviceID != "" {
			prefix = []byte(deviceID + "/")
		}
		c := tx.Bucket(bPending).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			i := bytes.IndexByte(k, '/')
			var r Run
			if err := get(tx, bRuns, string(k[i+1:]), &r); err != nil {
				continue
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// UpdateRun applies fn to a run inside a batched write transaction. fn
// returns false to leave the run unchanged. Terminal runs leave the pending
// index. The updated run is returned.
func (s *DB) UpdateRun(id string, fn func(*Run) bool) (Run, bool, error) {
	var out Run
	changed := false
	err := s.db.Batch(func(tx *bolt.Tx) error {
		changed = false
		var r Run
		if err := get(tx, bRuns, id, &r); err != nil {
			return err
		}
		out = r
		if !fn(&r) {
			return nil
		}
		if err := put(tx, bRuns, id, r); err != nil {
			return err
		}
		if protocol.Terminal(r.State) {
			if err := tx.Bucket(bPending).Delete([]byte(r.DeviceID + "/" + r.ID)); err != nil {
				return err
			}
		}
		out, changed = r, true
		return nil
	})
	return out, changed, err
}

func outputKey(runID, stream string, offset int64) []byte {
	k := make([]byte, 0, len(runID)+len(stream)+10)
	k = append(k, runID...)
	k = append(k, 0)
	k = append(k, stream...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, uint64(offset))
}

// AppendOutput stores one output chunk idempotently: a chunk (or the part
// of it) already stored is skipped, a chunk past a gap is refused so the
// agent's resend fills the gap in order, and output beyond capBytes per
// stream marks the run truncated. It returns the run after the write and
// the number of bytes newly stored.
func (s *DB) AppendOutput(runID, stream string, offset int64, data []byte, capBytes int64) (Run, int, error) {
	if stream != "stdout" && stream != "stderr" {
		return Run{}, 0, fmt.Errorf("stream %q: %w", stream, ErrConflict)
	}
	var out Run
	stored := 0
	err := s.db.Batch(func(tx *bolt.Tx) error {
		stored = 0
		var r Run
		if err := get(tx, bRuns, runID, &r); err != nil {
			return err
		}
		out = r
		if protocol.Terminal(r.State) {
			return nil // late chunk after the result: the result's own resend carried it
		}
		cur := &r.Stdout
		if stream == "stderr" {
			cur = &r.Stderr
		}
		end := offset + int64(len(data))
		if end <= *cur || offset > *cur {
			return nil // duplicate, or a gap the agent will fill on resend
		}
		data = data[*cur-offset:]
		if room := capBytes - *cur; int64(len(data)) > room {
			if room < 0 {
				room = 0
			}
			data = data[:room]
			r.Truncated = true
		}
		if len(data) > 0 {
			if err := tx.Bucket(bOutput).Put(outputKey(runID, stream, *cur), data); err != nil {
				return err
			}
		}
		// Offsets keep counting past the cap so later chunks stay in order.
		*cur = end
		stored = len(data)
		out = r
		return put(tx, bRuns, runID, r)
	})
	return out, stored, err
}

// Output returns a run's stored output of one stream from byte offset from,
// at most max bytes, and the offset to continue from.
func (s *DB) Output(runID, stream string, from int64, max int) ([]byte, int64, error) {
	var buf []byte
	next := from
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := outputKey(runID, stream, 0)
		prefix = prefix[:len(prefix)-8]
		c := tx.Bucket(bOutput).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			off := int64(binary.BigEndian.Uint64(k[len(prefix):]))
			end := off + int64(len(v))
			if end <= from {
				continue
			}
			if off < from {
				v = v[from-off:]
				off = from
			}
			if off != next {
				break // stored chunks are contiguous; stop at anything odd
			}
			if max > 0 && len(buf)+len(v) > max {
				v = v[:max-len(buf)]
			}
			buf = append(buf, v...)
			next = off + int64(len(v))
			if max > 0 && len(buf) >= max {
				break
			}
		}
		return nil
	})
	return buf, next, err
}

// RunOp is one change to a run, applied by ApplyRunOps. Exactly one of
// Output and Update is set.
type RunOp struct {
	RunID string
	// Device, when set, must own the run: one agent can never write
	// another device's runs. A mismatch fails like an unknown run.
	Device string
	Output *OutputOp
	Update func(*Run) bool
}

// OutputOp appends an output chunk (see AppendOutput for the rules).
type OutputOp struct {
	Stream string
	Offset int64
	Data   []byte
	Cap    int64
}

// RunOpResult is the outcome of one RunOp.
type RunOpResult struct {
	Run     Run
	Changed bool
	Stored  int
	Err     error
}

// ApplyRunOps applies many run changes in one write transaction, in order.
// A run touched by several ops is read and written once. An op on an
// unknown run fails alone; a storage error fails them all.
func (s *DB) ApplyRunOps(ops []RunOp) ([]RunOpResult, error) {
	res := make([]RunOpResult, len(ops))
	err := s.db.Update(func(tx *bolt.Tx) error {
		cache := map[string]*Run{}
		dirty := map[string]bool{}
		out := tx.Bucket(bOutput)
		for i, op := range ops {
			r := cache[op.RunID]
			if r == nil {
				var x Run
				if err := get(tx, bRuns, op.RunID, &x); err != nil {
					res[i].Err = err
					continue
				}
				r = &x
				cache[op.RunID] = r
			}
			if op.Device != "" && r.DeviceID != op.Device {
				res[i].Err = fmt.Errorf("run %q of another device: %w", op.RunID, ErrNotFound)
				continue
			}
			switch {
			case op.Update != nil:
				c := *r
				if op.Update(&c) {
					*r = c
					dirty[op.RunID] = true
					res[i].Changed = true
				}
			case op.Output != nil:
				o := op.Output
				if protocol.Terminal(r.State) || (o.Stream != "stdout" && o.Stream != "stderr") {
					break
				}
				cur := &r.Stdout
				if o.Stream == "stderr" {
					cur = &r.Stderr
				}
				end := o.Offset + int64(len(o.Data))
				if end <= *cur || o.Offset > *cur {
					break
				}
				data := o.Data[*cur-o.Offset:]
				if room := o.Cap - *cur; int64(len(data)) > room {
					data = data[:max(room, 0)]
					r.Truncated = true
				}
				if len(data) > 0 {
					if err := out.Put(outputKey(op.RunID, o.Stream, *cur), data); err != nil {
						return err
					}
				}
				*cur = end
				res[i].Stored = len(data)
				dirty[op.RunID] = true
			}
			res[i].Run = *r
		}
		pend := tx.Bucket(bPending)
		for id := range dirty {
			r := cache[id]
			if err := put(tx, bRuns, id, r); err != nil {
				return err
			}
			if protocol.Terminal(r.State) {
				if err := pend.Delete([]byte(r.DeviceID + "/" + r.ID)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return res, err
}
