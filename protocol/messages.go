package protocol

import (
	"encoding/json"
	"time"
)

// Hello is the agent's first message on a connection.
type Hello struct {
	ProtocolVersion int       `json:"protocol_version"`
	AgentVersion    string    `json:"agent_version"`
	OS              string    `json:"os"`   // runtime.GOOS
	Arch            string    `json:"arch"` // runtime.GOARCH
	Hostname        string    `json:"hostname"`
	BootTime        time.Time `json:"boot_time,omitzero"`
	Capabilities    []string  `json:"capabilities,omitempty"`
	// UpdateResult is an update outcome the agent has not reported yet (a
	// rollback seen by the previous version); in hello the server knows it
	// before it decides whether to offer an update again.
	UpdateResult *UpdateResult `json:"update_result,omitempty"`
}

// Capabilities an agent may announce.
const (
	CapScript  = "script"
	CapShell   = "shell"
	CapService = "service"
	CapPower   = "power"
	CapPatch   = "patch"
	CapHealth  = "health"
	CapUpdate  = "update"
)

// Welcome is the server's answer to an accepted hello.
type Welcome struct {
	DeviceID         string    `json:"device_id"`
	ServerTime       time.Time `json:"server_time"`
	HeartbeatSeconds int       `json:"heartbeat_seconds"`
	InventorySeconds int       `json:"inventory_seconds"`
	HealthSeconds    int       `json:"health_seconds"`
	PatchScanSeconds int       `json:"patch_scan_seconds"`
	ServerVersion    string    `json:"server_version,omitempty"`
	ProtocolVersion  int       `json:"protocol_version"`
	InventoryHash    string    `json:"inventory_hash,omitempty"` // what the server holds; the agent skips an identical send
	HealthHash       string    `json:"health_hash,omitempty"`
	// Pins are what the agent should pin the server by from now on
	// (tlspin form, "spki:HEX" or "ca:HEX"): the current certificate's and
	// any next one's. The agent stores them when they accept the
	// connection they arrived on (protocol 4).
	Pins []string `json:"pins,omitempty"`
	// Retired is set when the device is retired: the agent sends only
	// heartbeats until a Retire message restores it.
	Retired bool `json:"retired,omitempty"`
}

// Heartbeat is the small periodic message carrying what the device list shows.
type Heartbeat struct {
	Seq             uint64  `json:"seq"`
	CPUPercent      float64 `json:"cpu_percent"`
	MemPercent      float64 `json:"mem_percent"`
	DiskPercent     float64 `json:"disk_percent"` // fullest fixed disk
	PendingReboot   bool    `json:"pending_reboot"`
	PatchCount      int     `json:"patch_count"`
	SecurityPatches int     `json:"security_patches"`
	User            string  `json:"user,omitempty"`
	UptimeSeconds   uint64  `json:"uptime_seconds"`
}

// Inventory is the device's hardware and OS description.
type Inventory struct {
	Hostname       string      `json:"hostname"`
	OS             string      `json:"os"`       // linux, windows, darwin
	Platform       string      `json:"platform"` // ubuntu, debian, Microsoft Windows 11 Pro, darwin
	PlatformFamily string      `json:"platform_family,omitempty"`
	OSVersion      string      `json:"os_version"`
	Kernel         string      `json:"kernel"`
	Arch           string      `json:"arch"`
	CPUModel       string      `json:"cpu_model"`
	CPUCores       int         `json:"cpu_cores"`
	CPUThreads     int         `json:"cpu_threads"`
	MemoryTotal    uint64      `json:"memory_total"`
	Disks          []Disk      `json:"disks,omitempty"`
	Interfaces     []Interface `json:"interfaces,omitempty"`
	BootTime       time.Time   `json:"boot_time,omitzero"`
	Users          []string    `json:"users,omitempty"`
	Virtualization string      `json:"virtualization,omitempty"`
	MachineID      string      `json:"machine_id,omitempty"`
	// Manufacturer, Model and Serial are the machine's as its firmware
	// (SMBIOS/DMI, or the Mac's platform expert) tells them; empty when
	// unreadable or a vendor placeholder. The assets wing fills an asset's
	// serial and model from them.
	Manufacturer string `json:"manufacturer,omitempty"`
	Model        string `json:"model,omitempty"`
	Serial       string `json:"serial,omitempty"`
	// Server is true when the OS is a server edition or the host looks like
	// one; the dashboard uses it for the device type.
	Server bool `json:"server,omitempty"`
	// TimeZone is the device's IANA time zone (Europe/Paris), mapped from
	// the Windows zone name on Windows; "" when unknown. Schedules read in
	// the device's zone use it.
	TimeZone string `json:"time_zone,omitempty"`
}

