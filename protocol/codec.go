package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Envelope is the JSON object every text frame carries. Unknown fields and
// unknown types are tolerated so newer peers can talk to older ones.
type Envelope struct {
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Decoding errors. They are typed so callers can answer with the right code.
var (
	ErrTooLarge  = errors.New("protocol: frame too large")
	ErrMalformed = errors.New("protocol: malformed frame")
)

// Decode parses one text frame into an envelope, refusing frames larger than
// limit and frames that are not a JSON object with a non-empty type.
func Decode(frame []byte, limit int) (Envelope, error) {
	var e Envelope
	if len(frame) > limit {
		return e, fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, len(frame), limit)
	}
	if err := json.Unmarshal(frame, &e); err != nil {
		return e, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if e.Type == "" || len(e.Type) > 64 {
		return e, fmt.Errorf("%w: missing or invalid type", ErrMalformed)
	}
	return e, nil
}

// DecodeData unmarshals an envelope's data into v.
func DecodeData(e Envelope, v any) error {
	if len(e.Data) == 0 {
		return fmt.Errorf("%w: %s without data", ErrMalformed, e.Type)
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMalformed, e.Type, err)
	}
	return nil
}

// Encode builds one text frame.
func Encode(typ, id string, v any) ([]byte, error) {
	var raw json.RawMessage
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("protocol: encode %s: %w", typ, err)
		}
		raw = b
	}
	b, err := json.Marshal(Envelope{Type: typ, ID: id, Data: raw})
	if err != nil {
		return nil, fmt.Errorf("protocol: encode %s: %w", typ, err)
	}
	return b, nil
}

// MustEncode is Encode for values that cannot fail to marshal (plain structs
// of strings and numbers); it panics otherwise, which is a programming error.
func MustEncode(typ, id string, v any) []byte {
	b, err := Encode(typ, id, v)
	if err != nil {
		panic(err)
	}
	return b
}

// heartbeatPrefix is how Encode starts a heartbeat frame.
var heartbeatPrefix = []byte(`{"type":"` + TypeHeartbeat + `",`)

// DecodeHeartbeat decodes a heartbeat frame in one pass, straight into
// its struct. ok is false for any other frame, and for a heartbeat it
// cannot decode: Decode and DecodeData then give the error.
func DecodeHeartbeat(frame []byte) (hb Heartbeat, ok bool) {
	if len(frame) > MaxAgentFrame || !bytes.HasPrefix(frame, heartbeatPrefix) {
		return hb, false
	}
	// Data stays nil unless the frame carries a data object, which the
	// envelope path requires as well.
	var f struct {
		Type string     `json:"type"`
		ID   string     `json:"id"`
		Data *Heartbeat `json:"data"`
	}
	if err := json.Unmarshal(frame, &f); err != nil || f.Type != TypeHeartbeat || f.Data == nil {
		return Heartbeat{}, false
	}
	return *f.Data, true
}
