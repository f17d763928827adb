package server

// Session ticket keys. Agents resume their TLS sessions across a server
// restart (kill -9 included) only if the restarted server can decrypt the
// tickets it issued before: the keys live in the data folder. A resumed
// session skips both certificate signatures and both chain checks, which is
// most of the CPU of a reconnect storm.
//
// A ticket carries the client certificate of its full handshake, so the
// keys are as secret as the CA key beside them (0600): whoever holds them
// could mint a ticket naming any device. The agent endpoint still checks
// that certificate against the fleet on every connection, resumed or not
// (a revoked device is refused either way), and a ticket sealed by another
// server's keys does not decrypt here: that client gets a full handshake.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

const (
	ticketKeysFile  = "ticket.keys"
	legacyTicketKey = "ticket.key" // one raw 32-byte key, before rotation
	// ticketRotate is how often a new key starts sealing tickets.
	ticketRotate = 24 * time.Hour
	// ticketKeep is how many keys open tickets: the current one and a
	// week of previous ones, since crypto/tls resumes a session up to 7
	// days after its full handshake.
	ticketKeep = 8
)

// ticketKey is one stored session ticket key.
type ticketKey struct {
	Created time.Time `json:"created"`
	Key     []byte    `json:"key"` // 32 random bytes
}

// loadTicketKeys reads the keys in dir (newest first), adds a new one when
// the newest is ticketRotate old or there is none, drops the oldest past
// ticketKeep, and saves them if anything changed. A key file from before
// rotation becomes the oldest key, so agents resume across that upgrade
// too. An unreadable file is replaced (agents then do one full handshake).
func loadTicketKeys(dir string, now time.Time) (keys []ticketKey, err error) {
	p := filepath.Join(dir, ticketKeysFile)
	b, rerr := os.ReadFile(p)
	switch {
	case rerr == nil:
		if json.Unmarshal(b, &keys) != nil {
			keys = nil
			err = errors.New("ticket keys unreadable: replaced")
		}
	case errors.Is(rerr, os.ErrNotExist):
		if old, lerr := os.ReadFile(filepath.Join(dir, legacyTicketKey)); lerr == nil && len(old) == 32 {
			created := now
			if fi, serr := os.Stat(filepath.Join(dir, legacyTicketKey)); serr == nil {
				created = fi.ModTime()
			}
			keys = []ticketKey{{Created: created, Key: old}}
		}
	default:
		return nil, fmt.Errorf("ticket keys: %w", rerr)
	}
	valid := keys[:0]
	for _, k := range keys {
		if len(k.Key) == 32 {
			valid = append(valid, k)
		}
	}
	changed := len(valid) != len(keys) || rerr != nil
	keys = valid
	if len(keys) == 0 || now.Sub(keys[0].Created) >= ticketRotate {
		k := ticketKey{Created: now.UTC(), Key: make([]byte, 32)}
		if _, rerr := rand.Read(k.Key); rerr != nil {
			return nil, fmt.Errorf("ticket keys: %w", rerr)
		}
		keys = append([]ticketKey{k}, keys...)
		changed = true
	}
	if len(keys) > ticketKeep {
		keys, changed = keys[:ticketKeep], true
	}
	if changed {
		if werr := writeFileAtomic(p, keys); werr != nil {
			return keys, werr
		}
	}
	return keys, err
}

// writeFileAtomic writes v as JSON to p (0600) through a temporary file,
// so a crash leaves the old keys or the new ones, never half a file.
func writeFileAtomic(p string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := p + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("ticket keys: %w", err)
	}
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("ticket keys: %w", err)
	}
	return nil
}

// sessionTicketKeys turns stored keys into the keys crypto/tls uses, each
// bound to the server certificate: a session from another certificate is
// not resumed, so after a certificate change every agent sees (and checks,
// and learns the pins of) the new one.
func sessionTicketKeys(keys []ticketKey, certDER []byte) [][32]byte {
	out := make([][32]byte, len(keys))
	for i, k := range keys {
		out[i] = sha256.Sum256(append(append([]byte(nil), k.Key...), certDER...))
	}
	return out
}

// setTicketKeys loads (rotating) the data folder's ticket keys into conf.
// Without them, sessions still resume within this process's lifetime.
func (s *Server) setTicketKeys(conf *tls.Config) {
	keys, err := loadTicketKeys(s.cfg.DataDir, s.now())
	if err != nil {
		s.log.Warn("session ticket keys", "err", err)
	}
	if len(keys) > 0 {
		conf.SetSessionTicketKeys(sessionTicketKeys(keys, s.tls.cert.Certificate[0]))
	}
}

// ticketKeyLoop rotates conf's session ticket keys while the server runs
// (a server up for weeks still changes keys daily).
func (s *Server) ticketKeyLoop(conf *tls.Config) func(context.Context) {
	return func(ctx context.Context) {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.setTicketKeys(conf)
			}
		}
	}
}
