// Package ctl is stewardctl, the technician's command line: an API client
// with pinned TLS, commands built with cobra, and output as tables (with
// device-reported text stripped of control sequences) or JSON.
package ctl

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/tlspin"
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

// TLSConfig pins the server when cfg has pins (--ca-fingerprint or
// STEWARD_CA_FINGERPRINT: what steward-server pin prints, spki:HEX or
// ca:HEX, comma-separated; a bare hex is a CA pin), checked by package
// tlspin against the host of cfg.Server. Without pins the system roots
// are used. A pin that does not parse fails every connection with the
// reason.
func TLSConfig(cfg Config) *tls.Config {
	if strings.TrimSpace(cfg.Fingerprint) == "" {
		return &tls.Config{MinVersion: tls.VersionTLS12}
	}
	pins, err := tlspin.ParsePins(cfg.Fingerprint)
	var host string
	if err == nil {
		host, err = tlspin.HostOf(cfg.Server)
	}
	if err != nil {
		return &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true,
			VerifyConnection: func(tls.ConnectionState) error { return fmt.Errorf("server pin: %w", err) }}
	}
	return tlspin.ClientConfig(tlspin.Verifier{Pins: pins, ServerName: host})
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
		Transport: &http.Transport{TLSClientConfig: TLSConfig(cfg)}}}
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
	if !errors.As(err, &ae) || ae.Code != api.CodeFresh2FA {
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
	return c.do("POST", "/api/v1/auth/totp", api.CodeRequest{Code: strings.TrimSpace(code)}, nil)
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
		var e api.Error
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
