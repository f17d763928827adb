package boltstore

import (
	"bytes"
	"fmt"
	"github.com/steward-rmm/steward/server/store"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CreateClient stores a new client; names are unique.
func (s *DB) CreateClient(c store.Client) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		dup := false
		_ = each(tx, bClients, nil, func(o *store.Client) error {
			if o.Name == c.Name {
				dup = true
			}
			return nil
		})
		if dup {
			return fmt.Errorf("client %q: %w", c.Name, store.ErrExists)
		}
		if err := reindex(tx, nil, clientKeys(c, nil)); err != nil {
			return err
		}
		return put(tx, bClients, c.ID, c)
	})
}

// Clients lists all clients.
func (s *DB) Clients() ([]store.Client, error) { return list[store.Client](s, bClients, nil, nil) }

// Client returns one client.
func (s *DB) Client(id string) (store.Client, error) {
	var c store.Client
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bClients, id, &c) })
	return c, err
}

// CreateEnrollToken stores a token keyed by its hash.
func (s *DB) CreateEnrollToken(t store.EnrollToken) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(t.ClientID)) == nil {
			return fmt.Errorf("client %q: %w", t.ClientID, store.ErrNotFound)
		}
		return put(tx, bTokens, t.Hash, t)
	})
}

// EnrollTokens lists tokens (all clients when clientID is empty).
func (s *DB) EnrollTokens(clientID string) ([]store.EnrollToken, error) {
	return list(s, bTokens, nil, func(t *store.EnrollToken) bool { return clientID == "" || t.ClientID == clientID })
}

// RevokeEnrollToken marks a token revoked by its ID.
func (s *DB) RevokeEnrollToken(id string) (store.EnrollToken, error) {
	var out store.EnrollToken
	err := s.db.Update(func(tx *bolt.Tx) error {
		found := false
		err := each(tx, bTokens, nil, func(t *store.EnrollToken) error {
			if t.ID != id {
				return nil
			}
			found = true
			t.Revoked = true
			out = *t
			return nil
		})
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("token %q: %w", id, store.ErrNotFound)
		}
		return put(tx, bTokens, out.Hash, out)
	})
	return out, err
}

// Enroll consumes one use of the token with the given hash and creates the
// device in the same transaction, so a single-use token raced by many
// enrollments succeeds exactly once. A key that is already enrolled gets its
// existing device back (re-enrollment keeps identity) without using the token.
//
// A new device is pending when d.Pending is set (the server's default),
// when the token requires approval, or when another device of any client
// already has d.MachineID: then DuplicateOf names that device. The check
// and the index entry are in the same transaction, so two enrollments of
// one machine racing each other cannot both come out unflagged.
func (s *DB) Enroll(tokenHash string, now time.Time, d store.Device) (store.Device, bool, error) {
	return s.EnrollWithin(tokenHash, now, d, 0)
}

// EnrollWithin is Enroll under a device limit (0 = none): the devices that
// are not retired are counted in the enrollment's own transaction (the
// devices bucket's keys less the retired index's), so racing enrollments
// at the limit are serialised by bbolt's single writer and never overshoot.
func (s *DB) EnrollWithin(tokenHash string, now time.Time, d store.Device, maxDevices int) (store.Device, bool, error) {
	existing := false
	in := d
	// Batch groups concurrent enrollments into one commit; bbolt may run fn
	// again after a failed batch, so it starts from the input each time.
	err := s.db.Batch(func(tx *bolt.Tx) error {
		d, existing = in, false
		var t store.EnrollToken
		if err := get(tx, bTokens, tokenHash, &t); err != nil {
			return fmt.Errorf("enrollment token: %w", store.ErrNotFound)
		}
		switch {
		case t.Revoked:
			return store.ErrTokenRevoked
		case !t.ExpiresAt.IsZero() && now.After(t.ExpiresAt):
			return store.ErrTokenExpired
		case t.MaxUses > 0 && t.Uses >= t.MaxUses:
			return store.ErrTokenUsedUp
		}
		if id := tx.Bucket(bKeys).Get([]byte(d.KeyHash)); id != nil {
			var old store.Device
			if err := get(tx, bDevices, string(id), &old); err == nil && !old.Revoked && old.ClientID == t.ClientID {
				d, existing = old, true
				return nil
			}
			return fmt.Errorf("key already bound to device %s: %w", id, store.ErrExists)
		}
		if maxDevices > 0 && activeDevices(tx) >= maxDevices {
			return fmt.Errorf("%w: %d devices", store.ErrDeviceLimit, maxDevices)
		}
		t.Uses++
		if err := put(tx, bTokens, t.Hash, t); err != nil {
			return err
		}
		d.ClientID = t.ClientID
		if err := tx.Bucket(bKeys).Put([]byte(d.KeyHash), []byte(d.ID)); err != nil {
			return err
		}
		if d.MachineID != "" {
			d.DuplicateOf = machineDevice(tx, d.MachineID)
			if err := tx.Bucket(bMachines).Put(machineKey(d.MachineID, d.ID), []byte{1}); err != nil {
				return err
			}
		}
		d.Pending = d.Pending || t.RequireApproval || d.DuplicateOf != ""
		return put(tx, bDevices, d.ID, d)
	})
	return d, existing, err
}

