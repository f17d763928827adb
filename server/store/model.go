package store

import (
	"encoding/json"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// Client is a customer whose devices an MSP manages.
type Client struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// EnrollToken lets a device join a client. Only the hash of its secret is
// stored.
type EnrollToken struct {
	ID        string    `json:"id"`
	ClientID  string    `json:"client_id"`
	Hash      string    `json:"hash,omitempty"` // cleared before it leaves the server
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
	MaxUses   int       `json:"max_uses"`
	Uses      int       `json:"uses"`
	Revoked   bool      `json:"revoked"`
	// RequireApproval makes every device enrolled with the token pending
	// until a technician approves it.
	RequireApproval bool `json:"require_approval,omitempty"`
}

// Transition is one availability change.
type Transition struct {
	Online bool      `json:"online"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// MaxTransitions is how many availability changes are kept per device.
const MaxTransitions = 50

// Device is an enrolled endpoint.
type Device struct {
	ID           string    `json:"id"`
	ClientID     string    `json:"client_id"`
	Hostname     string    `json:"hostname"`
	OS           string    `json:"os"`
	Arch         string    `json:"arch"`
	KeyHash      string    `json:"key_hash"` // SHA-256 of the agent's public key
	EnrolledAt   time.Time `json:"enrolled_at"`
	Revoked      bool      `json:"revoked,omitempty"`
	AgentVersion string    `json:"agent_version,omitempty"`
	BootTime     time.Time `json:"boot_time,omitzero"`
	LastSeen     time.Time `json:"last_seen,omitzero"`
	// OfflineSince is when the device last went offline.
	OfflineSince time.Time          `json:"offline_since,omitzero"`
	Transitions  []Transition       `json:"transitions,omitempty"`
	Heartbeat    protocol.Heartbeat `json:"heartbeat"`
	Group        string             `json:"group,omitempty"`
	RemoteAddr   string             `json:"remote_addr,omitempty"`
	// MachineID is what the agent reported at enrollment as its machine's
	// stable ID ("" for agents that send none: they are not checked).
	MachineID string `json:"machine_id,omitempty"`
	// Pending is set until a technician approves the device: it may
	// connect and report, but receives no job, shell or update.
	Pending bool `json:"pending,omitempty"`
	// DuplicateOf names the device that already had MachineID when this
	// one enrolled.
	DuplicateOf string    `json:"duplicate_of,omitempty"`
	ApprovedBy  string    `json:"approved_by,omitempty"`
	ApprovedAt  time.Time `json:"approved_at,omitzero"`
}

// Inventory is a device's latest inventory.
type Inventory struct {
	DeviceID  string             `json:"device_id"`
	Hash      string             `json:"hash"`
	UpdatedAt time.Time          `json:"updated_at"`
	Inventory protocol.Inventory `json:"inventory"`
}

// Health is a device's latest health report.
type Health struct {
	DeviceID  string          `json:"device_id"`
	Hash      string          `json:"hash"`
	UpdatedAt time.Time       `json:"updated_at"`
	Health    protocol.Health `json:"health"`
}

// Job is a technician's request, fanned out into one run per device.
type Job struct {
	ID        string       `json:"id"`
	Kind      string       `json:"kind"`
	CreatedBy string       `json:"created_by"`
	CreatedAt time.Time    `json:"created_at"`
	Expires   time.Time    `json:"expires"`
	NotBefore time.Time    `json:"not_before,omitzero"` // scheduled start
	Spec      protocol.Job `json:"spec"`                // template; RunID/JobID empty
	Target    string       `json:"target,omitempty"`    // human description of the target
	Runs      int          `json:"runs"`
	Library   string       `json:"library,omitempty"` // script library name@version
	// Script is the library version (or, for an ad-hoc script, only the
	// body hash) the job sent; later edits of the library never change it.
	Script *ScriptRef `json:"script,omitempty"`
	// States counts the job's runs per state and Clients lists the clients
	// its runs are on. The store keeps both as runs change, so listing jobs
	// or checking a technician's scope never reads a fan-out's 20,000 runs.
	// Jobs stored before they existed have them nil (see JobStates).
	States  map[string]int `json:"states,omitempty"`
	Clients []string       `json:"clients,omitempty"`
}

// Done reports whether none of the job's runs can change any more.
func (j *Job) Done() bool {
	for st, n := range j.States {
		if n > 0 && !protocol.Terminal(st) {
			return false
		}
	}
	return j.States != nil
}

// Run is one job on one device.
type Run struct {
	ID        string          `json:"id"`
	JobID     string          `json:"job_id"`
	DeviceID  string          `json:"device_id"`
	ClientID  string          `json:"client_id"`
	Kind      string          `json:"kind"`
	State     string          `json:"state"`
	Reason    string          `json:"reason,omitempty"`
	ExitCode  int             `json:"exit_code"`
	CreatedAt time.Time       `json:"created_at"`
	SentAt    time.Time       `json:"sent_at,omitzero"`
	StartedAt time.Time       `json:"started_at,omitzero"`
	EndedAt   time.Time       `json:"ended_at,omitzero"`
	Expires   time.Time       `json:"expires"`
	NotBefore time.Time       `json:"not_before,omitzero"`
	Stdout    int64           `json:"stdout_bytes"`
	Stderr    int64           `json:"stderr_bytes"`
	Truncated bool            `json:"truncated,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"` // kind-specific result JSON
	// CancelRequested is set when a cancel could not reach the device yet;
	// the cancel is sent when it reconnects.
	CancelRequested bool `json:"cancel_requested,omitempty"`
}

// Script is one version of a library script. A script belongs to one
// client, or is global (ClientID ""); names are unique per owner. Every
// save appends an immutable version; the newest is the script's head.
type Script struct {
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
	// Deleted marks a removed script; its versions stay readable for the
	// jobs that ran them.
	Deleted bool `json:"deleted,omitempty"`
}

// ScriptRef is what a job records of the library script it ran: the exact
// version and the SHA-256 of the body sent to the agents.
type ScriptRef struct {
	ID       string `json:"id,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	Name     string `json:"name,omitempty"`
	Version  int    `json:"version,omitempty"`
	SHA256   string `json:"sha256"`
}

// User is a technician or operator account.
type User struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	PasswordHash string    `json:"password_hash,omitempty"`
	Role         string    `json:"role"`
	Clients      []string  `json:"clients,omitempty"` // empty = all clients
	AllClients   bool      `json:"all_clients"`
	Disabled     bool      `json:"disabled,omitempty"`
	TOTPSecret   string    `json:"totp_secret,omitempty"`
	TOTPLastStep int64     `json:"totp_last_step,omitempty"`
	Recovery     []string  `json:"recovery,omitempty"` // hashes
	CreatedAt    time.Time `json:"created_at"`
	// Epoch increases on password change, disable and logout-all; sessions
	// and tokens minted under an older epoch stop working.
	Epoch int    `json:"epoch"`
	Prefs []byte `json:"prefs,omitempty"`
}

// APIToken is a bearer token. Only its hash is stored.
type APIToken struct {
	ID        string    `json:"id"`
	Hash      string    `json:"hash"`
	UserID    string    `json:"user_id"`
	Name      string    `json:"name"`
	Perms     []string  `json:"perms,omitempty"` // subset of the user's; empty = the user's
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Revoked   bool      `json:"revoked,omitempty"`
	Epoch     int       `json:"epoch"`
	// SecondFactorAt is when the holder last proved two-factor for this
	// token: at its minting, or at a later re-check. Zero means never (a
	// password-only login, the first-start token).
	SecondFactorAt time.Time `json:"second_factor_at,omitzero"`
}

// AuditEvent is one entry of the append-only, hash-chained audit log.
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
	// MAC keys the chain (see AuditMAC); empty on records written before
	// the server had an audit key.
	MAC string `json:"mac,omitempty"`
	// Client is the client the event concerns (comma-separated when it
	// concerns several); empty when it concerns none.
	Client string `json:"client,omitempty"`
}
