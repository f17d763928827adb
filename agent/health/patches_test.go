package health

import (
	"reflect"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/protocol"
)

func byID(ps []protocol.Patch) map[string]protocol.Patch {
	m := map[string]protocol.Patch{}
	for _, p := range ps {
		m[p.ID] = p
	}
	return m
}

func countSecurity(ps []protocol.Patch) int {
	n := 0
	for _, p := range ps {
		if p.Security {
			n++
		}
	}
	return n
}

func TestParseAptSimulate(t *testing.T) {
	cases := []struct {
		file     string
		n, sec   int
		want     []protocol.Patch // spot checks
		notThere []string
	}{
		{file: "apt-s-upgrade-debian12-local.txt", n: 121, sec: 74, want: []protocol.Patch{
			{ID: "libgcrypt20", Name: "libgcrypt20", InstalledVersion: "1.10.1-3", AvailableVersion: "1.10.1-3+deb12u1", Security: true, Classification: "security"},
			{ID: "base-files", Name: "base-files", InstalledVersion: "12.4+deb12u11", AvailableVersion: "12.4+deb12u15"},
			{ID: "openssl", Name: "openssl", InstalledVersion: "3.0.19-1~deb12u2", AvailableVersion: "3.0.22-1~deb12u2", Security: true, Classification: "security"},
		}},
		// bash and openssl held: listed as kept back, without versions.
		{file: "apt-s-upgrade-debian12-held-local.txt", n: 121, sec: 73, want: []protocol.Patch{
			{ID: "bash", Name: "bash"},
			{ID: "openssl", Name: "openssl"},
			{ID: "libgcrypt20", Name: "libgcrypt20", InstalledVersion: "1.10.1-3", AvailableVersion: "1.10.1-3+deb12u1", Security: true, Classification: "security"},
		}},
		{file: "apt-s-upgrade-debian12-none-local.txt", n: 0},
		{file: "apt-s-dist-upgrade-ubuntu20.04.txt", n: 15, sec: 1, want: []protocol.Patch{
			{ID: "openvpn", Name: "openvpn", InstalledVersion: "2.4.7-1ubuntu2", AvailableVersion: "2.4.7-1ubuntu2.20.04.2", Security: true, Classification: "security"},
			{ID: "libldap-2.4-2:i386", Name: "libldap-2.4-2:i386", InstalledVersion: "2.4.49+dfsg-2ubuntu1.7", AvailableVersion: "2.4.49+dfsg-2ubuntu1.8"},
			{ID: "ubuntu-release-upgrader-gtk", Name: "ubuntu-release-upgrader-gtk", InstalledVersion: "1:20.04.30", AvailableVersion: "1:20.04.32"},
		}},
		// curl is a new install, not an update.
		{file: "apt-install-s-curl-ubuntu22.04.txt", n: 1, sec: 1, notThere: []string{"curl"}, want: []protocol.Patch{
			{ID: "libcurl4", Name: "libcurl4", InstalledVersion: "7.81.0-1ubuntu1.17", AvailableVersion: "7.81.0-1ubuntu1.18", Security: true, Classification: "security"},
		}},
		// A real (non-simulated) apt upgrade: only the kept-back list has
		// the shape we read; phased and NEW packages are not patches.
		{file: "apt-upgrade-ubuntu24.04-keptback.txt", n: 1, want: []protocol.Patch{{ID: "cloud-init", Name: "cloud-init"}},
			notThere: []string{"snapd", "linux-headers-6.8.0-90"}},
		// Translated headers and the Ubuntu Pro esm list are not read.
		{file: "apt-upgrade-ubuntu24.04-ja.txt", n: 0},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			got := ParseAptSimulate(read(t, c.file))
			if len(got) != c.n || countSecurity(got) != c.sec {
				t.Errorf("got %d patches (%d security), want %d (%d)", len(got), countSecurity(got), c.n, c.sec)
			}
			m := byID(got)
			for _, w := range c.want {
				if m[w.ID] != w {
					t.Errorf("%s = %+v, want %+v", w.ID, m[w.ID], w)
				}
			}
			for _, id := range c.notThere {
				if _, ok := m[id]; ok {
					t.Errorf("%s listed", id)
				}
			}
		})
	}
}

