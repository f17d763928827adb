package boltstore

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TamperAudit is test support, never called by the server: it rewrites
// the audit log in the data folder dir of a stopped server behind the
// store's back, as someone holding the database file can, so that tests
// can show the chain catches it. fn gets the stored records in order as
// their raw JSON and returns the records to keep; they are stored as given
// under the numbers 1, 2, ... and the log's sequence is set to the last.
func TamperAudit(dir string, fn func(records [][]byte) [][]byte) error {
	db, err := bolt.Open(filepath.Join(dir, "steward.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return fmt.Errorf("tamper: %w", err)
	}
	defer db.Close()
	return db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAudit)
		if b == nil {
			return fmt.Errorf("tamper: no audit log in %s", dir)
		}
		var recs [][]byte
		if err := b.ForEach(func(_, v []byte) error {
			recs = append(recs, append([]byte(nil), v...))
			return nil
		}); err != nil {
			return err
		}
		recs = fn(recs)
		if err := tx.DeleteBucket(bAudit); err != nil {
			return err
		}
		if b, err = tx.CreateBucket(bAudit); err != nil {
			return err
		}
		for i, v := range recs {
			if err := b.Put(binary.BigEndian.AppendUint64(nil, uint64(i+1)), v); err != nil {
				return err
			}
		}
		return b.SetSequence(uint64(len(recs)))
	})
}
