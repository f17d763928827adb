// Package hub holds the agents' websocket connections. Each connection has
// one reader goroutine and at most one writer goroutine, and a bounded
// outbox: a send never blocks, and a connection whose outbox is full is
// closed as a slow consumer, so one stuck agent can never stall the hub.
// The writer exists only while there is something to write: an idle
// connection costs no writer stack and no outbox buffer, which is most of
// a connection's memory at 20,000 agents. Liveness is checked by one shared
// sweeper over all connections instead of a timer each.
package hub

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/protocol"
)

// OutboxSize is how many frames may wait for one agent before it is
// disconnected as too slow.
const OutboxSize = 64

// Handler receives what agents send.
type Handler interface {
	// Message handles one decoded text message.
	Message(c *Conn, env protocol.Envelope)
	// Binary handles one binary frame.
	Binary(c *Conn, frame []byte)
	// Closed is called once when a connection ends.
	Closed(c *Conn, reason string)
}

// HeartbeatHandler is implemented by a Handler that takes heartbeats
// decoded in one pass: the most frequent message is then parsed once,
// straight into its struct, instead of into an envelope and again from
// its raw data.
type HeartbeatHandler interface {
	Heartbeat(c *Conn, hb protocol.Heartbeat)
}

type frame struct {
	data   []byte
	binary bool
}

// Conn is one agent connection.
type Conn struct {
	DeviceID string
	ClientID string
	Remote   string
	Hello    protocol.Hello

	ws *websocket.Conn
	// qmu guards the outbox. Lock order: qmu is taken alone; Hub.mu is
	// never taken while holding it (Close, which takes Hub.mu, is called
	// after qmu is released).
	qmu      sync.Mutex
	queue    []frame        // the outbox; nil while empty
	writing  bool           // a writer goroutine is draining queue
	helpers  sync.WaitGroup // the writer and closeAfterFlush; added under qmu while not done
	done     chan struct{}
	once     sync.Once
	reason   atomic.Pointer[string]
	lastSeen atomic.Int64 // unix nanoseconds of the last frame read
	hub      *Hub
}

// Metrics counts hub traffic; the server exposes them.
type Metrics struct {
	MessagesIn   atomic.Int64
	MessagesOut  atomic.Int64
	OutboxDrops  atomic.Int64
	BadFrames    atomic.Int64
	Disconnected atomic.Int64
}

// Hub is the set of live agent connections, one per device.
type Hub struct {
	// mu guards conns and closed. Lock order: a leaf; Conn.qmu is never
	// taken under it, and the Handler's callbacks run without it. Each's
	// fn runs under its read lock and must take no lock that waits on mu.
	mu      sync.RWMutex
	conns   map[string]*Conn
	closed  bool           // CloseAll ran: Attach refuses new connections
	readers sync.WaitGroup // one per attached connection, added under mu while open
	h       Handler
	log     *slog.Logger
	Metrics Metrics
	// Stale is how long a connection may stay silent before it is closed.
	stale atomic.Int64
}

// New returns a hub dispatching to h.
func New(h Handler, log *slog.Logger, stale time.Duration) *Hub {
	hb := &Hub{conns: map[string]*Conn{}, h: h, log: log}
	hb.stale.Store(int64(stale))
	return hb
}

// Count returns the number of connected agents.
func (h *Hub) Count() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.conns)
}

// Get returns the connection of a device, if any.
func (h *Hub) Get(deviceID string) *Conn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.conns[deviceID]
}

// Each calls fn for every connection (under a read lock: fn must not block).
func (h *Hub) Each(fn func(*Conn)) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, c := range h.conns {
		fn(c)
	}
}

