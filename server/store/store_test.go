package store

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
	bolt "go.etcd.io/bbolt"
)

func open(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestAppendOutputIdempotentAndCapped(t *testing.T) {
	db := open(t)
	run := Run{ID: "r1", JobID: "j1", DeviceID: "d1", State: protocol.StateRunning, Expires: time.Now().Add(time.Hour)}
	if err := db.CreateJob(Job{ID: "j1"}, []Run{run}); err != nil {
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
		_, n, err := db.AppendOutput("r1", "stdout", s.off, []byte(s.data), 15)
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
	if _, _, err := db.AppendOutput("r1", "../etc", 0, []byte("x"), 15); err == nil {
		t.Fatal("bad stream accepted")
	}
}

func TestTerminalRunLeavesPendingOnce(t *testing.T) {
	db := open(t)
	runs := []Run{{ID: "r1", JobID: "j1", DeviceID: "d1", State: protocol.StateQueued}, {ID: "r2", JobID: "j1", DeviceID: "d2", State: protocol.StateQueued}}
	if err := db.CreateJob(Job{ID: "j1"}, runs); err != nil {
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
			_, ok, err := db.UpdateRun("r1", func(r *Run) bool {
				if protocol.Terminal(r.State) {
					return false
				}
				r.State, r.ExitCode = protocol.StateSucceeded, i
				return true
			})
			if err != nil {
				t.Error(err)
			}
			if ok {
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

func TestAuditChainDetectsEdits(t *testing.T) {
	db := open(t)
	for i := 0; i < 5; i++ {
		if _, err := db.AppendAudit(AuditEvent{At: time.Now(), Actor: "alice", Action: "job.create", Target: "d1"}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.VerifyAudit(); err != nil || n != 5 {
		t.Fatalf("verify: %d %v", n, err)
	}
	// Edit record 3 in place, as someone with the database file could.
	err := db.Bolt().Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		k := []byte{0, 0, 0, 0, 0, 0, 0, 3}
		var e AuditEvent
		if err := json.Unmarshal(b.Get(k), &e); err != nil {
			return err
		}
		e.Actor = "mallory"
		v, _ := json.Marshal(e)
		return b.Put(k, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.VerifyAudit(); err == nil || !strings.Contains(err.Error(), "record 3") {
		t.Fatalf("edited record not detected: %v", err)
	}
}

func TestEnrollTokenRules(t *testing.T) {
	db := open(t)
	if err := db.CreateClient(Client{ID: "c1", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateClient(Client{ID: "c2", Name: "Acme"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate client name: %v", err)
	}
	now := time.Now()
	if err := db.CreateEnrollToken(EnrollToken{ID: "t1", ClientID: "c1", Hash: "h1", ExpiresAt: now.Add(time.Hour), MaxUses: 2}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateEnrollToken(EnrollToken{ID: "t2", ClientID: "nope", Hash: "h2"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("token for unknown client: %v", err)
	}
	d1, existing, err := db.Enroll("h1", now, Device{ID: "d1", KeyHash: "k1"})
	if err != nil || existing || d1.ClientID != "c1" {
		t.Fatalf("enroll: %+v %v %v", d1, existing, err)
	}
	// The same key again keeps its identity and uses no token use.
	d, existing, err := db.Enroll("h1", now, Device{ID: "d9", KeyHash: "k1"})
	if err != nil || !existing || d.ID != "d1" {
		t.Fatalf("re-enroll: %+v %v %v", d, existing, err)
	}
	if _, _, err := db.Enroll("h1", now, Device{ID: "d2", KeyHash: "k2"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Enroll("h1", now, Device{ID: "d3", KeyHash: "k3"}); !errors.Is(err, ErrTokenUsedUp) {
		t.Fatalf("third use: %v", err)
	}
	if _, _, err := db.Enroll("h1", now.Add(2*time.Hour), Device{ID: "d4", KeyHash: "k4"}); !errors.Is(err, ErrTokenExpired) &&
		!errors.Is(err, ErrTokenUsedUp) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := db.RevokeEnrollToken("t1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Enroll("h1", now, Device{ID: "d5", KeyHash: "k5"}); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("revoked: %v", err)
	}
}

func TestDeviceRunsNewestFirst(t *testing.T) {
	db := open(t)
	for _, j := range []string{"j1", "j2", "j3"} {
		runs := []Run{{ID: "r_" + j + "a", JobID: j, DeviceID: "d1"}, {ID: "r_" + j + "b", JobID: j, DeviceID: "d2"}}
		if err := db.CreateJob(Job{ID: j}, runs); err != nil {
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
