//go:build !windows

package update

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// fakeAgent is a shell script standing in for an agent binary: "version"
// prints its version; "run" under TrialEnv writes the trial proof. mode
// "crash" makes run exit 1, "liar" makes version print something else.
func fakeAgent(version, mode string) []byte {
	v, run := version, `if [ -n "$`+TrialEnv+`" ]; then printf 'ok %s\n' "`+version+`" > "$`+TrialEnv+`"; exit 0; fi; exit 0`
	switch mode {
	case "crash":
		run = `echo "panic: broken build" >&2; exit 1`
	case "liar":
		v = "6.6.6"
	case "hang":
		run = `sleep 30`
	}
	return []byte("#!/bin/sh\ncase \"$1\" in\nversion) echo " + v + " ;;\nrun) " + run + " ;;\nesac\n")
}

// fixture is an installed agent (a fake binary in its own install
// directory, a state directory) and a server handing out one release.
type fixture struct {
	t      *testing.T
	state  string
	inst   string
	exe    string
	pub    ed25519.PublicKey
	priv   ed25519.PrivateKey
	srv    *httptest.Server
	served atomic.Pointer[[]byte]
	hits   atomic.Int32
	busy   atomic.Int32 // answer this many requests 503 first
	old    []byte
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, state: t.TempDir(), inst: t.TempDir()}
	f.pub, f.priv, _ = ed25519.GenerateKey(rand.Reader)
	f.exe = filepath.Join(f.inst, "steward-agent")
	f.old = fakeAgent("1.0.0", "")
	if err := os.WriteFile(f.exe, f.old, 0o755); err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		if f.busy.Add(-1) >= 0 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		b := f.served.Load()
		if b == nil || !strings.HasPrefix(r.URL.Path, "/agent/update/") {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(*b)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// offer signs a release of bin as version; edit may change the manifest
// after the file's true hash and size are filled in.
func (f *fixture) offer(version string, bin []byte, edit func(*protocol.ReleaseManifest)) protocol.UpdateOffer {
	sum := sha256.Sum256(bin)
	name := fmt.Sprintf("steward-agent-%s-%s", runtime.GOOS, runtime.GOARCH)
	m := protocol.ReleaseManifest{Version: version, Files: []protocol.ReleaseFile{{OS: runtime.GOOS, Arch: runtime.GOARCH,
		Name: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(bin))}}}
	if edit != nil {
		edit(&m)
	}
	mb, sig := sign(f.t, f.priv, m)
	f.served.Store(&bin)
	return protocol.UpdateOffer{Version: version, Manifest: mb, Signature: sig, URL: "/agent/update/" + version + "/" + name}
}

func (f *fixture) updater() *Updater {
	return &Updater{Key: f.pub, Dir: f.state, Exe: f.exe, Version: "1.0.0", Server: f.srv.URL, HTTP: f.srv.Client(),
		Args: []string{"run", "--config", f.state}, TrialTimeout: 10 * time.Second}
}

func (f *fixture) exeIs(want []byte) bool {
	b, _ := os.ReadFile(f.exe)
	return bytes.Equal(b, want)
}

