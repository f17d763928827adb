package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The audit log is a chain. Every record holds the SHA-256 hash of its
// content and of the previous record's hash (Prev, Hash): that alone shows
// accidental damage, but whoever can write the database can recompute it.
// Records written once the server has an audit key (AuditStore.SetAuditKey)
// also hold MAC = HMAC-SHA256(key, previous MAC || record), the key kept
// outside the database; the first keyed record links to the last unkeyed
// record's hash. The number of the first keyed record is kept by the store
// and reported to the caller, which writes it and every chain head to an
// anchor outside the database. Hash and MAC are over chainEncoding.

// chainRecord fixes the encoding the chain's hashes and MACs are over
// (the JSON the first servers wrote), so that AuditEvent can change, or
// lose its JSON tags, without breaking a chain already written.
type chainRecord struct {
	Seq    uint64            `json:"seq"`
	At     time.Time         `json:"at"`
	Actor  string            `json:"actor"`
	Action string            `json:"action"`
	Target string            `json:"target,omitempty"`
	Detail map[string]string `json:"detail,omitempty"`
	Source string            `json:"source,omitempty"`
	Prev   string            `json:"prev"`
	Hash   string            `json:"hash"`
	MAC    string            `json:"mac,omitempty"`
	Client string            `json:"client,omitempty"`
}

// chainEncoding is the byte string an event's hash and MAC cover.
func chainEncoding(e AuditEvent) []byte {
	// Field by field, not a conversion: the hashed form is spelled out here.
	//lint:ignore S1016 the hashed form is spelled out on purpose
	b, _ := json.Marshal(chainRecord{Seq: e.Seq, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail,
		Source: e.Source, Prev: e.Prev, Hash: e.Hash, MAC: e.MAC, Client: e.Client})
	return b
}

// AuditHash computes an event's chain hash over its content and the
// previous hash.
func AuditHash(e AuditEvent) string {
	e.Hash, e.MAC = "", ""
	sum := sha256.Sum256(chainEncoding(e))
	return hex.EncodeToString(sum[:])
}

// AuditMAC computes an event's keyed chain link from the previous link
// (the previous record's MAC, or its hash for the first keyed record).
func AuditMAC(key []byte, prev string, e AuditEvent) string {
	e.MAC = ""
	b := chainEncoding(e)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(prev))
	m.Write([]byte{'\n'})
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil))
}

// Link fills e's Prev, Hash and MAC (when key is set) to follow last, the
// chain's current tail (nil for the first record). e.Seq must be set.
func (e *AuditEvent) Link(last *AuditEvent, key []byte) {
	prev, prevLink := "", ""
	if last != nil {
		prev, prevLink = last.Hash, last.MAC
		if prevLink == "" {
			prevLink = last.Hash
		}
	}
	e.Prev, e.MAC = prev, ""
	e.Hash = AuditHash(*e)
	if key != nil {
		e.MAC = AuditMAC(key, prevLink, *e)
	}
}

// AuditBreak is the first place where the audit chain does not verify.
type AuditBreak struct {
	Seq    uint64
	Reason string
}

func (b *AuditBreak) Error() string { return fmt.Sprintf("audit record %d: %s", b.Seq, b.Reason) }

// AuditAnchors is what was written outside the database: the keyed
// chain's start and heads (record number to MAC) seen over time.
type AuditAnchors struct {
	KeyedFrom uint64 // 0 = not known
	Heads     map[uint64]string
}

// AuditQuery selects audit events: those after After (0 = from the
// start) and before Before (0 = to the end), oldest first (newest first
// when Newest), at most Limit (0 = all), and only those whose action
// starts with Action, whose actor is Actor and that concern Client, for
// each of these that is set. A store serves Client from an index, so one
// client's page does not read the whole log; paging by After (oldest
// first) or Before (newest first) is keyset paging on the record number.
type AuditQuery struct {
	After  uint64
	Action string
	Actor  string
	Client string
	Limit  int
	Before uint64
	Newest bool
}

