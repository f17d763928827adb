package store

import (
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CreateUser stores a new user; names are unique (case-insensitive).
func (s *DB) CreateUser(u User) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		names := tx.Bucket(bUserNames)
		key := []byte(strings.ToLower(u.Name))
		if names.Get(key) != nil {
			return fmt.Errorf("user %q: %w", u.Name, ErrExists)
		}
		if err := names.Put(key, []byte(u.ID)); err != nil {
			return err
		}
		return put(tx, bUsers, u.ID, u)
	})
}

// UpdateUser applies fn to a stored user.
func (s *DB) UpdateUser(id string, fn func(*User) error) (User, error) {
	var u User
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
func (s *DB) User(id string) (User, error) {
	var u User
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bUsers, id, &u) })
	return u, err
}

// UserByName returns a user by name (case-insensitive).
func (s *DB) UserByName(name string) (User, error) {
	var u User
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bUserNames).Get([]byte(strings.ToLower(name)))
		if id == nil {
			return fmt.Errorf("user %q: %w", name, ErrNotFound)
		}
		return get(tx, bUsers, string(id), &u)
	})
	return u, err
}

// Users lists all users.
func (s *DB) Users() ([]User, error) { return list[User](s, bUsers, nil, nil) }

// PutAPIToken stores an API token keyed by its hash.
func (s *DB) PutAPIToken(t APIToken) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bAPITokens, t.Hash, t) })
}

// APITokenByHash returns a token by the hash of its secret.
func (s *DB) APITokenByHash(hash string) (APIToken, error) {
	var t APIToken
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bAPITokens, hash, &t) })
	return t, err
}

// APITokens lists tokens of one user (all users when userID is empty).
func (s *DB) APITokens(userID string) ([]APIToken, error) {
	return list(s, bAPITokens, nil, func(t *APIToken) bool { return userID == "" || t.UserID == userID })
}

// RevokeAPIToken revokes a token by ID, only if owned by userID (any owner
// when userID is empty).
func (s *DB) RevokeAPIToken(id, userID string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var hit *APIToken
		_ = each(tx, bAPITokens, nil, func(t *APIToken) error {
			if t.ID == id && (userID == "" || t.UserID == userID) {
				c := *t
				hit = &c
			}
			return nil
		})
		if hit == nil {
			return fmt.Errorf("api token %q: %w", id, ErrNotFound)
		}
		hit.Revoked = true
		return put(tx, bAPITokens, hit.Hash, hit)
	})
}

// StampAPIToken records that the holder of token id (owned by userID)
// just proved two-factor.
func (s *DB) StampAPIToken(id, userID string, at time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var hit *APIToken
		_ = each(tx, bAPITokens, nil, func(t *APIToken) error {
			if t.ID == id && t.UserID == userID {
				c := *t
				hit = &c
			}
			return nil
		})
		if hit == nil {
			return fmt.Errorf("api token %q: %w", id, ErrNotFound)
		}
		hit.SecondFactorAt = at
		return put(tx, bAPITokens, hit.Hash, hit)
	})
}

// Session is a web login session, keyed by the hash of its cookie value.
type Session struct {
	Hash      string    `json:"hash"`
	UserID    string    `json:"user_id"`
	CSRF      string    `json:"csrf"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Epoch     int       `json:"epoch"`
	// SecondFactorAt is when the session last passed two-factor; zero
	// means the session has only passed the password.
	SecondFactorAt time.Time `json:"second_factor_at,omitzero"`
}

// PutSession stores a web session.
func (s *DB) PutSession(se Session) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bSessions, se.Hash, se) })
}

// Session returns a web session by hash.
func (s *DB) Session(hash string) (Session, error) {
	var se Session
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bSessions, hash, &se) })
	return se, err
}

// DeleteSession removes a web session.
func (s *DB) DeleteSession(hash string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bSessions).Delete([]byte(hash)) })
}
