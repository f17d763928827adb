package server

import (
	"time"

	"github.com/steward-rmm/steward/server/mail"
)

// Config is the server's configuration, filled from flags by main.
type Config struct {
	DataDir string
	Listen  string
	TLSCert string // operator's own certificate (PEM chain); empty = self-made
	TLSKey  string
	// PinCA is a PEM file of CA certificates agents pin (with the host
	// name) instead of the --tls-cert key; see pins.go.
	PinCA string
	// NextPins are pins of the next certificate, advertised to agents
	// beside the current ones so a certificate can be replaced.
	NextPins []string
	// AgentListen, when set, is a second listener that alone serves the
	// device routes (agents, enrollment, install scripts), while Listen
	// serves the API and dashboard only.
	AgentListen string
	Hostnames   []string // extra names for the self-made server certificate
	MetricsAddr string   // separate listen address for /metrics; empty = on the API behind auth
	PublicURL   string   // how devices reach the server (install commands); "" = derived at start

	Heartbeat      time.Duration // agent heartbeat interval (sent in welcome)
	Inventory      time.Duration
	HealthInterval time.Duration
	PatchScan      time.Duration
	OutputCap      int64         // stored output per run and stream
	PresenceFlush  time.Duration // how often in-memory presence is written
	JobExpiry      time.Duration // default run expiry
	MaxHandshakes  int           // concurrent TLS handshakes
	// HandshakeQueue is how long a connection may wait for a handshake
	// slot before it is dropped (default 20 s).
	HandshakeQueue time.Duration
	MaxEnrolls     int // concurrent enrollments
	// TrustedProxies are addresses whose X-Forwarded-For is believed.
	TrustedProxies []string
	// Require2FAForAdmins makes admins enrol TOTP before using a session.
	Require2FAForAdmins bool
	// FreshTOTP is how recent a two-factor check must be for sensitive
	// actions (shell, large jobs, admin creation, token minting).
	FreshTOTP time.Duration
	// LargeJob is the device count above which a job needs fresh two-factor.
	LargeJob int
	// ShellRecordings is where asciicast recordings go; RecordingRetention
	// how long they are kept.
	RecordingRetention time.Duration
	MaxShellsPerDevice int
	MaxShellsPerUser   int
	ShellIdle          time.Duration
	// RecordShellInput keeps the technician's keystrokes in shell
	// recordings. Off by default: keystrokes include passwords typed at
	// prompts. Turning it on is audited at every start.
	RecordShellInput bool
	// ShellTicketTTL is how long a shell ticket stays usable (default 30 s).
	ShellTicketTTL time.Duration
	// AgentBinDir holds agent binaries served to installers
	// (steward-agent-OS-ARCH[.exe]).
	AgentBinDir string
	Version     string
	// ReleaseDir holds signed agent releases (VERSION/manifest.json,
	// manifest.sig, binaries) for self-update; "" = DATA/releases.
	ReleaseDir string
	// ReleaseKey is the release public key, hex or a file holding the hex;
	// empty disables agent updates.
	ReleaseKey string
	// RequireApproval makes every newly enrolled device pending until a
	// technician approves it, whatever its enrollment token says.
	RequireApproval bool
	// DefaultPhoneRegion is the region (US, GB...) of contact and client
	// phone numbers entered without a country code; "" = US.
	DefaultPhoneRegion string
	// AuditKeyFile holds the audit chain's key (hex); "" = DATA/audit.key,
	// created when missing. AuditAnchor is the file chain heads are
	// appended to ("" = DATA/audit-anchor.log), renamed to FILE.N when it
	// reaches AuditAnchorRotate bytes (0 = 8 MiB).
	AuditKeyFile      string
	AuditAnchor       string
	AuditAnchorRotate int64
	// VaultKeyFile holds the password vault's master key (base64, mode
	// 0600, outside DataDir); VaultKey is the key itself (from
	// STEWARD_VAULT_KEY) when there is no file. Neither: the vault is off.
	VaultKeyFile string
	VaultKey     string
	// VaultRevealsPerMinute bounds each user's reveals and copies a minute
	// (0 = 10); VaultBurstPerHour is how many distinct entries a user may
	// reveal in an hour before it is reported (0 = 20); VaultRequireReason
	// makes every reveal state a reason.
	VaultRevealsPerMinute int
	VaultBurstPerHour     int
	VaultRequireReason    bool
	// AttachmentMaxSize is the largest attachment upload in bytes (0 =
	// 100 MiB); attachments live in DATA/attachments.
	AttachmentMaxSize int64
	// Clock replaces time.Now for tokens, sessions and two-factor checks
	// (tests move it forward); nil means the real clock.
	Clock func() time.Time
	// AlertInterval is how often monitoring evaluates its checks
	// (default 5 s).
	AlertInterval time.Duration
	// ScriptCheckMinute is how long one minute of a script check's
	// interval lasts (default a minute; tests shorten it).
	ScriptCheckMinute time.Duration
	// Mail is the SMTP server e-mail goes through (notifications).
	Mail mail.Config
	// Notify tunes notification grouping and delivery (zero: defaults).
	Notify NotifyConfig
	// SeatsRemoteSupport, SeatsServiceDesk and DeviceLimit fix the account
	// plan's limits when above 0 (the flags win over what an admin set,
	// and the API cannot change them); 0 leaves a limit to the admin,
	// whose default is unlimited.
	SeatsRemoteSupport int
	SeatsServiceDesk   int
	DeviceLimit        int
	// MaxUpload bounds one file uploaded to a device (0 = 8 GiB).
	MaxUpload int64
	// PortalURL is the dashboard's URL for the customer portal's links in
	// mail ("" = the URL the operator's request came to).
	PortalURL string
	// AutomationReconcile is how often the automation scheduler looks
	// for new, moved and removed devices (default 30 s);
	// AutomationMinEvery is the shortest "every" schedule (default a
	// minute; tests and the bench shorten both).
	AutomationReconcile time.Duration
	AutomationMinEvery  time.Duration
	// AutomationTimeZone is the zone of schedules and patch windows that
	// name none, and the last fallback of "device" and "client" zones
	// (nil = the server's local zone).
	AutomationTimeZone *time.Location
	// RequireConsentDefault makes new clients require the customer's
	// consent (a grant) for technicians' actions; ConsentSweep is how
	// often ended grants' effects are applied (0 = 30 s).
	RequireConsentDefault bool
	ConsentSweep          time.Duration
	// SLASweep is how often the SLA sweep looks for tickets whose warning
	// or deadline has come (0 = 30 s); SLAWarnPercent is the share of a
	// target after which the technician is warned (0 = 80; negative:
	// no warnings).
	SLASweep       time.Duration
	SLAWarnPercent int
}

