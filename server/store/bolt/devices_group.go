package boltstore

import (
	"fmt"
	"github.com/steward-rmm/steward/server/store"

	bolt "go.etcd.io/bbolt"
)

// SetDeviceGroup sets a device's folder ("" takes it out of any folder)
// and returns the stored device. Only Group is changed, so presence
// fields written meanwhile by the fleet's flush are kept.
func (s *DB) SetDeviceGroup(id, group string) (store.Device, error) {
	var d store.Device
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := get(tx, bDevices, id, &d); err != nil {
			return err
		}
		d.Group = group
		return put(tx, bDevices, id, d)
	})
	if err != nil {
		return store.Device{}, fmt.Errorf("set group of device %s: %w", id, err)
	}
	return d, nil
}
