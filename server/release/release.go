// Package release is the server's store of signed agent releases and the
// tools that make them. A release is a directory
//
//	RELEASES/VERSION/manifest.json       protocol.ReleaseManifest (the signed bytes)
//	RELEASES/VERSION/manifest.sig        64-byte ed25519 signature of manifest.json
//	RELEASES/VERSION/steward-agent-OS-ARCH[.exe]
//
// signed offline with a release key the server never holds: the server
// verifies with the public key only, and agents verify again with the key
// pinned at install, so a compromised server cannot make agents run a
// binary the release key did not sign. The agent's checks live in
// agent/update; the two sides share only the wire types in protocol
// (agent and server never import each other).
package release

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// File names in a release directory.
const (
	ManifestFile  = "manifest.json"
	SignatureFile = "manifest.sig"
)

// Limits on what a release directory may hold.
const (
	MaxManifest = 64 << 10
	MaxFiles    = 64
)

// Errors callers match with errors.Is.
var (
	ErrNotFound = errors.New("release not found")
	ErrInvalid  = errors.New("release invalid")
)

var (
	versionRE = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	nameRE    = regexp.MustCompile(`^steward-agent-[a-z0-9]{1,16}-[a-z0-9]{1,16}(\.exe)?$`)
	hexRE     = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// ValidVersion reports whether v can name a release (and a directory).
func ValidVersion(v string) bool { return len(v) <= 64 && versionRE.MatchString(v) }

// FileName is the binary's name for a platform.
func FileName(goos, arch string) string {
	n := "steward-agent-" + goos + "-" + arch
	if goos == "windows" {
		n += ".exe"
	}
	return n
}

// Release is one verified release.
type Release struct {
	Version   string
	Dir       string
	Manifest  protocol.ReleaseManifest
	Raw       []byte // manifest.json as signed
	Signature []byte
}

// File returns the release's binary for a platform.
func (r *Release) File(goos, arch string) (protocol.ReleaseFile, bool) {
	for _, f := range r.Manifest.Files {
		if f.OS == goos && f.Arch == arch {
			return f, true
		}
	}
	return protocol.ReleaseFile{}, false
}

// Lookup returns the manifest entry of a file name.
func (r *Release) Lookup(name string) (protocol.ReleaseFile, bool) {
	for _, f := range r.Manifest.Files {
		if f.Name == name {
			return f, true
		}
	}
	return protocol.ReleaseFile{}, false
}

// Path is where a file of the release lies on disk.
func (r *Release) Path(f protocol.ReleaseFile) string { return filepath.Join(r.Dir, f.Name) }

// Offer is what the server sends an agent of a platform; ok is false when
// the release has no build for it.
func (r *Release) Offer(goos, arch string) (protocol.UpdateOffer, bool) {
	f, ok := r.File(goos, arch)
	if !ok {
		return protocol.UpdateOffer{}, false
	}
	return protocol.UpdateOffer{Version: r.Version, Manifest: r.Raw, Signature: r.Signature,
		URL: "/agent/update/" + r.Version + "/" + f.Name}, true
}

// Store is a directory of releases, checked against a public key.
type Store struct {
	Dir string
	Key ed25519.PublicKey
}

// ParsePublicKey accepts a hex ed25519 public key, or the path of a file
// holding one.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
		return ed25519.PublicKey(b), nil
	}
	b, err := os.ReadFile(s)
	if err != nil {
		return nil, fmt.Errorf("release key is neither 64 hex characters nor a readable file: %w", err)
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%s does not hold a hex ed25519 public key", s)
	}
	return ed25519.PublicKey(k), nil
}

