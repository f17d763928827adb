package store

import (
	"slices"
	"strings"
	"time"
)

// Monitoring: threshold profiles (named sets of checks), where they are
// assigned, the checks exempted on single devices, maintenance windows;
// and what monitoring produced: alerts, their history, and what a
// maintenance window suppressed.

// Check is one check of a profile. Its thresholds mean what its kind
// says (the alerts wing documents each kind); zero means "not used".
type Check struct {
	// ID is stable within its profile: exemptions and alerts name it.
	ID     string
	Kind   string
	Target string // a disk's mount ("" = every disk), a service's name
	// Warning and Critical are the kind's thresholds (percent, minutes,
	// days or hours).
	Warning, Critical float64
	// WarningFree and CriticalFree are absolute free-space thresholds in
	// bytes (disk checks).
	WarningFree, CriticalFree uint64
	// Window is the averaging window in minutes (CPU and memory).
	Window int
	// FailAfter consecutive failing evaluations raise an alert, PassAfter
	// consecutive passes resolve it (0 = the kind's default).
	FailAfter, PassAfter int
	// Severity is the alert's severity for kinds without two thresholds.
	Severity string
}

// Profile is a named set of checks, global (ClientID "") or a client's.
type Profile struct {
	ID          string
	Name        string
	ClientID    string
	Description string
	Checks      []Check
	CreatedAt   time.Time
	UpdatedAt   time.Time
	UpdatedBy   string
}

// Assignment levels, narrowest last: a device's profile is the one
// assigned at its narrowest level.
const (
	LevelDefault = "default"
	LevelClient  = "client"
	LevelFolder  = "folder"
	LevelDevice  = "device"
)

// ProfileAssignment assigns a profile at one level: to everything
// (LevelDefault), a client, a client's folder or a device.
type ProfileAssignment struct {
	Level     string
	ClientID  string // client and folder levels; the device's client at device level
	Folder    string
	DeviceID  string
	ProfileID string
	By        string
	At        time.Time
}

// Key is the assignment's target: one assignment per target.
func (a *ProfileAssignment) Key() string {
	switch a.Level {
	case LevelClient:
		return "client/" + a.ClientID
	case LevelFolder:
		return "folder/" + a.ClientID + "/" + a.Folder
	case LevelDevice:
		return "device/" + a.DeviceID
	}
	return "default"
}

// CheckExemption takes one check of one profile off one device.
type CheckExemption struct {
	DeviceID  string
	ClientID  string
	ProfileID string
	CheckID   string
	Reason    string
	By        string
	At        time.Time
}

// MaintenanceWindow is a time when no alert is raised for the devices of
// a client, a client's folder or one device. A one-off window starts at
// Start; a recurring one (Recur "daily" or "weekly" on Weekdays, 0 =
// Sunday) starts at Start's time of day in TimeZone on each such day from
// Start's date on. Either lasts Minutes.
type MaintenanceWindow struct {
	ID        string
	Name      string
	Level     string // client, folder, device
	ClientID  string
	Folder    string
	DeviceID  string
	Start     time.Time
	Minutes   int
	Recur     string
	Weekdays  []int
	TimeZone  string
	CreatedBy string
	CreatedAt time.Time
}

// Alert states.
const (
	AlertOpen     = "open"
	AlertSnoozed  = "snoozed"
	AlertResolved = "resolved"
)

// Alert is one problem a check found on a device, from raised to
// resolved. The device's and client's names are copied in when it is
// raised, so alert lists are searched and shown without the fleet.
type Alert struct {
	ID           string
	DeviceID     string
	ClientID     string
	DeviceName   string
	ClientName   string
	DeviceType   string
	ProfileID    string
	ProfileName  string
	CheckID      string
	CheckKind    string
	CheckTarget  string
	Severity     string
	Category     string
	Title        string
	Detail       string
	Status       string
	SnoozedUntil time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ResolvedAt   time.Time
	ResolvedBy   string // "" when resolved automatically
	Reason       string
}

// AlertEvent is one change of an alert: raised, escalated, de-escalated,
// snoozed, reopened, resolved.
type AlertEvent struct {
	AlertID  string
	Kind     string
	Severity string
	Detail   string
	By       string
	Reason   string
	At       time.Time
}

// SuppressedAlert records an alert a maintenance window kept from being
// raised.
type SuppressedAlert struct {
	ID         string
	WindowID   string
	DeviceID   string
	ClientID   string
	DeviceName string
	CheckKind  string
	Severity   string
	Title      string
	At         time.Time
}

// AlertQuery selects alerts, newest first: inside Scope, of ClientID and
// DeviceID when set, with one of Statuses, Severities, Categories and
// DeviceTypes when those are set, whose title, device name or client name
// contains Search (any case), created before the alert with ID Before
// ("" = from the newest), at most Limit (0 = all).
type AlertQuery struct {
	Scope       Scope
	ClientID    string
	DeviceID    string
	Statuses    []string
	Severities  []string
	Categories  []string
	DeviceTypes []string
	Search      string
	Before      string
	Limit       int
}

