package boltstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// The disk types of the automation records (see codec.go for why the
// store has its own). Assignments reuse the monitoring's disk type: the
// record is the same.

type diskAutoSchedule struct {
	Kind     string    `json:"kind"`
	Every    int       `json:"every,omitempty"`
	At       string    `json:"at,omitempty"`
	Weekdays []int     `json:"weekdays,omitempty"`
	Cron     string    `json:"cron,omitempty"`
	TimeZone string    `json:"time_zone,omitempty"`
	Start    time.Time `json:"start,omitzero"`
}

type diskAutoTask struct {
	ID              string           `json:"id"`
	Name            string           `json:"name"`
	Action          string           `json:"action"`
	Library         string           `json:"library,omitempty"`
	Packages        []string         `json:"packages,omitempty"`
	Schedule        diskAutoSchedule `json:"schedule"`
	Spread          int              `json:"spread,omitempty"`
	SkipOffline     bool             `json:"skip_offline,omitempty"`
	DeadlineMinutes int              `json:"deadline_minutes,omitempty"`
	TimeoutSeconds  int              `json:"timeout_seconds,omitempty"`
}

type diskPatchPolicy struct {
	Auto            string   `json:"auto,omitempty"`
	Include         []string `json:"include,omitempty"`
	Exclude         []string `json:"exclude,omitempty"`
	Weekdays        []int    `json:"weekdays,omitempty"`
	Start           string   `json:"start,omitempty"`
	Minutes         int      `json:"minutes,omitempty"`
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

type diskPatchApproval struct {
	ClientID string    `json:"client_id,omitempty"`
	PatchID  string    `json:"patch_id"`
	Name     string    `json:"name,omitempty"`
	By       string    `json:"by,omitempty"`
	At       time.Time `json:"at"`
}

type diskAutoProfile struct {
	ID          string           `json:"id"`
	Name        string           `json:"name"`
	ClientID    string           `json:"client_id,omitempty"`
	Description string           `json:"description,omitempty"`
	Tasks       []diskAutoTask   `json:"tasks"`
	Patch       *diskPatchPolicy `json:"patch,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
	UpdatedBy   string           `json:"updated_by,omitempty"`
}

type diskAutoExemption struct {
	DeviceID  string    `json:"device_id"`
	ClientID  string    `json:"client_id"`
	ProfileID string    `json:"profile_id"`
	TaskID    string    `json:"task_id"`
	Reason    string    `json:"reason,omitempty"`
	By        string    `json:"by,omitempty"`
	At        time.Time `json:"at"`
}

type diskAutoState struct {
	ProfileID string    `json:"profile_id"`
	TaskID    string    `json:"task_id"`
	DeviceID  string    `json:"device_id"`
	Sig       string    `json:"sig"`
	NextRun   time.Time `json:"next_run"`
	LastRun   time.Time `json:"last_run,omitzero"`
	RunID     string    `json:"run_id,omitempty"`
	JobID     string    `json:"job_id,omitempty"`
	// PendingSince: when a reboot was first seen pending.
	PendingSince time.Time `json:"pending_since,omitzero"`
	// The reboot under way (patch policy): see store.AutoState.
	Deferrals  int       `json:"deferrals,omitempty"`
	RebootDue  time.Time `json:"reboot_due,omitzero"`
	RebootStep string    `json:"reboot_step,omitempty"`
	RebootRun  string    `json:"reboot_run,omitempty"`
}

type diskAutoRun struct {
	ID        string    `json:"id"`
	ProfileID string    `json:"profile_id"`
	TaskID    string    `json:"task_id"`
	DeviceID  string    `json:"device_id"`
	ClientID  string    `json:"client_id"`
	Due       time.Time `json:"due"`
	At        time.Time `json:"at"`
	Outcome   string    `json:"outcome"`
	JobID     string    `json:"job_id,omitempty"`
	RunID     string    `json:"run_id,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}

func toDiskAutoProfile(p store.AutoProfile) diskAutoProfile {
	d := diskAutoProfile{ID: p.ID, Name: p.Name, ClientID: p.ClientID, Description: p.Description, Tasks: []diskAutoTask{},
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, UpdatedBy: p.UpdatedBy}
	for _, t := range p.Tasks {
		d.Tasks = append(d.Tasks, diskAutoTask{ID: t.ID, Name: t.Name, Action: t.Action, Library: t.Library, Packages: t.Packages,
			Schedule: diskAutoSchedule(t.Schedule), Spread: t.Spread, SkipOffline: t.SkipOffline,
			DeadlineMinutes: t.DeadlineMinutes, TimeoutSeconds: t.TimeoutSeconds})
	}
	if p.Patch != nil {
		pp := diskPatchPolicy(*p.Patch)
		d.Patch = &pp
	}
	return d
}

func fromDiskAutoProfile(d diskAutoProfile) store.AutoProfile {
	p := store.AutoProfile{ID: d.ID, Name: d.Name, ClientID: d.ClientID, Description: d.Description,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, UpdatedBy: d.UpdatedBy}
	for _, t := range d.Tasks {
		p.Tasks = append(p.Tasks, store.AutoTask{ID: t.ID, Name: t.Name, Action: t.Action, Library: t.Library, Packages: t.Packages,
			Schedule: store.AutoSchedule(t.Schedule), Spread: t.Spread, SkipOffline: t.SkipOffline,
			DeadlineMinutes: t.DeadlineMinutes, TimeoutSeconds: t.TimeoutSeconds})
	}
	if d.Patch != nil {
		pp := store.PatchPolicy(*d.Patch)
		p.Patch = &pp
	}
	return p
}

// encodeAuto writes an automation record in its disk form.
func encodeAuto(v any) ([]byte, error) {
	switch x := v.(type) {
	case store.AutoProfile:
		return json.Marshal(toDiskAutoProfile(x))
	case store.ProfileAssignment:
		return json.Marshal(diskAssignment(x))
	case store.AutoExemption:
		return json.Marshal(diskAutoExemption(x))
	case store.AutoState:
		return json.Marshal(diskAutoState(x))
	case store.AutoRun:
		return json.Marshal(diskAutoRun(x))
	case store.PatchApproval:
		return json.Marshal(diskPatchApproval(x))
	}
	return nil, fmt.Errorf("store: no disk encoding for %T", v)
}

// decodeAuto reads a stored automation record into v, a pointer.
func decodeAuto(b []byte, v any) error {
	switch x := v.(type) {
	case *store.AutoProfile:
		var d diskAutoProfile
		err := json.Unmarshal(b, &d)
		*x = fromDiskAutoProfile(d)
		return err
	case *store.ProfileAssignment:
		return json.Unmarshal(b, (*diskAssignment)(x))
	case *store.AutoExemption:
		return json.Unmarshal(b, (*diskAutoExemption)(x))
	case *store.AutoState:
		return json.Unmarshal(b, (*diskAutoState)(x))
	case *store.AutoRun:
		return json.Unmarshal(b, (*diskAutoRun)(x))
	case *store.PatchApproval:
		return json.Unmarshal(b, (*diskPatchApproval)(x))
	}
	return fmt.Errorf("store: no disk encoding for %T", v)
}
