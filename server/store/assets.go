package store

import (
	"strings"
	"time"
)

// Asset statuses.
const (
	AssetInUse     = "in use"
	AssetInStock   = "in stock"
	AssetPurchased = "purchased"
	AssetDamaged   = "damaged"
	AssetRetired   = "retired"
)

// AssetStatuses lists the statuses an asset may have.
var AssetStatuses = []string{AssetInUse, AssetInStock, AssetPurchased, AssetDamaged, AssetRetired}

// Asset is a thing a client owns: hardware, a phone, a licence. Its Type
// is one of the admin-defined asset types; DeviceID links the managed
// device it is, when it is one; ContactID the client's contact it is
// with. Dates without a time are midnight UTC; zero is unknown.
type Asset struct {
	ID             string
	ClientID       string
	Name           string
	Type           string
	Status         string
	Serial         string
	Model          string
	Folder         string
	ContactID      string
	DeviceID       string
	PurchaseDate   time.Time
	WarrantyExpiry time.Time
	Notes          string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	UpdatedBy      string
}

// AssetQuery selects assets, by name then ID: of ClientID ("" = any),
// inside Scope, of Type, Status, Folder, ContactID and DeviceID when set;
// whose name, type, serial, folder or contact contains Text (any case);
// and, when WarrantyBefore is set, whose warranty expiry is known, not
// before WarrantyFrom and before WarrantyBefore, and status is not
// retired.
type AssetQuery struct {
	ClientID       string
	Scope          Scope
	Type           string
	Status         string
	Folder         string
	ContactID      string
	DeviceID       string
	Text           string
	WarrantyFrom   time.Time
	WarrantyBefore time.Time
}

// Match reports whether q selects a.
func (q *AssetQuery) Match(a *Asset) bool {
	if (q.ClientID != "" && a.ClientID != q.ClientID) || !q.Scope.Has(a.ClientID) ||
		(q.Type != "" && a.Type != q.Type) || (q.Status != "" && a.Status != q.Status) ||
		(q.Folder != "" && a.Folder != q.Folder) || (q.ContactID != "" && a.ContactID != q.ContactID) ||
		(q.DeviceID != "" && a.DeviceID != q.DeviceID) {
		return false
	}
	if !q.WarrantyBefore.IsZero() && (a.WarrantyExpiry.IsZero() || !a.WarrantyExpiry.Before(q.WarrantyBefore) ||
		a.WarrantyExpiry.Before(q.WarrantyFrom) || a.Status == AssetRetired) {
		return false
	}
	if q.Text == "" {
		return true
	}
	t := strings.ToLower(q.Text)
	for _, f := range []string{a.Name, a.Type, a.Serial, a.Folder, a.ContactID} {
		if strings.Contains(strings.ToLower(f), t) {
			return true
		}
	}
	return false
}

// AssetStore holds client assets and the list of asset types.
type AssetStore interface {
	// PutAsset creates or replaces an asset of an existing client (else
	// ErrNotFound); an asset keeps its client (ErrConflict); a serial is
	// unique among a client's assets (ErrExists).
	PutAsset(a Asset) error
	Asset(id string) (Asset, error)
	Assets(q AssetQuery) ([]Asset, error)
	// AssetBySerial finds a client's asset by serial (exact, any case).
	AssetBySerial(clientID, serial string) (Asset, error)
	DeleteAsset(id string) error
	// AssetTypes lists the admin-defined types (nil until set).
	AssetTypes() ([]string, error)
	SetAssetTypes(types []string) error
}
