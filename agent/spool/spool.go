// Package spool is the agent's durable record of jobs. A run id is recorded
// before the run starts, so a job delivered twice runs once; the result is
// written (and fsynced) before it is sent, and kept until the server
// acknowledges it, so no result is lost to a disconnect, a restart or a
// kill -9 of either side.
//
// Records live in memory and in one append-only journal of JSON lines
// (journal.jsonl): beginning, finishing and acknowledging a run is one
// write each to a file that stays open, instead of creating, reading and
// renaming a file per run. The journal is rewritten with only the records
// still wanted when it has grown well past them. Output goes to one file
// per run and stream, since it can be large and is streamed as it comes.
package spool

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/steward-rmm/steward/agent/internal/atomicfile"
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

// Spool is a directory holding the journal and the runs' output.
type Spool struct {
	dir string
	cap int64
	mu  sync.Mutex
	// live holds the records not yet acknowledged (running or done);
	// acked the acknowledged run ids with their receive time, kept only to
	// refuse re-runs until they are pruned.
	live  map[string]*Record
	acked map[string]time.Time
	log   *os.File
	lines int // entries in the journal, for deciding when to compact
	// NoSync skips fsync. Only the load simulator sets it: thousands of
	// simulated agents share one disk, and the server is what it measures.
	NoSync bool
}

// entry is one journal line; exactly one field is set.
type entry struct {
	Begin  *Record             `json:"b,omitempty"`
	Finish *protocol.JobResult `json:"f,omitempty"`
	Ack    string              `json:"a,omitempty"`
}

const journalName = "journal.jsonl"

// Open opens (creating) a spool in dir and reads its records. capBytes
// bounds the output kept per run and stream. Records of the older one file
// per run layout are taken over into the journal.
func Open(dir string, capBytes int64) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{dir: dir, cap: capBytes, live: map[string]*Record{}, acked: map[string]time.Time{}}
	legacy, err := s.readLegacy()
	if err != nil {
		return nil, err
	}
	if err := s.readJournal(); err != nil {
		return nil, err
	}
	for id := range s.live {
		s.live[id].Stdout, s.live[id].Stderr = fileSize(s.path(id, ".stdout")), fileSize(s.path(id, ".stderr"))
	}
	if err := s.compact(); err != nil {
		return nil, err
	}
	for _, p := range legacy {
		os.Remove(p) // its record is in the journal now
	}
	return s, nil
}

// Close closes the journal.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		return nil
	}
	err := s.log.Close()
	s.log = nil
	return err
}

// readLegacy loads the records of the one file per run layout and returns
// the files to remove once the journal holds them.
func (s *Spool) readLegacy() ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	var files []string
	for _, e := range ents {
		name := e.Name()
		if strings.HasSuffix(name, ".json.tmp") {
			files = append(files, filepath.Join(s.dir, name)) // a save cut short; the old record stands
			continue
		}
		id, ok := strings.CutSuffix(name, ".json")
		if !ok || !idRE.MatchString(id) {
			continue
		}
		files = append(files, filepath.Join(s.dir, name))
		var r Record
		b, err := os.ReadFile(filepath.Join(s.dir, name))
		if err != nil || json.Unmarshal(b, &r) != nil || r.RunID != id {
			continue // unreadable: treated as unknown, like before
		}
		s.apply(entry{Begin: &r})
	}
	return files, nil
}

