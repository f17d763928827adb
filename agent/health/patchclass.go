package health

import (
	"strings"

	"github.com/steward-rmm/steward/protocol"
)

// Patch classification and severity, normalised (protocol.Class*,
// protocol.Severity*) from what each OS says:
//
//   - Windows Update: the update's classification category, by its GUID
//     (the same in every language) or else its English name. "Security
//     Updates" security, "Critical Updates" critical, "Updates" bugfix,
//     "Definition Updates" definition, "Drivers" driver, "Feature Packs"
//     and "Upgrades" feature, "Service Packs" servicepack, "Tools" tool,
//     "Update Rollups" rollup; other category names (products) are not
//     classifications. Severity is the MSRC severity.
//   - dnf / yum: the type of the advisories that fix the package: security,
//     bugfix, enhancement, newpackage (feature), unspecified or unknown
//     (other); with several, the first of that order. Severity is the
//     highest advisory severity (Critical, Important, Moderate, Low).
//   - zypper patches: the patch category: security, recommended (bugfix),
//     optional (enhancement), feature, document and yast (other); the
//     severity attribute. Plain package updates say neither.
//   - apt: a package from a -security pocket is security; apt says nothing
//     else, so other packages and every severity are "".
//   - softwareupdate: titles naming a security update, security response
//     or background security improvement are security; XProtect, MRT and
//     Gatekeeper data are definition; Command Line Tools are tool; a new
//     major macOS ("macOS Sequoia 15.0", "... 26") is feature; the rest
//     (minor macOS updates, Safari) "". Apple gives no severity.

// wuaClassIDs maps the WSUS classification GUIDs (lower case).
var wuaClassIDs = map[string]string{
	"0fa1201d-4330-4fa8-8ae9-b877473b6441": protocol.ClassSecurity,    // Security Updates
	"e6cf1350-c01b-414d-a61f-263d14d133b4": protocol.ClassCritical,    // Critical Updates
	"e0789628-ce08-4437-be74-2495b842f43b": protocol.ClassDefinition,  // Definition Updates
	"ebfc1fc5-71a4-4f7b-9aca-3b9a503104a0": protocol.ClassDriver,      // Drivers
	"b54e7d24-7add-428f-8b75-90a396fa584f": protocol.ClassFeature,     // Feature Packs
	"68c5b0a3-d1a6-4553-ae49-01d3a7827828": protocol.ClassServicePack, // Service Packs
	"b4832bd8-e735-4761-8daf-37f882276dab": protocol.ClassTool,        // Tools
	"28bc880e-0592-4cbf-8f95-c79b17911d5f": protocol.ClassRollup,      // Update Rollups
	"cd5ffd1e-e932-4e3a-bf74-18bf0b1bbd83": protocol.ClassBugfix,      // Updates
	"3689bdc8-b205-4af4-8d4a-a63924c5e9d5": protocol.ClassFeature,     // Upgrades
}

// wuaClasses maps WUA classification category names (English).
var wuaClasses = map[string]string{
	"security updates":   protocol.ClassSecurity,
	"critical updates":   protocol.ClassCritical,
	"definition updates": protocol.ClassDefinition,
	"drivers":            protocol.ClassDriver,
	"feature packs":      protocol.ClassFeature,
	"service packs":      protocol.ClassServicePack,
	"tools":              protocol.ClassTool,
	"update rollups":     protocol.ClassRollup,
	"updates":            protocol.ClassBugfix,
	"upgrades":           protocol.ClassFeature,
}

// classOrder breaks ties when an update has several classifications: the
// one earlier here wins.
var classOrder = []string{protocol.ClassSecurity, protocol.ClassCritical, protocol.ClassRollup, protocol.ClassServicePack,
	protocol.ClassBugfix, protocol.ClassEnhancement, protocol.ClassDriver, protocol.ClassDefinition, protocol.ClassFeature,
	protocol.ClassTool, protocol.ClassOther}

// betterClass returns whichever of a and b comes first in classOrder
// ("" last).
func betterClass(a, b string) string {
	ra, rb := classRank(a), classRank(b)
	if rb < ra {
		return b
	}
	return a
}

func classRank(c string) int {
	for i, x := range classOrder {
		if x == c {
			return i
		}
	}
	return len(classOrder)
}

// higherSeverity returns the more severe of two normalised severities.
func higherSeverity(a, b string) string {
	if protocol.SeverityRank(b) > protocol.SeverityRank(a) {
		return b
	}
	return a
}

// wuaClass is the classification of a WUA update from its categories'
// IDs, else (no known ID) their names.
func wuaClass(ids, categories []string) string {
	c := ""
	for _, id := range ids {
		if v, ok := wuaClassIDs[strings.ToLower(strings.Trim(strings.TrimSpace(id), "{}"))]; ok {
			c = betterClass(c, v)
		}
	}
	if c != "" {
		return c
	}
	for _, name := range categories {
		if v, ok := wuaClasses[strings.ToLower(strings.TrimSpace(name))]; ok {
			c = betterClass(c, v)
		}
	}
	return c
}

// advisoryClass maps a dnf / yum advisory type.
func advisoryClass(a Advisory) string {
	if a.Security {
		return protocol.ClassSecurity
	}
	switch strings.ToLower(a.Type) {
	case "bugfix":
		return protocol.ClassBugfix
	case "enhancement":
		return protocol.ClassEnhancement
	case "newpackage":
		return protocol.ClassFeature
	case "unspecified", "unknown":
		return protocol.ClassOther
	}
	return ""
}

// zypperClass maps a zypper patch category.
func zypperClass(category string) string {
	switch strings.ToLower(strings.TrimSpace(category)) {
	case "security":
		return protocol.ClassSecurity
	case "recommended":
		return protocol.ClassBugfix
	case "optional":
		return protocol.ClassEnhancement
	case "feature":
		return protocol.ClassFeature
	case "":
		return ""
	}
	return protocol.ClassOther // document, yast, other
}

// appleClass classifies a softwareupdate entry by its title, label and
// version.
func appleClass(title, label, version string) string {
	l := strings.ToLower(title + "\n" + label)
	switch {
	case isAppleDefinition(title) || isAppleDefinition(label):
		return protocol.ClassDefinition
	case isAppleSecurity(title) || isAppleSecurity(label):
		return protocol.ClassSecurity
	case strings.HasPrefix(l, "command line tools"):
		return protocol.ClassTool
	case isMacOSUpgrade(title, version):
		return protocol.ClassFeature
	}
	return ""
}

// isAppleDefinition: XProtect, MRT and Gatekeeper configuration data are
// malware definitions.
func isAppleDefinition(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "xprotect") || strings.HasPrefix(l, "mrtconfigdata") || strings.HasPrefix(l, "mrt configuration") ||
		strings.HasPrefix(l, "gatekeeper configuration") || strings.HasPrefix(l, "gatekeeper compatibility")
}

// isMacOSUpgrade reports a title "macOS NAME V" whose V is the entry's
// version and a major one (N or N.0): a new release rather than an update
// of the running one ("macOS Tahoe 26.6" and betas are not).
func isMacOSUpgrade(title, version string) bool {
	f := strings.Fields(title)
	if len(f) < 3 || f[0] != "macOS" || f[len(f)-1] != version {
		return false
	}
	v := strings.TrimSuffix(version, ".0")
	for i := 0; i < len(v); i++ {
		if !isDigit(v[i]) {
			return false
		}
	}
	return v != ""
}
