package install

import (
	"context"
	"testing"
	"time"

	"github.com/steward-rmm/steward/agent/health"
	"github.com/steward-rmm/steward/agent/health/internal/healthtest"
)

// The doubles are the collectors' (healthtest); the captures are in
// health's testdata.

type fakeRunner = healthtest.Runner

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

func read(t testing.TB, name string) []byte { return healthtest.Read(t, "../testdata", name) }

func tree(t *testing.T, files map[string]string) string { return healthtest.Tree(t, files) }

func testEnv(goos, root string, f *fakeRunner) health.Env {
	return health.Env{Root: root, GOOS: goos, Run: f.Run, Now: func() time.Time { return healthtest.Now }}
}

// snapshotRegistry holds the captured Uninstall keys.
func snapshotRegistry(t *testing.T) *healthtest.Registry {
	t.Helper()
	r := healthtest.NewRegistry(health.SplitRegistryPath)
	for _, f := range []string{"reg-uninstall-java8-wow6432-msi.txt", "reg-uninstall-doxygen-innosetup.txt", "reg-uninstall-wine-innosetup.txt"} {
		if err := r.Load(string(read(t, f)), "HKLM"); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func newFakeRegistry() *healthtest.Registry { return healthtest.NewRegistry(health.SplitRegistryPath) }

// fakeWUA is a Windows Update Agent that installs what it is told to.
type fakeWUA struct {
	err     error
	install health.WUAInstallResult
	gotIDs  []string
}

func (w *fakeWUA) Search(context.Context, string) ([]health.WUAUpdate, error) { return nil, w.err }
func (w *fakeWUA) RebootRequired(context.Context) (bool, error)               { return false, w.err }
func (w *fakeWUA) Install(_ context.Context, ids []string) (health.WUAInstallResult, error) {
	w.gotIDs = ids
	return w.install, w.err
}
