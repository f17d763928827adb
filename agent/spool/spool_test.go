package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/protocol"
)

func TestBeginOnceFinishAck(t *testing.T) {
	s, err := Open(t.TempDir(), 8)
	if err != nil {
		t.Fatal(err)
	}
	j := protocol.Job{RunID: "r_1", JobID: "j_1", Kind: "script"}
	if _, dup, err := s.Begin(j); err != nil || dup {
		t.Fatalf("first begin: dup=%v %v", dup, err)
	}
	if _, dup, _ := s.Begin(j); !dup {
		t.Fatal("second delivery not detected")
	}
	w := s.Writer("r_1")
	var offs []int64
	var kept []string
	var trunc bool
	for _, c := range []string{"hello", " world"} {
		w.Append("stdout", []byte(c), func(off int64, k []byte, tr bool) {
			offs, kept, trunc = append(offs, off), append(kept, string(k)), tr
		})
	}
	if offs[1] != 5 || kept[1] != " wo" || !trunc || string(s.ReadOutput("r_1", "stdout")) != "hello wo" {
		t.Fatalf("offsets %v kept %q trunc %v", offs, kept, trunc)
	}
	if err := s.Finish(protocol.JobResult{RunID: "r_1", State: protocol.StateSucceeded}); err != nil {
		t.Fatal(err)
	}
	// A second result never replaces the first.
	_ = s.Finish(protocol.JobResult{RunID: "r_1", State: protocol.StateFailed})
	p, _ := s.Pending()
	if len(p) != 1 || p[0].Result.State != protocol.StateSucceeded {
		t.Fatalf("pending %+v", p)
	}
	if err := s.Ack("r_1"); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Pending(); len(p) != 0 {
		t.Fatalf("acked run still pending: %+v", p)
	}
	if _, dup, _ := s.Begin(j); !dup {
		t.Fatal("acked run would run again")
	}
}

func TestRejectsPathIDs(t *testing.T) {
	s, _ := Open(t.TempDir(), 8)
	for _, id := range []string{"../x", "a/b", "", "x\x00"} {
		if _, _, err := s.Begin(protocol.Job{RunID: id}); !errors.Is(err, ErrBadID) {
			t.Errorf("%q: %v", id, err)
		}
	}
}

