// Package toolbox answers the server's toolbox calls (protocol/call.go) on
// the agent: a registry of methods, each a function of a Call, run one
// goroutine per call with a bound on how many run at once. A method reads
// its parameters, may stream JSON chunks (Send) or bytes (Write) within the
// credit the server grants, may read an upload (Read), and returns a
// result or an error; Errorf gives the error a code the server maps to an
// HTTP status.
//
// Adding a method is one file: a function returning []Method, listed
// where the agent builds its Host.
package toolbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// MaxCalls is how many calls one agent runs at once; more are refused
// with protocol.CallBusy.
const MaxCalls = 16

// Sender is the agent's connection to the server. Sends block while its
// outbox is full and fail once the connection ended.
type Sender interface {
	Send(b []byte) bool
	SendBinary(b []byte) bool
}

// Handler runs one call. Its result is marshalled to JSON.
type Handler func(ctx context.Context, c *Call) (any, error)

// Method is a named handler.
type Method struct {
	Name    string
	Handler Handler
}

// Error is a method's failure with a protocol.Call* code.
type Error struct {
	Code string
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Errorf builds an Error.
func Errorf(code, format string, args ...any) error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Host runs the calls of the current connection.
type Host struct {
	methods map[string]Handler
	log     *slog.Logger
	// mu guards calls. Lock order: a leaf; no send happens under it.
	mu    sync.Mutex
	calls map[uint32]*Call
}

// NewHost returns a host serving methods.
func NewHost(log *slog.Logger, methods ...Method) *Host {
	h := &Host{methods: map[string]Handler{}, log: log, calls: map[uint32]*Call{}}
	for _, m := range methods {
		h.methods[m.Name] = m.Handler
	}
	return h
}

// Methods lists the registered method names.
func (h *Host) Methods() []string {
	out := make([]string, 0, len(h.methods))
	for n := range h.methods {
		out = append(out, n)
	}
	return out
}

// Call is one call being served.
type Call struct {
	ID     uint32
	Method string
	Params json.RawMessage
	s      Sender
	ctx    context.Context
	cancel context.CancelFunc
	credit atomic.Int64  // bytes the server still accepts from us
	more   chan struct{} // signalled when credit arrives
	// Upload side: bytes from the server, granted back as read.
	upload bool
	in     chan []byte
	eof    atomic.Bool
	eofc   chan struct{}
	cur    []byte
	owed   uint32
}

// Decode unmarshals the call's parameters into v; a failure is a
// bad-request error.
func (c *Call) Decode(v any) error {
	if len(c.Params) == 0 {
		return Errorf(protocol.CallBadRequest, "%s: missing parameters", c.Method)
	}
	if err := json.Unmarshal(c.Params, v); err != nil {
		return Errorf(protocol.CallBadRequest, "%s: invalid parameters: %v", c.Method, err)
	}
	return nil
}

// Context is the call's context, canceled by the server, its timeout or
// the end of the connection.
func (c *Call) Context() context.Context { return c.ctx }

func (c *Call) waitCredit() error {
	for c.credit.Load() <= protocol.CallFrameCost {
		select {
		case <-c.more:
		case <-c.ctx.Done():
			return c.ctx.Err()
		}
	}
	return nil
}

// Send streams one JSON item to the server.
func (c *Call) Send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("toolbox: chunk: %w", err)
	}
	if len(b) > protocol.MaxCallChunk {
		return fmt.Errorf("toolbox: chunk of %d bytes exceeds %d", len(b), protocol.MaxCallChunk)
	}
	if err := c.waitCredit(); err != nil {
		return err
	}
	c.credit.Add(-protocol.CallCost(len(b)))
	if !c.s.Send(protocol.MustEncode(protocol.TypeCallChunk, "", protocol.CallChunk{Call: c.ID, Data: b})) {
		return errors.New("toolbox: connection lost")
	}
	return nil
}

// Write streams bytes to the server (io.Writer), within its credit.
func (c *Call) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if err := c.waitCredit(); err != nil {
			return n, err
		}
		k := int(min(int64(len(p)), c.credit.Load()-protocol.CallFrameCost, protocol.MaxCallData))
		if !c.s.SendBinary(protocol.AppendFrame(make([]byte, 0, 5+k), protocol.FrameCallData, c.ID, p[:k])) {
			return n, errors.New("toolbox: connection lost")
		}
		c.credit.Add(-protocol.CallCost(k))
		n += k
		p = p[k:]
	}
	return n, nil
}

// ErrIncomplete is what Read returns when the upload ended without its
// end-of-file mark: the transfer was interrupted.
var ErrIncomplete = errors.New("toolbox: upload interrupted")

// Read reads the server's upload (io.Reader): io.EOF once it is complete,
// ErrIncomplete (or the context's error) when it was interrupted.
func (c *Call) Read(p []byte) (int, error) {
	if !c.upload {
		return 0, Errorf(protocol.CallBadRequest, "%s: no upload", c.Method)
	}
	for len(c.cur) == 0 {
		select {
		case b := <-c.in:
			c.cur = b
			c.owed += uint32(protocol.CallCost(len(b)))
		default:
			if c.owed > 0 {
				c.s.SendBinary(protocol.CallCreditFrame(c.ID, c.owed))
				c.owed = 0
			}
			select {
			case b := <-c.in:
				c.cur = b
				c.owed += uint32(protocol.CallCost(len(b)))
			case <-c.eofc:
				// Data sent before the mark is already queued.
				select {
				case b := <-c.in:
					c.cur = b
					c.owed += uint32(protocol.CallCost(len(b)))
					continue
				default:
				}
				return 0, io.EOF
			case <-c.ctx.Done():
				return 0, ErrIncomplete
			}
		}
	}
	if c.owed >= protocol.CallWindow/4 {
		c.s.SendBinary(protocol.CallCreditFrame(c.ID, c.owed))
		c.owed = 0
	}
	n := copy(p, c.cur)
	c.cur = c.cur[n:]
	return n, nil
}

