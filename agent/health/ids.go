package health

import (
	"fmt"
	"regexp"
	"strings"
)

// The syntax of the patch IDs the collectors report. The installer
// accepts an ID from a technician only when it has this syntax, so what
// is reported can be installed and nothing else reaches a command line.

// pkgIDRE matches package names, name.arch, NEVRA, advisories and zypper's
// patch:NAME. No globs, no '=' or '/' (version and release pinning), no
// spaces, and never a leading '-'.
var pkgIDRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.+:~-]{0,255}$`)

// IsAdvisoryID reports whether id looks like a dnf/yum advisory
// (RHSA-2024:1234, FEDORA-EPEL-2023-1a2b3c).
func IsAdvisoryID(id string) bool { return advisoryRE.MatchString(id) }

var (
	// softwareupdate labels: "macOS Tahoe 26.6-25G72",
	// "Command Line Tools (macOS Mojave version 10.14) for Xcode-10.3".
	macLabelRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._()+,:'-]{0,255}$`)
	wuaIDRE    = regexp.MustCompile(`^(KB[0-9]{4,9}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
)

// ValidPatchID checks an ID from a technician against the syntax of the
// source's IDs. Anything that could be read as an option, a glob, a shell
// metacharacter or a control character is refused.
func ValidPatchID(source, id string) error {
	ok := false
	switch source {
	case SourceSoftwareUpdate:
		ok = macLabelRE.MatchString(id) && !strings.HasSuffix(id, " ")
	case SourceWUA:
		ok = wuaIDRE.MatchString(id)
	default:
		ok = pkgIDRE.MatchString(id)
	}
	if !ok {
		return fmt.Errorf("invalid %s id %q", source, Clean(id, 64))
	}
	return nil
}

// ValidPackageName checks the name of an installed package the
// collectors reported as its UninstallID (a package, never a zypper
// patch:NAME).
func ValidPackageName(id string) error {
	if !pkgIDRE.MatchString(id) || strings.HasPrefix(id, "patch:") {
		return fmt.Errorf("invalid package id %q", Clean(id, 64))
	}
	return nil
}
