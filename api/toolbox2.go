package api

import "github.com/steward-rmm/steward/protocol"

// Event logs, registry and user activity: REST types of the device
// toolbox. Records, values and sessions are the agent's own
// (protocol/eventlog.go, registry.go, sessions.go), passed through.

// EventRecord is one record of a device's event log.
type EventRecord = protocol.EventRecord

// EventLogPage is one page of a device's event log (GET
// /api/v1/devices/{id}/eventlog). Query: since, until (RFC 3339), cursor,
// limit; level, unit, channel, provider, event_id, process, subsystem
// (each repeatable); category, text. The follow route streams the same
// records as NDJSON lines until the client goes away.
type EventLogPage struct {
	Device string `json:"device"`
	// System is journald, windows or unified.
	System  string        `json:"system"`
	Records []EventRecord `json:"records"`
	// Cursor continues with the next page (empty: no more).
	Cursor      string `json:"cursor,omitempty"`
	NewestFirst bool   `json:"newest_first"`
}

// RegistryList is one page of a registry key: subkeys, then values.
type RegistryList = protocol.RegistryList

// RegValue is a registry value with its type and data.
type RegValue = protocol.RegValue

// RegistrySetRequest writes a value (PUT .../registry/value).
type RegistrySetRequest = protocol.RegistrySetParams

// RegistryValueRequest names a value to delete.
type RegistryValueRequest = protocol.RegistryValueParams

// RegistryKeyRequest names a key to create or delete (Recursive deletes
// its subkeys too).
type RegistryKeyRequest = protocol.RegistryKeyParams

// RegistryChanged answers a registry write, with the value it replaced.
type RegistryChanged = protocol.RegistryChanged

// UserActivity is one user session on a device with its state.
type UserActivity = protocol.UserActivity

// DeviceSessions answers GET /api/v1/devices/{id}/sessions.
type DeviceSessions struct {
	Device string `json:"device"`
	protocol.SessionsResult
}
