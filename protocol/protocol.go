// Package protocol is the wire contract between the Steward agent and server:
// the envelope, message types, the protocol version with its changelog, size
// limits and the codec. It holds types only and does no I/O.
package protocol

// Version is the one integer protocol version. The agent sends it in hello;
// the server refuses versions outside [MinVersion, Version] with an error
// message whose code is CodeUnsupportedVersion.
//
// Changelog (bump Version and add a dated line for every change):
//
//	1 (2026-11-23): hello, welcome, heartbeat, inventory, health, error;
//	                jobs (job, job_ack, job_output, job_result, result_ack,
//	                job_cancel); shell sessions (shell_open, shell_opened,
//	                shell_resize, shell_close, binary data and credit frames).
//	2 (2026-11-23): job_result may carry the run's whole output inline
//	                (stdout, stderr) when it finished before its first
//	                output was sent; agents send it only to servers whose
//	                welcome says 2 or more, and may then skip job_ack.
//	3 (2026-11-23): agent self-update: update_offer carries a signed
//	                ReleaseManifest; update_result (agent → server) and
//	                hello.update_result report the outcome. Older peers
//	                ignore both.
//	4 (2026-12-05): welcome.pins: the server pins (current and next) the
//	                agent stores for certificate rotation. Older agents
//	                ignore it.
//	5 (2026-12-05): toolbox calls (call.go): call, call_chunk, call_end,
//	                call_cancel and binary call data, credit and eof
//	                frames; agents that answer them say "toolbox" in hello.
const Version = 5

// MinVersion is the oldest protocol version the server still speaks.
const MinVersion = 1

// Size limits. They are enforced by the websocket read limit, so an oversize
// frame is refused before its payload is buffered.
const (
	// MaxAgentFrame bounds one frame from an agent (an inventory or health
	// report with a large software list is the biggest message).
	MaxAgentFrame = 4 << 20
	// MaxServerFrame bounds one frame from the server to an agent.
	MaxServerFrame = 4 << 20
	// MaxEnrollBody bounds the enrollment request body.
	MaxEnrollBody = 16 << 10
	// MaxChunk is the largest output chunk an agent sends in one job_output.
	MaxChunk = 32 << 10
	// MaxShellData is the largest payload of one binary shell data frame.
	MaxShellData = 32 << 10
)

// Message types.
const (
	TypeHello       = "hello"
	TypeWelcome     = "welcome"
	TypeHeartbeat   = "heartbeat"
	TypeInventory   = "inventory"
	TypeHealth      = "health"
	TypeError       = "error"
	TypeJob         = "job"
	TypeJobAck      = "job_ack"
	TypeJobOutput   = "job_output"
	TypeJobResult   = "job_result"
	TypeResultAck   = "result_ack"
	TypeJobCancel   = "job_cancel"
	TypeShellOpen   = "shell_open"
	TypeShellOpened = "shell_opened"
	TypeShellResize = "shell_resize"
	TypeShellClose  = "shell_close"
	TypeRefresh     = "refresh"
	TypeUpdateOffer = "update_offer"
	// TypeUpdateResult (agent → server) carries an UpdateResult. Older
	// servers ignore it as an unknown type, so it needs no version bump.
	TypeUpdateResult = "update_result"
	// TypeRetire (server → agent) carries a Retire: a retired device's
	// agent stops reporting inventory, health and patch scans and sends
	// only heartbeats until told it is restored. Older agents ignore it as
	// an unknown type (the server then ignores their reports).
	TypeRetire = "retire"
)

// Error codes carried in Error.Code.
const (
	CodeUnsupportedVersion = "unsupported_version"
	CodeBadRequest         = "bad_request"
	CodeTooLarge           = "too_large"
	CodeUnauthorized       = "unauthorized"
	CodeRevoked            = "revoked"
	CodeInternal           = "internal"
	CodeTryLater           = "try_later"
)
