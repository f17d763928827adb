package protocol

import "time"

// Process methods of toolbox calls (call.go).
const (
	// MethodProcessesList lists the device's processes (no parameters →
	// ProcessList).
	MethodProcessesList = "processes.list"
	// MethodProcessesKill ends a process, or it and its descendants
	// (ProcessKill → ProcessKilled).
	MethodProcessesKill = "processes.kill"
)

// Process is one process on a device.
type Process struct {
	PID  int32  `json:"pid"`
	PPID int32  `json:"ppid"`
	Name string `json:"name"`
	User string `json:"user,omitempty"`
	// CPUPercent is the share of one core since the agent's previous
	// listing (the process's lifetime average on the first).
	CPUPercent float64   `json:"cpu_percent"`
	MemoryRSS  uint64    `json:"memory_rss"`
	MemoryPct  float32   `json:"memory_percent"`
	Started    time.Time `json:"started,omitzero"`
	Cmdline    string    `json:"cmdline,omitempty"`
}

// ProcessList is the answer of MethodProcessesList.
type ProcessList struct {
	Processes []Process `json:"processes"`
	// Total memory of the device, for scale.
	MemoryTotal uint64 `json:"memory_total"`
}

// ProcessKill asks to end PID (and, with Tree, its descendants first).
type ProcessKill struct {
	PID  int32 `json:"pid"`
	Tree bool  `json:"tree,omitempty"`
}

// ProcessKilled lists the processes ended.
type ProcessKilled struct {
	Killed []int32 `json:"killed"`
	// Failed says which could not be ended and why.
	Failed map[string]string `json:"failed,omitempty"`
}
