package storetest

import (
	"fmt"
	"github.com/steward-rmm/steward/server/store"
	"strings"
	"sync"
	"testing"
	"time"
)

// Chunks resent, overlapping, past a gap and past the cap.
func testAppendOutputIdempotentAndCapped(t *testing.T, f Factory) {
	db := f.fresh(t)
	run := store.Run{ID: "r1", JobID: "j1", DeviceID: "d1", State: store.StateRunning, Expires: time.Now().Add(time.Hour)}
	if err := db.CreateJob(&store.Job{ID: "j1"}, []store.Run{run}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		off    int64
		data   string
		stored int
	}{
		{0, "hello ", 6},
		{0, "hello ", 0},     // resent after a reconnect: skipped
		{3, "lo world", 5},   // overlaps: only the new part
		{20, "gap", 0},       // past a gap: refused until the gap is filled
		{11, "!!!!!!!!!", 4}, // crosses the cap of 15 bytes
		{20, "more", 0},      // beyond the cap
	}
	for i, s := range steps {
		_, n, err := appendOut(t, db, "r1", "stdout", s.off, []byte(s.data), 15)
		if err != nil || n != s.stored {
			t.Fatalf("step %d: stored %d (%v), want %d", i, n, err, s.stored)
		}
	}
	out, next, err := db.Output("r1", "stdout", 0, 0)
	if err != nil || string(out) != "hello world!!!!" || next != 15 {
		t.Fatalf("output %q next %d err %v", out, next, err)
	}
	part, next, _ := db.Output("r1", "stdout", 6, 3)
	if string(part) != "wor" || next != 9 {
		t.Fatalf("partial read %q %d", part, next)
	}
	r, _ := db.Run("r1")
	if !r.Truncated {
		t.Fatal("run not marked truncated")
	}
	if _, _, err := appendOut(t, db, "r1", "../etc", 0, []byte("x"), 15); err == nil {
		t.Fatal("bad stream accepted")
	}
}

