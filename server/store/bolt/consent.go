package boltstore

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// Consent: requests and grants by ID, settings by client ID. They are few
// (a handful per client), so listings read a bucket whole.
var (
	bConsentRequests = []byte("consent_requests")
	bConsentGrants   = []byte("consent_grants")
	bConsentSettings = []byte("consent_settings")
)

// migrateConsent creates the consent buckets (requests, grants, the
// per-client "require consent" settings).
func migrateConsent(tx *bolt.Tx) error {
	for _, b := range [][]byte{bConsentRequests, bConsentGrants, bConsentSettings} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

type diskConsentRequest struct {
	ID           string    `json:"id"`
	ClientID     string    `json:"client_id"`
	Roles        []string  `json:"roles"`
	Days         int       `json:"days"`
	Message      string    `json:"message,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	CreatedBy    string    `json:"created_by,omitempty"`
	ExpiresAt    time.Time `json:"expires_at"`
	Status       string    `json:"status"`
	AnsweredAt   time.Time `json:"answered_at,omitzero"`
	AnsweredByID string    `json:"answered_by_id,omitempty"`
	AnsweredBy   string    `json:"answered_by,omitempty"`
	GrantID      string    `json:"grant_id,omitempty"`
}

type diskConsentGrant struct {
	ID            string    `json:"id"`
	ClientID      string    `json:"client_id"`
	RequestID     string    `json:"request_id,omitempty"`
	Roles         []string  `json:"roles"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	GrantedByID   string    `json:"granted_by_id,omitempty"`
	GrantedBy     string    `json:"granted_by,omitempty"`
	RenewedAt     time.Time `json:"renewed_at,omitzero"`
	RenewedBy     string    `json:"renewed_by,omitempty"`
	Renewals      int       `json:"renewals,omitempty"`
	RevokedAt     time.Time `json:"revoked_at,omitzero"`
	RevokedBy     string    `json:"revoked_by,omitempty"`
	RevokedReason string    `json:"revoked_reason,omitempty"`
	EndedAt       time.Time `json:"ended_at,omitzero"`
	Uses          int64     `json:"uses,omitempty"`
	LastUsedAt    time.Time `json:"last_used_at,omitzero"`
	LastUsedBy    string    `json:"last_used_by,omitempty"`
}

type diskConsentSetting struct {
	ClientID  string    `json:"client_id"`
	Required  bool      `json:"required"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// encodeConsent and decodeConsent are the consent records' own codec, so
// the consent buckets stay one self-contained part of the format.
func encodeConsent(v any) ([]byte, error) {
	switch x := v.(type) {
	case store.ConsentRequest:
		return json.Marshal(diskConsentRequest(x))
	case store.ConsentGrant:
		return json.Marshal(diskConsentGrant(x))
	case store.ConsentSetting:
		return json.Marshal(diskConsentSetting(x))
	}
	return nil, fmt.Errorf("store: no consent encoding for %T", v)
}

func decodeConsent(b []byte, v any) error {
	switch x := v.(type) {
	case *store.ConsentRequest:
		return json.Unmarshal(b, (*diskConsentRequest)(x))
	case *store.ConsentGrant:
		return json.Unmarshal(b, (*diskConsentGrant)(x))
	case *store.ConsentSetting:
		return json.Unmarshal(b, (*diskConsentSetting)(x))
	}
	return fmt.Errorf("store: no consent decoding for %T", v)
}

func putConsent(tx *bolt.Tx, bucket []byte, key string, v any) error {
	b, err := encodeConsent(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put([]byte(key), b)
}

func getConsent(tx *bolt.Tx, bucket []byte, key string, v any) error {
	b := tx.Bucket(bucket).Get([]byte(key))
	if b == nil {
		return fmt.Errorf("%s %q: %w", bucket, key, store.ErrNotFound)
	}
	if err := decodeConsent(b, v); err != nil {
		return fmt.Errorf("store: decode %s/%s: %w", bucket, key, err)
	}
	return nil
}

func listConsent[T any](s *DB, bucket []byte, keep func(*T) bool) ([]T, error) {
	var out []T
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			var t T
			if err := decodeConsent(v, &t); err != nil {
				return fmt.Errorf("store: decode %s/%s: %w", bucket, k, err)
			}
			if keep == nil || keep(&t) {
				out = append(out, t)
			}
			return nil
		})
	})
	return out, err
}

// CreateConsentRequest stores a new request of an existing client.
func (s *DB) CreateConsentRequest(r store.ConsentRequest) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(r.ClientID)) == nil {
			return fmt.Errorf("client %q: %w", r.ClientID, store.ErrNotFound)
		}
		if tx.Bucket(bConsentRequests).Get([]byte(r.ID)) != nil {
			return fmt.Errorf("consent request %q: %w", r.ID, store.ErrExists)
		}
		return putConsent(tx, bConsentRequests, r.ID, r)
	})
}

// ConsentRequest returns a request by ID.
func (s *DB) ConsentRequest(id string) (store.ConsentRequest, error) {
	var r store.ConsentRequest
	err := s.db.View(func(tx *bolt.Tx) error { return getConsent(tx, bConsentRequests, id, &r) })
	return r, err
}

// ConsentRequests lists the requests q selects, newest first.
func (s *DB) ConsentRequests(q store.ConsentRequestQuery) ([]store.ConsentRequest, error) {
	out, err := listConsent(s, bConsentRequests, q.Match)
	slices.SortFunc(out, func(a, b store.ConsentRequest) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out, err
}

// AnswerConsentRequest closes a pending request, storing its grant.
func (s *DB) AnswerConsentRequest(id, status string, at time.Time, byID, by string, g *store.ConsentGrant) (store.ConsentRequest, error) {
	var r store.ConsentRequest
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := getConsent(tx, bConsentRequests, id, &r); err != nil {
			return err
		}
		if r.Status != store.ConsentPending {
			return fmt.Errorf("consent request %q is %s: %w", id, r.Status, store.ErrConflict)
		}
		if r.Expired(at) {
			return fmt.Errorf("consent request %q expired: %w", id, store.ErrConflict)
		}
		switch {
		case status == store.ConsentAccepted && g != nil:
			if tx.Bucket(bConsentGrants).Get([]byte(g.ID)) != nil {
				return fmt.Errorf("consent grant %q: %w", g.ID, store.ErrExists)
			}
			if err := putConsent(tx, bConsentGrants, g.ID, *g); err != nil {
				return err
			}
			r.GrantID = g.ID
		case status == store.ConsentDeclined && g == nil:
		default:
			return fmt.Errorf("store: answer %q with a grant %v", status, g != nil)
		}
		r.Status, r.AnsweredAt, r.AnsweredByID, r.AnsweredBy = status, at, byID, by
		return putConsent(tx, bConsentRequests, r.ID, r)
	})
	return r, err
}

// ConsentGrant returns a grant by ID.
func (s *DB) ConsentGrant(id string) (store.ConsentGrant, error) {
	var g store.ConsentGrant
	err := s.db.View(func(tx *bolt.Tx) error { return getConsent(tx, bConsentGrants, id, &g) })
	return g, err
}

// ConsentGrants lists the grants q selects, newest first.
func (s *DB) ConsentGrants(q store.ConsentGrantQuery) ([]store.ConsentGrant, error) {
	out, err := listConsent(s, bConsentGrants, q.Match)
	slices.SortFunc(out, func(a, b store.ConsentGrant) int {
		if c := b.StartsAt.Compare(a.StartsAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out, err
}

// updateGrant reads, changes and writes one grant in one commit.
func (s *DB) updateGrant(id string, fn func(g *store.ConsentGrant) error) (store.ConsentGrant, error) {
	var g store.ConsentGrant
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := getConsent(tx, bConsentGrants, id, &g); err != nil {
			return err
		}
		if err := fn(&g); err != nil {
			return err
		}
		return putConsent(tx, bConsentGrants, id, g)
	})
	return g, err
}

// RevokeConsentGrant revokes a grant once.
func (s *DB) RevokeConsentGrant(id string, at time.Time, by, reason string) (store.ConsentGrant, error) {
	return s.updateGrant(id, func(g *store.ConsentGrant) error {
		if !g.RevokedAt.IsZero() {
			return fmt.Errorf("consent grant %q was revoked already: %w", id, store.ErrConflict)
		}
		g.RevokedAt, g.RevokedBy, g.RevokedReason = at, by, reason
		return nil
	})
}

// RenewConsentGrant moves the end of a grant that was not revoked.
func (s *DB) RenewConsentGrant(id string, endsAt, at time.Time, by string) (store.ConsentGrant, error) {
	return s.updateGrant(id, func(g *store.ConsentGrant) error {
		if !g.RevokedAt.IsZero() {
			return fmt.Errorf("consent grant %q was revoked: %w", id, store.ErrConflict)
		}
		g.EndsAt, g.RenewedAt, g.RenewedBy, g.EndedAt = endsAt, at, by, time.Time{}
		g.Renewals++
		return nil
	})
}

// EndConsentGrant records once that a grant's end took effect.
func (s *DB) EndConsentGrant(id string, at time.Time) (store.ConsentGrant, error) {
	return s.updateGrant(id, func(g *store.ConsentGrant) error {
		if !g.EndedAt.IsZero() {
			return fmt.Errorf("consent grant %q ended already: %w", id, store.ErrConflict)
		}
		g.EndedAt = at
		return nil
	})
}

// RecordConsentUse counts one use of a grant.
func (s *DB) RecordConsentUse(id string, at time.Time, by string) error {
	_, err := s.updateGrant(id, func(g *store.ConsentGrant) error {
		g.Uses++
		if at.After(g.LastUsedAt) {
			g.LastUsedAt, g.LastUsedBy = at, by
		}
		return nil
	})
	return err
}

// SetConsentRequired stores a client's setting.
func (s *DB) SetConsentRequired(c store.ConsentSetting) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(c.ClientID)) == nil {
			return fmt.Errorf("client %q: %w", c.ClientID, store.ErrNotFound)
		}
		return putConsent(tx, bConsentSettings, c.ClientID, c)
	})
}

// ConsentSettings lists the stored settings in client ID order.
func (s *DB) ConsentSettings() ([]store.ConsentSetting, error) {
	return listConsent[store.ConsentSetting](s, bConsentSettings, nil)
}
