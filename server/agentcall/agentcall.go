// Package agentcall makes toolbox calls to agents over their websocket: a
// request with an id, a method and parameters; an answer that is one
// result, a stream of JSON chunks or a stream of bytes, ended by a final
// message; cancellation; timeouts; bounded concurrency per device; bytes
// in both directions under the credit-based flow control of protocol
// (call.go). It sits in the base below the wings: the toolbox wing makes
// calls, the agent link hands it the agents' answers.
//
// A caller starts a call with Caller.Start, then uses the Call: Next for
// JSON chunks, Read for downloaded bytes, Write and CloseWrite for an
// upload, Result for the final value; Close always (it cancels a call that
// has not ended and frees its slot).
package agentcall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/hub"
)

// Errors of Start and of a call's methods.
var (
	ErrOffline     = errors.New("the device is offline")
	ErrBusy        = errors.New("too many toolbox calls in progress on this device; try again shortly")
	ErrUnsupported = errors.New("the device's agent is too old for this (update the agent)")
	ErrTimeout     = errors.New("the device did not answer in time")
	ErrCanceled    = errors.New("the call was canceled")
	ErrFlow        = errors.New("the device sent more than its flow-control window")
)

// RemoteError is an error the agent reported, as text with a code
// (protocol.Call* codes).
type RemoteError struct {
	Code string
	Msg  string
}

func (e *RemoteError) Error() string { return e.Msg }

// DefaultIdle ends a call after this long without progress in either
// direction, unless Options.Idle says otherwise.
const DefaultIdle = 2 * time.Minute

// Options tune one call.
type Options struct {
	// Timeout bounds the whole call (0 = none: transfers rely on Idle).
	Timeout time.Duration
	// Idle ends the call when nothing moved for this long (0 = DefaultIdle).
	Idle time.Duration
	// Upload announces that the caller will Write bytes to the agent.
	Upload bool
}

// Caller tracks the calls in flight to every agent.
type Caller struct {
	// mu guards calls and perDevice. Lock order: a leaf; no send and no
	// call's own lock is taken under it.
	mu        sync.Mutex
	calls     map[uint32]*Call
	perDevice map[string]int
	next      atomic.Uint32
	max       int
	log       *slog.Logger
}

// New returns a Caller allowing maxPerDevice concurrent calls per device.
func New(maxPerDevice int, log *slog.Logger) *Caller {
	if maxPerDevice <= 0 {
		maxPerDevice = 8
	}
	return &Caller{calls: map[uint32]*Call{}, perDevice: map[string]int{}, max: maxPerDevice, log: log}
}

// InFlight returns the number of calls in progress (all devices).
func (cl *Caller) InFlight() int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return len(cl.calls)
}

type item struct {
	data  []byte // FrameCallData payload
	chunk json.RawMessage
}

// Call is one call in flight.
type Call struct {
	ID     uint32
	Method string
	cl     *Caller
	conn   *hub.Conn
	in     chan item    // chunks and data from the agent, in order; closed at its end
	queued atomic.Int64 // credit of the items in `in`: bounded by the window
	// endMu guards result and remote, written by the agent's reader
	// before it closes in.
	endMu  sync.Mutex
	result json.RawMessage
	remote *RemoteError
	// done is closed when the call fails locally (cancel, timeout, lost
	// connection); err says why.
	done    chan struct{}
	failed  sync.Once
	err     error
	early   bool          // the local failure came before the agent's end (set before done closes)
	ended   atomic.Bool   // the agent's call_end arrived
	endc    chan struct{} // closed with in, for writers waiting on credit
	inOpen  bool          // in not yet closed; touched only by the agent's reader
	owed    uint32        // credit not yet granted back; touched only by the consumer
	cur     []byte        // the rest of the data item Read is handing out
	credit  atomic.Int64
	more    chan struct{}
	idle    *time.Timer
	idleDur time.Duration
	stopCtx func() bool
	total   *time.Timer
	closed  sync.Once
	upload  bool
}

