package store

import (
	"strings"
	"time"
)

// VaultEntry is one stored credential of a client's password vault. The
// password and notes are never stored in clear: Sealed holds them
// encrypted by the vault wing (an AEAD under the client's data key, with
// the client and entry IDs bound as associated data); the store keeps the
// bytes as they are.
type VaultEntry struct {
	ID        string
	ClientID  string
	Name      string
	URL       string
	Username  string
	Sealed    []byte
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
	UpdatedBy string
}

// VaultKey is a client's vault data key, wrapped (encrypted) by the
// server's master key, which is kept outside the database. MasterID names
// the master key that wrapped it, so a wrong master key is told apart
// from a damaged record.
type VaultKey struct {
	ClientID  string
	MasterID  string
	Wrapped   []byte
	CreatedAt time.Time
}

// VaultSettings are a client's vault options; unset means all false.
type VaultSettings struct {
	ClientID string
	// PortalAccess lets the client's portal users see the vault (the
	// portal does not exist yet; off by default).
	PortalAccess bool
	// RequireReason makes every reveal and copy state a reason.
	RequireReason bool
	UpdatedAt     time.Time
	UpdatedBy     string
}

// VaultQuery selects vault entries, in name order then ID: of ClientID
// ("" = any), inside Scope, and when Text is set those whose name, URL or
// username contains it (any case).
type VaultQuery struct {
	ClientID string
	Scope    Scope
	Text     string
}

// Match reports whether q selects e. Implementations that filter in
// memory use it.
func (q *VaultQuery) Match(e *VaultEntry) bool {
	if q.ClientID != "" && e.ClientID != q.ClientID {
		return false
	}
	if !q.Scope.Has(e.ClientID) {
		return false
	}
	if q.Text == "" {
		return true
	}
	t := strings.ToLower(q.Text)
	for _, f := range []string{e.Name, e.URL, e.Username} {
		if strings.Contains(strings.ToLower(f), t) {
			return true
		}
	}
	return false
}

// VaultStore holds the password vault: entries, wrapped data keys and
// per-client settings.
type VaultStore interface {
	// PutVaultEntry creates or replaces an entry of an existing client
	// (else ErrNotFound); an entry keeps its client (ErrConflict when a
	// replacement names another).
	PutVaultEntry(e VaultEntry) error
	VaultEntry(id string) (VaultEntry, error)
	VaultEntries(q VaultQuery) ([]VaultEntry, error)
	DeleteVaultEntry(id string) error
	// CreateVaultKey stores a client's first data key; ErrExists when the
	// client has one (two racing first entries keep one key).
	CreateVaultKey(k VaultKey) error
	VaultKey(clientID string) (VaultKey, error)
	// VaultKeys lists every client's wrapped key in client ID order.
	VaultKeys() ([]VaultKey, error)
	// ReplaceVaultKeys stores re-wrapped keys in one commit (a master-key
	// rotation): each must replace a stored key (else ErrNotFound and
	// nothing changes).
	ReplaceVaultKeys(ks []VaultKey) error
	// VaultSettings returns a client's settings (zero but for ClientID
	// when never set).
	VaultSettings(clientID string) (VaultSettings, error)
	PutVaultSettings(s VaultSettings) error
}
