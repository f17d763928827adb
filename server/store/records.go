package store

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Session is a web login session, keyed by the hash of its cookie value.
type Session struct {
	Hash      string
	UserID    string
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
	Epoch     int
	// SecondFactorAt is when the session last passed two-factor; zero
	// means the session has only passed the password.
	SecondFactorAt time.Time
}

// ShellSession is what is kept of an interactive shell session after it
// ends: who, where, how much, and the recording's file name.
type ShellSession struct {
	ID        string
	DeviceID  string
	ClientID  string
	User      string
	Shell     string
	Started   time.Time
	Ended     time.Time
	BytesIn   int64
	BytesOut  int64
	ExitCode  int
	Reason    string
	Recording string // file name under recordings/
	// InputRecorded says whether the recording keeps keystrokes.
	InputRecorded bool
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
	Scope   string // all, client, device
	ID      string
	Version string
	SetBy   string
	SetAt   time.Time
}

// UpdateResult is the latest update outcome a device reported.
type UpdateResult struct {
	DeviceID string
	Version  string // the offered version
	From     string // the version that was running
	State    string // installed, refused, deferred, failed, rolled_back
	Reason   string
	At       time.Time // the agent's time of the outcome
	// ReceivedAt is when the server took the report.
	ReceivedAt time.Time
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
