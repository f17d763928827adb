package automation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/store"
)

// checkPatchFilters validates and normalises a patch policy's
// classification and severity filters into pp: known values only (any
// case, trimmed, each once, in the protocol's order), or an error naming
// the allowed ones.
func checkPatchFilters(pp *store.PatchPolicy, in *api.PatchPolicy) error {
	pp.Classifications = nil
	for _, c := range in.Classifications {
		c = strings.ToLower(strings.TrimSpace(c))
		if !slices.Contains(protocol.PatchClassifications, c) {
			return fmt.Errorf("unknown patch classification %q: use %s", clip(c, 40), strings.Join(protocol.PatchClassifications, ", "))
		}
		if !slices.Contains(pp.Classifications, c) {
			pp.Classifications = append(pp.Classifications, c)
		}
	}
	slices.SortFunc(pp.Classifications, func(a, b string) int {
		return slices.Index(protocol.PatchClassifications, a) - slices.Index(protocol.PatchClassifications, b)
	})
	pp.MinSeverity = strings.ToLower(strings.TrimSpace(in.MinSeverity))
	if pp.MinSeverity != "" && protocol.SeverityRank(pp.MinSeverity) == 0 {
		return fmt.Errorf("unknown min_severity %q: use %s, or none", clip(pp.MinSeverity, 40), strings.Join(protocol.PatchSeverities, ", "))
	}
	return nil
}

// clip shortens what a caller sent before it is quoted back.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// classSelected reports whether a policy's classification or severity
// filter selects a patch: its classification is one of Classifications,
// or its severity is at least MinSeverity (an unknown severity never is).
func classSelected(pp *store.PatchPolicy, p *protocol.Patch) bool {
	if p.Classification != "" && slices.Contains(pp.Classifications, p.Classification) {
		return true
	}
	return pp.MinSeverity != "" && protocol.SeverityRank(p.Severity) >= protocol.SeverityRank(pp.MinSeverity) &&
		protocol.SeverityRank(p.Severity) > 0
}

// patchSelection says, for the audit log, which patches a policy installs
// on its own ("" without a policy): "auto security; classifications
// critical,driver; min severity important; include a*,b; exclude k*".
func patchSelection(pp *store.PatchPolicy) string {
	if pp == nil {
		return ""
	}
	parts := []string{"auto " + pp.Auto}
	for _, f := range []struct {
		name string
		vals []string
	}{{"classifications", pp.Classifications}, {"min severity", []string{pp.MinSeverity}}, {"include", pp.Include}, {"exclude", pp.Exclude}} {
		if v := strings.Join(f.vals, ","); v != "" {
			parts = append(parts, f.name+" "+v)
		}
	}
	return clip(strings.Join(parts, "; "), 500)
}
