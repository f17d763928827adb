package health

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/steward-rmm/steward/protocol"
)

// seed adds every testdata file whose name matches one of the globs.
func seed(f *testing.F, globs ...string) {
	for _, g := range globs {
		names, _ := filepath.Glob(filepath.Join("testdata", g))
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// cleanField reports whether s is safe device text: valid UTF-8, no control
// characters, at most n bytes.
func cleanField(s string, n int) bool {
	if len(s) > n || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func checkPatches(t *testing.T, ps []protocol.Patch) {
	t.Helper()
	if len(ps) > maxPatches {
		t.Fatalf("%d patches", len(ps))
	}
	seen := map[string]bool{}
	for _, p := range ps {
		if p.ID == "" || strings.HasPrefix(p.ID, "-") || seen[p.ID] {
			t.Fatalf("bad or repeated id in %+v", p)
		}
		seen[p.ID] = true
		for _, s := range []string{p.ID, p.Name, p.InstalledVersion, p.AvailableVersion, p.Advisory} {
			if !cleanField(s, MaxField) {
				t.Fatalf("unclean field %q in %+v", s, p)
			}
		}
		if p.Size < 0 || p.Size > maxSize {
			t.Fatalf("size %d", p.Size)
		}
		if p.Classification != "" && !slices.Contains(protocol.PatchClassifications, p.Classification) ||
			p.Severity != "" && !slices.Contains(protocol.PatchSeverities, p.Severity) {
			t.Fatalf("classification %q severity %q not normalised", p.Classification, p.Severity)
		}
	}
}

func FuzzParseAptSimulate(f *testing.F) {
	seed(f, "apt-*")
	f.Fuzz(func(t *testing.T, b []byte) {
		ps := ParseAptSimulate(b)
		checkPatches(t, ps)
		for _, p := range ps {
			if err := ValidPatchID(SourceApt, p.ID); err != nil {
				t.Fatalf("parsed id the install plan refuses: %v", err)
			}
		}
	})
}

func FuzzParseDNFCheckUpdate(f *testing.F) {
	seed(f, "yum-check-*", "dnf-check-*")
	f.Fuzz(func(t *testing.T, b []byte) {
		ps := ParseDNFCheckUpdate(b)
		checkPatches(t, ps)
		for _, p := range ps {
			if p.Name == "" || ValidPatchID(SourceDNF, p.ID) != nil {
				t.Fatalf("bad patch %+v", p)
			}
		}
	})
}

func FuzzParseUpdateinfo(f *testing.F) {
	seed(f, "yum-updateinfo-*", "dnf-list-sec-*", "dnf5-advisory-*")
	f.Fuzz(func(t *testing.T, b []byte) {
		advs := ParseUpdateinfo(b)
		var ps []protocol.Patch
		seen := map[string]bool{}
		for _, a := range advs {
			if !advisoryRE.MatchString(a.ID) || a.Name == "" || a.Arch == "" || !cleanField(a.Severity, 32) ||
				a.Type != "" && !advisoryTypes[a.Type] {
				t.Fatalf("bad advisory %+v", a)
			}
			if id := a.Name + "." + a.Arch; !seen[id] && len(ps) < maxPatches {
				seen[id] = true
				ps = append(ps, protocol.Patch{ID: id, Name: a.Name})
			}
		}
		// What the advisories make of the packages they fix is clean and
		// normalised too.
		MergeAdvisories(ps, advs)
		checkPatches(t, ps)
	})
}

func FuzzParseZypperXML(f *testing.F) {
	seed(f, "zypper-*")
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, _ := ParseZypperXML(b)
		checkPatches(t, ps)
		for _, p := range ps {
			if ValidPatchID(SourceZypper, p.ID) != nil && len(p.ID) <= 200 {
				t.Fatalf("parsed id the install plan refuses: %q", p.ID)
			}
		}
	})
}

func FuzzParseSoftwareUpdate(f *testing.F) {
	seed(f, "softwareupdate-*")
	f.Fuzz(func(t *testing.T, b []byte) {
		ps := ParseSoftwareUpdate(b)
		checkPatches(t, ps)
		for _, p := range ps {
			if p.Name == "" {
				t.Fatalf("no name: %+v", p)
			}
		}
	})
}

func FuzzParseNeedsRestarting(f *testing.F) {
	for _, n := range []string{"needs-restarting-*", "dnf-needs-restarting-*"} {
		names, _ := filepath.Glob(filepath.Join("testdata", n))
		for _, name := range names {
			b, _ := os.ReadFile(name)
			f.Add(b, 1)
			f.Add(b, 0)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, exit int) {
		pending, pkgs, err := ParseNeedsRestarting(b, exit)
		if err != nil && (pending || len(pkgs) > 0) {
			t.Fatal("result with an error")
		}
		for _, p := range pkgs {
			if !pkgNameRE.MatchString(p) || len(p) > MaxField {
				t.Fatalf("bad package %q", p)
			}
		}
	})
}

func FuzzParseNeedrestart(f *testing.F) {
	seed(f, "needrestart-*")
	f.Fuzz(func(t *testing.T, b []byte) {
		nr := ParseNeedrestart(b)
		if nr.KernelStatus < -1 || nr.KernelStatus > 3 || !cleanField(nr.KernelCurrent, MaxField) || len(nr.Services) > maxReasons {
			t.Fatalf("%+v", nr)
		}
	})
}

func FuzzParseRebootRequiredPkgs(f *testing.F) {
	f.Add([]byte("linux-image-6.8.0-90-generic\nlinux-base\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		seen := map[string]bool{}
		for _, p := range ParseRebootRequiredPkgs(b) {
			if p == "" || seen[p] || !cleanField(p, MaxField) {
				t.Fatalf("bad or repeated %q", p)
			}
			seen[p] = true
		}
	})
}

func checkSoftware(t *testing.T, ss []protocol.Software, remover string) {
	t.Helper()
	if len(ss) > maxSoftware {
		t.Fatalf("%d entries", len(ss))
	}
	for _, s := range ss {
		if s.Name == "" {
			t.Fatalf("no name: %+v", s)
		}
		for _, v := range []string{s.Name, s.Version, s.Publisher, s.Arch, s.InstallDate, s.UninstallID} {
			if !cleanField(v, 2*MaxField) {
				t.Fatalf("unclean %q", v)
			}
		}
		if s.UninstallID != "" {
			if err := ValidPackageName(s.UninstallID); err != nil {
				t.Fatalf("reported uninstall id the plan refuses: %v", err)
			}
		}
	}
}

func FuzzParseDpkgQuery(f *testing.F) {
	seed(f, "dpkg-query-*")
	f.Fuzz(func(t *testing.T, b []byte) { checkSoftware(t, ParseDpkgQuery(b), SourceApt) })
}

func FuzzParseRPMQuery(f *testing.F) {
	f.Add([]byte("openssl\t1:3.0.7-25.el9_3\tx86_64\t(none)\t1700000000\n"))
	f.Fuzz(func(t *testing.T, b []byte) { checkSoftware(t, ParseRPMQuery(b), SourceDNF) })
}

func FuzzParsePacmanQ(f *testing.F) {
	f.Add([]byte("bash 5.2.026-2\n"))
	f.Fuzz(func(t *testing.T, b []byte) { checkSoftware(t, ParsePacmanQ(b), SourcePacman) })
}

func FuzzParseInfoPlist(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><plist version="1.0"><dict><key>CFBundleName</key><string>X</string></dict></plist>`))
	f.Add([]byte("bplist00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, ok := ParseInfoPlist(b, "fallback"); ok && (s.Name == "" || !cleanField(s.Name, MaxField) || !cleanField(s.Version, MaxField)) {
			t.Fatalf("%+v", s)
		}
	})
}

var userStates = map[string]bool{"active": true, "idle": true, "locked": true, "disconnected": true, "online": true}

func checkUsers(t *testing.T, us []protocol.UserSession) {
	t.Helper()
	if len(us) > maxUsers {
		t.Fatalf("%d users", len(us))
	}
	for _, u := range us {
		if u.User == "" || !userStates[u.State] || !cleanField(u.User, 64) || !cleanField(u.Terminal, MaxField) || !cleanField(u.Host, MaxField) {
			t.Fatalf("bad session %+v", u)
		}
	}
}

func FuzzParseLoginctl(f *testing.F) {
	seed(f, "loginctl-*")
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range ParseLoginctlSessions(b) {
			if !sessionIDRE.MatchString(s.ID) || s.User == "" || s.UID < 0 {
				t.Fatalf("%+v", s)
			}
		}
		var us []protocol.UserSession
		for _, p := range ParseLoginctlShow(b) {
			if u, ok := SessionFromLoginctl(p, time.UTC); ok {
				us = append(us, u)
			}
		}
		checkUsers(t, us)
	})
}

func FuzzParseWho(f *testing.F) {
	seed(f, "who-*")
	f.Fuzz(func(t *testing.T, b []byte) { checkUsers(t, ParseWho(b, fixedNow)) })
}

func FuzzParseLast(f *testing.F) {
	seed(f, "last-*")
	f.Fuzz(func(t *testing.T, b []byte) {
		if u, _ := ParseLast(b, fixedNow); !cleanField(u, 64) {
			t.Fatalf("%q", u)
		}
	})
}

func FuzzParseQuser(f *testing.F) {
	seed(f, "quser-*", "query-user-*")
	f.Fuzz(func(t *testing.T, b []byte) {
		us := ParseQuser(b, fixedNow)
		checkUsers(t, us)
		for _, u := range us {
			if u.IdleSince.After(fixedNow) {
				t.Fatalf("idle in the future: %+v", u)
			}
		}
	})
}

func FuzzCompareVersions(f *testing.F) {
	f.Add("1.0~rc1", "1.0")
	f.Add("1:2.04-1ubuntu26.11", "2.04-1ubuntu44")
	f.Fuzz(func(t *testing.T, a, b string) {
		if CompareVersions(a, a) != 0 || CompareVersions(a, b) != -CompareVersions(b, a) {
			t.Fatalf("%q %q not a consistent order", a, b)
		}
	})
}

func FuzzLoadReg(f *testing.F) {
	seed(f, "reg-*")
	f.Fuzz(func(t *testing.T, b []byte) {
		r := newFakeRegistry()
		if loadReg(r, string(b), "HKLM") != nil {
			return
		}
		_ = RegistrySoftware(r)
		_ = RebootFromRegistry(r)
	})
}
