// Package update is the agent's signed self-update.
//
// A release is described by a manifest (protocol.ReleaseManifest) signed
// with an ed25519 release key; the agent pins the public half at install
// (identity Config.UpdateKey) and without it never updates. An update runs
// in two processes:
//
//	old agent A: Apply verifies the signature before reading a field,
//	             refuses a downgrade or the same version, downloads the
//	             binary over the agent's own pinned TLS client into the
//	             install directory with a size cap, checks size and SHA-256,
//	             runs "NEW version" (must print the manifest version) and a
//	             trial start of NEW with the agent's own arguments, writes
//	             the marker, swaps NEW in (keeping the old binary as
//	             steward-agent.prev) and returns ErrRestart: the caller
//	             exits and the service manager starts NEW.
//	new agent B: Startup counts an attempt; once B has reached the server
//	             the caller calls Pending.Confirm, which deletes the marker
//	             and the previous binary. Too many starts, or no Confirm
//	             within the window, and B puts A back (Rollback), returns
//	             ErrRestart and A runs again.
//
// The trial start exists because a new binary that dies before it runs any
// of this package's code (a broken build, a missing library) could never
// count its own failed starts: the service manager would restart it forever.
// The trial catches that before anything is swapped. What the trial cannot
// see (the new agent starts but never reaches the server, or crashes later)
// the marker catches.
//
// Outcomes are kept in the state file until the agent is connected, then
// reported to the server as an update_result message (TakeReport).
package update

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// Errors callers match with errors.Is.
var (
	// ErrRestart means the process must exit so the service manager starts
	// the binary now in place (a new version, or the old one after a
	// rollback). Callers map it to a non-zero exit status so that
	// "restart on failure" policies apply.
	ErrRestart = errors.New("update: restarting the agent to finish an update")
	// ErrRefused wraps every reason an offer is never to be attempted on
	// this device: signature, downgrade, platform, size, a version that was
	// rolled back.
	ErrRefused = errors.New("update refused")
	// ErrDeferred wraps every reason an offer is not attempted now but may
	// be later: a pending reboot, another update in progress, busy jobs.
	ErrDeferred = errors.New("update deferred")
	// ErrFailed wraps every reason an attempted update changed nothing.
	ErrFailed = errors.New("update failed")
	// ErrRebootPending defers an update while the OS waits for a reboot:
	// on Windows, pending file renames would run over the swap.
	ErrRebootPending = fmt.Errorf("%w: a reboot is pending", ErrDeferred)
)

// ExitRestart is the exit status a main may use for ErrRestart (EX_TEMPFAIL);
// any non-zero status works with a restart-on-failure service.
const ExitRestart = 75

// Defaults.
const (
	DefaultMaxSize       = 200 << 20 // no agent build comes close
	DefaultMaxAttempts   = 3
	DefaultConfirmWindow = 5 * time.Minute
	DefaultTrialTimeout  = 30 * time.Second
	// rollbackCooldown is how long a version that was rolled back is
	// refused, so a server offering it again cannot loop the device.
	rollbackCooldown = 24 * time.Hour
	maxManifest      = 64 << 10
	maxFiles         = 64
)

// Updater applies update offers to the running agent. The zero values of
// the optional fields are the defaults.
type Updater struct {
	Key     ed25519.PublicKey // pinned release key; nil refuses every offer
	Dir     string            // agent state directory (holds the marker)
	Exe     string            // absolute path of the running agent binary
	Version string            // version of the running agent
	Server  string            // server base URL, https://host:port
	HTTP    *http.Client      // the agent's pinned TLS client (client certificate)
	// Args are the arguments the service starts the agent with; the trial
	// start of a new binary uses them.
	Args []string
	// RebootPending, when it reports true, refuses the update.
	RebootPending func() bool
	// Idle is called after the new binary passed every check and before the
	// swap, to let running work finish; an error abandons the update.
	Idle func(ctx context.Context) error
	Log  *slog.Logger

	MaxSize       int64
	MaxAttempts   int
	ConfirmWindow time.Duration
	TrialTimeout  time.Duration
	// AllowDev lets a build whose version is not a release version ("dev")
	// update to any release. Tests only: a dev build has no place in order.
	AllowDev     bool
	GOOS, GOARCH string // target platform; "" = this one

	busy atomic.Bool
}

