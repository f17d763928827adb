package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/steward-rmm/steward/server/events"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/hub"
	"github.com/steward-rmm/steward/server/pki"
	"github.com/steward-rmm/steward/server/store"
)

// Server is one running control server.
type Server struct {
	cfg   Config
	log   *slog.Logger
	st    *store.DB
	ca    *pki.CA
	fleet *fleet.Fleet
	hub   *hub.Hub
	bus   *events.Bus
	jobs  *jobService
	shell *shellRelay
	auth  *authService
	fp    string // pinned fingerprint agents use
	cert  tls.Certificate

	// Addr is the bound API address once listening.
	addrMu sync.Mutex
	addr   string
	ready  chan struct{}
	http   *http.Server
	now    func() time.Time
	metric *metrics
	limit  *limiter
	conns  *opConns
	anchor *auditAnchor // audit chain heads, written outside the database
}

// New prepares a server: opens the store, loads or creates the CA and
// certificates and the first admin. It does not listen yet.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	cfg.Defaults()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	s := &Server{cfg: cfg, log: log, bus: events.New(), ready: make(chan struct{}), now: time.Now}
	if cfg.Clock != nil {
		s.now = cfg.Clock
	}
	ca, created, err := pki.LoadOrCreateCA(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	s.ca = ca
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("load --tls-cert/--tls-key: %w", err)
		}
		s.cert = cert
		s.fp, err = pki.FileFingerprint(cfg.TLSCert)
		if err != nil {
			return nil, err
		}
	} else {
		hosts := append([]string{"localhost", "127.0.0.1", "::1"}, cfg.Hostnames...)
		if h, err := os.Hostname(); err == nil {
			hosts = append(hosts, h)
		}
		if host, _, err := net.SplitHostPort(cfg.Listen); err == nil && host != "" && host != "0.0.0.0" && host != "::" {
			hosts = append(hosts, host)
		}
		s.cert, err = ca.ServerCertificate(cfg.DataDir, hosts)
		if err != nil {
			return nil, err
		}
		s.fp = pki.Fingerprint(ca.Cert.Raw)
	}
	if created {
		log.Info("created certificate authority", "fingerprint", s.fp)
	}
	s.st, err = store.Open(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if err := s.openAuditChain(); err != nil {
		s.st.Close()
		return nil, err
	}
	s.fleet, err = fleet.New(s.st, s.bus)
	if err != nil {
		s.st.Close()
		return nil, fmt.Errorf("load devices: %w", err)
	}
	s.metric = newMetrics(s)
	s.hub = hub.New(&agentHandler{s: s}, log, s.staleAfter())
	s.jobs = newJobService(s)
	s.shell = newShellRelay(s)
	s.auth = newAuthService(s)
	s.limit = newLimiter()
	s.conns = newOpConns()
	if err := s.auth.bootstrap(); err != nil {
		s.st.Close()
		return nil, err
	}
	s.shell.auditSettings()
	return s, nil
}

// staleAfter is how long an agent may be silent before it counts as gone:
// 1.75 heartbeat intervals (heartbeats are jittered by at most 10 %, and a
// busy device needs slack, or a loaded fleet cascades into reconnects), and
// the sweeper runs every eighth of an interval, so a silent device is
// offline within two intervals.
func (s *Server) staleAfter() time.Duration {
	return s.cfg.Heartbeat * 7 / 4
}

// Fingerprint is the SHA-256 fingerprint agents pin.
func (s *Server) Fingerprint() string { return s.fp }

// Addr returns the listening address (after Ready).
func (s *Server) Addr() string {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	return s.addr
}

// Ready is closed once the server listens.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Store exposes the store (tests, tools).
func (s *Server) Store() *store.DB { return s.st }

// ticketKey loads (creating) the session ticket key, so agents resume
// their TLS sessions across server restarts instead of all doing full
// handshakes at once.
func (s *Server) ticketKey() ([32]byte, error) {
	var k [32]byte
	p := filepath.Join(s.cfg.DataDir, "ticket.key")
	b, err := os.ReadFile(p)
	if err == nil && len(b) == 32 {
		copy(k[:], b)
		return k, nil
	}
	if _, err := rand.Read(k[:]); err != nil {
		return k, err
	}
	return k, os.WriteFile(p, k[:], 0o600)
}