func TestParseDNFCheckUpdate(t *testing.T) {
	cases := []struct {
		file string
		n    int
		want []protocol.Patch
		not  []string
	}{
		{file: "yum-check-update-security-rhel7.txt", n: 89, want: []protocol.Patch{
			{ID: "openssl.x86_64", Name: "openssl", AvailableVersion: "1:1.0.1e-42.el7_1.9"},
			{ID: "NetworkManager.x86_64", Name: "NetworkManager", AvailableVersion: "1:1.0.0-16.git20150121.b4ea599c.el7_1"},
			{ID: "tzdata-java.noarch", Name: "tzdata-java", AvailableVersion: "2015g-1.el7"},
		}, not: []string{"Security:", "kernel.x86_64"}},
		// Obsoleting section: the obsoleting packages are updates, the
		// indented @repo lines are what they replace.
		{file: "dnf-check-update-el8-obsoleting.txt", n: 4, want: []protocol.Patch{
			{ID: "grub2-tools-efi.x86_64", Name: "grub2-tools-efi", AvailableVersion: "1:2.02-87.el8_2"},
			{ID: "podman.x86_64", Name: "podman", AvailableVersion: "1.6.4-10.module_el8.2.0+305+5e198a41"},
		}, not: []string{"grub2-tools.x86_64", "podman-manpages.noarch"}},
		// Exit 0: mirror lines ("* base: host") are not packages.
		{file: "yum-check-update-centos7-none.txt", n: 0},
		// Metadata line in a Czech locale, summary text: nothing to list.
		{file: "dnf-update-czech-no-security.txt", n: 0},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			got := ParseDNFCheckUpdate(read(t, c.file))
			if len(got) != c.n {
				t.Errorf("got %d patches, want %d", len(got), c.n)
			}
			m := byID(got)
			for _, w := range c.want {
				if m[w.ID] != w {
					t.Errorf("%s = %+v, want %+v", w.ID, m[w.ID], w)
				}
			}
			for _, id := range c.not {
				if _, ok := m[id]; ok {
					t.Errorf("%s listed", id)
				}
			}
		})
	}
}

