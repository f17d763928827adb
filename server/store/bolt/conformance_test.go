package boltstore

import (
	"testing"

	"github.com/steward-rmm/steward/server/store"
	"github.com/steward-rmm/steward/server/store/storetest"
)

// TestConformance runs the store contract's suite against bbolt.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) func() store.Store {
		dir := t.TempDir()
		return func() store.Store {
			db, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			return db
		}
	})
}
