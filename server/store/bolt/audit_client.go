package boltstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// bAuditClient indexes the audit log by client: client NUL 8-byte record
// number -> nothing, one entry per client an event concerns (its Client
// field is a comma-separated list). It is written in the same transaction
// as the record, so one client's activity is read without the whole log.
var bAuditClient = []byte("audit_by_client")

// auditClients lists the distinct clients an event concerns.
func auditClients(e *store.AuditEvent) []string {
	var out []string
	for c := range strings.SplitSeq(e.Client, ",") {
		if c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func auditClientKey(client string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(client+"\x00"), seq)
}

// indexAudit records the event under each client it concerns.
func indexAudit(tx *bolt.Tx, e *store.AuditEvent) error {
	b := tx.Bucket(bAuditClient)
	for _, c := range auditClients(e) {
		if err := b.Put(auditClientKey(c, e.Seq), nil); err != nil {
			return err
		}
	}
	return nil
}

// reindexAudit builds the client index from the stored log (the
// migration that brought it).
func reindexAudit(tx *bolt.Tx) error {
	return tx.Bucket(bAudit).ForEach(func(k, v []byte) error {
		var e store.AuditEvent
		if err := decode(v, &e); err != nil {
			return fmt.Errorf("store: audit %x: %w", k, err)
		}
		e.Seq = binary.BigEndian.Uint64(k)
		return indexAudit(tx, &e)
	})
}

// auditSeqs walks the record numbers q selects by number alone (After,
// Before, Newest; through the client index when q.Client is set) and
// calls fn with each record until fn returns false.
func auditSeqs(tx *bolt.Tx, q *store.AuditQuery, fn func(k, v []byte) (bool, error)) error {
	var prefix []byte
	c := tx.Bucket(bAudit).Cursor()
	if q.Client != "" {
		prefix = []byte(q.Client + "\x00")
		c = tx.Bucket(bAuditClient).Cursor()
	}
	log := tx.Bucket(bAudit)
	var k, v []byte
	if q.Newest {
		if q.Before == 0 {
			k, _ = c.Seek(append(slices.Clip(prefix), bytes.Repeat([]byte{0xff}, 9)...))
		} else {
			k, _ = c.Seek(binary.BigEndian.AppendUint64(slices.Clip(prefix), q.Before))
		}
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	} else {
		k, v = c.Seek(binary.BigEndian.AppendUint64(slices.Clip(prefix), q.After+1))
	}
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = step(c, q.Newest) {
		seq := binary.BigEndian.Uint64(k[len(prefix):])
		if (q.Newest && seq <= q.After) || (!q.Newest && q.Before != 0 && seq >= q.Before) {
			return nil
		}
		key := k[len(prefix):]
		if prefix != nil {
			if v = log.Get(key); v == nil {
				continue // indexed but not in the log: never written together, skip
			}
		}
		more, err := fn(key, v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

func step(c *bolt.Cursor, back bool) ([]byte, []byte) {
	if back {
		return c.Prev()
	}
	return c.Next()
}

// migrateListIndexes creates the invoice list index (invoice_index.go)
// and the audit log's client index and fills both from what is stored.
func migrateListIndexes(tx *bolt.Tx) error {
	for _, b := range [][]byte{bInvoiceIndex, bAuditClient} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	if err := reindexInvoices(tx); err != nil {
		return err
	}
	return reindexAudit(tx)
}
