package health

import (
	"context"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/agent/ops"
	"github.com/steward-rmm/steward/protocol"
	"howett.net/plist"
)

func byName(ss []protocol.Software) map[string]protocol.Software {
	m := map[string]protocol.Software{}
	for _, s := range ss {
		m[s.Name] = s
	}
	return m
}

func TestParseDpkgQuery(t *testing.T) {
	got := ParseDpkgQuery(read(t, "dpkg-query-debian12-subset-local.txt"))
	if len(got) != 8 {
		t.Fatalf("%d packages, want 8", len(got))
	}
	want := protocol.Software{Name: "libc6", Version: "2.36-9+deb12u14", Arch: "amd64", Publisher: "GNU Libc Maintainers", Source: "dpkg", UninstallID: "libc6:amd64"}
	if m := byName(got); m["libc6"] != want {
		t.Errorf("libc6 = %+v", m["libc6"])
	}
	// hold (hi) counts; half-configured (iF) and removed with config (rc) do not.
	m := byName(ParseDpkgQuery(read(t, "dpkg-query-debian12-states-local.txt")))
	if _, ok := m["bash"]; !ok || len(m) != 8 {
		t.Errorf("states: %d packages, bash present %v", len(m), ok)
	}
	for _, gone := range []string{"zip", "unzip"} {
		if _, ok := m[gone]; ok {
			t.Errorf("%s listed", gone)
		}
	}
}

