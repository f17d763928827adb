package boltstore

import (
	"fmt"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

var (
	// bRetired indexes retired devices (device id -> nothing), so the
	// device limit is counted without decoding every device.
	bRetired = []byte("retired_devices")
	// bFavorites holds favourite devices: user id NUL device id -> nothing.
	bFavorites = []byte("favorite_devices")
)

// migrate3 makes the buckets of favourite devices and of the retired
// index. No device is retired before this version, so the index starts
// empty.
func migrate3(tx *bolt.Tx) error {
	for _, b := range [][]byte{bRetired, bFavorites} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// activeDevices counts devices that are not retired. It walks keys with a
// cursor (Bucket.Stats would miss what the transaction has not yet
// written, such as the other enrollments of a batch).
func activeDevices(tx *bolt.Tx) int {
	return countKeys(tx.Bucket(bDevices)) - countKeys(tx.Bucket(bRetired))
}

func countKeys(b *bolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// ActiveDevices counts devices that are not retired.
func (s *DB) ActiveDevices() (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error { n = activeDevices(tx); return nil })
	return n, err
}

// SetDeviceRetired retires or restores a device and keeps the index.
func (s *DB) SetDeviceRetired(id string, retired bool, by string, at time.Time) (store.Device, error) {
	var d store.Device
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := get(tx, bDevices, id, &d); err != nil {
			return err
		}
		d.Retired, d.RetiredBy, d.RetiredAt = retired, by, at
		var err error
		if retired {
			err = tx.Bucket(bRetired).Put([]byte(id), []byte{1})
		} else {
			err = tx.Bucket(bRetired).Delete([]byte(id))
		}
		if err != nil {
			return err
		}
		return put(tx, bDevices, id, d)
	})
	if err != nil {
		return store.Device{}, fmt.Errorf("retire device %s: %w", id, err)
	}
	return d, nil
}

// MoveDevice gives a device to another client and sets its folder.
func (s *DB) MoveDevice(id, clientID, group string) (store.Device, error) {
	var d store.Device
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(clientID)) == nil {
			return fmt.Errorf("client %q: %w", clientID, store.ErrNotFound)
		}
		if err := get(tx, bDevices, id, &d); err != nil {
			return err
		}
		d.ClientID, d.Group = clientID, group
		return put(tx, bDevices, id, d)
	})
	if err != nil {
		return store.Device{}, fmt.Errorf("move device %s: %w", id, err)
	}
	return d, nil
}

func favoriteKey(userID, deviceID string) []byte { return []byte(userID + "\x00" + deviceID) }

// SetFavorite stars or unstars a device for a user.
func (s *DB) SetFavorite(userID, deviceID string, on bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bFavorites)
		if on {
			return b.Put(favoriteKey(userID, deviceID), []byte{1})
		}
		return b.Delete(favoriteKey(userID, deviceID))
	})
}

// Favorites lists a user's starred device IDs in ID order.
func (s *DB) Favorites(userID string) ([]string, error) {
	out := []string{}
	prefix := favoriteKey(userID, "")
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bFavorites).Cursor()
		for k, _ := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
			out = append(out, string(k[len(prefix):]))
		}
		return nil
	})
	return out, err
}
