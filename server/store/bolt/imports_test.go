package boltstore

import (
	"encoding/json"
	"os/exec"
	"slices"
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

// TestStoreContractImports: the contract (server/store) imports only the
// standard library, and the bbolt implementation only the contract, bbolt
// and the standard library, so no wire or REST type can reach a record
// (tests may add the conformance suites).
func TestStoreContractImports(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	const mod = "github.com/steward-rmm/steward/"
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports", mod+"server/store", mod+"server/store/bolt").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string][]string{
		mod + "server/store":      nil,
		mod + "server/store/bolt": {mod + "server/store", "go.etcd.io/bbolt"},
	}
	testAllowed := []string{mod + "server/store/storetest"}
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
		check := func(imps []string, extra []string) {
			for _, imp := range imps {
				first, _, _ := strings.Cut(imp, "/")
				if !strings.Contains(first, ".") || slices.Contains(allowed[p.ImportPath], imp) || slices.Contains(extra, imp) {
					continue // the standard library, or allowed
				}
				t.Errorf("%s imports %s", p.ImportPath, imp)
			}
		}
		check(p.Imports, nil)
		check(append(p.TestImports, p.XTestImports...), append(testAllowed, p.ImportPath))
	}
	if seen != 2 {
		t.Fatalf("go list saw %d packages, want 2", seen)
	}
}