// Start sends a call to the device's connection. params is marshalled to
// JSON. ctx cancels the call (a closed HTTP request, typically).
func (cl *Caller) Start(ctx context.Context, conn *hub.Conn, method string, params any, o Options) (*Call, error) {
	if conn == nil {
		return nil, ErrOffline
	}
	if !slices.Contains(conn.Hello.Capabilities, protocol.CapToolbox) {
		return nil, ErrUnsupported
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("agentcall: params of %s: %w", method, err)
	}
	c := &Call{Method: method, cl: cl, conn: conn, in: make(chan item, protocol.CallMaxItems+16), done: make(chan struct{}),
		more: make(chan struct{}, 1), endc: make(chan struct{}), inOpen: true, upload: o.Upload}
	c.credit.Store(protocol.CallWindow)
	cl.mu.Lock()
	if cl.perDevice[conn.DeviceID] >= cl.max {
		cl.mu.Unlock()
		return nil, ErrBusy
	}
	for c.ID == 0 || cl.calls[c.ID] != nil {
		c.ID = cl.next.Add(1)
	}
	cl.calls[c.ID] = c
	cl.perDevice[conn.DeviceID]++
	cl.mu.Unlock()
	c.idleDur = o.Idle
	if c.idleDur <= 0 {
		c.idleDur = DefaultIdle
	}
	c.idle = time.AfterFunc(c.idleDur, func() { c.fail(ErrTimeout) })
	if o.Timeout > 0 {
		c.total = time.AfterFunc(o.Timeout, func() { c.fail(ErrTimeout) })
	}
	c.stopCtx = context.AfterFunc(ctx, func() { c.fail(ErrCanceled) })
	req := protocol.CallRequest{Call: c.ID, Method: method, Params: raw, Upload: o.Upload}
	if o.Timeout > 0 {
		// The agent's own bound is a little later, so the server's timer
		// decides (and reports ErrTimeout); the agent's is for a server that
		// went away.
		req.TimeoutMS = (o.Timeout + 5*time.Second).Milliseconds()
	}
	b, err := protocol.Encode(protocol.TypeCall, "", req)
	if err == nil && len(b) > protocol.MaxServerFrame {
		err = fmt.Errorf("agentcall: %s parameters too large", method)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	if !conn.Send(b) {
		c.Close()
		return nil, ErrOffline
	}
	return c, nil
}

func (c *Call) touch() { c.idle.Reset(c.idleDur) }

// fail ends the call locally with err; the agent is told to stop unless
// it ended the call itself.
func (c *Call) fail(err error) {
	c.failed.Do(func() {
		c.err = err
		c.early = !c.ended.Load()
		close(c.done)
		if !c.ended.Load() {
			reason := err.Error()
			c.conn.Send(protocol.MustEncode(protocol.TypeCallCancel, "", protocol.CallCancel{Call: c.ID, Reason: reason}))
		}
	})
}

// Close ends the call: cancels it on the agent if it has not ended, and
// frees its slot. It is safe to call more than once.
func (c *Call) Close() {
	c.closed.Do(func() {
		c.fail(ErrCanceled)
		c.idle.Stop()
		if c.total != nil {
			c.total.Stop()
		}
		if c.stopCtx != nil {
			c.stopCtx()
		}
		cl := c.cl
		cl.mu.Lock()
		if cl.calls[c.ID] == c {
			delete(cl.calls, c.ID)
			if cl.perDevice[c.conn.DeviceID]--; cl.perDevice[c.conn.DeviceID] <= 0 {
				delete(cl.perDevice, c.conn.DeviceID)
			}
		}
		cl.mu.Unlock()
	})
}

// recv takes the next item; ok is false at the call's end (then err is
// the outcome: nil for success).
func (c *Call) recv() (it item, ok bool, err error) {
	select {
	case it, ok = <-c.in:
	case <-c.done:
		// A local failure; items the agent sent before its end still count
		// if the end arrived first.
		if !c.ended.Load() {
			return item{}, false, c.err
		}
		it, ok = <-c.in
	}
	if !ok {
		// The agent's answer to a cancel or timeout of ours: ours says why.
		select {
		case <-c.done:
			if c.early {
				return item{}, false, c.err
			}
		default:
		}
		return item{}, false, c.outcome()
	}
	c.touch()
	n := len(it.data) + len(it.chunk)
	c.queued.Add(-protocol.CallCost(n))
	c.owed += uint32(protocol.CallCost(n))
	if c.owed >= protocol.CallWindow/4 || len(c.in) == 0 {
		c.conn.SendBinary(protocol.CallCreditFrame(c.ID, c.owed))
		c.owed = 0
	}
	return it, true, nil
}

func (c *Call) outcome() error {
	c.endMu.Lock()
	defer c.endMu.Unlock()
	if c.remote != nil {
		return c.remote
	}
	return nil
}

// Next returns the next JSON chunk of the call's stream, or io.EOF once
// the call ended well (then Result gives its result), or its error.
func (c *Call) Next() (json.RawMessage, error) {
	for {
		it, ok, err := c.recv()
		if !ok {
			if err == nil {
				err = io.EOF
			}
			return nil, err
		}
		if it.chunk != nil {
			return it.chunk, nil
		}
	}
}

// Read reads the bytes the agent streams (FrameCallData); it returns
// io.EOF once the call ended well, or the call's error.
func (c *Call) Read(p []byte) (int, error) {
	for len(c.cur) == 0 {
		it, ok, err := c.recv()
		if !ok {
			if err == nil {
				err = io.EOF
			}
			return 0, err
		}
		c.cur = it.data
	}
	n := copy(p, c.cur)
	c.cur = c.cur[n:]
	return n, nil
}

// Result waits for the end of the call, discarding what is left of its
// stream, and decodes its result into v (v may be nil).
func (c *Call) Result(v any) error {
	for {
		_, ok, err := c.recv()
		if ok {
			continue
		}
		if err != nil {
			return err
		}
		break
	}
	c.endMu.Lock()
	raw := c.result
	c.endMu.Unlock()
	if v == nil || len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("agentcall: result of %s: %w", c.Method, err)
	}
	return nil
}