// leftovers lists files in the install directory besides the binary.
func (f *fixture) leftovers() []string {
	ents, _ := os.ReadDir(f.inst)
	var out []string
	for _, e := range ents {
		if e.Name() != "steward-agent" {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestApplyInstallsAndKeepsPrevious(t *testing.T) {
	f := newFixture(t)
	nb := fakeAgent("1.1.0", "")
	err := f.updater().Apply(context.Background(), f.offer("1.1.0", nb, nil))
	if !errors.Is(err, ErrRestart) {
		t.Fatalf("Apply = %v, want ErrRestart", err)
	}
	if !f.exeIs(nb) {
		t.Fatal("new binary not in place")
	}
	if prev, _ := os.ReadFile(prevPath(f.exe)); !bytes.Equal(prev, f.old) {
		t.Fatal("previous binary not kept as steward-agent.prev")
	}
	if got := f.leftovers(); len(got) != 1 || got[0] != "steward-agent.prev" {
		t.Fatalf("install dir holds %v", got)
	}
	st, _ := loadState(f.state)
	if st.Pending == nil || st.Pending.Version != "1.1.0" || st.Pending.From != "1.0.0" || st.Pending.Attempts != 0 {
		t.Fatalf("marker = %+v", st.Pending)
	}
}

func TestApplyRefusesAndFails(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(f *fixture, u *Updater) protocol.UpdateOffer
		want     error
		reason   string
		download bool // whether the binary may have been fetched
	}{
		{"bad signature", func(f *fixture, u *Updater) protocol.UpdateOffer {
			o := f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
			o.Signature[0] ^= 1
			return o
		}, ErrRefused, "signature does not verify", false},
		{"signed by another key", func(f *fixture, u *Updater) protocol.UpdateOffer {
			o := f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
			u.Key, _, _ = ed25519.GenerateKey(rand.Reader)
			return o
		}, ErrRefused, "signature does not verify", false},
		{"no pinned key", func(f *fixture, u *Updater) protocol.UpdateOffer {
			u.Key = nil
			return f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
		}, ErrRefused, "no release key", false},
		{"offer version differs from manifest", func(f *fixture, u *Updater) protocol.UpdateOffer {
			o := f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
			o.Version = "2.0.0"
			return o
		}, ErrRefused, "signed manifest says", false},
		{"downgrade", func(f *fixture, u *Updater) protocol.UpdateOffer {
			return f.offer("0.9.0", fakeAgent("0.9.0", ""), nil)
		}, ErrRefused, "downgrade", false},
		{"same version", func(f *fixture, u *Updater) protocol.UpdateOffer {
			return f.offer("1.0.0", fakeAgent("1.0.0", ""), nil)
		}, ErrRefused, "already running", false},
		{"dev build", func(f *fixture, u *Updater) protocol.UpdateOffer {
			u.Version = "dev"
			return f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
		}, ErrRefused, "not a release version", false},
		{"reboot pending", func(f *fixture, u *Updater) protocol.UpdateOffer {
			u.RebootPending = func() bool { return true }
			return f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
		}, ErrRebootPending, "reboot is pending", false},
		{"over the size cap", func(f *fixture, u *Updater) protocol.UpdateOffer {
			u.MaxSize = 16
			return f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
		}, ErrRefused, "more than the 16 allowed", false},
		{"no build for this platform", func(f *fixture, u *Updater) protocol.UpdateOffer {
			u.GOOS = "plan9"
			return f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
		}, ErrRefused, "no build for plan9", false},
		{"URL on another host", func(f *fixture, u *Updater) protocol.UpdateOffer {
			o := f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
			o.URL = "https://evil.example/agent/update/x"
			return o
		}, ErrRefused, "path on the agent's server", false},
		{"scheme-relative URL", func(f *fixture, u *Updater) protocol.UpdateOffer {
			o := f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
			o.URL = "//evil.example/agent/update/x"
			return o
		}, ErrRefused, "path on the agent's server", false},
		{"world-writable install dir", func(f *fixture, u *Updater) protocol.UpdateOffer {
			if err := os.Chmod(f.inst, 0o777); err != nil {
				f.t.Fatal(err)
			}
			f.t.Cleanup(func() { _ = os.Chmod(f.inst, 0o700) })
			return f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
		}, ErrRefused, "writable by every user", false},
		{"wrong hash", func(f *fixture, u *Updater) protocol.UpdateOffer {
			good := fakeAgent("1.1.0", "")
			o := f.offer("1.1.0", good, nil)
			evil := bytes.Clone(good)
			evil[len(evil)-2] = '#' // same size, other content
			f.served.Store(&evil)
			return o
		}, ErrFailed, "SHA-256 of the download", true},
		{"longer than the manifest says", func(f *fixture, u *Updater) protocol.UpdateOffer {
			good := fakeAgent("1.1.0", "")
			o := f.offer("1.1.0", good, nil)
			long := append(bytes.Clone(good), strings.Repeat("x", 1<<16)...)
			f.served.Store(&long)
			return o
		}, ErrFailed, "manifest says", true},
		{"self-test prints another version", func(f *fixture, u *Updater) protocol.UpdateOffer {
			return f.offer("1.1.0", fakeAgent("1.1.0", "liar"), nil)
		}, ErrFailed, `says it is "6.6.6"`, true},
		{"trial start crashes", func(f *fixture, u *Updater) protocol.UpdateOffer {
			return f.offer("1.1.0", fakeAgent("1.1.0", "crash"), nil)
		}, ErrFailed, "panic: broken build", true},
		{"trial start never returns", func(f *fixture, u *Updater) protocol.UpdateOffer {
			u.TrialTimeout = 300 * time.Millisecond
			return f.offer("1.1.0", fakeAgent("1.1.0", "hang"), nil)
		}, ErrFailed, "did not finish", true},
		{"busy with jobs", func(f *fixture, u *Updater) protocol.UpdateOffer {
			u.Idle = func(context.Context) error { return errors.New("jobs still running") }
			return f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
		}, ErrDeferred, "jobs still running", true},
		{"reboot became pending during download", func(f *fixture, u *Updater) protocol.UpdateOffer {
			var n atomic.Int32
			u.RebootPending = func() bool { return n.Add(1) > 1 }
			return f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
		}, ErrRebootPending, "reboot is pending", true},
		{"rolled back recently", func(f *fixture, u *Updater) protocol.UpdateOffer {
			if err := saveState(f.state, state{RolledBack: map[string]time.Time{"1.1.0": time.Now()}}); err != nil {
				f.t.Fatal(err)
			}
			return f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
		}, ErrRefused, "was rolled back", false},
		{"previous update unconfirmed", func(f *fixture, u *Updater) protocol.UpdateOffer {
			if err := saveState(f.state, state{Pending: &marker{Version: "1.0.5"}}); err != nil {
				f.t.Fatal(err)
			}
			return f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
		}, ErrDeferred, "not confirmed yet", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			u := f.updater()
			o := c.setup(f, u)
			err := u.Apply(context.Background(), o)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("Apply = %v; want %v containing %q", err, c.want, c.reason)
			}
			if !f.exeIs(f.old) {
				t.Fatal("the running binary was replaced")
			}
			if got := f.leftovers(); len(got) != 0 {
				t.Fatalf("left in the install dir: %v", got)
			}
			if !c.download && f.hits.Load() != 0 {
				t.Fatalf("downloaded %d times before refusing", f.hits.Load())
			}
			st, _ := loadState(f.state)
			if c.name != "previous update unconfirmed" && st.Pending != nil {
				t.Fatalf("marker written: %+v", st.Pending)
			}
		})
	}
}