// fixedPlan is the plan limits the flags fix (see accounts.Config).
func (c *Config) fixedPlan() map[string]int {
	m := map[string]int{}
	for k, v := range map[string]int{"remote_support": c.SeatsRemoteSupport, "service_desk": c.SeatsServiceDesk,
		"devices": c.DeviceLimit} {
		if v > 0 {
			m[k] = v
		}
	}
	return m
}

// Defaults fills unset fields.
func (c *Config) Defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Heartbeat, 60*time.Second)
	def(&c.Inventory, time.Hour)
	def(&c.HealthInterval, 15*time.Minute)
	def(&c.PatchScan, 4*time.Hour)
	def(&c.PresenceFlush, 15*time.Second)
	def(&c.JobExpiry, 24*time.Hour)
	def(&c.FreshTOTP, 10*time.Minute)
	def(&c.RecordingRetention, 90*24*time.Hour)
	def(&c.ShellIdle, 30*time.Minute)
	if c.OutputCap == 0 {
		c.OutputCap = 1 << 20
	}
	if c.HandshakeQueue == 0 {
		c.HandshakeQueue = defaultQueueWait
	}
	if c.MaxHandshakes == 0 {
		c.MaxHandshakes = 256
	}
	if c.MaxEnrolls == 0 {
		c.MaxEnrolls = 32
	}
	if c.LargeJob == 0 {
		c.LargeJob = 50
	}
	if c.MaxShellsPerDevice == 0 {
		c.MaxShellsPerDevice = 4
	}
	if c.MaxShellsPerUser == 0 {
		c.MaxShellsPerUser = 8
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8443"
	}
	if c.Version == "" {
		c.Version = "dev"
	}
}
