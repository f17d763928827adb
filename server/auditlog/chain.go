package auditlog

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/steward-rmm/steward/server/store"
)

// The audit chain's key lives outside the database (DATA/audit.key or
// --audit-key), so whoever can only write the database cannot forge the
// chain; each chain head is also appended to an anchor file
// (DATA/audit-anchor.log or --audit-anchor) meant to be shipped off the host
// (rsyslog imfile, a log shipper), so that even the key holder cannot
// rewrite history without the shipped copy disagreeing. Anchor lines:
//
//	steward-audit from=N          the keyed chain starts at record N
//	steward-audit seq=N mac=HEX   record N's keyed link

const (
	keyFile    = "audit.key"
	anchorFile = "audit-anchor.log"
	// defaultAnchorRotate is the anchor file size at which it is renamed
	// to FILE.1, FILE.2, ... (kept: verify reads them all).
	defaultAnchorRotate = 8 << 20
)

// loadAuditKey reads the audit key (hex), creating it (mode 0600) when
// the file does not exist.
func loadAuditKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("audit key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("audit key: %w", err)
		}
		if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("audit key: %w", err)
		}
		return key, f.Close()
	} else if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("audit key %s: want at least 16 bytes as hex", path)
	}
	return key, nil
}

// auditAnchor appends chain heads to the anchor file, rotating it by size.
type auditAnchor struct {
	// mu serialises writes to the file. Lock order: a leaf (held across
	// file writes only).
	mu     sync.Mutex
	path   string
	rotate int64
	f      *os.File
	size   int64
}

func openAuditAnchor(path string, rotate int64) (*auditAnchor, error) {
	a := &auditAnchor{path: path, rotate: rotate}
	if err := a.open(); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *auditAnchor) open() error {
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("audit anchor: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("audit anchor: %w", err)
	}
	a.f, a.size = f, st.Size()
	return nil
}

// write appends one line, rotating first when the file is full.
func (a *auditAnchor) write(line string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return errors.New("audit anchor closed")
	}
	if a.size >= a.rotate {
		if err := a.rotateLocked(); err != nil {
			return err
		}
	}
	n, err := a.f.WriteString(line + "\n")
	a.size += int64(n)
	return err
}

func (a *auditAnchor) rotateLocked() error {
	old := anchorFiles(a.path)
	next := 1
	if len(old) > 1 {
		next = anchorIndex(a.path, old[len(old)-2]) + 1
	}
	a.f.Close()
	a.f = nil
	if err := os.Rename(a.path, fmt.Sprintf("%s.%d", a.path, next)); err != nil {
		return fmt.Errorf("audit anchor rotate: %w", err)
	}
	return a.open()
}

func (a *auditAnchor) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f != nil {
		a.f.Close()
		a.f = nil
	}
}

// anchorIndex is N of PATH.N (0 for PATH itself).
func anchorIndex(path, name string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(name, path+"."))
	return n
}

// anchorFiles lists the rotated anchor files oldest first, then the
// current one (when it exists).
func anchorFiles(path string) []string {
	matches, _ := filepath.Glob(path + ".*")
	var out []string
	for _, m := range matches {
		if n := anchorIndex(path, m); n > 0 {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return anchorIndex(path, out[i]) < anchorIndex(path, out[j]) })
	if _, err := os.Stat(path); err == nil {
		out = append(out, path)
	}
	return out
}

// ParseAuditAnchors reads anchor lines (as written to the anchor file or
// shipped elsewhere) into the heads they name. Two different heads for one
// record are an error naming that record.
func ParseAuditAnchors(r *bufio.Scanner, into *store.AuditAnchors) error {
	if into.Heads == nil {
		into.Heads = map[uint64]string{}
	}
	for r.Scan() {
		line := r.Text()
		i := strings.Index(line, "steward-audit ")
		if i < 0 {
			continue
		}
		var seq, from uint64
		var mac string
		for _, f := range strings.Fields(line[i+len("steward-audit "):]) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "seq":
				seq, _ = strconv.ParseUint(v, 10, 64)
			case "mac":
				mac = v
			case "from":
				from, _ = strconv.ParseUint(v, 10, 64)
			}
		}
		switch {
		case from != 0:
			if into.KeyedFrom != 0 && into.KeyedFrom != from {
				return &store.AuditBreak{Seq: min(from, into.KeyedFrom), Reason: "the anchor names two starts of the keyed chain"}
			}
			into.KeyedFrom = from
		case seq != 0 && mac != "":
			if old, ok := into.Heads[seq]; ok && old != mac {
				return &store.AuditBreak{Seq: seq, Reason: "the anchor holds two different heads for this record"}
			}
			into.Heads[seq] = mac
		}
	}
	return r.Err()
}
