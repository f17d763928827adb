package httpx

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
)

// ClientIP is the caller's address. X-Forwarded-For is believed only when
// the direct peer is one of the trusted proxies.
func ClientIP(r *http.Request, trusted []string) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(trusted) > 0 && slices.Contains(trusted, host) {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	return host
}

// SameOrigin accepts only a browser (or CLI) whose Origin is this server:
// a missing or foreign Origin is refused, which stops cross-site
// websocket hijacking with a technician's cookie.
func SameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	if err != nil || u.Scheme != "https" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// Gate is a counting semaphore that never waits.
type Gate struct{ n atomic.Int64 }

// TryAcquire takes a slot if fewer than limit are taken.
func (g *Gate) TryAcquire(limit int) bool {
	if g.n.Add(1) > int64(limit) {
		g.n.Add(-1)
		return false
	}
	return true
}

// Release gives a slot back.
func (g *Gate) Release() { g.n.Add(-1) }
