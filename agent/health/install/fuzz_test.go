package install

import (
	"strings"
	"testing"

	"github.com/steward-rmm/steward/protocol"
)

func FuzzInstallPlan(f *testing.F) {
	for _, s := range []string{"apt", "dnf", "yum", "zypper", "softwareupdate", "wua"} {
		f.Add(s, "openssl")
		f.Add(s, "-o evil")
	}
	f.Fuzz(func(t *testing.T, source, id string) {
		plan, err := PatchPlan(sourceOS[source], source, protocol.PatchInstall{IDs: []string{id}})
		if err != nil {
			return
		}
		if strings.HasPrefix(id, "-") || strings.ContainsAny(id, ";&|$`<>*?=/\\\"\n\r\t\x00") {
			t.Fatalf("%s accepted hostile id %q: %q", source, id, plan)
		}
		for _, cmd := range plan {
			if len(cmd) == 0 || cmd[0] == "" {
				t.Fatal("empty command")
			}
		}
	})
}
