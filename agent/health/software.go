package health

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"howett.net/plist"
)

// Query formats. Fields are tab-separated and each record ends in a
// newline; package metadata never holds either in these fields, and a record
// with the wrong field count is dropped rather than misread.
const (
	dpkgFormat = "${db:Status-Abbrev}\t${binary:Package}\t${Package}\t${Version}\t${Architecture}\t${Maintainer}\n"
	rpmFormat  = "%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t%{ARCH}\t%{VENDOR}\t%{INSTALLTIME}\n"
)

// Software lists installed packages (dpkg, rpm, pacman on Linux; the
// Uninstall registry keys on Windows; application bundles on macOS), sorted
// by name.
func Software(ctx context.Context, e Env) ([]protocol.Software, error) {
	e = e.WithDefaults()
	var out []protocol.Software
	var errs []error
	switch e.GOOS {
	case "linux":
		found := false
		if e.exists("/var/lib/dpkg/status") && e.Has("dpkg-query") {
			found = true
			b, err := e.Run(ctx, "dpkg-query", "-W", "-f="+dpkgFormat)
			if err != nil {
				errs = append(errs, fmt.Errorf("dpkg-query: %w", err))
			}
			out = append(out, ParseDpkgQuery(b)...)
		}
		if (e.exists("/var/lib/rpm") || e.exists("/usr/lib/sysimage/rpm")) && e.Has("rpm") {
			found = true
			b, err := e.Run(ctx, "rpm", "-qa", "--queryformat", rpmFormat)
			if err != nil {
				errs = append(errs, fmt.Errorf("rpm: %w", err))
			}
			out = append(out, ParseRPMQuery(b)...)
		}
		if e.exists("/var/lib/pacman/local") && e.Has("pacman") {
			found = true
			b, err := e.Run(ctx, "pacman", "-Q")
			if err != nil {
				errs = append(errs, fmt.Errorf("pacman: %w", err))
			}
			out = append(out, ParsePacmanQ(b)...)
		}
		if !found {
			return nil, errors.New("no supported package database (dpkg, rpm, pacman)")
		}
	case "windows":
		if e.Registry == nil {
			return nil, errors.New("registry unavailable")
		}
		out = RegistrySoftware(e.Registry)
	case "darwin":
		var err error
		if out, err = macSoftware(ctx, e); err != nil {
			errs = append(errs, err)
		}
	default:
		return nil, fmt.Errorf("software inventory not supported on %s", e.GOOS)
	}
	slices.SortStableFunc(out, func(a, b protocol.Software) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Version+a.Arch, b.Version+b.Arch)
	})
	if len(out) > maxSoftware {
		out = out[:maxSoftware]
	}
	return out, errors.Join(errs...)
}

func scanLines(b []byte, f func(string) bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if !f(sc.Text()) {
			return
		}
	}
}

// ParseDpkgQuery parses dpkg-query -W output in dpkgFormat. Only packages
// whose status is installed (or installed with triggers pending) count.
func ParseDpkgQuery(b []byte) []protocol.Software {
	var out []protocol.Software
	scanLines(b, func(l string) bool {
		f := strings.Split(l, "\t")
		if len(f) != 6 || len(f[0]) < 2 || strings.IndexByte("iWt", f[0][1]) < 0 {
			return true
		}
		id := f[1]
		if !aptNameOK(id) || Clean(f[2], MaxField) == "" {
			return true
		}
		out = append(out, protocol.Software{
			Name:        Clean(f[2], MaxField),
			Version:     Clean(f[3], MaxField),
			Arch:        Clean(f[4], 32),
			Publisher:   Clean(stripEmail(f[5]), MaxField),
			Source:      "dpkg",
			UninstallID: id,
		})
		return len(out) < maxSoftware
	})
	return out
}