// Attach registers an upgraded, greeted connection and starts its reader
// and writer. An older connection of the same device is closed: the newest
// one wins, which is what a reconnecting agent needs.
func (h *Hub) Attach(ws *websocket.Conn, deviceID, clientID, remote string, hello protocol.Hello) *Conn {
	c := &Conn{DeviceID: deviceID, ClientID: clientID, Remote: remote, Hello: hello, ws: ws,
		done: make(chan struct{}), hub: h}
	c.lastSeen.Store(time.Now().UnixNano())
	h.mu.Lock()
	if h.closed {
		// A handler that upgraded while the server stopped: the connection
		// ends at once and its Send calls return false.
		h.mu.Unlock()
		c.Close("server shutting down")
		return c
	}
	old := h.conns[deviceID]
	h.conns[deviceID] = c
	h.readers.Add(1)
	h.mu.Unlock()
	if old != nil {
		old.Close("replaced by a newer connection")
	}
	go c.readLoop()
	return c
}

// Send queues a text frame. It never blocks: when the outbox is full the
// connection is closed and false returned.
func (c *Conn) Send(b []byte) bool { return c.enqueue(frame{data: b}) }

// SendBinary queues a binary frame, with the same rules as Send.
func (c *Conn) SendBinary(b []byte) bool { return c.enqueue(frame{data: b, binary: true}) }

func (c *Conn) enqueue(f frame) bool {
	select {
	case <-c.done:
		return false
	default:
	}
	c.qmu.Lock()
	select {
	case <-c.done:
		// Checked again under qmu: Close passes through qmu after closing
		// done, so no writer starts after it.
		c.qmu.Unlock()
		return false
	default:
	}
	if len(c.queue) >= OutboxSize {
		c.qmu.Unlock()
		c.hub.Metrics.OutboxDrops.Add(1)
		c.Close("slow consumer: outbox full")
		return false
	}
	c.queue = append(c.queue, f)
	start := !c.writing
	c.writing = true
	if start {
		c.helpers.Add(1)
	}
	c.qmu.Unlock()
	if start {
		go c.writeLoop()
	}
	return true
}

// next takes the next frame, or ends the writer when the outbox is empty.
func (c *Conn) next() (frame, bool) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if len(c.queue) == 0 {
		c.queue, c.writing = nil, false
		return frame{}, false
	}
	f := c.queue[0]
	c.queue[0] = frame{}
	c.queue = c.queue[1:]
	return f, true
}

// Queued returns how many frames wait in the outbox. Bulk senders (toolbox
// uploads) keep it well below OutboxSize so their frames never get the
// connection closed as a slow consumer.
func (c *Conn) Queued() int {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	return len(c.queue)
}

// Done is closed when the connection ends.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Close ends the connection once, with a reason the server logs and
// records in the device's availability history.
func (c *Conn) Close(reason string) {
	c.once.Do(func() {
		c.reason.Store(&reason)
		close(c.done)
		// A barrier: an enqueue that saw done open has added its writer.
		c.qmu.Lock()
		//lint:ignore SA2001 the empty critical section is the barrier
		c.qmu.Unlock()
		// Closing the socket unblocks the reader; the writer sees done.
		_ = c.ws.NetConn().Close()
		h := c.hub
		h.mu.Lock()
		if h.conns[c.DeviceID] == c {
			delete(h.conns, c.DeviceID)
		}
		h.mu.Unlock()
		h.Metrics.Disconnected.Add(1)
		h.h.Closed(c, reason)
	})
}

// Reason returns why the connection closed ("" while open).
func (c *Conn) Reason() string {
	if r := c.reason.Load(); r != nil {
		return *r
	}
	return ""
}

// CloseWithError sends an error message, then closes.
func (c *Conn) CloseWithError(code, msg string) {
	b := protocol.MustEncode(protocol.TypeError, "", protocol.Error{Code: code, Message: msg})
	_ = c.ws.SetWriteDeadline(time.Now().Add(2 * time.Second))
	// The writer may be mid-frame; WriteControl is safe concurrently, a data
	// write is not, so the error goes through the outbox and the close
	// follows once the writer drained it.
	if c.Send(b) {
		c.closeAfterFlush(msg)
		return
	}
	c.Close(msg)
}

