// Command steward-server runs the Steward control server.
//
//	steward-server --data DIR --listen ADDR [--agent-listen ADDR]
//	steward-server pin --data DIR [--tls-cert FILE --tls-key FILE [--pin-ca FILE]]
//	steward-server vault gen-key --out FILE [--data DIR]
//	steward-server vault rotate-key --data DIR --old FILE --new FILE
//
// pin prints what agents, install scripts and stewardctl pin the server
// by (ca-fingerprint is its old name).
package main

import (
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/steward-rmm/steward/server"
	"github.com/steward-rmm/steward/server/pki"
)

var version = "dev"

func main() {
	args := os.Args[1:]
	if len(args) > 0 && (args[0] == "pin" || args[0] == "ca-fingerprint") {
		fs := flag.NewFlagSet(args[0], flag.ExitOnError)
		var cfg server.Config
		fs.StringVar(&cfg.DataDir, "data", "data", "data directory")
		fs.StringVar(&cfg.TLSCert, "tls-cert", "", "operator certificate chain: its key is pinned (SPKI)")
		fs.StringVar(&cfg.TLSKey, "tls-key", "", "private key for --tls-cert")
		fs.StringVar(&cfg.PinCA, "pin-ca", "", "with --tls-cert: pin these CA certificates (PEM) and the host name instead")
		_ = fs.Parse(args[1:])
		if err := printPin(cfg, args[0] == "ca-fingerprint"); err != nil {
			fmt.Fprintln(os.Stderr, "steward-server:", err)
			os.Exit(1)
		}
		return
	}
	if len(args) > 0 && args[0] == "vault" {
		if err := vaultCommand(args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "steward-server vault:", err)
			os.Exit(1)
		}
		return
	}
	fs := flag.NewFlagSet("steward-server", flag.ExitOnError)
	var cfg server.Config
	var hosts, proxies, level, nextPins string
	fs.StringVar(&cfg.DataDir, "data", "data", "data directory (database, CA, keys)")
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:8443", "HTTPS listen address for the API and dashboard (and agents, without --agent-listen)")
	fs.StringVar(&cfg.AgentListen, "agent-listen", "", "separate HTTPS listen address for agents, enrollment and install scripts (then not served on --listen)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "use this certificate chain (PEM) instead of the self-made one; agents pin its key")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "private key for --tls-cert")
	fs.StringVar(&cfg.PinCA, "pin-ca", "", "with --tls-cert: agents pin the CA certificate(s) in this PEM file and the host name instead of the key")
	fs.StringVar(&nextPins, "next-pin", "", "comma-separated pins of the next certificate (steward-server pin prints them), told to agents for rotation")
	fs.StringVar(&hosts, "hostnames", "", "comma-separated extra names for the self-made server certificate")
	fs.StringVar(&cfg.MetricsAddr, "metrics-listen", "", "serve /metrics without auth on this separate address (e.g. 127.0.0.1:9100)")
	fs.StringVar(&cfg.PortalURL, "portal-url", "", "URL customers reach the dashboard at, for the customer portal's set-password links (default: the URL the operator used)")
	fs.StringVar(&cfg.PublicURL, "public-url", "", "URL devices use to reach this server (install commands; the --agent-listen one if set); default https://first --hostnames name or listen host:port")
	fs.StringVar(&cfg.AgentBinDir, "agent-bin-dir", "", "directory of agent binaries served to installers")
	fs.StringVar(&cfg.ReleaseDir, "release-dir", "", "signed agent releases for self-update (default DATA/releases)")
	fs.StringVar(&cfg.ReleaseKey, "release-key", "", "release public key (hex, or a file holding it); empty disables agent updates")
	fs.StringVar(&cfg.AuditKeyFile, "audit-key", "", "audit chain key file, kept out of the database (default DATA/audit.key, created when missing)")
	fs.StringVar(&cfg.AuditAnchor, "audit-anchor", "", "file audit chain heads are appended to, for shipping off the host (default DATA/audit-anchor.log)")
	fs.StringVar(&proxies, "trusted-proxies", "", "comma-separated proxy addresses whose X-Forwarded-For is trusted")
	fs.DurationVar(&cfg.Heartbeat, "heartbeat", 60*time.Second, "agent heartbeat interval")
	fs.DurationVar(&cfg.PresenceFlush, "presence-flush", 15*time.Second, "how often presence is written to disk")
	fs.Int64Var(&cfg.OutputCap, "output-cap", 1<<20, "stored output per run and stream, in bytes")
	fs.IntVar(&cfg.MaxHandshakes, "max-handshakes", 256, "concurrent TLS handshakes")
	fs.DurationVar(&cfg.HandshakeQueue, "handshake-queue", 20*time.Second, "how long a connection may wait for a TLS handshake slot")
	fs.BoolVar(&cfg.Require2FAForAdmins, "require-2fa-admins", true, "admins must use two-factor in the web dashboard")
	fs.DurationVar(&cfg.FreshTOTP, "fresh-2fa", 10*time.Minute, "how recent a two-factor check must be for shells, large jobs, admin creation and token minting")
	fs.BoolVar(&cfg.RequireApproval, "require-approval", false, "every newly enrolled device waits for a technician's approval before it receives jobs")
	fs.StringVar(&cfg.DefaultPhoneRegion, "default-phone-region", "US", "region (ISO 3166 code) of phone numbers entered without a country code")
	fs.IntVar(&cfg.LargeJob, "large-job", 50, "a job on more devices than this needs a fresh two-factor check")
	fs.BoolVar(&cfg.RecordShellInput, "record-shell-input", false, "keep technicians' keystrokes (passwords typed at prompts too) in shell recordings; audited at every start")
	fs.IntVar(&cfg.SeatsRemoteSupport, "seats-remote-support", 0, "fix the remote support technician seats (scripts, shells, power, patches, services); 0 leaves it to admins (default unlimited)")
	fs.IntVar(&cfg.SeatsServiceDesk, "seats-service-desk", 0, "fix the service desk technician seats; 0 leaves it to admins (default unlimited)")
	fs.IntVar(&cfg.DeviceLimit, "device-limit", 0, "fix the device limit (enrolled, not retired); 0 leaves it to admins (default unlimited)")
	fs.StringVar(&cfg.Mail.Host, "smtp-host", "", "SMTP server for e-mail notifications (none: e-mail channels fail until set)")
	fs.IntVar(&cfg.Mail.Port, "smtp-port", 0, "SMTP port (default 587, or 465 with --smtp-tls tls)")
	fs.StringVar(&cfg.Mail.TLS, "smtp-tls", "starttls", "SMTP encryption: starttls (required), tls (implicit, port 465) or none (a relay on this host only)")
	fs.StringVar(&cfg.Mail.User, "smtp-user", "", "SMTP user name (none: no authentication)")
	fs.StringVar(&cfg.Mail.PasswordFile, "smtp-password-file", "", "file holding the SMTP password")
	fs.StringVar(&cfg.Mail.PasswordEnv, "smtp-password-env", "", "environment variable holding the SMTP password")
	fs.StringVar(&cfg.Mail.From, "smtp-from", "", "From address of the server's e-mail")
	fs.StringVar(&cfg.Mail.CAFile, "smtp-ca", "", "PEM file of CA certificates that verify the SMTP server (default: the system's)")
	fs.DurationVar(&cfg.Notify.GroupWindow, "notify-group-window", time.Minute, "alike alert changes within this window make one notification (negative: none)")
	fs.DurationVar(&cfg.Notify.BackoffBase, "notify-retry-base", 10*time.Second, "first retry delay of a failed notification delivery (doubling up to --notify-retry-max)")
	fs.DurationVar(&cfg.Notify.BackoffMax, "notify-retry-max", 30*time.Minute, "longest delay between delivery retries")
	fs.DurationVar(&cfg.Notify.MaxAge, "notify-max-age", 24*time.Hour, "a delivery still failing after this long is dead (retry it from the deliveries list)")
	webhookCA := fs.String("notify-webhook-ca", "", "PEM file of CA certificates that verify HTTPS webhook receivers (default: the system's)")
	fs.Int64Var(&cfg.MaxUpload, "max-upload", 8<<30, "largest file a technician may upload to a device, in bytes")
	fs.DurationVar(&cfg.AutomationMinEvery, "automation-min-every", time.Minute, "the shortest interval of an automation task's \"every\" schedule (the bench shortens it to compress time)")
	fs.DurationVar(&cfg.AutomationReconcile, "automation-reconcile", 30*time.Second, "how often the automation scheduler looks for new, moved and removed devices")
	autoTZ := fs.String("automation-tz", "", "time zone (IANA name, e.g. Europe/Paris) of automation schedules and patch windows that name none, and of devices and clients without one (default: this machine's)")
	fs.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&cfg.VaultKeyFile, "vault-key-file", "", "password vault master key file (base64, mode 0600, outside --data; `steward-server vault gen-key` makes one); or STEWARD_VAULT_KEY; neither: the vault is off")
	fs.IntVar(&cfg.VaultRevealsPerMinute, "vault-reveals-per-minute", 10, "password reveals and copies each user may make a minute")
	fs.IntVar(&cfg.VaultBurstPerHour, "vault-burst-per-hour", 20, "distinct vault entries a user may reveal in an hour before it is reported (audit event vault.reveal_burst)")
	fs.BoolVar(&cfg.VaultRequireReason, "vault-require-reason", false, "every password reveal and copy must state a reason (clients can require it on their own too)")
	fs.BoolVar(&cfg.RequireConsentDefault, "require-consent", false, "new clients require the customer's consent (a grant given in the portal) for technicians' actions; each client's setting can be changed")
	fs.DurationVar(&cfg.SLASweep, "sla-sweep", 30*time.Second, "how often tickets are checked for SLA warnings and breaches (each notified once, by e-mail to the technician)")
	fs.IntVar(&cfg.SLAWarnPercent, "sla-warn-percent", 80, "warn the technician when this percentage of a ticket's SLA target is used (-1: no warnings)")
	fs.Int64Var(&cfg.AttachmentMaxSize, "attachment-max-size", 100<<20, "largest client attachment upload, in bytes (stored in DATA/attachments)")
	gcPercent := fs.Int("gc-percent", 50, "Go GC target; lower keeps less garbage per connection, higher spends less CPU")
	_ = fs.Parse(args)
	cfg.Hostnames = splitList(hosts)
	cfg.TrustedProxies = splitList(proxies)
	cfg.NextPins = splitList(nextPins)
	cfg.Version = version
	if *webhookCA != "" {
		pem, err := os.ReadFile(*webhookCA)
		cfg.Notify.WebhookCAs = x509.NewCertPool()
		if err != nil || !cfg.Notify.WebhookCAs.AppendCertsFromPEM(pem) {
			fmt.Fprintln(os.Stderr, "steward-server: --notify-webhook-ca: no PEM certificate read from", *webhookCA, err)
			os.Exit(2)
		}
	}
	if *autoTZ != "" {
		loc, err := time.LoadLocation(*autoTZ)
		if err != nil || *autoTZ == "Local" {
			fmt.Fprintf(os.Stderr, "steward-server: --automation-tz: unknown time zone %q: use an IANA name like Europe/Paris\n", *autoTZ)
			os.Exit(2)
		}
		cfg.AutomationTimeZone = loc
	}
	cfg.VaultKey = os.Getenv("STEWARD_VAULT_KEY")
	debug.SetGCPercent(*gcPercent)
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		fmt.Fprintln(os.Stderr, "steward-server: bad --log-level:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("steward-server failed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg server.Config, log *slog.Logger) error {
	_, err := os.Stat(filepath.Join(cfg.DataDir, "admin-token"))
	firstRun := os.IsNotExist(err)
	s, err := server.New(cfg, log)
	if err != nil {
		return err
	}
	if firstRun {
		// Only where the secrets are: output often ends up in log files.
		fmt.Printf("first start: admin account \"admin\"; its password and a 24-hour API token are in %s and %s (mode 0600)\n",
			filepath.Join(cfg.DataDir, "admin-password"), filepath.Join(cfg.DataDir, "admin-token"))
	}
	go func() {
		select {
		case <-s.Ready():
			// The one line operators need to enroll agents, on stdout.
			fmt.Printf("steward-server listening on https://%s\n", s.Addr())
			if a := s.AgentAddr(); a != "" {
				fmt.Printf("agents on https://%s\n", a)
			}
			fmt.Printf("Pin: %s\n", s.Fingerprint())
		case <-ctx.Done():
		}
	}()
	return s.Run(ctx)
}

