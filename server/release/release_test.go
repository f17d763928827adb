package release

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeBin(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func keys(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "release.key")
	pub, err := GenerateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ReadPrivateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv, path
}

func TestKeyFiles(t *testing.T) {
	pub, priv, path := keys(t)
	if !priv.Public().(ed25519.PublicKey).Equal(pub) {
		t.Fatal("private key does not match the public key returned")
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
	if _, err := GenerateKey(path); err == nil {
		t.Fatal("an existing key file was overwritten")
	}
	h := hex.EncodeToString(pub)
	pubFile := filepath.Join(t.TempDir(), "release.pub")
	_ = os.WriteFile(pubFile, []byte(h+"\n"), 0o644)
	for _, in := range []string{h, " " + h + "\n", pubFile} {
		got, err := ParsePublicKey(in)
		if err != nil || !got.Equal(pub) {
			t.Errorf("ParsePublicKey(%q) = %x, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", h[:10], path, "/nonexistent"} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) accepted", bad)
		}
	}
}

func TestSignGetVerify(t *testing.T) {
	pub, priv, _ := keys(t)
	dir := t.TempDir()
	bins := []Binary{{OS: "windows", Arch: "amd64", Path: writeBin(t, "MZ windows")}, {OS: "linux", Arch: "arm64", Path: writeBin(t, "ELF linux")}}
	r, err := Sign(priv, dir, "1.2.0", bins, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{Dir: dir, Key: pub}
	got, err := s.Get("1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := got.VerifyFiles(); err != nil {
		t.Fatal(err)
	}
	f, ok := got.File("windows", "amd64")
	if !ok || f.Name != "steward-agent-windows-amd64.exe" || f.Size != int64(len("MZ windows")) {
		t.Fatalf("windows file = %+v %v", f, ok)
	}
	o, ok := got.Offer("linux", "arm64")
	if !ok || o.URL != "/agent/update/1.2.0/steward-agent-linux-arm64" || o.Version != "1.2.0" ||
		string(o.Manifest) != string(r.Raw) || !ed25519.Verify(pub, o.Manifest, o.Signature) {
		t.Fatalf("offer = %+v", o)
	}
	if _, ok := got.Offer("darwin", "arm64"); ok {
		t.Fatal("offer for a platform the release lacks")
	}
	if _, err := Sign(priv, dir, "1.2.0", bins, time.Now()); err == nil {
		t.Fatal("an existing release was overwritten")
	}
	if _, err := Sign(priv, dir, "../x", bins, time.Now()); err == nil {
		t.Fatal("a path as version was accepted")
	}
	// Tampering with a binary keeps its size: Get (cheap, on every offer)
	// passes, VerifyFiles and every agent catch it.
	p := got.Path(f)
	if err := os.WriteFile(p, []byte("MZ WINDOWS"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := got.VerifyFiles(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("VerifyFiles after tampering = %v", err)
	}
	_ = os.WriteFile(p, []byte("MZ"), 0o644)
	if _, err := s.Get("1.2.0"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "bytes") {
		t.Fatalf("Get with a short binary = %v", err)
	}
}

func TestGetRefuses(t *testing.T) {
	pub, priv, _ := keys(t)
	other, _, _ := keys(t)
	dir := t.TempDir()
	if _, err := Sign(priv, dir, "1.0.0", []Binary{{OS: "linux", Arch: "amd64", Path: writeBin(t, "x")}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := (&Store{Dir: dir, Key: other}).Get("1.0.0"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("other key: %v", err)
	}
	if _, err := (&Store{Dir: dir, Key: pub}).Get("2.0.0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := (&Store{Dir: dir, Key: pub}).Get("../1.0.0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("traversal: %v", err)
	}
	// A release copied under another version's name is refused.
	if err := os.Rename(filepath.Join(dir, "1.0.0"), filepath.Join(dir, "3.0.0")); err != nil {
		t.Fatal(err)
	}
	if _, err := (&Store{Dir: dir, Key: pub}).Get("3.0.0"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("renamed: %v", err)
	}
	m := filepath.Join(dir, "3.0.0", ManifestFile)
	b, _ := os.ReadFile(m)
	_ = os.WriteFile(m, []byte(strings.Replace(string(b), "1.0.0", "3.0.0", 1)), 0o644)
	if _, err := (&Store{Dir: dir, Key: pub}).Get("3.0.0"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("edited manifest: %v", err)
	}
}

func TestListNewestFirst(t *testing.T) {
	pub, priv, _ := keys(t)
	dir := t.TempDir()
	bin := writeBin(t, "x")
	for _, v := range []string{"1.2.0", "1.10.0", "1.10.0-rc.1", "0.9.0"} {
		if _, err := Sign(priv, dir, v, []Binary{{OS: "linux", Arch: "amd64", Path: bin}}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	_ = os.Mkdir(filepath.Join(dir, "2.0.0"), 0o755) // no manifest
	_ = os.Mkdir(filepath.Join(dir, "notes"), 0o755) // not a version
	s := &Store{Dir: dir, Key: pub}
	l, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range l {
		v := x.Version
		if x.Err != nil {
			v += "!"
		}
		got = append(got, v)
	}
	if want := "2.0.0! 1.10.0 1.10.0-rc.1 1.2.0 0.9.0"; strings.Join(got, " ") != want {
		t.Fatalf("List = %v, want %s", got, want)
	}
	latest, err := s.Latest()
	if err != nil || latest.Version != "1.10.0" {
		t.Fatalf("Latest = %v, %v", latest, err)
	}
	if l, err := (&Store{Dir: filepath.Join(dir, "none"), Key: pub}).List(); err != nil || len(l) != 0 {
		t.Fatalf("missing dir: %v %v", l, err)
	}
}

func TestCompare(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.0.0", "1.0.0", 0}, {"1.10.0", "1.9.0", 1}, {"1.0.0-rc.1", "1.0.0", -1},
		{"1.0.0-rc.2", "1.0.0-rc.10", -1}, {"v2", "1.9.9", 1}, {"junk", "0.0.1", -1},
	}
	for _, c := range cases {
		if got := Compare(c.a, c.b); got != c.want {
			t.Errorf("Compare(%q,%q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// FuzzVerify: arbitrary manifests and signatures never panic, and nothing
// unsigned is accepted.
func FuzzVerify(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	good := []byte(`{"version":"1.0.0","files":[{"os":"linux","arch":"amd64","name":"steward-agent-linux-amd64","sha256":"` +
		strings.Repeat("a", 64) + `","size":1}]}`)
	f.Add(good, ed25519.Sign(priv, good))
	f.Add([]byte(`{}`), []byte{1, 2})
	f.Fuzz(func(t *testing.T, raw, sig []byte) {
		m, err := Verify(pub, raw, sig)
		if err == nil && !ed25519.Verify(pub, raw, sig) {
			t.Fatalf("accepted an unsigned manifest %+v", m)
		}
	})
}
