// Package portal is the wing of the customer portal: a client's contacts
// with portal accounts (customer admins and customer users) sign in with
// password and TOTP at the same server and see their own organisation,
// read only: devices and their health, open alerts, and every action the
// MSP took on it (from the audit log). Operators give and take portal
// accounts (invite links by e-mail or shown once), and a technician may
// view the portal as the customer, read only, while the customer's
// consent allows it.
//
// Portal accounts are not operator users: they live in their own store
// (store.PortalStore), sign in through their own routes and cookie, and
// become principals with Principal.Portal set and no permission at all,
// so the operator side (users, seats, technician counts) never sees them.
package portal

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/mail"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.PortalStore
	Client(id string) (store.Client, error)
	Contact(id string) (store.Contact, error)
	Audit(q store.AuditQuery) ([]store.AuditEvent, error)
	Alerts(q store.AlertQuery) ([]store.Alert, error)
	User(id string) (store.User, error)
}

// Clients resolves a client by ID or name within an operator's scope.
type Clients interface {
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// Fleet lists devices of the live fleet.
type Fleet interface {
	List(f fleet.Filter) ([]fleet.View, int)
}

// Mailer sends e-mail (the server's SMTP sender).
type Mailer interface {
	Configured() bool
	Send(ctx context.Context, msg mail.Message) error
}

// Consent says whether a client's customer currently allows the MSP's
// read-only help-desk view of its portal ("view as the customer"), and
// why not. The consent wing provides it; nil means consent is not
// available, and viewing as the customer is then refused.
type Consent interface {
	HelpdeskViewAllowed(ctx context.Context, clientID string) (ok bool, why string, err error)
}

// Config is the portal's settings.
type Config struct {
	// BaseURL is the dashboard's URL for links in mail ("" = the URL the
	// operator's request came to).
	BaseURL string
	// TrustedProxies may set X-Forwarded-For.
	TrustedProxies []string
}

// Deps are what the portal wing is built from.
type Deps struct {
	Config  Config
	Store   Store
	Clients Clients
	Fleet   Fleet
	Mail    Mailer
	// Consent is optional: nil = "view as the customer" is not available.
	Consent Consent
	Audit   auditlog.Writer
	Now     httpx.Clock
	Log     *slog.Logger
}

// Wing serves the portal and authenticates portal principals.
type Wing struct {
	cfg     Config
	st      Store
	clients Clients
	fleet   Fleet
	mail    Mailer
	consent Consent
	alog    auditlog.Writer
	now     httpx.Clock
	log     *slog.Logger
	limit   *httpx.FailLimiter
}

// New builds the portal wing.
func New(d Deps) *Wing {
	return &Wing{cfg: d.Config, st: d.Store, clients: d.Clients, fleet: d.Fleet, mail: d.Mail, consent: d.Consent,
		alog: d.Audit, now: d.Now, log: d.Log, limit: httpx.NewFailLimiter(httpx.SignInWindow, httpx.SignInMaxFailures)}
}

const (
	// sessionCookie is the portal's own cookie, so a technician's
	// dashboard session and a "view as the customer" session live side
	// by side in one browser, each sent only where it counts.
	sessionCookie = "__Host-steward-portal"
	sessionTTL    = 8 * time.Hour
	viewTTL       = 30 * time.Minute
	inviteTTL     = 7 * 24 * time.Hour
	minPassword   = 12
	maxPassword   = 72 // bcrypt ignores bytes beyond 72
	totpIssuer    = "Steward portal"
)

// Login stages, as the dashboard's (api.LoginResponse.Stage).
const (
	stageDone      = "done"
	stageTOTP      = "totp"
	stageTOTPSetup = "totp_setup"
)

// Routes are the portal's routes: sign-in (public, checked by the
// handlers), the portal pages' data (portal principals only), and the
// operators' portal account management and "view as the customer".
func (s *Wing) Routes() []httpx.Route {
	pub, pu := httpx.Public, httpx.PortalUser
	perm := httpx.NeedPerm
	return []httpx.Route{
		httpx.R("POST", "/api/v1/portal/auth/login", pub, s.apiLogin),
		httpx.R("POST", "/api/v1/portal/auth/totp", pub, s.apiTOTP),
		httpx.R("POST", "/api/v1/portal/auth/totp/setup", pub, s.apiTOTPSetup),
		httpx.R("POST", "/api/v1/portal/auth/totp/enable", pub, s.apiTOTPEnable),
		httpx.R("POST", "/api/v1/portal/auth/set-password", pub, s.apiSetPassword),
		httpx.R("POST", "/api/v1/portal/auth/logout", pub, s.apiLogout),

		httpx.R("GET", "/api/v1/portal/me", pu, s.apiMe),
		httpx.R("PUT", "/api/v1/portal/me/password", pu, s.apiChangePassword),
		httpx.R("GET", "/api/v1/portal/devices", pu, s.apiDevices),
		httpx.R("GET", "/api/v1/portal/devices/{device}", pu, s.apiDevice),
		httpx.R("GET", "/api/v1/portal/alerts", pu, s.apiAlerts),
		httpx.R("GET", "/api/v1/portal/activity", pu, s.apiActivity),

		httpx.R("GET", "/api/v1/clients/{client}/portal-users", perm(httpx.PermClients), s.apiUsers),
		httpx.R("POST", "/api/v1/clients/{client}/portal-users", perm(httpx.PermClients), s.apiCreateUser),
		httpx.R("PATCH", "/api/v1/clients/{client}/portal-users/{portaluser}", perm(httpx.PermClients), s.apiUpdateUser),
		httpx.R("DELETE", "/api/v1/clients/{client}/portal-users/{portaluser}", perm(httpx.PermClients), s.apiDeleteUser),
		httpx.R("POST", "/api/v1/clients/{client}/portal-users/{portaluser}/invite", perm(httpx.PermClients), s.apiReinvite),
		httpx.R("POST", "/api/v1/clients/{client}/portal-users/{portaluser}/reset-2fa", perm(httpx.PermClients), s.apiReset2FA),
		httpx.R("GET", "/api/v1/clients/{client}/portal-view", perm(httpx.PermView), s.apiViewStatus),
		httpx.R("POST", "/api/v1/clients/{client}/portal-view", perm(httpx.PermView), s.apiStartView),
	}
}

// clientIP is the caller's address (see httpx.ClientIP).
func (s *Wing) clientIP(r *http.Request) string { return httpx.ClientIP(r, s.cfg.TrustedProxies) }

// readOnly refuses a change by a technician viewing as the customer.
func readOnly(w http.ResponseWriter, p *httpx.Principal) bool {
	if p.Portal != nil && p.Portal.ViewedBy != "" {
		httpx.WriteError(w, http.StatusForbidden, "read only: a technician viewing as the customer cannot change anything")
		return true
	}
	return false
}