// printPin prints the pin; bare prints a lone CA pin as the bare hex
// ca-fingerprint always printed (it still reads as that CA pin).
func printPin(cfg server.Config, bare bool) error {
	if cfg.TLSCert == "" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, pki.CACertFile)); err != nil {
			return fmt.Errorf("no CA in %s (start the server once first): %w", cfg.DataDir, err)
		}
	}
	pin, err := server.Pins(cfg)
	if err != nil {
		return err
	}
	if bare && !strings.Contains(pin, ",") {
		pin = strings.TrimPrefix(pin, "ca:")
	}
	fmt.Println(pin)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// vaultCommand makes a vault master key file or rotates the master key
// of a stopped server's data.
func vaultCommand(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("want gen-key or rotate-key")
	}
	fs := flag.NewFlagSet("vault "+args[0], flag.ExitOnError)
	data := fs.String("data", "data", "data directory (the key file must lie outside it)")
	switch args[0] {
	case "gen-key":
		out := fs.String("out", "", "key file to create (mode 0600; must not exist)")
		_ = fs.Parse(args[1:])
		if *out == "" {
			return fmt.Errorf("gen-key needs --out FILE")
		}
		id, err := server.GenerateVaultKey(*out, *data)
		if err != nil {
			return err
		}
		fmt.Printf("vault master key %s written to %s; keep a copy apart from the data backups: without it no vault entry can be read\n", id, *out)
		return nil
	case "rotate-key":
		oldF := fs.String("old", "", "key file of the current master key")
		newF := fs.String("new", "", "key file of the new master key (steward-server vault gen-key)")
		_ = fs.Parse(args[1:])
		if *oldF == "" || *newF == "" {
			return fmt.Errorf("rotate-key needs --old FILE and --new FILE")
		}
		n, id, err := server.RotateVaultKey(*data, *oldF, *newF)
		if err != nil {
			return err
		}
		fmt.Printf("re-wrapped %d client data keys under master key %s; start the server with --vault-key-file %s\n", n, id, *newF)
		return nil
	}
	return fmt.Errorf("unknown command %q: want gen-key or rotate-key", args[0])
}