// Write sends upload bytes to the agent within its credit, waiting for
// credit as needed. It fails once the call ended.
func (c *Call) Write(p []byte) (int, error) {
	if !c.upload {
		return 0, fmt.Errorf("agentcall: %s is not an upload", c.Method)
	}
	written := 0
	for len(p) > 0 {
		for c.credit.Load() <= protocol.CallFrameCost {
			select {
			case <-c.more:
			case <-c.endc:
				return written, c.writeErr()
			case <-c.done:
				return written, c.writeErr()
			}
		}
		if c.ended.Load() {
			return written, c.writeErr()
		}
		// Several uploads to one device share its outbox: wait while it is
		// half full rather than have the hub close the connection.
		for c.conn.Queued() >= hub.OutboxSize/2 {
			select {
			case <-time.After(2 * time.Millisecond):
			case <-c.done:
				return written, c.writeErr()
			}
		}
		n := int(min(int64(len(p)), c.credit.Load()-protocol.CallFrameCost, protocol.MaxCallData))
		if !c.conn.SendBinary(protocol.AppendFrame(make([]byte, 0, 5+n), protocol.FrameCallData, c.ID, p[:n])) {
			c.fail(ErrOffline)
			return written, ErrOffline
		}
		c.credit.Add(-protocol.CallCost(n))
		c.touch()
		written += n
		p = p[n:]
	}
	return written, nil
}

func (c *Call) writeErr() error {
	if err := c.outcome(); err != nil {
		return err
	}
	if c.ended.Load() {
		return fmt.Errorf("agentcall: %s ended before its upload", c.Method)
	}
	return c.err
}

