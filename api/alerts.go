package api

import "time"

// AlertCounts are a device's unresolved alerts by severity.
type AlertCounts struct {
	Information int `json:"information"`
	Warning     int `json:"warning"`
	Critical    int `json:"critical"`
}

// Alert is one problem a check found on a device.
type Alert struct {
	ID           string    `json:"id"`
	DeviceID     string    `json:"device_id"`
	DeviceName   string    `json:"device_name"`
	DeviceType   string    `json:"device_type,omitempty"`
	ClientID     string    `json:"client_id"`
	ClientName   string    `json:"client_name"`
	ProfileID    string    `json:"profile_id"`
	ProfileName  string    `json:"profile_name,omitempty"`
	CheckID      string    `json:"check_id"`
	CheckKind    string    `json:"check_kind"`
	CheckTarget  string    `json:"check_target,omitempty"`
	Severity     string    `json:"severity"` // information, warning, critical
	Category     string    `json:"category"` // hardware, disk, availability, performance, network, applications, script-based, general
	Title        string    `json:"title"`
	Detail       string    `json:"detail,omitempty"`
	Status       string    `json:"status"` // open, snoozed, resolved
	SnoozedUntil time.Time `json:"snoozed_until,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	ResolvedAt   time.Time `json:"resolved_at,omitzero"`
	ResolvedBy   string    `json:"resolved_by,omitempty"` // "" when resolved automatically
	Reason       string    `json:"reason,omitempty"`
}

// AlertEvent is one change in an alert's history.
type AlertEvent struct {
	Kind     string    `json:"kind"` // raised, escalated, deescalated, snoozed, reopened, resolved
	Severity string    `json:"severity,omitempty"`
	Detail   string    `json:"detail,omitempty"`
	By       string    `json:"by,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
}

// AlertList is GET /api/v1/alerts and the device and client histories:
// newest first; Next is the before= cursor of the following page ("" at
// the end).
type AlertList struct {
	Alerts []Alert `json:"alerts"`
	Next   string  `json:"next,omitempty"`
}

// AlertDetail is GET /api/v1/alerts/{alert}: the alert and its history.
type AlertDetail struct {
	Alert  Alert        `json:"alert"`
	Events []AlertEvent `json:"events"`
}

// SnoozeRequest is POST /api/v1/alerts/{alert}/snooze: until a time, or
// for a number of minutes.
type SnoozeRequest struct {
	Until   time.Time `json:"until,omitzero"`
	Minutes int       `json:"minutes,omitempty"`
	Reason  string    `json:"reason,omitempty"`
}

// ResolveRequest is POST /api/v1/alerts/{alert}/resolve.
type ResolveRequest struct {
	Reason string `json:"reason"`
}

// Check is one check of a threshold profile. Kinds and what their
// thresholds mean: availability (offline for Warning/Critical minutes),
// cpu and memory (average percent over Window minutes at or above
// Warning/Critical), disk (free percent below Warning/Critical, or free
// bytes below WarningFree/CriticalFree, per volume; Target a mount, ""
// every volume), service (Target not running; Severity), reboot (a
// pending reboot older than Warning/Critical days), patches (security
// patches pending for Warning/Critical days), report (no health report,
// or inventory when Target is "inventory", for Warning/Critical hours
// while online). FailAfter consecutive failing evaluations raise an
// alert, PassAfter passes resolve it (0 = the kind's default).
type Check struct {
	ID           string  `json:"id"`
	Kind         string  `json:"kind"`
	Target       string  `json:"target,omitempty"`
	Warning      float64 `json:"warning,omitempty"`
	Critical     float64 `json:"critical,omitempty"`
	WarningFree  uint64  `json:"warning_free,omitempty"`
	CriticalFree uint64  `json:"critical_free,omitempty"`
	Window       int     `json:"window,omitempty"`
	FailAfter    int     `json:"fail_after,omitempty"`
	PassAfter    int     `json:"pass_after,omitempty"`
	Severity     string  `json:"severity,omitempty"`
}

