package server

import (
	"time"
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
	MaxEnrolls     int           // concurrent enrollments
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
	// AuditKeyFile holds the audit chain's key (hex); "" = DATA/audit.key,
	// created when missing. AuditAnchor is the file chain heads are
	// appended to ("" = DATA/audit-anchor.log), renamed to FILE.N when it
	// reaches AuditAnchorRotate bytes (0 = 8 MiB).
	AuditKeyFile      string
	AuditAnchor       string
	AuditAnchorRotate int64
	// Clock replaces time.Now for tokens, sessions and two-factor checks
	// (tests move it forward); nil means the real clock.
	Clock func() time.Time
	// MaxUpload bounds one file uploaded to a device (0 = 8 GiB).
	MaxUpload int64
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