// Twenty results racing for one run: one terminal transition, and the
// run leaves the pending index.
func testTerminalRunLeavesPendingOnce(t *testing.T, f Factory) {
	db := f.fresh(t)
	runs := []store.Run{{ID: "r1", JobID: "j1", DeviceID: "d1", State: store.StateQueued}, {ID: "r2", JobID: "j1", DeviceID: "d2", State: store.StateQueued}}
	if err := db.CreateJob(&store.Job{ID: "j1"}, runs); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.PendingRuns("d1"); len(p) != 1 {
		t.Fatalf("pending %v", p)
	}
	// Concurrent results for the same run: exactly one terminal transition.
	var wg sync.WaitGroup
	var mu sync.Mutex
	changed := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res, err := db.ApplyRunOps([]store.RunOp{{RunID: "r1", Finish: &store.RunFinish{State: store.StateSucceeded, ExitCode: i}}})
			if err != nil || res[0].Err != nil {
				t.Error(err, res[0].Err)
			}
			if res[0].Changed {
				mu.Lock()
				changed++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if changed != 1 {
		t.Fatalf("%d terminal transitions, want 1", changed)
	}
	if p, _ := db.PendingRuns("d1"); len(p) != 0 {
		t.Fatalf("terminal run still pending: %v", p)
	}
	if p, _ := db.PendingRuns(""); len(p) != 1 || p[0].ID != "r2" {
		t.Fatalf("all pending %v", p)
	}
}

// A device's runs newest first, limited; another ID's prefix never matches.
func testDeviceRunsNewestFirst(t *testing.T, f Factory) {
	db := f.fresh(t)
	for _, j := range []string{"j1", "j2", "j3"} {
		runs := []store.Run{{ID: "r_" + j + "a", JobID: j, DeviceID: "d1"}, {ID: "r_" + j + "b", JobID: j, DeviceID: "d2"}}
		if err := db.CreateJob(&store.Job{ID: j}, runs); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.DeviceRuns("d1", 2)
	if err != nil || len(got) != 2 || got[0].ID != "r_j3a" || got[1].ID != "r_j2a" {
		t.Fatalf("%+v %v", got, err)
	}
	if got, _ := db.DeviceRuns("d", 0); len(got) != 0 {
		t.Fatalf("prefix of another id matched: %+v", got)
	}
}

// ID makes an id the way the server does: prefix, "_", base32 of the
// millisecond time and a random tail (fixed here). Implementations' own
// tests use it for ids whose time part matters.
func ID(prefix string, ms int64, tail string) string {
	var b []byte
	for i := 5; i >= 0; i-- {
		b = append(b, byte(ms>>(8*i)))
	}
	b = append(b, tail...)
	for len(b) < 15 {
		b = append(b, 0)
	}
	var sb strings.Builder
	var acc uint64
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint64(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			sb.WriteByte(idAlphabet[(acc>>bits)&31])
		}
	}
	return prefix + "_" + sb.String()
}

// A device's history merges its narrow jobs (device_runs) with the wide
// ones (wide_runs), newest first, and a wide job's other devices never
// show up in it.
func testDeviceRunsMergesWideJobs(t *testing.T, f Factory) {
	db := f.fresh(t)
	base := int64(1763900000000)
	var want []string // d1's runs, oldest first
	for k := 0; k < 6; k++ {
		ms := base + int64(k)*1000
		jid := ID("j", ms, "job")
		var runs []store.Run
		n := 1
		if k%2 == 1 {
			n = store.WideJob + 5 // wide: d1 plus other devices
		}
		for i := 0; i < n; i++ {
			dev := fmt.Sprintf("d%d", i+1)
			runs = append(runs, store.Run{ID: ID("r", ms+1, fmt.Sprintf("%04d", i)), JobID: jid, DeviceID: dev, ClientID: "c1",
				State: store.StateQueued})
		}
		want = append(want, runs[0].ID)
		if err := db.CreateJob(&store.Job{ID: jid}, runs); err != nil {
			t.Fatal(err)
		}
	}
	for _, limit := range []int{0, 1, 3, 6} {
		got, err := db.DeviceRuns("d1", limit)
		if err != nil {
			t.Fatal(err)
		}
		n := len(want)
		if limit > 0 {
			n = limit
		}
		if len(got) != n {
			t.Fatalf("limit %d: %d runs", limit, len(got))
		}
		for i, r := range got {
			if w := want[len(want)-1-i]; r.ID != w || r.DeviceID != "d1" {
				t.Fatalf("limit %d: run %d is %s of %s, want %s", limit, i, r.ID, r.DeviceID, w)
			}
		}
	}
	if got, _ := db.DeviceRuns("d2", 0); len(got) != 3 {
		t.Fatalf("d2 is only in the 3 wide jobs, got %d runs", len(got))
	}
}

// The job record's per-state counts follow its runs, and exactly the op
// that ends the last run says the job is done.
func testJobStatesFollowRuns(t *testing.T, f Factory) {
	db := f.fresh(t)
	runs := []store.Run{{ID: "r_1", JobID: "j_1", DeviceID: "d1", ClientID: "cB", State: store.StateSent},
		{ID: "r_2", JobID: "j_1", DeviceID: "d2", ClientID: "cA", State: store.StateQueued}}
	j := store.Job{ID: "j_1"}
	if err := db.CreateJob(&j, runs); err != nil {
		t.Fatal(err)
	}
	if j.States[store.StateSent] != 1 || j.States[store.StateQueued] != 1 || strings.Join(j.Clients, ",") != "cA,cB" || j.Done() {
		t.Fatalf("created: %+v", j)
	}
	res, err := db.ApplyRunOps([]store.RunOp{{RunID: "r_1", Advance: &store.RunAdvance{State: store.StateRunning}},
		{RunID: "r_1", Finish: &store.RunFinish{State: store.StateSucceeded}},
		{RunID: "r_2", Finish: &store.RunFinish{State: store.StateFailed}}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].JobDone || res[1].JobDone || !res[2].JobDone {
		t.Fatalf("JobDone flags %v %v %v", res[0].JobDone, res[1].JobDone, res[2].JobDone)
	}
	got, _ := db.Job("j_1")
	if len(got.States) != 2 || got.States[store.StateSucceeded] != 1 || got.States[store.StateFailed] != 1 || !got.Done() {
		t.Fatalf("stored states %v", got.States)
	}
	// A job stored before counts were kept gets them from its runs.
	old := store.Job{ID: "j_1"}
	if err := db.JobStates(&old); err != nil || old.States[store.StateFailed] != 1 || len(old.Clients) != 2 {
		t.Fatalf("computed %+v %v", old, err)
	}
}

// appendOut stores one output chunk through ApplyRunOps.
func appendOut(t *testing.T, db store.Store, runID, stream string, off int64, data []byte, capBytes int64) (store.Run, int, error) {
	t.Helper()
	res, err := db.ApplyRunOps([]store.RunOp{{RunID: runID, Output: &store.OutputOp{Stream: stream, Offset: off, Data: data, Cap: capBytes}}})
	if err != nil {
		return store.Run{}, 0, err
	}
	return res[0].Run, res[0].Stored, res[0].Err
}

// idAlphabet is the server's id encoding (base32, Crockford-like).
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"
