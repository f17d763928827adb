package boltstore

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// Notifications: channels and rules by ID, deliveries by ID (IDs are
// time-ordered, so the bucket is in creation order) with the pending ones
// also in notify_pending by due time (what the sender scans), and the
// open alerts notifications track.
var (
	bNotifyChannels = []byte("notify_channels")
	bNotifyRules    = []byte("notify_rules")
	bDeliveries     = []byte("notify_deliveries")
	// The pending deliveries by when they are due: big-endian Unix
	// nanoseconds of NextAttempt, then the ID -> nothing. The sender reads
	// the due ones from its start and stops at the first not yet due.
	bDeliveryQueue = []byte("notify_pending")
	bNotifyAlerts  = []byte("notify_alerts")
)

// migrateNotify creates the notification buckets.
func migrateNotify(tx *bolt.Tx) error {
	for _, b := range [][]byte{bNotifyChannels, bNotifyRules, bDeliveries, bDeliveryQueue, bNotifyAlerts} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

func deleteKey(s *DB, bucket []byte, key string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b.Get([]byte(key)) == nil {
			return fmt.Errorf("%s %q: %w", bucket, key, store.ErrNotFound)
		}
		return b.Delete([]byte(key))
	})
}

// PutNotifyChannel creates or replaces a channel.
func (s *DB) PutNotifyChannel(c store.NotifyChannel) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bNotifyChannels, c.ID, c) })
}

// NotifyChannel returns a channel.
func (s *DB) NotifyChannel(id string) (c store.NotifyChannel, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { return get(tx, bNotifyChannels, id, &c) })
	return c, err
}

// NotifyChannels lists the channels in ID order.
func (s *DB) NotifyChannels() ([]store.NotifyChannel, error) {
	return list[store.NotifyChannel](s, bNotifyChannels, nil, nil)
}

// DeleteNotifyChannel removes a channel.
func (s *DB) DeleteNotifyChannel(id string) error { return deleteKey(s, bNotifyChannels, id) }

// PutNotifyRule creates or replaces a rule.
func (s *DB) PutNotifyRule(r store.NotifyRule) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bNotifyRules, r.ID, r) })
}

// NotifyRule returns a rule.
func (s *DB) NotifyRule(id string) (r store.NotifyRule, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { return get(tx, bNotifyRules, id, &r) })
	return r, err
}

// NotifyRules lists the rules in ID order.
func (s *DB) NotifyRules() ([]store.NotifyRule, error) {
	return list[store.NotifyRule](s, bNotifyRules, nil, nil)
}

// DeleteNotifyRule removes a rule.
func (s *DB) DeleteNotifyRule(id string) error { return deleteKey(s, bNotifyRules, id) }

// PutDeliveries creates or replaces deliveries in one commit, keeping the
// pending index in step.
func (s *DB) PutDeliveries(ds []store.Delivery) error {
	return s.db.Update(func(tx *bolt.Tx) error { return putDeliveries(tx, ds) })
}

func putDeliveries(tx *bolt.Tx, ds []store.Delivery) error {
	q := tx.Bucket(bDeliveryQueue)
	for _, d := range ds {
		if d.ID == "" {
			return fmt.Errorf("store: delivery without an ID")
		}
		var old store.Delivery
		if err := get(tx, bDeliveries, d.ID, &old); err == nil && old.Status == store.DeliveryPending {
			if err := q.Delete(queueKey(&old)); err != nil {
				return err
			}
		}
		if err := put(tx, bDeliveries, d.ID, d); err != nil {
			return err
		}
		if d.Status == store.DeliveryPending {
			if err := q.Put(queueKey(&d), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// queueKey is a pending delivery's key in notify_pending.
func queueKey(d *store.Delivery) []byte {
	ns := d.NextAttempt.UnixNano()
	if d.NextAttempt.IsZero() || ns < 0 {
		ns = 0 // no time: due at once
	}
	k := binary.BigEndian.AppendUint64(nil, uint64(ns))
	return append(k, d.ID...)
}

// Delivery returns one delivery.
func (s *DB) Delivery(id string) (d store.Delivery, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { return get(tx, bDeliveries, id, &d) })
	return d, err
}

// Deliveries lists what q selects: newest first, or the due ones oldest
// due first, read from the pending index.
func (s *DB) Deliveries(q store.DeliveryQuery) ([]store.Delivery, error) {
	var out []store.Delivery
	err := s.db.View(func(tx *bolt.Tx) error {
		if !q.Due.IsZero() {
			end := uint64(q.Due.UnixNano())
			c := tx.Bucket(bDeliveryQueue).Cursor()
			for k, _ := c.First(); len(k) > 8 && binary.BigEndian.Uint64(k) <= end; k, _ = c.Next() {
				var d store.Delivery
				if err := get(tx, bDeliveries, string(k[8:]), &d); err != nil {
					return err
				}
				if q.Match(&d) {
					out = append(out, d)
					if q.Limit > 0 && len(out) == q.Limit {
						break
					}
				}
			}
			return nil
		}
		c := tx.Bucket(bDeliveries).Cursor()
		k, v := c.Last()
		if q.Before != "" {
			// The first key at or after Before; the listing starts before it.
			if k, _ = c.Seek([]byte(q.Before)); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		}
		for ; k != nil; k, v = c.Prev() {
			var d store.Delivery
			if err := decode(v, &d); err != nil {
				return fmt.Errorf("store: decode %s/%s: %w", bDeliveries, k, err)
			}
			if q.Match(&d) {
				out = append(out, d)
				if q.Limit > 0 && len(out) == q.Limit {
					break
				}
			}
		}
		return nil
	})
	return out, err
}

// NextDue reads the first key of the due index past after.
func (s *DB) NextDue(after time.Time) (next time.Time, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bDeliveryQueue).Cursor()
		k, _ := c.Seek(binary.BigEndian.AppendUint64(nil, uint64(after.UnixNano())+1))
		if len(k) > 8 {
			next, ok = time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC(), true
		}
		return nil
	})
	return next, ok, err
}

