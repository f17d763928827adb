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

// Assets by ID; serials by client NUL lower-case serial -> asset ID; the
// type list in asset_meta under "types".
var (
	bAssets       = []byte("assets")
	bAssetSerials = []byte("asset_serials")
	bAssetMeta    = []byte("asset_meta")
)

type diskAsset struct {
	ID             string    `json:"id"`
	ClientID       string    `json:"client_id"`
	Name           string    `json:"name"`
	Type           string    `json:"type,omitempty"`
	Status         string    `json:"status"`
	Serial         string    `json:"serial,omitempty"`
	Model          string    `json:"model,omitempty"`
	Folder         string    `json:"folder,omitempty"`
	ContactID      string    `json:"contact_id,omitempty"`
	DeviceID       string    `json:"device_id,omitempty"`
	PurchaseDate   time.Time `json:"purchase_date,omitzero"`
	WarrantyExpiry time.Time `json:"warranty_expiry,omitzero"`
	Notes          string    `json:"notes,omitempty"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
	UpdatedAt      time.Time `json:"updated_at,omitzero"`
	UpdatedBy      string    `json:"updated_by,omitempty"`
}

func serialKey(clientID, serial string) []byte {
	return []byte(clientID + "\x00" + strings.ToLower(serial))
}

// PutAsset creates or replaces an asset.
func (s *DB) PutAsset(a store.Asset) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(a.ClientID)) == nil {
			return fmt.Errorf("client %q: %w", a.ClientID, store.ErrNotFound)
		}
		var old store.Asset
		if err := get(tx, bAssets, a.ID, &old); err == nil {
			if old.ClientID != a.ClientID {
				return fmt.Errorf("asset %q belongs to another client: %w", a.ID, store.ErrConflict)
			}
			if old.Serial != "" {
				if err := tx.Bucket(bAssetSerials).Delete(serialKey(old.ClientID, old.Serial)); err != nil {
					return err
				}
			}
		}
		if a.Serial != "" {
			k := serialKey(a.ClientID, a.Serial)
			if id := tx.Bucket(bAssetSerials).Get(k); id != nil && string(id) != a.ID {
				return fmt.Errorf("serial %q: %w", a.Serial, store.ErrExists)
			}
			if err := tx.Bucket(bAssetSerials).Put(k, []byte(a.ID)); err != nil {
				return err
			}
		}
		return put(tx, bAssets, a.ID, a)
	})
}

// Asset returns an asset by ID.
func (s *DB) Asset(id string) (store.Asset, error) {
	var a store.Asset
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bAssets, id, &a) })
	return a, err
}

// Assets lists the assets q selects, by name then ID.
func (s *DB) Assets(q store.AssetQuery) ([]store.Asset, error) {
	out, err := list(s, bAssets, nil, q.Match)
	slices.SortFunc(out, func(a, b store.Asset) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// AssetBySerial finds a client's asset by serial.
func (s *DB) AssetBySerial(clientID, serial string) (a store.Asset, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bAssetSerials).Get(serialKey(clientID, serial))
		if id == nil || serial == "" {
			return fmt.Errorf("asset serial %q: %w", serial, store.ErrNotFound)
		}
		return get(tx, bAssets, string(id), &a)
	})
	return a, err
}

// DeleteAsset removes an asset.
func (s *DB) DeleteAsset(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var a store.Asset
		if err := get(tx, bAssets, id, &a); err != nil {
			return err
		}
		if a.Serial != "" {
			if err := tx.Bucket(bAssetSerials).Delete(serialKey(a.ClientID, a.Serial)); err != nil {
				return err
			}
		}
		return tx.Bucket(bAssets).Delete([]byte(id))
	})
}

// AssetTypes lists the admin-defined asset types.
func (s *DB) AssetTypes() (types []string, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAssetMeta).Get([]byte("types"))
		if b == nil {
			return nil
		}
		return json.Unmarshal(b, &types)
	})
	return types, err
}

// SetAssetTypes replaces the list of asset types.
func (s *DB) SetAssetTypes(types []string) error {
	b, err := json.Marshal(types)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bAssetMeta).Put([]byte("types"), b) })
}
