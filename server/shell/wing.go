package shell

import (
	"context"
	"log/slog"
	"time"

	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/hub"
	"github.com/steward-rmm/steward/server/store"
)

// Devices finds a device within a caller's scope (the devices wing).
type Devices interface {
	Device(p *httpx.Principal, id string) (fleet.View, bool)
}

// Fleet tells whether a device still waits for approval.
type Fleet interface {
	Pending(id string) bool
}

// Conns finds a device's agent connection.
type Conns interface {
	Get(id string) *hub.Conn
}

// OpConns registers an operator's live connection so a sign-out ends it.
type OpConns interface {
	Add(p *httpx.Principal, end func()) func()
}

// Config is the shell settings of the server.
type Config struct {
	DataDir string // recordings live in DATA/recordings
	// RecordShellInput keeps the technicians' keystrokes in recordings.
	RecordShellInput bool
	// RecordingRetention is how long recordings are kept.
	RecordingRetention time.Duration
	// ShellTicketTTL is how long a shell ticket works (0 = 30 s).
	ShellTicketTTL time.Duration
	// MaxShellsPerDevice and MaxShellsPerUser bound open sessions.
	MaxShellsPerDevice int
	MaxShellsPerUser   int
}

// Deps are what the shell wing is built from.
type Deps struct {
	Config  Config
	Store   store.ShellStore
	Devices Devices
	Fleet   Fleet
	Conns   Conns
	OpConns OpConns
	Audit   auditlog.Writer
	Now     httpx.Clock
	Log     *slog.Logger
}

// Routes lists the wing's routes.
func (sr *Wing) Routes() []httpx.Route {
	return []httpx.Route{
		httpx.R("GET", "/api/v1/devices/{id}/shell", httpx.NeedFresh(httpx.PermShell), sr.open), // also needs a ticket
		httpx.R("POST", "/api/v1/devices/{id}/shell/ticket", httpx.NeedFresh(httpx.PermShell), sr.ticket),
		httpx.R("GET", "/api/v1/shells", httpx.NeedPerm(httpx.PermRecordings), sr.recordings), // scoped to the caller's clients
		httpx.R("GET", "/api/v1/shells/{id}/recording", httpx.NeedPerm(httpx.PermRecordings), sr.recording),
	}
}

// Run deletes expired recordings until ctx ends.
func (sr *Wing) Run(ctx context.Context) error {
	sr.retentionLoop(ctx)
	return nil
}

// Wait waits for the sessions' goroutines besides their handlers; the
// server calls it after CloseAll, before it closes the store.
func (sr *Wing) Wait() { sr.tasks.Wait() }
