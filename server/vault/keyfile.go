package vault

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ParseKey reads a master key written as base64 (standard or URL
// alphabet, padded or not; surrounding space ignored).
func ParseKey(text string) (*MasterKey, error) {
	t := strings.TrimSpace(text)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(t); err == nil {
			return NewMasterKey(b)
		}
	}
	return nil, errors.New("a vault master key is 32 bytes in base64 (steward-server vault gen-key makes one)")
}

// LoadKeyFile reads the master key from path, refusing a file that is
// not a regular file, that group or others may read or write (mode 0600
// or stricter is required), or that lies inside the data folder dataDir:
// a backup of the data must not carry the key that opens it.
func LoadKeyFile(path, dataDir string) (*MasterKey, error) {
	if err := outside(path, dataDir); err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("vault key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("vault key file %s is not a regular file", path)
	}
	// Windows has no such mode bits (its ACLs guard the file).
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("vault key file %s has mode %04o: group and others must have no access (chmod 600 %s)", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vault key file: %w", err)
	}
	k, err := ParseKey(string(b))
	clear(b)
	if err != nil {
		return nil, fmt.Errorf("vault key file %s: %w", path, err)
	}
	return k, nil
}

// outside refuses a key path inside dataDir (after resolving symbolic
// links of what exists).
func outside(path, dataDir string) error {
	if dataDir == "" {
		return nil
	}
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		if r, err := filepath.EvalSymlinks(a); err == nil {
			return r
		}
		if r, err := filepath.EvalSymlinks(filepath.Dir(a)); err == nil {
			return filepath.Join(r, filepath.Base(a))
		}
		return a
	}
	rel, err := filepath.Rel(abs(dataDir), abs(path))
	if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("vault key file %s is inside the data folder %s: keep it elsewhere, so that a copy of the data does not carry its key", path, dataDir)
	}
	return nil
}

// GenerateKeyFile writes a new random master key to path (mode 0600),
// refusing to replace an existing file or to write inside dataDir.
func GenerateKeyFile(path, dataDir string) (*MasterKey, error) {
	if err := outside(path, dataDir); err != nil {
		return nil, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("vault key: %w", err)
	}
	k, err := NewMasterKey(b)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("vault key file: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(b) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	clear(b)
	if err != nil {
		return nil, fmt.Errorf("vault key file: %w", err)
	}
	return k, nil
}
