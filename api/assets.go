package api

import "time"

// Asset is a client's asset. Dates are YYYY-MM-DD ("" = unknown).
// DeviceName is the linked managed device's host name; ContactName the
// contact's name when the contacts wing knows it.
type Asset struct {
	ID          string `json:"id"`
	ClientID    string `json:"client_id"`
	ClientName  string `json:"client_name,omitempty"`
	Name        string `json:"name"`
	Type        string `json:"type,omitempty"`
	Status      string `json:"status"`
	Serial      string `json:"serial,omitempty"`
	Model       string `json:"model,omitempty"`
	Folder      string `json:"folder,omitempty"`
	ContactID   string `json:"contact_id,omitempty"`
	ContactName string `json:"contact_name,omitempty"`
	DeviceID    string `json:"device_id,omitempty"`
	DeviceName  string `json:"device_name,omitempty"`
	// DeviceModel and DeviceSerial are what the linked device's latest
	// inventory reports (the model with its manufacturer in front), shown
	// beside the asset's own, which a person may have typed differently.
	DeviceModel    string    `json:"device_model,omitempty"`
	DeviceSerial   string    `json:"device_serial,omitempty"`
	PurchaseDate   string    `json:"purchase_date,omitempty"`
	WarrantyExpiry string    `json:"warranty_expiry,omitempty"`
	Notes          string    `json:"notes,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	UpdatedBy      string    `json:"updated_by,omitempty"`
}

// AssetRequest creates (POST) or replaces (PUT) an asset. Status is one
// of "in use", "in stock", "purchased", "damaged", "retired" ("" = in
// use); Type one of the asset types once an admin has set them.
// WarrantyMonths, with a purchase date, sets the warranty expiry when
// WarrantyExpiry is empty.
type AssetRequest struct {
	Name           string `json:"name"`
	Type           string `json:"type,omitempty"`
	Status         string `json:"status,omitempty"`
	Serial         string `json:"serial,omitempty"`
	Model          string `json:"model,omitempty"`
	Folder         string `json:"folder,omitempty"`
	ContactID      string `json:"contact_id,omitempty"`
	DeviceID       string `json:"device_id,omitempty"`
	PurchaseDate   string `json:"purchase_date,omitempty"`
	WarrantyExpiry string `json:"warranty_expiry,omitempty"`
	WarrantyMonths int    `json:"warranty_months,omitempty"`
	Notes          string `json:"notes,omitempty"`
}

// AssetList answers a listing; with ?group_by= (type, folder, contact or
// status) the assets come ordered by group, and Groups counts each.
type AssetList struct {
	Assets []Asset      `json:"assets"`
	Groups []AssetGroup `json:"groups,omitempty"`
}

// AssetGroup is one group of a grouped listing ("" = none set).
type AssetGroup struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// AssetImport answers a CSV import: what each good row does (create,
// update, unchanged: rows match existing assets by serial), every bad row
// with its line and reason, and whether it was applied (?apply=1) or is a
// preview.
type AssetImport struct {
	Applied   bool               `json:"applied"`
	Created   int                `json:"created"`
	Updated   int                `json:"updated"`
	Unchanged int                `json:"unchanged"`
	Rows      []AssetImportRow   `json:"rows"`
	Errors    []AssetImportError `json:"errors"`
}

// AssetImportRow is one good row of an import.
type AssetImportRow struct {
	Line   int    `json:"line"`
	Action string `json:"action"` // create, update, unchanged
	Name   string `json:"name"`
	Serial string `json:"serial"`
	ID     string `json:"id,omitempty"`
}

// AssetImportError is one refused row.
type AssetImportError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// AssetTypes is the admin-defined list of asset types.
type AssetTypes struct {
	Types []string `json:"types"`
}

// AssetDeleted answers the deletion of an asset.
type AssetDeleted struct {
	Deleted string `json:"deleted"`
	Name    string `json:"name"`
}