// Disk is one mounted filesystem.
type Disk struct {
	Mount      string `json:"mount"`
	Device     string `json:"device,omitempty"`
	Filesystem string `json:"filesystem"`
	Total      uint64 `json:"total"`
	Free       uint64 `json:"free"`
}

// Interface is one network interface.
type Interface struct {
	Name      string   `json:"name"`
	MAC       string   `json:"mac,omitempty"`
	Addresses []string `json:"addresses,omitempty"` // CIDR notation
}

// Error reports a refused request or a protocol violation.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// RetryAfterSeconds asks the agent to wait before reconnecting.
	RetryAfterSeconds int `json:"retry_after_seconds,omitempty"`
}

// Job kinds.
const (
	KindScript       = "script"
	KindService      = "service"
	KindServiceList  = "service_list"
	KindPower        = "power"
	KindPatchInstall = "patch_install"
	KindPatchScan    = "patch_scan"
	KindUninstall    = "software_uninstall"
)

// Run states. A run has exactly one terminal state.
const (
	StateQueued    = "queued"
	StateSent      = "sent"
	StateRunning   = "running"
	StateSucceeded = "succeeded"
	StateFailed    = "failed"
	StateTimedOut  = "timed_out"
	StateCancelled = "cancelled"
	StateExpired   = "expired"
)

// RunStates lists every run state, in the order a run moves through them.
var RunStates = []string{StateQueued, StateSent, StateRunning, StateSucceeded, StateFailed, StateTimedOut, StateCancelled, StateExpired}

// Terminal reports whether a run state is final. It is the one definition
// of the terminal states: the server, its store, the CLI and the benchmark
// call it, and a test holds the dashboard's copy (TERMINAL in
// server/web/static/assets/lib/format.js) to it.
func Terminal(state string) bool {
	switch state {
	case StateSucceeded, StateFailed, StateTimedOut, StateCancelled, StateExpired:
		return true
	}
	return false
}

// Job asks the agent to execute one run. RunID is unique; the agent runs a
// RunID at most once.
type Job struct {
	RunID    string         `json:"run_id"`
	JobID    string         `json:"job_id"`
	Kind     string         `json:"kind"`
	Timeout  int            `json:"timeout_seconds,omitempty"`
	Expires  time.Time      `json:"expires,omitzero"`
	Script   *ScriptSpec    `json:"script,omitempty"`
	Service  *ServiceAction `json:"service,omitempty"`
	Power    *PowerAction   `json:"power,omitempty"`
	Patch    *PatchInstall  `json:"patch,omitempty"`
	Software *Uninstall     `json:"software,omitempty"`
	Package  *PackageJob    `json:"package,omitempty"` // KindPackage (packages.go)
	Message  *MessageJob    `json:"message,omitempty"` // KindMessage (packages.go)
}

// KnownInterpreter reports whether an agent runs script bodies with name
// (ScriptSpec.Interpreter).
func KnownInterpreter(name string) bool {
	switch name {
	case "sh", "bash", "powershell", "cmd", "python":
		return true
	}
	return false
}

// ScriptSpec is a script job's body.
type ScriptSpec struct {
	Interpreter string            `json:"interpreter"` // sh, bash, powershell, cmd, python
	Body        string            `json:"body,omitempty"`
	Command     []string          `json:"command,omitempty"` // argv to run directly instead of a body
	Args        []string          `json:"args,omitempty"`
	Env         map[string]string `json:"env,omitempty"`
}

// ServiceAction starts, stops or restarts one service.
type ServiceAction struct {
	Name   string `json:"name"`
	Action string `json:"action"` // start, stop, restart
}

// PowerAction shuts down, reboots or logs off.
type PowerAction struct {
	Action       string `json:"action"` // shutdown, reboot, logoff
	DelaySeconds int    `json:"delay_seconds,omitempty"`
	Message      string `json:"message,omitempty"`
	User         string `json:"user,omitempty"` // logoff: one user; empty = all
}

// PatchInstall installs all or selected patches.
type PatchInstall struct {
	IDs    []string `json:"ids,omitempty"`    // empty = all
	Reboot string   `json:"reboot,omitempty"` // never, if-required
}

// Uninstall removes one installed package.
type Uninstall struct {
	ID string `json:"id"`
}

