package automation

import (
	"strings"
	"testing"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/store"
)

// TestPatchVerdictRules: each rule that selects a patch on its own (auto
// all, auto security, a classification, a minimum severity, an include
// pattern, an approval), exclusions beating every one of them, and the
// severity order (a patch of unknown severity never reaches a minimum).
func TestPatchVerdictRules(t *testing.T) {
	c := &config{approved: map[approvalKey]store.PatchApproval{{"c1", "KB9"}: {}}}
	crit := protocol.Patch{ID: "KB1", Name: "Cumulative", Classification: "critical"}
	sec := protocol.Patch{ID: "KB2", Name: "Fix", Security: true, Classification: "security", Severity: "moderate"}
	imp := protocol.Patch{ID: "KB3", Name: "Bugfix", Classification: "bugfix", Severity: "important"}
	low := protocol.Patch{ID: "KB4", Name: "Tool", Classification: "tool", Severity: "low"}
	none := protocol.Patch{ID: "KB5", Name: "Plain"}
	appr := protocol.Patch{ID: "KB9", Name: "Approved", Classification: "driver"}
	for _, x := range []struct {
		name string
		pp   store.PatchPolicy
		p    protocol.Patch
		want string
	}{
		{"auto all", store.PatchPolicy{Auto: AutoAll}, none, "selected"},
		{"auto security, security", store.PatchPolicy{Auto: AutoSecurity}, sec, "selected"},
		{"auto security, not security", store.PatchPolicy{Auto: AutoSecurity}, crit, "pending-approval"},
		{"classification listed", store.PatchPolicy{Auto: AutoNone, Classifications: []string{"critical"}}, crit, "selected"},
		{"classification not listed", store.PatchPolicy{Auto: AutoNone, Classifications: []string{"critical"}}, imp, "pending-approval"},
		{"no classification never matches", store.PatchPolicy{Auto: AutoNone, Classifications: []string{"other"}}, none, "pending-approval"},
		{"severity above minimum", store.PatchPolicy{Auto: AutoNone, MinSeverity: "moderate"}, imp, "selected"},
		{"severity at minimum", store.PatchPolicy{Auto: AutoNone, MinSeverity: "important"}, imp, "selected"},
		{"severity below minimum", store.PatchPolicy{Auto: AutoNone, MinSeverity: "important"}, sec, "pending-approval"},
		{"low reaches low", store.PatchPolicy{Auto: AutoNone, MinSeverity: "low"}, low, "selected"},
		{"critical minimum, important patch", store.PatchPolicy{Auto: AutoNone, MinSeverity: "critical"}, imp, "pending-approval"},
		{"unknown severity never reaches a minimum", store.PatchPolicy{Auto: AutoNone, MinSeverity: "low"}, crit, "pending-approval"},
		{"include pattern", store.PatchPolicy{Auto: AutoNone, Include: []string{"tool"}}, low, "selected"},
		{"approval", store.PatchPolicy{Auto: AutoNone}, appr, "selected"},
		{"exclusion beats classification", store.PatchPolicy{Auto: AutoNone, Classifications: []string{"critical"}, Exclude: []string{"cumul*"}}, crit, "excluded"},
		{"exclusion beats severity", store.PatchPolicy{Auto: AutoNone, MinSeverity: "low", Exclude: []string{"KB3"}}, imp, "excluded"},
		{"exclusion beats auto all", store.PatchPolicy{Auto: AutoAll, Exclude: []string{"plain"}}, none, "excluded"},
		{"exclusion beats approval", store.PatchPolicy{Auto: AutoNone, Exclude: []string{"KB9"}}, appr, "excluded"},
		{"nothing says so", store.PatchPolicy{Auto: AutoNone}, imp, "pending-approval"},
	} {
		if got := c.patchVerdict(&x.pp, "c1", &x.p); got != x.want {
			t.Errorf("%s: %s, want %s", x.name, got, x.want)
		}
	}
	// The severity order itself.
	order := []string{"", "low", "moderate", "important", "critical"}
	for i := 1; i < len(order); i++ {
		if protocol.SeverityRank(order[i]) <= protocol.SeverityRank(order[i-1]) {
			t.Errorf("%q does not rank above %q", order[i], order[i-1])
		}
	}
}

// TestCheckPatchFilters: known values are kept (any case, each once, in
// the protocol's order); an unknown one is refused with the allowed ones
// named.
func TestCheckPatchFilters(t *testing.T) {
	var pp store.PatchPolicy
	err := checkPatchFilters(&pp, &api.PatchPolicy{Classifications: []string{" Driver", "critical", "CRITICAL", "security"}, MinSeverity: "Important"})
	if err != nil || strings.Join(pp.Classifications, ",") != "security,critical,driver" || pp.MinSeverity != "important" {
		t.Fatalf("got %q %q %v", pp.Classifications, pp.MinSeverity, err)
	}
	if err := checkPatchFilters(&pp, &api.PatchPolicy{}); err != nil || pp.Classifications != nil || pp.MinSeverity != "" {
		t.Fatalf("empty filters: %q %q %v", pp.Classifications, pp.MinSeverity, err)
	}
	for _, in := range []api.PatchPolicy{{Classifications: []string{"security", "hotfix"}}, {Classifications: []string{""}}, {MinSeverity: "urgent"},
		{MinSeverity: strings.Repeat("x", 5000)}} {
		err := checkPatchFilters(&pp, &in)
		if err == nil {
			t.Fatalf("%+v accepted", in)
		}
		if want := "critical, important, moderate, low"; in.MinSeverity != "" && !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
		if want := "security, critical, bugfix, enhancement, feature, definition, driver, rollup, servicepack, tool, other"; in.Classifications != nil &&
			!strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
		if len(err.Error()) > 300 {
			t.Errorf("error quotes the whole input: %d bytes", len(err.Error()))
		}
	}
}