func stripEmail(s string) string {
	if i := strings.IndexByte(s, '<'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// ParseRPMQuery parses rpm -qa output in rpmFormat. The UninstallID is the
// full name-version-release.arch, so removing one of several installed
// kernels removes only that one.
func ParseRPMQuery(b []byte) []protocol.Software {
	var out []protocol.Software
	scanLines(b, func(l string) bool {
		f := strings.Split(l, "\t")
		if len(f) != 5 || !rpmNameRE.MatchString(f[0]) || f[0] == "gpg-pubkey" || len(f[0]) > MaxField {
			return true
		}
		ver := f[1]
		if !rpmVersionOK(ver) {
			return true
		}
		s := protocol.Software{Name: f[0], Version: ver, Source: "rpm"}
		if f[2] != "(none)" {
			s.Arch = Clean(f[2], 32)
		}
		if f[3] != "(none)" {
			s.Publisher = Clean(f[3], MaxField)
		}
		if t, err := strconv.ParseInt(f[4], 10, 64); err == nil && t > 0 {
			s.InstallDate = time.Unix(t, 0).UTC().Format("2006-01-02")
		}
		plain := ver
		if _, after, ok := strings.Cut(ver, ":"); ok {
			plain = after
		}
		id := f[0] + "-" + plain
		if s.Arch != "" && rpmArchRE.MatchString(s.Arch) {
			id += "." + s.Arch
		}
		if pkgIDRE.MatchString(id) {
			s.UninstallID = id
		}
		out = append(out, s)
		return len(out) < maxSoftware
	})
	return out
}

// ParsePacmanQ parses `pacman -Q`: "name version" per line.
func ParsePacmanQ(b []byte) []protocol.Software {
	var out []protocol.Software
	scanLines(b, func(l string) bool {
		f := strings.Fields(l)
		if len(f) != 2 || !rpmNameRE.MatchString(f[0]) || len(f[0]) > MaxField {
			return true
		}
		out = append(out, protocol.Software{Name: f[0], Version: Clean(f[1], MaxField), Source: "pacman", UninstallID: f[0]})
		return len(out) < maxSoftware
	})
	return out
}

// Uninstall key locations. The 64-bit view holds 64-bit programs; the
// WOW6432Node path is the 32-bit view; per-user installs live in each
// loaded user hive.
const (
	regUninstall64 = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`
	regUninstall32 = `HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall`
	regUserUninst  = `Software\Microsoft\Windows\CurrentVersion\Uninstall`
)

// RegistrySoftware lists programs from the Uninstall keys. Entries without
// a DisplayName, system components and updates of another entry (those
// with a ParentKeyName) are left out. UninstallID is the key's path.
func RegistrySoftware(r Registry) []protocol.Software {
	var out []protocol.Software
	roots := []struct{ path, arch string }{{regUninstall64, "x64"}, {regUninstall32, "x86"}}
	if users, err := r.SubKeys("HKU"); err == nil {
		for _, sid := range users {
			if strings.HasSuffix(sid, "_Classes") || sid == ".DEFAULT" {
				continue
			}
			roots = append(roots, struct{ path, arch string }{`HKU\` + sid + `\` + regUserUninst, ""})
		}
	}
	for _, root := range roots {
		keys, err := r.SubKeys(root.path)
		if err != nil {
			continue
		}
		for _, k := range keys {
			p := root.path + `\` + k
			vals, err := r.Values(p)
			if err != nil {
				continue
			}
			if s, ok := registryEntry(p, root.arch, vals); ok {
				out = append(out, s)
				if len(out) >= maxSoftware {
					return out
				}
			}
		}
	}
	return out
}

func registryEntry(keyPath, arch string, vals map[string]any) (protocol.Software, bool) {
	name := Clean(regString(vals, "DisplayName"), MaxField)
	if name == "" {
		return protocol.Software{}, false
	}
	if n, ok := regUint(vals, "SystemComponent"); ok && n == 1 {
		return protocol.Software{}, false
	}
	if regString(vals, "ParentKeyName") != "" {
		return protocol.Software{}, false
	}
	s := protocol.Software{
		Name:      name,
		Version:   Clean(regString(vals, "DisplayVersion"), MaxField),
		Publisher: Clean(regString(vals, "Publisher"), MaxField),
		Arch:      arch,
		Source:    "registry",
	}
	if d := regString(vals, "InstallDate"); len(d) == 8 {
		if t, err := time.Parse("20060102", d); err == nil {
			s.InstallDate = t.Format("2006-01-02")
		}
	}
	if _, err := RegistryUninstallPlan(keyPath, vals); err == nil {
		s.UninstallID = keyPath
	}
	return s, true
}

// macApps lists application bundles in /Applications and
// /Applications/Utilities from their Info.plist.
func macApps(e Env) []protocol.Software {
	var out []protocol.Software
	for _, dir := range []string{"/Applications", "/Applications/Utilities"} {
		ents, err := os.ReadDir(e.path(dir))
		if err != nil {
			continue
		}
		for _, d := range ents {
			if !strings.HasSuffix(d.Name(), ".app") {
				continue
			}
			b, err := readCapped(e.path(path.Join(dir, d.Name(), "Contents/Info.plist")), 1<<20)
			if err != nil {
				continue
			}
			s, ok := ParseInfoPlist(b, strings.TrimSuffix(d.Name(), ".app"))
			if ok {
				out = append(out, s)
			}
			if len(out) >= maxSoftware {
				return out
			}
		}
	}
	return out
}

// ParseInfoPlist reads an application bundle's Info.plist (XML or binary).
// fallback names the app when the plist has no name. The bundle identifier
// stands in for a publisher, since bundles name no vendor.
func ParseInfoPlist(b []byte, fallback string) (protocol.Software, bool) {
	var info struct {
		Name        string `plist:"CFBundleName"`
		DisplayName string `plist:"CFBundleDisplayName"`
		Short       string `plist:"CFBundleShortVersionString"`
		Version     string `plist:"CFBundleVersion"`
		ID          string `plist:"CFBundleIdentifier"`
	}
	if _, err := plist.Unmarshal(b, &info); err != nil {
		return protocol.Software{}, false
	}
	s := protocol.Software{Source: "app"}
	for _, n := range []string{info.DisplayName, info.Name, fallback} {
		if s.Name = Clean(n, MaxField); s.Name != "" {
			break
		}
	}
	s.Version = Clean(info.Short, MaxField)
	if s.Version == "" {
		s.Version = Clean(info.Version, MaxField)
	}
	s.Publisher = Clean(info.ID, MaxField)
	return s, s.Name != ""
}
