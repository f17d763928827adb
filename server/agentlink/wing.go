// Package agentlink is the wing agents talk to: enrollment (a token and
// an agent-made key become a device and its certificate), the CA
// download, and the agent websocket: the client certificate checked
// against the enrolled key, the hello and welcome, then every message
// routed to the wing that handles it (heartbeats, inventory and health
// here, sanitised and stored; jobs, shells and update outcomes to theirs).
package agentlink

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/hub"
	"github.com/steward-rmm/steward/server/pki"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.EnrollTokenStore
	store.DeviceStore
}

// Jobs is the jobs wing's side of a connection.
type Jobs interface {
	DeviceConnected(c *hub.Conn, prevBoot, newBoot time.Time)
	AgentMessage(c *hub.Conn, env protocol.Envelope) error
	DeviceGone(c *hub.Conn)
}

// Shells is the shell wing's side of a connection.
type Shells interface {
	AgentMessage(c *hub.Conn, env protocol.Envelope) error
	AgentBinary(c *hub.Conn, frame []byte)
	DeviceGone(c *hub.Conn, reason string)
}

// Calls is the toolbox calls' side of a connection (server/agentcall).
type Calls interface {
	AgentMessage(c *hub.Conn, env protocol.Envelope) error
	AgentBinary(c *hub.Conn, frame []byte)
	DeviceGone(c *hub.Conn, reason string)
}

// Updates is the updates wing's side of a connection.
type Updates interface {
	AfterHello(c *hub.Conn)
	AgentUpdateResult(c *hub.Conn, env protocol.Envelope) error
}

// Monitor hears of the reports monitoring checks read (the alerts wing):
// every inventory and health report received, also an unchanged one.
type Monitor interface {
	InventoryReported(deviceID string, inv *protocol.Inventory)
	HealthReported(deviceID string, h *protocol.Health)
}

// Metrics counts enrollments.
type Metrics interface {
	Enrolled()
}

// Config is the agent settings of the server.
type Config struct {
	MaxEnrolls      int  // concurrent enrollments
	RequireApproval bool // every new device is pending
	// The intervals the welcome tells agents.
	Heartbeat, Inventory, HealthInterval, PatchScan time.Duration
	Version                                         string // the server's version, in the welcome
}

// Deps are what the agent link is built from.
type Deps struct {
	Config Config
	Store  Store
	CA     *pki.CA
	// Pins are the server pins agents learn from the welcome (rotation).
	Pins    func() []string
	Fleet   *fleet.Fleet
	Hub     *hub.Hub
	Jobs    Jobs
	Shells  Shells
	Updates Updates
	Metrics Metrics
	Audit   auditlog.Writer
	Calls   Calls // toolbox calls; nil: none
	Now     httpx.Clock
	Log     *slog.Logger
	// DeviceLimit is the account's device limit (0 or nil = none): a new
	// device past it is refused at enrollment.
	DeviceLimit func() int
	// Monitor is told of reports (nil = nobody).
	Monitor Monitor
}

// Wing serves agents; it is the hub's Handler.
type Wing struct {
	cfg     Config
	st      Store
	ca      *pki.CA
	pins    func() []string
	fleet   *fleet.Fleet
	hub     *hub.Hub
	jobs    Jobs
	shell   Shells
	updates Updates
	metric  Metrics
	alog    auditlog.Writer
	now     httpx.Clock
	log     *slog.Logger
	enrolls httpx.Gate // enrollments in progress
	limit   func() int
	monitor Monitor
	calls   Calls
}

// New builds the agent link.
func New(d Deps) *Wing {
	return &Wing{cfg: d.Config, st: d.Store, ca: d.CA, pins: d.Pins, fleet: d.Fleet, hub: d.Hub, jobs: d.Jobs,
		shell: d.Shells, updates: d.Updates, metric: d.Metrics, alog: d.Audit, now: d.Now, log: d.Log, limit: d.DeviceLimit,
		monitor: d.Monitor, calls: d.Calls}
}

// deviceLimit is the device limit now (0 = none).
func (s *Wing) deviceLimit() int {
	if s.limit == nil {
		return 0
	}
	return s.limit()
}

// Routes lists the wing's routes.
func (s *Wing) Routes() []httpx.Route {
	return []httpx.Route{
		httpx.R("POST", "/agent/enroll", httpx.Public, func(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) { s.handleEnroll(w, r) }),
		httpx.R("GET", "/agent/ws", httpx.Agent, func(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) { s.handleAgentWS(w, r) }),
		httpx.R("GET", "/agent/ca.pem", httpx.Public, func(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
			w.Header().Set("Content-Type", "application/x-pem-file")
			_, _ = w.Write(s.ca.PEM)
		}),
	}
}
