package boltstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// The disk types of the monitoring records (see codec.go for why the
// store has its own): profiles with their checks, assignments,
// exemptions, maintenance windows, alerts, their events and suppressed
// alerts. They have their own encoder so the monitoring buckets stay one
// self-contained part of the format.

type diskCheck struct {
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

type diskProfile struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	ClientID    string      `json:"client_id,omitempty"`
	Description string      `json:"description,omitempty"`
	Checks      []diskCheck `json:"checks"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
	UpdatedBy   string      `json:"updated_by,omitempty"`
}

type diskAssignment struct {
	Level     string    `json:"level"`
	ClientID  string    `json:"client_id,omitempty"`
	Folder    string    `json:"folder,omitempty"`
	DeviceID  string    `json:"device_id,omitempty"`
	ProfileID string    `json:"profile_id"`
	By        string    `json:"by,omitempty"`
	At        time.Time `json:"at"`
}

type diskExemption struct {
	DeviceID  string    `json:"device_id"`
	ClientID  string    `json:"client_id"`
	ProfileID string    `json:"profile_id"`
	CheckID   string    `json:"check_id"`
	Reason    string    `json:"reason,omitempty"`
	By        string    `json:"by,omitempty"`
	At        time.Time `json:"at"`
}

type diskWindow struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Level     string    `json:"level"`
	ClientID  string    `json:"client_id"`
	Folder    string    `json:"folder,omitempty"`
	DeviceID  string    `json:"device_id,omitempty"`
	Start     time.Time `json:"start"`
	Minutes   int       `json:"minutes"`
	Recur     string    `json:"recur,omitempty"`
	Weekdays  []int     `json:"weekdays,omitempty"`
	TimeZone  string    `json:"time_zone,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

type diskAlert struct {
	ID           string    `json:"id"`
	DeviceID     string    `json:"device_id"`
	ClientID     string    `json:"client_id"`
	DeviceName   string    `json:"device_name,omitempty"`
	ClientName   string    `json:"client_name,omitempty"`
	DeviceType   string    `json:"device_type,omitempty"`
	ProfileID    string    `json:"profile_id"`
	ProfileName  string    `json:"profile_name,omitempty"`
	CheckID      string    `json:"check_id"`
	CheckKind    string    `json:"check_kind"`
	CheckTarget  string    `json:"check_target,omitempty"`
	Severity     string    `json:"severity"`
	Category     string    `json:"category"`
	Title        string    `json:"title"`
	Detail       string    `json:"detail,omitempty"`
	Status       string    `json:"status"`
	SnoozedUntil time.Time `json:"snoozed_until,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	ResolvedAt   time.Time `json:"resolved_at,omitzero"`
	ResolvedBy   string    `json:"resolved_by,omitempty"`
	Reason       string    `json:"reason,omitempty"`
}

type diskAlertEvent struct {
	AlertID  string    `json:"alert_id"`
	Kind     string    `json:"kind"`
	Severity string    `json:"severity,omitempty"`
	Detail   string    `json:"detail,omitempty"`
	By       string    `json:"by,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
}

type diskSuppressed struct {
	ID         string    `json:"id"`
	WindowID   string    `json:"window_id"`
	DeviceID   string    `json:"device_id"`
	ClientID   string    `json:"client_id"`
	DeviceName string    `json:"device_name,omitempty"`
	CheckKind  string    `json:"check_kind"`
	Severity   string    `json:"severity"`
	Title      string    `json:"title"`
	At         time.Time `json:"at"`
}

type diskNetMonitor struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	ClientID     string    `json:"client_id"`
	AgentID      string    `json:"agent_id"`
	Kind         string    `json:"kind"`
	Address      string    `json:"address"`
	IntervalSec  int       `json:"interval_sec"`
	TimeoutMS    int       `json:"timeout_ms,omitempty"`
	ExpectStatus int       `json:"expect_status,omitempty"`
	WarningMS    int       `json:"warning_ms,omitempty"`
	CriticalMS   int       `json:"critical_ms,omitempty"`
	WarningDays  int       `json:"warning_days,omitempty"`
	CriticalDays int       `json:"critical_days,omitempty"`
	FailAfter    int       `json:"fail_after,omitempty"`
	PassAfter    int       `json:"pass_after,omitempty"`
	CreatedBy    string    `json:"created_by,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func toDiskProfile(p store.Profile) diskProfile {
	d := diskProfile{ID: p.ID, Name: p.Name, ClientID: p.ClientID, Description: p.Description, CreatedAt: p.CreatedAt,
		UpdatedAt: p.UpdatedAt, UpdatedBy: p.UpdatedBy, Checks: []diskCheck{}}
	for _, c := range p.Checks {
		d.Checks = append(d.Checks, diskCheck(c))
	}
	return d
}

func fromDiskProfile(d diskProfile) store.Profile {
	p := store.Profile{ID: d.ID, Name: d.Name, ClientID: d.ClientID, Description: d.Description, CreatedAt: d.CreatedAt,
		UpdatedAt: d.UpdatedAt, UpdatedBy: d.UpdatedBy}
	for _, c := range d.Checks {
		p.Checks = append(p.Checks, store.Check(c))
	}
	return p
}

// encodeMonitor returns a monitoring record's stored form.
func encodeMonitor(v any) ([]byte, error) {
	switch x := v.(type) {
	case store.Profile:
		return json.Marshal(toDiskProfile(x))
	case store.ProfileAssignment:
		return json.Marshal(diskAssignment(x))
	case store.CheckExemption:
		return json.Marshal(diskExemption(x))
	case store.MaintenanceWindow:
		return json.Marshal(diskWindow(x))
	case store.Alert:
		return json.Marshal(diskAlert(x))
	case store.AlertEvent:
		return json.Marshal(diskAlertEvent(x))
	case store.SuppressedAlert:
		return json.Marshal(diskSuppressed(x))
	case store.NetMonitor:
		return json.Marshal(diskNetMonitor(x))
	}
	return nil, fmt.Errorf("store: no disk encoding for %T", v)
}

// decodeMonitor reads a stored monitoring record into v, a pointer.
func decodeMonitor(b []byte, v any) error {
	switch x := v.(type) {
	case *store.Profile:
		var d diskProfile
		err := json.Unmarshal(b, &d)
		*x = fromDiskProfile(d)
		return err
	case *store.ProfileAssignment:
		return json.Unmarshal(b, (*diskAssignment)(x))
	case *store.CheckExemption:
		return json.Unmarshal(b, (*diskExemption)(x))
	case *store.MaintenanceWindow:
		return json.Unmarshal(b, (*diskWindow)(x))
	case *store.Alert:
		return json.Unmarshal(b, (*diskAlert)(x))
	case *store.AlertEvent:
		return json.Unmarshal(b, (*diskAlertEvent)(x))
	case *store.SuppressedAlert:
		return json.Unmarshal(b, (*diskSuppressed)(x))
	case *store.NetMonitor:
		return json.Unmarshal(b, (*diskNetMonitor)(x))
	}
	return fmt.Errorf("store: no disk encoding for %T", v)
}
