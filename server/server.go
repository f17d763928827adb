package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"github.com/steward-rmm/steward/server/agentcall"
	"github.com/steward-rmm/steward/server/toolbox"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/steward-rmm/steward/server/accounts"
	"github.com/steward-rmm/steward/server/agentlink"
	"github.com/steward-rmm/steward/server/alerts"
	"github.com/steward-rmm/steward/server/assets"
	"github.com/steward-rmm/steward/server/attachments"
	"github.com/steward-rmm/steward/server/audit"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/automation"
	"github.com/steward-rmm/steward/server/clients"
	"github.com/steward-rmm/steward/server/consent"
	"github.com/steward-rmm/steward/server/contracts"
	"github.com/steward-rmm/steward/server/devices"
	"github.com/steward-rmm/steward/server/events"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/helpdesk"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/hub"
	"github.com/steward-rmm/steward/server/install"
	"github.com/steward-rmm/steward/server/invoices"
	"github.com/steward-rmm/steward/server/jobs"
	"github.com/steward-rmm/steward/server/mail"
	"github.com/steward-rmm/steward/server/notify"
	"github.com/steward-rmm/steward/server/pki"
	"github.com/steward-rmm/steward/server/portal"
	"github.com/steward-rmm/steward/server/scripts"
	"github.com/steward-rmm/steward/server/shell"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
	"github.com/steward-rmm/steward/server/tickets"
	"github.com/steward-rmm/steward/server/updates"
	"github.com/steward-rmm/steward/server/vault"
	"github.com/steward-rmm/steward/tlspin"
)

// Server is one running control server.
type Server struct {
	cfg      Config
	log      *slog.Logger
	st       store.Store
	ca       *pki.CA
	fleet    *fleet.Fleet
	hub      *hub.Hub
	bus      *events.Bus
	jobs     *jobs.Wing
	shell    *shell.Wing
	accounts *accounts.Wing
	devices  *devices.Wing
	link     *agentlink.Wing

	install *install.Wing
	updates *updates.Wing
	audit   *audit.Wing
	scripts *scripts.Wing
	notify  *notify.Wing
	mail    *mail.Sender
	clients *clients.Wing
	alerts  *alerts.Wing
	vault   *vault.Wing
	attach  *attachments.Wing
	assets  *assets.Wing
	tickets *tickets.Wing
	// vaultKey is the vault's master key (nil: vaultOff says why).
	vaultKey *vault.MasterKey
	vaultOff string
	calls    *agentcall.Caller // toolbox calls to agents (base, not a wing)
	toolbox  *toolbox.Wing
	portal   *portal.Wing // the customer portal
	auto     *automation.Wing
	contract *contracts.Wing
	invoices *invoices.Wing
	helpdesk *helpdesk.Wing
	consent  *consent.Wing

	// Addr is the bound API address once listening. addrMu guards addr,
	// agentAddr and pubURL; lock order: a leaf.
	addrMu sync.Mutex
	addr   string
	ready  chan struct{}
	http   *http.Server
	now    func() time.Time
	metric *metrics
	conns  *httpx.Conns
	alog   *auditlog.Log // the audit log, its key and anchor outside the database

	tls       *serverTLS  // certificate and pins (pins.go)
	start     *startClock // times the start-up (startup.go)
	agentAddr string      // bound --agent-listen address, under addrMu
	pubURL    string      // how devices reach the server (publicurl.go), under addrMu
}

// New prepares a server: opens the store, loads or creates the CA and
// certificates and the first admin. It does not listen yet.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	cfg.Defaults()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	s := &Server{cfg: cfg, log: log, bus: events.New(), ready: make(chan struct{}), now: time.Now, start: newStartClock()}
	if cfg.Clock != nil {
		s.now = cfg.Clock
	}
	ca, created, err := pki.LoadOrCreateCA(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	s.ca = ca
	if err := checkPublicURL(cfg.PublicURL); err != nil {
		return nil, err
	}
	if err := clients.CheckRegion(cfg.DefaultPhoneRegion); err != nil {
		return nil, err
	}
	if s.tls, err = loadTLS(cfg, ca); err != nil {
		return nil, err
	}
	if created {
		log.Info("created certificate authority", "pin", s.Fingerprint())
	}
	s.start.mark("certificates")
	s.st, err = boltstore.Open(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	s.start.mark("store")
	s.alog, err = auditlog.Open(auditlog.Config{DataDir: cfg.DataDir, KeyFile: cfg.AuditKeyFile, Anchor: cfg.AuditAnchor,
		AnchorRotate: cfg.AuditAnchorRotate, TrustedProxies: cfg.TrustedProxies},
		auditlog.Deps{Store: s.st, DeviceClient: s.deviceClient, Now: s.now, Log: log})
	if err != nil {
		s.st.Close()
		return nil, err
	}
	s.start.mark("audit")
	s.fleet, err = fleet.New(s.st, s.bus)
	if err != nil {
		s.st.Close()
		return nil, fmt.Errorf("load devices: %w", err)
	}
	s.start.mark("devices")
	s.metric = newMetrics(s)
	s.hub = hub.New(hubHandler{s}, log, s.staleAfter())
	s.conns = httpx.NewConns()
	if s.mail, err = mail.New(cfg.Mail); err != nil {
		s.st.Close()
		return nil, err
	}
	if s.vaultKey, s.vaultOff, err = vaultKey(&cfg); err != nil {
		s.st.Close()
		return nil, err
	}
	s.buildWings(cfg, log)
	s.start.mark("wings")
	if err := s.accounts.Bootstrap(); err != nil {
		s.st.Close()
		return nil, err
	}
	s.shell.AuditSettings()
	s.start.mark("accounts")
	if err := s.alerts.Start(); err != nil {
		s.st.Close()
		return nil, fmt.Errorf("load monitoring: %w", err)
	}
	s.start.mark("alerts")
	return s, nil
}

// deviceClient is the client of a known device (for the audit log).
func (s *Server) deviceClient(id string) (string, bool) {
	d, _, ok := s.fleet.Device(id)
	return d.ClientID, ok
}

// staleAfter is how long an agent may be silent before it counts as gone:
// 1.75 heartbeat intervals (heartbeats are jittered by at most 10 %, and a
// busy device needs slack, or a loaded fleet cascades into reconnects), and
// the sweeper runs every eighth of an interval, so a silent device is
// offline within two intervals.
func (s *Server) staleAfter() time.Duration {
	return s.cfg.Heartbeat * 7 / 4
}

// Fingerprint is what agents pin, as tlspin.ParsePins reads it (ca:HEX
// or spki:HEX; see pins.go).
func (s *Server) Fingerprint() string { return tlspin.Format(s.tls.pins) }

// AgentAddr returns the bound --agent-listen address ("" without one).
func (s *Server) AgentAddr() string {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	return s.agentAddr
}

// Addr returns the listening address (after Ready).
func (s *Server) Addr() string {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	return s.addr
}

// Ready is closed once the server listens.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Store exposes the store (tests, tools).
func (s *Server) Store() store.Store { return s.st }

// TLSConfig builds the listener's TLS configuration: agents present client
// certificates signed by our CA; browsers and the CLI present none. Its
// session ticket keys come from the data folder (ticketkeys.go).
func (s *Server) TLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(s.ca.Cert)
	cfg := s.tlsConfig(pool)
	s.setTicketKeys(cfg)
	return cfg
}

func (s *Server) tlsConfig(pool *x509.CertPool) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{s.tls.cert},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
		// X25519 first: a reconnect storm of 20,000 handshakes is CPU-bound,
		// and the hybrid post-quantum exchange costs several times more.
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256},
	}
}
