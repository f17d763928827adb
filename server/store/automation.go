package store

import "time"

// Automation: profiles of scheduled tasks assigned like threshold
// profiles (everything, a client, a folder, devices; the narrowest
// assignment wins), single tasks exempted per device, each task's
// schedule state per device (so a restart neither re-runs nor skips),
// and the log of what the scheduler did.

// AutoSchedule says when a task is due. Kind "every" repeats every
// Every seconds from Start (Start + k*Every; a zero Start aligns to the
// Unix epoch, as schedules saved before Start existed); "daily" at At (HH:MM) in
// TimeZone; "weekly" at At on Weekdays (0 = Sunday); "cron" by the cron
// expression Cron (five fields) in TimeZone. TimeZone "" is the server's;
// "device" is each device's reported zone (else its client's, else the
// server's), "client" the device's client's zone (else the server's).
type AutoSchedule struct {
	Kind     string
	Every    int
	At       string
	Weekdays []int
	Cron     string
	TimeZone string
	Start    time.Time
}

// AutoTask is one task of an automation profile: a library script
// pinned at NAME@VERSION (Action "script") or a built-in action
// (patch-scan, patch-install, reboot-if-required, software-install with
// Packages) on Schedule, each device starting up to Spread seconds after
// the due time (a fixed offset per device and task). A device offline
// at the due time gets the run when it returns unless SkipOffline, and
// only within DeadlineMinutes of the due time (0 = until the next due
// time).
type AutoTask struct {
	// ID is stable within its profile: exemptions and runs name it.
	ID              string
	Name            string
	Action          string
	Library         string
	Packages        []string
	Schedule        AutoSchedule
	Spread          int
	SkipOffline     bool
	DeadlineMinutes int
	TimeoutSeconds  int
}

// PatchPolicy says which patches a profile's devices install on their
// own and when. Auto is none, security (what the OS marks security) or
// all; patches whose name matches one of Include (path.Match patterns,
// any case) install too, and any patch approved for the device's client
// or for everything; those matching Exclude never do. They install in
// the weekly window (Weekdays, 0 = Sunday, from Start HH:MM in TimeZone,
// for Minutes), each device at its offset in the window's first half.
// Reboot after installing: never, if-required (with Message shown
// to the logged-in user first), or at-time (at RebootAt); with
// MaxDeferrals > 0 the logged-in user is asked first and may postpone
// it that often by DeferMinutes. RebootAfterDays > 0 is the reboot
// policy: a reboot pending that many days is done in the window.
// Classifications (protocol's normalised values) select the patches the
// OS classifies so, and MinSeverity (critical, important, moderate, low;
// "" none) those at least that severe.
type PatchPolicy struct {
	Auto            string
	Include         []string
	Exclude         []string
	Weekdays        []int
	Start           string
	Minutes         int
	TimeZone        string
	Reboot          string
	Message         string
	RebootAfterDays int
	Classifications []string
	MinSeverity     string
	// RebootAt (HH:MM in TimeZone) is when Reboot "at-time" restarts: the
	// next such time after the install ended, inside the window or not.
	RebootAt string
	// DeferMinutes is how long a user's "No" postpones the restart.
	DeferMinutes int
	// MaxDeferrals is how often a user may postpone it (0 = never asked).
	MaxDeferrals int
}

// PatchApproval lets one patch (by the OS's ID) install in the window on
// the devices of a client, or of every client (ClientID "").
type PatchApproval struct {
	ClientID string
	PatchID  string
	Name     string
	By       string
	At       time.Time
}

// AutoProfile is a named set of tasks, global (ClientID "") or a
// client's, with an optional patch policy.
type AutoProfile struct {
	ID          string
	Name        string
	ClientID    string
	Description string
	Tasks       []AutoTask
	Patch       *PatchPolicy
	CreatedAt   time.Time
	UpdatedAt   time.Time
	UpdatedBy   string
}

// AutoExemption takes one task of one profile off one device.
type AutoExemption struct {
	DeviceID  string
	ClientID  string
	ProfileID string
	TaskID    string
	Reason    string
	By        string
	At        time.Time
}

// AutoState is where one task stands on one device: when it is next due
// (the spread included), when it last started, and the run it started
// (which must end before another starts). Sig is the schedule the
// times were computed for; a changed schedule recomputes them.
type AutoState struct {
	ProfileID string
	TaskID    string
	DeviceID  string
	Sig       string
	NextRun   time.Time
	LastRun   time.Time
	RunID     string
	JobID     string
	// PendingSince is when the device was first seen with a reboot
	// pending (the patch policy's entry; zero = none pending).
	PendingSince time.Time
	// Deferrals counts the user's postponements of the reboot under way
	// (reset once the device restarted).
	Deferrals int
	// RebootDue is when the next step of the reboot under way is due.
	RebootDue time.Time
	// RebootStep is where the reboot under way stands ("" = none):
	// install (the install that may leave one pending is running), due
	// (the user is asked or told at RebootDue), prompt (the question is
	// out), power (the restart is sent), restart (waiting for the device
	// to come back restarted).
	RebootStep string
	// RebootRun is the run of the current step (prompt or power).
	RebootRun string
}

