package boltstore

import (
	"encoding/json"
	"github.com/steward-rmm/steward/server/store"
	"github.com/steward-rmm/steward/server/store/storetest"
	"strings"
	"testing"
	"time"

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

func TestAuditChainDetectsEdits(t *testing.T) {
	db := open(t)
	for i := 0; i < 5; i++ {
		if _, err := db.AppendAudit(store.AuditEvent{At: time.Now(), Actor: "alice", Action: "job.create", Target: "d1"}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.VerifyAudit(store.AuditAnchors{}); err != nil || n != 5 {
		t.Fatalf("verify: %d %v", n, err)
	}
	// Edit record 3 in place, as someone with the database file could.
	err := db.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		k := []byte{0, 0, 0, 0, 0, 0, 0, 3}
		var e store.AuditEvent
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
	if _, err := db.VerifyAudit(store.AuditAnchors{}); err == nil || !strings.Contains(err.Error(), "record 3") {
		t.Fatalf("edited record not detected: %v", err)
	}
}

func TestIDMillis(t *testing.T) {
	for _, ms := range []int64{0, 1, 1763900000000, 1<<48 - 1} {
		if got, ok := idMillis(storetest.ID("r", ms, "xyz")); !ok || got != ms {
			t.Errorf("idMillis(%d) = %d, %v", ms, got, ok)
		}
	}
	for _, bad := range []string{"", "r", "r_", "r_0123", "r_012345678!", "nounderscore0123456789"} {
		if _, ok := idMillis(bad); ok {
			t.Errorf("idMillis(%q) accepted", bad)
		}
	}
}
