package api

import (
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// Client is a customer whose devices an MSP manages.
type Client struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// The clients list adds these (see ClientStats and ClientProfile).
	Ranking       int          `json:"ranking,omitempty"`
	Domains       []string     `json:"domains,omitempty"`
	CompanyNumber string       `json:"company_number,omitempty"`
	Stats         *ClientStats `json:"stats,omitempty"`
	// OpenAlerts counts open alerts by severity, when the server has alerts.
	OpenAlerts map[string]int `json:"open_alerts,omitempty"`
}

// CreateClientRequest is POST /api/v1/clients.
type CreateClientRequest struct {
	Name string `json:"name"`
}

// EnrollToken is an enrollment token as listed (never its hash).
type EnrollToken struct {
	ID              string    `json:"id"`
	ClientID        string    `json:"client_id"`
	Note            string    `json:"note,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	CreatedBy       string    `json:"created_by,omitempty"`
	ExpiresAt       time.Time `json:"expires_at"`
	MaxUses         int       `json:"max_uses"`
	Uses            int       `json:"uses"`
	Revoked         bool      `json:"revoked"`
	RequireApproval bool      `json:"require_approval,omitempty"`
}

// CreateEnrollTokenRequest is POST /api/v1/tokens.
type CreateEnrollTokenRequest struct {
	Client         string `json:"client"` // ID or name
	ExpiresSeconds int    `json:"expires_seconds,omitempty"`
	MaxUses        int    `json:"max_uses,omitempty"`
	Note           string `json:"note,omitempty"`
	// RequireApproval: devices enrolled with the token wait for a
	// technician's approval before they receive anything.
	RequireApproval bool `json:"require_approval,omitempty"`
}

// EnrollTokenCreated is a new enrollment token with its secret and the
// install commands that embed it, shown once.
type EnrollTokenCreated struct {
	EnrollToken
	Token   string            `json:"token,omitempty"`
	Install map[string]string `json:"install,omitempty"`
	// AgentBuilds says which platforms the install commands can install
	// on: a one-liner for a missing build fails on the device.
	AgentBuilds *AgentBuilds `json:"agent_builds,omitempty"`
}

// AgentBuilds lists, as "os/arch", the platforms this server has an agent
// build for (the one-line installs download it) and those it lacks.
type AgentBuilds struct {
	Available []string `json:"available"`
	Missing   []string `json:"missing"`
}

// Transition is one availability change of a device.
type Transition struct {
	Online bool      `json:"online"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// Device is a device as the device list and detail show it.
type Device struct {
	ID              string             `json:"id"`
	Hostname        string             `json:"hostname"`
	Online          bool               `json:"online"`
	LastSeen        time.Time          `json:"last_seen,omitzero"`
	OfflineSince    time.Time          `json:"offline_since,omitzero"`
	Client          string             `json:"client"`
	ClientName      string             `json:"client_name,omitempty"`
	Group           string             `json:"group,omitempty"`
	OS              string             `json:"os"`
	Platform        string             `json:"platform,omitempty"`
	OSVersion       string             `json:"os_version,omitempty"`
	Arch            string             `json:"arch,omitempty"`
	DeviceType      string             `json:"device_type"` // pc, server, mac, linux
	AgentVersion    string             `json:"agent_version,omitempty"`
	PendingReboot   bool               `json:"pending_reboot"`
	PatchesAvail    int                `json:"patches_available"`
	SecurityPatches int                `json:"security_patches"`
	LastUser        string             `json:"last_user,omitempty"`
	LastUserAt      time.Time          `json:"last_user_at,omitzero"`
	IPs             []string           `json:"ips,omitempty"`
	MACs            []string           `json:"macs,omitempty"`
	EnrolledAt      time.Time          `json:"enrolled_at"`
	BootTime        time.Time          `json:"boot_time,omitzero"`
	Heartbeat       protocol.Heartbeat `json:"heartbeat"`
	Transitions     []Transition       `json:"transitions,omitempty"`
	// Approval is "pending" until a technician approves the device, else
	// "approved".
	Approval    string `json:"approval"`
	DuplicateOf string `json:"duplicate_of,omitempty"`
	// DuplicateElsewhere is set instead of DuplicateOf when the device it
	// duplicates belongs to a client the caller cannot see.
	DuplicateElsewhere bool      `json:"duplicate_other_client,omitempty"`
	MachineID          string    `json:"machine_id,omitempty"`
	ApprovedBy         string    `json:"approved_by,omitempty"`
	ApprovedAt         time.Time `json:"approved_at,omitzero"`
	// Retired is set while the device is retired: it keeps its history,
	// counts against no limit, receives nothing and reports only
	// heartbeats. Retired devices are left out of the list unless asked
	// for (?retired=true or any).
	Retired   bool      `json:"retired,omitempty"`
	RetiredBy string    `json:"retired_by,omitempty"`
	RetiredAt time.Time `json:"retired_at,omitzero"`
	// Favorite is set when the caller starred the device.
	Favorite bool `json:"favorite,omitempty"`
	// Monitored is set when monitoring watches the device (every device
	// that is not retired, until monitors say otherwise).
	Monitored bool `json:"monitored"`
	// Alerts counts the device's unresolved alerts by severity.
	Alerts AlertCounts `json:"alerts"`
}

// DeviceList is GET /api/v1/devices (JSON; ?format=csv answers CSV).
type DeviceList struct {
	Devices []Device `json:"devices"`
	Total   int      `json:"total"`
	Offset  int      `json:"offset"`
	Limit   int      `json:"limit"`
}

// DeviceDetail is GET /api/v1/devices/{id}: the device with its latest
// inventory and health, when it has reported them.
type DeviceDetail struct {
	Device             Device              `json:"device"`
	Inventory          *protocol.Inventory `json:"inventory,omitempty"`
	InventoryUpdatedAt time.Time           `json:"inventory_updated_at,omitzero"`
	Health             *protocol.Health    `json:"health,omitempty"`
	HealthUpdatedAt    time.Time           `json:"health_updated_at,omitzero"`
}

// DeviceResponse wraps one device (approve, update).
type DeviceResponse struct {
	Device Device `json:"device"`
}

// UpdateDeviceRequest is PATCH /api/v1/devices/{id}.
type UpdateDeviceRequest struct {
	Group *string `json:"group,omitempty"` // folder; "" moves it to none
	// Client moves the device to another client (ID or name) in the
	// caller's scope; its folder is kept unless Group is given.
	Client *string `json:"client,omitempty"`
}

// Bulk device actions (BulkDevicesRequest.Action).
const (
	BulkMove       = "move"
	BulkRetire     = "retire"
	BulkRestore    = "restore"
	BulkFavorite   = "favorite"
	BulkUnfavorite = "unfavorite"
)

// BulkDevicesRequest is POST /api/v1/devices/bulk: one action on many
// devices. Every device must be in the caller's scope (else 404 and
// nothing is done); a move needs Client and/or Group.
type BulkDevicesRequest struct {
	Devices []string `json:"devices"`
	Action  string   `json:"action"` // move, retire, restore, favorite, unfavorite
	Client  string   `json:"client,omitempty"`
	Group   *string  `json:"group,omitempty"`
}

// BulkResult is what one device of a bulk action came to: Changed is
// false when there was nothing to do (already retired, say), Error says
// why it failed.
type BulkResult struct {
	ID      string `json:"id"`
	Changed bool   `json:"changed"`
	Error   string `json:"error,omitempty"`
}

// BulkDevicesResponse answers POST /api/v1/devices/bulk.
type BulkDevicesResponse struct {
	Action  string       `json:"action"`
	Changed int          `json:"changed"`
	Results []BulkResult `json:"results"`
}

// FavoriteResponse answers PUT and DELETE /api/v1/devices/{id}/favorite.
type FavoriteResponse struct {
	ID       string `json:"id"`
	Favorite bool   `json:"favorite"`
}

// DeviceRevoked answers DELETE /api/v1/devices/{id}.
type DeviceRevoked struct {
	ID      string `json:"id"`
	Revoked bool   `json:"revoked"`
}

// RefreshRequested answers POST /api/v1/devices/{id}/refresh.
type RefreshRequested struct {
	Requested bool `json:"requested"`
}

// GroupCount is one folder and how many devices it holds.
type GroupCount struct {
	Group   string `json:"group"`
	Devices int    `json:"devices"`
}

// SoftwareHit is one device with a matching package
// (GET /api/v1/software).
type SoftwareHit struct {
	DeviceID string `json:"device_id"`
	Hostname string `json:"hostname"`
	Client   string `json:"client"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Source   string `json:"source,omitempty"`
}

// Summary counts devices (the keys keep the Go names the dashboard reads).
type Summary struct {
	Total         int `json:"Total"`
	Online        int `json:"Online"`
	Offline       int `json:"Offline"`
	PendingReboot int `json:"PendingReboot"`
	WithPatches   int `json:"WithPatches"`
	WithSecurity  int `json:"WithSecurity"`
}

// Overview is GET /api/v1/overview: device counts per client ID (key ""
// holds the total) and the latest jobs.
type Overview struct {
	Devices    map[string]Summary `json:"devices"`
	RecentJobs []Job              `json:"recent_jobs"`
}

// ShellTicket answers POST /api/v1/devices/{id}/shell/ticket: a
// single-use ticket for the shell websocket, shown once.
type ShellTicket struct {
	Ticket    string    `json:"ticket"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ShellRecord is one shell session (GET /api/v1/shells).
type ShellRecord struct {
	ID            string    `json:"id"`
	DeviceID      string    `json:"device_id"`
	ClientID      string    `json:"client_id"`
	User          string    `json:"user"`
	Shell         string    `json:"shell,omitempty"`
	Started       time.Time `json:"started"`
	Ended         time.Time `json:"ended,omitzero"`
	BytesIn       int64     `json:"bytes_in"`
	BytesOut      int64     `json:"bytes_out"`
	ExitCode      int       `json:"exit_code"`
	Reason        string    `json:"reason,omitempty"`
	Recording     string    `json:"recording,omitempty"`
	InputRecorded bool      `json:"input_recorded"`
}

// ShellControl is a text frame of the shell websocket
// (GET /api/v1/devices/{id}/shell); binary frames carry the terminal's
// bytes. The client sends "resize" (Cols, Rows); the server sends "exit"
// (Code, Reason) and "error" (Message).
type ShellControl struct {
	Type    string `json:"type"`
	Cols    int    `json:"cols,omitempty"`
	Rows    int    `json:"rows,omitempty"`
	Code    int    `json:"code,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// Event is the data of one server-sent event of GET /api/v1/events: a
// device going online or offline, a run changing state, a job created, or
// "resync" (events were dropped: reload).
type Event struct {
	Type     string `json:"type"` // device, run, output, job, resync
	ID       string `json:"id"`
	ClientID string `json:"client_id,omitempty"`
	DeviceID string `json:"device_id,omitempty"`
	JobID    string `json:"job_id,omitempty"`
	State    string `json:"state,omitempty"`
	Online   *bool  `json:"online,omitempty"`
}
