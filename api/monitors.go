package api

import "time"

// Monitor is a network monitor (GET /api/v1/monitors): an agent of the
// client (AgentID) probes Address every IntervalSec seconds. Kind tcp
// checks a port is open, http an URL's status (ExpectStatus, default
// 200) and response time (WarningMS, CriticalMS), tls the days left on
// a certificate (WarningDays, CriticalDays). It is shown as a device of
// type DeviceType (tcp or http) with its own State: up, warning, down,
// or unknown (not probed yet, or its agent cannot be reached).
type Monitor struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	ClientID     string    `json:"client_id"`
	ClientName   string    `json:"client_name,omitempty"`
	AgentID      string    `json:"agent_id"`
	Kind         string    `json:"kind"`
	DeviceType   string    `json:"device_type"`
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
	State        string    `json:"state"`
	LastResult   string    `json:"last_result,omitempty"`
	LastAt       time.Time `json:"last_at,omitzero"`
	LatencyMS    int64     `json:"latency_ms,omitempty"`
	Status       int       `json:"status,omitempty"`
	DaysLeft     *int      `json:"days_left,omitempty"`
	AlertID      string    `json:"alert_id,omitempty"`
	CreatedBy    string    `json:"created_by,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// MonitorRequest is POST /api/v1/monitors: Client (ID or name) and the
// probing Agent (a device of that client) with the monitor's settings.
type MonitorRequest struct {
	Name         string `json:"name"`
	Client       string `json:"client"`
	Agent        string `json:"agent"`
	Kind         string `json:"kind"`
	Address      string `json:"address"`
	IntervalSec  int    `json:"interval_sec,omitempty"`
	TimeoutMS    int    `json:"timeout_ms,omitempty"`
	ExpectStatus int    `json:"expect_status,omitempty"`
	WarningMS    int    `json:"warning_ms,omitempty"`
	CriticalMS   int    `json:"critical_ms,omitempty"`
	WarningDays  int    `json:"warning_days,omitempty"`
	CriticalDays int    `json:"critical_days,omitempty"`
	FailAfter    int    `json:"fail_after,omitempty"`
	PassAfter    int    `json:"pass_after,omitempty"`
}