// ParseKey decodes a hex ed25519 public key.
func ParseKey(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("update key must be 64 hex characters (an ed25519 public key)")
	}
	return ed25519.PublicKey(b), nil
}

var (
	nameRE = regexp.MustCompile(`^steward-agent-[a-z0-9]{1,16}-[a-z0-9]{1,16}(\.exe)?$`)
	hexRE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// VerifyManifest checks sig over manifest with key, then decodes and
// validates the manifest. Nothing in the manifest is read before the
// signature holds.
func VerifyManifest(key ed25519.PublicKey, manifest, sig []byte) (protocol.ReleaseManifest, error) {
	var m protocol.ReleaseManifest
	if len(key) != ed25519.PublicKeySize {
		return m, fmt.Errorf("%w: no release key is pinned on this device", ErrRefused)
	}
	if len(manifest) == 0 || len(manifest) > maxManifest {
		return m, fmt.Errorf("%w: manifest missing or larger than %d bytes", ErrRefused, maxManifest)
	}
	if len(sig) != ed25519.SignatureSize || !ed25519.Verify(key, manifest, sig) {
		return m, fmt.Errorf("%w: the manifest signature does not verify with the pinned release key", ErrRefused)
	}
	dec := json.NewDecoder(bytes.NewReader(manifest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("%w: malformed manifest: %v", ErrRefused, err)
	}
	if _, err := parseVersion(m.Version); err != nil {
		return m, fmt.Errorf("%w: manifest version: %v", ErrRefused, err)
	}
	if len(m.Files) == 0 || len(m.Files) > maxFiles {
		return m, fmt.Errorf("%w: manifest lists %d files", ErrRefused, len(m.Files))
	}
	for _, f := range m.Files {
		if !nameRE.MatchString(f.Name) || !hexRE.MatchString(f.SHA256) || f.Size <= 0 || f.OS == "" || f.Arch == "" {
			return m, fmt.Errorf("%w: malformed manifest entry %q", ErrRefused, f.Name)
		}
	}
	return m, nil
}

// Result turns Apply's error into the report sent to the server.
func Result(from string, offer protocol.UpdateOffer, err error, now time.Time) protocol.UpdateResult {
	r := protocol.UpdateResult{Version: offer.Version, From: from, At: now.UTC()}
	switch {
	case err == nil || errors.Is(err, ErrRestart):
		r.State = protocol.UpdateInstalled
	case errors.Is(err, ErrRefused):
		r.State, r.Reason = protocol.UpdateRefused, err.Error()
	case errors.Is(err, ErrDeferred):
		r.State, r.Reason = protocol.UpdateDeferred, err.Error()
	default:
		r.State, r.Reason = protocol.UpdateFailed, err.Error()
	}
	if len(r.Version) > 64 {
		r.Version = r.Version[:64]
	}
	return r
}

func (u *Updater) log() *slog.Logger {
	if u.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return u.Log
}

func (u *Updater) platform() (string, string) {
	o, a := u.GOOS, u.GOARCH
	if o == "" {
		o = runtime.GOOS
	}
	if a == "" {
		a = runtime.GOARCH
	}
	return o, a
}

// Apply runs one offer. It returns ErrRestart once the new binary is in
// place (the caller must exit), an error wrapping ErrRefused or ErrDeferred
// when the offer was not attempted, or one wrapping ErrFailed when the
// attempt changed nothing. Only one Apply runs at a time.
func (u *Updater) Apply(ctx context.Context, offer protocol.UpdateOffer) error {
	if !u.busy.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: another update is in progress", ErrDeferred)
	}
	defer u.busy.Store(false)
	m, f, err := u.check(offer)
	if err != nil {
		return err
	}
	log := u.log().With("version", m.Version)
	log.Info("applying agent update", "from", u.Version, "file", f.Name, "size", f.Size)
	tmp, err := u.download(ctx, offer.URL, f)
	if err != nil {
		return err
	}
	installed := false
	defer func() {
		if !installed {
			_ = os.Remove(tmp)
		}
	}()
	if err := u.selfTest(ctx, tmp, m.Version); err != nil {
		return err
	}
	if err := u.trial(ctx, tmp, m.Version); err != nil {
		return err
	}
	if u.Idle != nil {
		if err := u.Idle(ctx); err != nil {
			return fmt.Errorf("%w: %v", ErrDeferred, err)
		}
	}
	if u.RebootPending != nil && u.RebootPending() {
		return ErrRebootPending
	}
	if err := u.install(tmp, m.Version); err != nil {
		return err
	}
	installed = true
	log.Info("agent update installed; restarting into the new version")
	return ErrRestart
}

// check decides whether an offer may be attempted at all.
func (u *Updater) check(offer protocol.UpdateOffer) (protocol.ReleaseManifest, protocol.ReleaseFile, error) {
	var f protocol.ReleaseFile
	if u.RebootPending != nil && u.RebootPending() {
		return protocol.ReleaseManifest{}, f, ErrRebootPending
	}
	m, err := VerifyManifest(u.Key, offer.Manifest, offer.Signature)
	if err != nil {
		return m, f, err
	}
	if offer.Version != m.Version {
		return m, f, fmt.Errorf("%w: offer says %q, signed manifest says %q", ErrRefused, offer.Version, m.Version)
	}
	switch c, err := Compare(m.Version, u.Version); {
	case err != nil && !u.AllowDev:
		return m, f, fmt.Errorf("%w: running version %q is not a release version", ErrRefused, u.Version)
	case err == nil && c == 0:
		return m, f, fmt.Errorf("%w: version %s is already running", ErrRefused, m.Version)
	case err == nil && c < 0:
		return m, f, fmt.Errorf("%w: %s is older than the running %s (downgrade)", ErrRefused, m.Version, u.Version)
	}
	st, err := loadState(u.Dir)
	if err != nil {
		// A corrupt state file must not block updates for good; install
		// writes a fresh one.
		u.log().Warn("ignoring unreadable update state", "err", err)
		st = state{}
	}
	if st.Pending != nil {
		return m, f, fmt.Errorf("%w: the update to %s is not confirmed yet", ErrDeferred, st.Pending.Version)
	}
	if at, ok := st.RolledBack[m.Version]; ok && time.Since(at) < rollbackCooldown {
		return m, f, fmt.Errorf("%w: %s was rolled back on this device at %s", ErrRefused, m.Version, at.UTC().Format(time.RFC3339))
	}
	goos, arch := u.platform()
	found := false
	for _, x := range m.Files {
		if x.OS == goos && x.Arch == arch {
			f, found = x, true
			break
		}
	}
	if !found {
		return m, f, fmt.Errorf("%w: release %s has no build for %s/%s", ErrRefused, m.Version, goos, arch)
	}
	if f.Size > u.maxSize() {
		return m, f, fmt.Errorf("%w: %s is %d bytes, more than the %d allowed", ErrRefused, f.Name, f.Size, u.maxSize())
	}
	p, err := url.Parse(offer.URL)
	if err != nil || p.Scheme != "" || p.Host != "" || p.User != nil || !strings.HasPrefix(p.Path, "/") ||
		strings.HasPrefix(offer.URL, "//") || strings.Contains(p.Path, "..") {
		// The agent fetches only from its own server: its client
		// certificate goes nowhere else.
		return m, f, fmt.Errorf("%w: download URL must be a path on the agent's server", ErrRefused)
	}
	if u.Exe == "" || !filepath.IsAbs(u.Exe) {
		return m, f, fmt.Errorf("%w: the agent's own path is unknown", ErrRefused)
	}
	if err := checkInstallDir(filepath.Dir(u.Exe)); err != nil {
		return m, f, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	return m, f, nil
}

func (u *Updater) maxSize() int64 {
	if u.MaxSize > 0 {
		return u.MaxSize
	}
	return DefaultMaxSize
}

// download fetches f into a new file next to the agent binary (same
// directory: same filesystem for the rename, same protection) and checks
// its size and hash.
func (u *Updater) download(ctx context.Context, path string, f protocol.ReleaseFile) (string, error) {
	if u.HTTP == nil {
		return "", fmt.Errorf("%w: no HTTP client", ErrFailed)
	}
	resp, err := u.fetch(ctx, strings.TrimRight(u.Server, "/")+path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.ContentLength >= 0 && resp.ContentLength != f.Size {
		return "", fmt.Errorf("%w: download is %d bytes, manifest says %d", ErrFailed, resp.ContentLength, f.Size)
	}
	tmp, err := os.CreateTemp(filepath.Dir(u.Exe), tempPattern(u.Exe))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrFailed, err)
	}
	name := tmp.Name()
	fail := func(err error) (string, error) {
		tmp.Close()
		os.Remove(name)
		return "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, f.Size+1))
	if err != nil {
		return fail(fmt.Errorf("%w: download: %v", ErrFailed, err))
	}
	if n != f.Size {
		return fail(fmt.Errorf("%w: download is %d bytes, manifest says %d", ErrFailed, n, f.Size))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return fail(fmt.Errorf("%w: SHA-256 of the download is %s, the signed manifest says %s", ErrFailed, got, f.SHA256))
	}
	if err := tmp.Sync(); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrFailed, err))
	}
	if err := tmp.Close(); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrFailed, err))
	}
	mode := os.FileMode(0o755)
	if fi, err := os.Stat(u.Exe); err == nil {
		mode = fi.Mode().Perm() | 0o500
	}
	if err := os.Chmod(name, mode); err != nil {
		os.Remove(name)
		return "", fmt.Errorf("%w: %v", ErrFailed, err)
	}
	return name, nil
}

