package api

import "time"

// AutoSchedule says when a task is due: kind every (Every seconds),
// daily (At HH:MM), weekly (At on Weekdays, 0 = Sunday) or cron (five
// fields), in TimeZone: an IANA name, "device" (each device's own zone,
// else its client's, else the server's), "client" (the device's client's
// zone, else the server's) or "" (the server's). Start anchors
// an every schedule: it is due at Start + k*Every (k >= 0); when not
// given, the time the task is first saved (kept while its interval is
// unchanged). Other kinds take no Start.
type AutoSchedule struct {
	Kind     string    `json:"kind"`
	Every    int       `json:"every,omitempty"`
	At       string    `json:"at,omitempty"`
	Weekdays []int     `json:"weekdays,omitempty"`
	Cron     string    `json:"cron,omitempty"`
	TimeZone string    `json:"time_zone,omitempty"`
	Start    time.Time `json:"start,omitzero"`
}

// AutoTask is one scheduled task of an automation profile: action
// script (Library NAME@VERSION, pinned), patch-scan, patch-install,
// reboot-if-required or software-install (Packages). Each device starts
// up to SpreadSeconds after the due time (a fixed offset per device).
// A device offline at the due time runs it when it returns, unless
// SkipOffline, within DeadlineMinutes of the due time (0 = until the
// next due time).
type AutoTask struct {
	ID              string       `json:"id,omitempty"`
	Name            string       `json:"name"`
	Action          string       `json:"action"`
	Library         string       `json:"library,omitempty"`
	Packages        []string     `json:"packages,omitempty"`
	Schedule        AutoSchedule `json:"schedule"`
	SpreadSeconds   int          `json:"spread_seconds,omitempty"`
	SkipOffline     bool         `json:"skip_offline,omitempty"`
	DeadlineMinutes int          `json:"deadline_minutes,omitempty"`
	TimeoutSeconds  int          `json:"timeout_seconds,omitempty"`
}

