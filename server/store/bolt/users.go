package boltstore

import (
	"fmt"
	"github.com/steward-rmm/steward/server/store"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CreateUser stores a new user; names are unique (case-insensitive).
func (s *DB) CreateUser(u store.User) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		names := tx.Bucket(bUserNames)
		key := []byte(strings.ToLower(u.Name))
		if names.Get(key) != nil {
			return fmt.Errorf("user %q: %w", u.Name, store.ErrExists)
		}
		if err := names.Put(key, []byte(u.ID)); err != nil {
			return err
		}
		return put(tx, bUsers, u.ID, u)
	})
}

// UpdateUser applies fn to a stored user.
func (s *DB) UpdateUser(id string, fn func(*store.User) error) (store.User, error) {
	var u store.User
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := get(tx, bUsers, id, &u); err != nil {
			return err
		}
		if err := fn(&u); err != nil {
			return err
		}
		return put(tx, bUsers, id, u)
	})
	return u, err
}

// User returns a user by ID.
func (s *DB) User(id string) (store.User, error) {
	var u store.User
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bUsers, id, &u) })
	return u, err
}

// UserByName returns a user by name (case-insensitive).
func (s *DB) UserByName(name string) (store.User, error) {
	var u store.User
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bUserNames).Get([]byte(strings.ToLower(name)))
		if id == nil {
			return fmt.Errorf("user %q: %w", name, store.ErrNotFound)
		}
		return get(tx, bUsers, string(id), &u)
	})
	return u, err
}

// Users lists all users.
func (s *DB) Users() ([]store.User, error) { return list[store.User](s, bUsers, nil, nil) }

// PutAPIToken stores an API token keyed by its hash.
func (s *DB) PutAPIToken(t store.APIToken) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bAPITokens, t.Hash, t) })
}

// APITokenByHash returns a token by the hash of its secret.
func (s *DB) APITokenByHash(hash string) (store.APIToken, error) {
	var t store.APIToken
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bAPITokens, hash, &t) })
	return t, err
}

// APITokens lists tokens of one user (all users when userID is empty).
func (s *DB) APITokens(userID string) ([]store.APIToken, error) {
	return list(s, bAPITokens, nil, func(t *store.APIToken) bool { return userID == "" || t.UserID == userID })
}

// RevokeAPIToken revokes a token by ID, only if owned by userID (any owner
// when userID is empty).
func (s *DB) RevokeAPIToken(id, userID string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var hit *store.APIToken
		_ = each(tx, bAPITokens, nil, func(t *store.APIToken) error {
			if t.ID == id && (userID == "" || t.UserID == userID) {
				c := *t
				hit = &c
			}
			return nil
		})
		if hit == nil {
			return fmt.Errorf("api token %q: %w", id, store.ErrNotFound)
		}
		hit.Revoked = true
		return put(tx, bAPITokens, hit.Hash, hit)
	})
}

// StampAPIToken records that the holder of token id (owned by userID)
// just proved two-factor.
func (s *DB) StampAPIToken(id, userID string, at time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var hit *store.APIToken
		_ = each(tx, bAPITokens, nil, func(t *store.APIToken) error {
			if t.ID == id && t.UserID == userID {
				c := *t
				hit = &c
			}
			return nil
		})
		if hit == nil {
			return fmt.Errorf("api token %q: %w", id, store.ErrNotFound)
		}
		hit.SecondFactorAt = at
		return put(tx, bAPITokens, hit.Hash, hit)
	})
}

// PutSession stores a web session.
func (s *DB) PutSession(se store.Session) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bSessions, se.Hash, se) })
}

// Session returns a web session by hash.
func (s *DB) Session(hash string) (store.Session, error) {
	var se store.Session
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bSessions, hash, &se) })
	return se, err
}

// DeleteSession removes a web session.
func (s *DB) DeleteSession(hash string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bSessions).Delete([]byte(hash)) })
}
