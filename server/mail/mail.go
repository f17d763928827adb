// Package mail sends the server's e-mail over SMTP (notifications today,
// callers' verification mails later): one Config from the server's flags,
// one Sender any wing may be given, Send(ctx, msg). It wraps
// github.com/wneessen/go-mail, which does the SMTP, TLS and MIME.
package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes of Config.TLS.
const (
	TLSStartTLS = "starttls" // plain connection upgraded by STARTTLS, which must succeed
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // no encryption: a relay on the same host only
)

// Config is the SMTP server mail goes through.
type Config struct {
	Host string
	Port int    // 0: 587, or 465 with TLSImplicit
	TLS  string // TLSStartTLS (default), TLSImplicit, TLSNone
	User string
	// Password, or PasswordFile / PasswordEnv to read it from (so it is
	// not on the command line).
	Password     string
	PasswordFile string
	PasswordEnv  string
	From         string
	// RootCAs verifies the server's certificate (nil: CAFile's, else the
	// system's); CAFile is a PEM file of CA certificates.
	RootCAs *x509.CertPool
	CAFile  string
	Timeout time.Duration // per message; 0: 30 s
}

// Message is one e-mail. Headers are extra headers (X-...).
type Message struct {
	To      []string
	Subject string
	Text    string
	Headers map[string]string
}

// ErrNotConfigured is what Send returns when no SMTP host is set.
var ErrNotConfigured = errors.New("mail: no SMTP server configured (--smtp-host)")

// Sender sends messages with one Config.
type Sender struct {
	cfg      Config
	password string
}

// New checks cfg and reads the password. A Config without Host gives a
// Sender whose Send returns ErrNotConfigured.
func New(cfg Config) (*Sender, error) {
	s := &Sender{cfg: cfg}
	if cfg.Host == "" {
		return s, nil
	}
	switch cfg.TLS {
	case "":
		s.cfg.TLS = TLSStartTLS
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, fmt.Errorf("mail: TLS mode %q: want starttls, tls or none", cfg.TLS)
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("mail: from address %q: %w", cfg.From, err)
	}
	s.password = cfg.Password
	switch {
	case cfg.PasswordFile != "":
		b, err := os.ReadFile(cfg.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("mail: password file: %w", err)
		}
		s.password = strings.TrimRight(string(b), "\r\n")
	case cfg.PasswordEnv != "":
		s.password = os.Getenv(cfg.PasswordEnv)
	}
	if s.cfg.RootCAs == nil && cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mail: CA file: %w", err)
		}
		s.cfg.RootCAs = x509.NewCertPool()
		if !s.cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mail: CA file %s holds no PEM certificate", cfg.CAFile)
		}
	}
	if s.cfg.Timeout == 0 {
		s.cfg.Timeout = 30 * time.Second
	}
	return s, nil
}

// Configured reports whether an SMTP server is set.
func (s *Sender) Configured() bool { return s != nil && s.cfg.Host != "" }

// Send delivers msg to the SMTP server (not to its recipients: that is
// the relay's job). Addresses are checked first.
func (s *Sender) Send(ctx context.Context, msg Message) error {
	if !s.Configured() {
		return ErrNotConfigured
	}
	if len(msg.To) == 0 {
		return errors.New("mail: no recipient")
	}
	m := gomail.NewMsg()
	if err := m.From(s.cfg.From); err != nil {
		return fmt.Errorf("mail: from: %w", err)
	}
	if err := m.To(msg.To...); err != nil {
		return fmt.Errorf("mail: to: %w", err)
	}
	m.Subject(msg.Subject)
	for k, v := range msg.Headers {
		m.SetGenHeader(gomail.Header(k), v)
	}
	m.SetDate()
	m.SetMessageID()
	m.SetBodyString(gomail.TypeTextPlain, msg.Text)
	c, err := gomail.NewClient(s.cfg.Host, s.options()...)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("mail: send via %s: %w", s.cfg.Host, err)
	}
	return nil
}

func (s *Sender) options() []gomail.Option {
	port := s.cfg.Port
	tc := &tls.Config{ServerName: s.cfg.Host, RootCAs: s.cfg.RootCAs, MinVersion: tls.VersionTLS12}
	opts := []gomail.Option{gomail.WithTimeout(s.cfg.Timeout), gomail.WithTLSConfig(tc)}
	switch s.cfg.TLS {
	case TLSImplicit:
		if port == 0 {
			port = 465
		}
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if port == 0 {
		port = 587
	}
	opts = append(opts, gomail.WithPort(port))
	if s.cfg.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(s.cfg.User),
			gomail.WithPassword(s.password))
	}
	return opts
}
