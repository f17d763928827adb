package httpx

import (
	"sync"
)

// Conns tracks operators' long-lived connections (event streams and
// shell websockets) so that logout, password change and account disable
// can end them at once instead of letting them run on a dead credential.
type Conns struct {
	// mu guards next and m. Lock order: a leaf; end functions run after it
	// is released.
	mu   sync.Mutex
	next uint64
	m    map[uint64]opConn
}

type opConn struct {
	user, session, token string
	end                  func()
}

// NewConns returns an empty registry.
func NewConns() *Conns { return &Conns{m: map[uint64]opConn{}} }

// Add registers a connection of p; end must make it stop. The returned
// func unregisters it.
func (c *Conns) Add(p *Principal, end func()) func() {
	oc := opConn{user: p.UserID, token: p.TokenID, end: end}
	if p.Session != nil {
		oc.session = p.Session.Hash
	}
	c.mu.Lock()
	c.next++
	id := c.next
	c.m[id] = oc
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		delete(c.m, id)
		c.mu.Unlock()
	}
}

// closeWhere ends every connection that match selects and returns how many.
func (c *Conns) closeWhere(match func(opConn) bool) int {
	c.mu.Lock()
	var ends []func()
	for id, oc := range c.m {
		if match(oc) {
			ends = append(ends, oc.end)
			delete(c.m, id)
		}
	}
	c.mu.Unlock()
	for _, end := range ends {
		end()
	}
	return len(ends)
}

// CloseUser ends every connection of a user and returns how many.
func (c *Conns) CloseUser(userID string) int {
	return c.closeWhere(func(oc opConn) bool { return oc.user == userID })
}

// CloseSession ends every connection of a session.
func (c *Conns) CloseSession(hash string) int {
	return c.closeWhere(func(oc opConn) bool { return hash != "" && oc.session == hash })
}

// CloseToken ends every connection of an API token.
func (c *Conns) CloseToken(id string) int {
	return c.closeWhere(func(oc opConn) bool { return id != "" && oc.token == id })
}
