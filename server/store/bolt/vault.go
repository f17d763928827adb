package boltstore

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// The password vault: entries by ID, wrapped data keys and settings by
// client ID. Entries are listed by a scan with VaultQuery.Match (a
// client's vault is small; a database implementation indexes it).
var (
	bVaultEntries  = []byte("vault_entries")
	bVaultKeys     = []byte("vault_keys")
	bVaultSettings = []byte("vault_settings")
)

type diskVaultEntry struct {
	ID        string    `json:"id"`
	ClientID  string    `json:"client_id"`
	Name      string    `json:"name"`
	URL       string    `json:"url,omitempty"`
	Username  string    `json:"username,omitempty"`
	Sealed    []byte    `json:"sealed"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

type diskVaultKey struct {
	ClientID  string    `json:"client_id"`
	MasterID  string    `json:"master_id"`
	Wrapped   []byte    `json:"wrapped"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

type diskVaultSettings struct {
	ClientID      string    `json:"client_id"`
	PortalAccess  bool      `json:"portal_access,omitempty"`
	RequireReason bool      `json:"require_reason,omitempty"`
	UpdatedAt     time.Time `json:"updated_at,omitzero"`
	UpdatedBy     string    `json:"updated_by,omitempty"`
}

// PutVaultEntry creates or replaces an entry of an existing client.
func (s *DB) PutVaultEntry(e store.VaultEntry) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(e.ClientID)) == nil {
			return fmt.Errorf("client %q: %w", e.ClientID, store.ErrNotFound)
		}
		var old store.VaultEntry
		if err := get(tx, bVaultEntries, e.ID, &old); err == nil && old.ClientID != e.ClientID {
			return fmt.Errorf("vault entry %q belongs to another client: %w", e.ID, store.ErrConflict)
		}
		return put(tx, bVaultEntries, e.ID, e)
	})
}

// VaultEntry returns an entry by ID.
func (s *DB) VaultEntry(id string) (store.VaultEntry, error) {
	var e store.VaultEntry
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bVaultEntries, id, &e) })
	return e, err
}

// VaultEntries lists the entries q selects, by name then ID.
func (s *DB) VaultEntries(q store.VaultQuery) ([]store.VaultEntry, error) {
	var out []store.VaultEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		return each(tx, bVaultEntries, nil, func(e *store.VaultEntry) error {
			if q.Match(e) {
				out = append(out, *e)
			}
			return nil
		})
	})
	slices.SortFunc(out, func(a, b store.VaultEntry) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// DeleteVaultEntry removes an entry.
func (s *DB) DeleteVaultEntry(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bVaultEntries)
		if b.Get([]byte(id)) == nil {
			return fmt.Errorf("vault entry %q: %w", id, store.ErrNotFound)
		}
		return b.Delete([]byte(id))
	})
}

// CreateVaultKey stores a client's first data key.
func (s *DB) CreateVaultKey(k store.VaultKey) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(k.ClientID)) == nil {
			return fmt.Errorf("client %q: %w", k.ClientID, store.ErrNotFound)
		}
		if tx.Bucket(bVaultKeys).Get([]byte(k.ClientID)) != nil {
			return fmt.Errorf("vault key of %q: %w", k.ClientID, store.ErrExists)
		}
		return put(tx, bVaultKeys, k.ClientID, k)
	})
}

// VaultKey returns a client's wrapped data key.
func (s *DB) VaultKey(clientID string) (store.VaultKey, error) {
	var k store.VaultKey
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bVaultKeys, clientID, &k) })
	return k, err
}

// VaultKeys lists every wrapped data key in client ID order.
func (s *DB) VaultKeys() ([]store.VaultKey, error) {
	return list[store.VaultKey](s, bVaultKeys, nil, nil)
}

// ReplaceVaultKeys stores re-wrapped keys in one commit.
func (s *DB) ReplaceVaultKeys(ks []store.VaultKey) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, k := range ks {
			if tx.Bucket(bVaultKeys).Get([]byte(k.ClientID)) == nil {
				return fmt.Errorf("vault key of %q: %w", k.ClientID, store.ErrNotFound)
			}
			if err := put(tx, bVaultKeys, k.ClientID, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// VaultSettings returns a client's settings.
func (s *DB) VaultSettings(clientID string) (store.VaultSettings, error) {
	v := store.VaultSettings{ClientID: clientID}
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bVaultSettings).Get([]byte(clientID)) == nil {
			return nil
		}
		return get(tx, bVaultSettings, clientID, &v)
	})
	return v, err
}

// PutVaultSettings stores a client's settings.
func (s *DB) PutVaultSettings(v store.VaultSettings) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(v.ClientID)) == nil {
			return fmt.Errorf("client %q: %w", v.ClientID, store.ErrNotFound)
		}
		return put(tx, bVaultSettings, v.ClientID, v)
	})
}