// Match reports whether e passes the query's filters (not After, Before,
// Limit).
func (q *AuditQuery) Match(e *AuditEvent) bool {
	return (q.Action == "" || strings.HasPrefix(e.Action, q.Action)) && (q.Actor == "" || e.Actor == q.Actor) &&
		(q.Client == "" || slices.Contains(strings.Split(e.Client, ","), q.Client))
}

// ChainVerifier checks an audit chain record by record, so every store
// verifies it the same way: Start once, Next for each stored record in
// order, then Finish.
type ChainVerifier struct {
	key      []byte
	anchors  AuditAnchors
	from     uint64
	prev     string
	prevLink string
	want     uint64
	last     uint64
	n        int
}

// NewChainVerifier verifies with the audit key (nil when the server has
// none), the stored start of the keyed chain (0 = none) and the anchors.
func NewChainVerifier(key []byte, keyedFrom uint64, anchors AuditAnchors) (*ChainVerifier, error) {
	if anchors.KeyedFrom != 0 && keyedFrom != anchors.KeyedFrom {
		return nil, &AuditBreak{Seq: min(keyedFrom, anchors.KeyedFrom),
			Reason: fmt.Sprintf("keyed chain starts at %d in the database but at %d in the anchor", keyedFrom, anchors.KeyedFrom)}
	}
	if keyedFrom != 0 && key == nil {
		return nil, &AuditBreak{Seq: keyedFrom, Reason: "keyed records but no audit key to check them"}
	}
	return &ChainVerifier{key: key, anchors: anchors, from: keyedFrom, want: 1}, nil
}

// Next checks the record stored under number seq.
func (v *ChainVerifier) Next(seq uint64, e AuditEvent) error {
	if seq != e.Seq || e.Seq != v.want {
		return &AuditBreak{Seq: v.want, Reason: fmt.Sprintf("sequence gap or mismatch (found %d)", e.Seq)}
	}
	if e.Prev != v.prev {
		return &AuditBreak{Seq: e.Seq, Reason: "chain broken (prev hash mismatch)"}
	}
	if AuditHash(e) != e.Hash {
		return &AuditBreak{Seq: e.Seq, Reason: "content does not match its hash (edited)"}
	}
	keyed := v.from != 0 && e.Seq >= v.from
	switch {
	case keyed && (e.MAC == "" || !hmac.Equal([]byte(AuditMAC(v.key, v.prevLink, e)), []byte(e.MAC))):
		return &AuditBreak{Seq: e.Seq, Reason: "keyed link does not match (record removed, moved, edited or rewritten)"}
	case !keyed && e.MAC != "":
		return &AuditBreak{Seq: e.Seq, Reason: "keyed record before the keyed chain starts"}
	}
	if h, ok := v.anchors.Heads[e.Seq]; ok && h != e.MAC {
		return &AuditBreak{Seq: e.Seq, Reason: "differs from the chain head written to the anchor (rewritten)"}
	}
	v.prev, v.prevLink = e.Hash, e.MAC
	if v.prevLink == "" {
		v.prevLink = e.Hash
	}
	v.last = e.Seq
	v.want++
	v.n++
	return nil
}

// Unreadable reports a record that could not be decoded.
func (v *ChainVerifier) Unreadable() error { return &AuditBreak{Seq: v.want, Reason: "unreadable"} }

// Finish returns the number of records checked, or a break when an
// anchored head lies beyond the last record (the tail was cut off).
func (v *ChainVerifier) Finish() (int, error) {
	var missing uint64
	for seq := range v.anchors.Heads {
		if seq > v.last && (missing == 0 || seq < missing) {
			missing = seq
		}
	}
	if missing != 0 {
		return v.n, &AuditBreak{Seq: v.last + 1, Reason: fmt.Sprintf("records from %d on are missing: the anchor has record %d (tail cut off)", v.last+1, missing)}
	}
	return v.n, nil
}

// Count is the number of records checked so far.
func (v *ChainVerifier) Count() int { return v.n }
