package boltstore

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// Portal accounts by ID, an index lower-case e-mail -> ID, and portal
// sessions by the hash of their secret.
var (
	bPortalAccounts = []byte("portal_accounts")
	bPortalEmails   = []byte("portal_emails")
	bPortalSessions = []byte("portal_sessions")
)

type diskPortalAccount struct {
	ID            string    `json:"id"`
	ClientID      string    `json:"client_id"`
	ContactID     string    `json:"contact_id,omitempty"`
	Email         string    `json:"email"`
	Admin         bool      `json:"admin,omitempty"`
	PasswordHash  string    `json:"password_hash,omitempty"`
	TOTPSecret    string    `json:"totp_secret,omitempty"`
	TOTPPending   string    `json:"totp_pending,omitempty"`
	TOTPLastStep  int64     `json:"totp_last_step,omitempty"`
	InviteHash    string    `json:"invite_hash,omitempty"`
	InviteExpires time.Time `json:"invite_expires,omitzero"`
	Disabled      bool      `json:"disabled,omitempty"`
	Epoch         int       `json:"epoch,omitempty"`
	CreatedAt     time.Time `json:"created_at,omitzero"`
	CreatedBy     string    `json:"created_by,omitempty"`
	LastLoginAt   time.Time `json:"last_login_at,omitzero"`
}

type diskPortalSession struct {
	Hash           string    `json:"hash"`
	AccountID      string    `json:"account_id,omitempty"`
	ClientID       string    `json:"client_id"`
	ViewedBy       string    `json:"viewed_by,omitempty"`
	ViewedByName   string    `json:"viewed_by_name,omitempty"`
	CSRF           string    `json:"csrf"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
	ExpiresAt      time.Time `json:"expires_at"`
	Epoch          int       `json:"epoch,omitempty"`
	SecondFactorAt time.Time `json:"second_factor_at,omitzero"`
}

// migratePortal creates the customer portal's buckets.
func migratePortal(tx *bolt.Tx) error {
	for _, b := range [][]byte{bPortalAccounts, bPortalEmails, bPortalSessions} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// CreatePortalAccount stores a new account of an existing client.
func (s *DB) CreatePortalAccount(a store.PortalAccount) error {
	a.Email = strings.ToLower(strings.TrimSpace(a.Email))
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(a.ClientID)) == nil {
			return fmt.Errorf("client %q: %w", a.ClientID, store.ErrNotFound)
		}
		if a.Email == "" {
			return errors.New("store: a portal account needs an e-mail")
		}
		if tx.Bucket(bPortalAccounts).Get([]byte(a.ID)) != nil {
			return fmt.Errorf("portal account %q: %w", a.ID, store.ErrExists)
		}
		if tx.Bucket(bPortalEmails).Get([]byte(a.Email)) != nil {
			return fmt.Errorf("portal account for %q: %w", a.Email, store.ErrExists)
		}
		if a.ContactID != "" {
			dup := false
			err := each(tx, bPortalAccounts, nil, func(o *store.PortalAccount) error {
				dup = dup || o.ContactID == a.ContactID
				return nil
			})
			if err != nil {
				return err
			}
			if dup {
				return fmt.Errorf("portal account of contact %q: %w", a.ContactID, store.ErrExists)
			}
		}
		if err := tx.Bucket(bPortalEmails).Put([]byte(a.Email), []byte(a.ID)); err != nil {
			return err
		}
		return put(tx, bPortalAccounts, a.ID, a)
	})
}

// PortalAccount returns an account by ID.
func (s *DB) PortalAccount(id string) (store.PortalAccount, error) {
	var a store.PortalAccount
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bPortalAccounts, id, &a) })
	return a, err
}

// PortalAccountByEmail finds an account by its sign-in name.
func (s *DB) PortalAccountByEmail(email string) (store.PortalAccount, error) {
	var a store.PortalAccount
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bPortalEmails).Get([]byte(strings.ToLower(strings.TrimSpace(email))))
		if id == nil {
			return fmt.Errorf("portal account %q: %w", email, store.ErrNotFound)
		}
		return get(tx, bPortalAccounts, string(id), &a)
	})
	return a, err
}

// PortalAccountByInvite finds the account with an outstanding invite of
// that hash (a scan: accounts are few and invites rare).
func (s *DB) PortalAccountByInvite(hash string) (store.PortalAccount, error) {
	if hash == "" {
		return store.PortalAccount{}, fmt.Errorf("portal invite: %w", store.ErrNotFound)
	}
	out, err := list(s, bPortalAccounts, nil, func(a *store.PortalAccount) bool { return a.InviteHash == hash })
	if err != nil {
		return store.PortalAccount{}, err
	}
	if len(out) == 0 {
		return store.PortalAccount{}, fmt.Errorf("portal invite: %w", store.ErrNotFound)
	}
	return out[0], nil
}

// PortalAccounts lists a client's accounts ("" = all) in ID order.
func (s *DB) PortalAccounts(clientID string) ([]store.PortalAccount, error) {
	return list(s, bPortalAccounts, nil, func(a *store.PortalAccount) bool { return clientID == "" || a.ClientID == clientID })
}

// UpdatePortalAccount changes an account in one transaction.
func (s *DB) UpdatePortalAccount(id string, fn func(*store.PortalAccount) error) (store.PortalAccount, error) {
	var a store.PortalAccount
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := get(tx, bPortalAccounts, id, &a); err != nil {
			return err
		}
		keep := a
		if err := fn(&a); err != nil {
			return err
		}
		a.ID, a.ClientID, a.ContactID, a.Email = keep.ID, keep.ClientID, keep.ContactID, keep.Email
		return put(tx, bPortalAccounts, id, a)
	})
	return a, err
}

// DeletePortalAccount removes an account, its e-mail index and sessions.
func (s *DB) DeletePortalAccount(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var a store.PortalAccount
		if err := get(tx, bPortalAccounts, id, &a); err != nil {
			return err
		}
		var gone [][]byte
		err := each(tx, bPortalSessions, nil, func(se *store.PortalSession) error {
			if se.AccountID == id {
				gone = append(gone, []byte(se.Hash))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range gone {
			if err := tx.Bucket(bPortalSessions).Delete(k); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bPortalEmails).Delete([]byte(a.Email)); err != nil {
			return err
		}
		return tx.Bucket(bPortalAccounts).Delete([]byte(id))
	})
}

// PutPortalSession creates or replaces a session.
func (s *DB) PutPortalSession(se store.PortalSession) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bPortalSessions, se.Hash, se) })
}

// PortalSession returns a session by hash.
func (s *DB) PortalSession(hash string) (store.PortalSession, error) {
	var se store.PortalSession
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bPortalSessions, hash, &se) })
	return se, err
}

// DeletePortalSession removes a session; unknown hashes are no error.
func (s *DB) DeletePortalSession(hash string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bPortalSessions).Delete([]byte(hash)) })
}
