package boltstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// The on-disk encoding of the records is this package's own: one disk type
// per store record, with the JSON names the first servers wrote, so the
// records of the contract can change their tags (or lose them) without
// changing the format. A new record field needs its disk field here
// (TestDiskTypesMatchRecords fails until it has one); renaming a JSON name
// here is a format change, so a migration.

// encode returns a record's stored form.
func encode(v any) ([]byte, error) {
	switch x := v.(type) {
	case store.Client:
		return json.Marshal(diskClient(x))
	case *store.Client:
		return json.Marshal((*diskClient)(x))
	case store.EnrollToken:
		return json.Marshal(diskEnrollToken(x))
	case *store.EnrollToken:
		return json.Marshal((*diskEnrollToken)(x))
	case store.Transition:
		return json.Marshal(diskTransition(x))
	case *store.Transition:
		return json.Marshal((*diskTransition)(x))
	case store.Device:
		return json.Marshal(toDevice(x))
	case *store.Device:
		return json.Marshal(toDevice(*x))
	case store.Inventory:
		return json.Marshal(diskInventory{x.DeviceID, x.Hash, x.UpdatedAt, x.Doc})
	case *store.Inventory:
		return json.Marshal(diskInventory{x.DeviceID, x.Hash, x.UpdatedAt, x.Doc})
	case store.Health:
		return json.Marshal(diskHealth{x.DeviceID, x.Hash, x.UpdatedAt, x.Doc})
	case *store.Health:
		return json.Marshal(diskHealth{x.DeviceID, x.Hash, x.UpdatedAt, x.Doc})
	case store.Job:
		return json.Marshal(toJob(x))
	case *store.Job:
		return json.Marshal(toJob(*x))
	case store.Run:
		return json.Marshal(diskRun(x))
	case *store.Run:
		return json.Marshal((*diskRun)(x))
	case store.Script:
		return json.Marshal(diskScript(x))
	case *store.Script:
		return json.Marshal((*diskScript)(x))
	case store.ScriptRef:
		return json.Marshal(diskScriptRef(x))
	case *store.ScriptRef:
		return json.Marshal((*diskScriptRef)(x))
	case store.User:
		return json.Marshal(diskUser(x))
	case *store.User:
		return json.Marshal((*diskUser)(x))
	case store.APIToken:
		return json.Marshal(diskAPIToken(x))
	case *store.APIToken:
		return json.Marshal((*diskAPIToken)(x))
	case store.AuditEvent:
		return json.Marshal(diskAuditEvent(x))
	case *store.AuditEvent:
		return json.Marshal((*diskAuditEvent)(x))
	case store.Session:
		return json.Marshal(diskSession(x))
	case *store.Session:
		return json.Marshal((*diskSession)(x))
	case store.ShellSession:
		return json.Marshal(diskShellSession(x))
	case *store.ShellSession:
		return json.Marshal((*diskShellSession)(x))
	case store.UpdateTarget:
		return json.Marshal(diskUpdateTarget(x))
	case *store.UpdateTarget:
		return json.Marshal((*diskUpdateTarget)(x))
	case store.UpdateResult:
		return json.Marshal(diskUpdateResult(x))
	case *store.UpdateResult:
		return json.Marshal((*diskUpdateResult)(x))
	case store.NotifyChannel:
		return json.Marshal(diskNotifyChannel(x))
	case *store.NotifyChannel:
		return json.Marshal((*diskNotifyChannel)(x))
	case store.NotifyRule:
		return json.Marshal(diskNotifyRule(x))
	case *store.NotifyRule:
		return json.Marshal((*diskNotifyRule)(x))
	case store.Delivery:
		return json.Marshal(diskDelivery(x))
	case *store.Delivery:
		return json.Marshal((*diskDelivery)(x))
	case store.NotifyAlert:
		return json.Marshal(diskNotifyAlert(x))
	case *store.NotifyAlert:
		return json.Marshal((*diskNotifyAlert)(x))
	case store.ClientProfile:
		return json.Marshal(diskClientProfile(x))
	case *store.ClientProfile:
		return json.Marshal((*diskClientProfile)(x))
	case store.ClientField:
		return json.Marshal(diskClientField(x))
	case *store.ClientField:
		return json.Marshal((*diskClientField)(x))
	case store.Contact:
		return json.Marshal(diskContact(x))
	case *store.Contact:
		return json.Marshal((*diskContact)(x))
	case store.VaultEntry:
		return json.Marshal(diskVaultEntry(x))
	case *store.VaultEntry:
		return json.Marshal((*diskVaultEntry)(x))
	case store.VaultKey:
		return json.Marshal(diskVaultKey(x))
	case *store.VaultKey:
		return json.Marshal((*diskVaultKey)(x))
	case store.VaultSettings:
		return json.Marshal(diskVaultSettings(x))
	case *store.VaultSettings:
		return json.Marshal((*diskVaultSettings)(x))
	case store.Attachment:
		return json.Marshal(diskAttachment(x))
	case *store.Attachment:
		return json.Marshal((*diskAttachment)(x))
	case store.Asset:
		return json.Marshal(diskAsset(x))
	case *store.Asset:
		return json.Marshal((*diskAsset)(x))
	case store.PortalAccount:
		return json.Marshal(diskPortalAccount(x))
	case *store.PortalAccount:
		return json.Marshal((*diskPortalAccount)(x))
	case store.PortalSession:
		return json.Marshal(diskPortalSession(x))
	case *store.PortalSession:
		return json.Marshal((*diskPortalSession)(x))
	case store.Contract:
		return json.Marshal(diskContract(x))
	case *store.Contract:
		return json.Marshal((*diskContract)(x))
	case store.Entitlement:
		return json.Marshal(diskEntitlement(x))
	case *store.Entitlement:
		return json.Marshal((*diskEntitlement)(x))
	case store.Consumption:
		return json.Marshal(diskConsumption(x))
	case *store.Consumption:
		return json.Marshal((*diskConsumption)(x))
	}
	return nil, fmt.Errorf("store: no disk encoding for %T", v)
}

