// Package store is Steward's storage contract: the records the server
// keeps, the errors a store returns, and one interface per resource area
// in domain terms. Implementations live below it (server/store/bolt, the
// embedded default); every implementation must pass the conformance
// suites in server/store/storetest.
//
// What must happen atomically is one method: Enroll consumes a token and
// creates the device together, ApplyRunOps applies a batch of run changes
// in one commit, AppendAudit extends the chain without a gap.
package store

import (
	"slices"
	"time"
)

// MetaStore holds small server-wide settings.
type MetaStore interface {
	// Meta returns a value ("" when unset).
	Meta(key string) (string, error)
	SetMeta(key, value string) error
	// SetMetaOnce sets key only if unset, else returns ErrExists: one-shot
	// actions (the first admin) rely on it.
	SetMetaOnce(key, value string) error
}

// ClientStore holds the customers whose devices are managed.
type ClientStore interface {
	// CreateClient stores a new client; ErrExists if the name is taken.
	CreateClient(c Client) error
	Clients() ([]Client, error)
	Client(id string) (Client, error)
}

// EnrollTokenStore holds enrollment tokens (by the hash of their secret)
// and enrolls devices with them.
type EnrollTokenStore interface {
	// CreateEnrollToken stores a token of an existing client (else
	// ErrNotFound).
	CreateEnrollToken(t EnrollToken) error
	// EnrollTokens lists tokens of a client, or of all when clientID is "".
	EnrollTokens(clientID string) ([]EnrollToken, error)
	// RevokeEnrollToken marks a token revoked by its ID.
	RevokeEnrollToken(id string) (EnrollToken, error)
	// Enroll consumes one use of the token with the given hash and creates
	// the device, atomically: a single-use token raced by many enrollments
	// makes one device. A key already enrolled for the token's client gets
	// its device back (existing true) without using the token. The new
	// device is pending when d.Pending is set, when the token requires
	// approval, or when another live device has d.MachineID (then
	// DuplicateOf names it). Token errors: ErrNotFound, ErrTokenRevoked,
	// ErrTokenExpired, ErrTokenUsedUp; a key bound to another device:
	// ErrExists.
	Enroll(tokenHash string, now time.Time, d Device) (dev Device, existing bool, err error)
	// EnrollWithin is Enroll under a device limit: when maxDevices > 0 and
	// that many devices that are not retired exist already, a new device
	// is refused with ErrDeviceLimit, the token's use is not consumed and
	// nothing is stored. The count and the creation are one atomic step,
	// so enrollments racing at the limit never make more than maxDevices.
	// A key already enrolled gets its device back whatever the count.
	// Enroll is EnrollWithin with maxDevices 0 (no limit).
	EnrollWithin(tokenHash string, now time.Time, d Device, maxDevices int) (dev Device, existing bool, err error)
}

// DeviceStore holds enrolled devices and their latest reports.
type DeviceStore interface {
	Devices() ([]Device, error)
	Device(id string) (Device, error)
	// PutDevices writes many devices at once (presence flushes); devices
	// deleted meanwhile stay deleted.
	PutDevices(ds []Device) error
	// DeleteDevice removes a device, its key binding, machine ID, inventory
	// and health; its job history stays.
	DeleteDevice(id string) error
	// ApproveDevice clears a device's pending state.
	ApproveDevice(id, by string, at time.Time) (Device, error)
	// SetDeviceGroup sets a device's folder ("" = none), changing nothing
	// else.
	SetDeviceGroup(id, group string) (Device, error)
	PutInventory(inv Inventory) error
	Inventory(deviceID string) (Inventory, error)
	Inventories() ([]Inventory, error)
	PutHealth(h Health) error
	Health(deviceID string) (Health, error)
	// Healths lists stored health reports in device ID order: those of
	// devices after the ID after ("" = from the first), at most limit
	// (0 = all). Callers page through a fleet's reports with it, so no
	// more than a page of them is in memory at once.
	Healths(after string, limit int) ([]Health, error)
	// SetDeviceRetired retires a device (retired true: it keeps its
	// history, stops counting against the device limit, and receives
	// nothing) or restores it, recording by and at; only the retirement
	// fields change. Presence flushes (PutDevices) never change them.
	SetDeviceRetired(id string, retired bool, by string, at time.Time) (Device, error)
	// MoveDevice gives a device to another client (ErrNotFound when the
	// device or the client does not exist) and sets its folder ("" =
	// none), changing nothing else; its run history stays with the
	// clients it ran under.
	MoveDevice(id, clientID, group string) (Device, error)
	// ActiveDevices counts devices that are not retired: what the device
	// limit counts.
	ActiveDevices() (int, error)
}