func (h *Host) get(id uint32) *Call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[id]
}

// Message handles call and call_cancel from the connection's reader. It
// never blocks on the connection: the call runs in its own goroutine.
func (h *Host) Message(ctx context.Context, s Sender, env protocol.Envelope) {
	switch env.Type {
	case protocol.TypeCall:
		var r protocol.CallRequest
		if protocol.DecodeData(env, &r) != nil || r.Validate() != nil {
			h.log.Warn("bad call request")
			return
		}
		h.start(ctx, s, r)
	case protocol.TypeCallCancel:
		var m protocol.CallCancel
		if protocol.DecodeData(env, &m) == nil {
			if c := h.get(m.Call); c != nil {
				c.cancel()
			}
		}
	}
}

func (h *Host) start(ctx context.Context, s Sender, r protocol.CallRequest) {
	end := func(e protocol.CallEnd) { go s.Send(protocol.MustEncode(protocol.TypeCallEnd, "", e)) }
	fn := h.methods[r.Method]
	if fn == nil {
		end(protocol.CallEnd{Call: r.Call, Code: protocol.CallUnknown, Error: "this agent does not know " + r.Method + " (update the agent)"})
		return
	}
	c := &Call{ID: r.Call, Method: r.Method, Params: r.Params, s: s, more: make(chan struct{}, 1), upload: r.Upload,
		in: make(chan []byte, protocol.CallMaxItems+16), eofc: make(chan struct{})}
	c.credit.Store(protocol.CallWindow)
	if r.TimeoutMS > 0 {
		c.ctx, c.cancel = context.WithTimeout(ctx, time.Duration(r.TimeoutMS)*time.Millisecond)
	} else {
		c.ctx, c.cancel = context.WithCancel(ctx)
	}
	h.mu.Lock()
	_, dup := h.calls[r.Call]
	busy := len(h.calls) >= MaxCalls
	if !dup && !busy {
		h.calls[r.Call] = c
	}
	h.mu.Unlock()
	if dup || busy {
		c.cancel()
		end(protocol.CallEnd{Call: r.Call, Code: protocol.CallBusy, Error: "too many toolbox calls in progress on the device"})
		return
	}
	go h.run(c, fn)
}

func (h *Host) run(c *Call, fn Handler) {
	defer func() {
		h.mu.Lock()
		delete(h.calls, c.ID)
		h.mu.Unlock()
		c.cancel()
	}()
	res, err := func() (res any, err error) {
		defer func() {
			if p := recover(); p != nil {
				h.log.Error("toolbox method panicked", "method", c.Method, "panic", p)
				err = Errorf(protocol.CallFailed, "%s failed on the device", c.Method)
			}
		}()
		return fn(c.ctx, c)
	}()
	e := protocol.CallEnd{Call: c.ID}
	switch {
	case err != nil:
		var te *Error
		switch {
		case errors.As(err, &te):
			e.Code, e.Error = te.Code, te.Msg
		case c.ctx.Err() != nil:
			e.Code, e.Error = protocol.CallCanceled, c.Method+" canceled: "+context.Cause(c.ctx).Error()
		default:
			e.Code, e.Error = protocol.CallFailed, err.Error()
		}
	case res != nil:
		b, merr := json.Marshal(res)
		if merr != nil {
			e.Code, e.Error = protocol.CallFailed, "encode result: "+merr.Error()
		} else {
			e.Result = b
		}
	}
	c.s.Send(protocol.MustEncode(protocol.TypeCallEnd, "", e))
}

// Binary handles a call frame from the connection's reader; it never
// blocks.
func (h *Host) Binary(frame []byte) {
	kind, id, payload, err := protocol.ParseFrame(frame)
	if err != nil {
		return
	}
	c := h.get(id)
	if c == nil {
		return
	}
	switch kind {
	case protocol.FrameCallCredit:
		if c.credit.Add(int64(protocol.Credit(payload))) > 4*protocol.CallWindow {
			c.cancel() // a server granting far more than it was lent is broken
			return
		}
		select {
		case c.more <- struct{}{}:
		default:
		}
	case protocol.FrameCallData:
		if !c.upload || c.eof.Load() {
			c.cancel()
			return
		}
		select {
		case c.in <- append([]byte(nil), payload...):
		default:
			c.cancel() // the server ignored its window
		}
	case protocol.FrameCallEOF:
		if c.upload && c.eof.CompareAndSwap(false, true) {
			close(c.eofc)
		}
	}
}

// CloseAll cancels every call (the connection ended).
func (h *Host) CloseAll() {
	h.mu.Lock()
	all := make([]*Call, 0, len(h.calls))
	for _, c := range h.calls {
		all = append(all, c)
	}
	h.mu.Unlock()
	for _, c := range all {
		c.cancel()
	}
}
