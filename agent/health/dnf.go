package health

import (
	"bufio"
	"bytes"
	"regexp"
	"slices"
	"strings"

	"github.com/steward-rmm/steward/protocol"
)

// ParseDNFCheckUpdate parses `dnf check-update`, `dnf5 check-upgrade` and
// `yum check-update` listings: `name.arch  [epoch:]version-release  repo`.
// Patch IDs are name.arch, which dnf and yum accept for upgrade. Lines
// about plugins, mirrors and metadata, the "Security:" trailer, and the
// installed (@repo) halves of the "Obsoleting Packages" section are skipped.
// yum wraps a long name onto a line of its own; that is joined back.
func ParseDNFCheckUpdate(b []byte) []protocol.Patch {
	var out []protocol.Patch
	seen := map[string]bool{}
	var pending string // a wrapped name.arch waiting for its version line
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if pending != "" {
			if len(f) == 2 {
				f = append([]string{pending}, f...)
			}
			pending = ""
		}
		if len(f) == 1 && rpmNameArchOK(f[0]) {
			pending = f[0]
			continue
		}
		if len(f) != 3 || !rpmNameArchOK(f[0]) || !rpmVersionOK(f[1]) || strings.HasPrefix(f[2], "@") {
			continue
		}
		if seen[f[0]] || len(out) >= maxPatches {
			continue
		}
		seen[f[0]] = true
		name := f[0][:strings.LastIndexByte(f[0], '.')]
		out = append(out, protocol.Patch{ID: f[0], Name: name, AvailableVersion: f[1]})
	}
	return out
}

var (
	rpmNameRE    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.+-]*$`)
	rpmArchRE    = regexp.MustCompile(`^[a-z0-9_]+$`)
	rpmVersionRE = regexp.MustCompile(`^([0-9]+:)?[A-Za-z0-9._+~^]*[0-9][A-Za-z0-9._+~^]*(-[A-Za-z0-9._+~^]+)?$`)
)

// rpmNameArchOK accepts "name.arch".
func rpmNameArchOK(s string) bool {
	i := strings.LastIndexByte(s, '.')
	if i <= 0 || i == len(s)-1 || len(s) > MaxField {
		return false
	}
	return rpmNameRE.MatchString(s[:i]) && rpmArchRE.MatchString(s[i+1:])
}

func rpmVersionOK(s string) bool { return len(s) <= MaxField && rpmVersionRE.MatchString(s) }

// Advisory is one line of an updateinfo / advisory listing.
type Advisory struct {
	ID       string // RHSA-2023:1234, FEDORA-2023-abcdef, ...
	Severity string // Important, Moderate, ... where given
	Security bool
	Type     string // bugfix, enhancement, newpackage, unspecified, unknown; "" for security
	Name     string // package name
	Arch     string
	Version  string // [epoch:]version-release of the fixed package
}

var advisoryRE = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*(-[A-Za-z0-9]+)*-[0-9]{4}[-:][A-Za-z0-9:-]+$`)

// advisoryTypes are the updateinfo types other than security that dnf
// lists in the type column.
var advisoryTypes = map[string]bool{"bugfix": true, "enhancement": true, "newpackage": true, "unspecified": true, "unknown": true}

// ParseUpdateinfo parses `dnf updateinfo list` / `yum updateinfo list`
// (`ADVISORY  Severity/Sec.  nevra`) and dnf5 `advisory list`
// (`ADVISORY  type  severity  nevra  issued`).
func ParseUpdateinfo(b []byte) []Advisory {
	var out []Advisory
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() && len(out) < 4*maxPatches {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || !advisoryRE.MatchString(f[0]) || len(f[0]) > MaxField {
			continue
		}
		a := Advisory{ID: f[0]}
		nevraAt := -1
		for i := 1; i < len(f) && i <= 3; i++ {
			if name, arch, ver, ok := splitNEVRA(f[i]); ok {
				a.Name, a.Arch, a.Version = name, arch, ver
				nevraAt = i
				break
			}
		}
		if nevraAt < 0 {
			continue
		}
		for _, t := range f[1:nevraAt] {
			switch {
			case strings.HasSuffix(t, "/Sec."):
				a.Security = true
				a.Severity = strings.TrimSuffix(t, "/Sec.")
			case strings.EqualFold(t, "security"):
				a.Security = true
			case advisoryTypes[strings.ToLower(t)]:
				// dnf5 puts the type before the severity: a type is
				// never a severity.
				a.Type = strings.ToLower(t)
			case strings.EqualFold(t, "None"):
				// dnf5's severity of an advisory that has none.
			case a.Severity == "" && !strings.Contains(t, "/"):
				a.Severity = t
			}
		}
		a.Severity = Clean(a.Severity, 32)
		out = append(out, a)
	}
	return out
}

// splitNEVRA splits "name-[epoch:]version-release.arch".
func splitNEVRA(s string) (name, arch, ver string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i <= 0 || len(s) > MaxField || !rpmArchRE.MatchString(s[i+1:]) {
		return "", "", "", false
	}
	arch, rest := s[i+1:], s[:i]
	r := strings.LastIndexByte(rest, '-')
	if r <= 0 {
		return "", "", "", false
	}
	v := strings.LastIndexByte(rest[:r], '-')
	if v <= 0 {
		return "", "", "", false
	}
	name, ver = rest[:v], rest[v+1:]
	if !rpmNameRE.MatchString(name) || !rpmVersionOK(ver) {
		return "", "", "", false
	}
	return name, arch, ver, true
}

// MergeAdvisories applies the advisories to the patches (IDs name.arch)
// they fix: Security when one is a security advisory, Classification
// from the advisory types and Severity the highest advisory severity
// (see patchclass.go), and the advisory ids, security ones first.
func MergeAdvisories(patches []protocol.Patch, advs []Advisory) {
	type merged struct {
		sec, other []string
		class, sev string
	}
	byID := map[string]*merged{}
	for _, a := range advs {
		k := a.Name + "." + a.Arch
		m := byID[k]
		if m == nil {
			m = &merged{}
			byID[k] = m
		}
		if a.Security {
			m.sec = append(m.sec, a.ID)
		} else {
			m.other = append(m.other, a.ID)
		}
		if c := advisoryClass(a); c != "" {
			m.class = betterClass(m.class, c)
		}
		m.sev = higherSeverity(m.sev, protocol.NormalSeverity(a.Severity))
	}
	for i := range patches {
		m := byID[patches[i].ID]
		if m == nil {
			continue
		}
		patches[i].Security = len(m.sec) > 0
		patches[i].Classification, patches[i].Severity = m.class, m.sev
		patches[i].Advisory = Clean(joinCapped(uniq(slices.Concat(m.sec, m.other))), MaxField)
	}
}