// Outcomes of a scheduled occurrence (AutoRun.Outcome).
const (
	AutoStarted         = "started"          // a job run was created (queued for an offline device)
	AutoSkippedOffline  = "skipped-offline"  // offline and the task says not to wait
	AutoSkippedRunning  = "skipped-running"  // the previous run has not ended
	AutoSkippedDeadline = "skipped-deadline" // found due past its deadline (the server was down)
	AutoNotRequired     = "not-required"     // reboot-if-required with no reboot pending
	AutoFailed          = "failed"           // the job could not be created
	AutoPrompted        = "prompted"         // the user was asked to restart now (patch policy)
	AutoDeferred        = "deferred"         // the user postponed the restart
	AutoRebooting       = "rebooting"        // the restart was sent (after the message)
	AutoRebooted        = "rebooted"         // the device came back restarted
)

// AutoRun is one scheduled occurrence of a task on a device and what the
// scheduler did with it.
type AutoRun struct {
	ID        string // time-ordered
	ProfileID string
	TaskID    string
	DeviceID  string
	ClientID  string
	Due       time.Time
	At        time.Time
	Outcome   string
	JobID     string
	RunID     string
	Detail    string
}

// AutoRunQuery selects scheduled occurrences, newest first: inside
// Scope, of ProfileID, TaskID and DeviceID when set, at most Limit (0 =
// all).
type AutoRunQuery struct {
	Scope     Scope
	ProfileID string
	TaskID    string
	DeviceID  string
	Limit     int
}

// Match reports whether q selects r (its position aside).
func (q *AutoRunQuery) Match(r *AutoRun) bool {
	return q.Scope.Has(r.ClientID) && (q.ProfileID == "" || r.ProfileID == q.ProfileID) &&
		(q.TaskID == "" || r.TaskID == q.TaskID) && (q.DeviceID == "" || r.DeviceID == q.DeviceID)
}

// AutomationStore holds automation profiles, where they are assigned,
// exemptions, schedule states and the scheduler's log.
type AutomationStore interface {
	// PutAutoProfile creates or replaces a profile; ErrExists when
	// another profile of the same owner has its name.
	PutAutoProfile(p AutoProfile) error
	AutoProfile(id string) (AutoProfile, error)
	// AutoProfiles lists every profile in ID order.
	AutoProfiles() ([]AutoProfile, error)
	// DeleteAutoProfile removes a profile with its assignments,
	// exemptions and schedule states; ErrNotFound when unknown.
	DeleteAutoProfile(id string) error
	// SetAutoAssignment stores an assignment at its target (see
	// ProfileAssignment.Key; ProfileID names an automation profile),
	// replacing the one there; an empty ProfileID removes it. A profile
	// that does not exist is ErrNotFound.
	SetAutoAssignment(a ProfileAssignment) error
	AutoAssignments() ([]ProfileAssignment, error)
	// PutAutoExemption stores an exemption (one per device, profile and
	// task).
	PutAutoExemption(e AutoExemption) error
	// DeleteAutoExemption removes one; ErrNotFound when there is none.
	DeleteAutoExemption(deviceID, profileID, taskID string) error
	// AutoExemptions lists those of a device, or all when deviceID is "".
	AutoExemptions(deviceID string) ([]AutoExemption, error)
	// SaveAutoStates writes schedule states (replacing those of the same
	// profile, task and device), drops the states named in drop, and
	// appends log records, in one commit.
	SaveAutoStates(states []AutoState, drop []AutoState, runs []AutoRun) error
	// AutoStates lists every schedule state.
	AutoStates() ([]AutoState, error)
	// AutoRuns lists logged occurrences, newest first.
	AutoRuns(q AutoRunQuery) ([]AutoRun, error)
	// PruneAutoRuns removes log records older than before and returns how
	// many it removed.
	PruneAutoRuns(before time.Time) (int, error)
	// PutPatchApproval stores an approval (one per client and patch).
	PutPatchApproval(a PatchApproval) error
	// DeletePatchApproval removes one; ErrNotFound when there is none.
	DeletePatchApproval(clientID, patchID string) error
	// PatchApprovals lists every approval.
	PatchApprovals() ([]PatchApproval, error)
}