func TestParseDNFWrappedLine(t *testing.T) {
	// Synthetic: yum's wrap of a name too long for its column.
	in := "a-very-long-package-name-that-wraps.x86_64\n                                   1.2-3.el7          updates\n"
	got := ParseDNFCheckUpdate([]byte(in))
	want := []protocol.Patch{{ID: "a-very-long-package-name-that-wraps.x86_64", Name: "a-very-long-package-name-that-wraps", AvailableVersion: "1.2-3.el7"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
}

func TestParseUpdateinfo(t *testing.T) {
	rhel := ParseUpdateinfo(read(t, "yum-updateinfo-security-rhel7.txt"))
	if len(rhel) != 13 {
		t.Fatalf("rhel7: %d advisories, want 13", len(rhel))
	}
	want := Advisory{ID: "RHSA-2016:2594", Severity: "Moderate", Security: true, Name: "389-ds-base", Arch: "x86_64", Version: "1.3.5.10-11.el7"}
	if rhel[4] != want {
		t.Errorf("rhel7[4] = %+v, want %+v", rhel[4], want)
	}
	if last := rhel[12]; last.Name != "389-ds-base-libs" {
		t.Errorf("last = %+v", last)
	}
	fed := ParseUpdateinfo(read(t, "dnf-list-sec-fedora27.txt"))
	wantF := []Advisory{{ID: "FEDORA-2017-ad1937a146", Severity: "Moderate", Security: true, Name: "TurboGears", Arch: "noarch", Version: "1.0.2.2-2.fc17"}}
	if !reflect.DeepEqual(fed, wantF) {
		t.Errorf("fedora = %+v", fed)
	}
	// No dnf5 advisory listing was found as real output; this line follows
	// dnf5's documented columns (synthetic).
	d5 := ParseUpdateinfo([]byte("FEDORA-2024-1a2b3c4d5e security Important curl-8.6.0-7.fc40.x86_64 2024-05-01 01:02:03\n"))
	if len(d5) != 1 || !d5[0].Security || d5[0].Name != "curl" || d5[0].Severity != "Important" {
		t.Errorf("dnf5 = %+v", d5)
	}
	// dnf5's columns are Name Type Severity Package Issued: the type
	// (bugfix, enhancement) is not the severity, nor is "None".
	got := ParseUpdateinfo(read(t, "dnf5-advisory-list-synthetic.txt"))
	want5 := []Advisory{
		{ID: "FEDORA-2024-1a2b3c4d5e", Severity: "Important", Security: true, Name: "curl", Arch: "x86_64", Version: "8.6.0-7.fc40"},
		{ID: "FEDORA-2024-2b3c4d5e6f", Type: "bugfix", Name: "glibc", Arch: "x86_64", Version: "2.39-8.fc40"},
		{ID: "FEDORA-2024-3c4d5e6f7a", Severity: "Moderate", Type: "enhancement", Name: "dnf5", Arch: "x86_64", Version: "5.1.17-1.fc40"},
		{ID: "FEDORA-2024-4d5e6f7a8b", Security: true, Name: "kernel", Arch: "x86_64", Version: "6.8.9-300.fc40"},
	}
	if !reflect.DeepEqual(got, want5) {
		t.Errorf("dnf5 listing:\n got %+v\nwant %+v", got, want5)
	}
}

func TestMergeAdvisories(t *testing.T) {
	// The Fedora 27 advisory applied to a check-update line for the same
	// package (the line itself is synthetic).
	ps := ParseDNFCheckUpdate([]byte("TurboGears.noarch   1.0.2.2-2.fc17   bodhitest\nother.noarch 1-1 bodhitest\n"))
	MergeAdvisories(ps, ParseUpdateinfo(read(t, "dnf-list-sec-fedora27.txt")))
	m := byID(ps)
	if p := m["TurboGears.noarch"]; !p.Security || p.Advisory != "FEDORA-2017-ad1937a146" {
		t.Errorf("TurboGears = %+v", p)
	}
	if m["other.noarch"].Security {
		t.Error("unrelated package marked security")
	}
}

func TestParseZypperXML(t *testing.T) {
	cases := []struct {
		file    string
		n, sec  int
		want    []protocol.Patch
		wantErr bool
	}{
		{file: "zypper-list-updates-leap16.xml", n: 4, want: []protocol.Patch{
			{ID: "kernel-default", Name: "kernel-default", InstalledVersion: "6.12.0-160000.7.1", AvailableVersion: "6.12.0-160000.8.1"},
			{ID: "qemu-guest-agent", Name: "qemu-guest-agent", InstalledVersion: "10.0.4-160000.1.1", AvailableVersion: "10.0.7-160000.1.1"},
		}},
		{file: "zypper-list-updates-sle12sp1.xml", n: 3, want: []protocol.Patch{
			{ID: "bind-libs", Name: "bind-libs", AvailableVersion: "9.9.6P1-35.1"},
		}},
		{file: "zypper-list-updates-tumbleweed.xml", n: 1, want: []protocol.Patch{
			{ID: "libopenh264-8", Name: "libopenh264-8", InstalledVersion: "2.6.0~noopenh264-1.5", AvailableVersion: "2.6.0-2.suse1699.10"},
		}},
		{file: "zypper-list-patches-security-leap16-abridged.xml", n: 2, sec: 2, want: []protocol.Patch{
			{ID: "patch:openSUSE-Leap-16.0-112", Name: "Security update for qemu", Advisory: "openSUSE-Leap-16.0-112", Security: true,
				Classification: "security", Severity: "important"},
			{ID: "patch:openSUSE-Leap-16.0-113", Name: "Security update for the Linux Kernel", Advisory: "openSUSE-Leap-16.0-113", Security: true, RebootRequired: true,
				Classification: "security", Severity: "important"},
		}},
		// search -t patch output is a different document: nothing in it
		// is read as an update.
		{file: "zypper-search-t-patch-sle12sp2.xml", n: 0},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			got, err := ParseZypperXML(read(t, c.file))
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v", err)
			}
			if len(got) != c.n || countSecurity(got) != c.sec {
				t.Errorf("got %d (%d security), want %d (%d)", len(got), countSecurity(got), c.n, c.sec)
			}
			m := byID(got)
			for _, w := range c.want {
				if m[w.ID] != w {
					t.Errorf("%s = %+v, want %+v", w.ID, m[w.ID], w)
				}
			}
		})
	}
	// stderr merged in front of the stream is skipped; an error message
	// in the stream is an error.
	b := append([]byte("Warning: something on stderr\n"), read(t, "zypper-list-updates-tumbleweed.xml")...)
	if got, err := ParseZypperXML(b); err != nil || len(got) != 1 {
		t.Errorf("with stderr prefix: %v %v", got, err)
	}
	if _, err := ParseZypperXML([]byte(`<stream><message type="error">System management is locked</message></stream>`)); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("error message not reported: %v", err)
	}
	if _, err := ParseZypperXML([]byte("zypper: command not found")); err == nil {
		t.Error("non-XML accepted")
	}
}

