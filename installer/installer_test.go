package installer

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const (
	fp  = "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	sum = "1111111111111111111111111111111111111111111111111111111111111111"
)

func params() Params {
	return Params{ServerURL: "https://rmm.example:8443/", Token: "enr_abc-DEF_123", Pin: strings.ToUpper(fp),
		ReleaseKey: strings.Repeat("cd", 32),
		Binaries: map[string]string{"linux/amd64": sum, "linux/arm64": strings.Repeat("2", 64),
			"darwin/arm64": strings.Repeat("3", 64), "windows/amd64": strings.Repeat("4", 64)}}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

func TestRenderGolden(t *testing.T) {
	s, err := Render(params())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "install.sh.golden", s.Shell)
	golden(t, "install.ps1.golden", s.PowerShell)
	for _, want := range []string{"server='https://rmm.example:8443'\n", "pins='ca:" + fp + "'\n", "pin_kind='ca'\n", "pin='" + fp + "'\n",
		"linux/amd64) want='" + sum + "' ;;\n", "token='enr_abc-DEF_123'\n"} {
		if !bytes.Contains(s.Shell, []byte(want)) {
			t.Errorf("install.sh lacks %q", want)
		}
	}
	if bytes.Contains(s.Shell, []byte(strings.Repeat("4", 64))) || !bytes.Contains(s.PowerShell, []byte("'amd64' = '"+strings.Repeat("4", 64)+"'")) {
		t.Error("windows checksums belong in install.ps1 only")
	}
}

// TestRenderSPKIPin: with the server's key pinned, install.sh has curl
// check that key on every connection (base64 of the same SHA-256) and
// install.ps1 pins the server certificate's hash.
func TestRenderSPKIPin(t *testing.T) {
	p := params()
	p.Pin, p.ServerCertSHA256 = "spki:"+fp+",ca:"+sum, strings.Repeat("5", 64)
	s, err := Render(p)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := hex.DecodeString(fp)
	b64 := base64.StdEncoding.EncodeToString(raw)
	for _, want := range []string{"pin_kind='spki'\n", "pin_key='" + b64 + "'\n", "pins='spki:" + fp + ",ca:" + sum + "'\n",
		`--pinnedpubkey "sha256//$pin_key"`} {
		if !bytes.Contains(s.Shell, []byte(want)) {
			t.Errorf("install.sh lacks %q", want)
		}
	}
	for _, want := range []string{"$PinKind = 'spki'\n", "$ServerCert = '" + strings.Repeat("5", 64) + "'\n"} {
		if !bytes.Contains(s.PowerShell, []byte(want)) {
			t.Errorf("install.ps1 lacks %q", want)
		}
	}
	c, err := Commands(p)
	if err != nil || !strings.Contains(c["agent"], "--pin spki:"+fp+",ca:"+sum) {
		t.Errorf("agent command %q, %v", c["agent"], err)
	}
}

func TestShellScriptParses(t *testing.T) {
	s, err := Render(params())
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range []string{"sh", "dash", "bash"} {
		if _, err := exec.LookPath(sh); err != nil {
			continue
		}
		cmd := exec.Command(sh, "-n")
		cmd.Stdin = bytes.NewReader(s.Shell)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s", sh, err, out)
		}
	}
}

func TestRenderRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(p *Params)
	}{
		{"http URL", func(p *Params) { p.ServerURL = "http://rmm.example" }},
		{"quote in URL", func(p *Params) { p.ServerURL = "https://rmm.example/'$(reboot)'" }},
		{"user info", func(p *Params) { p.ServerURL = "https://u:p@rmm.example" }},
		{"query", func(p *Params) { p.ServerURL = "https://rmm.example/?x=1" }},
		{"no host", func(p *Params) { p.ServerURL = "https://" }},
		{"token with shell syntax", func(p *Params) { p.Token = "enr_x;reboot" }},
		{"token with quote", func(p *Params) { p.Token = "enr_x'" }},
		{"empty token", func(p *Params) { p.Token = "" }},
		{"long token", func(p *Params) { p.Token = strings.Repeat("a", 129) }},
		{"short fingerprint", func(p *Params) { p.Pin = "abcd" }},
		{"no pin", func(p *Params) { p.Pin = "" }},
		{"SPKI pin without the server certificate's hash", func(p *Params) { p.Pin = "spki:" + fp }},
		{"bad release key", func(p *Params) { p.ReleaseKey = "zz" }},
		{"unknown platform", func(p *Params) { p.Binaries = map[string]string{"plan9/amd64": sum} }},
		{"bad checksum", func(p *Params) { p.Binaries = map[string]string{"linux/amd64": "x"} }},
	} {
		p := params()
		tc.mod(&p)
		if _, err := Render(p); err == nil {
			t.Errorf("%s: Render accepted %+v", tc.name, p)
		}
		if _, err := Commands(p); err == nil {
			t.Errorf("%s: Commands accepted %+v", tc.name, p)
		}
	}
}