// Scope limits a listing to what a technician may see: when Only is set,
// to records of the clients in Clients (none when it is empty); when Only
// is false, to every client. A query field rather than a filter function,
// so that a database implementation can push it down.
type Scope struct {
	Only    bool
	Clients []string
}

// Has reports whether the scope includes client id.
func (s Scope) Has(id string) bool {
	if !s.Only {
		return true
	}
	return slices.Contains(s.Clients, id)
}

// JobQuery selects jobs, newest first: those created before the job with
// ID Before ("" = from the newest), of Kind ("" = any), inside Scope, at
// most Limit (0 = all). A job is inside a scope when all of its runs are
// on the scope's clients; a scoped query leaves out jobs without runs.
type JobQuery struct {
	Before string
	Kind   string
	Scope  Scope
	Limit  int
}

// Match reports whether q selects j, whose States and Clients are filled
// (see JobStore.JobStates). Implementations that filter in memory use it.
func (q *JobQuery) Match(j *Job) bool {
	if q.Kind != "" && j.Kind != q.Kind {
		return false
	}
	if !q.Scope.Only {
		return true
	}
	for _, c := range j.Clients {
		if !q.Scope.Has(c) {
			return false
		}
	}
	return len(j.Clients) > 0
}

// ScriptQuery selects live scripts: of Name ("" = any), of one of Owners
// (nil = any; "" stands for the global scripts), and visible in Scope
// (global scripts are visible in every scope).
type ScriptQuery struct {
	Name   string
	Owners []string
	Scope  Scope
}

// Match reports whether q selects sc (its deletion aside).
func (q *ScriptQuery) Match(sc *Script) bool {
	if q.Name != "" && sc.Name != q.Name {
		return false
	}
	if q.Owners != nil && !slices.Contains(q.Owners, sc.ClientID) {
		return false
	}
	return sc.ClientID == "" || q.Scope.Has(sc.ClientID)
}

// JobStore holds jobs, their runs and the runs' output.
type JobStore interface {
	// CreateJob stores a job with all its runs at once and fills the
	// job's States and Clients from them.
	CreateJob(j *Job, runs []Run) error
	Job(id string) (Job, error)
	// JobStates fills States and Clients of a job stored before the store
	// kept them.
	JobStates(j *Job) error
	// Jobs lists the jobs q selects, with States and Clients filled.
	Jobs(q JobQuery) ([]Job, error)
	Run(id string) (Run, error)
	// JobRuns lists a job's runs in ID order.
	JobRuns(jobID string) ([]Run, error)
	// DeviceRuns lists a device's runs newest first, at most limit.
	DeviceRuns(deviceID string, limit int) ([]Run, error)
	// PendingRuns lists the non-terminal runs of a device, or of all when
	// deviceID is "".
	PendingRuns(deviceID string) ([]Run, error)
	// ApplyRunOps applies run changes in order in one commit. An op on an
	// unknown run (or a run of another device) fails alone with
	// ErrNotFound; a storage error fails them all.
	ApplyRunOps(ops []RunOp) ([]RunOpResult, error)
	// Output returns a run's stored output of one stream from byte offset
	// from, at most max bytes (0 = all), and the offset to continue from.
	Output(runID, stream string, from int64, max int) ([]byte, int64, error)
}

