package shell

import (
	"net/http"
	"sync"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
)

// A shell ticket is the per-connection credential of a shell websocket.
// A browser cannot put a CSRF header on a websocket handshake, so a cookie
// and an Origin alone would let any page that passes the Origin check open
// a root shell. The ticket is minted by a POST (CSRF-checked for sessions,
// fresh two-factor required), lives ticketTTL, opens one websocket to one
// device, and only together with the credential that minted it: a ticket
// that leaks (say, from a proxy's URL log) is useless on its own.

// ticketTTL is how long a minted ticket stays usable.
const ticketTTL = 30 * time.Second

// maxTicketsPerUser bounds the unused tickets one user can hold.
const maxTicketsPerUser = 16

type shellTicket struct {
	user, device string
	cred         string // session hash or API token ID that minted it
	expires      time.Time
}

// shellTickets holds minted tickets by the hash of their secret; the
// secret itself is never kept.
type shellTickets struct {
	mu sync.Mutex // guards m; lock order: a leaf
	m  map[string]shellTicket
}

func newShellTickets() *shellTickets { return &shellTickets{m: map[string]shellTicket{}} }

// credOf names the credential behind p: its session or its token.
func credOf(p *httpx.Principal) string {
	if p.Session != nil {
		return "session:" + p.Session.Hash
	}
	return "token:" + p.TokenID
}

// mint stores a new ticket and returns its secret, or "" when the user
// holds too many unused ones.
func (st *shellTickets) mint(p *httpx.Principal, device string, now time.Time, ttl time.Duration) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := 0
	for h, t := range st.m {
		if now.After(t.expires) {
			delete(st.m, h)
		} else if t.user == p.UserID {
			n++
		}
	}
	if n >= maxTicketsPerUser {
		return ""
	}
	secret := httpx.NewSecret("sht")
	st.m[httpx.HashSecret(secret)] = shellTicket{user: p.UserID, device: device, cred: credOf(p), expires: now.Add(ttl)}
	return secret
}

// redeem consumes a ticket: it is gone after the first attempt, whether
// that attempt matches or not, so a ticket cannot be probed.
func (st *shellTickets) redeem(secret string, p *httpx.Principal, device string, now time.Time) bool {
	if secret == "" || len(secret) > 128 {
		return false
	}
	h := httpx.HashSecret(secret)
	st.mu.Lock()
	t, ok := st.m[h]
	delete(st.m, h)
	st.mu.Unlock()
	return ok && !now.After(t.expires) && t.user == p.UserID && t.cred == credOf(p) && t.device == device
}

// ticket mints a one-time ticket for a shell on a device in scope.
func (sr *Wing) ticket(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := sr.d.Devices.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "device not found")
		return
	}
	if v.Retired {
		httpx.WriteError(w, http.StatusConflict, "device is retired; restore it before opening a shell")
		return
	}
	if sr.d.Fleet.Pending(v.ID) {
		httpx.WriteError(w, http.StatusConflict, "device is pending approval; approve it before opening a shell")
		return
	}
	ttl := ticketTTL
	if sr.cfg.ShellTicketTTL > 0 {
		ttl = sr.cfg.ShellTicketTTL
	}
	secret := sr.tickets.mint(p, v.ID, sr.d.Now(), ttl)
	if secret == "" {
		httpx.WriteError(w, http.StatusTooManyRequests, "too many unused shell tickets; wait a moment")
		return
	}
	httpx.WriteJSON(w, 201, api.ShellTicket{Ticket: secret, ExpiresAt: sr.d.Now().Add(ttl).UTC()})
}
