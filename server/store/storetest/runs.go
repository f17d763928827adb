package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Jobs checks creation, ordering and paging, run transitions, idempotent
// results (also across a reopen), not-found errors.
func Jobs(t *testing.T, f Factory) {
	subtests(t, f, map[string]func(*testing.T, Factory){
		"TerminalOnceUnderRace":  testTerminalRunLeavesPendingOnce,
		"DeviceRunsNewestFirst":  testDeviceRunsNewestFirst,
		"QueryKindAndScope":      testJobsQueryKindAndScope,
		"DeviceRunsMergesWide":   testDeviceRunsMergesWideJobs,
		"StatesFollowRuns":       testJobStatesFollowRuns,
		"OrderAndPaging":         testJobsOrderAndPaging,
		"NotFound":               testJobsNotFound,
		"ResultIdempotent":       testResultIdempotent,
		"AdvanceRules":           testAdvanceRules,
		"CancelAndDataAnnotated": testCancelAndData,
	})
}

// Output checks chunks append idempotently by offset.
func Output(t *testing.T, f Factory) {
	subtests(t, f, map[string]func(*testing.T, Factory){
		"IdempotentAndCapped": testAppendOutputIdempotentAndCapped,
		"OutOfOrderAndReopen": testOutputOutOfOrderAndReopen,
	})
}

// oneRun stores job j1 with run r1 of device d1 in state.
func oneRun(t *testing.T, db store.Store, state string) {
	t.Helper()
	run := store.Run{ID: "r1", JobID: "j1", DeviceID: "d1", ClientID: "c1", State: state}
	if err := db.CreateJob(&store.Job{ID: "j1"}, []store.Run{run}); err != nil {
		t.Fatal(err)
	}
}