func machineKey(machineID, deviceID string) []byte {
	return []byte(machineID + "\x00" + deviceID)
}

// machineDevice returns a device that has machineID and is not revoked,
// preferring an approved one (the original rather than an earlier
// duplicate), or "".
func machineDevice(tx *bolt.Tx, machineID string) string {
	prefix := []byte(machineID + "\x00")
	c := tx.Bucket(bMachines).Cursor()
	found := ""
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var d store.Device
		if get(tx, bDevices, string(k[len(prefix):]), &d) != nil || d.Revoked {
			continue
		}
		if !d.Pending {
			return d.ID
		}
		if found == "" {
			found = d.ID
		}
	}
	return found
}

// ApproveDevice clears a device's pending state and returns the device.
// The fleet holds the live record and must be told too (Fleet.Approve).
func (s *DB) ApproveDevice(id, by string, at time.Time) (store.Device, error) {
	var d store.Device
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := get(tx, bDevices, id, &d); err != nil {
			return err
		}
		d.Pending, d.ApprovedBy, d.ApprovedAt = false, by, at
		return put(tx, bDevices, id, d)
	})
	return d, err
}

// Devices lists every device.
func (s *DB) Devices() ([]store.Device, error) { return listAll[store.Device](s, bDevices) }

// Device returns one device.
func (s *DB) Device(id string) (store.Device, error) {
	var d store.Device
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bDevices, id, &d) })
	return d, err
}

// PutDevices writes many devices in one transaction (presence flushes).
func (s *DB) PutDevices(ds []store.Device) error {
	if len(ds) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		for i := range ds {
			if tx.Bucket(bDevices).Get([]byte(ds[i].ID)) == nil {
				continue // deleted meanwhile
			}
			// Retirement is changed by SetDeviceRetired alone: a flush of an
			// older in-memory copy keeps what the index says.
			if retired := tx.Bucket(bRetired).Get([]byte(ds[i].ID)) != nil; retired != ds[i].Retired {
				var old store.Device
				if err := get(tx, bDevices, ds[i].ID, &old); err != nil {
					return err
				}
				ds[i].Retired, ds[i].RetiredBy, ds[i].RetiredAt = old.Retired, old.RetiredBy, old.RetiredAt
			}
			if err := put(tx, bDevices, ds[i].ID, ds[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteDevice removes a device, its key binding, inventory and health. Its
// job history stays.
func (s *DB) DeleteDevice(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var d store.Device
		if err := get(tx, bDevices, id, &d); err != nil {
			return err
		}
		for _, op := range []struct {
			b []byte
			k string
		}{{bDevices, id}, {bKeys, d.KeyHash}, {bInventory, id}, {bHealth, id}, {bRetired, id}} {
			if err := tx.Bucket(op.b).Delete([]byte(op.k)); err != nil {
				return err
			}
		}
		if err := dropDeviceSIP(tx, id); err != nil {
			return err
		}
		if d.MachineID != "" {
			return tx.Bucket(bMachines).Delete(machineKey(d.MachineID, id))
		}
		return nil
	})
}

// PutInventory stores a device's latest inventory.
func (s *DB) PutInventory(inv store.Inventory) error {
	return s.db.Batch(func(tx *bolt.Tx) error { return put(tx, bInventory, inv.DeviceID, inv) })
}

// Inventory returns a device's latest inventory.
func (s *DB) Inventory(deviceID string) (store.Inventory, error) {
	var inv store.Inventory
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bInventory, deviceID, &inv) })
	return inv, err
}

// Inventories lists every stored inventory (used to build the search index).
func (s *DB) Inventories() ([]store.Inventory, error) {
	return listAll[store.Inventory](s, bInventory)
}

// PutHealth stores a device's latest health report.
func (s *DB) PutHealth(h store.Health) error {
	return s.db.Batch(func(tx *bolt.Tx) error { return put(tx, bHealth, h.DeviceID, h) })
}

// Health returns a device's latest health report.
func (s *DB) Health(deviceID string) (store.Health, error) {
	var h store.Health
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bHealth, deviceID, &h) })
	return h, err
}

// Healths lists health reports in device ID order after the ID after,
// at most limit (0 = all).
func (s *DB) Healths(after string, limit int) ([]store.Health, error) {
	var out []store.Health
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bHealth).Cursor()
		k, v := c.First()
		if after != "" {
			if k, v = c.Seek([]byte(after)); k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			var h store.Health
			if err := decode(v, &h); err != nil {
				return fmt.Errorf("store: decode %s/%s: %w", bHealth, k, err)
			}
			out = append(out, h)
		}
		return nil
	})
	return out, err
}
