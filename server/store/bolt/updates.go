package boltstore

import (
	"github.com/steward-rmm/steward/server/store"

	bolt "go.etcd.io/bbolt"
)

// Agent update targets and outcomes live in the releases bucket under
// "target/" (all, client/ID, device/ID) and "result/DEVICE".

// targetKey is where a target is stored.
func targetKey(t store.UpdateTarget) string {
	if t.Scope == store.UpdateScopeAll {
		return "target/all"
	}
	return "target/" + t.Scope + "/" + t.ID
}

// SetUpdateTarget stores a target; an empty Version removes the scope's.
func (s *DB) SetUpdateTarget(t store.UpdateTarget) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if t.Version == "" {
			return tx.Bucket(bReleases).Delete([]byte(targetKey(t)))
		}
		return put(tx, bReleases, targetKey(t), t)
	})
}

// UpdateTargets lists every stored target.
func (s *DB) UpdateTargets() ([]store.UpdateTarget, error) {
	return list[store.UpdateTarget](s, bReleases, []byte("target/"), nil)
}

// UpdateTargetFor returns the target that applies to a device, narrowest
// scope first; ok is false when none does.
func (s *DB) UpdateTargetFor(deviceID, clientID string) (t store.UpdateTarget, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		for _, k := range []store.UpdateTarget{{Scope: store.UpdateScopeDevice, ID: deviceID}, {Scope: store.UpdateScopeClient, ID: clientID},
			{Scope: store.UpdateScopeAll}} {
			if k.Scope != store.UpdateScopeAll && k.ID == "" {
				continue
			}
			if tx.Bucket(bReleases).Get([]byte(targetKey(k))) == nil {
				continue
			}
			ok = true
			return get(tx, bReleases, targetKey(k), &t)
		}
		return nil
	})
	return t, ok, err
}

// PutUpdateResult records a device's latest update outcome.
func (s *DB) PutUpdateResult(r store.UpdateResult) error {
	return s.db.Batch(func(tx *bolt.Tx) error { return put(tx, bReleases, "result/"+r.DeviceID, r) })
}

// UpdateResultOf returns a device's latest update outcome.
func (s *DB) UpdateResultOf(deviceID string) (store.UpdateResult, error) {
	var r store.UpdateResult
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bReleases, "result/"+deviceID, &r) })
	return r, err
}

// UpdateResults lists every device's latest update outcome.
func (s *DB) UpdateResults() ([]store.UpdateResult, error) {
	return list[store.UpdateResult](s, bReleases, []byte("result/"), nil)
}