// busyRetries bounds how often a download the server defers (503, 429:
// too many agents downloading at once) is tried again.
const busyRetries = 30

// fetch GETs url, waiting as the server asks while it is busy.
func (u *Updater) fetch(ctx context.Context, url string) (*http.Response, error) {
	for try := 0; ; try++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFailed, err)
		}
		resp, err := u.HTTP.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%w: download: %v", ErrFailed, err)
		}
		if resp.StatusCode == http.StatusOK {
			return resp, nil
		}
		resp.Body.Close()
		busy := resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests
		if !busy || try >= busyRetries {
			return nil, fmt.Errorf("%w: download: server answered %s", ErrFailed, resp.Status)
		}
		wait := 30 * time.Second
		if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n > 0 && n <= 300 {
			wait = time.Duration(n) * time.Second
		}
		// Jitter spreads a fleet that was told the same delay.
		wait += time.Duration(rand.Int64N(int64(wait/2) + 1))
		u.log().Info("server busy; retrying the update download", "in", wait)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %v", ErrFailed, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// tempPattern names downloads ".steward-agent.new-*" (keeping ".exe" on
// Windows, which needs it to run the self-test).
func tempPattern(exe string) string {
	base := filepath.Base(exe)
	ext := filepath.Ext(base)
	return "." + strings.TrimSuffix(base, ext) + ".new-*" + ext
}

// selfTest runs "NEW version", which must print the manifest version.
func (u *Updater) selfTest(ctx context.Context, bin, version string) error {
	ctx, cancel := context.WithTimeout(ctx, u.trialTimeout())
	defer cancel()
	var out capped
	cmd := exec.CommandContext(ctx, bin, "version")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: self-test %q: %v: %s", ErrFailed, "version", err, out.tail())
	}
	if got := strings.TrimSpace(out.String()); got != version {
		return fmt.Errorf("%w: self-test: new binary says it is %q, the manifest says %q", ErrFailed, got, version)
	}
	return nil
}

func (u *Updater) trialTimeout() time.Duration {
	if u.TrialTimeout > 0 {
		return u.TrialTimeout
	}
	return DefaultTrialTimeout
}

// capped is an io.Writer keeping the first 4 KiB, for error messages.
type capped struct{ b []byte }

func (c *capped) Write(p []byte) (int, error) {
	if room := 4096 - len(c.b); room > 0 {
		c.b = append(c.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (c *capped) String() string { return string(c.b) }

func (c *capped) tail() string {
	s := strings.TrimSpace(string(c.b))
	if len(s) > 300 {
		s = "…" + s[len(s)-300:]
	}
	return s
}