func TestApplyDevAllowedWhenForced(t *testing.T) {
	f := newFixture(t)
	u := f.updater()
	u.Version, u.AllowDev = "dev", true
	if err := u.Apply(context.Background(), f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)); !errors.Is(err, ErrRestart) {
		t.Fatalf("Apply = %v", err)
	}
}

func TestApplyOneAtATime(t *testing.T) {
	f := newFixture(t)
	u := f.updater()
	release := make(chan struct{})
	entered := make(chan struct{})
	u.Idle = func(context.Context) error { close(entered); <-release; return errors.New("stop") }
	o := f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
	done := make(chan error)
	go func() { done <- u.Apply(context.Background(), o) }()
	<-entered
	err := u.Apply(context.Background(), o)
	close(release)
	<-done
	if !errors.Is(err, ErrDeferred) || !strings.Contains(err.Error(), "in progress") {
		t.Fatalf("second Apply = %v", err)
	}
}

// install runs a successful Apply of version 1.1.0 and returns the new binary.
func (f *fixture) install(u *Updater) []byte {
	f.t.Helper()
	nb := fakeAgent("1.1.0", "")
	if err := u.Apply(context.Background(), f.offer("1.1.0", nb, nil)); !errors.Is(err, ErrRestart) {
		f.t.Fatalf("Apply = %v", err)
	}
	return nb
}

