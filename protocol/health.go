package protocol

import "time"

// Health is what the agent reports about the device's state beyond its
// hardware: pending reboot, patches, software, services and users. It is sent
// as a "health" message when its hash changes, like the inventory.
type Health struct {
	Reboot   RebootStatus  `json:"reboot"`
	Patches  PatchStatus   `json:"patches"`
	Software []Software    `json:"software,omitempty"`
	Services []Service     `json:"services,omitempty"`
	Users    []UserSession `json:"users,omitempty"`
	// LastUser is the last user who logged in and when, where the OS says.
	LastUser   string    `json:"last_user,omitempty"`
	LastUserAt time.Time `json:"last_user_at,omitzero"`
	// Errors lists collectors that failed, so a missing tool is visible
	// rather than looking like "nothing to report".
	Errors []string `json:"errors,omitempty"`
}

// RebootStatus says whether the device needs a reboot and why.
type RebootStatus struct {
	Pending bool           `json:"pending"`
	Reasons []RebootReason `json:"reasons,omitempty"`
}

// RebootReason is one indicator that fired. Weak indicators (Windows
// PendingFileRenameOperations) are reported but do not set Pending alone.
type RebootReason struct {
	Code   string `json:"code"`             // stable id, e.g. "linux.reboot-required"
	Detail string `json:"detail,omitempty"` // human text, e.g. the packages that asked
	Weak   bool   `json:"weak,omitempty"`
}

// PatchStatus is the result of the last check for available updates.
type PatchStatus struct {
	CheckedAt time.Time `json:"checked_at,omitzero"`
	Source    string    `json:"source,omitempty"` // apt, dnf, yum, zypper, wua, softwareupdate
	Available []Patch   `json:"available,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// Patch is one available update.
type Patch struct {
	ID               string `json:"id"` // the OS's own id: package name, KB number, advisory, label
	Name             string `json:"name"`
	InstalledVersion string `json:"installed_version,omitempty"`
	AvailableVersion string `json:"available_version,omitempty"`
	Security         bool   `json:"security,omitempty"`
	Size             int64  `json:"size,omitempty"` // bytes, 0 when unknown
	RebootRequired   bool   `json:"reboot_required,omitempty"`
	Advisory         string `json:"advisory,omitempty"`       // KB, RHSA, SUSE patch id, ...
	Classification   string `json:"classification,omitempty"` // one of PatchClassifications, "" when the OS says nothing
	Severity         string `json:"severity,omitempty"`       // one of PatchSeverities, "" when unknown
}

// Software is one installed package or application.
type Software struct {
	Name        string `json:"name"`
	Version     string `json:"version,omitempty"`
	Publisher   string `json:"publisher,omitempty"`
	Arch        string `json:"arch,omitempty"`
	Source      string `json:"source,omitempty"` // dpkg, rpm, pacman, registry, app
	InstallDate string `json:"install_date,omitempty"`
	// UninstallID is what an uninstall job passes back (package name,
	// registry key, bundle path); empty when the OS offers no uninstall.
	UninstallID string `json:"uninstall_id,omitempty"`
	// Path is where an application bundle is (macOS).
	Path string `json:"path,omitempty"`
}

// Service is one OS service.
type Service struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
	State       string `json:"state"`                // running, stopped, starting, stopping, failed, unknown
	StartType   string `json:"start_type,omitempty"` // auto, manual, disabled, delayed-auto, static, ...
	PID         int    `json:"pid,omitempty"`
}

// UserSession is one logged-in user session.
type UserSession struct {
	User      string    `json:"user"`
	Session   string    `json:"session,omitempty"`  // session id or name
	Terminal  string    `json:"terminal,omitempty"` // tty, seat, rdp-tcp#0, console
	Host      string    `json:"host,omitempty"`     // remote host where known
	State     string    `json:"state,omitempty"`    // active, idle, locked, disconnected, online
	Since     time.Time `json:"since,omitzero"`     // logon time
	IdleSince time.Time `json:"idle_since,omitzero"`
}

// PatchInstallResult is the outcome of a patch install job.
type PatchInstallResult struct {
	Installed      []string `json:"installed,omitempty"`
	Failed         []string `json:"failed,omitempty"`
	RebootRequired bool     `json:"reboot_required,omitempty"`
	Output         string   `json:"output,omitempty"`
}