// decode reads a stored record into v, a pointer to a store record.
func decode(b []byte, v any) error {
	switch x := v.(type) {
	case *store.Client:
		return json.Unmarshal(b, (*diskClient)(x))
	case *store.EnrollToken:
		return json.Unmarshal(b, (*diskEnrollToken)(x))
	case *store.Transition:
		return json.Unmarshal(b, (*diskTransition)(x))
	case *store.Device:
		var d diskDevice
		err := json.Unmarshal(b, &d)
		*x = fromDevice(d)
		return err
	case *store.Inventory:
		var d diskInventory
		err := json.Unmarshal(b, &d)
		*x = store.Inventory{DeviceID: d.DeviceID, Hash: d.Hash, UpdatedAt: d.UpdatedAt, Doc: d.Doc}
		return err
	case *store.Health:
		var d diskHealth
		err := json.Unmarshal(b, &d)
		*x = store.Health{DeviceID: d.DeviceID, Hash: d.Hash, UpdatedAt: d.UpdatedAt, Doc: d.Doc}
		return err
	case *store.Job:
		var d diskJob
		err := json.Unmarshal(b, &d)
		*x = fromJob(d)
		return err
	case *store.Run:
		return json.Unmarshal(b, (*diskRun)(x))
	case *store.Script:
		return json.Unmarshal(b, (*diskScript)(x))
	case *store.ScriptRef:
		return json.Unmarshal(b, (*diskScriptRef)(x))
	case *store.User:
		return json.Unmarshal(b, (*diskUser)(x))
	case *store.APIToken:
		return json.Unmarshal(b, (*diskAPIToken)(x))
	case *store.AuditEvent:
		return json.Unmarshal(b, (*diskAuditEvent)(x))
	case *store.Session:
		return json.Unmarshal(b, (*diskSession)(x))
	case *store.ShellSession:
		return json.Unmarshal(b, (*diskShellSession)(x))
	case *store.UpdateTarget:
		return json.Unmarshal(b, (*diskUpdateTarget)(x))
	case *store.UpdateResult:
		return json.Unmarshal(b, (*diskUpdateResult)(x))
	case *store.NotifyChannel:
		return json.Unmarshal(b, (*diskNotifyChannel)(x))
	case *store.NotifyRule:
		return json.Unmarshal(b, (*diskNotifyRule)(x))
	case *store.Delivery:
		return json.Unmarshal(b, (*diskDelivery)(x))
	case *store.NotifyAlert:
		return json.Unmarshal(b, (*diskNotifyAlert)(x))
	case *store.ClientProfile:
		return json.Unmarshal(b, (*diskClientProfile)(x))
	case *store.ClientField:
		return json.Unmarshal(b, (*diskClientField)(x))
	case *store.Contact:
		return json.Unmarshal(b, (*diskContact)(x))
	case *store.VaultEntry:
		return json.Unmarshal(b, (*diskVaultEntry)(x))
	case *store.VaultKey:
		return json.Unmarshal(b, (*diskVaultKey)(x))
	case *store.VaultSettings:
		return json.Unmarshal(b, (*diskVaultSettings)(x))
	case *store.Attachment:
		return json.Unmarshal(b, (*diskAttachment)(x))
	case *store.Asset:
		return json.Unmarshal(b, (*diskAsset)(x))
	case *store.PortalAccount:
		return json.Unmarshal(b, (*diskPortalAccount)(x))
	case *store.PortalSession:
		return json.Unmarshal(b, (*diskPortalSession)(x))
	case *store.Contract:
		return json.Unmarshal(b, (*diskContract)(x))
	case *store.Entitlement:
		return json.Unmarshal(b, (*diskEntitlement)(x))
	case *store.Consumption:
		return json.Unmarshal(b, (*diskConsumption)(x))
	}
	return fmt.Errorf("store: no disk encoding for %T", v)
}

