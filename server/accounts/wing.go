package accounts

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.MetaStore
	store.UserStore
	store.SessionStore
	store.APITokenStore
	Client(id string) (store.Client, error)
}

// Clients resolves a client by ID or name within the caller's scope.
type Clients interface {
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// Config is the account settings of the server.
type Config struct {
	DataDir string // the first admin's secrets are written here
	// FreshTOTP is how long a two-factor check counts as fresh.
	FreshTOTP time.Duration
	// Require2FAForAdmins makes admins enrol two-factor before anything else.
	Require2FAForAdmins bool
	// TrustedProxies may set X-Forwarded-For.
	TrustedProxies []string
	// FixedPlan are plan limits given by server flags (keys remote_support,
	// service_desk, devices): they win over stored ones (see seats.go).
	FixedPlan map[string]int
}

// Deps are what the accounts wing is built from.
type Deps struct {
	Config  Config
	Store   Store
	Clients Clients
	// Conns are operators' live connections, ended on logout, password
	// change, disable and token revocation.
	Conns *httpx.Conns
	Audit auditlog.Writer
	Now   httpx.Clock
	Log   *slog.Logger
	// Devices counts devices in use for the Seats & devices page (nil: 0).
	Devices Devices
}

// Wing serves the account routes and authenticates operators.
type Wing struct {
	cfg     Config
	st      Store
	clients Clients
	conns   *httpx.Conns
	alog    auditlog.Writer
	now     httpx.Clock
	log     *slog.Logger
	limit   *httpx.FailLimiter
	plan    plan
	devices Devices
}

// New builds the accounts wing.
func New(d Deps) *Wing {
	return &Wing{cfg: d.Config, st: d.Store, clients: d.Clients, conns: d.Conns, alog: d.Audit, now: d.Now, log: d.Log,
		limit: httpx.NewFailLimiter(httpx.SignInWindow, httpx.SignInMaxFailures), devices: d.Devices}
}

// clientIP is the caller's address (see httpx.ClientIP).
func (s *Wing) clientIP(r *http.Request) string { return httpx.ClientIP(r, s.cfg.TrustedProxies) }