func TestStartupConfirm(t *testing.T) {
	f := newFixture(t)
	nb := f.install(f.updater())
	p, err := Startup(f.state, f.exe, "1.1.0", nil)
	if err != nil || p == nil || p.Version() != "1.1.0" {
		t.Fatalf("Startup = %v, %v", p, err)
	}
	if d := time.Until(p.Deadline()); d <= 0 || d > DefaultConfirmWindow {
		t.Fatalf("deadline %v away", d)
	}
	if err := p.Confirm(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("Done not closed by Confirm")
	}
	if !f.exeIs(nb) || len(f.leftovers()) != 0 {
		t.Fatalf("after confirm: new in place %v, leftovers %v", f.exeIs(nb), f.leftovers())
	}
	r, err := TakeReport(f.state)
	if err != nil || r == nil || r.State != protocol.UpdateInstalled || r.Version != "1.1.0" || r.From != "1.0.0" {
		t.Fatalf("report = %+v, %v", r, err)
	}
	if r, _ := TakeReport(f.state); r != nil {
		t.Fatalf("report given twice: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(f.state, StateFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("empty state file left behind")
	}
	if p, err := Startup(f.state, f.exe, "1.1.0", nil); p != nil || err != nil {
		t.Fatalf("second start after confirm: %v %v", p, err)
	}
	if err := p.Rollback("late"); err == nil {
		t.Fatal("rollback after confirm accepted")
	}
}

func TestStartupRollsBackAfterTooManyStarts(t *testing.T) {
	f := newFixture(t)
	u := f.updater()
	u.MaxAttempts = 2
	nb := f.install(u)
	for i := 1; i <= 2; i++ {
		p, err := Startup(f.state, f.exe, "1.1.0", nil)
		if err != nil || p == nil {
			t.Fatalf("start %d: %v %v", i, p, err)
		}
		st, _ := loadState(f.state)
		if st.Pending.Attempts != i {
			t.Fatalf("start %d counted %d", i, st.Pending.Attempts)
		}
		if !f.exeIs(nb) {
			t.Fatalf("start %d: rolled back early", i)
		}
	}
	p, err := Startup(f.state, f.exe, "1.1.0", nil)
	if !errors.Is(err, ErrRestart) || p != nil {
		t.Fatalf("third start = %v, %v; want ErrRestart", p, err)
	}
	if !f.exeIs(f.old) || len(f.leftovers()) != 0 {
		t.Fatalf("not rolled back: old in place %v, leftovers %v", f.exeIs(f.old), f.leftovers())
	}
	// The old version starts, reports the rollback, and refuses the same
	// version when it is offered again.
	if p, err := Startup(f.state, f.exe, "1.0.0", nil); p != nil || err != nil {
		t.Fatalf("old version start: %v %v", p, err)
	}
	r, _ := TakeReport(f.state)
	if r == nil || r.State != protocol.UpdateRolledBack || !strings.Contains(r.Reason, "2 starts") {
		t.Fatalf("report = %+v", r)
	}
	err = f.updater().Apply(context.Background(), f.offer("1.1.0", nb, nil))
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("re-offer = %v", err)
	}
}

func TestRollbackAtDeadline(t *testing.T) {
	f := newFixture(t)
	f.install(f.updater())
	p, err := Startup(f.state, f.exe, "1.1.0", nil)
	if err != nil || p == nil {
		t.Fatal(err)
	}
	if err := p.Rollback("did not reach the server within 5m0s"); !errors.Is(err, ErrRestart) {
		t.Fatalf("Rollback = %v", err)
	}
	if !f.exeIs(f.old) {
		t.Fatal("old binary not back")
	}
	if err := p.Confirm(); err != nil {
		t.Fatal(err)
	}
	r, _ := TakeReport(f.state)
	if r == nil || r.State != protocol.UpdateRolledBack {
		t.Fatalf("confirm after rollback overwrote the report: %+v", r)
	}
}

func TestRollbackWithoutPrevious(t *testing.T) {
	f := newFixture(t)
	nb := f.install(f.updater())
	p, _ := Startup(f.state, f.exe, "1.1.0", nil)
	if err := os.Remove(prevPath(f.exe)); err != nil {
		t.Fatal(err)
	}
	if err := p.Rollback("deadline"); err == nil || errors.Is(err, ErrRestart) {
		t.Fatalf("Rollback = %v; want a non-restart error", err)
	}
	if !f.exeIs(nb) {
		t.Fatal("the only binary left was touched")
	}
	r, _ := TakeReport(f.state)
	if r == nil || r.State != protocol.UpdateFailed || !strings.Contains(r.Reason, "no previous binary") {
		t.Fatalf("report = %+v", r)
	}
}

