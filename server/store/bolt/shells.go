package boltstore

import (
	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// PutShellSession stores what is kept of an ended shell session.
func (s *DB) PutShellSession(sh store.ShellSession) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bShells, sh.ID, sh) })
}

// ShellSessions lists the stored shell sessions in ID order. A record
// that does not decode is skipped, as the server always did.
func (s *DB) ShellSessions() ([]store.ShellSession, error) {
	var out []store.ShellSession
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bShells).ForEach(func(_, v []byte) error {
			var r store.ShellSession
			if decode(v, &r) == nil {
				out = append(out, r)
			}
			return nil
		})
	})
	return out, err
}
