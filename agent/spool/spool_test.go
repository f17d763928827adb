package spool

import (
	"errors"
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