// Match reports whether q selects a (its position aside).
// Implementations that filter in memory use it.
func (q *AlertQuery) Match(a *Alert) bool {
	in := func(set []string, v string) bool { return len(set) == 0 || slices.Contains(set, v) }
	switch {
	case !q.Scope.Has(a.ClientID),
		q.ClientID != "" && a.ClientID != q.ClientID,
		q.DeviceID != "" && a.DeviceID != q.DeviceID,
		!in(q.Statuses, a.Status), !in(q.Severities, a.Severity),
		!in(q.Categories, a.Category), !in(q.DeviceTypes, a.DeviceType):
		return false
	}
	if s := strings.ToLower(q.Search); s != "" {
		return strings.Contains(strings.ToLower(a.Title), s) || strings.Contains(strings.ToLower(a.DeviceName), s) ||
			strings.Contains(strings.ToLower(a.ClientName), s)
	}
	return true
}

// MonitorStore holds what monitoring is configured with.
type MonitorStore interface {
	// PutProfile creates (new ID) or replaces a profile; ErrExists when
	// another profile of the same owner has its name.
	PutProfile(p Profile) error
	Profile(id string) (Profile, error)
	// Profiles lists every profile in ID order.
	Profiles() ([]Profile, error)
	// DeleteProfile removes a profile with its assignments and
	// exemptions; ErrNotFound when unknown.
	DeleteProfile(id string) error
	// SetAssignment stores an assignment at its target (see Key),
	// replacing the one there; an empty ProfileID removes it. A profile
	// that does not exist is ErrNotFound.
	SetAssignment(a ProfileAssignment) error
	// Assignments lists every assignment.
	Assignments() ([]ProfileAssignment, error)
	// PutExemption stores an exemption (one per device, profile and check).
	PutExemption(e CheckExemption) error
	// DeleteExemption removes one; ErrNotFound when there is none.
	DeleteExemption(deviceID, profileID, checkID string) error
	// Exemptions lists those of a device, or all when deviceID is "".
	Exemptions(deviceID string) ([]CheckExemption, error)
	// PutWindow creates or replaces a maintenance window.
	PutWindow(w MaintenanceWindow) error
	Window(id string) (MaintenanceWindow, error)
	// Windows lists every window in ID order.
	Windows() ([]MaintenanceWindow, error)
	// DeleteWindow removes a window; ErrNotFound when unknown.
	DeleteWindow(id string) error
	NetMonitorStore
}

// AlertStore holds alerts and their history.
type AlertStore interface {
	// CreateAlert stores a new alert with its first event, atomically;
	// ErrExists when the device has an unresolved alert of the same
	// profile, check and target (at most one open alert per device and
	// check: a disk check of every volume is one check per volume).
	CreateAlert(a Alert, ev AlertEvent) error
	// UpdateAlert replaces a stored alert and appends ev to its history,
	// atomically; ErrNotFound when unknown.
	UpdateAlert(a Alert, ev AlertEvent) error
	Alert(id string) (Alert, error)
	// Alerts lists what q selects, newest first.
	Alerts(q AlertQuery) ([]Alert, error)
	// UnresolvedAlerts lists every open or snoozed alert (the server
	// loads them at start).
	UnresolvedAlerts() ([]Alert, error)
	// AlertEvents lists an alert's history, oldest first.
	AlertEvents(alertID string) ([]AlertEvent, error)
	// AddSuppressed records an alert a maintenance window suppressed.
	AddSuppressed(s SuppressedAlert) error
	// Suppressed lists those of a window ("" = every window) inside
	// scope, newest first, at most limit (0 = all).
	Suppressed(windowID string, scope Scope, limit int) ([]SuppressedAlert, error)
}

// Network monitor kinds.
const (
	NetTCP  = "tcp"
	NetHTTP = "http"
	NetTLS  = "tls"
)

// NetMonitor is a network monitor of a client: a chosen agent probes an
// address every IntervalSec seconds (a TCP port, an HTTP(S) URL, a TLS
// certificate's days left). It is shown as a device of its own; its
// alerts name its ID as their device.
type NetMonitor struct {
	ID       string
	Name     string
	ClientID string
	AgentID  string // the device whose agent probes
	Kind     string // tcp, http, tls
	Address  string
	// IntervalSec between probes; TimeoutMS bounds one.
	IntervalSec, TimeoutMS int
	// ExpectStatus is the HTTP status that passes (0 = 200).
	ExpectStatus int
	// WarningMS and CriticalMS are response-time thresholds (http),
	// WarningDays and CriticalDays days-left thresholds (tls); 0 = unused.
	WarningMS, CriticalMS     int
	WarningDays, CriticalDays int
	// FailAfter consecutive failing probes raise, PassAfter passes
	// resolve (0 = the default).
	FailAfter, PassAfter int
	CreatedBy            string
	CreatedAt, UpdatedAt time.Time
}

// NetMonitorStore keeps network monitors.
type NetMonitorStore interface {
	// PutNetMonitor creates or replaces a monitor.
	PutNetMonitor(m NetMonitor) error
	// NetMonitor returns one; ErrNotFound when unknown.
	NetMonitor(id string) (NetMonitor, error)
	// NetMonitors lists every monitor in ID order.
	NetMonitors() ([]NetMonitor, error)
	// DeleteNetMonitor removes one; ErrNotFound when unknown.
	DeleteNetMonitor(id string) error
}
