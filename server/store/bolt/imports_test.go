package boltstore

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyImporterOfBbolt: no package of the module but this one imports
// bbolt, tests included (go list reports test imports too).
func TestOnlyImporterOfBbolt(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports", "github.com/steward-rmm/steward/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath                         string
			Imports, TestImports, XTestImports []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		seen++
		if p.ImportPath == "github.com/steward-rmm/steward/server/store/bolt" {
			continue
		}
		for _, imps := range [][]string{p.Imports, p.TestImports, p.XTestImports} {
			for _, imp := range imps {
				if strings.HasPrefix(imp, "go.etcd.io/bbolt") {
					t.Errorf("%s imports %s: only server/store/bolt may", p.ImportPath, imp)
				}
			}
		}
	}
	if seen < 10 {
		t.Fatalf("go list saw %d packages", seen)
	}
}
