package server

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/steward-rmm/steward/"

// wings are the resource areas of the server, one package each. A new
// wing is added here on purpose, so that the rules below apply to it.
var wings = []string{
	"server/accounts",
	"server/agentlink",
	"server/audit",
	"server/devices",
	"server/install",
	"server/jobs",
	"server/scripts",
	"server/shell",
	"server/updates",
	"server/notify",
	"server/clients",
	"server/alerts",
	"server/vault",
	"server/attachments",
	"server/assets",
	"server/toolbox", // the device toolbox (files), on server/agentcall
	"server/portal",
	"server/automation",
	"server/tickets",
	"server/contracts",
	"server/invoices",
	"server/helpdesk",
	"server/consent",
}

// wingBase is what a wing may import from this module: the shared base
// below the wings (HTTP helpers and policy, the audit writer), the store
// contract (never an implementation), the live fleet, hub and event bus,
// the CA and release checks, and the wire and REST contracts.
var wingBase = []string{
	"api",
	"installer",
	"protocol",
	"tlspin",
	"server/auditlog",
	"server/events",
	"server/fleet",
	"server/httpx",
	"server/hub",
	"server/pki",
	"server/release",
	"server/store",
	// totpx is the second factor operators and portal users share.
	"server/totpx",
	// mail sends e-mail over the configured SMTP server (notifications,
	// later verification mails); mailtest is its test SMTP server.
	"server/mail",
	// agentcall makes toolbox calls to agents (request, stream, cancel,
	// flow control) for the wings that offer toolbox features.
	"server/agentcall",
	// slaclock computes SLA deadlines in business time (pure).
	"server/slaclock",
	// assign resolves, validates and converts the profile assignments of
	// the alerts and automation wings.
	"server/assign",
}

// TestWingMap enforces the folder map: no wing imports another wing or
// anything of this module outside wingBase (its tests may also open the
// bbolt store); nothing but the wiring (package server) imports a wing,
// tests included; and the base below the wings imports no wing and not
// the wiring.
func TestWingMap(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string][]string{}     // package (module-relative) -> its imports from this module
	testOnly := map[string][]string{} // imports of its tests only
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "node_modules") {
			return filepath.SkipDir
		}
		p, err := build.ImportDir(path, 0)
		if err != nil {
			return nil // no Go files here
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		own := func(imps ...[]string) (out []string) {
			for _, imp := range slices.Concat(imps...) {
				if strings.HasPrefix(imp, module) && imp != module+rel {
					out = append(out, strings.TrimPrefix(imp, module))
				}
			}
			return out
		}
		pkgs[rel] = own(p.Imports)
		testOnly[rel] = own(p.TestImports, p.XTestImports)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wings {
		if _, ok := pkgs[w]; !ok {
			t.Errorf("wing %s has no package", w)
		}
	}
	// Every package directly under server/ is a wing, the base, the
	// store, or one of the known others: a new folder must be placed in
	// the map consciously.
	others := []string{"server/cmd", "server/e2e", "server/web", "server/store"}
	for pkg := range pkgs {
		if !strings.HasPrefix(pkg, "server/") {
			continue
		}
		top := strings.Join(strings.SplitN(pkg, "/", 3)[:2], "/")
		if !slices.Contains(wings, top) && !slices.Contains(wingBase, top) && !slices.Contains(others, top) {
			t.Errorf("%s is in no part of the map: add it to wings or wingBase in this test", pkg)
		}
	}
	for pkg, imps := range pkgs {
		isWing := slices.Contains(wings, pkg)
		for i, imp := range slices.Concat(imps, testOnly[pkg]) {
			test := i >= len(imps)
			switch {
			case isWing && test && imp == "server/store/bolt":
				// A wing's unit test may run on the real store.
			case isWing && !slices.Contains(wingBase, imp):
				t.Errorf("wing %s imports %s: wings import only the base (%v)", pkg, imp, wingBase)
			case !isWing && slices.Contains(wings, imp) && pkg != "server":
				t.Errorf("%s imports wing %s: only the wiring (package server) imports wings", pkg, imp)
			case slices.Contains(wingBase, pkg) && imp == "server":
				t.Errorf("base package %s imports the wiring", pkg)
			}
		}
	}
}
