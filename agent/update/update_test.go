package update

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

func sign(t *testing.T, priv ed25519.PrivateKey, m protocol.ReleaseManifest) ([]byte, []byte) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b, ed25519.Sign(priv, b)
}

func goodManifest() protocol.ReleaseManifest {
	return protocol.ReleaseManifest{Version: "1.1.0", Files: []protocol.ReleaseFile{{OS: "linux", Arch: "amd64",
		Name: "steward-agent-linux-amd64", SHA256: strings.Repeat("ab", 32), Size: 10}}}
}

func TestVerifyManifest(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	good, goodSig := sign(t, priv, goodManifest())
	_, otherSig := sign(t, other, goodManifest())
	tampered := []byte(strings.Replace(string(good), "1.1.0", "9.1.0", 1))
	extra, extraSig := func() ([]byte, []byte) {
		b := []byte(`{"version":"1.1.0","files":[],"run_this":"rm -rf /"}`)
		return b, ed25519.Sign(priv, b)
	}()
	badEntry := goodManifest()
	badEntry.Files[0].Name = "../../etc/passwd"
	badEntryB, badEntrySig := sign(t, priv, badEntry)
	devM := goodManifest()
	devM.Version = "dev"
	devB, devSig := sign(t, priv, devM)
	cases := []struct {
		name      string
		key       ed25519.PublicKey
		man, sig  []byte
		wantError string // "" = valid
	}{
		{"good", pub, good, goodSig, ""},
		{"signed by another key", pub, good, otherSig, "does not verify"},
		{"tampered manifest", pub, tampered, goodSig, "does not verify"},
		{"no pinned key", nil, good, goodSig, "no release key"},
		{"short signature", pub, good, goodSig[:10], "does not verify"},
		{"unknown field", pub, extra, extraSig, "malformed manifest"},
		{"path in name", pub, badEntryB, badEntrySig, "malformed manifest entry"},
		{"dev version", pub, devB, devSig, "manifest version"},
		{"empty", pub, nil, goodSig, "manifest missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := VerifyManifest(c.key, c.man, c.sig)
			if c.wantError == "" {
				if err != nil || m.Version != "1.1.0" || len(m.Files) != 1 {
					t.Fatalf("got %+v, %v", m, err)
				}
				return
			}
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), c.wantError) {
				t.Fatalf("err = %v, want ErrRefused containing %q", err, c.wantError)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	h := strings.ToUpper(encodeHex(pub))
	got, err := ParseKey(" " + h + "\n")
	if err != nil || !got.Equal(pub) {
		t.Fatalf("ParseKey = %x, %v", got, err)
	}
	for _, bad := range []string{"", "zz", h[:62], h + "00"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

func encodeHex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, len(b)*2)
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestHandleTrial(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(TrialEnv, "")
	if ok, err := HandleTrial("1.2.3"); ok || err != nil {
		t.Fatalf("no trial: %v %v", ok, err)
	}
	elsewhere := filepath.Join(dir, "passwd")
	t.Setenv(TrialEnv, elsewhere)
	if ok, err := HandleTrial("1.2.3"); !ok || err == nil {
		t.Fatalf("foreign file name: %v %v", ok, err)
	}
	if _, err := os.Stat(elsewhere); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a file not named like a trial file was written")
	}
	proof := filepath.Join(dir, trialPrefix+"x")
	t.Setenv(TrialEnv, proof)
	if ok, err := HandleTrial("1.2.3"); !ok || err != nil {
		t.Fatalf("trial: %v %v", ok, err)
	}
	if b, _ := os.ReadFile(proof); string(b) != "ok 1.2.3\n" {
		t.Fatalf("proof = %q", b)
	}
}

func TestResult(t *testing.T) {
	offer := protocol.UpdateOffer{Version: "1.1.0"}
	cases := []struct {
		err  error
		want string
	}{
		{ErrRestart, protocol.UpdateInstalled},
		{ErrRebootPending, protocol.UpdateDeferred},
		{fmt.Errorf("%w: downgrade", ErrRefused), protocol.UpdateRefused},
		{errors.Join(ErrFailed, errors.New("hash")), protocol.UpdateFailed},
		{errors.New("other"), protocol.UpdateFailed},
	}
	for _, c := range cases {
		if got := Result("1.0.0", offer, c.err, time.Time{}); got.State != c.want || got.From != "1.0.0" || got.Version != "1.1.0" {
			t.Errorf("Result(%v) = %+v, want state %s", c.err, got, c.want)
		}
	}
}