func (c *Conn) closeAfterFlush(reason string) {
	c.enqueue(frame{data: nil, binary: false}) // nil frame = close marker
	c.qmu.Lock()
	select {
	case <-c.done:
		c.qmu.Unlock()
		return
	default:
	}
	c.helpers.Add(1)
	c.qmu.Unlock()
	go func() {
		defer c.helpers.Done()
		select {
		case <-c.done:
		case <-time.After(3 * time.Second):
			c.Close(reason)
		}
	}()
	c.reason.Store(&reason)
}

func (c *Conn) writeLoop() {
	defer c.helpers.Done()
	for {
		select {
		case <-c.done:
			c.qmu.Lock()
			c.queue, c.writing = nil, false
			c.qmu.Unlock()
			return
		default:
		}
		f, ok := c.next()
		if !ok {
			return
		}
		if f.data == nil {
			r := "closed by server"
			if p := c.reason.Load(); p != nil {
				r = *p
			}
			_ = c.ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.ClosePolicyViolation, truncate(r, 120)), time.Now().Add(time.Second))
			c.Close(r)
			return
		}
		typ := websocket.TextMessage
		if f.binary {
			typ = websocket.BinaryMessage
		}
		_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if err := c.ws.WriteMessage(typ, f.data); err != nil {
			c.Close("write failed: " + err.Error())
			return
		}
		c.hub.Metrics.MessagesOut.Add(1)
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (c *Conn) readLoop() {
	defer c.hub.readers.Done()
	// The reader ends last: after Close (which it or another caller ran)
	// no helper starts, so waiting here covers the writer too.
	defer c.helpers.Wait()
	c.ws.SetReadLimit(protocol.MaxAgentFrame)
	_ = c.ws.SetReadDeadline(time.Time{})
	for {
		mt, b, err := c.ws.ReadMessage()
		if err != nil {
			reason := "connection closed"
			switch {
			case errors.Is(err, websocket.ErrReadLimit):
				reason = "frame too large"
				c.hub.Metrics.BadFrames.Add(1)
				_ = c.ws.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(websocket.CloseMessageTooBig, "frame too large"), time.Now().Add(time.Second))
			case websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway):
				reason = "agent closed the connection"
			}
			c.Close(reason)
			return
		}
		c.lastSeen.Store(time.Now().UnixNano())
		c.hub.Metrics.MessagesIn.Add(1)
		if mt == websocket.BinaryMessage {
			c.hub.h.Binary(c, b)
			continue
		}
		if hh, ok := c.hub.h.(HeartbeatHandler); ok {
			if hb, ok := protocol.DecodeHeartbeat(b); ok {
				hh.Heartbeat(c, hb)
				continue
			}
		}
		env, err := protocol.Decode(b, protocol.MaxAgentFrame)
		if err != nil {
			c.hub.Metrics.BadFrames.Add(1)
			c.CloseWithError(protocol.CodeBadRequest, "malformed message")
			return
		}
		c.hub.h.Message(c, env)
	}
}

// Sweep closes connections silent for longer than the stale limit. One
// goroutine calls it on a shared ticker.
func (h *Hub) Sweep(now time.Time) int {
	limit := h.stale.Load()
	var stale []*Conn
	h.mu.RLock()
	for _, c := range h.conns {
		if now.UnixNano()-c.lastSeen.Load() > limit {
			stale = append(stale, c)
		}
	}
	h.mu.RUnlock()
	for _, c := range stale {
		c.Close("heartbeat timeout")
	}
	return len(stale)
}

// SetStale changes the silence limit.
func (h *Hub) SetStale(d time.Duration) { h.stale.Store(int64(d)) }

// CloseAll closes every connection and refuses new ones (server
// shutdown); Wait then waits for their goroutines.
func (h *Hub) CloseAll(reason string) {
	h.mu.Lock()
	h.closed = true
	all := make([]*Conn, 0, len(h.conns))
	for _, c := range h.conns {
		all = append(all, c)
	}
	h.mu.Unlock()
	for _, c := range all {
		_ = c.ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, reason), time.Now().Add(100*time.Millisecond))
		c.Close(reason)
	}
}

// Wait returns once every connection's reader, writer and close timer
// have ended. Call after CloseAll.
func (h *Hub) Wait() { h.readers.Wait() }
