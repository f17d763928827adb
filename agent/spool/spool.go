// Package spool is the agent's durable record of jobs. A run id is recorded
// before the run starts, so a job delivered twice runs once; the result is
// written (and fsynced) before it is sent, and kept until the server
// acknowledges it, so no result is lost to a disconnect, a restart or a
// kill -9 of either side.
package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// States of a record.
const (
	Running = "running" // received and started; no result yet
	Done    = "done"    // result stored, not yet acknowledged
	Acked   = "acked"   // server stored the result; kept only to refuse re-runs
)

// Record is one run as the agent knows it.
type Record struct {
	RunID     string              `json:"run_id"`
	JobID     string              `json:"job_id"`
	Kind      string              `json:"kind"`
	State     string              `json:"state"`
	Received  time.Time           `json:"received"`
	Result    *protocol.JobResult `json:"result,omitempty"`
	Stdout    int64               `json:"-"`
	Stderr    int64               `json:"-"`
	Truncated bool                `json:"truncated,omitempty"`
}

// ErrBadID is returned for run ids that could escape the spool directory.
var ErrBadID = errors.New("spool: invalid run id")

var idRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Spool is a directory of run records, indexed in memory so that the hot
// path (begin, output, finish, ack) does no reads: a fan-out to a fleet is
// a few file writes per run on each device.
type Spool struct {
	dir string
	cap int64
	mu  sync.Mutex
	// live holds the records not yet acknowledged (running or done);
	// acked the acknowledged run ids with their receive time, kept on disk
	// and here only to refuse re-runs until they are pruned.
	live  map[string]*Record
	acked map[string]time.Time
	// NoSync skips fsync. Only the load simulator sets it: thousands of
	// simulated agents share one disk, and the server is what it measures.
	NoSync bool
}

// Open opens (creating) a spool in dir and reads its records. capBytes
// bounds the output kept per run and stream.
func Open(dir string, capBytes int64) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{dir: dir, cap: capBytes, live: map[string]*Record{}, acked: map[string]time.Time{}}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		if strings.HasSuffix(name, ".json.tmp") {
			os.Remove(filepath.Join(dir, name)) // a save cut short; the old record stands
			continue
		}
		id, ok := strings.CutSuffix(name, ".json")
		if !ok || !idRE.MatchString(id) {
			continue
		}
		r, err := s.load(id)
		if err != nil {
			continue // unreadable: treated as unknown, like before
		}
		if r.State == Acked {
			s.acked[id] = r.Received
			continue
		}
		s.live[id] = &r
	}
	return s, nil
}

func (s *Spool) path(id, ext string) string { return filepath.Join(s.dir, id+ext) }

