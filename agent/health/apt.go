package health

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/steward-rmm/steward/protocol"
)

// ParseAptSimulate parses `apt-get -s upgrade` (or dist-upgrade) output in
// the C locale. Each `Inst pkg [old] (new origin[, origin] [arch])` line of
// an installed package is one patch; it is a security update when an origin
// is a -security pocket (Ubuntu) or Debian-Security. Packages listed under
// "have been kept back" (held, or needing new dependencies) are patches
// without versions. Newly installed dependencies and phased updates are not
// patches.
func ParseAptSimulate(b []byte) []protocol.Patch {
	var out []protocol.Patch
	seen := map[string]int{}
	add := func(p protocol.Patch) {
		if i, ok := seen[p.ID]; ok {
			if out[i].AvailableVersion == "" {
				out[i] = p
			}
			return
		}
		if len(out) >= maxPatches {
			return
		}
		seen[p.ID] = len(out)
		out = append(out, p)
	}
	keptBack := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if keptBack {
			if strings.HasPrefix(line, " ") {
				for _, n := range strings.Fields(line) {
					if aptNameOK(n) {
						add(protocol.Patch{ID: n, Name: n})
					}
				}
				continue
			}
			keptBack = false
		}
		if strings.HasPrefix(line, "The following packages have been kept back") ||
			strings.HasPrefix(line, "The following held packages will be changed") {
			keptBack = true
			continue
		}
		if p, ok := parseAptInst(line); ok {
			add(p)
		}
	}
	return out
}

func parseAptInst(line string) (protocol.Patch, bool) {
	rest, ok := strings.CutPrefix(line, "Inst ")
	if !ok {
		return protocol.Patch{}, false
	}
	name, rest, _ := strings.Cut(rest, " ")
	if !aptNameOK(name) {
		return protocol.Patch{}, false
	}
	rest = strings.TrimLeft(rest, " ")
	var old string
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return protocol.Patch{}, false
		}
		old = rest[1:end]
		rest = strings.TrimLeft(rest[end+1:], " ")
	}
	if old == "" || !strings.HasPrefix(rest, "(") {
		return protocol.Patch{}, false // a new dependency, not an update
	}
	end := strings.IndexByte(rest, ')')
	if end < 0 {
		end = len(rest) // a truncated line still names the version
	}
	inner := rest[1:end]
	// "1.2-3 Origin:1/pocket, Origin:1/pocket-security [amd64]"
	if i := strings.LastIndexByte(inner, '['); i >= 0 {
		inner = inner[:i]
	}
	newVer, origins, _ := strings.Cut(strings.TrimSpace(inner), " ")
	if newVer == "" {
		return protocol.Patch{}, false
	}
	sec := false
	for _, o := range strings.Split(origins, ",") {
		o = strings.TrimSpace(o)
		if strings.Contains(o, "-security") || strings.HasPrefix(o, "Debian-Security") {
			sec = true
		}
	}
	p := protocol.Patch{
		ID:               name,
		Name:             name,
		InstalledVersion: Clean(old, MaxField),
		AvailableVersion: Clean(newVer, MaxField),
		Security:         sec,
	}
	if sec {
		p.Classification = protocol.ClassSecurity // apt says nothing of other kinds, nor severities
	}
	return p, true
}

// aptNameOK accepts a Debian package name with an optional :arch.
func aptNameOK(n string) bool {
	if n == "" || len(n) > MaxField {
		return false
	}
	name, arch, hasArch := strings.Cut(n, ":")
	if hasArch && (arch == "" || strings.ContainsAny(arch, ":/")) {
		return false
	}
	if len(name) < 2 || !isLowerAlnum(name[0]) {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !isLowerAlnum(c) && c != '+' && c != '-' && c != '.' && c != ':' {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool { return (c >= 'a' && c <= 'z') || isDigit(c) }
