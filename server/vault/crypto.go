package vault

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// The vault's format. Every secret is sealed with XChaCha20-Poly1305
// (192-bit random nonces, so no nonce bookkeeping):
//
//   - the master key (32 bytes) lives outside the database; its ID is the
//     first 16 hex digits of SHA-256("steward vault master id\x00" || key);
//   - each client has a random 32-byte data key, stored wrapped:
//     version 1 || nonce || AEAD(master, key, AD = "steward/vault/data-key/v1\x00" client "\x00" master ID);
//   - each entry's password and notes (JSON) are stored sealed:
//     version 1 || nonce || AEAD(data key, secret, AD = "steward/vault/entry/v1\x00" client "\x00" entry).
//
// So a sealed secret opens only under its own client's key and entry ID:
// copied onto another entry or client, it fails to authenticate. A
// master-key rotation re-wraps the data keys and touches no entry.

// formatV1 is the first byte of every wrapped key and sealed secret.
const formatV1 = 1

// MasterKey is the key that wraps the clients' data keys.
type MasterKey struct {
	key [32]byte
	// ID names the key without revealing it, stored beside each wrapped
	// data key.
	ID string
}

// NewMasterKey makes a master key from 32 bytes.
func NewMasterKey(b []byte) (*MasterKey, error) {
	if len(b) != 32 {
		return nil, fmt.Errorf("a vault master key is 32 bytes, got %d", len(b))
	}
	m := &MasterKey{}
	copy(m.key[:], b)
	sum := sha256.Sum256(append([]byte("steward vault master id\x00"), b...))
	m.ID = hex.EncodeToString(sum[:8])
	return m, nil
}

// errOpen is the failure to authenticate a wrapped key or sealed secret.
var errOpen = errors.New("does not authenticate")

func seal(key []byte, plain, ad []byte) ([]byte, error) {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("vault cipher: %w", err)
	}
	out := make([]byte, 1+a.NonceSize(), 1+a.NonceSize()+len(plain)+a.Overhead())
	out[0] = formatV1
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("vault nonce: %w", err)
	}
	return a.Seal(out, out[1:], plain, ad), nil
}

func open(key []byte, sealed, ad []byte) ([]byte, error) {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("vault cipher: %w", err)
	}
	if len(sealed) < 1+a.NonceSize()+a.Overhead() || sealed[0] != formatV1 {
		return nil, fmt.Errorf("sealed value of unknown format: %w", errOpen)
	}
	n := 1 + a.NonceSize()
	plain, err := a.Open(nil, sealed[1:n], sealed[n:], ad)
	if err != nil {
		return nil, errOpen
	}
	return plain, nil
}

func keyAD(clientID, masterID string) []byte {
	return []byte("steward/vault/data-key/v1\x00" + clientID + "\x00" + masterID)
}

func entryAD(clientID, entryID string) []byte {
	return []byte("steward/vault/entry/v1\x00" + clientID + "\x00" + entryID)
}

// newDataKey returns a random data key.
func newDataKey() ([]byte, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("vault data key: %w", err)
	}
	return k, nil
}

// wrap encrypts a client's data key under m.
func (m *MasterKey) wrap(clientID string, dk []byte) ([]byte, error) {
	return seal(m.key[:], dk, keyAD(clientID, m.ID))
}

// unwrap decrypts a client's data key.
func (m *MasterKey) unwrap(clientID string, wrapped []byte) ([]byte, error) {
	dk, err := open(m.key[:], wrapped, keyAD(clientID, m.ID))
	if err != nil {
		return nil, fmt.Errorf("data key of client %s under master key %s: %w", clientID, m.ID, err)
	}
	return dk, nil
}

// secret is what an entry keeps sealed.
type secret struct {
	Password string `json:"p"`
	Notes    string `json:"n,omitempty"`
}

func sealSecret(dk []byte, clientID, entryID string, s secret) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	out, err := seal(dk, b, entryAD(clientID, entryID))
	clear(b)
	return out, err
}

func openSecret(dk []byte, clientID, entryID string, sealed []byte) (secret, error) {
	var s secret
	b, err := open(dk, sealed, entryAD(clientID, entryID))
	if err != nil {
		return s, fmt.Errorf("secret of entry %s: %w", entryID, err)
	}
	err = json.Unmarshal(b, &s)
	clear(b)
	return s, err
}
