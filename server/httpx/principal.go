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
	// PermSoftware installs, upgrades and removes packages through the
	// device's package manager (package jobs).
	PermSoftware = "software"
	// PermMessage shows a message to the users logged in on a device.
	PermMessage = "message"
	// PermNotifications manages notification channels, rules and the
	// outbox; server-wide, like PermAdmin.
	PermNotifications = "notifications"
	// PermAlerts snoozes and resolves alerts (viewing them needs PermView).
	PermAlerts = "alerts"
	// PermMonitoring edits threshold profiles, their assignments, check
	// exemptions and maintenance windows (global ones need every client).
	PermMonitoring = "monitoring"
	// PermVaultRead lists and searches password vault entries (never
	// their secrets); PermVaultWrite adds, changes and deletes them;
	// PermVaultReveal reveals or copies a secret (with a fresh second
	// factor, audited, rate-limited).
	PermVaultRead   = "vault-read"
	PermVaultWrite  = "vault-write"
	PermVaultReveal = "vault-reveal"
	// PermAttachments uploads and deletes client attachments (reading
	// them needs PermView).
	PermAttachments = "attachments"
	// PermAssets adds, changes, imports and deletes client assets
	// (reading them needs PermView).
	PermAssets = "assets"
	// PermFilesRead browses, searches and downloads files on devices;
	// PermFilesWrite uploads, creates, renames and deletes them.
	PermFilesRead  = "files_read"
	PermFilesWrite = "files_write"
	// PermProcesses lists and ends processes on devices.
	PermProcesses = "processes"
	// PermEventLog reads event logs (journald, Windows, unified log).
	PermEventLog = "eventlog_read"
	// PermRegistryRead browses the Windows registry; PermRegistryWrite
	// writes and deletes values and keys.
	PermRegistryRead  = "registry_read"
	PermRegistryWrite = "registry_write"
	// PermSessions sees the users on a device and their activity.
	PermSessions = "sessions_read"
	// PermTickets works service-desk tickets (create, change, comment,
	// record time; reading them needs PermView); it needs a service-desk
	// seat. PermTicketsAdmin edits ticket statuses, SLAs and calendars.
	PermTickets      = "tickets"
	PermTicketsAdmin = "tickets_admin"
	// PermCustomerActivity reads a client's customer activity page: what
	// it bought under contract, used and has left.
	PermCustomerActivity = "customer_activity"
	// PermInvoices reads and writes invoices and batches (billing: only
	// admins hold it).
	PermInvoices = "invoices"
	// PermHelpdesk searches across clients from one box and verifies
	// callers (help desk and above; read-only users lack it).
	PermHelpdesk = "helpdesk"
)

// Roles.
const (
	RoleAdmin      = "admin"
	RoleTechnician = "technician"
	RoleHelpdesk   = "helpdesk"
	RoleReadOnly   = "read-only"
	// RoleCustomerAdmin and RoleCustomerUser are customer portal roles: a
	// client's contact signing in to see (and, for admins, grant access
	// to) their own organisation. They hold no operator permission.
	RoleCustomerAdmin = "customer-admin"
	RoleCustomerUser  = "customer-user"
)

// RolePerms is the fixed permission set of each role.
var RolePerms = map[string][]string{
	RoleAdmin: {PermView, PermRun, PermShell, PermPower, PermPatch, PermServices, PermClients, PermUsers, PermAudit, PermAdmin, PermRecordings, PermSoftware, PermMessage, PermNotifications, PermAlerts, PermMonitoring,
		PermVaultRead, PermVaultWrite, PermVaultReveal, PermAttachments, PermAssets, PermFilesRead, PermFilesWrite, PermProcesses,
		PermEventLog, PermRegistryRead, PermRegistryWrite, PermSessions, PermTickets, PermTicketsAdmin, PermCustomerActivity, PermInvoices, PermHelpdesk},
	RoleTechnician: {PermView, PermRun, PermShell, PermPower, PermPatch, PermServices, PermClients, PermSoftware, PermMessage, PermAlerts, PermMonitoring,
		PermVaultRead, PermVaultWrite, PermVaultReveal, PermAttachments, PermAssets, PermFilesRead, PermFilesWrite, PermProcesses,
		PermEventLog, PermRegistryRead, PermRegistryWrite, PermSessions, PermTickets, PermCustomerActivity, PermHelpdesk},
	RoleHelpdesk: {PermView, PermServices, PermMessage, PermAlerts, PermAttachments, PermSessions, PermTickets, PermHelpdesk},
	RoleReadOnly: {PermView},
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
	// NoSeats are the seat modules the user holds no seat of: the
	// permissions of those modules are not granted (Has), and Denied names
	// the missing seat. Empty (the zero value) means every seat.
	NoSeats []string
	// Portal is set for a customer portal principal; such a principal
	// passes only portal routes (Policy.Portal) and holds no Perms.
	Portal *PortalIdentity
	// Consent is set when clients were withheld from this request's
	// scope for lack of the customer's consent (see ConsentScope).
	Consent *ConsentScope
}

