// Package identity holds the agent's enrolled identity: its key pair (made
// on the device; the private key never leaves it), its client certificate,
// the server URL and the pinned server CA fingerprint. It also performs
// enrollment and builds the pinned TLS configuration.
package identity

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// File names in the config directory.
const (
	ConfigFile = "agent.json"
	KeyFile    = "agent.key"
	CertFile   = "agent.crt"
)

// Config is the persisted identity.
type Config struct {
	Server      string `json:"server"`
	DeviceID    string `json:"device_id"`
	ClientID    string `json:"client_id"`
	Fingerprint string `json:"ca_fingerprint"`
	// UpdateKey is the pinned ed25519 public key (hex) releases are signed
	// with; empty disables self-update.
	UpdateKey string `json:"update_key,omitempty"`
}

// Identity is a loaded, enrolled identity.
type Identity struct {
	Dir    string
	Config Config
	Cert   tls.Certificate
}

// ErrNotEnrolled is returned by Load when the directory holds no identity.
var ErrNotEnrolled = errors.New("agent is not enrolled (run steward-agent enroll or install first)")

// NormalizeFingerprint accepts hex with or without colons, any case.
func NormalizeFingerprint(fp string) string {
	return strings.ToLower(strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(fp)))
}

// PinnedTLS returns a TLS config that accepts the server only if one
// certificate of its chain has the pinned SHA-256 fingerprint, the leaf
// chains up to that certificate and is valid for server authentication.
// The OS trust store plays no part: a certificate the OS trusts but that
// is not under the pinned CA is refused. Host names are not checked, since
// the pin already names the one CA that may sign for the server.
func PinnedTLS(fingerprint string, client *tls.Certificate) *tls.Config {
	fp := NormalizeFingerprint(fingerprint)
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by VerifyConnection below
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyPinned(cs.PeerCertificates, fp)
		},
	}
	if client != nil {
		cfg.Certificates = []tls.Certificate{*client}
	}
	return cfg
}

func verifyPinned(chain []*x509.Certificate, fp string) error {
	if len(chain) == 0 {
		return errors.New("server presented no certificate")
	}
	var anchor *x509.Certificate
	inter := x509.NewCertPool()
	for _, c := range chain {
		sum := sha256.Sum256(c.Raw)
		if hex.EncodeToString(sum[:]) == fp {
			anchor = c
		} else {
			inter.AddCert(c)
		}
	}
	if anchor == nil {
		return fmt.Errorf("server certificate chain does not contain the pinned CA %s", fp)
	}
	roots := x509.NewCertPool()
	roots.AddCert(anchor)
	if _, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return fmt.Errorf("server certificate not valid under the pinned CA: %w", err)
	}
	return nil
}

// Load reads the identity from dir.
func Load(dir string) (*Identity, error) {
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotEnrolled
	} else if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("identity: %s: %w", ConfigFile, err)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, fmt.Errorf("identity: load certificate: %w", err)
	}
	return &Identity{Dir: dir, Config: c, Cert: cert}, nil
}

// Enrolled reports whether dir holds an identity.
func Enrolled(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ConfigFile))
	return err == nil
}

// EnrollOptions are the inputs of Enroll.
type EnrollOptions struct {
	Dir         string
	Server      string
	Token       string
	Fingerprint string
	Hostname    string
	OS, Arch    string
	// MachineID is the OS's ID of this machine (inventory.MachineID); the
	// server flags a second enrollment of one machine. "" = not checked.
	MachineID  string
	HTTPClient *http.Client // for tests; nil = pinned default
}

// Enroll makes (or reuses) the device key in dir, proves the token to the
// server over pinned TLS and stores the returned identity. Re-enrolling a
// device that already has a key reuses it, so the server keeps its identity.
func Enroll(o EnrollOptions) (*Identity, error) {
	u, err := url.Parse(o.Server)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("server must be an https:// URL, got %q", o.Server)
	}
	fp := NormalizeFingerprint(o.Fingerprint)
	if len(fp) != 64 || strings.Trim(fp, "0123456789abcdef") != "" {
		return nil, errors.New("ca fingerprint must be 64 hex characters (SHA-256)")
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	_ = os.Chmod(o.Dir, 0o700)
	key, err := loadOrCreateKey(filepath.Join(o.Dir, KeyFile))
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	body, _ := json.Marshal(protocol.EnrollRequest{Token: o.Token, PublicKey: pub, Hostname: o.Hostname,
		OS: o.OS, Arch: o.Arch, MachineID: o.MachineID})
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: PinnedTLS(fp, nil)}}
	}
	var resp *http.Response
	for attempt := 0; ; attempt++ {
		resp, err = hc.Post(strings.TrimRight(o.Server, "/")+"/agent/enroll", "application/json", bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("enroll: %w", err)
		}
		// The server limits concurrent enrollments and says when to retry.
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 30 {
			resp.Body.Close()
			time.Sleep(retryAfter(resp.Header.Get("Retry-After")))
			continue
		}
		break
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(rb, &e)
		if e.Error == "" {
			e.Error = resp.Status
		}
		return nil, fmt.Errorf("enrollment refused: %s", e.Error)
	}
	var er protocol.EnrollResponse
	if err := json.Unmarshal(rb, &er); err != nil {
		return nil, fmt.Errorf("enroll: bad response: %w", err)
	}
	if err := writeFile(filepath.Join(o.Dir, CertFile), er.Certificate, 0o600); err != nil {
		return nil, err
	}
	old, _ := Load(o.Dir)
	c := Config{Server: strings.TrimRight(o.Server, "/"), DeviceID: er.DeviceID, ClientID: er.ClientID, Fingerprint: fp}
	if old != nil {
		c.UpdateKey = old.Config.UpdateKey
	}
	if err := Save(o.Dir, c); err != nil {
		return nil, err
	}
	return Load(o.Dir)
}

// Save writes the config file.
func Save(dir string, c Config) error {
	b, _ := json.MarshalIndent(c, "", "  ")
	return writeFile(filepath.Join(dir, ConfigFile), b, 0o600)
}

func retryAfter(h string) time.Duration {
	var s int
	if _, err := fmt.Sscan(h, &s); err != nil || s <= 0 || s > 300 {
		s = 2
	}
	return time.Duration(s) * time.Second
}

func loadOrCreateKey(path string) (*ecdsa.PrivateKey, error) {
	if b, err := os.ReadFile(path); err == nil {
		block, _ := pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("identity: %s is not PEM", path)
		}
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("identity: parse key: %w", err)
		}
		return k, nil
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("identity: generate key: %w", err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	if err := writeFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	return k, nil
}

// writeFile writes atomically (temp file + rename) with the given mode.
func writeFile(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("identity: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("identity: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	return nil
}
