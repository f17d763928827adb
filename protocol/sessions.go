package protocol

import "time"

// User activity method of toolbox calls (call.go): the users' sessions on
// the device and their state, read on demand (not on each heartbeat).
const (
	// MethodSessionsList lists sessions (no parameters → SessionsResult).
	MethodSessionsList = "sessions.list"
)

// States of UserActivity.State.
const (
	SessionActive       = "active"       // in the foreground of its seat or connected remotely
	SessionOnline       = "online"       // logged in, not in the foreground (another user's session is)
	SessionDisconnected = "disconnected" // a remote session left running (RDP disconnect)
	SessionClosing      = "closing"      // logged out, processes still ending
)

// UserActivity is one login session of a user with its activity (the
// heartbeat's UserSession is the cheap list of who is logged in).
type UserActivity struct {
	User string `json:"user"`
	// Domain is the Windows domain of the account.
	Domain string `json:"domain,omitempty"`
	// ID is the session's id (logind, WTS) or its line (utmp).
	ID       string `json:"id"`
	Terminal string `json:"terminal,omitempty"`
	// Host is where a remote session comes from.
	Host string `json:"host,omitempty"`
	// Type is console, tty, ssh, x11, wayland, rdp... as the system says.
	Type   string `json:"type,omitempty"`
	Remote bool   `json:"remote,omitempty"`
	State  string `json:"state"`
	// Locked is the screen lock when the system tells it; nil = unknown.
	Locked *bool `json:"locked,omitempty"`
	// IdleSeconds is how long no input arrived; nil = unknown.
	IdleSeconds *int64 `json:"idle_seconds,omitempty"`
	// LastActivity is the time of the last input (now - idle).
	LastActivity time.Time `json:"last_activity,omitzero"`
	LoginTime    time.Time `json:"login_time,omitzero"`
	// DisconnectTime is when a disconnected session lost its client.
	DisconnectTime time.Time `json:"disconnect_time,omitzero"`
}

// SessionsResult answers MethodSessionsList.
type SessionsResult struct {
	Time     time.Time      `json:"time"`
	Sessions []UserActivity `json:"sessions"`
	// Notes say what could not be read (no utmp, logind unreachable...).
	Notes []string `json:"notes,omitempty"`
}
