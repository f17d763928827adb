package boltstore

import (
	"encoding/binary"
	"fmt"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// Monitoring lives in its own buckets (made by migrate3):
//   - profiles: profile ID -> profile
//   - monitor: "assign/" + assignment key, "exempt/DEVICE/PROFILE/CHECK",
//     "window/" + window ID
//   - alerts: alert ID (time-ordered) -> alert
//   - alert_open: "DEVICE/PROFILE/CHECK/TARGET" -> ID of the unresolved alert
//   - alert_events: alert ID + big-endian sequence -> event
//   - alert_suppressed: record ID (time-ordered) -> suppressed alert
var (
	bProfiles    = []byte("profiles")
	bMonitor     = []byte("monitor")
	bAlerts      = []byte("alerts")
	bAlertOpen   = []byte("alert_open")
	bAlertEvents = []byte("alert_events")
	bSuppressed  = []byte("alert_suppressed")
)

// monitorBuckets are the buckets of format 3's monitoring.
var monitorBuckets = [][]byte{bProfiles, bMonitor, bAlerts, bAlertOpen, bAlertEvents, bSuppressed}

// migrateMonitor makes the monitoring buckets.
func migrateMonitor(tx *bolt.Tx) error {
	for _, b := range monitorBuckets {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

func mput(tx *bolt.Tx, bucket []byte, key string, v any) error {
	return monitorCodec.put(tx, bucket, key, v)
}

func mget(tx *bolt.Tx, bucket []byte, key string, v any) error {
	b := tx.Bucket(bucket).Get([]byte(key))
	if b == nil {
		return fmt.Errorf("%s %q: %w", bucket, key, store.ErrNotFound)
	}
	if err := decodeMonitor(b, v); err != nil {
		return fmt.Errorf("store: decode %s/%s: %w", bucket, key, err)
	}
	return nil
}

// meach calls fn with every record under prefix, in key order (reverse
// when desc), until fn returns false or an error.
func meach[T any](tx *bolt.Tx, bucket, prefix []byte, desc bool, fn func(k []byte, t *T) (bool, error)) error {
	return eachRecord(monitorCodec, tx, bucket, prefix, desc, fn)
}

func mlist[T any](s *DB, bucket, prefix []byte, keep func(*T) bool) ([]T, error) {
	return listRecords(monitorCodec, s, bucket, prefix, keep)
}

// PutProfile creates or replaces a profile; names are unique per owner.
func (s *DB) PutProfile(p store.Profile) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		err := meach(tx, bProfiles, nil, false, func(_ []byte, o *store.Profile) (bool, error) {
			if o.ID != p.ID && o.ClientID == p.ClientID && o.Name == p.Name {
				return false, fmt.Errorf("profile %q: %w", p.Name, store.ErrExists)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		return mput(tx, bProfiles, p.ID, p)
	})
}

// Profile returns a profile by ID.
func (s *DB) Profile(id string) (store.Profile, error) {
	var p store.Profile
	err := s.db.View(func(tx *bolt.Tx) error { return mget(tx, bProfiles, id, &p) })
	return p, err
}

// Profiles lists every profile in ID order.
func (s *DB) Profiles() ([]store.Profile, error) { return mlist[store.Profile](s, bProfiles, nil, nil) }

// DeleteProfile removes a profile, its assignments and its exemptions.
func (s *DB) DeleteProfile(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bProfiles)
		if b.Get([]byte(id)) == nil {
			return fmt.Errorf("profile %q: %w", id, store.ErrNotFound)
		}
		if err := b.Delete([]byte(id)); err != nil {
			return err
		}
		return dropProfileConfig(monitorCodec, tx, bMonitor, id, func(e *store.CheckExemption) string { return e.ProfileID })
	})
}

// SetAssignment stores or (empty ProfileID) removes an assignment.
func (s *DB) SetAssignment(a store.ProfileAssignment) error {
	key := "assign/" + a.Key()
	return s.db.Update(func(tx *bolt.Tx) error {
		if a.ProfileID == "" {
			return tx.Bucket(bMonitor).Delete([]byte(key))
		}
		if tx.Bucket(bProfiles).Get([]byte(a.ProfileID)) == nil {
			return fmt.Errorf("profile %q: %w", a.ProfileID, store.ErrNotFound)
		}
		return mput(tx, bMonitor, key, a)
	})
}

