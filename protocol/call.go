package protocol

import (
	"encoding/json"
	"fmt"
)

// Toolbox calls: interactive requests from the server to an agent that are
// not durable jobs (list a directory, download a file, list processes...).
//
// The server sends TypeCall with a call id (uint32, unique per connection),
// a method name and its parameters. The agent answers with any number of
// TypeCallChunk messages (JSON items of a stream: search hits, a page of
// processes) and FrameCallData binary frames (bulk bytes: a file's
// content), then exactly one TypeCallEnd carrying the result or an error as
// text. A call that uploads bytes to the agent (CallRequest.Upload) gets
// them as FrameCallData frames from the server, ended by FrameCallEOF.
//
// Flow control is the shell's: each side may send, per call, only as many
// bytes (binary data payloads and chunk data alike) as the other granted,
// starting from CallWindow; the receiver grants credit back
// (FrameCallCredit) as its consumer takes the bytes. A transfer thus holds
// at most one window in memory on either side and heartbeats travel
// between its frames. Each chunk and data frame costs CallFrameCost on top
// of its bytes, so a window also bounds the number of items in flight (a
// stream of tiny chunks cannot queue without limit). TypeCallCancel ends a call from the server side; the
// agent then answers with a TypeCallEnd (code CallCanceled) that the server
// may ignore.
const (
	TypeCall       = "call"        // server → agent: CallRequest
	TypeCallChunk  = "call_chunk"  // agent → server: CallChunk
	TypeCallEnd    = "call_end"    // agent → server: CallEnd
	TypeCallCancel = "call_cancel" // server → agent: CallCancel
)

// CapToolbox is the hello capability of agents that answer calls.
const CapToolbox = "toolbox"

// Binary frame kinds of calls (same layout as shell frames; the uint32 is
// the call id).
const (
	// FrameCallData: bulk bytes of a call, in either direction.
	FrameCallData byte = 3
	// FrameCallCredit: a uint32 grant of bytes the receiver may send more.
	FrameCallCredit byte = 4
	// FrameCallEOF: the server's upload to the agent is complete (no
	// payload). An upload ended otherwise (cancel, lost connection) is
	// incomplete and the agent must discard it.
	FrameCallEOF byte = 5
)

// Call limits.
const (
	// CallWindow is the initial credit of a call in each direction.
	CallWindow = 1 << 20
	// MaxCallData is the largest payload of one FrameCallData frame.
	MaxCallData = 64 << 10
	// MaxCallChunk is the largest data of one TypeCallChunk.
	MaxCallChunk = 256 << 10
	// MaxCallMethod bounds a method name.
	MaxCallMethod = 64
	// CallFrameCost is the credit one chunk or data frame costs beyond its
	// bytes: at most CallWindow/CallFrameCost items are in flight.
	CallFrameCost = 1024
	// CallMaxItems is how many items a receiver must be able to queue.
	CallMaxItems = CallWindow / CallFrameCost
)

// CallCost is the credit an item of n bytes costs.
func CallCost(n int) int64 { return int64(n) + CallFrameCost }

// Error codes of CallEnd.Code. The text of CallEnd.Error is what the
// technician reads; the code lets the server choose an HTTP status.
const (
	CallBadRequest = "bad_request"    // invalid parameters or path
	CallNotFound   = "not_found"      // the path or object does not exist
	CallExists     = "exists"         // the target already exists
	CallForbidden  = "forbidden"      // refused by policy on the agent (device file, ADS...)
	CallDenied     = "denied"         // the OS refused (permissions)
	CallBusy       = "busy"           // too many calls in progress on the agent
	CallUnknown    = "unknown_method" // the agent does not know the method
	CallCanceled   = "canceled"       // canceled by the server or timed out
	CallFailed     = "failed"         // any other failure
)

// CallRequest starts a call.
type CallRequest struct {
	Call   uint32          `json:"call"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params,omitempty"`
	// TimeoutMS bounds the whole call on the agent (0 = none, for
	// transfers that the server ends by cancelling when idle).
	TimeoutMS int64 `json:"timeout_ms,omitempty"`
	// Upload says the server will send bytes (FrameCallData, FrameCallEOF).
	Upload bool `json:"upload,omitempty"`
}

// CallChunk is one item of a call's JSON stream.
type CallChunk struct {
	Call uint32          `json:"call"`
	Data json.RawMessage `json:"data"`
}

// CallEnd is a call's final message: a result or an error.
type CallEnd struct {
	Call   uint32          `json:"call"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
	Code   string          `json:"code,omitempty"`
}

// CallCancel ends a call from the server.
type CallCancel struct {
	Call   uint32 `json:"call"`
	Reason string `json:"reason,omitempty"`
}

// Validate checks a call request's own fields.
func (r CallRequest) Validate() error {
	if r.Call == 0 {
		return fmt.Errorf("%w: call id 0", ErrMalformed)
	}
	if r.Method == "" || len(r.Method) > MaxCallMethod {
		return fmt.Errorf("%w: call method", ErrMalformed)
	}
	if r.TimeoutMS < 0 {
		return fmt.Errorf("%w: negative call timeout", ErrMalformed)
	}
	return nil
}

// IsCallFrame reports whether a binary frame kind belongs to calls (as
// opposed to shell sessions), so a connection's reader can route it.
func IsCallFrame(kind byte) bool {
	return kind == FrameCallData || kind == FrameCallCredit || kind == FrameCallEOF
}

// CallCreditFrame builds a credit frame granting n bytes on a call.
func CallCreditFrame(call uint32, n uint32) []byte {
	var p [4]byte
	p[0], p[1], p[2], p[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return AppendFrame(make([]byte, 0, 9), FrameCallCredit, call, p[:])
}
