//go:build !windows

package service

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/agent/identity"
	"github.com/steward-rmm/steward/tlspin"
)

// fakeEnroller writes a loadable identity without a server and counts
// its calls.
type fakeEnroller struct {
	calls int
	err   error
}

func (f *fakeEnroller) enroll(o identity.EnrollOptions) (*identity.Identity, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "d_test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	if err := os.WriteFile(filepath.Join(o.Dir, identity.KeyFile), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.Dir, identity.CertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	pins, err := tlspin.ParsePins(o.Fingerprint)
	if err != nil {
		return nil, err
	}
	if err := identity.Save(o.Dir, identity.Config{Server: strings.TrimRight(o.Server, "/"), DeviceID: "d_test",
		Pins: []string{tlspin.Format(pins)}}); err != nil {
		return nil, err
	}
	return identity.Load(o.Dir)
}

type fixture struct {
	root, src string
	layout    Layout
	rec       *Recorder
	enr       *fakeEnroller
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "steward-agent")
	if err := os.WriteFile(src, []byte("#!/bin/sh\necho agent v1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	l := LayoutFor("linux", "", "").WithRoot(root)
	def, err := Definition("linux", l)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{root: root, src: src, layout: l, rec: &Recorder{Path: filepath.Join(root, RecordFile), Def: def},
		enr: &fakeEnroller{}}
}

const fp = "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"

func (f *fixture) opts() InstallOptions {
	return InstallOptions{Layout: f.layout, Server: "https://rmm.example:8443", Token: "enr_x", Fingerprint: fp,
		Source: f.src, Manager: f.rec, Privileged: func() bool { return true }, Enroll: f.enr.enroll}
}

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestInstallFresh(t *testing.T) {
	f := newFixture(t)
	res, err := Install(f.opts())
	if err != nil {
		t.Fatal(err)
	}
	if res.DeviceID != "d_test" || res.KeptIdentity || f.enr.calls != 1 {
		t.Errorf("result %+v after %d enrollments, want a new enrollment", res, f.enr.calls)
	}
	got, err := os.ReadFile(f.layout.BinPath)
	want, _ := os.ReadFile(f.src)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("installed binary %q (%v), want a copy of the source", got, err)
	}
	for p, want := range map[string]os.FileMode{f.layout.BinPath: 0o755, f.layout.BinDir: 0o755, f.layout.ConfigDir: 0o700,
		filepath.Join(f.layout.ConfigDir, identity.KeyFile): 0o600} {
		if got := mode(t, p); got != want {
			t.Errorf("%s mode %v, want %v", p, got, want)
		}
	}
	rec, err := f.rec.Read()
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Installed || !rec.Running || rec.Executable != f.layout.BinPath ||
		strings.Join(rec.Arguments, " ") != "run --config "+f.layout.ConfigDir ||
		strings.Join(rec.Actions, ",") != "install,start" {
		t.Errorf("service record %+v", rec)
	}
}

func TestReinstallKeepsIdentity(t *testing.T) {
	f := newFixture(t)
	if _, err := Install(f.opts()); err != nil {
		t.Fatal(err)
	}
	// A new build, installed again with the same (maybe used-up) token.
	if err := os.WriteFile(f.src, []byte("#!/bin/sh\necho agent v2\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	o := f.opts()
	o.ReleaseKey = strings.Repeat("AB", 32)
	res, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.KeptIdentity || res.DeviceID != "d_test" || f.enr.calls != 1 {
		t.Errorf("result %+v after %d enrollments, want the kept identity and one enrollment", res, f.enr.calls)
	}
	if got, _ := os.ReadFile(f.layout.BinPath); !strings.Contains(string(got), "v2") {
		t.Errorf("binary not upgraded: %q", got)
	}
	id, err := identity.Load(f.layout.ConfigDir)
	if err != nil || id.Config.UpdateKey != strings.Repeat("ab", 32) {
		t.Errorf("update key %q (%v), want the release key", id.Config.UpdateKey, err)
	}
	rec, _ := f.rec.Read()
	if got := strings.Join(rec.Actions, ","); got != "install,start,stop,uninstall,install,start" || !rec.Running {
		t.Errorf("service actions %s running %v", got, rec.Running)
	}
	// Only the identity is needed for a reinstall: no flags at all.
	o = f.opts()
	o.Server, o.Token, o.Fingerprint = "", "", ""
	if _, err := Install(o); err != nil || f.enr.calls != 1 {
		t.Errorf("flagless reinstall: %v after %d enrollments", err, f.enr.calls)
	}
}

func TestInstallRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(f *fixture, o *InstallOptions)
		want    string
	}{
		{"not root", func(f *fixture, o *InstallOptions) { o.Privileged = func() bool { return false } }, "needs root"},
		{"bad release key", func(f *fixture, o *InstallOptions) { o.ReleaseKey = "abc" }, "release key"},
		{"no token", func(f *fixture, o *InstallOptions) { o.Token = "" }, "required"},
		{"enrollment refused", func(f *fixture, o *InstallOptions) { f.enr.err = errors.New("enrollment refused: token used up") }, "used up"},
		{"other server", func(f *fixture, o *InstallOptions) {
			if _, err := Install(*o); err != nil {
				panic(err)
			}
			_ = os.Remove(f.layout.BinPath)
			_ = os.Remove(f.rec.Path)
			o.Server = "https://other.example"
		}, "enrolled with"},
		{"group-writable install path", func(f *fixture, o *InstallOptions) {
			dir := filepath.Join(f.root, "usr", "local")
			_ = os.MkdirAll(dir, 0o755)
			_ = os.Chmod(dir, 0o777)
		}, "writable by group or others"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			o := f.opts()
			tc.prepare(f, &o)
			_, err := Install(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Install error %v, want one containing %q", err, tc.want)
			}
			if rec, _ := f.rec.Read(); rec.Installed {
				t.Error("service registered despite the error")
			}
			if _, err := os.Stat(f.layout.BinPath); err == nil {
				t.Error("binary installed despite the error")
			}
		})
	}
}

