package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	"github.com/steward-rmm/steward/protocol"
	bolt "go.etcd.io/bbolt"
)

// CreateJob stores a job and all its runs in one transaction. It fills the
// job's States and Clients from the runs.
func (s *DB) CreateJob(j *Job, runs []Run) error {
	j.States, j.Clients = map[string]int{}, nil
	seen := map[string]bool{}
	order := make([]int, len(runs))
	for i := range runs {
		order[i] = i
		j.States[runs[i].State]++
		if c := runs[i].ClientID; !seen[c] {
			seen[c] = true
			j.Clients = append(j.Clients, c)
		}
	}
	sort.Strings(j.Clients)
	// Every index is written in its own key order: a key put above all
	// others appends to bbolt's in-memory node, any other shifts it, and a
	// fan-out to 20,000 devices would shift 20,000 times.
	byRun := append([]int(nil), order...)
	sort.Slice(byRun, func(a, b int) bool { return runs[byRun[a]].ID < runs[byRun[b]].ID })
	byDevice := order
	sort.Slice(byDevice, func(a, b int) bool {
		x, y := &runs[byDevice[a]], &runs[byDevice[b]]
		return x.DeviceID < y.DeviceID || x.DeviceID == y.DeviceID && x.ID < y.ID
	})
	wide := len(runs) > WideJob
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := put(tx, bJobs, j.ID, j); err != nil {
			return err
		}
		jr, pend, dr, wr := tx.Bucket(bJobRuns), tx.Bucket(bPending), tx.Bucket(bDevRuns), tx.Bucket(bWideRuns)
		if wide {
			if err := tx.Bucket(bWideJobs).Put([]byte(j.ID), nil); err != nil {
				return err
			}
		}
		for _, i := range byRun {
			r := &runs[i]
			if err := put(tx, bRuns, r.ID, r); err != nil {
				return err
			}
			if err := jr.Put([]byte(j.ID+"/"+r.ID), nil); err != nil {
				return err
			}
		}
		for _, i := range byDevice {
			r := &runs[i]
			if wide {
				if err := wr.Put([]byte(j.ID+"/"+r.DeviceID), []byte(r.ID)); err != nil {
					return err
				}
			} else if err := dr.Put([]byte(r.DeviceID+"/"+r.ID), nil); err != nil {
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

// JobStates returns a job's run counts per state and its clients,
// computing them from the runs for jobs stored before the store kept them.
func (s *DB) JobStates(j *Job) error {
	if j.States != nil {
		return nil
	}
	runs, err := s.JobRuns(j.ID)
	if err != nil {
		return err
	}
	j.States = map[string]int{}
	seen := map[string]bool{}
	for _, r := range runs {
		j.States[r.State]++
		if !seen[r.ClientID] {
			seen[r.ClientID] = true
			j.Clients = append(j.Clients, r.ClientID)
		}
	}
	sort.Strings(j.Clients)
	return nil
}

// jobCounts keeps job records' States in step with run changes inside one
// write transaction, writing each touched job once.
type jobCounts struct {
	tx   *bolt.Tx
	jobs map[string]*Job
}

// moved records that a run of jobID went from state old to state new. It
// reports whether that left the job with no run that can still change.
func (c *jobCounts) moved(jobID, old, new string) bool {
	if old == new {
		return false
	}
	j := c.jobs[jobID]
	if j == nil {
		var x Job
		if err := get(c.tx, bJobs, jobID, &x); err != nil || x.States == nil {
			return false // unknown, or from before counts were kept
		}
		j = &x
		if c.jobs == nil {
			c.jobs = map[string]*Job{}
		}
		c.jobs[jobID] = j
	}
	wasDone := j.Done()
	if j.States[old] > 0 {
		j.States[old]--
		if j.States[old] == 0 {
			delete(j.States, old)
		}
	}
	j.States[new]++
	return !wasDone && j.Done()
}

func (c *jobCounts) flush() error {
	for id, j := range c.jobs {
		if err := put(c.tx, bJobs, id, j); err != nil {
			return err
		}
	}
	return nil
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

// WideJob is the number of runs above which a job's runs are indexed by
// job rather than by device (see wide_runs).
const WideJob = 64

// maxWideScan bounds how many wide jobs one device history looks through.
const maxWideScan = 20000

// DeviceRuns lists runs of one device (newest first), at most limit: those
// of narrow jobs from device_runs, merged with its runs in wide jobs.
func (s *DB) DeviceRuns(deviceID string, limit int) ([]Run, error) {
	var ids []string
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
			ids = append(ids, string(k[len(prefix):]))
			if limit > 0 && len(ids) >= limit {
				break
			}
		}
		// Wide jobs newest first; a run in one older than the oldest run
		// already kept can only fall off the end, so the walk stops there.
		wr := tx.Bucket(bWideRuns)
		wc := tx.Bucket(bWideJobs).Cursor()
		oldest := int64(-1) // creation time of the oldest run kept so far
		if limit > 0 && len(ids) >= limit {
			oldest, _ = idMillis(ids[len(ids)-1])
		}
		n := 0
		for jk, _ := wc.Last(); jk != nil && n < maxWideScan; jk, _ = wc.Prev() {
			n++
			// A job's runs are made within moments of the job; a minute's
			// margin covers the slowest fan-out.
			if jt, ok := idMillis(string(jk)); ok && oldest >= 0 && jt < oldest-60_000 {
				break
			}
			if v := wr.Get([]byte(string(jk) + "/" + deviceID)); v != nil {
				ids = append(ids, string(v))
				if limit > 0 && len(ids) >= limit {
					// Later finds can only be older than this one.
					sort.Sort(sort.Reverse(sort.StringSlice(ids)))
					ids = ids[:limit]
					oldest, _ = idMillis(ids[len(ids)-1])
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Run ids are time-ordered within their "r_" prefix.
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	var out []Run
	err = s.db.View(func(tx *bolt.Tx) error {
		for _, id := range ids {
			var r Run
			if err := get(tx, bRuns, id, &r); err == nil {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

// idAlphabet is the server's id encoding (server.newID): a prefix, "_",
// then base32 of 6 bytes of Unix milliseconds and 9 random bytes.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// idMillis returns the creation time of an id in Unix milliseconds.
func idMillis(id string) (int64, bool) {
	_, rest, ok := strings.Cut(id, "_")
	if !ok || len(rest) < 10 {
		return 0, false
	}
	var v int64
	for i := 0; i < 10; i++ { // 50 bits: the 48 time bits and 2 random ones
		d := strings.IndexByte(idAlphabet, rest[i])
		if d < 0 {
			return 0, false
		}
		v = v<<5 | int64(d)
	}
	return v >> 2, true
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
		old := r.State
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
		counts := jobCounts{tx: tx}
		counts.moved(r.JobID, old, r.State)
		out, changed = r, true
		return counts.flush()
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
	// JobDone is set on the op after which no run of the job can change.
	JobDone bool
}

// ApplyRunOps applies many run changes in one write transaction, in order.
// A run touched by several ops is read and written once. An op on an
// unknown run fails alone; a storage error fails them all.
func (s *DB) ApplyRunOps(ops []RunOp) ([]RunOpResult, error) {
	res := make([]RunOpResult, len(ops))
	err := s.db.Update(func(tx *bolt.Tx) error {
		cache := map[string]*Run{}
		dirty := map[string]bool{}
		counts := jobCounts{tx: tx}
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
					res[i].JobDone = counts.moved(r.JobID, r.State, c.State)
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
		if err := counts.flush(); err != nil {
			return err
		}
		pend := tx.Bucket(bPending)
		ids := make([]string, 0, len(dirty))
		for id := range dirty {
			ids = append(ids, id)
		}
		sort.Strings(ids) // in key order: appends, not shifts, in bbolt's nodes
		for _, id := range ids {
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
