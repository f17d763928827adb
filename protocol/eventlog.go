package protocol

import "time"

// Event log methods of toolbox calls (call.go). One query shape serves the
// three systems; each reads the fields that apply to it and refuses the
// others (journald: units, priority; Windows: channels, levels, providers,
// event IDs; macOS unified log: levels, processes, subsystems, category,
// text). Results are pages of records; a follow call streams them.
const (
	// MethodEventLogQuery reads one page of records: chunks of
	// []EventRecord, then EventLogResult with the cursor of the next page.
	// With Follow it streams new records (chunks) until canceled.
	MethodEventLogQuery = "eventlog.query"
)

// Event log limits.
const (
	// EventLogDefaultLimit and EventLogMaxLimit bound one page.
	EventLogDefaultLimit = 200
	EventLogMaxLimit     = 2000
	// EventLogMaxFilters bounds each list of filter values.
	EventLogMaxFilters = 32
	// EventLogMaxMessage bounds one record's message (bytes); longer ones
	// are cut and marked.
	EventLogMaxMessage = 16 << 10
)

// Levels of EventRecord.Level and EventLogQuery.Levels, from the most to
// the least severe. journald's priorities map onto them (emerg, alert,
// crit → critical; err → error; warning; notice, info → info; debug);
// Windows levels 1..5 (critical, error, warning, information, verbose);
// macOS message types (fault → critical, error, default → info... see
// the agent).
const (
	LevelCritical = "critical"
	LevelError    = "error"
	LevelWarning  = "warning"
	LevelInfo     = "info"
	LevelDebug    = "debug"
)

// EventLevels lists the levels in order of severity.
var EventLevels = []string{LevelCritical, LevelError, LevelWarning, LevelInfo, LevelDebug}

// EventLogQuery is the parameters of MethodEventLogQuery.
type EventLogQuery struct {
	// Since and Until bound the records' time (zero = open).
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
	// Cursor continues after the last record of a previous page (opaque,
	// from EventLogResult.Cursor).
	Cursor string `json:"cursor,omitempty"`
	// Limit bounds the page (0 = EventLogDefaultLimit).
	Limit int `json:"limit,omitempty"`
	// Follow streams records as they arrive instead of a page.
	Follow bool `json:"follow,omitempty"`
	// Levels keeps records of these levels (empty = all). On journald the
	// least severe level listed is a priority threshold.
	Levels []string `json:"levels,omitempty"`
	// Units are systemd units (journald).
	Units []string `json:"units,omitempty"`
	// Channels are Windows event log channels (default System).
	Channels []string `json:"channels,omitempty"`
	// Providers are Windows event providers (sources).
	Providers []string `json:"providers,omitempty"`
	// EventIDs are Windows event IDs.
	EventIDs []int `json:"event_ids,omitempty"`
	// Processes, Subsystems and Category filter the macOS unified log.
	Processes  []string `json:"processes,omitempty"`
	Subsystems []string `json:"subsystems,omitempty"`
	Category   string   `json:"category,omitempty"`
	// Text keeps records whose message contains it (macOS: in the
	// predicate; journald: a case-insensitive literal match).
	Text string `json:"text,omitempty"`
}

// EventRecord is one record of a device's event log.
type EventRecord struct {
	Time  time.Time `json:"time"`
	Level string    `json:"level"`
	// Source is the unit or syslog identifier (journald), the provider
	// (Windows), the process (macOS).
	Source  string `json:"source"`
	Message string `json:"message"`
	// Unit (journald), Channel and EventID (Windows), Subsystem and
	// Category (macOS) are set where the system has them.
	Unit      string `json:"unit,omitempty"`
	Channel   string `json:"channel,omitempty"`
	EventID   int    `json:"event_id,omitempty"`
	Subsystem string `json:"subsystem,omitempty"`
	Category  string `json:"category,omitempty"`
	PID       int    `json:"pid,omitempty"`
	Host      string `json:"host,omitempty"`
	User      string `json:"user,omitempty"`
	// RecordID is the record's number in its log (Windows), its cursor
	// (journald) or trace id (macOS).
	RecordID string `json:"record_id,omitempty"`
	// Data holds the event's named values (Windows EventData).
	Data map[string]string `json:"data,omitempty"`
}

// EventLogResult ends a page.
type EventLogResult struct {
	// System is the log read: journald, windows or unified.
	System string `json:"system"`
	// Count is the number of records of this page.
	Count int `json:"count"`
	// Cursor continues with the next page; empty when the page was the
	// last one.
	Cursor string `json:"cursor,omitempty"`
	// NewestFirst says the records run from new to old (journald,
	// Windows); the unified log reads from old to new.
	NewestFirst bool `json:"newest_first"`
}
