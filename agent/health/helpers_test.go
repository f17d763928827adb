package health

import (
	"testing"
	"time"

	"github.com/steward-rmm/steward/agent/health/internal/healthtest"
)

// The test doubles live in healthtest, shared with the install package's
// tests; these short names keep the collectors' tests readable.
type (
	fakeRunner   = healthtest.Runner
	exitErr      = healthtest.ExitErr
	fakeRegistry = healthtest.Registry
)

var fixedNow = healthtest.Now

func read(t testing.TB, name string) []byte { return healthtest.Read(t, "testdata", name) }

// reply is a canned outcome: output and exit status (0 = success).
type reply struct {
	out  []byte
	code int
}

func newFake(replies map[string]reply) *fakeRunner {
	rs := make(map[string]healthtest.Reply, len(replies))
	for k, r := range replies {
		rs[k] = healthtest.Reply{Out: r.out, Code: r.code}
	}
	return healthtest.NewRunner(rs)
}

func tree(t *testing.T, files map[string]string) string { return healthtest.Tree(t, files) }

func newFakeRegistry() *fakeRegistry { return healthtest.NewRegistry(SplitRegistryPath) }

func loadReg(r *fakeRegistry, text, defaultRoot string) error { return r.Load(text, defaultRoot) }

func testEnv(goos, root string, f *fakeRunner) Env {
	return Env{Root: root, GOOS: goos, Run: f.Run, Now: func() time.Time { return fixedNow }}
}

func TestLoadRegSnapshots(t *testing.T) {
	r := newFakeRegistry()
	for _, f := range []string{"reg-uninstall-java8-wow6432-msi.txt", "reg-uninstall-doxygen-innosetup.txt", "reg-uninstall-wine-innosetup.txt", "reg-query-pending-file-rename.txt"} {
		if err := loadReg(r, string(read(t, f)), "HKLM"); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	vals, err := r.Values(`HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{26A24AE4-039D-4CA4-87B4-2F83218066F0}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := regString(vals, "InstallLocation"); got != `C:\Program Files (x86)\Java\jre1.8.0_66\` {
		t.Errorf("InstallLocation = %q", got)
	}
	if n, _ := regUint(vals, "EstimatedSize"); n != 0x163ae {
		t.Errorf("EstimatedSize = %#x", n)
	}
	sm, _ := r.Values(regSessionMgr)
	if got := len(regStrings(sm, "PendingFileRenameOperations")); got != 8 {
		t.Errorf("PendingFileRenameOperations entries = %d, want 8", got)
	}
	subs, _ := r.SubKeys(regUninstall64)
	if len(subs) != 2 {
		t.Errorf("64-bit uninstall subkeys = %v, want doxygen_is1 and the Wine entry", subs)
	}
}
