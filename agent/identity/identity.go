// Package identity holds the agent's enrolled identity: its key pair (made
// on the device; the private key never leaves it), its client certificate,
// the server URL and the server pins (package tlspin). It also performs
// enrollment and builds the pinned TLS configuration.
package identity

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/steward-rmm/steward/agent/internal/atomicfile"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/tlspin"
)

// File names in the config directory.
const (
	ConfigFile = "agent.json"
	KeyFile    = "agent.key"
	CertFile   = "agent.crt"
)

// Config is the persisted identity.
type Config struct {
	Server   string `json:"server"`
	DeviceID string `json:"device_id"`
	ClientID string `json:"client_id"`
	// Fingerprint is the pin of identities enrolled before pins were
	// typed (a CA certificate's SHA-256); see TLSConfig.
	Fingerprint string `json:"ca_fingerprint,omitempty"`
	// Pins are what the server is pinned by (tlspin: "spki:HEX" or
	// "ca:HEX"); when set, Fingerprint is ignored.
	Pins []string `json:"pins,omitempty"`
	// UpdateKey is the pinned ed25519 public key (hex) releases are signed
	// with; empty disables self-update.
	UpdateKey string `json:"update_key,omitempty"`
}

// Identity is a loaded, enrolled identity.
type Identity struct {
	Dir    string
	Config Config // Config.Pins is written under mu (AdoptPins)
	Cert   tls.Certificate
	mu     sync.Mutex
	memo   verifyMemo // the last server chain that passed (verifymemo.go)
}

// ErrNotEnrolled is returned by Load when the directory holds no identity.
var ErrNotEnrolled = errors.New("agent is not enrolled (run steward-agent enroll or install first)")

// TLSConfig is the pinned TLS configuration for connections to serverURL
// (the URL actually dialled: its host is what CA pins are checked
// against), presenting the agent's client certificate.
//
// Pins written at enrollment or adopted from the server (Config.Pins) are
// checked strictly (see tlspin). An identity from before pins were typed
// holds only ca_fingerprint, the SHA-256 of a CA certificate: it is read
// as a CA pin with the host name checked, except when that CA is the one
// that signed this agent's own certificate. That is the server's own
// Steward CA, whose key only that server holds, so the host name adds
// nothing there and agents that dial a name missing from the server's
// certificate keep working.
//
// The pins are read at each handshake, so pins adopted later (AdoptPins)
// apply to configurations made before.
func (id *Identity) TLSConfig(serverURL string) (*tls.Config, error) {
	host, err := tlspin.HostOf(serverURL)
	if err != nil {
		return nil, err
	}
	if _, _, err := id.pins(); err != nil {
		return nil, err
	}
	var own *x509.Certificate
	if len(id.Cert.Certificate) > 0 {
		own, _ = x509.ParseCertificate(id.Cert.Certificate[0])
	}
	cfg := tlspin.ClientConfig(tlspin.Verifier{})
	cfg.Certificates = []tls.Certificate{id.Cert}
	// The agent dials one server: X25519 alone (which the server prefers)
	// spares each attempt of a reconnect storm the post-quantum key share
	// Go would otherwise generate and send.
	cfg.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		pins, legacy, err := id.pins()
		if err != nil {
			return err
		}
		key := memoKey(host, pins, legacy, cs.PeerCertificates)
		return id.memo.verify(key, cs.PeerCertificates, func() error {
			err := tlspin.Verifier{Pins: pins, ServerName: host}.Verify(cs.PeerCertificates)
			if err == nil || !legacy || own == nil {
				return err
			}
			for _, c := range cs.PeerCertificates {
				if tlspin.CertPin(c.Raw) == pins[0] && own.CheckSignatureFrom(c) == nil {
					return tlspin.Verifier{Pins: pins, AnyName: true}.Verify(cs.PeerCertificates)
				}
			}
			return err
		})
	}
	return cfg, nil
}

// pins returns the stored pins; legacy means the one ca_fingerprint of
// an identity from before typed pins.
func (id *Identity) pins() (pins []tlspin.Pin, legacy bool, err error) {
	id.mu.Lock()
	c := id.Config
	id.mu.Unlock()
	if len(c.Pins) > 0 {
		pins, err = tlspin.ParsePins(strings.Join(c.Pins, ","))
		if err != nil {
			return nil, false, fmt.Errorf("identity: stored pins: %w", err)
		}
		return pins, false, nil
	}
	pin, err := tlspin.ParsePin(c.Fingerprint)
	if err != nil {
		return nil, false, fmt.Errorf("identity: stored ca_fingerprint: %w", err)
	}
	return []tlspin.Pin{pin}, true, nil
}

// AdoptPins replaces the stored pins with the ones the server advertised
// over a connection the current pins accepted (cs), when they differ and
// they accept that same connection too, so an agent never adopts pins
// that would lock it out. It reports whether the pins changed.
func (id *Identity) AdoptPins(advertised []string, cs tls.ConnectionState, serverURL string) (bool, error) {
	pins, err := tlspin.ParsePins(strings.Join(advertised, ","))
	if err != nil {
		return false, err
	}
	next := strings.Split(tlspin.Format(pins), ",")
	id.mu.Lock()
	defer id.mu.Unlock()
	if slices.Equal(next, id.Config.Pins) {
		return false, nil
	}
	host, err := tlspin.HostOf(serverURL)
	if err != nil {
		return false, err
	}
	if err := (tlspin.Verifier{Pins: pins, ServerName: host}).Verify(cs.PeerCertificates); err != nil {
		return false, fmt.Errorf("the server's advertised pins do not accept its own certificate for %s: %w", host, err)
	}
	c := id.Config
	c.Pins = next
	if err := Save(id.Dir, c); err != nil {
		return false, err
	}
	id.Config.Pins = next
	return true, nil
}

// PinString is what the identity pins, as tlspin.ParsePins reads it.
func (c Config) PinString() string {
	if len(c.Pins) > 0 {
		return strings.Join(c.Pins, ",")
	}
	return c.Fingerprint
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
	Dir    string
	Server string
	Token  string
	// Fingerprint is the server pin: "spki:HEX", "ca:HEX" or a bare CA
	// fingerprint, several comma-separated (see tlspin.ParsePins).
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
	pins, err := tlspin.ParsePins(o.Fingerprint)
	if err != nil {
		return nil, fmt.Errorf("server pin (--pin): %w", err)
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
		hc = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			TLSClientConfig: tlspin.ClientConfig(tlspin.Verifier{Pins: pins, ServerName: u.Hostname()})}}
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
	c := Config{Server: strings.TrimRight(o.Server, "/"), DeviceID: er.DeviceID, ClientID: er.ClientID,
		Pins: strings.Split(tlspin.Format(pins), ",")}
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

// writeFile replaces path atomically with the given mode.
func writeFile(path string, b []byte, mode os.FileMode) error {
	if err := atomicfile.Write(path, b, mode); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	return nil
}
