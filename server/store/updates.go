package store

import (
	"time"

	"github.com/steward-rmm/steward/protocol"
	bolt "go.etcd.io/bbolt"
)

// Agent update targets and outcomes live in the releases bucket under
// "target/" (all, client/ID, device/ID) and "result/DEVICE".

// Update target scopes.
const (
	UpdateScopeAll    = "all"
	UpdateScopeClient = "client"
	UpdateScopeDevice = "device"
)

// UpdateTarget is the agent version an operator wants a scope to run: every
// device, one client's devices, or one device. The narrowest scope wins.
type UpdateTarget struct {
	Scope   string    `json:"scope"` // all, client, device
	ID      string    `json:"id,omitempty"`
	Version string    `json:"version"`
	SetBy   string    `json:"set_by,omitempty"`
	SetAt   time.Time `json:"set_at"`
}

func (t UpdateTarget) key() string {
	if t.Scope == UpdateScopeAll {
		return "target/all"
	}
	return "target/" + t.Scope + "/" + t.ID
}

// UpdateResult is the latest update outcome a device reported.
type UpdateResult struct {
	DeviceID string `json:"device_id"`
	protocol.UpdateResult
	ReceivedAt time.Time `json:"received_at"`
}

// SetUpdateTarget stores a target; an empty Version removes the scope's.
func (s *DB) SetUpdateTarget(t UpdateTarget) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if t.Version == "" {
			return tx.Bucket(bReleases).Delete([]byte(t.key()))
		}
		return put(tx, bReleases, t.key(), t)
	})
}

// UpdateTargets lists every stored target.
func (s *DB) UpdateTargets() ([]UpdateTarget, error) {
	return list[UpdateTarget](s, bReleases, []byte("target/"), nil)
}

// UpdateTargetFor returns the target that applies to a device, narrowest
// scope first; ok is false when none does.
func (s *DB) UpdateTargetFor(deviceID, clientID string) (t UpdateTarget, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		for _, k := range []UpdateTarget{{Scope: UpdateScopeDevice, ID: deviceID}, {Scope: UpdateScopeClient, ID: clientID},
			{Scope: UpdateScopeAll}} {
			if k.Scope != UpdateScopeAll && k.ID == "" {
				continue
			}
			if tx.Bucket(bReleases).Get([]byte(k.key())) == nil {
				continue
			}
			ok = true
			return get(tx, bReleases, k.key(), &t)
		}
		return nil
	})
	return t, ok, err
}

// PutUpdateResult records a device's latest update outcome.
func (s *DB) PutUpdateResult(r UpdateResult) error {
	return s.db.Batch(func(tx *bolt.Tx) error { return put(tx, bReleases, "result/"+r.DeviceID, r) })
}

// UpdateResultOf returns a device's latest update outcome.
func (s *DB) UpdateResultOf(deviceID string) (UpdateResult, error) {
	var r UpdateResult
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bReleases, "result/"+deviceID, &r) })
	return r, err
}

// UpdateResults lists every device's latest update outcome.
func (s *DB) UpdateResults() ([]UpdateResult, error) {
	return list[UpdateResult](s, bReleases, []byte("result/"), nil)
}
