package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// The audit log is a chain. Every record holds the SHA-256 hash of its
// content and of the previous record's hash (Prev, Hash): that alone shows
// accidental damage, but whoever can write the database can recompute it.
// Records written once the server has an audit key (SetAuditKey) also hold
// MAC = HMAC-SHA256(key, previous MAC || record), the key kept outside the
// database; the first keyed record links to the last unkeyed record's hash.
// The sequence number where the keyed chain starts is kept in meta
// (metaAuditKeyedFrom) and is reported to the caller, which writes it and
// every chain head to an anchor outside the database.

// metaAuditKeyedFrom is the meta key of the first keyed record's number.
const metaAuditKeyedFrom = "audit-keyed-from"

// AuditHash computes an event's chain hash over its content and the
// previous hash.
func AuditHash(e AuditEvent) string {
	e.Hash, e.MAC = "", ""
	b, _ := json.Marshal(e)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// AuditMAC computes an event's keyed chain link from the previous link
// (the previous record's MAC, or its hash for the first keyed record).
func AuditMAC(key []byte, prev string, e AuditEvent) string {
	e.MAC = ""
	b, _ := json.Marshal(e)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(prev))
	m.Write([]byte{'\n'})
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil))
}

// AuditBreak is the first place where the audit chain does not verify.
type AuditBreak struct {
	Seq    uint64
	Reason string
}

func (b *AuditBreak) Error() string { return fmt.Sprintf("audit record %d: %s", b.Seq, b.Reason) }

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
func (s *DB) AppendAudit(e AuditEvent) (AuditEvent, error) {
	key := s.auditKey
	err := s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAudit)
		prev, prevLink := "", ""
		if k, v := b.Cursor().Last(); k != nil {
			var last AuditEvent
			if err := json.Unmarshal(v, &last); err != nil {
				return fmt.Errorf("store: audit tail: %w", err)
			}
			prev, prevLink = last.Hash, last.MAC
			if prevLink == "" {
				prevLink = last.Hash
			}
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		e.Seq, e.Prev, e.MAC = seq, prev, ""
		e.Hash = AuditHash(e)
		if key != nil {
			e.MAC = AuditMAC(key, prevLink, e)
		}
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		return b.Put(binary.BigEndian.AppendUint64(nil, seq), v)
	})
	return e, err
}

// Audit lists events after seq (0 = from the start) that keep accepts, at
// most limit (0 = all).
func (s *DB) Audit(after uint64, keep func(*AuditEvent) bool, limit int) ([]AuditEvent, error) {
	var out []AuditEvent
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bAudit).Cursor()
		for k, v := c.Seek(binary.BigEndian.AppendUint64(nil, after+1)); k != nil; k, v = c.Next() {
			var e AuditEvent
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("store: audit %x: %w", k, err)
			}
			if keep == nil || keep(&e) {
				out = append(out, e)
				if limit > 0 && len(out) >= limit {
					break
				}
			}
		}
		return nil
	})
	return out, err
}

// AuditAnchors is what was written outside the database: the keyed
// chain's start and heads (record number to MAC) seen over time.
type AuditAnchors struct {
	KeyedFrom uint64 // 0 = not known
	Heads     map[uint64]string
}

// VerifyAudit walks the whole chain and returns the number of records, or
// an *AuditBreak naming the first record that does not verify: a gap, a
// broken link, an edited record, a keyed record whose MAC does not match
// (removed, reordered or recomputed without the key), or one that differs
// from a head in anchors (recomputed with the key, or cut off the end).
func (s *DB) VerifyAudit(anchors AuditAnchors) (int, error) {
	n := 0
	var last uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		var from uint64
		if v := tx.Bucket(bMeta).Get([]byte(metaAuditKeyedFrom)); v != nil {
			var err error
			if from, err = strconv.ParseUint(string(v), 10, 64); err != nil {
				return &AuditBreak{Seq: 1, Reason: "keyed chain start unreadable"}
			}
		}
		if anchors.KeyedFrom != 0 && from != anchors.KeyedFrom {
			return &AuditBreak{Seq: min(from, anchors.KeyedFrom),
				Reason: fmt.Sprintf("keyed chain starts at %d in the database but at %d in the anchor", from, anchors.KeyedFrom)}
		}
		if from != 0 && s.auditKey == nil {
			return &AuditBreak{Seq: from, Reason: "keyed records but no audit key to check them"}
		}
		prev, prevLink := "", ""
		var want uint64 = 1
		return tx.Bucket(bAudit).ForEach(func(k, v []byte) error {
			var e AuditEvent
			if err := json.Unmarshal(v, &e); err != nil {
				return &AuditBreak{Seq: want, Reason: "unreadable"}
			}
			if binary.BigEndian.Uint64(k) != e.Seq || e.Seq != want {
				return &AuditBreak{Seq: want, Reason: fmt.Sprintf("sequence gap or mismatch (found %d)", e.Seq)}
			}
			if e.Prev != prev {
				return &AuditBreak{Seq: e.Seq, Reason: "chain broken (prev hash mismatch)"}
			}
			if AuditHash(e) != e.Hash {
				return &AuditBreak{Seq: e.Seq, Reason: "content does not match its hash (edited)"}
			}
			keyed := from != 0 && e.Seq >= from
			switch {
			case keyed && (e.MAC == "" || !hmac.Equal([]byte(AuditMAC(s.auditKey, prevLink, e)), []byte(e.MAC))):
				return &AuditBreak{Seq: e.Seq, Reason: "keyed link does not match (record removed, moved, edited or rewritten)"}
			case !keyed && e.MAC != "":
				return &AuditBreak{Seq: e.Seq, Reason: "keyed record before the keyed chain starts"}
			}
			if h, ok := anchors.Heads[e.Seq]; ok && h != e.MAC {
				return &AuditBreak{Seq: e.Seq, Reason: "differs from the chain head written to the anchor (rewritten)"}
			}
			prev, prevLink = e.Hash, e.MAC
			if prevLink == "" {
				prevLink = e.Hash
			}
			last = e.Seq
			want++
			n++
			return nil
		})
	})
	if err != nil {
		return n, err
	}
	// An anchored head beyond the last record: the tail was cut off.
	var missing uint64
	for seq := range anchors.Heads {
		if seq > last && (missing == 0 || seq < missing) {
			missing = seq
		}
	}
	if missing != 0 {
		return n, &AuditBreak{Seq: last + 1, Reason: fmt.Sprintf("records from %d on are missing: the anchor has record %d (tail cut off)", last+1, missing)}
	}
	return n, nil
}