func TestParseRPMAndPacman(t *testing.T) {
	// No rpm -qa or pacman -Q capture is in os-samples; these lines follow
	// the query format Software asks for (synthetic).
	rpm := "kernel-core\t5.14.0-362.8.1.el9_3\tx86_64\tRed Hat, Inc.\t1700000000\n" +
		"kernel-core\t5.14.0-362.24.1.el9_3\tx86_64\tRed Hat, Inc.\t1710000000\n" +
		"openssl\t1:3.0.7-25.el9_3\tx86_64\t(none)\t1700000000\n" +
		"gpg-pubkey\tfd431d51-4ae0493b\t(none)\t(none)\t1700000000\n" +
		"broken line\n"
	got := ParseRPMQuery([]byte(rpm))
	want := []protocol.Software{
		{Name: "kernel-core", Version: "5.14.0-362.8.1.el9_3", Arch: "x86_64", Publisher: "Red Hat, Inc.", Source: "rpm", InstallDate: "2023-11-14", UninstallID: "kernel-core-5.14.0-362.8.1.el9_3.x86_64"},
		{Name: "kernel-core", Version: "5.14.0-362.24.1.el9_3", Arch: "x86_64", Publisher: "Red Hat, Inc.", Source: "rpm", InstallDate: "2024-03-09", UninstallID: "kernel-core-5.14.0-362.24.1.el9_3.x86_64"},
		{Name: "openssl", Version: "1:3.0.7-25.el9_3", Arch: "x86_64", Source: "rpm", InstallDate: "2023-11-14", UninstallID: "openssl-3.0.7-25.el9_3.x86_64"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rpm:\ngot  %+v\nwant %+v", got, want)
	}
	pac := ParsePacmanQ([]byte("bash 5.2.026-2\nlinux 6.9.7.arch1-1\n-evil 1\n"))
	if len(pac) != 2 || pac[1] != (protocol.Software{Name: "linux", Version: "6.9.7.arch1-1", Source: "pacman", UninstallID: "linux"}) {
		t.Errorf("pacman: %+v", pac)
	}
}

func snapshotRegistry(t *testing.T) *fakeRegistry {
	t.Helper()
	r := newFakeRegistry()
	for _, f := range []string{"reg-uninstall-java8-wow6432-msi.txt", "reg-uninstall-doxygen-innosetup.txt", "reg-uninstall-wine-innosetup.txt"} {
		// The Wine block comes from system.reg, whose keys are under HKLM.
		if err := loadReg(r, string(read(t, f)), "HKLM"); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestRegistrySoftware(t *testing.T) {
	r := snapshotRegistry(t)
	// Synthetic entries: a system component, an update of another entry, a
	// nameless key, and per-user installs (MSI and not).
	r.Set(regUninstall64+`\Hidden`, "DisplayName", "Hidden runtime")
	r.Set(regUninstall64+`\Hidden`, "SystemComponent", uint64(1))
	r.Set(regUninstall64+`\KB123`, "DisplayName", "Update for X")
	r.Set(regUninstall64+`\KB123`, "ParentKeyName", "X")
	r.Key(regUninstall64 + `\Nameless`)
	sid := `HKU\S-1-5-21-1004336348-1177238915-682003330-1001`
	r.Key(sid + `_Classes`)
	r.Set(sid+`\`+regUserUninst+`\Zoom`, "DisplayName", "Zoom")
	r.Set(sid+`\`+regUserUninst+`\Zoom`, "UninstallString", `"C:\Users\a\AppData\Roaming\Zoom\uninstall\Installer.exe" /uninstall`)
	r.Set(sid+`\`+regUserUninst+`\{11111111-2222-3333-4444-555555555555}`, "DisplayName", "Per-user MSI")
	r.Set(sid+`\`+regUserUninst+`\{11111111-2222-3333-4444-555555555555}`, "UninstallString", `MsiExec.exe /X{11111111-2222-3333-4444-555555555555}`)

	got := byName(RegistrySoftware(r))
	want := map[string]protocol.Software{
		"Java 8 Update 66": {Name: "Java 8 Update 66", Version: "8.0.660.18", Publisher: "Oracle Corporation", Arch: "x86", Source: "registry", InstallDate: "2016-01-28",
			UninstallID: `HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{26A24AE4-039D-4CA4-87B4-2F83218066F0}`},
		"doxygen 1.9.7": {Name: "doxygen 1.9.7", Arch: "x64", Source: "registry", UninstallID: `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\doxygen_is1`},
		"GAME version":  {Name: "GAME version", Publisher: "someone", Arch: "x64", Source: "registry", InstallDate: "2008-07-04", UninstallID: `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\Depths of Peril_is1`},
		// A per-user command line is the user's to write: no uninstall.
		"Zoom":         {Name: "Zoom", Source: "registry"},
		"Per-user MSI": {Name: "Per-user MSI", Source: "registry", UninstallID: sid + `\` + regUserUninst + `\{11111111-2222-3333-4444-555555555555}`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestMacApps(t *testing.T) {
	// Synthetic Info.plist files (no bundle captures in os-samples), in
	// XML and binary form as apps ship them.
	xmlPlist, _ := plist.Marshal(map[string]any{"CFBundleName": "Firefox", "CFBundleShortVersionString": "128.0", "CFBundleIdentifier": "org.mozilla.firefox"}, plist.XMLFormat)
	binPlist, _ := plist.Marshal(map[string]any{"CFBundleVersion": "1.2.3", "CFBundleIdentifier": "com.apple.Terminal"}, plist.BinaryFormat)
	root := tree(t, map[string]string{
		"Applications/Firefox.app/Contents/Info.plist":            string(xmlPlist),
		"Applications/Utilities/Terminal.app/Contents/Info.plist": string(binPlist),
		"Applications/Broken.app/Contents/Info.plist":             "not a plist <<<",
		"Applications/readme.txt":                                 "",
	})
	got, err := Software(context.Background(), testEnv("darwin", root, newFake(nil)))
	want := []protocol.Software{
		{Name: "Firefox", Version: "128.0", Publisher: "org.mozilla.firefox", Source: "app"},
		{Name: "Terminal", Version: "1.2.3", Publisher: "com.apple.Terminal", Source: "app"},
	}
	// Without system_profiler (the fake has no answer) the bundles in
	// /Applications are read directly, and the error says the list is partial.
	if err == nil || !strings.Contains(err.Error(), "system_profiler") || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v %v", got, err)
	}
}

// TestMacSoftwareFromSystemProfiler: apps outside /Applications (Apple's
// in /System/Applications, a user's ~/Applications, one inside a
// framework) are listed, each bundle once, with the signing developer;
// control characters become blanks as in every collector.
func TestMacSoftwareFromSystemProfiler(t *testing.T) {
	f := newFake(map[string]reply{"system_profiler -json -detailLevel full SPApplicationsDataType": {read(t, "system_profiler-apps-json.txt"), 0}})
	got, err := Software(context.Background(), testEnv("darwin", t.TempDir(), f))
	if err != nil {
		t.Fatal(err)
	}
	want := []protocol.Software{
		{Name: "App Store", Version: "3.0", Publisher: "Apple", Source: "app", InstallDate: "2024-08-13", Path: "/System/Applications/App Store.app"},
		{Name: "Evil [31m App", Version: "1.0  X", Source: "app", Path: "/Users/sid/Downloads/Evil.app"},
		{Name: "Keynote", Version: "14.1", Publisher: "Mac App Store", Source: "app", InstallDate: "2024-07-30", Path: "/Applications/Keynote.app"},
		{Name: "Microsoft Edge", Version: "127.0.2651.98", Publisher: "Microsoft Corporation", Source: "app", InstallDate: "2024-08-10", Path: "/Applications/Microsoft Edge.app"},
		{Name: "Personal Tool", Source: "app", InstallDate: "2023-12-01", Path: "/Users/sid/Applications/Personal Tool.app"},
		{Name: "Python Launcher", Version: "3.12.5", Publisher: "Python Software Foundation", Source: "app", InstallDate: "2024-08-06",
			Path: "/Library/Frameworks/Python.framework/Versions/3.12/Resources/Python.app"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if _, err := ParseSPApplications([]byte(`{"SPApplicationsDataType": [`)); err == nil {
		t.Error("truncated JSON parsed")
	}
}

func TestSoftwareLinuxCommand(t *testing.T) {
	root := tree(t, map[string]string{"var/lib/dpkg/status": "", "usr/bin/dpkg-query*": ""})
	f := newFake(map[string]reply{"dpkg-query -W -f=" + dpkgFormat: {read(t, "dpkg-query-debian12-subset-local.txt"), 0}})
	got, err := Software(context.Background(), testEnv("linux", root, f))
	if err != nil || len(got) != 8 || got[0].Name != "base-files" || got[len(got)-1].Name != "tzdata" {
		t.Errorf("%v %+v (calls %q)", err, got, f.Calls)
	}
	if _, err := Software(context.Background(), testEnv("linux", t.TempDir(), newFake(nil))); err == nil {
		t.Error("no error without any package database")
	}
}

// TestSoftwareRealDpkg runs the real collector on this machine.
func TestSoftwareRealDpkg(t *testing.T) {
	want, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "bash").Output()
	if err != nil {
		t.Skipf("no dpkg here: %v", err)
	}
	got, err := Software(context.Background(), Env{GOOS: "linux", Run: ops.Exec})
	if err != nil {
		t.Fatal(err)
	}
	bash, ok := byName(got)["bash"]
	if !ok || bash.Version != strings.TrimSpace(string(want)) || bash.Source != "dpkg" || bash.UninstallID != "bash" {
		t.Errorf("bash = %+v, dpkg-query says %q (of %d packages)", bash, want, len(got))
	}
}
