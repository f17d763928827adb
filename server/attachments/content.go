package attachments

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
)

// Content lives in DIR/CLIENT/SHA256 (DIR = DATA/attachments): once per
// client, whatever the number of attachments that hold it. An upload is
// written to a temporary file in the same folder, synced, and renamed to
// its hash only when complete, so a failed or oversized upload leaves
// nothing behind and a reader never sees half a file.

var (
	hashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// IDs of clients are the server's own (c_...); checked anyway, since
	// they become a path.
	clientRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// errTooLarge is an upload past the size limit.
var errTooLarge = errors.New("too large")

// saved is a received upload.
type saved struct {
	tmp    string
	size   int64
	sha256 string
	sniff  []byte // the first bytes, for the content type
}

// receive streams r into a temporary file in the client's folder,
// hashing it, and refuses more than max bytes (errTooLarge, the file
// removed). The caller renames (commit) or removes it.
func (w *Wing) receive(clientID string, r io.Reader, max int64) (*saved, error) {
	if !clientRE.MatchString(clientID) {
		return nil, fmt.Errorf("bad client ID %q", clientID)
	}
	dir := filepath.Join(w.dir, clientID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("attachments folder: %w", err)
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(dir, ".upload-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("attachment temporary file: %w", err)
	}
	s := &saved{tmp: tmp}
	fail := func(err error) (*saved, error) {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	h := sha256.New()
	buf := make([]byte, 256<<10)
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			if s.size+int64(n) > max {
				return fail(errTooLarge)
			}
			if len(s.sniff) < 512 {
				s.sniff = append(s.sniff, buf[:min(n, 512-len(s.sniff))]...)
			}
			h.Write(buf[:n])
			if _, err := f.Write(buf[:n]); err != nil {
				return fail(fmt.Errorf("attachment write: %w", err))
			}
			s.size += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if mbe := (*http.MaxBytesError)(nil); errors.As(rerr, &mbe) {
				return fail(errTooLarge)
			}
			return fail(fmt.Errorf("attachment upload: %w", rerr))
		}
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("attachment sync: %w", err))
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("attachment close: %w", err)
	}
	s.sha256 = hex.EncodeToString(h.Sum(nil))
	return s, nil
}

// commit renames a received upload to its content path (replacing an
// identical file of the same client: same hash, same bytes) and syncs the
// folder, so the name survives a crash.
func (w *Wing) commit(clientID string, s *saved) error {
	dst := w.path(clientID, s.sha256)
	if err := os.Rename(s.tmp, dst); err != nil {
		os.Remove(s.tmp)
		return fmt.Errorf("attachment rename: %w", err)
	}
	if d, err := os.Open(filepath.Dir(dst)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// path is where a client's content of a hash lives.
func (w *Wing) path(clientID, sha string) string {
	return filepath.Join(w.dir, clientID, sha)
}

// open opens stored content.
func (w *Wing) open(clientID, sha string) (*os.File, error) {
	if !clientRE.MatchString(clientID) || !hashRE.MatchString(sha) {
		return nil, os.ErrNotExist
	}
	return os.Open(w.path(clientID, sha))
}

// removeStale removes temporary files left by a server that stopped
// during an upload.
func (w *Wing) removeStale() {
	ms, _ := filepath.Glob(filepath.Join(w.dir, "*", ".upload-*"))
	for _, m := range ms {
		os.Remove(m)
	}
}