// AutoProfile is a named set of scheduled tasks, global or a client's.
type AutoProfile struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	ClientID    string       `json:"client_id,omitempty"`
	ClientName  string       `json:"client_name,omitempty"`
	Description string       `json:"description,omitempty"`
	Tasks       []AutoTask   `json:"tasks"`
	Patch       *PatchPolicy `json:"patch,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	UpdatedBy   string       `json:"updated_by,omitempty"`
}

// AutoProfileRequest creates or replaces an automation profile; Client
// (ID or name) makes it a client's (a technician scoped to clients must
// name one of theirs).
type AutoProfileRequest struct {
	Name        string       `json:"name"`
	Client      string       `json:"client,omitempty"`
	Description string       `json:"description,omitempty"`
	Tasks       []AutoTask   `json:"tasks"`
	Patch       *PatchPolicy `json:"patch,omitempty"`
}

// AutoExemptionRequest is POST /api/v1/devices/{id}/automation/exemptions:
// take one task of a profile off the device.
type AutoExemptionRequest struct {
	Profile string `json:"profile"`
	Task    string `json:"task"`
	Reason  string `json:"reason,omitempty"`
}

// AutoExemption is one task exempted on a device.
type AutoExemption struct {
	DeviceID  string    `json:"device_id"`
	ProfileID string    `json:"profile_id"`
	TaskID    string    `json:"task_id"`
	Reason    string    `json:"reason,omitempty"`
	By        string    `json:"by,omitempty"`
	At        time.Time `json:"at"`
}

// TaskInForce is one task in force on a device, where it comes from
// (Level and Source, e.g. "client Acme"), and its schedule state.
type TaskInForce struct {
	Task        AutoTask  `json:"task"`
	ProfileID   string    `json:"profile_id"`
	ProfileName string    `json:"profile_name"`
	Level       string    `json:"level"`
	Source      string    `json:"source"`
	Exempt      bool      `json:"exempt"`
	NextRun     time.Time `json:"next_run,omitzero"`
	LastRun     time.Time `json:"last_run,omitzero"`
	RunID       string    `json:"run_id,omitempty"`
	// TimeZone is the IANA zone the task's times are read in on this
	// device (its own, its client's or the schedule's); "" = the server's.
	TimeZone string `json:"time_zone,omitempty"`
}

// DeviceTasks is GET /api/v1/devices/{id}/automation.
type DeviceTasks struct {
	DeviceID   string          `json:"device_id"`
	Tasks      []TaskInForce   `json:"tasks"`
	Exemptions []AutoExemption `json:"exemptions"`
}

// AutoRun is one scheduled occurrence of a task on a device and what the
// scheduler did: started (JobID, RunID), skipped-offline,
// skipped-running, skipped-deadline, not-required or failed; a patch
// policy's reboot steps: prompted, deferred, rebooting, rebooted.
type AutoRun struct {
	ID          string    `json:"id"`
	ProfileID   string    `json:"profile_id"`
	ProfileName string    `json:"profile_name,omitempty"`
	TaskID      string    `json:"task_id"`
	DeviceID    string    `json:"device_id"`
	ClientID    string    `json:"client_id"`
	Due         time.Time `json:"due"`
	At          time.Time `json:"at"`
	Outcome     string    `json:"outcome"`
	JobID       string    `json:"job_id,omitempty"`
	RunID       string    `json:"run_id,omitempty"`
	Detail      string    `json:"detail,omitempty"`
}

// PatchPolicy says which patches install on their own and when: Auto
// none, security or all; Include and Exclude are name patterns (*, ?;
// any case); approved patches install too. The weekly window starts at
// Start (HH:MM) on Weekdays (0 = Sunday) in TimeZone (as a schedule's:
// an IANA name, "device", "client" or "" = the server's) and lasts Minutes.
// Reboot after installing: never, if-required, or at-time (the next
// RebootAt, HH:MM in TimeZone, after the install ended: possibly outside
// the window), with Message shown to the logged-in user first.
// MaxDeferrals > 0 (at most 10) asks the user "Restart now?" and lets
// them postpone it that often by DeferMinutes (default 60) before the
// restart is forced after a five-minute notice. RebootAfterDays > 0
// reboots devices whose reboot has been pending that long, in the window
// (asked first likewise). Classifications (security, critical, bugfix,
// enhancement, feature, definition, driver, rollup, servicepack, tool,
// other) and MinSeverity (critical, important, moderate, low) select
// patches by what the OS says of them.
type PatchPolicy struct {
	Auto            string   `json:"auto"`
	Include         []string `json:"include,omitempty"`
	Exclude         []string `json:"exclude,omitempty"`
	Weekdays        []int    `json:"weekdays"`
	Start           string   `json:"start"`
	Minutes         int      `json:"minutes"`
	TimeZone        string   `json:"time_zone,omitempty"`
	Reboot          string   `json:"reboot,omitempty"`
	Message         string   `json:"message,omitempty"`
	RebootAfterDays int      `json:"reboot_after_days,omitempty"`
	Classifications []string `json:"classifications,omitempty"`
	MinSeverity     string   `json:"min_severity,omitempty"`
	RebootAt        string   `json:"reboot_at,omitempty"`
	DeferMinutes    int      `json:"defer_minutes,omitempty"`
	MaxDeferrals    int      `json:"max_deferrals,omitempty"`
}

// PatchApproval lets one patch install in the window on a client's
// devices, or everyone's (no client).
type PatchApproval struct {
	ClientID   string    `json:"client_id,omitempty"`
	ClientName string    `json:"client_name,omitempty"`
	PatchID    string    `json:"patch_id"`
	Name       string    `json:"name,omitempty"`
	By         string    `json:"by,omitempty"`
	At         time.Time `json:"at"`
}

// PatchApprovalRequest approves a patch (the OS's ID) for a client (ID
// or name) or, without one, for every client.
type PatchApprovalRequest struct {
	Client string `json:"client,omitempty"`
	Patch  string `json:"patch"`
	Name   string `json:"name,omitempty"`
}

// ComplianceItem is one thing a policy expected on a device and where it
// stands: installed, failed, pending-approval, waiting-window, offline,
// excluded or ok.
type ComplianceItem struct {
	Policy string    `json:"policy"` // patch, reboot, task
	Item   string    `json:"item"`   // a patch ID, "reboot", a task ID
	Name   string    `json:"name,omitempty"`
	Status string    `json:"status"`
	Detail string    `json:"detail,omitempty"`
	Next   time.Time `json:"next,omitzero"` // the next window or run
	// Classification and Severity of a patch item, as its OS says
	// (protocol.PatchClassifications, PatchSeverities; "" unknown).
	Classification string `json:"classification,omitempty"`
	Severity       string `json:"severity,omitempty"`
}

// DeviceCompliance is a device's standing against the policies in force
// on it: Status is its worst item's (failed, offline, pending-approval,
// waiting-window) or compliant.
type DeviceCompliance struct {
	DeviceID    string           `json:"device_id"`
	Hostname    string           `json:"hostname,omitempty"`
	ClientID    string           `json:"client_id"`
	ClientName  string           `json:"client_name,omitempty"`
	ProfileID   string           `json:"profile_id"`
	ProfileName string           `json:"profile_name"`
	Online      bool             `json:"online"`
	Status      string           `json:"status"`
	Items       []ComplianceItem `json:"items"`
}

// ClientCompliance counts a client's devices by compliance status.
type ClientCompliance struct {
	ClientID   string         `json:"client_id"`
	ClientName string         `json:"client_name,omitempty"`
	Devices    int            `json:"devices"`
	Compliant  int            `json:"compliant"`
	ByStatus   map[string]int `json:"by_status"`
}

// Compliance is GET /api/v1/automation/compliance: devices out of
// compliance first, and the counts per client.
type Compliance struct {
	Clients []ClientCompliance `json:"clients"`
	Devices []DeviceCompliance `json:"devices"`
}
