// Package ctl is stewardctl, the technician's command line: an API client
// with pinned TLS, commands built with cobra, and output as tables (with
// device-reported text stripped of control sequences) or JSON.
package ctl

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is where and how to reach the server.
type Config struct {
	Server      string `json:"server"`
	Token       string `json:"token"`
	Fingerprint string `json:"ca_fingerprint"`
}

// ConfigPath is the saved login file.
func ConfigPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "steward", "ctl.json")
}

// LoadConfig reads the saved config; missing is not an error.
func LoadConfig(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	} else if err != nil {
		return c, err
	}
	return c, json.Unmarshal(b, &c)
}

// SaveConfig writes the config with mode 0600.
func SaveConfig(path string, c Config) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

// TLSConfig pins the server CA fingerprint when one is given: a chain
// certificate must have it and the leaf must chain to it. Without a
// fingerprint the system roots are used.
func TLSConfig(fingerprint string) *tls.Config {
	fp := strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(fingerprint))
	if fp == "" {
		return &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			var anchor *x509.Certificate
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates {
				sum := sha256.Sum256(c.Raw)
				if hex.EncodeToString(sum[:]) == fp {
					anchor = c
				} else {
					inter.AddCert(c)
				}
			}
			if anchor == nil || len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("server certificate is not under the pinned CA %s", fp)
			}
			roots := x509.NewCertPool()
			roots.AddCert(anchor)
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
			return err
		}}
}

// Client calls the REST API.
type Client struct {
	cfg Config
	hc  *http.Client
	// AskCode, when set, asks the person at the terminal for a two-factor
	// code: a request refused for a stale second factor (fresh_2fa) is
	// then re-checked with that code and sent once more.
	AskCode func() (string, error)
}

// NewClient builds a client for cfg.
func NewClient(cfg Config) *Client {
	return &Client{cfg: cfg, hc: &http.Client{Timeout: 120 * time.Second,
		Transport: &http.Transport{TLSClientConfig: TLSConfig(cfg.Fingerprint)}}}
}

// APIError is a non-2xx answer.
type APIError struct {
	Status  int
	Message string
	Code    string // machine-readable reason, e.g. totp_required, fresh_2fa
}

func (e *APIError) Error() string { return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status) }

// errNeedFresh explains what to do about a fresh_2fa refusal when no
// terminal can be asked for the code.
const errNeedFresh = "this action needs a recent two-factor check: run `stewardctl 2fa refresh` " +
	"(asks for a code) and try again"

// Do sends a request with an optional JSON body and decodes a JSON answer.
// A refusal for a stale second factor asks for a code (AskCode), refreshes
// the token with it and retries once.
func (c *Client) Do(method, path string, body, out any) error {
	err := c.do(method, path, body, out)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "fresh_2fa" {
		return err
	}
	if c.AskCode == nil {
		return fmt.Errorf("%s: %w", errNeedFresh, err)
	}
	code, aerr := c.AskCode()
	if aerr != nil {
		return aerr
	}
	if err := c.Refresh(code); err != nil {
		return err
	}
	return c.do(method, path, body, out)
}

// Refresh re-checks two-factor with code, making the token fresh again.
func (c *Client) Refresh(code string) error {
	return c.do("POST", "/api/v1/auth/totp", map[string]any{"code": strings.TrimSpace(code)}, nil)
}

func (c *Client) do(method, path string, body, out any) error {
	if c.cfg.Server == "" {
		return errors.New("no server: use --server or STEWARD_SERVER, or stewardctl login")
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimRight(c.cfg.Server, "/")+path, rd)
	if err != nil {
		return err
	}
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
			Code  string `json:"code"`
		}
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = http.StatusText(resp.StatusCode)
		}
		return &APIError{Status: resp.StatusCode, Message: Clean(e.Error), Code: e.Code}
	}
	if out != nil {
		if raw, ok := out.(*json.RawMessage); ok {
			*raw = append((*raw)[:0], b...)
			return nil
		}
		return json.Unmarshal(b, out)
	}
	return nil
}
