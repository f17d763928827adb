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
			{ID: "libgcrypt20", Name: "libgcrypt20", InstalledVersion: "1.10.1-3", AvailableVersion: "1.10.1-3+deb12u1", Security: true},
			{ID: "base-files", Name: "base-files", InstalledVersion: "12.4+deb12u11", AvailableVersion: "12.4+deb12u15"},
			{ID: "openssl", Name: "openssl", InstalledVersion: "3.0.19-1~deb12u2", AvailableVersion: "3.0.22-1~deb12u2", Security: true},
		}},
		// bash and openssl held: listed as kept back, without versions.
		{file: "apt-s-upgrade-debian12-held-local.txt", n: 121, sec: 73, want: []protocol.Patch{
			{ID: "bash", Name: "bash"},
			{ID: "openssl", Name: "openssl"},
			{ID: "libgcrypt20", Name: "libgcrypt20", InstalledVersion: "1.10.1-3", AvailableVersion: "1.10.1-3+deb12u1", Security: true},
		}},
		{file: "apt-s-upgrade-debian12-none-local.txt", n: 0},
		{file: "apt-s-dist-upgrade-ubuntu20.04.txt", n: 15, sec: 1, want: []protocol.Patch{
			{ID: "openvpn", Name: "openvpn", InstalledVersion: "2.4.7-1ubuntu2", AvailableVersion: "2.4.7-1ubuntu2.20.04.2", Security: true},
			{ID: "libldap-2.4-2:i386", Name: "libldap-2.4-2:i386", InstalledVersion: "2.4.49+dfsg-2ubuntu1.7", AvailableVersion: "2.4.49+dfsg-2ubuntu1.8"},
			{ID: "ubuntu-release-upgrader-gtk", Name: "ubuntu-release-upgrader-gtk", InstalledVersion: "1:20.04.30", AvailableVersion: "1:20.04.32"},
		}},
		// curl is a new install, not an update.
		{file: "apt-install-s-curl-ubuntu22.04.txt", n: 1, sec: 1, notThere: []string{"curl"}, want: []protocol.Patch{
			{ID: "libcurl4", Name: "libcurl4", InstalledVersion: "7.81.0-1ubuntu1.17", AvailableVersion: "7.81.0-1ubuntu1.18", Security: true},
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
		{ID: "FEDORA-2024-2b3c4d5e6f", Name: "glibc", Arch: "x86_64", Version: "2.39-8.fc40"},
		{ID: "FEDORA-2024-3c4d5e6f7a", Severity: "Moderate", Name: "dnf5", Arch: "x86_64", Version: "5.1.17-1.fc40"},
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
			{ID: "patch:openSUSE-Leap-16.0-112", Name: "Security update for qemu", Advisory: "openSUSE-Leap-16.0-112", Security: true},
			{ID: "patch:openSUSE-Leap-16.0-113", Name: "Security update for the Linux Kernel", Advisory: "openSUSE-Leap-16.0-113", Security: true, RebootRequired: true},
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
			{ID: "macOS Security Response 13.2 (a)-22D7750270d", Name: "macOS Security Response 13.2 (a)", AvailableVersion: "13.2 (a)", Size: 117241 << 10, Security: true, RebootRequired: true}}},
		{"softwareupdate-mojave-10.14.6-safari-only.txt", []protocol.Patch{
			{ID: "Safari14.0MojaveAuto-14.0", Name: "Safari", AvailableVersion: "14.0", Size: 67309 << 10}}},
		{"softwareupdate-mojave-10.14.6-security-update-entries-fragment.txt", []protocol.Patch{
			{ID: "Safari14.0.1MojaveAuto-14.0.1", Name: "Safari", AvailableVersion: "14.0.1", Size: 67518 << 10},
			{ID: "Security Update 2020-005-10.14.6", Name: "Security Update 2020-005", AvailableVersion: "10.14.6", Size: 1633218 << 10, Security: true, RebootRequired: true},
			{ID: "Safari14.0MojaveAuto-10.14.6", Name: "macOS Supplemental Update", AvailableVersion: "10.14.6", Size: 67310 << 10, RebootRequired: true},
			{ID: "Command Line Tools (macOS Mojave version 10.14) for Xcode-10.3", Name: "Command Line Tools (macOS Mojave version 10.14) for Xcode", AvailableVersion: "10.3", Size: 199250 << 10},
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
		{ID: "KB5037771", Name: "2024-05 Cumulative Update for Windows 11", Security: true, Size: 700 << 20, RebootRequired: true, Advisory: "KB5037771"},
		{ID: "aaaaaaaa-0000-4000-8000-000000000002", Name: "Security Intelligence Update for Microsoft Defender", Size: 80 << 20, Advisory: "KB2267602"},
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
