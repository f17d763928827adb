package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// The audit bucket holds the chain (see store.AuditHash) keyed by the
// big-endian record number; the bucket's sequence is the last number.

// metaAuditKeyedFrom is the meta key of the first keyed record's number.
const metaAuditKeyedFrom = "audit-keyed-from"

// SetAuditKey makes every later record keyed with key. The first time a
// key is set, the keyed chain starts at the next record; that number is
// stored and returned (also on later calls).
func (s *DB) SetAuditKey(key []byte) (uint64, error) {
	if len(key) < 16 {
		return 0, errors.New("store: audit key shorter than 16 bytes")
	}
	var from uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if v := m.Get([]byte(metaAuditKeyedFrom)); v != nil {
			n, err := strconv.ParseUint(string(v), 10, 64)
			if err != nil {
				return fmt.Errorf("store: %s: %w", metaAuditKeyedFrom, err)
			}
			from = n
			return nil
		}
		from = tx.Bucket(bAudit).Sequence() + 1
		return m.Put([]byte(metaAuditKeyedFrom), []byte(strconv.FormatUint(from, 10)))
	})
	if err != nil {
		return 0, err
	}
	s.auditKey = append([]byte(nil), key...)
	return from, nil
}

// AppendAudit appends an event to the chain and returns it as stored. It
// is batched because jobs on many devices write many events at once.
func (s *DB) AppendAudit(e store.AuditEvent) (store.AuditEvent, error) {
	key := s.auditKey
	in := e
	err := s.db.Batch(func(tx *bolt.Tx) error {
		e = in // a failed batch runs fn again
		b := tx.Bucket(bAudit)
		var last *store.AuditEvent
		if k, v := b.Cursor().Last(); k != nil {
			last = new(store.AuditEvent)
			if err := decode(v, last); err != nil {
				return fmt.Errorf("store: audit tail: %w", err)
			}
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		e.Seq = seq
		e.Link(last, key)
		v, err := encode(e)
		if err != nil {
			return err
		}
		if err := b.Put(binary.BigEndian.AppendUint64(nil, seq), v); err != nil {
			return err
		}
		return indexAudit(tx, &e)
	})
	return e, err
}

// Audit lists the events q selects, oldest first (newest first when
// q.Newest); a client's events are read through the client index.
func (s *DB) Audit(q store.AuditQuery) ([]store.AuditEvent, error) {
	var out []store.AuditEvent
	err := s.db.View(func(tx *bolt.Tx) error {
		return auditSeqs(tx, &q, func(k, v []byte) (bool, error) {
			var e store.AuditEvent
			if err := decode(v, &e); err != nil {
				return false, fmt.Errorf("store: audit %x: %w", k, err)
			}
			if q.Match(&e) {
				out = append(out, e)
			}
			return q.Limit <= 0 || len(out) < q.Limit, nil
		})
	})
	return out, err
}

// VerifyAudit walks the whole chain and returns the number of records, or
// a *store.AuditBreak naming the first record that does not verify.
func (s *DB) VerifyAudit(anchors store.AuditAnchors) (int, error) {
	var v *store.ChainVerifier
	err := s.db.View(func(tx *bolt.Tx) error {
		var from uint64
		if raw := tx.Bucket(bMeta).Get([]byte(metaAuditKeyedFrom)); raw != nil {
			var err error
			if from, err = strconv.ParseUint(string(raw), 10, 64); err != nil {
				return &store.AuditBreak{Seq: 1, Reason: "keyed chain start unreadable"}
			}
		}
		var err error
		if v, err = store.NewChainVerifier(s.auditKey, from, anchors); err != nil {
			return err
		}
		return tx.Bucket(bAudit).ForEach(func(k, raw []byte) error {
			var e store.AuditEvent
			if err := decode(raw, &e); err != nil {
				return v.Unreadable()
			}
			return v.Next(binary.BigEndian.Uint64(k), e)
		})
	})
	if err != nil {
		if v != nil {
			return v.Count(), err
		}
		return 0, err
	}
	return v.Finish()
}
