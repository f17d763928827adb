package api

import (
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// AuditEvent is one entry of the append-only, hash-chained audit log.
// Prev, Hash and MAC are the chain's links, not secrets.
type AuditEvent struct {
	Seq    uint64            `json:"seq"`
	At     time.Time         `json:"at"`
	Actor  string            `json:"actor"`
	Action string            `json:"action"`
	Target string            `json:"target,omitempty"`
	Detail map[string]string `json:"detail,omitempty"`
	Source string            `json:"source,omitempty"` // remote address, or "system"
	Prev   string            `json:"prev"`
	Hash   string            `json:"hash"`
	MAC    string            `json:"mac,omitempty"`
	Client string            `json:"client,omitempty"` // comma-separated client IDs
}

// AuditVerify is GET /api/v1/audit/verify.
type AuditVerify struct {
	OK       bool    `json:"ok"`
	Records  int     `json:"records"`
	Error    string  `json:"error,omitempty"`
	FirstBad *uint64 `json:"first_bad,omitempty"` // seq of the first broken record
}

// Release is one entry of the release directory.
type Release struct {
	Version string                 `json:"version"`
	Valid   bool                   `json:"valid"`
	Error   string                 `json:"error,omitempty"` // why it is not a valid release
	Created time.Time              `json:"created,omitzero"`
	Files   []protocol.ReleaseFile `json:"files,omitempty"`
}

// Releases is GET /api/v1/releases.
type Releases struct {
	Enabled  bool      `json:"enabled"`
	Releases []Release `json:"releases"`
}

// UpdateTarget is the agent version wanted for all devices, a client or a
// device.
type UpdateTarget struct {
	Scope   string    `json:"scope"` // all, client, device
	ID      string    `json:"id,omitempty"`
	Version string    `json:"version"`
	SetBy   string    `json:"set_by,omitempty"`
	SetAt   time.Time `json:"set_at"`
}

// UpdateResult is a device's latest update outcome.
type UpdateResult struct {
	DeviceID string `json:"device_id"`
	protocol.UpdateResult
	ReceivedAt   time.Time `json:"received_at"`
	Hostname     string    `json:"hostname"`
	AgentVersion string    `json:"agent_version"`
}

// Updates is GET /api/v1/updates.
type Updates struct {
	Targets []UpdateTarget `json:"targets"`
	Results []UpdateResult `json:"results"`
}

// SetUpdateRequest is POST /api/v1/updates: the version for all devices,
// a client, or some devices ("" removes the target).
type SetUpdateRequest struct {
	Version string   `json:"version"`
	Client  string   `json:"client,omitempty"`
	Devices []string `json:"devices,omitempty"`
}

// SetUpdateResponse answers POST /api/v1/updates: the targets set and how
// the online devices in scope were offered the version.
type SetUpdateResponse struct {
	Version string         `json:"version"`
	Targets []UpdateTarget `json:"targets"`
	Counts  map[string]int `json:"counts"`
	Offered []string       `json:"offered"`
}