// PendingDeliveries counts the pending deliveries.
func (s *DB) PendingDeliveries() (n int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bDeliveryQueue).Stats().KeyN; return nil })
	return n, err
}

// PruneDeliveries deletes the finished deliveries created before before.
func (s *DB) PruneDeliveries(before time.Time) (n int, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bDeliveries).Cursor()
		for k, v := c.First(); k != nil; {
			var d store.Delivery
			if err := decode(v, &d); err != nil {
				return fmt.Errorf("store: decode %s/%s: %w", bDeliveries, k, err)
			}
			if d.Status == store.DeliveryPending || !d.CreatedAt.Before(before) {
				k, v = c.Next()
				continue
			}
			key := append([]byte(nil), k...)
			if err := c.Delete(); err != nil {
				return err
			}
			n++
			k, v = c.Seek(key) // the key after the deleted one (Next would skip one)
		}
		return nil
	})
	return n, err
}

// CommitNotify stores deliveries and tracked alerts and forgets alerts,
// in one commit (one fsync for a whole batch of alert changes).
func (s *DB) CommitNotify(ds []store.Delivery, alerts []store.NotifyAlert, forget []string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := putDeliveries(tx, ds); err != nil {
			return err
		}
		for _, a := range alerts {
			if err := put(tx, bNotifyAlerts, a.AlertID, a); err != nil {
				return err
			}
		}
		for _, id := range forget {
			if err := tx.Bucket(bNotifyAlerts).Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// NotifyAlerts lists the tracked alerts in ID order.
func (s *DB) NotifyAlerts() ([]store.NotifyAlert, error) {
	return list[store.NotifyAlert](s, bNotifyAlerts, nil, nil)
}

type diskNotifyChannel struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Type      string    `json:"type"`
	URL       string    `json:"url,omitempty"`
	Secret    string    `json:"secret,omitempty"`
	To        []string  `json:"to,omitempty"`
	Disabled  bool      `json:"disabled,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
}

type diskNotifyRule struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	MinSeverity     string    `json:"min_severity"`
	Clients         []string  `json:"clients,omitempty"`
	Profiles        []string  `json:"profiles,omitempty"`
	Kinds           []string  `json:"kinds,omitempty"`
	Channels        []string  `json:"channels"`
	RenotifyMinutes int       `json:"renotify_minutes,omitempty"`
	Disabled        bool      `json:"disabled,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	CreatedBy       string    `json:"created_by,omitempty"`
}

type diskDelivery struct {
	ID          string    `json:"id"`
	ChannelID   string    `json:"channel_id"`
	ChannelType string    `json:"channel_type"`
	RuleID      string    `json:"rule_id,omitempty"`
	ClientID    string    `json:"client_id,omitempty"`
	GroupKey    string    `json:"group_key,omitempty"`
	Status      string    `json:"status"`
	Subject     string    `json:"subject,omitempty"`
	Text        string    `json:"text,omitempty"`
	Body        []byte    `json:"body,omitempty"`
	Items       []byte    `json:"items,omitempty"`
	Count       int       `json:"count"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	SentAt      time.Time `json:"sent_at,omitzero"`
	MergedInto  string    `json:"merged_into,omitempty"`
	To          []string  `json:"to,omitempty"`
}

type diskNotifyAlert struct {
	AlertID  string               `json:"alert_id"`
	ClientID string               `json:"client_id,omitempty"`
	Paused   bool                 `json:"paused,omitempty"`
	Event    []byte               `json:"event,omitempty"`
	Notified map[string]time.Time `json:"notified,omitempty"`
}