// Get loads and verifies one release: the signature over the manifest,
// the manifest's fields, and each binary's presence and size. Hashes are
// checked by VerifyFiles (and by every agent before it runs anything).
func (s *Store) Get(version string) (*Release, error) {
	if !ValidVersion(version) {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, version)
	}
	dir := filepath.Join(s.Dir, version)
	raw, err := readCapped(filepath.Join(dir, ManifestFile), MaxManifest)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, version)
	} else if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, version, err)
	}
	sig, err := readCapped(filepath.Join(dir, SignatureFile), ed25519.SignatureSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: signature: %v", ErrInvalid, version, err)
	}
	m, err := Verify(s.Key, raw, sig)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, version, err)
	}
	if m.Version != version {
		return nil, fmt.Errorf("%w: directory %s holds a manifest for %s", ErrInvalid, version, m.Version)
	}
	r := &Release{Version: version, Dir: dir, Manifest: m, Raw: raw, Signature: sig}
	for _, f := range m.Files {
		fi, err := os.Stat(r.Path(f))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, version, err)
		}
		if !fi.Mode().IsRegular() || fi.Size() != f.Size {
			return nil, fmt.Errorf("%w: %s: %s is %d bytes, the manifest says %d", ErrInvalid, version, f.Name, fi.Size(), f.Size)
		}
	}
	return r, nil
}

// Listed is one entry of List: a release, or why a directory is not one.
type Listed struct {
	Version string
	Release *Release
	Err     error
}

// List returns every directory of the store, newest version first, with
// verified releases and the reason for each one that is not.
func (s *Store) List() ([]Listed, error) {
	ents, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("releases: %w", err)
	}
	var out []Listed
	for _, e := range ents {
		if !e.IsDir() || !ValidVersion(e.Name()) {
			continue
		}
		r, err := s.Get(e.Name())
		out = append(out, Listed{Version: e.Name(), Release: r, Err: err})
	}
	sort.Slice(out, func(i, j int) bool { return Compare(out[i].Version, out[j].Version) > 0 })
	return out, nil
}

// Latest returns the newest valid release.
func (s *Store) Latest() (*Release, error) {
	l, err := s.List()
	if err != nil {
		return nil, err
	}
	for _, x := range l {
		if x.Release != nil {
			return x.Release, nil
		}
	}
	return nil, fmt.Errorf("%w: no valid release in %s", ErrNotFound, s.Dir)
}

// VerifyFiles checks every binary's SHA-256 against the manifest.
func (r *Release) VerifyFiles() error {
	for _, f := range r.Manifest.Files {
		sum, _, err := hashFile(r.Path(f))
		if err != nil {
			return err
		}
		if sum != f.SHA256 {
			return fmt.Errorf("%w: %s: SHA-256 %s, the manifest says %s", ErrInvalid, f.Name, sum, f.SHA256)
		}
	}
	return nil
}

// Verify checks sig over raw, then decodes and validates the manifest.
func Verify(key ed25519.PublicKey, raw, sig []byte) (protocol.ReleaseManifest, error) {
	var m protocol.ReleaseManifest
	if len(key) != ed25519.PublicKeySize {
		return m, errors.New("no release public key configured")
	}
	if len(sig) != ed25519.SignatureSize || !ed25519.Verify(key, raw, sig) {
		return m, errors.New("signature does not verify with the release key")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("malformed manifest: %w", err)
	}
	return m, validate(m)
}

