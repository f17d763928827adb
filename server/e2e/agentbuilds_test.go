//go:build linux

package e2e_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/server"
)

// TestAgentBuildsListed: a server with only linux/amd64 in its agent-bin-dir
// says so (the route and the new token's response), and stewardctl names
// every platform whose one-liner would fail for want of a build.
func TestAgentBuildsListed(t *testing.T) {
	dir := t.TempDir()
	// Any regular file is a build to the server; the install tests run a real one.
	if err := os.WriteFile(filepath.Join(dir, "steward-agent-linux-amd64"), []byte("agent"), 0o755); err != nil {
		t.Fatal(err)
	}
	e := startServer(t, server.Config{AgentBinDir: dir})
	wantAvail := []string{"linux/amd64"}
	wantMissing := []string{"linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}
	var b struct{ Available, Missing []string }
	if code := e.api("GET", "/api/v1/agent-builds", nil, &b); code != 200 ||
		!reflect.DeepEqual(b.Available, wantAvail) || !reflect.DeepEqual(b.Missing, wantMissing) {
		t.Errorf("GET /api/v1/agent-builds: %d %+v", code, b)
	}
	client := e.createClient("Acme")
	var tok struct {
		Install     map[string]string
		AgentBuilds struct{ Available, Missing []string } `json:"agent_builds"`
	}
	if code := e.api("POST", "/api/v1/tokens", map[string]any{"client": client}, &tok); code != 201 ||
		tok.Install["linux"] == "" || !reflect.DeepEqual(tok.AgentBuilds.Available, wantAvail) ||
		!reflect.DeepEqual(tok.AgentBuilds.Missing, wantMissing) {
		t.Errorf("POST /api/v1/tokens: %d %+v", code, tok)
	}

	out, errs, code := e.ctl(t, "tokens", "create", "--client", "Acme", "--install-commands")
	if code != 0 {
		t.Fatalf("tokens create: exit %d %q", code, errs)
	}
	for _, p := range wantMissing {
		if !strings.Contains(out, "no agent build for "+p+" on this server") {
			t.Errorf("tokens create --install-commands does not name the missing %s:\n%s", p, out)
		}
	}
	if strings.Contains(out, "no agent build for linux/amd64") {
		t.Errorf("linux/amd64 is there, yet named missing:\n%s", out)
	}
	// The note sits with its platform's command.
	if w, l := strings.Index(out, "windows:"), strings.Index(out, "no agent build for windows/amd64"); w < 0 || l < w {
		t.Errorf("the windows note is not under the windows command:\n%s", out)
	}

	// A server with no builds at all lists every platform as missing.
	bare := startServer(t, server.Config{})
	if code := bare.api("GET", "/api/v1/agent-builds", nil, &b); code != 200 || len(b.Available) != 0 || len(b.Missing) != 6 {
		t.Errorf("no agent-bin-dir: %d %+v", code, b)
	}
}
