package protocol

import (
	"slices"
	"strings"
)

// Patch classifications (Patch.Classification), normalised from what each
// OS says. The agent's collectors document their mapping (agent/health).
const (
	ClassSecurity    = "security"    // fixes a vulnerability
	ClassCritical    = "critical"    // Windows "Critical Updates": an urgent non-security fix
	ClassBugfix      = "bugfix"      // a fix: Windows "Updates", dnf bugfix, SUSE recommended
	ClassEnhancement = "enhancement" // dnf enhancement, SUSE optional
	ClassFeature     = "feature"     // new function: feature packs, upgrades, new packages
	ClassDefinition  = "definition"  // malware signatures and similar data
	ClassDriver      = "driver"      // a device driver
	ClassRollup      = "rollup"      // a bundle of earlier fixes
	ClassServicePack = "servicepack" // a cumulative service pack
	ClassTool        = "tool"        // a tool or utility
	ClassOther       = "other"       // the OS names a kind none of the above fits
)

// PatchClassifications lists every classification value.
var PatchClassifications = []string{ClassSecurity, ClassCritical, ClassBugfix, ClassEnhancement, ClassFeature,
	ClassDefinition, ClassDriver, ClassRollup, ClassServicePack, ClassTool, ClassOther}

// Patch severities (Patch.Severity), the vendors' common scale; "" is
// unknown.
const (
	SeverityCritical  = "critical"
	SeverityImportant = "important"
	SeverityModerate  = "moderate"
	SeverityLow       = "low"
)

// PatchSeverities lists the severities, most severe first.
var PatchSeverities = []string{SeverityCritical, SeverityImportant, SeverityModerate, SeverityLow}

// SeverityRank orders severities: critical 4, important 3, moderate 2,
// low 1, anything else (unknown) 0.
func SeverityRank(s string) int {
	if i := slices.Index(PatchSeverities, s); i >= 0 {
		return len(PatchSeverities) - i
	}
	return 0
}

// NormalSeverity maps a vendor's severity word (Critical, Important,
// Moderate, Low, any case; Microsoft's and Red Hat's and SUSE's scales
// share it) to a PatchSeverities value, "" for anything else (None,
// Unspecified, unknown words).
func NormalSeverity(s string) string {
	switch l := strings.ToLower(strings.TrimSpace(s)); l {
	case SeverityCritical, SeverityImportant, SeverityModerate, SeverityLow:
		return l
	}
	return ""
}