// Begin records a run before it starts. dup is true when the id was seen
// before; the stored record is returned then.
func (s *Spool) Begin(j protocol.Job) (rec Record, dup bool, err error) {
	if !idRE.MatchString(j.RunID) {
		return rec, false, ErrBadID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.live[j.RunID]; r != nil {
		return *r, true, nil
	}
	if _, ok := s.acked[j.RunID]; ok {
		rec, err := s.load(j.RunID)
		return rec, true, err
	}
	// O_EXCL still guards against a record written behind the index's back.
	f, err := os.OpenFile(s.path(j.RunID, ".json"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		rec, err := s.load(j.RunID)
		return rec, true, err
	}
	if err != nil {
		return rec, false, fmt.Errorf("spool: %w", err)
	}
	rec = Record{RunID: j.RunID, JobID: j.JobID, Kind: j.Kind, State: Running, Received: time.Now().UTC()}
	if err := writeSync(f, rec, !s.NoSync); err != nil {
		os.Remove(s.path(j.RunID, ".json"))
		return rec, false, err
	}
	r := rec
	s.live[j.RunID] = &r
	return rec, false, nil
}

func writeSync(f *os.File, v any, sync bool) error {
	b, err := json.Marshal(v)
	if err != nil {
		f.Close()
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("spool: %w", err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("spool: %w", err)
		}
	}
	return f.Close()
}

func (s *Spool) load(id string) (Record, error) {
	var r Record
	b, err := os.ReadFile(s.path(id, ".json"))
	if err != nil {
		return r, fmt.Errorf("spool: %w", err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("spool: record %s: %w", id, err)
	}
	r.Stdout, r.Stderr = fileSize(s.path(id, ".stdout")), fileSize(s.path(id, ".stderr"))
	return r, nil
}

func fileSize(p string) int64 {
	if fi, err := os.Stat(p); err == nil {
		return fi.Size()
	}
	return 0
}

// save replaces a record's file atomically; sync makes it durable first.
func (s *Spool) save(r Record, sync bool) error {
	tmp := s.path(r.RunID, ".json.tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := writeSync(f, r, sync && !s.NoSync); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.path(r.RunID, ".json")); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// Output appends a run's output to its stream files, up to the cap.
type Output struct {
	s      *Spool
	id     string
	offset map[string]int64
	mu     sync.Mutex
}

// Writer returns the output appender of a run, continuing after what is
// already stored.
func (s *Spool) Writer(id string) *Output {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := &Output{s: s, id: id, offset: map[string]int64{}}
	if r := s.live[id]; r != nil {
		o.offset["stdout"], o.offset["stderr"] = r.Stdout, r.Stderr
	}
	return o
}

// stored notes how much of a stream is on disk, so Writer and Ack need
// not stat the files.
func (s *Spool) stored(id, stream string, size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.live[id]; r != nil {
		if stream == "stderr" {
			r.Stderr = size
		} else {
			r.Stdout = size
		}
	}
}

// Append stores data, then calls sent with its offset (counting bytes past
// the cap too, so the server sees the true length), the part that fit and
// whether the cap was hit. sent runs under the writer's lock, so what it
// sends is ordered with Locked's resends.
func (o *Output) Append(stream string, data []byte, sent func(offset int64, kept []byte, truncated bool)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	offset := o.offset[stream]
	o.offset[stream] += int64(len(data))
	kept, truncated := data, false
	if room := o.s.cap - offset; room < int64(len(data)) {
		if room < 0 {
			room = 0
		}
		kept, truncated = data[:room], true
	}
	if len(kept) > 0 {
		f, err := os.OpenFile(o.s.path(o.id, "."+stream), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err == nil {
			_, _ = f.Write(kept)
			f.Close()
		}
	}
	// The offset counts bytes past the cap too; what resumes a writer is it.
	o.s.stored(o.id, stream, o.offset[stream])
	if sent != nil {
		sent(offset, kept, truncated)
	}
}

// Locked runs fn while no chunk is being appended.
func (o *Output) Locked(fn func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fn()
}

// ReadOutput returns a run's stored output of one stream.
func (s *Spool) ReadOutput(id, stream string) []byte {
	b, _ := os.ReadFile(s.path(id, "."+stream))
	return b
}

// Finish stores a run's result (durably) before it is sent.
func (s *Spool) Finish(res protocol.JobResult) error {
	if !idRE.MatchString(res.RunID) {
		return ErrBadID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.live[res.RunID]
	if r == nil {
		if _, ok := s.acked[res.RunID]; ok {
			return nil // already finished and acknowledged
		}
		return fmt.Errorf("spool: run %s: %w", res.RunID, os.ErrNotExist)
	}
	if r.State != Running {
		return nil // already finished: keep the first result
	}
	n := *r
	n.State, n.Result = Done, &res
	if err := s.save(n, true); err != nil {
		return err
	}
	*r = n
	return nil
}

// Ack marks a result acknowledged and drops its output. The mark is not
// synced: were it lost, the result would be sent again and the server,
// which already stored it, would only acknowledge it again.
func (s *Spool) Ack(id string) error {
	if !idRE.MatchString(id) {
		return ErrBadID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.live[id]
	if r == nil {
		if _, ok := s.acked[id]; ok {
			return nil
		}
		return fmt.Errorf("spool: run %s: %w", id, os.ErrNotExist)
	}
	if r.State != Done {
		return nil
	}
	n := *r
	n.State, n.Result = Acked, nil
	if err := s.save(n, false); err != nil {
		return err
	}
	if r.Stdout > 0 {
		os.Remove(s.path(id, ".stdout"))
	}
	if r.Stderr > 0 {
		os.Remove(s.path(id, ".stderr"))
	}
	delete(s.live, id)
	s.acked[id] = n.Received
	return nil
}

// Get returns one record.
func (s *Spool) Get(id string) (Record, error) {
	if !idRE.MatchString(id) {
		return Record{}, ErrBadID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.live[id]; r != nil {
		return *r, nil
	}
	return s.load(id)
}

// Pending lists records not yet acknowledged, oldest first.
func (s *Spool) Pending() ([]Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, 0, len(s.live))
	for _, r := range s.live {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Received.Before(out[j].Received) })
	return out, nil
}

// Prune forgets acknowledged records older than age. The server never
// resends a run past its expiry, so records older than the longest expiry
// are safe to drop.
func (s *Spool) Prune(age time.Duration) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, received := range s.acked {
		if time.Since(received) > age {
			os.Remove(s.path(id, ".json"))
			delete(s.acked, id)
			n++
		}
	}
	return n
}
