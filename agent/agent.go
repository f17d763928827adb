// Package agent is the Steward endpoint agent: it keeps one websocket to the
// server, reports inventory, health and heartbeats, runs jobs exactly once
// with durable results, and hosts terminal sessions.
package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"github.com/steward-rmm/steward/agent/toolbox"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-rmm/steward/agent/identity"
	"github.com/steward-rmm/steward/agent/inventory"
	"github.com/steward-rmm/steward/agent/ops"
	"github.com/steward-rmm/steward/agent/spool"
	"github.com/steward-rmm/steward/protocol"
)

// Executor runs one job. out streams output; it is never called
// concurrently for one job.
type Executor func(ctx context.Context, j protocol.Job, out func(stream string, b []byte)) protocol.JobResult

// Config configures an agent.
type Config struct {
	Dir     string // config directory holding the identity and spool
	Version string
	// Executors by job kind; nil entries fall back to the defaults.
	Executors map[string]Executor
	// ToolboxMethods are toolbox methods beyond the built-in ones (tests
	// and embedders); a name already built in replaces it.
	ToolboxMethods []toolbox.Method
	// Health collects the health report; nil = the OS collectors.
	Health func(ctx context.Context) protocol.Health
	// Inventory collects the inventory; nil = gopsutil.
	Inventory func(ctx context.Context) protocol.Inventory
	// MaxBackoff caps the reconnect delay (default one minute).
	MaxBackoff time.Duration
	// OutputCap bounds spooled output per run and stream.
	OutputCap int64
	// Dial overrides how the TCP connection is made (the simulator binds
	// each agent to a loopback source address); nil = net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// HealthAtStart collects health once at start (real agents do; the
	// simulator skips it).
	SkipInitialHealth bool
	// SpoolNoSync skips fsync in the job spool (simulator only).
	SpoolNoSync bool
	// Live samples the heartbeat figures; nil = gopsutil. The simulator
	// passes fixed figures: 20,000 simulated agents reading /proc at every
	// heartbeat would measure the simulator, not the server.
	Live func(ctx context.Context) inventory.Live
	// Server overrides the enrolled server URL (a server that moved).
	Server string
	// OpsRunner runs service and power commands; nil = the real OS. Tests
	// pass a recorder so nothing is restarted or rebooted.
	OpsRunner ops.Runner
	// GOOS overrides the OS whose commands service and power jobs use
	// (tests of other OSes' plans); "" = runtime.GOOS.
	GOOS string
	// UpdateExe is the agent binary self-update replaces; "" = this
	// executable. Self-update runs only when the identity pins an
	// update_key (see selfupdate.go).
	UpdateExe string
	// HealthRoot is the filesystem root the health collectors read
	// ("" = "/"); tests point it at a prepared tree.
	HealthRoot string
	// OnConnection, when set, hears each time the connection to the
	// server comes up or goes down (the service's status file).
	OnConnection func(up bool, server string)
	// HealthRunner runs the health collectors' and patch installs' OS
	// tools; nil = the real OS. Tests stand in for apt and friends.
	HealthRunner ops.Runner
	// HealthDelay is how long after start the first full health
	// collection (package and patch scans) waits, so the connection,
	// heartbeats and the inventory go first on a device that just booted.
	// A random part of up to twice as much is added, so a fleet booted
	// together does not scan together. 0 = DefaultHealthDelay; negative =
	// at once (tests).
	HealthDelay time.Duration
}

// DefaultHealthDelay is the base delay of the first full health collection.
const DefaultHealthDelay = time.Minute

// Agent is a running agent.
type Agent struct {
	cfg   Config
	log   *slog.Logger
	id    *identity.Identity
	spool *spool.Spool
	ctx   context.Context

	mu      sync.Mutex
	sess    *session
	active  map[string]*activeRun
	health  protocol.Health
	hHash   string
	invHash string
	welcome protocol.Welcome
	saw3010 bool
	shells  *shellHost
	acks    map[string]chan struct{}
	hbSeq   uint64
	execs   map[string]Executor
	tlsConf *tls.Config
	upd     *selfUpdate // nil: self-update disabled (selfupdate.go)
	hEnv    healthEnv
	// retired is set while the server says the device is retired: the
	// agent then collects and sends nothing but heartbeats.
	retired atomic.Bool
	toolbox *toolbox.Host // toolbox calls (toolbox.go)
}

// ErrRevoked is returned when the server says this device was revoked.
var ErrRevoked = errors.New("this device was revoked by the server; re-enroll to manage it again")

// New loads the identity and spool from cfg.Dir.
func New(cfg Config, log *slog.Logger) (*Agent, error) {
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.OutputCap == 0 {
		cfg.OutputCap = 1 << 20
	}
	id, err := identity.Load(cfg.Dir)
	if err != nil {
		return nil, err
	}
	sp, err := spool.Open(filepath.Join(cfg.Dir, "spool"), cfg.OutputCap)
	if err != nil {
		return nil, err
	}
	sp.NoSync = cfg.SpoolNoSync
	a := &Agent{cfg: cfg, log: log, id: id, spool: sp, active: map[string]*activeRun{}, acks: map[string]chan struct{}{}}
	a.execs = defaultExecutors(a)
	for k, e := range cfg.Executors {
		a.execs[k] = e
	}
	a.shells = newShellHost(a)
	a.toolbox = toolbox.NewHost(log, a.toolboxMethods()...)
	a.initUpdate() // self-update, when the identity pins a release key
	return a, nil
}

// Run connects and serves until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	// Self-update first: a trial start or a rollback ends here, and a
	// restart an update needs cancels the returned context.
	ctx, done, err := a.updateStartup(ctx)
	if done {
		return err
	}
	a.ctx = ctx
	a.recoverSpool()
	go a.collectLoop(ctx)
	a.connectLoop(ctx)
	return a.updateExit() // nil unless an update needs a restart
}

// connectionChanged tells Config.OnConnection (the service status file)
// that the connection came up or went down.
func (a *Agent) connectionChanged(up bool) {
	if a.cfg.OnConnection != nil {
		server := a.cfg.Server
		if server == "" {
			server = a.id.Config.Server
		}
		a.cfg.OnConnection(up, server)
	}
}