// readJournal replays the journal. A line that does not parse (the last
// one, cut short by a crash) is skipped: what it recorded had not been
// reported as done.
func (s *Spool) readJournal() error {
	f, err := os.Open(filepath.Join(s.dir, journalName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	rd := bufio.NewReader(f)
	for {
		line, err := rd.ReadBytes('\n')
		if len(line) > 0 {
			var e entry
			if json.Unmarshal(line, &e) == nil {
				s.apply(e)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
	}
}

// apply changes the in-memory records by one journal entry.
func (s *Spool) apply(e entry) {
	switch {
	case e.Begin != nil:
		r := *e.Begin
		if !idRE.MatchString(r.RunID) || s.live[r.RunID] != nil {
			return
		}
		if _, ok := s.acked[r.RunID]; ok {
			return
		}
		if r.State == Acked {
			s.acked[r.RunID] = r.Received
			return
		}
		s.live[r.RunID] = &r
	case e.Finish != nil:
		if r := s.live[e.Finish.RunID]; r != nil && r.State == Running {
			res := *e.Finish
			r.State, r.Result = Done, &res
		}
	case e.Ack != "":
		if r := s.live[e.Ack]; r != nil {
			delete(s.live, e.Ack)
			s.acked[e.Ack] = r.Received
		}
	}
}

// write appends one entry to the journal, synced when sync is set.
func (s *Spool) write(e entry, sync bool) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if s.log == nil {
		return fmt.Errorf("spool: closed")
	}
	if _, err := s.log.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if sync && !s.NoSync {
		if err := s.log.Sync(); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
	}
	s.lines++
	return nil
}

// tidy rewrites the journal once it holds twice the lines its records
// need (a run takes three lines until compacted to one). Called after the
// in-memory records took the last entry; a failed rewrite leaves the
// journal as it was, which is still correct.
func (s *Spool) tidy() {
	if s.lines > 256+2*(len(s.live)+len(s.acked)) {
		_ = s.compact()
	}
}

// compact rewrites the journal with one line per wanted record, through a
// synced temporary file renamed over it, and reopens it for appending.
func (s *Spool) compact() error {
	path := filepath.Join(s.dir, journalName)
	if s.log != nil {
		s.log.Close()
		s.log = nil
	}
	defer func() {
		if s.log == nil { // failed: keep appending to the journal as it is
			s.log, _ = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		}
	}()
	_ = os.Remove(path + ".tmp") // an earlier version's temporary file
	f, err := atomicfile.Create(path, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer f.Abort() // no-op after the commit
	f.NoSync = s.NoSync
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w) // one JSON value and a newline per call
	n := 0
	for id, received := range s.acked {
		if err := enc.Encode(entry{Begin: &Record{RunID: id, State: Acked, Received: received}}); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		n++
	}
	for _, r := range s.live {
		rec := *r
		rec.State, rec.Result = Running, nil
		if err := enc.Encode(entry{Begin: &rec}); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		n++
		if r.State == Done {
			if err := enc.Encode(entry{Finish: r.Result}); err != nil {
				return fmt.Errorf("spool: %w", err)
			}
			n++
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.log, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.lines = n
	return nil
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
	if received, ok := s.acked[j.RunID]; ok {
		return Record{RunID: j.RunID, State: Acked, Received: received}, true, nil
	}
	rec = Record{RunID: j.RunID, JobID: j.JobID, Kind: j.Kind, State: Running, Received: time.Now().UTC()}
	if err := s.write(entry{Begin: &rec}, true); err != nil {
		return rec, false, err
	}
	r := rec
	s.live[j.RunID] = &r
	s.tidy()
	return rec, false, nil
}

func fileSize(p string) int64 {
	if fi, err := os.Stat(p); err == nil {
		return fi.Size()
	}
	return 0
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
	if err := s.write(entry{Finish: &res}, true); err != nil {
		return err
	}
	r.State, r.Result = Done, &res
	s.tidy()
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
	if err := s.write(entry{Ack: id}, false); err != nil {
		return err
	}
	if r.Stdout > 0 {
		os.Remove(s.path(id, ".stdout"))
	}
	if r.Stderr > 0 {
		os.Remove(s.path(id, ".stderr"))
	}
	delete(s.live, id)
	s.acked[id] = r.Received
	s.tidy()
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
	if received, ok := s.acked[id]; ok {
		return Record{RunID: id, State: Acked, Received: received}, nil
	}
	return Record{}, fmt.Errorf("spool: run %s: %w", id, os.ErrNotExist)
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
			delete(s.acked, id)
			n++
		}
	}
	if n > 0 && s.log != nil {
		_ = s.compact() // on failure the journal keeps them; harmless
	}
	return n
}
