package identity

import (
	"crypto/sha256"
	"crypto/x509"
	"sync"
	"time"

	"github.com/steward-rmm/steward/tlspin"
)

// verifyMemo remembers the last server chain that passed the pin check, so
// that reconnecting to the same server (a resumed session presents the
// chain of its first handshake) skips the x509 chain verification, a
// signature check and its allocations at every connect. It holds one
// entry: an agent talks to one server. The entry is keyed by the host, the
// pins and every certificate of the chain, so a new pin or another chain is
// checked in full; it lapses when the chain's first certificate expires.
type verifyMemo struct {
	mu       sync.Mutex
	key      [sha256.Size]byte
	notAfter time.Time
	checks   int // full verifications (tests)
}

func memoKey(host string, pins []tlspin.Pin, legacy bool, chain []*x509.Certificate) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(host))
	h.Write([]byte{0})
	h.Write([]byte(tlspin.Format(pins)))
	if legacy {
		h.Write([]byte{1})
	}
	for _, c := range chain {
		h.Write([]byte{0})
		h.Write(c.Raw)
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// verify returns nil if chain passed check before for the same key and
// has not expired since; otherwise it runs check and remembers a pass.
func (m *verifyMemo) verify(key [sha256.Size]byte, chain []*x509.Certificate, check func() error) error {
	now := time.Now()
	m.mu.Lock()
	hit := !m.notAfter.IsZero() && m.key == key && now.Before(m.notAfter)
	m.mu.Unlock()
	if hit {
		return nil
	}
	err := check()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.checks++
	if err != nil || len(chain) == 0 {
		return err
	}
	m.key, m.notAfter = key, chain[0].NotAfter
	for _, c := range chain[1:] {
		if c.NotAfter.Before(m.notAfter) {
			m.notAfter = c.NotAfter
		}
	}
	return nil
}
