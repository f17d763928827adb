package httpx

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"

	"github.com/steward-rmm/steward/api"
)

// ConsentScope records, for one request of an operator, the clients that
// were withheld from the principal's scope because they require the
// customer's consent and no active grant covers the route (with the
// refusal naming the missing grant), and the clients reached under a
// grant. CanSeeClient feeds it: the first withheld client a handler asks
// about is the one its "not found" answer is about.
type ConsentScope struct {
	// Withheld maps each withheld client to its refusal message.
	Withheld map[string]string
	// Granted maps each client in scope only through a grant to the
	// grant's ID.
	Granted map[string]string

	mu   sync.Mutex
	miss string
	used map[string]bool
}

func (c *ConsentScope) saw(id string, ok bool) {
	if ok {
		if _, g := c.Granted[id]; !g {
			return
		}
	} else if _, w := c.Withheld[id]; !w {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		if c.used == nil {
			c.used = map[string]bool{}
		}
		c.used[id] = true
	} else if c.miss == "" {
		c.miss = id
	}
}

// Refusal returns the consent message of the first withheld client a
// handler asked about ("" if none).
func (c *ConsentScope) Refusal() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.miss == "" {
		return ""
	}
	return c.Withheld[c.miss]
}

// Used lists the granted clients the handler reached (client -> grant).
func (c *ConsentScope) Used() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]string{}
	for id := range c.used {
		out[id] = c.Granted[id]
	}
	return out
}

// ConsentWriter turns a handler's 404 into 403 with the consent refusal
// when the handler asked about a withheld client: every wing answers an
// object out of scope with 404, and this is where such an answer meets
// the reason. It keeps the status the handler wrote.
type ConsentWriter struct {
	http.ResponseWriter
	P *Principal
	// Explain, when set, finds the refusal of a 404 about which the
	// handler asked no scope question (an object named in the path that
	// a store query left out).
	Explain func() string
	Status  int
	eaten   bool
}

// WriteHeader rewrites a 404 about a withheld client.
func (w *ConsentWriter) WriteHeader(code int) {
	if w.Status != 0 {
		return
	}
	if code == http.StatusNotFound && w.P.Consent != nil {
		msg := w.P.Consent.Refusal()
		if msg == "" && w.Explain != nil {
			msg = w.Explain()
		}
		if msg != "" {
			w.Status, w.eaten = http.StatusForbidden, true
			w.ResponseWriter.Header().Del("Content-Length")
			WriteJSON(w.ResponseWriter, http.StatusForbidden, api.Error{Error: msg, Code: api.CodeConsent})
			return
		}
	}
	w.Status = code
	w.ResponseWriter.WriteHeader(code)
}

// Write drops the body of a rewritten answer.
func (w *ConsentWriter) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.eaten {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes streaming answers (events, log follow) through.
func (w *ConsentWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack passes websocket upgrades (shells) through.
func (w *ConsentWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		if w.Status == 0 {
			w.Status = http.StatusSwitchingProtocols
		}
		return h.Hijack()
	}
	return nil, nil, errors.New("hijack not supported")
}

// Unwrap gives http.ResponseController the writer below.
func (w *ConsentWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
