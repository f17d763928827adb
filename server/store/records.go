package store

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// Session is a web login session, keyed by the hash of its cookie value.
type Session struct {
	Hash      string    `json:"hash"`
	UserID    string    `json:"user_id"`
	CSRF      string    `json:"csrf"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Epoch     int       `json:"epoch"`
	// SecondFactorAt is when the session last passed two-factor; zero
	// means the session has only passed the password.
	SecondFactorAt time.Time `json:"second_factor_at,omitzero"`
}

// ShellSession is what is kept of an interactive shell session after it
// ends: who, where, how much, and the recording's file name.
type ShellSession struct {
	ID        string    `json:"id"`
	DeviceID  string    `json:"device_id"`
	ClientID  string    `json:"client_id"`
	User      string    `json:"user"`
	Shell     string    `json:"shell,omitempty"`
	Started   time.Time `json:"started"`
	Ended     time.Time `json:"ended,omitzero"`
	BytesIn   int64     `json:"bytes_in"`
	BytesOut  int64     `json:"bytes_out"`
	ExitCode  int       `json:"exit_code"`
	Reason    string    `json:"reason,omitempty"`
	Recording string    `json:"recording,omitempty"` // file name under recordings/
	// InputRecorded says whether the recording keeps keystrokes.
	InputRecorded bool `json:"input_recorded"`
}

// Update target scopes.
const (
	UpdateScopeAll    = "all"
	UpdateScopeClient = "client"
	UpdateScopeDevice = "device"
)

// UpdateTarget is the agent version an operator wants a scope to run: every
// device, one client's devices, or one device. The narrowest scope wins.
type UpdateTarget struct {
	Scope   string    `json:"scope"` // all, client, device
	ID      string    `json:"id,omitempty"`
	Version string    `json:"version"`
	SetBy   string    `json:"set_by,omitempty"`
	SetAt   time.Time `json:"set_at"`
}

// UpdateResult is the latest update outcome a device reported.
type UpdateResult struct {
	DeviceID string `json:"device_id"`
	protocol.UpdateResult
	ReceivedAt time.Time `json:"received_at"`
}

// ScriptHash is the hex SHA-256 of a script body, as jobs record it.
func ScriptHash(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}

// WideJob is the number of runs above which an implementation may index a
// job's runs by job rather than by device; DeviceRuns must find them
// either way.
const WideJob = 64
