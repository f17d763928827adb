package boltstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"github.com/steward-rmm/steward/server/store"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// CreateJob stores a job and all its runs in one transaction. It fills the
// job's States and Clients from the runs.
func (s *DB) CreateJob(j *store.Job, runs []store.Run) error {
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
	wide := len(runs) > store.WideJob
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
			if !store.Terminal(r.State) {
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
func (s *DB) JobStates(j *store.Job) error {
	if j.States != nil {
		return nil
	}
	return s.db.View(func(tx *bolt.Tx) error { return jobStates(tx, j) })
}

// jobStates is JobStates inside a transaction.
func jobStates(tx *bolt.Tx, j *store.Job) error {
	if j.States != nil {
		return nil
	}
	runs, err := jobRuns(tx, j.ID)
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
	jobs map[string]*store.Job
}

// moved records that a run of jobID went from state old to state new. It
// reports whether that left the job with no run that can still change.
func (c *jobCounts) moved(jobID, old, new string) bool {
	if old == new {
		return false
	}
	j := c.jobs[jobID]
	if j == nil {
		var x store.Job
		if err := get(c.tx, bJobs, jobID, &x); err != nil || x.States == nil {
			return false // unknown, or from before counts were kept
		}
		j = &x
		if c.jobs == nil {
			c.jobs = map[string]*store.Job{}
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
func (s *DB) Job(id string) (store.Job, error) {
	var j store.Job
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bJobs, id, &j) })
	return j, err
}

// Jobs lists the jobs q selects, newest first.
func (s *DB) Jobs(q store.JobQuery) ([]store.Job, error) {
	var out []store.Job
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bJobs).Cursor()
		// Job IDs are time-ordered, so walking backwards is newest first.
		k, v := c.Last()
		if q.Before != "" {
			if k, _ = c.Seek([]byte(q.Before)); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		}
		for ; k != nil; k, v = c.Prev() {
			var j store.Job
			if err := decode(v, &j); err != nil {
				return err
			}
			if err := jobStates(tx, &j); err != nil {
				return err
			}
			if q.Match(&j) {
				out = append(out, j)
				if q.Limit > 0 && len(out) >= q.Limit {
					break
				}
			}
		}
		return nil
	})
	return out, err
}

// Run returns one run.
func (s *DB) Run(id string) (store.Run, error) {
	var r store.Run
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bRuns, id, &r) })
	return r, err
}

// JobRuns lists the runs of a job.
func (s *DB) JobRuns(jobID string) ([]store.Run, error) {
	var out []store.Run
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		out, err = jobRuns(tx, jobID)
		return err
	})
	return out, err
}

func jobRuns(tx *bolt.Tx, jobID string) ([]store.Run, error) {
	var out []store.Run
	prefix := []byte(jobID + "/")
	c := tx.Bucket(bJobRuns).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var r store.Run
		if err := get(tx, bRuns, string(k[len(prefix):]), &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// maxWideScan bounds how many wide jobs one device history looks through.
const maxWideScan = 20000

// DeviceRuns lists runs of one device (newest first), at most limit: those
// of narrow jobs from device_runs, merged with its runs in wide jobs.
func (s *DB) DeviceRuns(deviceID string, limit int) ([]store.Run, error) {
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
	var out []store.Run
	err = s.db.View(func(tx *bolt.Tx) error {
		for _, id := range ids {
			var r store.Run
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
func (s *DB) PendingRuns(deviceID string) ([]store.Run, error) {
	var out []store.Run
	err := s.db.View(func(tx *bolt.Tx) error {
		var prefix []byte
		if deviceID != "" {
			prefix = []byte(deviceID + "/")
		}
		c := tx.Bucket(bPending).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			i := bytes.IndexByte(k, '/')
			var r store.Run
			if err := get(tx, bRuns, string(k[i+1:]), &r); err != nil {
				continue
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

func outputKey(runID, stream string, offset int64) []byte {
	k := make([]byte, 0, len(runID)+len(stream)+10)
	k = append(k, runID...)
	k = append(k, 0)
	k = append(k, stream...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, uint64(offset))
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

// ApplyRunOps applies many run changes in one write transaction, in order.
// A run touched by several ops is read and written once. An op on an
// unknown run fails alone; a storage error fails them all.
func (s *DB) ApplyRunOps(ops []store.RunOp) ([]store.RunOpResult, error) {
	res := make([]store.RunOpResult, len(ops))
	// One Update, not Batch: the server's run writer already gathers the
	// ops of many connections into one call.
	err := s.db.Update(func(tx *bolt.Tx) error {
		cache := map[string]*store.Run{}
		dirty := map[string]bool{}
		counts := jobCounts{tx: tx}
		out := tx.Bucket(bOutput)
		for i := range ops {
			op := &ops[i]
			r := cache[op.RunID]
			if r == nil {
				var x store.Run
				if err := get(tx, bRuns, op.RunID, &x); err != nil {
					res[i].Err = err
					continue
				}
				r = &x
				cache[op.RunID] = r
			}
			if op.Device != "" && r.DeviceID != op.Device {
				res[i].Err = fmt.Errorf("run %q of another device: %w", op.RunID, store.ErrNotFound)
				continue
			}
			if o := op.Output; o != nil {
				if o.Stream != "stdout" && o.Stream != "stderr" {
					res[i].Err = fmt.Errorf("stream %q: %w", o.Stream, store.ErrConflict)
					continue
				}
				if at, data, ok := o.Apply(r); ok {
					if len(data) > 0 {
						if err := out.Put(outputKey(op.RunID, o.Stream, at), data); err != nil {
							return err
						}
					}
					res[i].Stored = len(data)
					dirty[op.RunID] = true
				}
			} else {
				c := *r
				if op.Apply(&c) {
					res[i].JobDone = counts.moved(r.JobID, r.State, c.State)
					*r = c
					dirty[op.RunID] = true
					res[i].Changed = true
				}
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
			if store.Terminal(r.State) {
				if err := pend.Delete([]byte(r.DeviceID + "/" + r.ID)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return res, err
}