func testJobsOrderAndPaging(t *testing.T, f Factory) {
	db := f.fresh(t)
	base := int64(1763900000000)
	var ids []string // oldest first
	for k := 0; k < 5; k++ {
		jid := ID("j", base+int64(k)*1000, "job")
		kind := "script"
		if k%2 == 1 {
			kind = "power"
		}
		runs := []store.Run{{ID: ID("r", base+int64(k)*1000+1, "run"), JobID: jid, DeviceID: "d1", State: store.StateQueued}}
		if err := db.CreateJob(&store.Job{ID: jid, Kind: kind}, runs); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, jid)
	}
	all, err := db.Jobs(store.JobQuery{})
	if err != nil || len(all) != 5 {
		t.Fatalf("all jobs: %d %v", len(all), err)
	}
	for i, j := range all {
		if j.ID != ids[4-i] {
			t.Fatalf("job %d is %s, want %s (newest first)", i, j.ID, ids[4-i])
		}
	}
	// Pages of two, each continuing before the last one seen.
	var paged []string
	before := ""
	for page := 0; page < 4; page++ {
		got, err := db.Jobs(store.JobQuery{Before: before, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		for _, j := range got {
			paged = append(paged, j.ID)
		}
		before = got[len(got)-1].ID
	}
	if fmt.Sprint(paged) != fmt.Sprint([]string{ids[4], ids[3], ids[2], ids[1], ids[0]}) {
		t.Fatalf("paged %v, want every job once newest first", paged)
	}
	power, _ := db.Jobs(store.JobQuery{Kind: "power", Limit: 1})
	if len(power) != 1 || power[0].ID != ids[3] {
		t.Fatalf("newest power job = %+v, want %s", power, ids[3])
	}
	runs, err := db.JobRuns(ids[0])
	if err != nil || len(runs) != 1 || runs[0].JobID != ids[0] {
		t.Fatalf("JobRuns = %+v %v", runs, err)
	}
}

func testJobsNotFound(t *testing.T, f Factory) {
	db := f.fresh(t)
	if _, err := db.Job("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Job: %v", err)
	}
	if _, err := db.Run("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Run: %v", err)
	}
	if runs, err := db.JobRuns("nope"); err != nil || len(runs) != 0 {
		t.Errorf("JobRuns of an unknown job: %+v %v", runs, err)
	}
	oneRun(t, db, store.StateSent)
	res, err := db.ApplyRunOps([]store.RunOp{
		{RunID: "nope", Finish: &store.RunFinish{State: store.StateFailed}},
		{RunID: "r1", Device: "d2", Finish: &store.RunFinish{State: store.StateFailed}},
		{RunID: "nope", Output: &store.OutputOp{Stream: "stdout", Data: []byte("x"), Cap: 10}},
		{RunID: "r1", Device: "d1", Advance: &store.RunAdvance{State: store.StateRunning}},
		{RunID: "r1", Output: &store.OutputOp{Stream: "../etc", Data: []byte("x"), Cap: 10}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if !errors.Is(res[i].Err, store.ErrNotFound) || res[i].Changed {
			t.Errorf("op %d on an unknown run or another device's: %+v, want ErrNotFound", i, res[i])
		}
	}
	if res[3].Err != nil || !res[3].Changed || res[3].Run.State != store.StateRunning {
		t.Errorf("the good op in the same batch: %+v", res[3])
	}
	if !errors.Is(res[4].Err, store.ErrConflict) {
		t.Errorf("output to a bad stream: %+v, want ErrConflict", res[4])
	}
	if r, _ := db.Run("r1"); r.State != store.StateRunning {
		t.Fatalf("run after the batch: %s", r.State)
	}
}

// A result delivered twice keeps the first; so does one delivered again
// after the store is reopened (the agent resends after a restart).
func testResultIdempotent(t *testing.T, f Factory) {
	open := f(t)
	db := open()
	oneRun(t, db, store.StateRunning)
	first := &store.RunFinish{State: store.StateSucceeded, ExitCode: 0, Data: []byte(`{"a":1}`), At: time.Unix(100, 0).UTC()}
	second := &store.RunFinish{State: store.StateFailed, ExitCode: 7, Data: []byte(`{"a":2}`), At: time.Unix(200, 0).UTC()}
	res, err := db.ApplyRunOps([]store.RunOp{{RunID: "r1", Finish: first}, {RunID: "r1", Finish: second}})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Changed || !res[0].JobDone || res[1].Changed || res[1].JobDone {
		t.Fatalf("changed %v/%v done %v/%v, want only the first", res[0].Changed, res[1].Changed, res[0].JobDone, res[1].JobDone)
	}
	if r := res[1].Run; r.State != store.StateSucceeded || r.ExitCode != 0 || string(r.Data) != `{"a":1}` {
		t.Fatalf("the repeated result reports %+v, want the first", r)
	}
	db.Close()
	db = open()
	defer db.Close()
	res, err = db.ApplyRunOps([]store.RunOp{{RunID: "r1", Finish: second}})
	if err != nil || res[0].Err != nil || res[0].Changed {
		t.Fatalf("result after reopen: %+v %v, want unchanged", res[0], err)
	}
	r, err := db.Run("r1")
	if err != nil || r.State != store.StateSucceeded || r.ExitCode != 0 || string(r.Data) != `{"a":1}` || !r.EndedAt.Equal(first.At) {
		t.Fatalf("stored run %+v %v, want the first result", r, err)
	}
	if p, _ := db.PendingRuns(""); len(p) != 0 {
		t.Fatalf("finished run pending: %+v", p)
	}
	j, _ := db.Job("j1")
	if j.States[store.StateSucceeded] != 1 || len(j.States) != 1 {
		t.Fatalf("job states %v counted the repeat", j.States)
	}
}

func testAdvanceRules(t *testing.T, f Factory) {
	db := f.fresh(t)
	oneRun(t, db, store.StateQueued)
	at := time.Unix(1000, 0).UTC()
	steps := []struct {
		state   string
		changed bool
	}{
		{store.StateSent, true},
		{store.StateSent, false}, // same state
		{store.StateRunning, true},
		{store.StateSent, false}, // never back from running
	}
	for i, s := range steps {
		res, err := db.ApplyRunOps([]store.RunOp{{RunID: "r1", Advance: &store.RunAdvance{State: s.state, At: at.Add(time.Duration(i) * time.Second)}}})
		if err != nil || res[0].Changed != s.changed {
			t.Fatalf("step %d to %s: changed %v (%v), want %v", i, s.state, res[0].Changed, err, s.changed)
		}
	}
	r, _ := db.Run("r1")
	if r.State != store.StateRunning || !r.SentAt.Equal(at) || !r.StartedAt.Equal(at.Add(2*time.Second)) {
		t.Fatalf("run %+v", r)
	}
	if p, _ := db.PendingRuns("d1"); len(p) != 1 {
		t.Fatalf("running run not pending: %+v", p)
	}
	if _, err := db.ApplyRunOps([]store.RunOp{{RunID: "r1", Finish: &store.RunFinish{State: store.StateCancelled}}}); err != nil {
		t.Fatal(err)
	}
	res, _ := db.ApplyRunOps([]store.RunOp{{RunID: "r1", Advance: &store.RunAdvance{State: store.StateRunning}}})
	if res[0].Changed || res[0].Run.State != store.StateCancelled {
		t.Fatalf("a terminal run moved: %+v", res[0])
	}
}

func testCancelAndData(t *testing.T, f Factory) {
	db := f.fresh(t)
	oneRun(t, db, store.StateRunning)
	res, err := db.ApplyRunOps([]store.RunOp{{RunID: "r1", Cancel: true}, {RunID: "r1", Cancel: true}, {RunID: "r1", Data: []byte(`{"x":true}`)}})
	if err != nil || !res[0].Changed || res[1].Changed || !res[2].Changed {
		t.Fatalf("cancel/data results %+v %v", res, err)
	}
	r, _ := db.Run("r1")
	if !r.CancelRequested || string(r.Data) != `{"x":true}` || r.State != store.StateRunning {
		t.Fatalf("run %+v", r)
	}
}

// Chunks arriving out of order are refused past a gap and taken once the
// gap is filled; the same offset twice is stored once, also after reopen;
// nothing is stored once the run is terminal.
func testOutputOutOfOrderAndReopen(t *testing.T, f Factory) {
	open := f(t)
	db := open()
	oneRun(t, db, store.StateRunning)
	type step struct {
		off    int64
		data   string
		stored int
	}
	apply := func(steps []step) {
		t.Helper()
		for i, s := range steps {
			_, n, err := appendOut(t, db, "r1", "stdout", s.off, []byte(s.data), 1<<20)
			if err != nil || n != s.stored {
				t.Fatalf("chunk %d at %d: stored %d (%v), want %d", i, s.off, n, err, s.stored)
			}
		}
	}
	apply([]step{{4, "5678", 0}, {0, "1234", 4}, {4, "5678", 4}, {4, "5678", 0}, {0, "1234", 0}})
	if _, _, err := appendOut(t, db, "r1", "stderr", 0, []byte("err"), 1<<20); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = open()
	defer db.Close()
	apply([]step{{0, "12345678", 0}, {8, "9", 1}})
	out, next, err := db.Output("r1", "stdout", 0, 0)
	if err != nil || string(out) != "123456789" || next != 9 {
		t.Fatalf("stdout %q next %d %v", out, next, err)
	}
	if out, _, _ := db.Output("r1", "stderr", 0, 0); string(out) != "err" {
		t.Fatalf("stderr %q", out)
	}
	if _, err := db.ApplyRunOps([]store.RunOp{{RunID: "r1", Finish: &store.RunFinish{State: store.StateSucceeded}}}); err != nil {
		t.Fatal(err)
	}
	apply([]step{{9, "late", 0}})
	if r, _ := db.Run("r1"); r.Stdout != 9 || r.Stderr != 3 {
		t.Fatalf("byte counts %d/%d, want 9/3", r.Stdout, r.Stderr)
	}
	if out, _, _ := db.Output("nope", "stdout", 0, 0); len(out) != 0 {
		t.Fatalf("output of an unknown run: %q", out)
	}
}

// A job query's kind and client scope select what a technician may list:
// a scoped query keeps the jobs all of whose runs are on its clients, and
// the limit counts only the jobs it keeps.
func testJobsQueryKindAndScope(t *testing.T, f Factory) {
	db := f.fresh(t)
	base := int64(1763900000000)
	specs := []struct {
		kind    string
		clients []string
	}{{"script", []string{"cA"}}, {"power", []string{"cA", "cB"}}, {"script", []string{"cB"}}, {"script", nil}}
	var ids []string // oldest first
	for k, sp := range specs {
		jid := ID("j", base+int64(k)*1000, "job")
		var runs []store.Run
		for i, c := range sp.clients {
			runs = append(runs, store.Run{ID: ID("r", base+int64(k)*1000+int64(i)+1, "run"), JobID: jid,
				DeviceID: "d-" + c, ClientID: c, State: store.StateQueued})
		}
		if err := db.CreateJob(&store.Job{ID: jid, Kind: sp.kind}, runs); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, jid)
	}
	for _, c := range []struct {
		name string
		q    store.JobQuery
		want []string
	}{
		{"unscoped", store.JobQuery{}, []string{ids[3], ids[2], ids[1], ids[0]}},
		{"one client", store.JobQuery{Scope: store.Scope{Only: true, Clients: []string{"cA"}}}, []string{ids[0]}},
		{"two clients", store.JobQuery{Scope: store.Scope{Only: true, Clients: []string{"cB", "cA"}}}, []string{ids[2], ids[1], ids[0]}},
		{"no client", store.JobQuery{Scope: store.Scope{Only: true}}, nil},
		{"kind", store.JobQuery{Kind: "script"}, []string{ids[3], ids[2], ids[0]}},
		{"kind in scope", store.JobQuery{Kind: "power", Scope: store.Scope{Only: true, Clients: []string{"cA"}}}, nil},
		{"limit counts kept jobs", store.JobQuery{Scope: store.Scope{Only: true, Clients: []string{"cA"}}, Limit: 1}, []string{ids[0]}},
		{"before", store.JobQuery{Before: ids[2], Kind: "script"}, []string{ids[0]}},
	} {
		got, err := db.Jobs(c.q)
		var gotIDs []string
		for _, j := range got {
			gotIDs = append(gotIDs, j.ID)
			if j.States == nil {
				t.Errorf("%s: job %s listed without its states", c.name, j.ID)
			}
		}
		if err != nil || fmt.Sprint(gotIDs) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v (%v), want %v", c.name, gotIDs, err, c.want)
		}
	}
}
