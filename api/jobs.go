package api

import (
	"encoding/json"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// JobRequest is POST /api/v1/jobs: one kind of action on a target (device
// IDs, a client, or a device filter).
type JobRequest struct {
	Devices        []string                `json:"devices,omitempty"`
	Client         string                  `json:"client,omitempty"`
	Filter         *DeviceQuery            `json:"filter,omitempty"`
	Kind           string                  `json:"kind"`
	Script         *protocol.ScriptSpec    `json:"script,omitempty"`
	Library        string                  `json:"library,omitempty"` // library script name[@version] or ID
	Service        *protocol.ServiceAction `json:"service,omitempty"`
	Power          *protocol.PowerAction   `json:"power,omitempty"`
	Patch          *protocol.PatchInstall  `json:"patch,omitempty"`
	Software       *protocol.Uninstall     `json:"software,omitempty"`
	Package        *protocol.PackageJob    `json:"package,omitempty"` // kind package
	Message        *protocol.MessageJob    `json:"message,omitempty"` // kind message
	TimeoutSeconds int                     `json:"timeout_seconds,omitempty"`
	ExpiresSeconds int                     `json:"expires_seconds,omitempty"`
	At             time.Time               `json:"at,omitzero"` // scheduled start
}

// DeviceQuery is a device-list filter usable as a job target.
type DeviceQuery struct {
	Search        string `json:"search,omitempty"`
	OS            string `json:"os,omitempty"`
	Online        *bool  `json:"online,omitempty"`
	PendingReboot *bool  `json:"pending_reboot,omitempty"`
	HasPatches    *bool  `json:"has_patches,omitempty"`
	DeviceType    string `json:"device_type,omitempty"`
	Client        string `json:"client,omitempty"`
}

// ScriptRef is the library version (or only the body hash, for an ad-hoc
// script) a job sent.
type ScriptRef struct {
	ID       string `json:"id,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	Name     string `json:"name,omitempty"`
	Version  int    `json:"version,omitempty"`
	SHA256   string `json:"sha256"`
}

// Job is a technician's request, fanned out into one run per device.
type Job struct {
	ID        string       `json:"id"`
	Kind      string       `json:"kind"`
	CreatedBy string       `json:"created_by"`
	CreatedAt time.Time    `json:"created_at"`
	Expires   time.Time    `json:"expires"`
	NotBefore time.Time    `json:"not_before,omitzero"`
	Spec      protocol.Job `json:"spec"`
	Target    string       `json:"target,omitempty"`
	Runs      int          `json:"runs"`
	Library   string       `json:"library,omitempty"`
	Script    *ScriptRef   `json:"script,omitempty"`
	// States counts the job's runs per state; Clients lists the clients
	// its runs are on.
	States  map[string]int `json:"states,omitempty"`
	Clients []string       `json:"clients,omitempty"`
}

// Run is one job on one device.
type Run struct {
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

// JobResponse is a job with its runs: POST /api/v1/jobs and
// GET /api/v1/jobs/{id}. A fan-out too large to list sets RunsOmitted
// instead of Runs; GET with runs=0 leaves both out.
type JobResponse struct {
	Job         Job   `json:"job"`
	Runs        []Run `json:"runs,omitempty"`
	RunsOmitted int   `json:"runs_omitted,omitempty"`
}

// RunOutput is GET /api/v1/runs/{id}/output: the run and the next slice of
// its output; pass StdoutNext/StderrNext back as stdout_from/stderr_from.
type RunOutput struct {
	Run        Run    `json:"run"`
	Stdout     string `json:"stdout"`
	Stderr     string `json:"stderr"`
	StdoutNext int64  `json:"stdout_next"`
	StderrNext int64  `json:"stderr_next"`
	Done       bool   `json:"done"`
}

// Cancelled answers POST /api/v1/jobs/{id}/cancel.
type Cancelled struct {
	Cancelled int `json:"cancelled"`
}

// Script is a library script (one version of it).
type Script struct {
	ID          string    `json:"id"`
	ClientID    string    `json:"client_id,omitempty"` // "" = global
	Name        string    `json:"name"`
	Version     int       `json:"version"`
	Interpreter string    `json:"interpreter"`
	Description string    `json:"description,omitempty"`
	Body        string    `json:"body"`
	Args        []string  `json:"args,omitempty"`
	SHA256      string    `json:"sha256"`
	UpdatedAt   time.Time `json:"updated_at"`
	UpdatedBy   string    `json:"updated_by,omitempty"`
	Deleted     bool      `json:"deleted,omitempty"`
	// ClientName names the owner; Versions lists every version (GET one
	// script only).
	ClientName string          `json:"client_name,omitempty"`
	Versions   []ScriptVersion `json:"versions,omitempty"`
}

// ScriptVersion is one saved version of a script.
type ScriptVersion struct {
	Version   int    `json:"version"`
	SHA256    string `json:"sha256"`
	UpdatedAt string `json:"updated_at"` // RFC 3339, UTC
	UpdatedBy string `json:"updated_by,omitempty"`
}

// ScriptRequest is POST /api/v1/scripts: a new script, or with ID a new
// version of one.
type ScriptRequest struct {
	ID          string   `json:"id,omitempty"`
	Client      string   `json:"client,omitempty"` // client ID or name; "" = global
	Name        string   `json:"name"`
	Interpreter string   `json:"interpreter"`
	Description string   `json:"description,omitempty"`
	Body        string   `json:"body"`
	Args        []string `json:"args,omitempty"`
}

// ScriptDeleted answers DELETE /api/v1/scripts/{script}.
type ScriptDeleted struct {
	Deleted string `json:"deleted"`
	Name    string `json:"name"`
}

// The device-reported and job payloads are the agent protocol's own types;
// these aliases let clients use them through this package.
type (
	ScriptSpec    = protocol.ScriptSpec
	ServiceAction = protocol.ServiceAction
	PowerAction   = protocol.PowerAction
	PatchInstall  = protocol.PatchInstall
	Uninstall     = protocol.Uninstall
	Inventory     = protocol.Inventory
	Health        = protocol.Health
	Heartbeat     = protocol.Heartbeat
	// Service is one entry of a service_list run's data.
	Service  = protocol.Service
	Software = protocol.Software
	Patch    = protocol.Patch
	// PackageJob and MessageJob are the package and message kinds'
	// payloads; PackageResult and MessageResult their runs' data.
	PackageJob    = protocol.PackageJob
	MessageJob    = protocol.MessageJob
	PackageResult = protocol.PackageResult
	MessageResult = protocol.MessageResult
	MessageAnswer = protocol.MessageAnswer
)

// Job kinds (JobRequest.Kind).
const (
	KindScript       = protocol.KindScript
	KindService      = protocol.KindService
	KindServiceList  = protocol.KindServiceList
	KindPower        = protocol.KindPower
	KindPatchInstall = protocol.KindPatchInstall
	KindUninstall    = protocol.KindUninstall
	KindPackage      = protocol.KindPackage
	KindMessage      = protocol.KindMessage
)

// MaxPackages is the most packages one package job names.
const MaxPackages = protocol.MaxPackages