// JobAck tells the server the agent received a run. Duplicate is set when
// the agent had already seen the run id; it then resends the stored result.
type JobAck struct {
	RunID     string `json:"run_id"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Refused   string `json:"refused,omitempty"`
}

// JobOutput is one chunk of a run's output. Offset is the byte offset of Data
// within its stream, so a chunk resent after a reconnect is stored once.
type JobOutput struct {
	RunID  string `json:"run_id"`
	Stream string `json:"stream"` // stdout, stderr
	Offset int64  `json:"offset"`
	Data   []byte `json:"data"`
}

// JobResult is a run's final outcome.
type JobResult struct {
	RunID     string          `json:"run_id"`
	State     string          `json:"state"` // a terminal state
	ExitCode  int             `json:"exit_code"`
	Reason    string          `json:"reason,omitempty"`
	Started   time.Time       `json:"started,omitzero"`
	Ended     time.Time       `json:"ended,omitzero"`
	Truncated bool            `json:"truncated,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"` // kind specific: service list, patch install result
	// Stdout and Stderr, since version 2, hold the run's whole output
	// (from offset 0, at most MaxChunk each) when none was sent before.
	Stdout []byte `json:"stdout,omitempty"`
	Stderr []byte `json:"stderr,omitempty"`
}

// ResultAck tells the agent the server stored a result; the agent may then
// forget it.
type ResultAck struct {
	RunID string `json:"run_id"`
}

// JobCancel asks the agent to stop a run.
type JobCancel struct {
	RunID string `json:"run_id"`
}

// ShellOpen asks the agent to start a terminal session.
type ShellOpen struct {
	Session uint32 `json:"session"`
	Shell   string `json:"shell,omitempty"`
	Cols    uint16 `json:"cols"`
	Rows    uint16 `json:"rows"`
}

// ShellOpened answers ShellOpen.
type ShellOpened struct {
	Session uint32 `json:"session"`
	Error   string `json:"error,omitempty"`
}

// ShellResize changes a session's terminal size.
type ShellResize struct {
	Session uint32 `json:"session"`
	Cols    uint16 `json:"cols"`
	Rows    uint16 `json:"rows"`
}

// ShellClose ends a session (either side). From the agent it carries the
// shell's exit code.
type ShellClose struct {
	Session  uint32 `json:"session"`
	ExitCode int    `json:"exit_code"`
	Reason   string `json:"reason,omitempty"`
}

// Retire tells the agent whether its device is retired (see TypeRetire).
// The welcome carries the same flag for a connection's start.
type Retire struct {
	Retired bool `json:"retired"`
}

// Refresh asks the agent to collect and send something now.
type Refresh struct {
	What string `json:"what"` // inventory, health, patches
}

// UpdateOffer tells the agent a signed release is available.
type UpdateOffer struct {
	Version   string `json:"version"`
	Manifest  []byte `json:"manifest"`  // signed manifest bytes
	Signature []byte `json:"signature"` // ed25519 over Manifest
	URL       string `json:"url"`       // path on the server
}

// EnrollRequest is posted by the agent to /agent/enroll.
type EnrollRequest struct {
	Token     string `json:"token"`
	PublicKey []byte `json:"public_key"` // PKIX DER
	Hostname  string `json:"hostname"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	MachineID string `json:"machine_id,omitempty"`
}

// EnrollResponse carries the device identity.
type EnrollResponse struct {
	DeviceID    string `json:"device_id"`
	Certificate []byte `json:"certificate"` // PEM client certificate for PublicKey
	CA          []byte `json:"ca"`          // PEM of the CA the agent pins
	ClientID    string `json:"client_id"`
}

// UpdateResult reports how an offered agent update went (agent → server).
// The agent sends it as an update_result message when it refuses, defers or
// fails an offer and when a new version is confirmed; an outcome an earlier
// process left behind (a rollback) rides in the next Hello.
type UpdateResult struct {
	Version string    `json:"version"`        // the offered version
	From    string    `json:"from,omitempty"` // the version that was running
	State   string    `json:"state"`          // one of the Update* states
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at,omitzero"`
}

// Update result states.
const (
	UpdateInstalled  = "installed"   // the new version runs and reached the server
	UpdateRefused    = "refused"     // never to be attempted: signature, downgrade, platform, rolled back before
	UpdateDeferred   = "deferred"    // not attempted now: reboot pending, busy; offered again on reconnect
	UpdateFailed     = "failed"      // attempted, nothing changed: download, hash, self-test
	UpdateRolledBack = "rolled_back" // installed, did not come up, previous version restored
)

// ReleaseManifest is the signed description of one agent release: the bytes
// of its JSON are what UpdateOffer.Manifest carries and what the release
// key signs (ed25519, no prefix). Agents verify the signature with the key
// pinned at install before they read a field.
type ReleaseManifest struct {
	Version string        `json:"version"`
	Created time.Time     `json:"created,omitzero"`
	Files   []ReleaseFile `json:"files"`
}

// ReleaseFile is one platform's agent binary in a release.
type ReleaseFile struct {
	OS     string `json:"os"`     // runtime.GOOS
	Arch   string `json:"arch"`   // runtime.GOARCH
	Name   string `json:"name"`   // steward-agent-OS-ARCH[.exe]
	SHA256 string `json:"sha256"` // lower-case hex
	Size   int64  `json:"size"`
}