// Assignments lists every assignment.
func (s *DB) Assignments() ([]store.ProfileAssignment, error) {
	return mlist[store.ProfileAssignment](s, bMonitor, []byte("assign/"), nil)
}

func exemptKey(deviceID, profileID, checkID string) string {
	return "exempt/" + deviceID + "/" + profileID + "/" + checkID
}

// PutExemption stores an exemption.
func (s *DB) PutExemption(e store.CheckExemption) error {
	return s.db.Update(func(tx *bolt.Tx) error { return mput(tx, bMonitor, exemptKey(e.DeviceID, e.ProfileID, e.CheckID), e) })
}

// DeleteExemption removes an exemption.
func (s *DB) DeleteExemption(deviceID, profileID, checkID string) error {
	k := []byte(exemptKey(deviceID, profileID, checkID))
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bMonitor).Get(k) == nil {
			return fmt.Errorf("exemption %q: %w", k, store.ErrNotFound)
		}
		return tx.Bucket(bMonitor).Delete(k)
	})
}

// Exemptions lists a device's exemptions, or all.
func (s *DB) Exemptions(deviceID string) ([]store.CheckExemption, error) {
	prefix := "exempt/"
	if deviceID != "" {
		prefix += deviceID + "/"
	}
	return mlist[store.CheckExemption](s, bMonitor, []byte(prefix), nil)
}

// PutWindow creates or replaces a maintenance window.
func (s *DB) PutWindow(w store.MaintenanceWindow) error {
	return s.db.Update(func(tx *bolt.Tx) error { return mput(tx, bMonitor, "window/"+w.ID, w) })
}

// Window returns a maintenance window.
func (s *DB) Window(id string) (store.MaintenanceWindow, error) {
	var w store.MaintenanceWindow
	err := s.db.View(func(tx *bolt.Tx) error { return mget(tx, bMonitor, "window/"+id, &w) })
	return w, err
}

// Windows lists every maintenance window.
func (s *DB) Windows() ([]store.MaintenanceWindow, error) {
	return mlist[store.MaintenanceWindow](s, bMonitor, []byte("window/"), nil)
}

// DeleteWindow removes a maintenance window.
func (s *DB) DeleteWindow(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		k := []byte("window/" + id)
		if tx.Bucket(bMonitor).Get(k) == nil {
			return fmt.Errorf("window %q: %w", id, store.ErrNotFound)
		}
		return tx.Bucket(bMonitor).Delete(k)
	})
}

// PutNetMonitor creates or replaces a network monitor. Monitors live in
// the monitoring bucket beside windows, under their own prefix.
func (s *DB) PutNetMonitor(m store.NetMonitor) error {
	return s.db.Update(func(tx *bolt.Tx) error { return mput(tx, bMonitor, "netmon/"+m.ID, m) })
}

// NetMonitor returns a network monitor.
func (s *DB) NetMonitor(id string) (store.NetMonitor, error) {
	var m store.NetMonitor
	err := s.db.View(func(tx *bolt.Tx) error { return mget(tx, bMonitor, "netmon/"+id, &m) })
	return m, err
}

// NetMonitors lists every network monitor.
func (s *DB) NetMonitors() ([]store.NetMonitor, error) {
	return mlist[store.NetMonitor](s, bMonitor, []byte("netmon/"), nil)
}

// DeleteNetMonitor removes a network monitor.
func (s *DB) DeleteNetMonitor(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		k := []byte("netmon/" + id)
		if tx.Bucket(bMonitor).Get(k) == nil {
			return fmt.Errorf("network monitor %q: %w", id, store.ErrNotFound)
		}
		return tx.Bucket(bMonitor).Delete(k)
	})
}

func openKey(a *store.Alert) []byte {
	return []byte(a.DeviceID + "/" + a.ProfileID + "/" + a.CheckID + "/" + a.CheckTarget)
}

func appendEvent(tx *bolt.Tx, ev store.AlertEvent) error {
	b := tx.Bucket(bAlertEvents)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	k := binary.BigEndian.AppendUint64([]byte(ev.AlertID+"/"), seq)
	enc, err := encodeMonitor(ev)
	if err != nil {
		return err
	}
	return b.Put(k, enc)
}

