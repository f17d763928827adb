package server

import (
	"sync"

	"github.com/steward-rmm/steward/server/httpx"
)

// opConns tracks operators' long-lived connections (event streams and
// shell websockets) so that logout, password change and account disable
// can end them at once instead of letting them run on a dead credential.
type opConns struct {
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

func newOpConns() *opConns { return &opConns{m: map[uint64]opConn{}} }

// add registers a connection of p; end must make it stop. The returned
// func unregisters it.
func (c *opConns) add(p *httpx.Principal, end func()) func() {
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
func (c *opConns) closeWhere(match func(opConn) bool) int {
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

func (c *opConns) closeUser(userID string) int {
	return c.closeWhere(func(oc opConn) bool { return oc.user == userID })
}

func (c *opConns) closeSession(hash string) int {
	return c.closeWhere(func(oc opConn) bool { return hash != "" && oc.session == hash })
}

func (c *opConns) closeToken(id string) int {
	return c.closeWhere(func(oc opConn) bool { return id != "" && oc.token == id })
}
