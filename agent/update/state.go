package update

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/steward-rmm/steward/agent/internal/atomicfile"
	"github.com/steward-rmm/steward/protocol"
)

// StateFile is the marker and report file in the agent's state directory.
const StateFile = "update.json"

const maxStateFile = 64 << 10

// marker is an installed update waiting for its confirmation.
type marker struct {
	Version     string        `json:"version"` // the new version
	From        string        `json:"from"`    // the version it replaced
	Exe         string        `json:"exe"`
	Prev        string        `json:"prev"` // where the previous binary is kept
	Attempts    int           `json:"attempts"`
	MaxAttempts int           `json:"max_attempts"`
	Window      time.Duration `json:"window"`  // each start must confirm within it
	Started     time.Time     `json:"started"` // the latest start of the new version
	Installed   time.Time     `json:"installed"`
}

// state is the content of StateFile.
type state struct {
	Pending    *marker                `json:"pending,omitempty"`
	Report     *protocol.UpdateResult `json:"report,omitempty"` // not yet sent to the server
	RolledBack map[string]time.Time   `json:"rolled_back,omitempty"`
}

// stateMu serialises the read-modify-write of the state file within one
// process; only one agent process runs at a time.
var stateMu sync.Mutex

func loadState(dir string) (state, error) {
	var st state
	f, err := os.Open(filepath.Join(dir, StateFile))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	} else if err != nil {
		return st, fmt.Errorf("update state: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxStateFile+1))
	if err != nil {
		return st, fmt.Errorf("update state: %w", err)
	}
	if len(b) > maxStateFile {
		return st, errors.New("update state: file too large")
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("update state: %w", err)
	}
	return st, nil
}

// saveState writes atomically: a crash leaves the old or the new state,
// never half of one.
func saveState(dir string, st state) error {
	// Forget old rollbacks so the file stays small.
	for v, at := range st.RolledBack {
		if time.Since(at) > rollbackCooldown {
			delete(st.RolledBack, v)
		}
	}
	p := filepath.Join(dir, StateFile)
	if st.Pending == nil && st.Report == nil && len(st.RolledBack) == 0 {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("update state: %w", err)
		}
		return nil
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("update state: %w", err)
	}
	if err := atomicfile.Write(p, b, 0o600); err != nil {
		return fmt.Errorf("update state: %w", err)
	}
	return nil
}

func modifyState(dir string, fn func(*state)) error {
	stateMu.Lock()
	defer stateMu.Unlock()
	st, err := loadState(dir)
	if err != nil {
		// A corrupt state file must not wedge updates forever; it only
		// loses what it held.
		st = state{}
	}
	fn(&st)
	return saveState(dir, st)
}

// prevPath is where the previous binary is kept: steward-agent.prev
// (steward-agent.prev.exe on Windows).
func prevPath(exe string) string {
	ext := filepath.Ext(exe)
	return strings.TrimSuffix(exe, ext) + ".prev" + ext
}

// failedPath is where Windows moves a running binary that is being rolled
// back (a running executable can be renamed there, not deleted).
func failedPath(exe string) string {
	ext := filepath.Ext(exe)
	return strings.TrimSuffix(exe, ext) + ".failed" + ext
}

// install writes the marker, then swaps. The marker goes first so the new
// binary never starts unprotected; if the swap fails the marker goes again.
func (u *Updater) install(tmp, version string) error {
	maxA, window := u.MaxAttempts, u.ConfirmWindow
	if maxA <= 0 {
		maxA = DefaultMaxAttempts
	}
	if window <= 0 {
		window = DefaultConfirmWindow
	}
	m := &marker{Version: version, From: u.Version, Exe: u.Exe, Prev: prevPath(u.Exe), MaxAttempts: maxA,
		Window: window, Installed: time.Now().UTC()}
	if err := modifyState(u.Dir, func(st *state) { st.Pending = m }); err != nil {
		return fmt.Errorf("%w: %v", ErrFailed, err)
	}
	if err := swap(u.Exe, tmp, m.Prev); err != nil {
		_ = modifyState(u.Dir, func(st *state) { st.Pending = nil })
		return fmt.Errorf("%w: replacing the binary: %v", ErrFailed, err)
	}
	return nil
}

// Pending is a started new version that has not confirmed yet.
type Pending struct {
	dir  string
	m    marker
	log  *slog.Logger
	mu   sync.Mutex
	done chan struct{}
	fin  bool
}

// Version is the new version being tried.
func (p *Pending) Version() string { return p.m.Version }

// Deadline is when this start must have confirmed.
func (p *Pending) Deadline() time.Time { return p.m.Started.Add(p.m.Window) }

// Done is closed once the update is confirmed or rolled back.
func (p *Pending) Done() <-chan struct{} { return p.done }