// The in-memory index must agree with the files after a restart: a record
// begun, finished or acknowledged before Open is seen as such after it.
func TestReopenKeepsEveryState(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"r_run", "r_done", "r_acked"} {
		if _, _, err := s.Begin(protocol.Job{RunID: id, JobID: "j", Kind: "script"}); err != nil {
			t.Fatal(err)
		}
	}
	s.Writer("r_run").Append("stdout", []byte("abc"), nil)
	s.Writer("r_acked").Append("stderr", []byte("gone"), nil)
	for _, id := range []string{"r_done", "r_acked"} {
		if err := s.Finish(protocol.JobResult{RunID: id, State: protocol.StateSucceeded, ExitCode: 7}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Ack("r_acked"); err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of a write leaves half a line at the end.
	if f, err := os.OpenFile(filepath.Join(dir, journalName), os.O_WRONLY|os.O_APPEND, 0); err != nil {
		t.Fatal(err)
	} else {
		f.WriteString(`{"f":{"run_id":"r_run","sta`)
		f.Close()
	}

	s2, err := Open(dir, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s2.Pending()
	got := map[string]string{}
	for _, r := range p {
		got[r.RunID] = r.State
	}
	if len(got) != 2 || got["r_run"] != Running || got["r_done"] != Done {
		t.Fatalf("pending after reopen: %v", got)
	}
	for _, r := range p {
		if r.RunID == "r_done" && (r.Result == nil || r.Result.ExitCode != 7) {
			t.Fatalf("result lost: %+v", r.Result)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "r_acked.stderr")); !os.IsNotExist(err) {
		t.Fatalf("acked run's output kept: %v", err)
	}
	if _, dup, _ := s2.Begin(protocol.Job{RunID: "r_acked"}); !dup {
		t.Fatal("acked run would run again after a restart")
	}
	// A writer resumes after the output already stored.
	var off int64 = -1
	s2.Writer("r_run").Append("stdout", []byte("d"), func(o int64, _ []byte, _ bool) { off = o })
	if off != 3 || string(s2.ReadOutput("r_run", "stdout")) != "abcd" {
		t.Fatalf("resumed at %d, output %q", off, s2.ReadOutput("r_run", "stdout"))
	}
	if err := s2.Ack("r_unknown"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ack of unknown run: %v", err)
	}
	// Pruning drops old acknowledged records, and only those.
	if n := s2.Prune(0); n != 1 {
		t.Fatalf("pruned %d, want 1", n)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, journalName)); strings.Contains(string(b), "r_acked") || !strings.Contains(string(b), "r_done") {
		t.Fatalf("journal after prune: %s", b)
	}
	s2.Close()
	s3, err := Open(dir, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if _, dup, _ := s3.Begin(protocol.Job{RunID: "r_acked"}); dup {
		t.Fatal("pruned run still known after a restart")
	}
	if r, err := s3.Get("r_done"); err != nil || r.State != Done || r.Result.ExitCode != 7 {
		t.Fatalf("r_done after two restarts: %+v %v", r, err)
	}
}

// Records of the one file per run layout are taken over by the journal
// and their files removed.
func TestOpenTakesOverLegacyFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("r_a.json", `{"run_id":"r_a","job_id":"j","kind":"script","state":"done","received":"2026-11-20T10:00:00Z","result":{"run_id":"r_a","state":"succeeded","exit_code":3}}`)
	write("r_b.json", `{"run_id":"r_b","state":"acked","received":"2026-11-20T10:00:00Z"}`)
	write("r_c.json", `{"run_id":"r_c","state":"running","received":"2026-11-20T10:00:00Z"}`)
	write("r_c.json.tmp", `{half`)
	write("r_d.json", `not json`)
	write("r_c.stdout", "12345")
	s, err := Open(dir, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, _ := s.Pending()
	if len(p) != 2 || p[0].RunID == p[1].RunID {
		t.Fatalf("pending %+v", p)
	}
	for _, r := range p {
		switch r.RunID {
		case "r_a":
			if r.State != Done || r.Result == nil || r.Result.ExitCode != 3 {
				t.Fatalf("r_a %+v", r)
			}
		case "r_c":
			if r.State != Running || r.Stdout != 5 {
				t.Fatalf("r_c %+v", r)
			}
		default:
			t.Fatalf("unexpected %+v", r)
		}
	}
	if _, dup, _ := s.Begin(protocol.Job{RunID: "r_b"}); !dup {
		t.Fatal("acked legacy run would run again")
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.json*"))
	if len(left) != 1 || filepath.Base(left[0]) != journalName {
		t.Fatalf("legacy files left: %v", left)
	}
}

// The journal is rewritten as it grows, so a busy agent's spool stays the
// size of what it must remember, and nothing is lost in the rewrite.
func TestJournalCompacts(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	s.NoSync = true // 4,000 fsyncs would only slow the test
	for i := 0; i < 2000; i++ {
		id := fmt.Sprintf("r_%d", i)
		s.Begin(protocol.Job{RunID: id})
		s.Finish(protocol.JobResult{RunID: id, State: protocol.StateSucceeded})
		if i%2 == 0 {
			s.Ack(id)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, journalName))
	// 2000 records written in 5000 lines; compaction keeps it near 2000.
	if n := strings.Count(string(b), "\n"); n > 256+2*2000 {
		t.Fatalf("journal has %d lines", n)
	}
	s.Close()
	s2, err := Open(dir, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	p, _ := s2.Pending()
	if len(p) != 1000 {
		t.Fatalf("%d pending after reopen, want 1000", len(p))
	}
	for _, r := range p {
		if r.State != Done || r.Result == nil || r.Result.State != protocol.StateSucceeded {
			t.Fatalf("record %+v", r)
		}
	}
}
