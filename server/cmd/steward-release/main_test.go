package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeygenSignVerify(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "release.key")
	var out bytes.Buffer
	if err := run([]string{"keygen", "--key", key}, &out); err != nil {
		t.Fatal(err)
	}
	pubHex, _ := os.ReadFile(key + ".pub")
	pub := strings.TrimSpace(string(pubHex))
	if len(pub) != 64 || !strings.Contains(out.String(), pub) {
		t.Fatalf("keygen printed %q, pub file %q", out.String(), pub)
	}
	out.Reset()
	if err := run([]string{"pubkey", "--key", key}, &out); err != nil || strings.TrimSpace(out.String()) != pub {
		t.Fatalf("pubkey = %q, %v; want %s", out.String(), err, pub)
	}
	dist := filepath.Join(dir, "dist")
	_ = os.Mkdir(dist, 0o755)
	for _, n := range []string{"steward-agent-linux-amd64", "steward-agent-windows-arm64.exe", "README"} {
		_ = os.WriteFile(filepath.Join(dist, n), []byte("binary "+n), 0o755)
	}
	extra := filepath.Join(dir, "mac")
	_ = os.WriteFile(extra, []byte("macho"), 0o755)
	rel := filepath.Join(dir, "releases")
	out.Reset()
	if err := run([]string{"sign", "--key", key, "--releases", rel, "--version", "2.0.0", "--dist", dist, "darwin/arm64=" + extra}, &out); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"manifest.json", "manifest.sig", "steward-agent-linux-amd64", "steward-agent-windows-arm64.exe", "steward-agent-darwin-arm64"} {
		if _, err := os.Stat(filepath.Join(rel, "2.0.0", n)); err != nil {
			t.Errorf("release lacks %s: %v", n, err)
		}
	}
	out.Reset()
	if err := run([]string{"verify", "--pubkey", key + ".pub", "--releases", rel}, &out); err != nil || !strings.Contains(out.String(), "2.0.0: ok (3 files)") {
		t.Fatalf("verify = %q, %v", out.String(), err)
	}
	// A swapped binary of the same size fails verify.
	_ = os.WriteFile(filepath.Join(rel, "2.0.0", "steward-agent-darwin-arm64"), []byte("MACHO"), 0o644)
	out.Reset()
	if err := run([]string{"verify", "--pubkey", pub, "--releases", rel, "2.0.0"}, &out); err == nil || !strings.Contains(out.String(), "INVALID") {
		t.Fatalf("verify after tampering = %q, %v", out.String(), err)
	}
	for _, bad := range [][]string{{"sign", "--key", key, "--releases", rel, "--version", "2.1.0"},
		{"sign", "--key", key, "--releases", rel, "--version", "2.1.0", "linux=x"}, {"frobnicate"}, {}} {
		if err := run(bad, &out); err == nil {
			t.Errorf("run(%q) succeeded", bad)
		}
	}
}