func TestCommandsPinTheScripts(t *testing.T) {
	p := params()
	s, err := Render(p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Commands(p)
	if err != nil {
		t.Fatal(err)
	}
	h := func(b []byte) string { x := sha256.Sum256(b); return hex.EncodeToString(x[:]) }
	for key, want := range map[string][]string{
		"linux":   {"'https://rmm.example:8443/install.sh?token=enr_abc-DEF_123'", "sha256sum", h(s.Shell)},
		"macos":   {"shasum -a 256", h(s.Shell)},
		"windows": {"'https://rmm.example:8443/install.ps1?token=enr_abc-DEF_123'", "'" + h(s.PowerShell) + "'", "Get-FileHash"},
		"agent":   {"steward-agent install --server https://rmm.example:8443 --token enr_abc-DEF_123 --pin ca:" + fp, "--release-key"},
	} {
		for _, w := range want {
			if !strings.Contains(c[key], w) {
				t.Errorf("%s command lacks %q:\n%s", key, w, c[key])
			}
		}
	}
	// Binaries change the script, so the pin too.
	p.Binaries["linux/amd64"] = strings.Repeat("9", 64)
	c2, _ := Commands(p)
	if c2["linux"] == c["linux"] {
		t.Error("the one-liner did not change with the agent build it installs")
	}
}

// TestOneLinerRunsOnlyThePinnedScript runs the linux one-liner with a fake
// curl that serves either the script it pins or an altered one.
func TestOneLinerRunsOnlyThePinnedScript(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("runs the linux one-liner")
	}
	for _, tool := range []string{"sh", "sha256sum", "mktemp", "cut"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	p := params()
	s, err := Render(p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Commands(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		serve   []byte
		wantRun bool
	}{
		{"pinned script", s.Shell, true},
		{"altered script", bytes.Replace(s.Shell, []byte(fp), []byte(strings.Repeat("e", 64)), 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			served := filepath.Join(dir, "served.sh")
			if err := os.WriteFile(served, tc.serve, 0o644); err != nil {
				t.Fatal(err)
			}
			// The fake curl serves install.sh and refuses everything else,
			// so the real script, once run, stops at its CA fetch.
			fakeCurl := "#!/bin/sh\n" +
				"for a; do case $a in *install.sh*) url=$a;; esac; done\n" +
				"out=; while [ $# -gt 0 ]; do [ \"$1\" = -o ] && out=$2; shift; done\n" +
				"[ -n \"$url\" ] && [ -n \"$out\" ] && cp '" + served + "' \"$out\" && exit 0\n" +
				"echo 'fake curl: refusing' >&2; exit 7\n"
			bin := filepath.Join(dir, "bin")
			_ = os.Mkdir(bin, 0o755)
			if err := os.WriteFile(filepath.Join(bin, "curl"), []byte(fakeCurl), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("sh", "-c", c["linux"])
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "STEWARD_INSTALL_ROOT="+dir)
			out, err := cmd.CombinedOutput()
			ran := strings.Contains(string(out), "checking the server CA of https://rmm.example:8443")
			if ran != tc.wantRun || err == nil {
				t.Errorf("ran=%v err=%v, want ran=%v and a failure\n%s", ran, err, tc.wantRun, out)
			}
			if !tc.wantRun && !strings.Contains(string(out), "does not match its pinned SHA-256") {
				t.Errorf("no mismatch message:\n%s", out)
			}
		})
	}
}

func FuzzRender(f *testing.F) {
	f.Add("https://rmm.example:8443", "enr_abc", fp, "linux/amd64", sum)
	f.Add("https://[::1]:8443/steward", "x", strings.ToUpper(fp), "windows/arm64", sum)
	f.Add("https://a'b", "t;rm", "zz", "x", "y")
	f.Fuzz(func(t *testing.T, server, token, caFP, plat, binSum string) {
		p := Params{ServerURL: server, Token: token, Pin: caFP, Binaries: map[string]string{plat: binSum}}
		s, err := Render(p)
		if err != nil {
			return
		}
		// Whatever was accepted is data: no quote, no substitution syntax.
		for _, v := range []string{server, token} {
			if strings.ContainsAny(v, "'\"`$;&|<>\\ \n") {
				t.Fatalf("accepted unsafe %q", v)
			}
		}
		if !bytes.Contains(s.Shell, []byte("token='"+token+"'\n")) || !bytes.Contains(s.PowerShell, []byte("$Token = '"+token+"'\n")) {
			t.Fatalf("token not rendered as one quoted string")
		}
		if _, err := Commands(p); err != nil {
			t.Fatalf("Render accepted what Commands refused: %v", err)
		}
	})
}
