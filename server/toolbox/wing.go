// Package toolbox is the wing for a device's toolbox: interactive tools
// that are not durable jobs, made as calls to the agent over its
// websocket (server/agentcall). It serves the file manager (browse with
// paging, search by name, download a file or a folder as an archive,
// upload, create a folder, rename and delete), the process manager (list,
// sorted and filtered; end a process or its tree), event logs (pages and a
// follow stream), the Windows registry and user activity. Every action needs its
// permission, is scoped by client and audited; writes need a fresh
// second factor.
package toolbox

import (
	"context"
	"log/slog"

	"github.com/steward-rmm/steward/server/agentcall"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/hub"
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

// Calls starts toolbox calls (agentcall.Caller).
type Calls interface {
	Start(ctx context.Context, conn *hub.Conn, method string, params any, o agentcall.Options) (*agentcall.Call, error)
}

// Config is the toolbox settings of the server.
type Config struct {
	// MaxUpload bounds one uploaded file (0 = DefaultMaxUpload).
	MaxUpload int64
}

// DefaultMaxUpload is the upload limit when none is configured.
const DefaultMaxUpload = 8 << 30

// Deps are what the toolbox wing is built from.
type Deps struct {
	Config  Config
	Devices Devices
	Fleet   Fleet
	Conns   Conns
	Calls   Calls
	Audit   auditlog.Writer
	Log     *slog.Logger
}

// Wing serves the toolbox routes.
type Wing struct {
	d Deps
}

// New builds the toolbox wing.
func New(d Deps) *Wing {
	if d.Config.MaxUpload <= 0 {
		d.Config.MaxUpload = DefaultMaxUpload
	}
	return &Wing{d: d}
}

// Routes lists the wing's routes.
func (t *Wing) Routes() []httpx.Route {
	read, write := httpx.NeedPerm(httpx.PermFilesRead), httpx.NeedFresh(httpx.PermFilesWrite)
	return []httpx.Route{
		httpx.R("GET", "/api/v1/devices/{id}/files", read, t.list),
		httpx.R("GET", "/api/v1/devices/{id}/files/search", read, t.search),
		httpx.R("GET", "/api/v1/devices/{id}/files/download", read, t.download),
		httpx.R("PUT", "/api/v1/devices/{id}/files/upload", write, t.upload),
		httpx.R("POST", "/api/v1/devices/{id}/files/mkdir", write, t.mkdir),
		httpx.R("POST", "/api/v1/devices/{id}/files/rename", write, t.rename),
		httpx.R("POST", "/api/v1/devices/{id}/files/delete", write, t.remove),
		httpx.R("GET", "/api/v1/devices/{id}/processes", httpx.NeedPerm(httpx.PermProcesses), t.processes),
		httpx.R("POST", "/api/v1/devices/{id}/processes/{pid}/kill", httpx.NeedFresh(httpx.PermProcesses), t.killProcess),
		httpx.R("GET", "/api/v1/devices/{id}/eventlog", httpx.NeedPerm(httpx.PermEventLog), t.eventLog),
		httpx.R("GET", "/api/v1/devices/{id}/eventlog/follow", httpx.NeedPerm(httpx.PermEventLog), t.eventFollow),
		httpx.R("GET", "/api/v1/devices/{id}/registry", httpx.NeedPerm(httpx.PermRegistryRead), t.registryList),
		httpx.R("GET", "/api/v1/devices/{id}/registry/value", httpx.NeedPerm(httpx.PermRegistryRead), t.registryGet),
		httpx.R("PUT", "/api/v1/devices/{id}/registry/value", httpx.NeedFresh(httpx.PermRegistryWrite), t.registrySet),
		httpx.R("POST", "/api/v1/devices/{id}/registry/value/delete", httpx.NeedFresh(httpx.PermRegistryWrite), t.registryDeleteValue),
		httpx.R("POST", "/api/v1/devices/{id}/registry/key", httpx.NeedFresh(httpx.PermRegistryWrite), t.registryCreateKey),
		httpx.R("POST", "/api/v1/devices/{id}/registry/key/delete", httpx.NeedFresh(httpx.PermRegistryWrite), t.registryDeleteKey),
		httpx.R("GET", "/api/v1/devices/{id}/sessions", httpx.NeedPerm(httpx.PermSessions), t.sessions),
	}
}
