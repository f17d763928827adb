// Package tlspin is the one pinned-TLS check Steward's agent, CLI,
// installer and server share. A pin names what may stand for the server:
//
//   - spki:HEX, the SHA-256 of the server's own public key
//     (SubjectPublicKeyInfo): only a leaf with that key is accepted,
//     whatever signed it and whatever names it holds;
//   - ca:HEX, the SHA-256 of a CA certificate (DER): the server's chain
//     must verify up to that certificate, with the serverAuth usage, for
//     the host name the client dialled. The OS trust store plays no part.
//
// A bare 64-hex fingerprint (what Steward printed before pins were typed)
// reads as a CA pin. Several pins may be held at once (rotation): a server
// matching any one of them is accepted.
package tlspin

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Kind says what a pin names.
type Kind int

// The kinds of pin.
const (
	KindCA   Kind = iota + 1 // a CA certificate, plus the server's host name
	KindSPKI                 // the server's own public key
)

// Pin is one pinned SHA-256.
type Pin struct {
	Kind Kind
	Hash [sha256.Size]byte
}

// String is the pin's canonical text: "ca:HEX" or "spki:HEX".
func (p Pin) String() string {
	k := "ca"
	if p.Kind == KindSPKI {
		k = "spki"
	}
	return k + ":" + hex.EncodeToString(p.Hash[:])
}

// Hex is the pinned hash in lower-case hex.
func (p Pin) Hex() string { return hex.EncodeToString(p.Hash[:]) }

// Base64 is the pinned hash in standard base64, as curl's
// --pinnedpubkey sha256//… takes it.
func (p Pin) Base64() string { return base64.StdEncoding.EncodeToString(p.Hash[:]) }

// CertPin is the CA pin of a DER certificate.
func CertPin(der []byte) Pin { return Pin{Kind: KindCA, Hash: sha256.Sum256(der)} }

// KeyPin is the SPKI pin of a certificate's public key.
func KeyPin(c *x509.Certificate) Pin {
	return Pin{Kind: KindSPKI, Hash: sha256.Sum256(c.RawSubjectPublicKeyInfo)}
}

// NormalizeFingerprint returns a SHA-256 fingerprint as 64 lower-case hex
// characters. It accepts any case, colons, dashes and spaces between the
// digits, and an optional "sha256:" prefix; anything else, or a wrong
// length, is an error.
func NormalizeFingerprint(s string) (string, error) {
	t := strings.TrimSpace(s)
	if len(t) >= 7 && strings.EqualFold(t[:7], "sha256:") {
		t = t[7:]
	}
	t = strings.ToLower(strings.NewReplacer(":", "", "-", "", " ", "").Replace(t))
	if len(t) != 2*sha256.Size {
		return "", fmt.Errorf("tlspin: a SHA-256 fingerprint has 64 hex digits, got %d characters", len(t))
	}
	if _, err := hex.DecodeString(t); err != nil {
		return "", errors.New("tlspin: a SHA-256 fingerprint is hex digits (0-9, a-f)")
	}
	return t, nil
}

// ParsePin reads one pin: "spki:HEX", "ca:HEX" or a bare HEX (a CA pin).
// HEX is read by NormalizeFingerprint.
func ParsePin(s string) (Pin, error) {
	t := strings.TrimSpace(s)
	kind := KindCA
	// "CA:FE:…" is a colon-separated fingerprint, not a "ca:" prefix.
	if h, err := NormalizeFingerprint(t); err == nil {
		t = h
	} else if k, rest, ok := strings.Cut(t, ":"); ok {
		switch strings.ToLower(k) {
		case "spki":
			kind, t = KindSPKI, rest
		case "ca":
			t = rest
		}
	}
	h, err := NormalizeFingerprint(t)
	if err != nil {
		return Pin{}, err
	}
	p := Pin{Kind: kind}
	_, _ = hex.Decode(p.Hash[:], []byte(h))
	return p, nil
}

// ParsePins reads a comma-separated list of pins; it must hold at least one.
func ParsePins(s string) ([]Pin, error) {
	var out []Pin
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		p, err := ParsePin(f)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, errors.New("tlspin: no pin given")
	}
	return out, nil
}

// Format writes pins as ParsePins reads them.
func Format(pins []Pin) string {
	s := make([]string, len(pins))
	for i, p := range pins {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// HostOf returns the host name (or address, without brackets) of an
// https:// URL, the name a CA pin is checked against.
func HostOf(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("tlspin: %q is not a URL with a host", rawURL)
	}
	return u.Hostname(), nil
}

// Verifier checks a server's certificate chain against pins.
type Verifier struct {
	Pins []Pin
	// ServerName is the host name or IP address the client dialled; CA
	// pins require the leaf to be valid for it.
	ServerName string
	// AnyName skips the host name check for CA pins. Only for a CA whose
	// key no one but this one server holds (see agent/identity).
	AnyName bool
}

// Verify accepts chain (leaf first, as the server sent it) when one pin
// matches: an SPKI pin the leaf's key, a CA pin a certificate of the chain
// that the leaf verifies up to, for ServerName, with serverAuth.
func (v Verifier) Verify(chain []*x509.Certificate) error {
	if len(chain) == 0 {
		return errors.New("tlspin: the server presented no certificate")
	}
	if len(v.Pins) == 0 {
		return errors.New("tlspin: no pin to check the server against")
	}
	leaf := chain[0]
	var why []string
	for _, p := range v.Pins {
		switch p.Kind {
		case KindSPKI:
			if sha256.Sum256(leaf.RawSubjectPublicKeyInfo) == p.Hash {
				return nil
			}
			why = append(why, p.String()+": not the server's key")
		case KindCA:
			err := v.verifyCA(chain, p)
			if err == nil {
				return nil
			}
			why = append(why, p.String()+": "+err.Error())
		default:
			why = append(why, "unknown pin kind")
		}
	}
	return fmt.Errorf("tlspin: the server certificate matches no pin (%s)", strings.Join(why, "; "))
}

func (v Verifier) verifyCA(chain []*x509.Certificate, p Pin) error {
	var anchor *x509.Certificate
	inter := x509.NewCertPool()
	for _, c := range chain {
		if sha256.Sum256(c.Raw) == p.Hash {
			anchor = c
		} else {
			inter.AddCert(c)
		}
	}
	if anchor == nil {
		return errors.New("that CA is not in the server's chain")
	}
	name := strings.Trim(v.ServerName, "[]")
	if name == "" && !v.AnyName {
		return errors.New("no server name to check the certificate against")
	}
	if v.AnyName {
		name = ""
	}
	roots := x509.NewCertPool()
	roots.AddCert(anchor)
	if _, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: name,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return err
	}
	return nil
}

// ClientConfig is a TLS client configuration that accepts the server only
// as Verifier v does. Go's own verification is replaced, not added to:
// the OS trust store plays no part.
func ClientConfig(v Verifier) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			return v.Verify(cs.PeerCertificates)
		},
	}
}
