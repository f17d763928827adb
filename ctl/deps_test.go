package ctl

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsNoServerPackage keeps the CLI a client: it talks to the
// server only through the REST contract (package api), so neither it nor
// its tests may import any package under server/.
func TestImportsNoServerPackage(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 3 || !strings.Contains(string(out), "github.com/steward-rmm/steward/ctl") {
		t.Fatalf("go list listed no ctl package:\n%s", out)
	}
	for _, d := range deps {
		if d == "github.com/steward-rmm/steward/server" || strings.HasPrefix(d, "github.com/steward-rmm/steward/server/") {
			t.Errorf("ctl depends on %s: the CLI must use package api, never a server package", d)
		}
	}
}