// ScriptStore is the versioned script library. A script has a stable ID,
// an owner (a client, or "" for global) and a name unique per owner among
// live scripts; every save appends an immutable version.
type ScriptStore interface {
	// PutScript saves a new version: of the live script sc.ID when set
	// (else ErrNotFound), else of the owner's live script named sc.Name, or
	// of a new script. ID, Version and SHA256 are set by the store.
	PutScript(sc Script) (Script, error)
	// Script returns the newest version of a live script.
	Script(id string) (Script, error)
	// ScriptVersion returns one version, also of a deleted script.
	ScriptVersion(id string, version int) (Script, error)
	// ScriptVersions lists every version of a script, oldest first.
	ScriptVersions(id string) ([]Script, error)
	ScriptByName(clientID, name string) (Script, error)
	// Scripts lists the newest version of every live script q selects,
	// in ID order.
	Scripts(q ScriptQuery) ([]Script, error)
	// DeleteScript removes a script from the library; its versions stay.
	DeleteScript(id string) error
}

// UserStore holds accounts.
type UserStore interface {
	// CreateUser stores a user; ErrExists if the name is taken (any case).
	CreateUser(u User) error
	// UpdateUser changes a stored user atomically: fn sees the current
	// record, and an error from fn leaves it unchanged. It stays a
	// read-modify-write rather than a set of plain setters because its
	// callers decide from the current record: a TOTP code is accepted only
	// if its step is newer than the last one used and a recovery code is
	// taken out of the list it is in, both of which must be one
	// compare-and-set against concurrent logins (a SQL implementation runs
	// fn inside SELECT ... FOR UPDATE). fn must be quick and do no I/O.
	UpdateUser(id string, fn func(*User) error) (User, error)
	User(id string) (User, error)
	UserByName(name string) (User, error)
	Users() ([]User, error)
}

// SessionStore holds web sessions by the hash of their cookie.
type SessionStore interface {
	PutSession(se Session) error
	Session(hash string) (Session, error)
	DeleteSession(hash string) error
}

// APITokenStore holds bearer tokens by the hash of their secret.
type APITokenStore interface {
	PutAPIToken(t APIToken) error
	APITokenByHash(hash string) (APIToken, error)
	// APITokens lists a user's tokens, or all when userID is "".
	APITokens(userID string) ([]APIToken, error)
	// RevokeAPIToken revokes a token by ID if userID owns it ("" = any).
	RevokeAPIToken(id, userID string) error
	// StampAPIToken records that the holder just proved two-factor.
	StampAPIToken(id, userID string, at time.Time) error
}

// AuditStore is the append-only, hash-chained audit log.
type AuditStore interface {
	// SetAuditKey keys every later record; the first call fixes the number
	// where the keyed chain starts, returned on every call.
	SetAuditKey(key []byte) (uint64, error)
	// AppendAudit appends an event (Seq, Prev, Hash, MAC set by the store)
	// without a gap in the sequence and returns it as stored.
	AppendAudit(e AuditEvent) (AuditEvent, error)
	Audit(q AuditQuery) ([]AuditEvent, error)
	// VerifyAudit walks the chain (see ChainVerifier).
	VerifyAudit(anchors AuditAnchors) (int, error)
}

// ShellStore keeps what is recorded of ended shell sessions.
type ShellStore interface {
	PutShellSession(s ShellSession) error
	// ShellSessions lists them in ID order.
	ShellSessions() ([]ShellSession, error)
}

// UpdateStore holds agent update targets and outcomes.
type UpdateStore interface {
	// SetUpdateTarget stores a target; an empty Version removes the scope's.
	SetUpdateTarget(t UpdateTarget) error
	UpdateTargets() ([]UpdateTarget, error)
	// UpdateTargetFor returns the narrowest target that applies to a
	// device; ok is false when none does.
	UpdateTargetFor(deviceID, clientID string) (t UpdateTarget, ok bool, err error)
	PutUpdateResult(r UpdateResult) error
	UpdateResultOf(deviceID string) (UpdateResult, error)
	UpdateResults() ([]UpdateResult, error)
}

// Store is the whole contract, as the server's wiring opens it.
type Store interface {
	MetaStore
	ClientStore
	EnrollTokenStore
	DeviceStore
	JobStore
	ScriptStore
	UserStore
	SessionStore
	APITokenStore
	AuditStore
	ShellStore
	UpdateStore
	FavoriteStore
	NotifyStore
	ClientPageStore
	MonitorStore
	AlertStore
	VaultStore
	AttachmentStore
	AssetStore
	PortalStore
	AutomationStore
	TicketStore
	ContractStore
	InvoiceStore
	HelpdeskStore
	ConsentStore
	Close() error
}