func validate(m protocol.ReleaseManifest) error {
	if !ValidVersion(m.Version) {
		return fmt.Errorf("bad version %q", m.Version)
	}
	if len(m.Files) == 0 || len(m.Files) > MaxFiles {
		return fmt.Errorf("manifest lists %d files", len(m.Files))
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if !nameRE.MatchString(f.Name) || f.Name != FileName(f.OS, f.Arch) || !hexRE.MatchString(f.SHA256) || f.Size <= 0 {
			return fmt.Errorf("bad manifest entry %q", f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("%s listed twice", f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", filepath.Base(path), max)
	}
	return b, nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Binary is one input of Sign: a platform and the file built for it.
type Binary struct {
	OS, Arch string
	Path     string
}

// Sign creates RELEASES/VERSION: it copies each binary in under its
// platform name, writes the manifest and its signature. An existing
// release directory is never overwritten: a version names one build.
func Sign(priv ed25519.PrivateKey, releases, version string, bins []Binary, now time.Time) (*Release, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, errors.New("bad release private key")
	}
	if !ValidVersion(version) {
		return nil, fmt.Errorf("version %q is not a release version (MAJOR.MINOR.PATCH[-PRE])", version)
	}
	if len(bins) == 0 {
		return nil, errors.New("no binaries to sign")
	}
	if err := os.MkdirAll(releases, 0o755); err != nil {
		return nil, err
	}
	dir := filepath.Join(releases, version)
	tmp, err := os.MkdirTemp(releases, "."+version+".tmp-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	m := protocol.ReleaseManifest{Version: version, Created: now.UTC().Truncate(time.Second)}
	for _, b := range bins {
		name := FileName(b.OS, b.Arch)
		sum, size, err := copyIn(b.Path, filepath.Join(tmp, name))
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", b.OS, b.Arch, err)
		}
		m.Files = append(m.Files, protocol.ReleaseFile{OS: b.OS, Arch: b.Arch, Name: name, SHA256: sum, Size: size})
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Name < m.Files[j].Name })
	if err := validate(m); err != nil {
		return nil, err
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	raw = append(raw, '\n')
	sig := ed25519.Sign(priv, raw)
	if err := os.WriteFile(filepath.Join(tmp, ManifestFile), raw, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, SignatureFile), sig, 0o644); err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("release %s exists already in %s", version, releases)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	return &Release{Version: version, Dir: dir, Manifest: m, Raw: raw, Signature: sig}, nil
}

func copyIn(src, dst string) (string, int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", 0, err
	}
	defer in.Close()
	if fi, err := in.Stat(); err != nil || !fi.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%s is not a regular file", src)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// GenerateKey writes a new release private key to path (PKCS#8 PEM, mode
// 0600, never overwriting) and returns the public key.
func GenerateKey(path string) (ed25519.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return pub, nil
}

// ReadPrivateKey reads a key written by GenerateKey.
func ReadPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := readCapped(path, 16<<10)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s is not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s is not an ed25519 key", path)
	}
	return priv, nil
}

// Compare orders release versions (dotted numbers, a pre-release before
// its release); versions it cannot read sort last and equal to each other.
func Compare(a, b string) int {
	pa, oka := parse(a)
	pb, okb := parse(b)
	switch {
	case !oka && !okb:
		return strings.Compare(a, b)
	case !oka:
		return -1
	case !okb:
		return 1
	}
	for i := range 3 {
		if pa.n[i] != pb.n[i] {
			if pa.n[i] < pb.n[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case pa.pre == pb.pre:
		return 0
	case pa.pre == "":
		return 1
	case pb.pre == "":
		return -1
	}
	return comparePre(pa.pre, pb.pre)
}

type parsed struct {
	n   [3]uint64
	pre string
}

func parse(v string) (parsed, bool) {
	var p parsed
	if !ValidVersion(v) {
		return p, false
	}
	v = strings.TrimPrefix(v, "v")
	v, _, _ = strings.Cut(v, "+")
	core, pre, _ := strings.Cut(v, "-")
	for i, s := range strings.Split(core, ".") {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return p, false
		}
		p.n[i] = n
	}
	p.pre = pre
	return p, true
}

func comparePre(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		na, ea := strconv.ParseUint(as[i], 10, 64)
		nb, eb := strconv.ParseUint(bs[i], 10, 64)
		switch {
		case ea == nil && eb == nil:
			if na != nb {
				if na < nb {
					return -1
				}
				return 1
			}
		case ea == nil:
			return -1
		case eb == nil:
			return 1
		default:
			if c := strings.Compare(as[i], bs[i]); c != 0 {
				return c
			}
		}
	}
	switch {
	case len(as) < len(bs):
		return -1
	case len(as) > len(bs):
		return 1
	}
	return 0
}
