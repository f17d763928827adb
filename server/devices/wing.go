// Package devices is the wing for the devices clients own: the clients'
// enrollment tokens, the device list (filters, paging,
// CSV), one device's inventory and health, folders, approval of pending
// devices and revocation, a request for fresh reports, and the software
// search across the caller's clients. It also answers the device and
// client lookups within a caller's scope that other wings get through
// the wiring.
package devices

import (
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/hub"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.ClientStore
	store.EnrollTokenStore
	store.DeviceStore
	store.FavoriteStore
}

// Monitoring says which devices monitoring watches (the alerts wing, once
// wired); nil means every device that is not retired.
type Monitoring interface {
	Monitored(deviceID string) bool
}

// Conns finds a device's agent connection.
type Conns interface {
	Get(id string) *hub.Conn
}

// Install makes the one-line install commands for a new token (the
// install wing).
type Install interface {
	Commands(token string) map[string]string
	// Builds lists the platforms the commands can install on.
	Builds() api.AgentBuilds
}

// Config is the device settings of the server.
type Config struct {
	// RequireApproval makes every new token require approval.
	RequireApproval bool
}

// Deps are what the devices wing is built from.
type Deps struct {
	Config  Config
	Store   Store
	Fleet   *fleet.Fleet
	Conns   Conns
	Install Install
	// Approved is called for a connected device just approved, to send
	// what was held for it (queued runs, the target agent version).
	Approved func(c *hub.Conn)
	Audit    auditlog.Writer
	Now      httpx.Clock
	// Monitoring backs the monitored filter (nil: see Monitoring).
	Monitoring Monitoring
	// DeviceLimit is the account's device limit (0 = none), checked when a
	// retired device is restored; nil means none.
	DeviceLimit func() int
}

// Wing serves clients, tokens and devices.
type Wing struct {
	cfg      Config
	st       Store
	fleet    *fleet.Fleet
	hub      Conns
	install  Install
	approved func(c *hub.Conn)
	alog     auditlog.Writer
	now      httpx.Clock
	monitor  Monitoring
	limit    func() int
}

// New builds the devices wing.
func New(d Deps) *Wing {
	w := &Wing{cfg: d.Config, st: d.Store, fleet: d.Fleet, hub: d.Conns, install: d.Install, approved: d.Approved,
		alog: d.Audit, now: d.Now, monitor: d.Monitoring, limit: d.DeviceLimit}
	if w.limit == nil {
		w.limit = func() int { return 0 }
	}
	return w
}

// Routes lists the wing's routes.
func (s *Wing) Routes() []httpx.Route {
	perm := httpx.NeedPerm
	return []httpx.Route{
		httpx.R("GET", "/api/v1/tokens", perm(httpx.PermClients), s.apiTokens),
		httpx.R("POST", "/api/v1/tokens", perm(httpx.PermClients), s.apiCreateToken),
		httpx.R("DELETE", "/api/v1/tokens/{id}", perm(httpx.PermClients), s.apiRevokeToken),
		httpx.R("GET", "/api/v1/devices", perm(httpx.PermView), s.apiDevices),
		httpx.R("GET", "/api/v1/devices/{id}", perm(httpx.PermView), s.apiDevice),
		httpx.R("DELETE", "/api/v1/devices/{id}", perm(httpx.PermClients), s.apiRevokeDevice),
		httpx.R("PATCH", "/api/v1/devices/{id}", perm(httpx.PermClients), s.apiUpdateDevice),
		httpx.R("POST", "/api/v1/devices/{id}/approve", perm(httpx.PermClients), s.apiApproveDevice),
		httpx.R("GET", "/api/v1/groups", perm(httpx.PermView), s.apiGroups),
		httpx.R("POST", "/api/v1/devices/{id}/refresh", perm(httpx.PermView), s.apiRefresh),
		httpx.R("GET", "/api/v1/software", perm(httpx.PermView), s.apiSoftwareSearch),
		httpx.R("POST", "/api/v1/devices/{id}/retire", perm(httpx.PermClients), s.apiRetire),
		httpx.R("POST", "/api/v1/devices/{id}/restore", perm(httpx.PermClients), s.apiRestore),
		httpx.R("PUT", "/api/v1/devices/{id}/favorite", perm(httpx.PermView), s.apiFavorite),
		httpx.R("DELETE", "/api/v1/devices/{id}/favorite", perm(httpx.PermView), s.apiFavorite),
		httpx.R("POST", "/api/v1/devices/bulk", perm(httpx.PermClients), s.apiBulk),
	}
}