// Profile is a named set of checks, global or a client's.
type Profile struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	ClientID    string    `json:"client_id,omitempty"` // "" = global
	ClientName  string    `json:"client_name,omitempty"`
	Description string    `json:"description,omitempty"`
	Checks      []Check   `json:"checks"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	UpdatedBy   string    `json:"updated_by,omitempty"`
}

// ProfileRequest is POST /api/v1/profiles and PUT /api/v1/profiles/{profile}.
type ProfileRequest struct {
	Name        string  `json:"name"`
	Client      string  `json:"client,omitempty"` // ID or name; "" = global
	Description string  `json:"description,omitempty"`
	Checks      []Check `json:"checks"`
}

// Assignment assigns a profile at one level.
type Assignment struct {
	Level       string    `json:"level"` // default, client, folder, device
	ClientID    string    `json:"client_id,omitempty"`
	ClientName  string    `json:"client_name,omitempty"`
	Folder      string    `json:"folder,omitempty"`
	DeviceID    string    `json:"device_id,omitempty"`
	ProfileID   string    `json:"profile_id"`
	ProfileName string    `json:"profile_name,omitempty"`
	By          string    `json:"by,omitempty"`
	At          time.Time `json:"at"`
}

// AssignRequest is POST /api/v1/profile-assignments: the profile (ID or
// name; "" removes the assignment) for everything (level default), a
// client, a client's folder, a device or a list of devices (level
// device with Devices).
type AssignRequest struct {
	Level   string   `json:"level"`
	Client  string   `json:"client,omitempty"`
	Folder  string   `json:"folder,omitempty"`
	Device  string   `json:"device,omitempty"`
	Devices []string `json:"devices,omitempty"`
	Profile string   `json:"profile"`
}

// AssignResponse lists the assignments made.
type AssignResponse struct {
	Assignments []Assignment `json:"assignments"`
}

// ExemptionRequest is POST /api/v1/devices/{id}/exemptions: take one
// check of a profile off the device.
type ExemptionRequest struct {
	Profile string `json:"profile"`
	Check   string `json:"check"`
	Reason  string `json:"reason,omitempty"`
}

// Exemption is one check exempted on a device.
type Exemption struct {
	DeviceID  string    `json:"device_id"`
	ProfileID string    `json:"profile_id"`
	CheckID   string    `json:"check_id"`
	Reason    string    `json:"reason,omitempty"`
	By        string    `json:"by,omitempty"`
	At        time.Time `json:"at"`
}

// CheckInForce is one check that applies to a device, where it comes
// from, and how it stands now.
type CheckInForce struct {
	Check       Check  `json:"check"`
	ProfileID   string `json:"profile_id"`
	ProfileName string `json:"profile_name"`
	// Level is where the profile is assigned (default, client, folder,
	// device); Source says which client, folder or device that is.
	Level  string `json:"level"`
	Source string `json:"source"`
	// Exempt checks are listed but not evaluated.
	Exempt bool `json:"exempt,omitempty"`
	// State is ok, warning, critical or unknown (no data yet); Detail
	// says what was measured.
	State  string `json:"state"`
	Detail string `json:"detail,omitempty"`
}

// DeviceChecks is GET /api/v1/devices/{id}/checks.
type DeviceChecks struct {
	DeviceID   string         `json:"device_id"`
	Checks     []CheckInForce `json:"checks"`
	Exemptions []Exemption    `json:"exemptions"`
	// Maintenance names the maintenance window in force now, if any.
	Maintenance string `json:"maintenance,omitempty"`
}

// MaintenanceWindow is a time when no alert is raised for a client, a
// client's folder or a device. One-off (Recur "") from Start for
// Minutes; or daily, or weekly on Weekdays (0 = Sunday), at Start's time
// of day in TimeZone, from Start's date on.
type MaintenanceWindow struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Level      string    `json:"level"` // client, folder, device
	ClientID   string    `json:"client_id"`
	ClientName string    `json:"client_name,omitempty"`
	Folder     string    `json:"folder,omitempty"`
	DeviceID   string    `json:"device_id,omitempty"`
	Start      time.Time `json:"start"`
	Minutes    int       `json:"minutes"`
	Recur      string    `json:"recur,omitempty"` // "", daily, weekly
	Weekdays   []int     `json:"weekdays,omitempty"`
	TimeZone   string    `json:"time_zone,omitempty"`
	Active     bool      `json:"active"`
	CreatedBy  string    `json:"created_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// WindowRequest is POST /api/v1/maintenance: Client (ID or name) for a
// client window, with Folder for a folder's, or Device alone.
type WindowRequest struct {
	Name     string    `json:"name"`
	Client   string    `json:"client,omitempty"`
	Folder   string    `json:"folder,omitempty"`
	Device   string    `json:"device,omitempty"`
	Start    time.Time `json:"start"`
	Minutes  int       `json:"minutes"`
	Recur    string    `json:"recur,omitempty"`
	Weekdays []int     `json:"weekdays,omitempty"`
	TimeZone string    `json:"time_zone,omitempty"`
}

// SuppressedAlert is an alert a maintenance window kept from being raised.
type SuppressedAlert struct {
	WindowID   string    `json:"window_id"`
	DeviceID   string    `json:"device_id"`
	DeviceName string    `json:"device_name,omitempty"`
	CheckKind  string    `json:"check_kind"`
	Severity   string    `json:"severity"`
	Title      string    `json:"title"`
	At         time.Time `json:"at"`
}

// WindowDetail is GET /api/v1/maintenance/{window}: the window and what
// it suppressed, newest first.
type WindowDetail struct {
	Window     MaintenanceWindow `json:"window"`
	Suppressed []SuppressedAlert `json:"suppressed"`
}

// Deleted answers a DELETE of a profile, window or exemption.
type Deleted struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}