func TestZypperExitCodes(t *testing.T) {
	for code, want := range map[int]bool{0: true, 100: true, 101: true, 102: true, 103: true, 1: false, 4: false, 104: false, 106: false, -1: false} {
		if ZypperOK(code) != want {
			t.Errorf("ZypperOK(%d) = %v", code, !want)
		}
	}
}

func TestParseSoftwareUpdate(t *testing.T) {
	cases := []struct {
		file string
		want []protocol.Patch
	}{
		{"softwareupdate-tahoe-26.6-list-trailing-space-ja-user.txt", []protocol.Patch{
			{ID: "macOS Tahoe 26.6-25G72", Name: "macOS Tahoe 26.6", AvailableVersion: "26.6", Size: 3829595 << 10, RebootRequired: true}}},
		{"softwareupdate-bigsur-11.0.1-seed-list-beta.txt", []protocol.Patch{
			{ID: "macOS Big Sur 11.1 Beta 2-20C5061b", Name: "macOS Big Sur 11.1 Beta 2", AvailableVersion: "11.1", Size: 2746951 << 10, RebootRequired: true}}},
		{"softwareupdate-catalina-10.15.6-safari-only.txt", []protocol.Patch{
			{ID: "Safari14.0CatalinaAuto-14.0", Name: "Safari", AvailableVersion: "14.0", Size: 65417 << 10}}},
		{"softwareupdate-ventura-13.2-rsr-entry-fragment.txt", []protocol.Patch{
			{ID: "macOS Security Response 13.2 (a)-22D7750270d", Name: "macOS Security Response 13.2 (a)", AvailableVersion: "13.2 (a)", Size: 117241 << 10, Security: true, RebootRequired: true, Classification: "security"}}},
		{"softwareupdate-mojave-10.14.6-safari-only.txt", []protocol.Patch{
			{ID: "Safari14.0MojaveAuto-14.0", Name: "Safari", AvailableVersion: "14.0", Size: 67309 << 10}}},
		{"softwareupdate-mojave-10.14.6-security-update-entries-fragment.txt", []protocol.Patch{
			{ID: "Safari14.0.1MojaveAuto-14.0.1", Name: "Safari", AvailableVersion: "14.0.1", Size: 67518 << 10},
			{ID: "Security Update 2020-005-10.14.6", Name: "Security Update 2020-005", AvailableVersion: "10.14.6", Size: 1633218 << 10, Security: true, RebootRequired: true, Classification: "security"},
			{ID: "Safari14.0MojaveAuto-10.14.6", Name: "macOS Supplemental Update", AvailableVersion: "10.14.6", Size: 67310 << 10, RebootRequired: true},
			{ID: "Command Line Tools (macOS Mojave version 10.14) for Xcode-10.3", Name: "Command Line Tools (macOS Mojave version 10.14) for Xcode", AvailableVersion: "10.3", Size: 199250 << 10, Classification: "tool"},
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			if got := ParseSoftwareUpdate(read(t, c.file)); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
	// No capture of the empty answer is in os-samples; this is the text
	// softwareupdate prints (synthetic).
	if got := ParseSoftwareUpdate([]byte("Software Update Tool\n\nFinding available software\nNo new software available.\n")); len(got) != 0 {
		t.Errorf("empty answer gave %+v", got)
	}
}

func TestParseSUSize(t *testing.T) {
	for in, want := range map[string]int64{"65417K": 65417 << 10, "3829595KiB": 3829595 << 10, "2MB": 2 << 20, "1.5G": 3 << 29, "": 0, "K": 0, "99999999999999999999G": maxSize} {
		if got := parseSUSize(in); got != want {
			t.Errorf("parseSUSize(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestMapWUA(t *testing.T) {
	// Synthetic: WUA search results cannot be captured on Linux; these are
	// the fields the COM code reads, shaped like real updates.
	us := []WUAUpdate{
		{UpdateID: "1B2C3D4E-0000-4000-8000-000000000001", Title: "2024-05 Cumulative Update for Windows 11", KBArticleIDs: []string{"5037771"},
			MsrcSeverity: "Critical", Categories: []string{"Security Updates", "Windows 11"}, MaxDownloadSize: 700 << 20, RebootBehavior: 1},
		{UpdateID: "AAAAAAAA-0000-4000-8000-000000000002", Title: "Security Intelligence Update for Microsoft Defender", KBArticleIDs: []string{"2267602"},
			Categories: []string{"Definition Updates"}, MaxDownloadSize: 80 << 20},
		{UpdateID: "AAAAAAAA-0000-4000-8000-000000000003", Title: "Same KB, other product", KBArticleIDs: []string{"2267602"}},
		{UpdateID: "BBBBBBBB-0000-4000-8000-000000000004", Title: "Driver update", RebootBehavior: 2},
	}
	got := MapWUA(us)
	want := []protocol.Patch{
		{ID: "KB5037771", Name: "2024-05 Cumulative Update for Windows 11", Security: true, Size: 700 << 20, RebootRequired: true, Advisory: "KB5037771",
			Classification: "security", Severity: "critical"},
		{ID: "aaaaaaaa-0000-4000-8000-000000000002", Name: "Security Intelligence Update for Microsoft Defender", Size: 80 << 20, Advisory: "KB2267602", Classification: "definition"},
		{ID: "aaaaaaaa-0000-4000-8000-000000000003", Name: "Same KB, other product", Advisory: "KB2267602"},
		{ID: "bbbbbbbb-0000-4000-8000-000000000004", Name: "Driver update", RebootRequired: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	for _, p := range got {
		if err := ValidPatchID(SourceWUA, p.ID); err != nil {
			t.Errorf("MapWUA made an ID InstallPlan refuses: %v", err)
		}
	}
}

// TestDNFClassification: the advisories of a real listing classify the
// packages they fix: type, highest severity, advisory ids security first.
func TestDNFClassification(t *testing.T) {
	// RHEL 7: twelve advisories for 389-ds-base, Important and Moderate.
	ps := []protocol.Patch{{ID: "389-ds-base.x86_64", Name: "389-ds-base"}, {ID: "389-ds-base-libs.x86_64", Name: "389-ds-base-libs"},
		{ID: "bash.x86_64", Name: "bash"}}
	MergeAdvisories(ps, ParseUpdateinfo(read(t, "yum-updateinfo-security-rhel7.txt")))
	if p := ps[0]; !p.Security || p.Classification != "security" || p.Severity != "important" || !strings.HasPrefix(p.Advisory, "RHSA-2014:1031, RHSA-2015:0416") {
		t.Errorf("389-ds-base = %+v", p)
	}
	if p := ps[1]; p.Classification != "security" || p.Severity != "important" || p.Advisory != "RHSA-2014:1031" {
		t.Errorf("389-ds-base-libs = %+v", p)
	}
	if p := ps[2]; p.Security || p.Classification != "" || p.Severity != "" || p.Advisory != "" {
		t.Errorf("bash (no advisory) = %+v", p)
	}
	// Fedora 27: one Moderate/Sec. advisory.
	ps = []protocol.Patch{{ID: "TurboGears.noarch", Name: "TurboGears"}}
	MergeAdvisories(ps, ParseUpdateinfo(read(t, "dnf-list-sec-fedora27.txt")))
	if p := ps[0]; p.Classification != "security" || p.Severity != "moderate" {
		t.Errorf("TurboGears = %+v", p)
	}
	// dnf5's table: the type classifies, a severity counts whatever the
	// type, "None" is unknown.
	ps = []protocol.Patch{{ID: "curl.x86_64"}, {ID: "glibc.x86_64"}, {ID: "dnf5.x86_64"}, {ID: "kernel.x86_64"}}
	MergeAdvisories(ps, ParseUpdateinfo(read(t, "dnf5-advisory-list-synthetic.txt")))
	want := [][3]string{{"security", "important", "FEDORA-2024-1a2b3c4d5e"}, {"bugfix", "", "FEDORA-2024-2b3c4d5e6f"},
		{"enhancement", "moderate", "FEDORA-2024-3c4d5e6f7a"}, {"security", "", "FEDORA-2024-4d5e6f7a8b"}}
	for i, p := range ps {
		if got := [3]string{p.Classification, p.Severity, p.Advisory}; got != want[i] || p.Security != (want[i][0] == "security") {
			t.Errorf("%s = %+v, want %q", p.ID, p, want[i])
		}
	}
	// dnf4's own words for the other types (the line layout of the
	// Fedora listing, types as dnf4 prints them: synthetic), and a
	// security advisory beating a bugfix one for the same package.
	in := "  FEDORA-2017-aaaaaaaa01 bugfix      vim-enhanced-8.0-1.fc27.x86_64\n" +
		"  FEDORA-2017-aaaaaaaa02 enhancement tmux-2.6-1.fc27.x86_64\n" +
		"  FEDORA-2017-aaaaaaaa03 newpackage  gnome-foo-1.0-1.fc27.noarch\n" +
		"  FEDORA-2017-aaaaaaaa04 bugfix      curl-7.55-2.fc27.x86_64\n" +
		"  FEDORA-2017-aaaaaaaa05 Critical/Sec. curl-7.55-3.fc27.x86_64\n"
	ps = []protocol.Patch{{ID: "vim-enhanced.x86_64"}, {ID: "tmux.x86_64"}, {ID: "gnome-foo.noarch"}, {ID: "curl.x86_64"}}
	MergeAdvisories(ps, ParseUpdateinfo([]byte(in)))
	want = [][3]string{{"bugfix", "", "FEDORA-2017-aaaaaaaa01"}, {"enhancement", "", "FEDORA-2017-aaaaaaaa02"},
		{"feature", "", "FEDORA-2017-aaaaaaaa03"}, {"security", "critical", "FEDORA-2017-aaaaaaaa05, FEDORA-2017-aaaaaaaa04"}}
	for i, p := range ps {
		if got := [3]string{p.Classification, p.Severity, p.Advisory}; got != want[i] {
			t.Errorf("%s = %q, want %q", p.ID, got, want[i])
		}
	}
	// The Czech dnf4 answer with no advisory lines classifies nothing.
	if advs := ParseUpdateinfo(read(t, "dnf-update-czech-no-security.txt")); len(advs) != 0 {
		t.Errorf("czech listing gave %+v", advs)
	}
}

// TestWUAClassification: each Windows Update classification category and
// MSRC severity maps to its normalised value; product categories are not
// classifications.
func TestWUAClassification(t *testing.T) {
	cases := []struct {
		cats            []string
		msrc            string
		class, severity string
	}{
		{[]string{"Security Updates", "Windows 11"}, "Important", "security", "important"},
		{[]string{"Windows Server 2019", "Critical Updates"}, "", "critical", ""},
		{[]string{"Definition Updates", "Microsoft Defender Antivirus"}, "", "definition", ""},
		{[]string{"Drivers"}, "", "driver", ""},
		{[]string{"Feature Packs"}, "", "feature", ""},
		{[]string{"Service Packs"}, "", "servicepack", ""},
		{[]string{"Tools"}, "", "tool", ""},
		{[]string{"Update Rollups"}, "Moderate", "rollup", "moderate"},
		{[]string{"Updates", "Windows 10"}, "", "bugfix", ""},
		{[]string{"Upgrades"}, "", "feature", ""},
		{[]string{"Windows 10, version 1903 and later"}, "Low", "", "low"},
		{[]string{" security updates "}, "Unspecified", "security", ""},
		{[]string{"Updates", "Security Updates"}, "Critical", "security", "critical"},
	}
	for _, c := range cases {
		ps := MapWUA([]WUAUpdate{{UpdateID: "AAAAAAAA-0000-4000-8000-000000000001", Title: "t", Categories: c.cats, MsrcSeverity: c.msrc}})
		if len(ps) != 1 || ps[0].Classification != c.class || ps[0].Severity != c.severity {
			t.Errorf("%q %q: got %+v, want %q %q", c.cats, c.msrc, ps, c.class, c.severity)
		}
	}
	// A German Windows names its categories in German; the GUIDs say
	// the same in every language, and win over the names.
	for _, c := range []struct {
		ids, names []string
		want       string
	}{
		{[]string{"0FA1201D-4330-4FA8-8AE9-B877473B6441", "72e7624a-5b00-45d2-b92f-e561c0a6a160"}, []string{"Sicherheitsupdates", "Windows 11"}, "security"},
		{[]string{"{E6CF1350-C01B-414D-A61F-263D14D133B4}"}, []string{"Kritische Updates"}, "critical"},
		{[]string{"ebfc1fc5-71a4-4f7b-9aca-3b9a503104a0"}, []string{"Treiber"}, "driver"},
		{[]string{"b4832bd8-e735-4761-8daf-37f882276dab"}, []string{"Updates"}, "tool"},
		{[]string{"cd5ffd1e-e932-4e3a-bf74-18bf0b1bbd83"}, nil, "bugfix"},
		{[]string{"3689bdc8-b205-4af4-8d4a-a63924c5e9d5"}, nil, "feature"},
		{[]string{"72e7624a-5b00-45d2-b92f-e561c0a6a160"}, []string{"Sicherheitsupdates"}, ""},
	} {
		ps := MapWUA([]WUAUpdate{{UpdateID: "AAAAAAAA-0000-4000-8000-000000000001", Title: "t", CategoryIDs: c.ids, Categories: c.names}})
		if ps[0].Classification != c.want {
			t.Errorf("%q %q: %q, want %q", c.ids, c.names, ps[0].Classification, c.want)
		}
	}
}

// TestZypperClassification: a patch's category and severity are
// normalised (the real Leap 16 security patches are checked in
// TestParseZypperXML); package updates say neither.
func TestZypperClassification(t *testing.T) {
	pkgs, err := ParseZypperXML(read(t, "zypper-list-updates-leap16.xml"))
	if err != nil || len(pkgs) != 4 {
		t.Fatalf("%v %v", pkgs, err)
	}
	for _, p := range pkgs {
		if p.Classification != "" || p.Severity != "" {
			t.Errorf("package update %s classified %q %q", p.ID, p.Classification, p.Severity)
		}
	}
	// Synthetic: list-patches entries of the other categories, in the
	// real sample's attribute layout.
	in := `<?xml version='1.0'?><stream><update-status version="0.6"><update-list>` +
		`<update kind="patch" name="SUSE-2024-1" edition="1" arch="noarch" status="needed" category="recommended" severity="moderate" restart="false"><summary>Recommended update for x</summary></update>` +
		`<update kind="patch" name="SUSE-2024-2" edition="1" arch="noarch" status="needed" category="optional" severity="low"><summary>o</summary></update>` +
		`<update kind="patch" name="SUSE-2024-3" edition="1" arch="noarch" status="needed" category="feature" severity="unspecified"><summary>f</summary></update>` +
		`<update kind="patch" name="SUSE-2024-4" edition="1" arch="noarch" status="needed" category="yast" severity="critical"><summary>y</summary></update>` +
		`<update kind="patch" name="SUSE-2024-5" edition="1" arch="noarch" status="needed" category="document"><summary>d</summary></update>` +
		`</update-list></update-status></stream>`
	ps, err := ParseZypperXML([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{"patch:SUSE-2024-1": {"bugfix", "moderate"}, "patch:SUSE-2024-2": {"enhancement", "low"},
		"patch:SUSE-2024-3": {"feature", ""}, "patch:SUSE-2024-4": {"other", "critical"}, "patch:SUSE-2024-5": {"other", ""}}
	if len(ps) != len(want) {
		t.Fatalf("got %d patches", len(ps))
	}
	for _, p := range ps {
		if got := [2]string{p.Classification, p.Severity}; got != want[p.ID] {
			t.Errorf("%s = %q, want %q", p.ID, got, want[p.ID])
		}
	}
}

// TestAppleClassification: real titles (the captured samples) and the
// other shapes softwareupdate lists.
func TestAppleClassification(t *testing.T) {
	for file, want := range map[string]string{
		"softwareupdate-tahoe-26.6-list-trailing-space-ja-user.txt": "", // a minor update of the running macOS
		"softwareupdate-bigsur-11.0.1-seed-list-beta.txt":           "", // a beta of a minor update
		"softwareupdate-catalina-10.15.6-safari-only.txt":           "",
		"softwareupdate-ventura-13.2-rsr-entry-fragment.txt":        "security",
	} {
		ps := ParseSoftwareUpdate(read(t, file))
		if len(ps) != 1 || ps[0].Classification != want || ps[0].Severity != "" {
			t.Errorf("%s: %+v, want %q", file, ps, want)
		}
	}
	for _, c := range []struct{ title, label, version, want string }{
		{"macOS Sequoia 15.0", "macOS Sequoia 15.0-24A335", "15.0", "feature"},
		{"macOS Tahoe 26", "macOS Tahoe 26-25A354", "26", "feature"},
		{"macOS Sequoia 15.0.1", "macOS Sequoia 15.0.1-24A348", "15.0.1", ""},
		{"XProtectPlistConfigData", "XProtectPlistConfigData_10_15-2195", "2195", "definition"},
		{"MRTConfigData", "MRTConfigData_10_14-1.93", "1.93", "definition"},
		{"Background Security Improvement 26.1 (a)", "Background Security Improvement 26.1 (a)-25B78a", "26.1 (a)", "security"},
		{"Command Line Tools for Xcode", "Command Line Tools for Xcode-16.0", "16.0", "tool"},
	} {
		if got := appleClass(c.title, c.label, c.version); got != c.want {
			t.Errorf("%q: %q, want %q", c.title, got, c.want)
		}
	}
}