// CloseWrite marks the upload complete. Without it the agent discards the
// upload when the call ends.
func (c *Call) CloseWrite() error {
	select {
	case <-c.done:
		return c.writeErr()
	default:
	}
	if !c.conn.SendBinary(protocol.AppendFrame(nil, protocol.FrameCallEOF, c.ID, nil)) {
		c.fail(ErrOffline)
		return ErrOffline
	}
	return nil
}

func (cl *Caller) get(conn *hub.Conn, id uint32) *Call {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	c := cl.calls[id]
	if c == nil || c.conn != conn {
		return nil // a call id of another device, or one already closed
	}
	return c
}

// deliver queues an item from the agent's reader. It never blocks: an
// agent sending beyond its window fails the call.
func (c *Call) deliver(it item) {
	if !c.inOpen {
		return
	}
	if c.queued.Add(protocol.CallCost(len(it.data)+len(it.chunk))) > 2*protocol.CallWindow {
		go c.fail(ErrFlow)
		return
	}
	select {
	case c.in <- it:
		c.touch()
	default:
		go c.fail(ErrFlow)
	}
}

// AgentMessage handles call_chunk and call_end from an agent's reader.
func (cl *Caller) AgentMessage(conn *hub.Conn, env protocol.Envelope) error {
	switch env.Type {
	case protocol.TypeCallChunk:
		var m protocol.CallChunk
		if err := protocol.DecodeData(env, &m); err != nil {
			return err
		}
		if len(m.Data) > protocol.MaxCallChunk {
			return fmt.Errorf("%w: call chunk of %d bytes", protocol.ErrTooLarge, len(m.Data))
		}
		if c := cl.get(conn, m.Call); c != nil {
			if m.Data == nil {
				m.Data = json.RawMessage("null")
			}
			c.deliver(item{chunk: m.Data})
		}
	case protocol.TypeCallEnd:
		var m protocol.CallEnd
		if err := protocol.DecodeData(env, &m); err != nil {
			return err
		}
		if c := cl.get(conn, m.Call); c != nil && c.inOpen {
			c.endMu.Lock()
			c.result = m.Result
			if m.Error != "" || m.Code != "" {
				code := m.Code
				if code == "" {
					code = protocol.CallFailed
				}
				msg := m.Error
				if msg == "" {
					msg = "the device reported an error (" + code + ")"
				}
				c.remote = &RemoteError{Code: cleanCode(code), Msg: httpx.CleanText(msg, 1024)}
			}
			c.endMu.Unlock()
			c.ended.Store(true)
			c.inOpen = false
			close(c.in)
			close(c.endc)
		}
	}
	return nil
}

// AgentBinary handles a call frame from an agent's reader; it never blocks.
func (cl *Caller) AgentBinary(conn *hub.Conn, frame []byte) {
	kind, id, payload, err := protocol.ParseFrame(frame)
	if err != nil {
		return
	}
	c := cl.get(conn, id)
	if c == nil {
		return
	}
	switch kind {
	case protocol.FrameCallData:
		if len(payload) > 0 {
			c.deliver(item{data: append([]byte(nil), payload...)})
		}
	case protocol.FrameCallCredit:
		if c.credit.Add(int64(protocol.Credit(payload))) > 4*protocol.CallWindow {
			go c.fail(ErrFlow) // an agent granting far more than it was lent is broken
			return
		}
		c.touch()
		select {
		case c.more <- struct{}{}:
		default:
		}
	}
}

// DeviceGone fails the calls of a closed connection.
func (cl *Caller) DeviceGone(conn *hub.Conn, reason string) {
	cl.mu.Lock()
	var gone []*Call
	for _, c := range cl.calls {
		if c.conn == conn {
			gone = append(gone, c)
		}
	}
	cl.mu.Unlock()
	for _, c := range gone {
		c.fail(fmt.Errorf("%w (%s)", ErrOffline, reason))
	}
}

// cleanCode keeps an agent's error code to a short identifier.
func cleanCode(s string) string {
	if len(s) > 32 {
		return protocol.CallFailed
	}
	for _, r := range s {
		if r != '_' && (r < 'a' || r > 'z') {
			return protocol.CallFailed
		}
	}
	return s
}
