package api

import "time"

// VaultEntry is a password vault entry as lists, searches and lookups
// show it: never its password or notes (see VaultSecret).
type VaultEntry struct {
	ID         string    `json:"id"`
	ClientID   string    `json:"client_id"`
	ClientName string    `json:"client_name,omitempty"`
	Name       string    `json:"name"`
	URL        string    `json:"url,omitempty"` // http or https only
	Username   string    `json:"username,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
	UpdatedBy  string    `json:"updated_by,omitempty"`
}

// VaultEntryRequest creates (POST) or changes (PUT) an entry. On PUT an
// absent password or notes keeps the stored one.
type VaultEntryRequest struct {
	Name     string  `json:"name"`
	URL      string  `json:"url,omitempty"`
	Username string  `json:"username,omitempty"`
	Password *string `json:"password,omitempty"`
	Notes    *string `json:"notes,omitempty"`
}

// VaultRevealRequest asks for an entry's secret; Reason is recorded in
// the audit log and required when the client's or the server's settings
// say so.
type VaultRevealRequest struct {
	Reason string `json:"reason,omitempty"`
}

// VaultSecret is an entry's secret, answered to a reveal (password and
// notes) or a copy (password only). HideAfter is how many seconds the
// dashboard shows it.
type VaultSecret struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Username  string `json:"username,omitempty"`
	Password  string `json:"password"`
	Notes     string `json:"notes,omitempty"`
	HideAfter int    `json:"hide_after,omitempty"`
}

// VaultSettings are a client's vault options. PortalAccess lets the
// client's portal users see the vault (off by default; the portal is not
// built yet); RequireReason makes reveals and copies state a reason, as
// ServerRequiresReason (--vault-require-reason) does for every client.
type VaultSettings struct {
	ClientID             string `json:"client_id"`
	PortalAccess         bool   `json:"portal_access"`
	RequireReason        bool   `json:"require_reason"`
	ServerRequiresReason bool   `json:"server_requires_reason,omitempty"`
}

// VaultSettingsRequest changes a client's vault options (absent = kept).
type VaultSettingsRequest struct {
	PortalAccess  *bool `json:"portal_access,omitempty"`
	RequireReason *bool `json:"require_reason,omitempty"`
}

// VaultDeleted answers the deletion of an entry.
type VaultDeleted struct {
	Deleted string `json:"deleted"`
	Name    string `json:"name"`
}