// Startup settles an update in progress. Call it first when the agent
// starts, with the agent's state directory, its binary and its version.
//
// It returns a Pending when this process is a new version on trial (call
// Confirm once it reached the server, and Rollback if it does not by
// Deadline); nil when no update is in progress; ErrRestart when it rolled
// back and the process must exit so the previous version starts.
func Startup(dir, exe, version string, log *slog.Logger) (*Pending, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	stateMu.Lock()
	st, err := loadState(dir)
	stateMu.Unlock()
	if err != nil {
		return nil, err
	}
	m := st.Pending
	if m == nil {
		cleanLeftovers(exe)
		return nil, nil
	}
	switch version {
	case m.Version:
		m.Attempts++
		p := &Pending{dir: dir, m: *m, log: log, done: make(chan struct{})}
		if m.Attempts > m.MaxAttempts {
			err := p.Rollback(fmt.Sprintf("version %s did not reach the server in %d starts", m.Version, m.MaxAttempts))
			return nil, err
		}
		p.m.Started = time.Now().UTC()
		mm := p.m
		if err := modifyState(dir, func(st *state) { st.Pending = &mm }); err != nil {
			return nil, err
		}
		log.Info("running a new agent version on trial", "version", m.Version, "from", m.From,
			"attempt", m.Attempts, "of", m.MaxAttempts)
		return p, nil
	case m.From:
		// The old binary runs with the marker still there: the swap never
		// happened (a crash between marker and swap) or someone put the old
		// binary back by hand. Either way the update did not happen.
		log.Warn("agent update did not complete", "version", m.Version)
		_ = os.Remove(m.Prev)
		return nil, modifyState(dir, func(st *state) {
			st.Pending = nil
			st.Report = &protocol.UpdateResult{Version: m.Version, From: m.From, State: protocol.UpdateFailed,
				Reason: "the new binary was never started", At: time.Now().UTC()}
		})
	default:
		log.Warn("dropping an update marker for another version", "marker", m.Version, "running", version)
		return nil, modifyState(dir, func(st *state) { st.Pending = nil })
	}
}

// Confirm ends the trial: the new version reached the server. It deletes
// the marker and the previous binary and leaves an "installed" report.
func (p *Pending) Confirm() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fin {
		return nil
	}
	err := modifyState(p.dir, func(st *state) {
		st.Pending = nil
		st.Report = &protocol.UpdateResult{Version: p.m.Version, From: p.m.From, State: protocol.UpdateInstalled,
			At: time.Now().UTC()}
	})
	if err != nil {
		return err
	}
	p.fin = true
	close(p.done)
	if err := os.Remove(p.m.Prev); err != nil && !errors.Is(err, os.ErrNotExist) {
		p.log.Warn("remove previous agent binary", "path", p.m.Prev, "err", err)
	}
	p.log.Info("agent update confirmed", "version", p.m.Version, "from", p.m.From)
	return nil
}

// Rollback puts the previous binary back and returns ErrRestart: the caller
// exits and the service manager starts the previous version, which reports
// the rollback. When the previous binary is gone there is nothing to go
// back to: the new version stays, the marker goes, and a failure is
// reported (the error returned is then not ErrRestart).
func (p *Pending) Rollback(reason string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fin {
		return errors.New("update: already confirmed or rolled back")
	}
	p.fin = true
	close(p.done)
	now := time.Now().UTC()
	if _, err := os.Stat(p.m.Prev); err != nil {
		p.log.Error("cannot roll back: previous agent binary missing; keeping the new version", "prev", p.m.Prev, "reason", reason)
		if err := modifyState(p.dir, func(st *state) {
			st.Pending = nil
			st.Report = &protocol.UpdateResult{Version: p.m.Version, From: p.m.From, State: protocol.UpdateFailed,
				Reason: reason + "; no previous binary to roll back to", At: now}
		}); err != nil {
			return err
		}
		return fmt.Errorf("update: previous binary missing: %w", err)
	}
	if err := swapBack(p.m.Exe, p.m.Prev); err != nil {
		return fmt.Errorf("update: roll back: %w", err)
	}
	p.log.Error("agent update rolled back", "version", p.m.Version, "to", p.m.From, "reason", reason)
	err := modifyState(p.dir, func(st *state) {
		st.Pending = nil
		st.Report = &protocol.UpdateResult{Version: p.m.Version, From: p.m.From, State: protocol.UpdateRolledBack,
			Reason: reason, At: now}
		if st.RolledBack == nil {
			st.RolledBack = map[string]time.Time{}
		}
		st.RolledBack[p.m.Version] = now
	})
	if err != nil {
		// The binary is back already; a lost report is the lesser harm.
		p.log.Error("record rollback", "err", err)
	}
	return ErrRestart
}

// TakeReport returns the update outcome waiting to be sent to the server
// and forgets it; nil when there is none.
func TakeReport(dir string) (*protocol.UpdateResult, error) {
	var r *protocol.UpdateResult
	stateMu.Lock()
	st, err := loadState(dir)
	stateMu.Unlock()
	if err != nil || st.Report == nil {
		return nil, err
	}
	err = modifyState(dir, func(st *state) { r, st.Report = st.Report, nil })
	return r, err
}

// PeekReport returns the update outcome waiting to be sent, keeping it.
func PeekReport(dir string) (*protocol.UpdateResult, error) {
	stateMu.Lock()
	defer stateMu.Unlock()
	st, err := loadState(dir)
	return st.Report, err
}

// ClearReport forgets the waiting outcome if it is still r (one a newer
// outcome replaced stays).
func ClearReport(dir string, r protocol.UpdateResult) error {
	return modifyState(dir, func(st *state) {
		if q := st.Report; q != nil && q.Version == r.Version && q.State == r.State && q.At.Equal(r.At) {
			st.Report = nil
		}
	})
}

// cleanLeftovers removes what an earlier update left when none is in
// progress: interrupted downloads, a rolled back Windows binary, a previous
// binary nobody needs.
func cleanLeftovers(exe string) {
	if exe == "" {
		return
	}
	_ = os.Remove(failedPath(exe))
	_ = os.Remove(prevPath(exe))
	if olds, err := filepath.Glob(filepath.Join(filepath.Dir(exe), tempPattern(exe))); err == nil {
		for _, o := range olds {
			_ = os.Remove(o)
		}
	}
}
