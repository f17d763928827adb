package httpx

import (
	"slices"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Permissions. A role is a fixed set of them.
const (
	PermView     = "view"
	PermRun      = "run"
	PermShell    = "shell"
	PermPower    = "power"
	PermPatch    = "patch"
	PermServices = "services"
	PermClients  = "clients" // manage clients and enrollment tokens
	PermUsers    = "users"   // manage users
	PermAudit    = "audit"
	PermAdmin    = "admin" // server administration: agent releases, pprof
	// PermRecordings reads shell recordings (scoped to the holder's clients).
	PermRecordings = "recordings"
	// PermFilesRead browses, searches and downloads files on devices;
	// PermFilesWrite uploads, creates, renames and deletes them.
	PermFilesRead  = "files_read"
	PermFilesWrite = "files_write"
	// PermEventLog reads event logs (journald, Windows, unified log).
	PermEventLog = "eventlog_read"
	// PermRegistryRead browses the Windows registry; PermRegistryWrite
	// writes and deletes values and keys.
	PermRegistryRead  = "registry_read"
	PermRegistryWrite = "registry_write"
	// PermSessions sees the users on a device and their activity.
	PermSessions = "sessions_read"
)

// Roles.
const (
	RoleAdmin      = "admin"
	RoleTechnician = "technician"
	RoleHelpdesk   = "helpdesk"
	RoleReadOnly   = "read-only"
)

// RolePerms is the fixed permission set of each role.
var RolePerms = map[string][]string{
	RoleAdmin:      {PermView, PermRun, PermShell, PermPower, PermPatch, PermServices, PermClients, PermUsers, PermAudit, PermAdmin, PermRecordings, PermFilesRead, PermFilesWrite, PermEventLog, PermRegistryRead, PermRegistryWrite, PermSessions},
	RoleTechnician: {PermView, PermRun, PermShell, PermPower, PermPatch, PermServices, PermClients, PermFilesRead, PermFilesWrite, PermEventLog, PermRegistryRead, PermRegistryWrite, PermSessions},
	RoleHelpdesk:   {PermView, PermServices, PermSessions},
	RoleReadOnly:   {PermView},
}

// Principal is an authenticated operator: who, with which permissions,
// over which clients, and how they authenticated.
type Principal struct {
	UserID     string
	Name       string
	Role       string
	Perms      []string
	AllClients bool
	Clients    []string
	Via        string // token, session
	TokenID    string
	Session    *store.Session
	// SecondFactorAt is when this caller last proved two-factor.
	SecondFactorAt time.Time
	Remote         string
	// Partial marks a session past the password but not two-factor: it
	// may only finish two-factor or log out.
	Partial bool
	// Withheld are permissions of the user that this credential does not
	// carry because it never passed two-factor (Denied says so).
	Withheld []string
}

// Denied is the refusal message for an action that needs perm: it names
// the permission and, when the user holds it but this credential never
// passed two-factor, how to get a credential that does.
func (p *Principal) Denied(perm string) string {
	if slices.Contains(p.Withheld, perm) {
		return "permission denied: needs " + perm + ", which this token lacks because it never passed two-factor; " +
			"run `stewardctl 2fa refresh` (after `stewardctl 2fa enroll` if needed) or `stewardctl login`"
	}
	return "permission denied: needs " + perm
}

// Has reports whether p holds perm.
func (p *Principal) Has(perm string) bool { return slices.Contains(p.Perms, perm) }

// ClientScope returns nil for all clients, else the allowed list.
func (p *Principal) ClientScope() []string {
	if p.AllClients {
		return nil
	}
	if p.Clients == nil {
		return []string{}
	}
	return p.Clients
}

// CanSeeClient reports whether client id is within p's scope.
func (p *Principal) CanSeeClient(id string) bool {
	return p.AllClients || slices.Contains(p.Clients, id)
}

// Scope is p's client scope as a store query field, so a store can apply
// it where the data is.
func (p *Principal) Scope() store.Scope {
	return store.Scope{Only: !p.AllClients, Clients: p.Clients}
}

// Manages reports whether p may see and change u: u's scope must lie
// within p's, so a scoped manager never touches users of other clients.
func (p *Principal) Manages(u *store.User) bool {
	if p.AllClients {
		return true
	}
	if u.AllClients {
		return false
	}
	for _, c := range u.Clients {
		if !slices.Contains(p.Clients, c) {
			return false
		}
	}
	return true
}

// HoldsRole reports whether p has every permission of role.
func (p *Principal) HoldsRole(role string) bool {
	for _, pm := range RolePerms[role] {
		if !p.Has(pm) {
			return false
		}
	}
	return true
}