func toDevice(v store.Device) (d diskDevice) {
	d.ID = v.ID
	d.ClientID = v.ClientID
	d.Hostname = v.Hostname
	d.OS = v.OS
	d.Arch = v.Arch
	d.KeyHash = v.KeyHash
	d.EnrolledAt = v.EnrolledAt
	d.Revoked = v.Revoked
	d.AgentVersion = v.AgentVersion
	d.BootTime = v.BootTime
	d.LastSeen = v.LastSeen
	d.OfflineSince = v.OfflineSince
	for _, x := range v.Transitions {
		d.Transitions = append(d.Transitions, diskTransition(x))
	}
	d.Heartbeat = diskHeartbeat(v.Heartbeat)
	d.Group = v.Group
	d.RemoteAddr = v.RemoteAddr
	d.MachineID = v.MachineID
	d.Pending = v.Pending
	d.DuplicateOf = v.DuplicateOf
	d.ApprovedBy = v.ApprovedBy
	d.ApprovedAt = v.ApprovedAt
	d.Retired = v.Retired
	d.RetiredBy = v.RetiredBy
	d.RetiredAt = v.RetiredAt
	return d
}

func fromDevice(d diskDevice) (v store.Device) {
	v.ID = d.ID
	v.ClientID = d.ClientID
	v.Hostname = d.Hostname
	v.OS = d.OS
	v.Arch = d.Arch
	v.KeyHash = d.KeyHash
	v.EnrolledAt = d.EnrolledAt
	v.Revoked = d.Revoked
	v.AgentVersion = d.AgentVersion
	v.BootTime = d.BootTime
	v.LastSeen = d.LastSeen
	v.OfflineSince = d.OfflineSince
	for _, x := range d.Transitions {
		v.Transitions = append(v.Transitions, store.Transition(x))
	}
	v.Heartbeat = store.Heartbeat(d.Heartbeat)
	v.Group = d.Group
	v.RemoteAddr = d.RemoteAddr
	v.MachineID = d.MachineID
	v.Pending = d.Pending
	v.DuplicateOf = d.DuplicateOf
	v.ApprovedBy = d.ApprovedBy
	v.ApprovedAt = d.ApprovedAt
	v.Retired = d.Retired
	v.RetiredBy = d.RetiredBy
	v.RetiredAt = d.RetiredAt
	return v
}

func toJob(v store.Job) (d diskJob) {
	d.ID = v.ID
	d.Kind = v.Kind
	d.CreatedBy = v.CreatedBy
	d.CreatedAt = v.CreatedAt
	d.Expires = v.Expires
	d.NotBefore = v.NotBefore
	d.Spec = v.Spec
	d.Target = v.Target
	d.Runs = v.Runs
	d.Library = v.Library
	if v.Script != nil {
		sr := diskScriptRef(*v.Script)
		d.Script = &sr
	}
	d.States = v.States
	d.Clients = v.Clients
	return d
}

func fromJob(d diskJob) (v store.Job) {
	v.ID = d.ID
	v.Kind = d.Kind
	v.CreatedBy = d.CreatedBy
	v.CreatedAt = d.CreatedAt
	v.Expires = d.Expires
	v.NotBefore = d.NotBefore
	v.Spec = d.Spec
	v.Target = d.Target
	v.Runs = d.Runs
	v.Library = d.Library
	if d.Script != nil {
		sr := store.ScriptRef(*d.Script)
		v.Script = &sr
	}
	v.States = d.States
	v.Clients = d.Clients
	return v
}

