package agent

import (
	"crypto/tls"
	"sync"
)

// keepTickets is how many failed handshakes in a row a cached TLS session
// survives.
const keepTickets = 5

// sessionCache holds the one TLS session an agent resumes. crypto/tls drops
// a session from its cache when a handshake that tried to resume it fails
// for any reason, including a connection the server closed because it was
// busy. In a reconnect storm that turned most agents' next attempt into a
// full handshake (certificate signatures on both sides), which is what
// makes a storm CPU-bound. This cache ignores the first keepTickets-1
// removals in a row, so a busy server costs a retry, not the session; a
// corrupted session (a server rejecting its binder every time) is still
// dropped after keepTickets failures, and any new session replaces it.
type sessionCache struct {
	mu    sync.Mutex
	key   string
	cs    *tls.ClientSessionState
	drops int
}

// Get returns the cached session for key.
func (c *sessionCache) Get(key string) (*tls.ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cs == nil || c.key != key {
		return nil, false
	}
	return c.cs, true
}

// Put caches cs for key; a nil cs (a failed resumption) removes it only
// after keepTickets of them in a row.
func (c *sessionCache) Put(key string, cs *tls.ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs != nil {
		c.key, c.cs, c.drops = key, cs, 0
		return
	}
	if key != c.key {
		return
	}
	c.drops++
	if c.drops >= keepTickets {
		c.cs, c.drops = nil, 0
	}
}
