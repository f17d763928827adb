//go:build linux

package e2e_test

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// rewriteAuditDB replaces the stopped server's audit log with fn's version,
// renumbered, with every hash recomputed, and every MAC too when key is
// given: what someone with the database file (and perhaps the key) can do.
func rewriteAuditDB(t *testing.T, dir string, key []byte, fn func([]store.AuditEvent) []store.AuditEvent) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "steward.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		var evs []store.AuditEvent
		if err := b.ForEach(func(k, v []byte) error {
			var e store.AuditEvent
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			evs = append(evs, e)
			return nil
		}); err != nil {
			return err
		}
		if err := tx.DeleteBucket([]byte("audit")); err != nil {
			return err
		}
		if b, err = tx.CreateBucket([]byte("audit")); err != nil {
			return err
		}
		evs = fn(evs)
		prev, link := "", ""
		for i := range evs {
			e := &evs[i]
			e.Seq, e.Prev = uint64(i+1), prev // without the key, MACs stay as they were
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

// TestAuditRewriteReportedByVerify performs the finding's attack on a real
// server's database (a record removed and every later hash recomputed),
// the same with the audit key in hand, and a cut-off tail; stewardctl
// audit verify reports each, naming the first bad record.
func TestAuditRewriteReportedByVerify(t *testing.T) {
	e := startServer(t, serverConfig())
	for _, name := range []string{"Alpha", "Bravo", "Charlie", "Delta"} {
		e.createClient(name)
	}
	if out, _, code := e.ctl(t, "audit", "verify"); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("verify before tampering: %d %s", code, out)
	}
	for _, f := range []string{"audit.key", "audit-anchor.log"} {
		if st, err := os.Stat(filepath.Join(e.dir, f)); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, st, err)
		}
	}
	hexKey, err := os.ReadFile(filepath.Join(e.dir, "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := hex.DecodeString(strings.TrimSpace(string(hexKey)))
	e.stop()
	pristine, err := os.ReadFile(filepath.Join(e.dir, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	firstMissing := 0
	remove3 := func(evs []store.AuditEvent) []store.AuditEvent { return append(evs[:2:2], evs[3:]...) }
	for _, c := range []struct {
		what string
		key  []byte
		fn   func([]store.AuditEvent) []store.AuditEvent
		want string
	}{
		{"record 3 removed, later hashes recomputed", nil, remove3, "record 3 "},
		{"record 3 removed, later hashes and MACs recomputed with the key", key, remove3, "record 3 "},
		{"records 2 and 4 swapped", nil, func(evs []store.AuditEvent) []store.AuditEvent {
			evs[1], evs[3] = evs[3], evs[1]
			return evs
		}, "record 2 "},
		{"last two records deleted", key, func(evs []store.AuditEvent) []store.AuditEvent {
			firstMissing = len(evs) - 1
			return evs[:len(evs)-2]
		}, ""},
	} {
		rewriteAuditDB(t, e.dir, c.key, c.fn)
		if c.want == "" {
			c.want = fmt.Sprintf("record %d ", firstMissing)
		}
		e.start()
		out, _, code := e.ctl(t, "audit", "verify")
		if code != 1 || !strings.Contains(out, "BROKEN at "+c.want) {
			t.Errorf("%s: verify %d %s", c.what, code, out)
		}
		e.stop()
		if err := os.WriteFile(filepath.Join(e.dir, "steward.db"), pristine, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