// TLSConfig builds the listener's TLS configuration: agents present client
// certificates signed by our CA; browsers and the CLI present none.
func (s *Server) TLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(s.ca.Cert)
	cfg := s.tlsConfig(pool)
	if k, err := s.ticketKey(); err == nil {
		cfg.SetSessionTicketKeys([][32]byte{k})
	} else {
		s.log.Warn("session ticket key", "err", err)
	}
	return cfg
}

func (s *Server) tlsConfig(pool *x509.CertPool) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{s.cert},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
		// X25519 first: a reconnect storm of 20,000 handshakes is CPU-bound,
		// and the hybrid post-quantum exchange costs several times more.
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256},
	}
}

// Run serves until ctx is cancelled.
func (s *Server) Run(ctx context.Context) error {
	defer s.anchor.close()
	defer s.st.Close()
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Listen, err)
	}
	s.addrMu.Lock()
	s.addr = ln.Addr().String()
	s.addrMu.Unlock()
	tl := newHandshakeLimiter(ln, s.TLSConfig(), s.cfg.MaxHandshakes, s.metric)
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	var wg sync.WaitGroup
	bg, stop := context.WithCancel(ctx)
	defer stop()
	wg.Add(3)
	go func() { defer wg.Done(); s.presenceLoop(bg) }()
	go func() { defer wg.Done(); s.jobs.loop(bg) }()
	go func() { defer wg.Done(); s.shell.retentionLoop(bg) }()
	if s.cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", s.cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen metrics %s: %w", s.cfg.MetricsAddr, err)
		}
		ms := &http.Server{Handler: s.metric.handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = ms.Serve(mln) }()
		defer ms.Close()
	}
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(tl) }()
	close(s.ready)
	s.log.Info("listening", "addr", s.Addr(), "fingerprint", s.fp)
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			stop()
			wg.Wait()
			s.jobs.stop()
			return fmt.Errorf("serve: %w", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.http.Shutdown(sctx)
	s.hub.CloseAll("server shutting down")
	s.shell.closeAll("server shutting down")
	stop()
	wg.Wait()
	s.jobs.stop()
	if err := s.fleet.FlushAll(); err != nil {
		s.log.Error("final presence flush", "err", err)
	}
	return nil
}

// presenceLoop sweeps stale connections and flushes presence on shared
// tickers: no timer per connection, no transaction per heartbeat.
func (s *Server) presenceLoop(ctx context.Context) {
	sweep := time.NewTicker(max(s.cfg.Heartbeat/8, 100*time.Millisecond))
	flush := time.NewTicker(s.cfg.PresenceFlush)
	defer sweep.Stop()
	defer flush.Stop()
	// Last-seen times alone are written every 5 min (and at shutdown): a
	// kill -9 loses at most that much of "last seen" for devices that were
	// online, which a restarted server shows as offline anyway.
	every := max(1, int(5*time.Minute/max(s.cfg.PresenceFlush, time.Second)))
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case now := <-sweep.C:
			s.hub.Sweep(now)
		case <-flush.C:
			t0 := time.Now()
			flush := s.fleet.Flush
			if n%every == 0 {
				flush = s.fleet.FlushAll
			}
			if err := flush(); err != nil {
				s.log.Error("presence flush", "err", err)
			}
			s.metric.storeWrite.Observe(time.Since(t0).Seconds())
		}
	}
}

var idEnc = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// newID returns a prefixed, time-ordered, random ID: prefix_TTTTTTTTRRRRRRRRRRRR.
func newID(prefix string) string {
	var b [15]byte
	now := uint64(time.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(now)
		now >>= 8
	}
	if _, err := rand.Read(b[6:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return prefix + "_" + idEnc.EncodeToString(b[:])
}

// newSecret returns a random token secret with a readable prefix.
func newSecret(prefix string) string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return prefix + "_" + idEnc.EncodeToString(b[:])
}

func writeSecretFile(dir, name, content string) error {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.TrimSpace(content)+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return os.Chmod(p, 0o600)
}