type diskClient struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

type diskEnrollToken struct {
	ID              string    `json:"id"`
	ClientID        string    `json:"client_id"`
	Hash            string    `json:"hash,omitempty"` // cleared before it leaves the server
	Note            string    `json:"note,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	CreatedBy       string    `json:"created_by,omitempty"`
	ExpiresAt       time.Time `json:"expires_at"`
	MaxUses         int       `json:"max_uses"`
	Uses            int       `json:"uses"`
	Revoked         bool      `json:"revoked"`
	RequireApproval bool      `json:"require_approval,omitempty"`
}

type diskTransition struct {
	Online bool      `json:"online"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

type diskDevice struct {
	ID           string           `json:"id"`
	ClientID     string           `json:"client_id"`
	Hostname     string           `json:"hostname"`
	OS           string           `json:"os"`
	Arch         string           `json:"arch"`
	KeyHash      string           `json:"key_hash"` // SHA-256 of the agent's public key
	EnrolledAt   time.Time        `json:"enrolled_at"`
	Revoked      bool             `json:"revoked,omitempty"`
	AgentVersion string           `json:"agent_version,omitempty"`
	BootTime     time.Time        `json:"boot_time,omitzero"`
	LastSeen     time.Time        `json:"last_seen,omitzero"`
	OfflineSince time.Time        `json:"offline_since,omitzero"`
	Transitions  []diskTransition `json:"transitions,omitempty"`
	Heartbeat    diskHeartbeat    `json:"heartbeat"`
	Group        string           `json:"group,omitempty"`
	RemoteAddr   string           `json:"remote_addr,omitempty"`
	MachineID    string           `json:"machine_id,omitempty"`
	Pending      bool             `json:"pending,omitempty"`
	DuplicateOf  string           `json:"duplicate_of,omitempty"`
	ApprovedBy   string           `json:"approved_by,omitempty"`
	ApprovedAt   time.Time        `json:"approved_at,omitzero"`
	Retired      bool             `json:"retired,omitempty"`
	RetiredBy    string           `json:"retired_by,omitempty"`
	RetiredAt    time.Time        `json:"retired_at,omitzero"`
}

// diskHeartbeat has the names the protocol's heartbeat had when the first
// servers embedded it in the device record.
type diskHeartbeat struct {
	Seq             uint64  `json:"seq"`
	CPUPercent      float64 `json:"cpu_percent"`
	MemPercent      float64 `json:"mem_percent"`
	DiskPercent     float64 `json:"disk_percent"`
	PendingReboot   bool    `json:"pending_reboot"`
	PatchCount      int     `json:"patch_count"`
	SecurityPatches int     `json:"security_patches"`
	User            string  `json:"user,omitempty"`
	UptimeSeconds   uint64  `json:"uptime_seconds"`
}

// The inventory and health documents (and a job's spec) are written
// verbatim, nested under the name the embedded protocol type had: the
// server encodes them as that type's JSON, so the bytes on disk are the
// ones the first servers wrote.
type diskInventory struct {
	DeviceID  string          `json:"device_id"`
	Hash      string          `json:"hash"`
	UpdatedAt time.Time       `json:"updated_at"`
	Doc       json.RawMessage `json:"inventory"`
}

type diskHealth struct {
	DeviceID  string          `json:"device_id"`
	Hash      string          `json:"hash"`
	UpdatedAt time.Time       `json:"updated_at"`
	Doc       json.RawMessage `json:"health"`
}

type diskJob struct {
	ID        string          `json:"id"`
	Kind      string          `json:"kind"`
	CreatedBy string          `json:"created_by"`
	CreatedAt time.Time       `json:"created_at"`
	Expires   time.Time       `json:"expires"`
	NotBefore time.Time       `json:"not_before,omitzero"` // scheduled start
	Spec      json.RawMessage `json:"spec"`                // template; RunID/JobID empty
	Target    string          `json:"target,omitempty"`    // human description of the target
	Runs      int             `json:"runs"`
	Library   string          `json:"library,omitempty"` // script library name@version
	Script    *diskScriptRef  `json:"script,omitempty"`
	States    map[string]int  `json:"states,omitempty"`
	Clients   []string        `json:"clients,omitempty"`
}

type diskRun struct {
	ID              string          `json:"id"`
	JobID           string          `json:"job_id"`
	DeviceID        string          `json:"device_id"`
	ClientID        string          `json:"client_id"`
	Kind            string          `json:"kind"`
	State           string          `json:"state"`
	Reason          string          `json:"reason,omitempty"`
	ExitCode        int             `json:"exit_code"`
	CreatedAt       time.Time       `json:"created_at"`
	SentAt          time.Time       `json:"sent_at,omitzero"`
	StartedAt       time.Time       `json:"started_at,omitzero"`
	EndedAt         time.Time       `json:"ended_at,omitzero"`
	Expires         time.Time       `json:"expires"`
	NotBefore       time.Time       `json:"not_before,omitzero"`
	Stdout          int64           `json:"stdout_bytes"`
	Stderr          int64           `json:"stderr_bytes"`
	Truncated       bool            `json:"truncated,omitempty"`
	Data            json.RawMessage `json:"data,omitempty"` // kind-specific result JSON
	CancelRequested bool            `json:"cancel_requested,omitempty"`
}

type diskScript struct {
	ID          string    `json:"id"`
	ClientID    string    `json:"client_id,omitempty"` // "" = global
	Name        string    `json:"name"`
	Version     int       `json:"version"`
	Interpreter string    `json:"interpreter"`
	Description string    `json:"description,omitempty"`
	Body        string    `json:"body"`
	Args        []string  `json:"args,omitempty"`
	SHA256      string    `json:"sha256"` // of Body
	UpdatedAt   time.Time `json:"updated_at"`
	UpdatedBy   string    `json:"updated_by,omitempty"`
	Deleted     bool      `json:"deleted,omitempty"`
}

type diskScriptRef struct {
	ID       string `json:"id,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	Name     string `json:"name,omitempty"`
	Version  int    `json:"version,omitempty"`
	SHA256   string `json:"sha256"`
}

type diskUser struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	PasswordHash string          `json:"password_hash,omitempty"`
	Role         string          `json:"role"`
	Clients      []string        `json:"clients,omitempty"` // empty = all clients
	AllClients   bool            `json:"all_clients"`
	Disabled     bool            `json:"disabled,omitempty"`
	TOTPSecret   string          `json:"totp_secret,omitempty"`
	TOTPLastStep int64           `json:"totp_last_step,omitempty"`
	Recovery     []string        `json:"recovery,omitempty"` // hashes
	CreatedAt    time.Time       `json:"created_at"`
	Epoch        int             `json:"epoch"`
	Prefs        []byte          `json:"prefs,omitempty"`
	Seats        map[string]bool `json:"seats,omitempty"`
	Email        string          `json:"email,omitempty"`
}

type diskAPIToken struct {
	ID             string    `json:"id"`
	Hash           string    `json:"hash"`
	UserID         string    `json:"user_id"`
	Name           string    `json:"name"`
	Perms          []string  `json:"perms,omitempty"` // subset of the user's; empty = the user's
	CreatedAt      time.Time `json:"created_at"`
	ExpiresAt      time.Time `json:"expires_at,omitzero"`
	Revoked        bool      `json:"revoked,omitempty"`
	Epoch          int       `json:"epoch"`
	SecondFactorAt time.Time `json:"second_factor_at,omitzero"`
}

type diskAuditEvent struct {
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
	Client string            `json:"client,omitempty"`
}

type diskSession struct {
	Hash           string    `json:"hash"`
	UserID         string    `json:"user_id"`
	CSRF           string    `json:"csrf"`
	CreatedAt      time.Time `json:"created_at"`
	ExpiresAt      time.Time `json:"expires_at"`
	Epoch          int       `json:"epoch"`
	SecondFactorAt time.Time `json:"second_factor_at,omitzero"`
}

type diskShellSession struct {
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
	Recording     string    `json:"recording,omitempty"` // file name under recordings/
	InputRecorded bool      `json:"input_recorded"`
}

type diskUpdateTarget struct {
	Scope   string    `json:"scope"` // all, client, device
	ID      string    `json:"id,omitempty"`
	Version string    `json:"version"`
	SetBy   string    `json:"set_by,omitempty"`
	SetAt   time.Time `json:"set_at"`
}

type diskUpdateResult struct {
	DeviceID   string    `json:"device_id"`
	Version    string    `json:"version"`
	From       string    `json:"from,omitempty"`
	State      string    `json:"state"`
	Reason     string    `json:"reason,omitempty"`
	At         time.Time `json:"at,omitzero"`
	ReceivedAt time.Time `json:"received_at"`
}