// CreateAlert stores a new alert and its first event. Alert writes are
// batched: monitoring stores the changes of one evaluation concurrently.
func (s *DB) CreateAlert(a store.Alert, ev store.AlertEvent) error {
	ev.AlertID = a.ID
	return s.db.Batch(func(tx *bolt.Tx) error {
		if tx.Bucket(bAlerts).Get([]byte(a.ID)) != nil {
			return fmt.Errorf("alert %q: %w", a.ID, store.ErrExists)
		}
		if a.Status != store.AlertResolved {
			ok := openKey(&a)
			if tx.Bucket(bAlertOpen).Get(ok) != nil {
				return fmt.Errorf("open alert for %s: %w", ok, store.ErrExists)
			}
			if err := tx.Bucket(bAlertOpen).Put(ok, []byte(a.ID)); err != nil {
				return err
			}
		}
		if err := mput(tx, bAlerts, a.ID, a); err != nil {
			return err
		}
		return appendEvent(tx, ev)
	})
}

// UpdateAlert replaces an alert and appends an event.
func (s *DB) UpdateAlert(a store.Alert, ev store.AlertEvent) error {
	ev.AlertID = a.ID
	return s.db.Batch(func(tx *bolt.Tx) error {
		var old store.Alert
		if err := mget(tx, bAlerts, a.ID, &old); err != nil {
			return err
		}
		ob := tx.Bucket(bAlertOpen)
		if k := openKey(&old); string(ob.Get(k)) == old.ID {
			if err := ob.Delete(k); err != nil {
				return err
			}
		}
		if a.Status != store.AlertResolved {
			k := openKey(&a)
			if id := ob.Get(k); id != nil && string(id) != a.ID {
				return fmt.Errorf("open alert for %s: %w", k, store.ErrExists)
			}
			if err := ob.Put(k, []byte(a.ID)); err != nil {
				return err
			}
		}
		if err := mput(tx, bAlerts, a.ID, a); err != nil {
			return err
		}
		return appendEvent(tx, ev)
	})
}

// Alert returns an alert by ID.
func (s *DB) Alert(id string) (store.Alert, error) {
	var a store.Alert
	err := s.db.View(func(tx *bolt.Tx) error { return mget(tx, bAlerts, id, &a) })
	return a, err
}

// Alerts lists what q selects, newest first.
func (s *DB) Alerts(q store.AlertQuery) ([]store.Alert, error) {
	var out []store.Alert
	err := s.db.View(func(tx *bolt.Tx) error {
		return meach(tx, bAlerts, nil, true, func(k []byte, a *store.Alert) (bool, error) {
			if q.Before != "" && string(k) >= q.Before {
				return true, nil
			}
			if q.Match(a) {
				out = append(out, *a)
			}
			return q.Limit <= 0 || len(out) < q.Limit, nil
		})
	})
	return out, err
}

// UnresolvedAlerts lists every open or snoozed alert.
func (s *DB) UnresolvedAlerts() ([]store.Alert, error) {
	var out []store.Alert
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bAlertOpen).ForEach(func(_, id []byte) error {
			var a store.Alert
			if err := mget(tx, bAlerts, string(id), &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

// AlertEvents lists an alert's history, oldest first.
func (s *DB) AlertEvents(alertID string) ([]store.AlertEvent, error) {
	return mlist[store.AlertEvent](s, bAlertEvents, []byte(alertID+"/"), nil)
}

// AddSuppressed records a suppressed alert.
func (s *DB) AddSuppressed(r store.SuppressedAlert) error {
	return s.db.Batch(func(tx *bolt.Tx) error { return mput(tx, bSuppressed, r.ID, r) })
}

// Suppressed lists suppressed alerts, newest first.
func (s *DB) Suppressed(windowID string, scope store.Scope, limit int) ([]store.SuppressedAlert, error) {
	var out []store.SuppressedAlert
	err := s.db.View(func(tx *bolt.Tx) error {
		return meach(tx, bSuppressed, nil, true, func(_ []byte, r *store.SuppressedAlert) (bool, error) {
			if (windowID == "" || r.WindowID == windowID) && scope.Has(r.ClientID) {
				out = append(out, *r)
			}
			return limit <= 0 || len(out) < limit, nil
		})
	})
	return out, err
}
