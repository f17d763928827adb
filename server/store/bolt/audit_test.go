package boltstore

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"github.com/steward-rmm/steward/server/store"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var testAuditKey = bytes.Repeat([]byte{7}, 32)

// keyedChain makes a keyed audit log of n records and returns the heads an
// anchor file would hold.
func keyedChain(t *testing.T, n int) (*DB, store.AuditAnchors) {
	t.Helper()
	db := open(t)
	from, err := db.SetAuditKey(testAuditKey)
	if err != nil || from != 1 {
		t.Fatalf("set key: %d %v", from, err)
	}
	an := store.AuditAnchors{KeyedFrom: from, Heads: map[uint64]string{}}
	for i := 0; i < n; i++ {
		e, err := db.AppendAudit(store.AuditEvent{At: time.Now().UTC(), Actor: "alice", Action: "job.create", Target: "d" + string(rune('1'+i))})
		if err != nil {
			t.Fatal(err)
		}
		an.Heads[e.Seq] = e.MAC
	}
	return db, an
}

// rewriteAudit replaces the log with fn's version of it, renumbered and
// with every hash recomputed, and with every MAC too when key is given:
// what someone with the database file (and perhaps the key) could do.
func rewriteAudit(t *testing.T, db *DB, key []byte, fn func([]store.AuditEvent) []store.AuditEvent) {
	t.Helper()
	evs, err := db.Audit(store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	evs = fn(evs)
	err = db.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bAudit); err != nil {
			return err
		}
		b, err := tx.CreateBucket(bAudit)
		if err != nil {
			return err
		}
		prev, link := "", ""
		for i := range evs {
			e := &evs[i]
			e.Seq, e.Prev = uint64(i+1), prev
			e.Hash = store.AuditHash(*e)
			if key != nil {
				e.MAC = store.AuditMAC(key, link, *e)
			}
			prev, link = e.Hash, e.MAC
			if link == "" {
				link = e.Hash
			}
			v, _ := json.Marshal(e)
			if err := b.Put(binary.BigEndian.AppendUint64(nil, e.Seq), v); err != nil {
				return err
			}
		}
		return b.SetSequence(uint64(len(evs)))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func wantBreak(t *testing.T, what string, db *DB, an store.AuditAnchors, seq uint64) {
	t.Helper()
	_, err := db.VerifyAudit(an)
	var br *store.AuditBreak
	if !errors.As(err, &br) || br.Seq != seq {
		t.Errorf("%s: verify says %v, want a break at record %d", what, err, seq)
	}
}

func TestAuditKeyedChainReportsRewrites(t *testing.T) {
	db, an := keyedChain(t, 6)
	if n, err := db.VerifyAudit(an); err != nil || n != 6 {
		t.Fatalf("intact chain: %d %v", n, err)
	}
	remove3 := func(evs []store.AuditEvent) []store.AuditEvent { return append(evs[:2:2], evs[3:]...) }

	// The finding's attack: a record removed and every later hash recomputed.
	db, an = keyedChain(t, 6)
	rewriteAudit(t, db, nil, remove3)
	wantBreak(t, "removal, hashes recomputed without the key", db, an, 3)
	wantBreak(t, "removal, hashes recomputed without the key, no anchor", db, store.AuditAnchors{}, 3)

	// With the key as well, the anchor still shows it.
	db, an = keyedChain(t, 6)
	rewriteAudit(t, db, testAuditKey, remove3)
	wantBreak(t, "removal, MACs recomputed with the key", db, an, 3)

	db, an = keyedChain(t, 6)
	rewriteAudit(t, db, nil, func(evs []store.AuditEvent) []store.AuditEvent {
		evs[1], evs[3] = evs[3], evs[1]
		return evs
	})
	wantBreak(t, "two records swapped", db, an, 2)

	db, an = keyedChain(t, 6)
	rewriteAudit(t, db, nil, func(evs []store.AuditEvent) []store.AuditEvent {
		evs[4].Actor = "mallory"
		return evs
	})
	wantBreak(t, "an edited record", db, an, 5)

	db, an = keyedChain(t, 6)
	rewriteAudit(t, db, testAuditKey, func(evs []store.AuditEvent) []store.AuditEvent { return evs[:4] })
	wantBreak(t, "the last records deleted", db, an, 5)

	// Claiming the keyed chain starts later (to pass keyed records off as
	// unkeyed ones) disagrees with the anchor.
	db, an = keyedChain(t, 6)
	rewriteAudit(t, db, nil, func(evs []store.AuditEvent) []store.AuditEvent {
		for i := range evs {
			evs[i].MAC = ""
		}
		return evs[:5]
	})
	if err := db.SetMeta(metaAuditKeyedFrom, "100"); err != nil {
		t.Fatal(err)
	}
	wantBreak(t, "keyed chain start moved", db, an, 1)
}

// TestAuditUnkeyedFixtureMigrates opens a database written by the server
// before the audit key existed (testdata, five records): its records still
// verify, and the keyed chain starts after them.
func TestAuditUnkeyedFixtureMigrates(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Open("testdata/audit-unkeyed-v1.db.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "steward.db"), buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	from, err := db.SetAuditKey(testAuditKey)
	if err != nil || from != 6 {
		t.Fatalf("keyed chain starts at %d (%v), want 6", from, err)
	}
	an := store.AuditAnchors{KeyedFrom: from, Heads: map[uint64]string{}}
	for i := 0; i < 3; i++ {
		e, err := db.AppendAudit(store.AuditEvent{At: time.Now().UTC(), Actor: "admin", Action: "client.create"})
		if err != nil || e.MAC == "" {
			t.Fatalf("append: %+v %v", e, err)
		}
		an.Heads[e.Seq] = e.MAC
	}
	if n, err := db.VerifyAudit(an); err != nil || n != 8 {
		t.Fatalf("migrated chain: %d %v", n, err)
	}
	evs, _ := db.Audit(store.AuditQuery{})
	if evs[0].Action != "setup.admin_created" || evs[4].MAC != "" || !strings.HasPrefix(evs[4].Source, "192.0.2.") {
		t.Fatalf("fixture records: %+v", evs[:5])
	}
	// Removing an old record and recomputing everything after it without
	// the key is still caught, at the first record that no longer fits.
	rewriteAudit(t, db, nil, func(evs []store.AuditEvent) []store.AuditEvent { return append(evs[:1:1], evs[2:]...) })
	if _, err := db.VerifyAudit(an); err == nil {
		t.Fatal("removal in the unkeyed part not detected")
	}
}
