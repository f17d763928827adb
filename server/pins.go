package server

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/steward-rmm/steward/server/pki"
	"github.com/steward-rmm/steward/tlspin"
)

// serverTLS is the certificate the listeners present and what agents pin
// it by (package tlspin):
//
//   - the self-made certificate (no --tls-cert): the Steward CA, whose key
//     only this server holds, plus the host name the agent dials;
//   - --tls-cert: the server's own public key (SPKI), so no other
//     certificate from the same CA can stand in for it;
//   - --tls-cert with --pin-ca FILE: the CA(s) in FILE plus the host name.
//
// The welcome message also carries --next-pin, so agents learn the pin
// of the next certificate before it is put in place.
type serverTLS struct {
	cert   tls.Certificate
	pins   []tlspin.Pin // current: install scripts and the printed pin
	next   []tlspin.Pin // advertised as well (rotation)
	anchor []byte       // DER of the first pinned CA (/install/ca.pem); nil for an SPKI pin
}

// loadTLS loads or makes the server certificate and works out the pins.
func loadTLS(cfg Config, ca *pki.CA) (*serverTLS, error) {
	st := &serverTLS{}
	if cfg.PinCA != "" && cfg.TLSCert == "" {
		return nil, errors.New("--pin-ca needs --tls-cert: the self-made certificate is pinned by its own CA")
	}
	if cfg.TLSCert == "" {
		cert, err := ca.ServerCertificate(cfg.DataDir, certHosts(cfg))
		if err != nil {
			return nil, err
		}
		st.cert, st.pins, st.anchor = cert, []tlspin.Pin{tlspin.CertPin(ca.Cert.Raw)}, ca.Cert.Raw
	} else {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("load --tls-cert/--tls-key: %w", err)
		}
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		if err != nil {
			return nil, fmt.Errorf("--tls-cert: %w", err)
		}
		st.cert = cert
		if cfg.PinCA == "" {
			st.pins = []tlspin.Pin{tlspin.KeyPin(leaf)}
		} else if err := st.pinCAs(cfg.PinCA, leaf); err != nil {
			return nil, err
		}
	}
	if len(cfg.NextPins) > 0 {
		next, err := tlspin.ParsePins(strings.Join(cfg.NextPins, ","))
		if err != nil {
			return nil, fmt.Errorf("--next-pin: %w", err)
		}
		st.next = next
	}
	return st, nil
}

// pinCAs pins the CA certificates in file. Each must be one the server
// certificate chains up to, and each is added to the chain the server
// presents when missing, so agents can find the CA they pin.
func (st *serverTLS) pinCAs(file string, leaf *x509.Certificate) error {
	cas, err := readCertificates(file)
	if err != nil {
		return fmt.Errorf("--pin-ca: %w", err)
	}
	inter := x509.NewCertPool()
	for _, der := range st.cert.Certificate[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			inter.AddCert(c)
		}
	}
	for _, c := range cas {
		roots := x509.NewCertPool()
		roots.AddCert(c)
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			return fmt.Errorf("--pin-ca: the --tls-cert certificate does not chain up to %q: %w", c.Subject.CommonName, err)
		}
		if !slices.ContainsFunc(st.cert.Certificate, func(der []byte) bool { return string(der) == string(c.Raw) }) {
			st.cert.Certificate = append(st.cert.Certificate, c.Raw)
		}
		st.pins = append(st.pins, tlspin.CertPin(c.Raw))
	}
	st.anchor = cas[0].Raw
	return nil
}

// advertised is what welcome tells agents to pin: current and next.
func (st *serverTLS) advertised() []string {
	var out []string
	for _, p := range append(slices.Clone(st.pins), st.next...) {
		if !slices.Contains(out, p.String()) {
			out = append(out, p.String())
		}
	}
	return out
}

// readCertificates reads every certificate of a PEM file.
func readCertificates(file string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return out, nil
}

// Pins returns what agents pin now, as steward-server prints it: the pins
// of the configured certificate (see serverTLS), computed without
// starting a server.
func Pins(cfg Config) (string, error) {
	cfg.Defaults()
	if cfg.TLSCert == "" && cfg.PinCA == "" {
		ca, _, err := pki.LoadOrCreateCA(cfg.DataDir)
		if err != nil {
			return "", err
		}
		return tlspin.CertPin(ca.Cert.Raw).String(), nil
	}
	st, err := loadTLS(cfg, nil)
	if err != nil {
		return "", err
	}
	return tlspin.Format(st.pins), nil
}

// certHosts are the names the self-made server certificate must hold:
// every name agents and browsers may be told to dial.
func certHosts(cfg Config) []string {
	hosts := append([]string{"localhost", "127.0.0.1", "::1"}, cfg.Hostnames...)
	if h, err := os.Hostname(); err == nil {
		hosts = append(hosts, h)
	}
	for _, l := range []string{cfg.Listen, cfg.AgentListen} {
		if host, _, err := net.SplitHostPort(l); err == nil && host != "" && !isWildcard(host) {
			hosts = append(hosts, host)
		}
	}
	if h, err := tlspin.HostOf(cfg.PublicURL); err == nil {
		hosts = append(hosts, h)
	}
	return hosts
}
