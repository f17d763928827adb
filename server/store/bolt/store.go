// Package boltstore is the embedded implementation of the store contract
// (package store) on bbolt, and the only package of Steward that imports
// bbolt. Its on-disk format is versioned: see migrations.go.
//
// bbolt has one writer and fsyncs every commit, so writes are batched:
// presence is flushed in bulk (PutDevices), run changes and output arrive
// as one ApplyRunOps call per batch of the server's run writer, enrollment,
// inventory, health and audit go through bbolt's Batch, which coalesces
// concurrent writers into one transaction, and reads use short View
// transactions. Values are the records' JSON, so records can grow fields
// without a migration; the schema version lives in the meta bucket.
package boltstore

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

var _ store.Store = (*DB)(nil)

var (
	bMeta      = []byte("meta")
	bClients   = []byte("clients")
	bTokens    = []byte("enroll_tokens") // key: token hash
	bDevices   = []byte("devices")
	bKeys      = []byte("device_keys")     // key hash -> device id
	bMachines  = []byte("device_machines") // machine id NUL device id -> nothing
	bInventory = []byte("inventory")
	bHealth    = []byte("health")
	bJobs      = []byte("jobs")
	bRuns      = []byte("runs")
	bJobRuns   = []byte("job_runs")    // job id / run id
	bPending   = []byte("pending")     // device id / run id, for non-terminal runs
	bDevRuns   = []byte("device_runs") // device id / run id, every run of a narrow job
	// A wide job (more than WideJob runs) is listed in wide_jobs, and its
	// runs are found by job id / device id -> run id in wide_runs instead of
	// device_runs: those keys are contiguous, where device_runs keys of a
	// fan-out land on a different page for every device.
	bWideJobs  = []byte("wide_jobs")
	bWideRuns  = []byte("wide_runs")
	bOutput    = []byte("output") // run id / stream / offset
	bUsers     = []byte("users")
	bUserNames = []byte("user_names")
	bAPITokens = []byte("api_tokens") // key: token hash
	bAudit     = []byte("audit")      // key: big-endian seq
	bSessions  = []byte("sessions")   // web sessions, key: hash
	bShells    = []byte("shell_sessions")
	bReleases  = []byte("releases")
)

// DB is the bbolt-backed store.
type DB struct {
	db *bolt.DB
	// auditKey keys the audit chain (SetAuditKey); nil = unkeyed.
	auditKey []byte
}

// Open opens (creating) the database file in dir.
func Open(dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, "steward.db"), 0o600, &bolt.Options{
		Timeout: 2 * time.Second,
		// The freelist is rebuilt at open instead of written at every
		// commit, and kept as a hash map: commits of a large database stay
		// small.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		// Room to grow without remapping during a fan-out.
		InitialMmapSize: 256 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	// Many connections finish results at once during a fan-out; a larger
	// batch turns them into fewer fsyncs.
	db.MaxBatchSize = 2000
	db.MaxBatchDelay = 5 * time.Millisecond
	if err := db.Update(migrate); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	return &DB{db: db}, nil
}

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

func put(tx *bolt.Tx, bucket []byte, key string, v any) error {
	b, err := encode(v)
	if err != nil {
		return fmt.Errorf("store: marshal %s/%s: %w", bucket, key, err)
	}
	return tx.Bucket(bucket).Put([]byte(key), b)
}

func get(tx *bolt.Tx, bucket []byte, key string, v any) error {
	b := tx.Bucket(bucket).Get([]byte(key))
	if b == nil {
		return fmt.Errorf("%s %q: %w", bucket, key, store.ErrNotFound)
	}
	if err := decode(b, v); err != nil {
		return fmt.Errorf("store: decode %s/%s: %w", bucket, key, err)
	}
	return nil
}

func each[T any](tx *bolt.Tx, bucket []byte, prefix []byte, fn func(*T) error) error {
	c := tx.Bucket(bucket).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var t T
		if err := decode(v, &t); err != nil {
			return fmt.Errorf("store: decode %s/%s: %w", bucket, k, err)
		}
		if err := fn(&t); err != nil {
			return err
		}
	}
	return nil
}

func list[T any](s *DB, bucket []byte, prefix []byte, keep func(*T) bool) ([]T, error) {
	var out []T
	err := s.db.View(func(tx *bolt.Tx) error {
		return each(tx, bucket, prefix, func(t *T) error {
			if keep == nil || keep(t) {
				out = append(out, *t)
			}
			return nil
		})
	})
	return out, err
}

// Meta returns a meta value ("" when unset).
func (s *DB) Meta(key string) (string, error) {
	var v string
	err := s.db.View(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bMeta).Get([]byte(key)))
		return nil
	})
	return v, err
}

// SetMetaOnce sets a meta key only if it is unset; it returns ErrExists
// otherwise. One-shot actions (first admin creation) rely on this.
func (s *DB) SetMetaOnce(key, value string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if m.Get([]byte(key)) != nil {
			return store.ErrExists
		}
		return m.Put([]byte(key), []byte(value))
	})
}

// SetMeta sets a meta value.
func (s *DB) SetMeta(key, value string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put([]byte(key), []byte(value)) })
}