func TestStartupOldVersionWithMarker(t *testing.T) {
	f := newFixture(t)
	// A crash between the marker and the swap: the marker is there, the
	// old binary runs.
	if err := saveState(f.state, state{Pending: &marker{Version: "1.1.0", From: "1.0.0", Exe: f.exe,
		Prev: prevPath(f.exe), MaxAttempts: 3}}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prevPath(f.exe), f.old, 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := Startup(f.state, f.exe, "1.0.0", nil)
	if p != nil || err != nil {
		t.Fatalf("Startup = %v, %v", p, err)
	}
	r, _ := TakeReport(f.state)
	if r == nil || r.State != protocol.UpdateFailed || r.Version != "1.1.0" {
		t.Fatalf("report = %+v", r)
	}
	if len(f.leftovers()) != 0 || !f.exeIs(f.old) {
		t.Fatalf("leftovers %v", f.leftovers())
	}
}

func TestStartupCleansLeftovers(t *testing.T) {
	f := newFixture(t)
	for _, n := range []string{".steward-agent.new-123", "steward-agent.prev", "steward-agent.failed"} {
		if err := os.WriteFile(filepath.Join(f.inst, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	keep := filepath.Join(f.inst, "other-file")
	_ = os.WriteFile(keep, nil, 0o600)
	if p, err := Startup(f.state, f.exe, "1.0.0", nil); p != nil || err != nil {
		t.Fatalf("Startup = %v %v", p, err)
	}
	if got := f.leftovers(); len(got) != 1 || got[0] != "other-file" {
		t.Fatalf("install dir holds %v", got)
	}
}

func TestCorruptStateDoesNotWedge(t *testing.T) {
	f := newFixture(t)
	if err := os.WriteFile(filepath.Join(f.state, StateFile), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Startup(f.state, f.exe, "1.0.0", nil); err == nil {
		t.Fatal("corrupt state read without error")
	}
	// The next install overwrites it.
	f.install(f.updater())
	if p, err := Startup(f.state, f.exe, "1.1.0", nil); err != nil || p == nil {
		t.Fatalf("Startup after reinstall = %v %v", p, err)
	}
}

func TestDownloadWaitsWhileServerBusy(t *testing.T) {
	f := newFixture(t)
	f.busy.Store(1)
	if err := f.updater().Apply(context.Background(), f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)); !errors.Is(err, ErrRestart) {
		t.Fatalf("Apply = %v", err)
	}
	if n := f.hits.Load(); n != 2 {
		t.Fatalf("%d requests, want 2 (one deferred, one served)", n)
	}
}

func TestDownloadServerError(t *testing.T) {
	f := newFixture(t)
	o := f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)
	o.URL = "/elsewhere/x" // the fixture answers 404
	err := f.updater().Apply(context.Background(), o)
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "404") || !f.exeIs(f.old) || len(f.leftovers()) != 0 {
		t.Fatalf("Apply = %v", err)
	}
}

func TestPeekAndClearReport(t *testing.T) {
	f := newFixture(t)
	u := f.updater()
	u.MaxAttempts = 1
	f.install(u)
	_, _ = Startup(f.state, f.exe, "1.1.0", nil)
	if _, err := Startup(f.state, f.exe, "1.1.0", nil); !errors.Is(err, ErrRestart) {
		t.Fatalf("second start = %v", err)
	}
	r, err := PeekReport(f.state)
	if err != nil || r == nil || r.State != protocol.UpdateRolledBack {
		t.Fatalf("peek = %+v %v", r, err)
	}
	if again, _ := PeekReport(f.state); again == nil {
		t.Fatal("peek consumed the report")
	}
	// A report other than the one sent stays.
	other := *r
	other.State = protocol.UpdateFailed
	if err := ClearReport(f.state, other); err != nil {
		t.Fatal(err)
	}
	if again, _ := PeekReport(f.state); again == nil {
		t.Fatal("a different report was cleared")
	}
	if err := ClearReport(f.state, *r); err != nil {
		t.Fatal(err)
	}
	if again, _ := PeekReport(f.state); again != nil {
		t.Fatalf("report still there: %+v", again)
	}
	// The rollback memory outlives the report.
	if err := u.Apply(context.Background(), f.offer("1.1.0", fakeAgent("1.1.0", ""), nil)); !errors.Is(err, ErrRefused) {
		t.Fatalf("re-offer after clear = %v", err)
	}
}
