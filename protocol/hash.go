package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// ContentHash is the change detector of inventory and health reports, the
// same function on both sides: the agent hashes the value it is about to
// send, the server hashes the value it decoded from that message before it
// sanitises it (caps and cleans text for storage), and stores that hash; the
// welcome carries it back, and the agent resends a report only when its own
// hash differs.
//
// Input: the encoding/json encoding of v (the bytes the message carries as
// its data), with each \ufffd escape written as the UTF-8 bytes of U+FFFD.
// encoding/json writes each invalid UTF-8 byte of a string as that escape,
// and a decoded U+FFFD back as raw bytes, so without this step a report
// with invalid text would hash differently on the two sides. A value and
// its JSON round trip therefore hash alike.
//
// Output: the first 16 bytes of the SHA-256 of that input, in lower-case
// hex (32 characters). For valid UTF-8 text it is the hash Steward has
// always stored, so stored hashes stay valid.
func ContentHash(v any) string {
	b, _ := json.Marshal(v) // protocol values always marshal
	sum := sha256.Sum256(canonicalReplacement(b))
	return hex.EncodeToString(sum[:16])
}

// canonicalReplacement rewrites each \ufffd escape of a JSON text as the
// raw UTF-8 bytes of U+FFFD. Escapes are read left to right, so an escaped
// backslash followed by "ufffd" (the text `\ufffd`) stays as it is.
func canonicalReplacement(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\ufffd`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		if b[i+1] == 'u' && i+6 <= len(b) && string(b[i+2:i+6]) == "fffd" {
			out = append(out, "\uFFFD"...)
			i += 5
			continue
		}
		out = append(out, b[i], b[i+1]) // any other escape, kept whole
		i++
	}
	return out
}
