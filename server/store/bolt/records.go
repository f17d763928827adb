package boltstore

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// codec is how one family of records is stored: monitoring's
// (monitorCodec) or automation's (autoCodec). The helpers below read and
// write records of either over any bucket.
type codec struct {
	encode func(v any) ([]byte, error)
	decode func(b []byte, v any) error
}

var (
	monitorCodec = codec{encodeMonitor, decodeMonitor}
	autoCodec    = codec{encodeAuto, decodeAuto}
)

// put stores v under key in bucket.
func (c codec) put(tx *bolt.Tx, bucket []byte, key string, v any) error {
	b, err := c.encode(v)
	if err != nil {
		return fmt.Errorf("store: marshal %s/%s: %w", bucket, key, err)
	}
	return tx.Bucket(bucket).Put([]byte(key), b)
}

// eachRecord calls fn with every record under prefix, in key order
// (reverse when desc), until fn returns false or an error.
func eachRecord[T any](c codec, tx *bolt.Tx, bucket, prefix []byte, desc bool, fn func(k []byte, t *T) (bool, error)) error {
	cur := tx.Bucket(bucket).Cursor()
	var k, v []byte
	if desc {
		// The last key with the prefix: seek past it and step back.
		end := append(slices.Clone(prefix), 0xff)
		if k, _ = cur.Seek(end); k == nil {
			k, v = cur.Last()
		} else {
			k, v = cur.Prev()
		}
	} else {
		k, v = cur.Seek(prefix)
	}
	for k != nil && bytes.HasPrefix(k, prefix) {
		var t T
		if err := c.decode(v, &t); err != nil {
			return fmt.Errorf("store: decode %s/%s: %w", bucket, k, err)
		}
		more, err := fn(k, &t)
		if err != nil || !more {
			return err
		}
		if desc {
			k, v = cur.Prev()
		} else {
			k, v = cur.Next()
		}
	}
	return nil
}

// listRecords lists the records under prefix in key order that keep
// (nil = all) keeps.
func listRecords[T any](c codec, s *DB, bucket, prefix []byte, keep func(*T) bool) ([]T, error) {
	var out []T
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachRecord(c, tx, bucket, prefix, false, func(_ []byte, t *T) (bool, error) {
			if keep == nil || keep(t) {
				out = append(out, *t)
			}
			return true, nil
		})
	})
	return out, err
}

// dropProfileConfig deletes from bucket the assignments ("assign/") and
// the exemptions ("exempt/", of type E, whose profile profileOf gives)
// of profile id.
func dropProfileConfig[E any](c codec, tx *bolt.Tx, bucket []byte, id string, profileOf func(*E) string) error {
	var drop [][]byte
	err := eachRecord(c, tx, bucket, []byte("assign/"), false, func(k []byte, a *store.ProfileAssignment) (bool, error) {
		if a.ProfileID == id {
			drop = append(drop, slices.Clone(k))
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	err = eachRecord(c, tx, bucket, []byte("exempt/"), false, func(k []byte, e *E) (bool, error) {
		if profileOf(e) == id {
			drop = append(drop, slices.Clone(k))
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, k := range drop {
		if err := tx.Bucket(bucket).Delete(k); err != nil {
			return err
		}
	}
	return nil
}
