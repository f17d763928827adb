package httpx

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"time"
)

var idEnc = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a prefixed, time-ordered, random ID: prefix_TTTTTTTTRRRRRRRRRRRR.
func NewID(prefix string) string {
	var b [15]byte
	now := uint64(time.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(now)
		now >>= 8
	}
	if _, err := rand.Read(b[6:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return prefix + "_" + idEnc.EncodeToString(b[:])
}

// NewSecret returns a random token secret with a readable prefix.
func NewSecret(prefix string) string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return prefix + "_" + idEnc.EncodeToString(b[:])
}

// HashSecret is how enrollment and API token secrets (and shell tickets)
// are stored: only their SHA-256.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
