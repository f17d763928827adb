package agentlink

import (
	"testing"

	"github.com/steward-rmm/steward/protocol"
)

// TestSanitizePatchClass: a device's classification and severity reach
// the server only as known values; anything else an agent sends (a
// hostile or future word) becomes "other" and "" (unknown).
func TestSanitizePatchClass(t *testing.T) {
	h := protocol.Health{Patches: protocol.PatchStatus{Available: []protocol.Patch{
		{ID: "a", Classification: "security", Severity: "Critical"},
		{ID: "b", Classification: "<script>alert(1)</script>", Severity: "urgent\x1b[31m"},
		{ID: "c"},
	}}}
	sanitizeHealth(&h)
	want := [][2]string{{"security", "critical"}, {"other", ""}, {"", ""}}
	for i, p := range h.Patches.Available {
		if got := [2]string{p.Classification, p.Severity}; got != want[i] {
			t.Errorf("%s: got %q, want %q", p.ID, got, want[i])
		}
	}
}
