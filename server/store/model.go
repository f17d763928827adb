package store

import (
	"encoding/json"
	"time"
)

// Client is a customer whose devices an MSP manages.
type Client struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// EnrollToken lets a device join a client. Only the hash of its secret is
// stored.
type EnrollToken struct {
	ID        string
	ClientID  string
	Hash      string // cleared before it leaves the server
	Note      string
	CreatedAt time.Time
	CreatedBy string
	ExpiresAt time.Time
	MaxUses   int
	Uses      int
	Revoked   bool
	// RequireApproval makes every device enrolled with the token pending
	// until a technician approves it.
	RequireApproval bool
}

// Transition is one availability change.
type Transition struct {
	Online bool
	At     time.Time
	Reason string
}

// MaxTransitions is how many availability changes are kept per device.
const MaxTransitions = 50

// Device is an enrolled endpoint.
type Device struct {
	ID           string
	ClientID     string
	Hostname     string
	OS           string
	Arch         string
	KeyHash      string // SHA-256 of the agent's public key
	EnrolledAt   time.Time
	Revoked      bool
	AgentVersion string
	BootTime     time.Time
	LastSeen     time.Time
	// OfflineSince is when the device last went offline.
	OfflineSince time.Time
	Transitions  []Transition
	Heartbeat    Heartbeat
	Group        string
	RemoteAddr   string
	// MachineID is what the agent reported at enrollment as its machine's
	// stable ID ("" for agents that send none: they are not checked).
	MachineID string
	// Pending is set until a technician approves the device: it may
	// connect and report, but receives no job, shell or update.
	Pending bool
	// DuplicateOf names the device that already had MachineID when this
	// one enrolled.
	DuplicateOf string
	ApprovedBy  string
	ApprovedAt  time.Time
	// Retired is set while the device is retired: it keeps its history but
	// counts against no limit, receives nothing and reports nothing.
	Retired   bool
	RetiredBy string
	RetiredAt time.Time
}

// Heartbeat is the last heartbeat a device sent: what the device list
// shows and filters on. The store keeps its own copy of the fields (the
// protocol's heartbeat converts to it field by field, see the server's
// agent link) because the device list is built and sorted from them.
type Heartbeat struct {
	Seq             uint64
	CPUPercent      float64
	MemPercent      float64
	DiskPercent     float64 // fullest fixed disk
	PendingReboot   bool
	PatchCount      int
	SecurityPatches int
	User            string
	UptimeSeconds   uint64
}

// Inventory is a device's latest inventory. The store never looks inside
// the document: it is stored and returned whole, so Doc is the encoded
// document (JSON, as the server wrote it) and the store indexes nothing
// of it; the fleet index that searches hostnames, MACs and serials is
// built in memory by the server from the decoded documents.
type Inventory struct {
	DeviceID  string
	Hash      string // the content hash the agent computed, to skip resends
	UpdatedAt time.Time
	Doc       []byte
}

// Health is a device's latest health report. Like Inventory, the report
// is an opaque document the store keeps and returns whole (the software
// search and the last-user index decode it in the server).
type Health struct {
	DeviceID  string
	Hash      string
	UpdatedAt time.Time
	Doc       []byte
}

// Job is a technician's request, fanned out into one run per device.
type Job struct {
	ID        string
	Kind      string
	CreatedBy string
	CreatedAt time.Time
	Expires   time.Time
	NotBefore time.Time // scheduled start
	// Spec is the encoded job template the runs are sent from (RunID and
	// JobID empty). The store never reads it: it is what the job sends,
	// decoded where a run is dispatched or a job is shown.
	Spec    []byte
	Target  string // human description of the target
	Runs    int
	Library string // script library name@version
	// Script is the library version (or, for an ad-hoc script, only the
	// body hash) the job sent; later edits of the library never change it.
	Script *ScriptRef
	// States counts the job's runs per state and Clients lists the clients
	// its runs are on. The store keeps both as runs change, so listing jobs
	// or checking a technician's scope never reads a fan-out's 20,000 runs.
	// Jobs stored before they existed have them nil (see JobStates).
	States  map[string]int
	Clients []string
}

// Done reports whether none of the job's runs can change any more.
func (j *Job) Done() bool {
	for st, n := range j.States {
		if n > 0 && !Terminal(st) {
			return false
		}
	}
	return j.States != nil
}

// Run is one job on one device.
type Run struct {
	ID        string
	JobID     string
	DeviceID  string
	ClientID  string
	Kind      string
	State     string
	Reason    string
	ExitCode  int
	CreatedAt time.Time
	SentAt    time.Time
	StartedAt time.Time
	EndedAt   time.Time
	Expires   time.Time
	NotBefore time.Time
	Stdout    int64
	Stderr    int64
	Truncated bool
	Data      json.RawMessage // kind-specific result JSON
	// CancelRequested is set when a cancel could not reach the device yet;
	// the cancel is sent when it reconnects.
	CancelRequested bool
}

// Script is one version of a library script. A script belongs to one
// client, or is global (ClientID ""); names are unique per owner. Every
// save appends an immutable version; the newest is the script's head.
type Script struct {
	ID          string
	ClientID    string // "" = global
	Name        string
	Version     int
	Interpreter string
	Description string
	Body        string
	Args        []string
	SHA256      string // of Body
	UpdatedAt   time.Time
	UpdatedBy   string
	// Deleted marks a removed script; its versions stay readable for the
	// jobs that ran them.
	Deleted bool
}

// ScriptRef is what a job records of the library script it ran: the exact
// version and the SHA-256 of the body sent to the agents.
type ScriptRef struct {
	ID       string
	ClientID string
	Name     string
	Version  int
	SHA256   string
}

// User is a technician or operator account.
type User struct {
	ID           string
	Name         string
	PasswordHash string
	Role         string
	Clients      []string // empty = all clients
	AllClients   bool
	Disabled     bool
	TOTPSecret   string
	TOTPLastStep int64
	Recovery     []string // hashes
	CreatedAt    time.Time
	// Epoch increases on password change, disable and logout-all; sessions
	// and tokens minted under an older epoch stop working.
	Epoch int
	Prefs []byte
	// Seats records an admin's explicit seat decisions per module (true:
	// given, false: taken away); a module absent here follows the default
	// (see the accounts wing).
	Seats map[string]bool
	// Email is where notifications meant for this user go (the SLA
	// sweep's warnings and breaches of their tickets); "" = none.
	Email string
}

// APIToken is a bearer token. Only its hash is stored.
type APIToken struct {
	ID        string
	Hash      string
	UserID    string
	Name      string
	Perms     []string // subset of the user's; empty = the user's
	CreatedAt time.Time
	ExpiresAt time.Time
	Revoked   bool
	Epoch     int
	// SecondFactorAt is when the holder last proved two-factor for this
	// token: at its minting, or at a later re-check. Zero means never (a
	// password-only login, the first-start token).
	SecondFactorAt time.Time
}

// AuditEvent is one entry of the append-only, hash-chained audit log.
type AuditEvent struct {
	Seq    uint64
	At     time.Time
	Actor  string
	Action string
	Target string
	Detail map[string]string
	Source string // remote address, or "system"
	Prev   string
	Hash   string
	// MAC keys the chain (see AuditMAC); empty on records written before
	// the server had an audit key.
	MAC string
	// Client is the client the event concerns (comma-separated when it
	// concerns several); empty when it concerns none.
	Client string
}