// PortalIdentity is who a portal principal is: the client it belongs to,
// the contact, whether it is a customer admin, and, when a technician is
// viewing the portal as the customer, that technician (read only then).
type PortalIdentity struct {
	ClientID  string
	ContactID string
	Admin     bool
	// ViewedBy is the technician's user ID when this is "view as the
	// customer": every write must be refused and every view audited.
	ViewedBy string
}

// Denied is the refusal message for an action that needs perm: it names
// the permission and, when the user holds it but this credential never
// passed two-factor, how to get a credential that does.
func (p *Principal) Denied(perm string) string {
	if m := SeatFor(perm); m != "" && slices.Contains(p.Perms, perm) && slices.Contains(p.NoSeats, m) {
		return "permission denied: needs a " + SeatLabels[m] + " seat (an admin gives seats on the users page, " +
			"or with `stewardctl users seat`)"
	}
	if slices.Contains(p.Withheld, perm) {
		return "permission denied: needs " + perm + ", which this token lacks because it never passed two-factor; " +
			"run `stewardctl 2fa refresh` (after `stewardctl 2fa enroll` if needed) or `stewardctl login`"
	}
	return "permission denied: needs " + perm
}

// Has reports whether p holds perm, and the seat of perm's module when it
// needs one: every check of a technician action goes through here, so a
// user without a seat is refused everywhere at once.
func (p *Principal) Has(perm string) bool {
	if !slices.Contains(p.Perms, perm) {
		return false
	}
	m := SeatFor(perm)
	return m == "" || !slices.Contains(p.NoSeats, m)
}

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
	ok := p.AllClients || slices.Contains(p.Clients, id)
	if p.Consent != nil {
		// The shared scope check is where a handler meets a withheld
		// client: its "not found" becomes the consent refusal.
		p.Consent.saw(id, ok)
	}
	return ok
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
		// The role's permissions, not seats: a seat is a licence to act,
		// and granting a role does not act on devices.
		if !slices.Contains(p.Perms, pm) {
			return false
		}
	}
	return true
}

// Seat modules: the technician seats of the account plan. A module's
// permissions are granted only to users holding one of its seats.
const (
	// SeatRemoteSupport covers acting on devices: scripts, shells, power,
	// patches and services.
	SeatRemoteSupport = "remote_support"
	// SeatServiceDesk covers working tickets (PermTickets).
	SeatServiceDesk = "service_desk"
)

// SeatModules lists the seat modules in the order pages show them.
var SeatModules = []string{SeatRemoteSupport, SeatServiceDesk}

// SeatLabels names each module in messages.
var SeatLabels = map[string]string{SeatRemoteSupport: "remote support", SeatServiceDesk: "service desk"}

// SeatPerms are the permissions each module's seat is needed for.
var SeatPerms = map[string][]string{
	SeatRemoteSupport: {PermRun, PermShell, PermPower, PermPatch, PermServices, PermSoftware, PermMessage, PermFilesRead, PermFilesWrite, PermProcesses,
		PermEventLog, PermRegistryRead, PermRegistryWrite, PermSessions},
	SeatServiceDesk: {PermTickets},
}

// SeatFor returns the module whose seat perm needs, or "".
func SeatFor(perm string) string {
	for _, m := range SeatModules {
		if slices.Contains(SeatPerms[m], perm) {
			return m
		}
	}
	return ""
}