func TestUninstall(t *testing.T) {
	for _, keep := range []bool{true, false} {
		f := newFixture(t)
		if _, err := Install(f.opts()); err != nil {
			t.Fatal(err)
		}
		// What the self-update leaves behind goes too.
		for _, n := range []string{"steward-agent.prev", ".steward-agent.new-123"} {
			if err := os.WriteFile(filepath.Join(f.layout.BinDir, n), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		err := Uninstall(UninstallOptions{Layout: f.layout, KeepIdentity: keep, Manager: f.rec,
			Privileged: func() bool { return true }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(f.layout.BinDir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("keep=%v: install directory still there (%v)", keep, err)
		}
		if got := identity.Enrolled(f.layout.ConfigDir); got != keep {
			t.Errorf("keep=%v: enrolled after uninstall = %v", keep, got)
		}
		if rec, _ := f.rec.Read(); rec.Installed || rec.Running {
			t.Errorf("keep=%v: service still registered: %+v", keep, rec)
		}
	}
	f := newFixture(t)
	if err := Uninstall(UninstallOptions{Layout: f.layout, Manager: f.rec, Privileged: func() bool { return false }}); !errors.Is(err, ErrNotPrivileged) {
		t.Errorf("unprivileged uninstall: %v", err)
	}
}

func TestStatus(t *testing.T) {
	f := newFixture(t)
	st, err := Status(f.layout, f.rec)
	if err != nil || st.Installed || st.Enrolled || st.Connected {
		t.Fatalf("before install: %+v, %v", st, err)
	}
	if _, err := Install(f.opts()); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func() error
		want State
	}{
		{"installed, not yet connected", func() error { return nil },
			State{Installed: true, Running: true, Enrolled: true}},
		{"connected", func() error { return WriteStatus(f.layout.ConfigDir, true, "https://rmm.example:8443", "1.2.3") },
			State{Installed: true, Running: true, Enrolled: true, Connected: true, Version: "1.2.3"}},
		{"stopped with a stale file", f.rec.Stop,
			State{Installed: true, Enrolled: true, Version: "1.2.3"}},
		{"running, disconnected", func() error {
			if err := f.rec.Start(); err != nil {
				return err
			}
			return WriteStatus(f.layout.ConfigDir, false, "https://rmm.example:8443", "1.2.3")
		}, State{Installed: true, Running: true, Enrolled: true, Version: "1.2.3"}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatal(err)
		}
		st, err := Status(f.layout, f.rec)
		if err != nil {
			t.Fatal(err)
		}
		got := State{Installed: st.Installed, Running: st.Running, Enrolled: st.Enrolled, Connected: st.Connected, Version: st.Version}
		if got != s.want {
			t.Errorf("%s: %+v, want %+v", s.name, got, s.want)
		}
		if st.DeviceID != "d_test" || st.Server != "https://rmm.example:8443" {
			t.Errorf("%s: device %q server %q", s.name, st.DeviceID, st.Server)
		}
	}
}

func TestCheckTrusted(t *testing.T) {
	base := t.TempDir()
	mk := func(rel string, mode os.FileMode) string {
		p := filepath.Join(base, rel)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	file := func(dir string, mode os.FileMode) string {
		p := filepath.Join(dir, "agent")
		if err := os.WriteFile(p, []byte("x"), mode); err != nil {
			t.Fatal(err)
		}
		_ = os.Chmod(p, mode)
		return p
	}
	good := file(mk("good", 0o755), 0o755)
	link := filepath.Join(base, "good", "link")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path string
		ok   bool
	}{
		{"root-owned 0755", good, true},
		{"below a sticky world-writable dir", file(mk("sticky/inner", 0o755), 0o755), true},
		{"world-writable file", file(mk("wfile", 0o755), 0o777), false},
		{"group-writable dir", file(mk("gdir", 0o775), 0o755), false},
		{"world-writable parent", file(mk("wparent/inner", 0o755), 0o755), false},
		{"symlink", link, false},
	} {
		if tc.name == "below a sticky world-writable dir" {
			_ = os.Chmod(filepath.Join(base, "sticky"), 0o777|os.ModeSticky)
		}
		if tc.name == "world-writable parent" {
			_ = os.Chmod(filepath.Join(base, "wparent"), 0o777)
		}
		err := checkTrusted(tc.path)
		if (err == nil) != tc.ok {
			t.Errorf("%s: checkTrusted = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
