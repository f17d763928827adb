package api

import "github.com/steward-rmm/steward/protocol"

// Process is one process on a device.
type Process = protocol.Process

// ProcessList is GET /api/v1/devices/{id}/processes: sorted and filtered.
type ProcessList struct {
	Processes   []Process `json:"processes"`
	Total       int       `json:"total"` // processes on the device before the filter
	MemoryTotal uint64    `json:"memory_total"`
}

// ProcessKillRequest ends a process, or with Tree its descendants too.
type ProcessKillRequest struct {
	Tree bool `json:"tree,omitempty"`
}

// ProcessKilled lists the processes ended.
type ProcessKilled = protocol.ProcessKilled
