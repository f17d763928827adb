package protocol

import (
	"encoding/binary"
	"fmt"
)

// Binary frames carry shell traffic and the bulk bytes of calls (call.go)
// so terminal and file bytes need no JSON or base64.
// Layout: kind (1 byte) | session id (uint32, big endian) | payload.
const (
	// FrameShellData: payload is terminal bytes (input to the agent, output
	// from it).
	FrameShellData byte = 1
	// FrameShellCredit: payload is a uint32 number of bytes the receiver may
	// send further on that session (the flow-control window).
	FrameShellCredit byte = 2
)

// ShellWindow is the initial credit of a shell session in each direction.
const ShellWindow = 256 << 10

// AppendFrame appends a binary frame to dst.
func AppendFrame(dst []byte, kind byte, session uint32, payload []byte) []byte {
	dst = append(dst, kind, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(dst[len(dst)-4:], session)
	return append(dst, payload...)
}

// CreditFrame builds a credit frame granting n bytes on session.
func CreditFrame(session uint32, n uint32) []byte {
	var p [4]byte
	binary.BigEndian.PutUint32(p[:], n)
	return AppendFrame(make([]byte, 0, 9), FrameShellCredit, session, p[:])
}

// ParseFrame splits a binary frame. The payload aliases frame.
func ParseFrame(frame []byte) (kind byte, session uint32, payload []byte, err error) {
	if len(frame) < 5 {
		return 0, 0, nil, fmt.Errorf("%w: binary frame of %d bytes", ErrMalformed, len(frame))
	}
	kind = frame[0]
	session = binary.BigEndian.Uint32(frame[1:5])
	payload = frame[5:]
	switch kind {
	case FrameShellData:
		if len(payload) > MaxShellData {
			return 0, 0, nil, fmt.Errorf("%w: shell data of %d bytes", ErrTooLarge, len(payload))
		}
	case FrameCallData:
		if len(payload) > MaxCallData {
			return 0, 0, nil, fmt.Errorf("%w: call data of %d bytes", ErrTooLarge, len(payload))
		}
	case FrameCallEOF:
		if len(payload) != 0 {
			return 0, 0, nil, fmt.Errorf("%w: call eof with a payload", ErrMalformed)
		}
	case FrameShellCredit, FrameCallCredit:
		if len(payload) != 4 {
			return 0, 0, nil, fmt.Errorf("%w: credit frame payload %d bytes", ErrMalformed, len(payload))
		}
	default:
		return 0, 0, nil, fmt.Errorf("%w: unknown binary frame kind %d", ErrMalformed, kind)
	}
	return kind, session, payload, nil
}

// Credit reads the grant of a credit frame's payload.
func Credit(payload []byte) uint32 { return binary.BigEndian.Uint32(payload) }
