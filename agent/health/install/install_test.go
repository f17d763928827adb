package install

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/agent/health"
	"github.com/steward-rmm/steward/agent/health/internal/healthtest"
	"github.com/steward-rmm/steward/protocol"
)

var aptEnv = []string{"env", "DEBIAN_FRONTEND=noninteractive", "apt-get"}

func TestPatchPlan(t *testing.T) {
	opts := []string{"-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"}
	cases := []struct {
		goos, source string
		ids          []string
		want         [][]string
	}{
		{"linux", "apt", nil, [][]string{concat(aptEnv, []string{"upgrade", "-y"}, opts)}},
		{"linux", "apt", []string{"openssl", "libldap-2.4-2:i386", "openssl"},
			[][]string{concat(aptEnv, []string{"install", "-y", "--only-upgrade"}, opts, []string{"openssl", "libldap-2.4-2:i386"})}},
		{"linux", "dnf", nil, [][]string{{"dnf", "upgrade", "-y"}}},
		{"linux", "dnf", []string{"openssl.x86_64", "RHSA-2024:1234", "FEDORA-EPEL-2023-1a2b3c"}, [][]string{
			{"dnf", "upgrade", "-y", "--advisory=RHSA-2024:1234", "--advisory=FEDORA-EPEL-2023-1a2b3c"},
			{"dnf", "upgrade", "-y", "openssl.x86_64"}}},
		{"linux", "yum", []string{"kernel.x86_64"}, [][]string{{"yum", "update", "-y", "kernel.x86_64"}}},
		{"linux", "zypper", nil, [][]string{
			{"zypper", "--non-interactive", "patch", "--auto-agree-with-licenses"},
			{"zypper", "--non-interactive", "update", "--auto-agree-with-licenses"}}},
		{"linux", "zypper", []string{"patch:openSUSE-Leap-16.0-113", "qemu-guest-agent"}, [][]string{
			{"zypper", "--non-interactive", "install", "--auto-agree-with-licenses", "patch:openSUSE-Leap-16.0-113"},
			{"zypper", "--non-interactive", "update", "--auto-agree-with-licenses", "qemu-guest-agent"}}},
		{"darwin", "softwareupdate", nil, [][]string{{"softwareupdate", "--install", "--all"}}},
		{"darwin", "softwareupdate", []string{"macOS Security Response 13.2 (a)-22D7750270d", "Command Line Tools (macOS Mojave version 10.14) for Xcode-10.3"},
			[][]string{{"softwareupdate", "--install", "macOS Security Response 13.2 (a)-22D7750270d", "Command Line Tools (macOS Mojave version 10.14) for Xcode-10.3"}}},
		{"windows", "wua", []string{"KB5037771", "aaaaaaaa-0000-4000-8000-000000000002"}, nil},
	}
	for _, c := range cases {
		got, err := PatchPlan(c.goos, c.source, protocol.PatchInstall{IDs: c.ids})
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %v:\ngot  %q %v\nwant %q", c.source, c.ids, got, err, c.want)
		}
	}
}

func TestPatchPlanRejects(t *testing.T) {
	hostile := []struct{ source, id string }{
		{"apt", "-oAPT::Update::Pre-Invoke::=touch /tmp/x"},
		{"apt", "--allow-downgrades"},
		{"apt", "openssl=1.0"},
		{"apt", "openssl/bookworm-backports"},
		{"apt", "lib*"},
		{"apt", "bash;reboot"},
		{"apt", "bash && reboot"},
		{"apt", "$(reboot)"},
		{"apt", "bash\nreboot"},
		{"apt", "bash\x00"},
		{"apt", ""},
		{"apt", strings.Repeat("a", 300)},
		{"dnf", "--setopt=tsflags=noscripts"},
		{"dnf", "kernel*"},
		{"dnf", "`id`"},
		{"zypper", "-t"},
		{"zypper", "patch:a b"},
		{"softwareupdate", "--all"},
		{"softwareupdate", "-ia"},
		{"softwareupdate", "Safari; rm -rf /"},
		{"softwareupdate", "Safari\tx"},
		{"softwareupdate", "Safari "},
		{"wua", "KB12"},
		{"wua", "5037771"},
		{"wua", "KB5037771 "},
		{"wua", "-KB5037771"},
	}
	for _, h := range hostile {
		goos := sourceOS[h.source]
		if plan, err := PatchPlan(goos, h.source, protocol.PatchInstall{IDs: []string{"good1", h.id}[1:]}); err == nil {
			t.Errorf("%s %q accepted: %q", h.source, h.id, plan)
		}
	}
	if _, err := PatchPlan("windows", "apt", protocol.PatchInstall{}); err == nil {
		t.Error("apt on windows accepted")
	}
	if _, err := PatchPlan("linux", "pkgsrc", protocol.PatchInstall{}); err == nil {
		t.Error("unknown source accepted")
	}
	many := make([]string, maxInstallIDs+1)
	for i := range many {
		many[i] = "pkg"
	}
	if _, err := PatchPlan("linux", "apt", protocol.PatchInstall{IDs: many}); err == nil {
		t.Error("too many ids accepted")
	}
}

func TestUninstallPlan(t *testing.T) {
	cases := []struct {
		goos, source, id string
		want             []string
		err              bool
	}{
		{"linux", "apt", "libc6:amd64", concat(aptEnv, []string{"remove", "-y", "libc6:amd64"}), false},
		{"linux", "dnf", "kernel-core-5.14.0-362.8.1.el9_3.x86_64", []string{"dnf", "remove", "-y", "kernel-core-5.14.0-362.8.1.el9_3.x86_64"}, false},
		{"linux", "yum", "nrpe", []string{"yum", "remove", "-y", "nrpe"}, false},
		{"linux", "zypper", "bind-utils", []string{"zypper", "--non-interactive", "remove", "bind-utils"}, false},
		{"linux", "pacman", "bash", []string{"pacman", "-R", "--noconfirm", "bash"}, false},
		{"linux", "apt", "-y", nil, true},
		{"linux", "apt", "--purge", nil, true},
		{"linux", "apt", "bash;id", nil, true},
		{"linux", "zypper", "patch:openSUSE-2024-1", nil, true},
		{"linux", "apk", "bash", nil, true},
		{"windows", "registry", `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\x`, nil, true},
	}
	for _, c := range cases {
		got, err := UninstallPlan(c.goos, c.source, c.id)
		if (err != nil) != c.err || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %q: got %q %v", c.source, c.id, got, err)
		}
	}
	if _, err := UninstallPlan("darwin", "app", "/Applications/Firefox.app"); !errors.Is(err, ErrUninstallUnsupported) {
		t.Errorf("darwin: %v", err)
	}
}

// TestInstallApt runs Install against a fake apt: scan, install, scan
// again; what is still offered afterwards failed.
func TestInstallApt(t *testing.T) {
	root := tree(t, map[string]string{"var/lib/dpkg/status": "", "usr/bin/apt-get*": "", "run/reboot-required": ""})
	before := read(t, "apt-s-upgrade-debian12-local.txt")
	cmd := strings.Join(concat(aptEnv, []string{"install", "-y", "--only-upgrade", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "openssl", "libgcrypt20"}), " ")
	f := newFake(map[string]reply{
		"apt-get -s upgrade": {before, 0},
		cmd:                  {[]byte("Setting up openssl ...\n"), 0},
	})
	var streamed []string
	// After the install the fake still offers everything, so both count as
	// failed unless the second scan differs: swap the reply mid-way.
	e := testEnv("linux", root, f)
	e.Run = func(ctx context.Context, name string, args ...string) ([]byte, error) {
		b, err := f.Run(ctx, name, args...)
		if name == "env" {
			f.Mu.Lock()
			// openssl installed, libgcrypt20 still pending.
			f.Replies["apt-get -s upgrade"] = healthtest.Reply{Out: filterLines(before, "Inst openssl ")}
			f.Mu.Unlock()
		}
		return b, err
	}
	res := Patches(context.Background(), e, protocol.PatchInstall{IDs: []string{"openssl", "libgcrypt20"}}, func(s string, b []byte) { streamed = append(streamed, s+":"+string(b)) })
	want := protocol.PatchInstallResult{Installed: []string{"openssl"}, Failed: []string{"libgcrypt20"}, RebootRequired: true, Output: "Setting up openssl ...\n"}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("got %+v", res)
	}
	if len(streamed) != 1 || streamed[0] != "stdout:Setting up openssl ...\n" {
		t.Errorf("streamed %q", streamed)
	}

	// A hostile id never reaches the runner.
	f2 := newFake(nil)
	res = Patches(context.Background(), testEnv("linux", root, f2), protocol.PatchInstall{IDs: []string{"-oDebug::X=1"}}, nil)
	if len(res.Failed) != 1 || len(f2.Calls) != 0 || !strings.Contains(res.Output, "invalid") {
		t.Errorf("hostile: %+v, calls %q", res, f2.Calls)
	}
}

func filterLines(b []byte, prefix string) []byte {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return []byte(strings.Join(out, "\n"))
}

func TestInstallZypperExitCodes(t *testing.T) {
	root := tree(t, map[string]string{"usr/bin/zypper*": ""})
	list := "zypper --non-interactive --xmlout --no-refresh list-updates"
	patches := "zypper --non-interactive --xmlout --no-refresh list-patches"
	install := "zypper --non-interactive install --auto-agree-with-licenses patch:openSUSE-Leap-16.0-113"
	f := newFake(map[string]reply{
		list:    {read(t, "zypper-list-updates-tumbleweed.xml"), 100},
		patches: {read(t, "zypper-list-patches-security-leap16-abridged.xml"), 101},
		install: {[]byte("zypper updated itself\n"), 103},
		"zypper --non-interactive needs-rebooting": {nil, 0},
	})
	e := testEnv("linux", root, f)
	n := 0
	e.Run = func(ctx context.Context, name string, args ...string) ([]byte, error) {
		line := strings.Join(append([]string{name}, args...), " ")
		if line == install {
			if n++; n == 2 { // the second run installs; the patch is gone afterwards
				f.Mu.Lock()
				f.Replies[install] = healthtest.Reply{Out: []byte("done\n"), Code: 102}
				f.Replies[patches] = healthtest.Reply{Out: []byte(`<?xml version='1.0'?><stream><update-status version="0.6"><update-list></update-list></update-status></stream>`)}
				f.Mu.Unlock()
			}
		}
		return f.Run(ctx, name, args...)
	}
	res := Patches(context.Background(), e, protocol.PatchInstall{IDs: []string{"patch:openSUSE-Leap-16.0-113"}}, nil)
	if !reflect.DeepEqual(res.Installed, []string{"patch:openSUSE-Leap-16.0-113"}) || len(res.Failed) != 0 || !res.RebootRequired || n != 2 {
		t.Errorf("got %+v after %d runs", res, n)
	}
}

func TestInstallWindows(t *testing.T) {
	w := &fakeWUA{install: health.WUAInstallResult{Installed: []string{"KB5037771"}, RebootRequired: true, Output: "KB5037771: result code 2\n"}}
	e := testEnv("windows", "", newFake(nil))
	e.WUA = w
	e.Registry = newFakeRegistry()
	res := Patches(context.Background(), e, protocol.PatchInstall{IDs: []string{"KB5037771"}}, nil)
	if !reflect.DeepEqual(w.gotIDs, []string{"KB5037771"}) || !reflect.DeepEqual(res.Installed, []string{"KB5037771"}) || !res.RebootRequired {
		t.Errorf("got %+v", res)
	}
	w = &fakeWUA{err: errors.New("0x80240438"), install: health.WUAInstallResult{Installed: []string{"KB5037771"}}}
	e.WUA = w
	res = Patches(context.Background(), e, protocol.PatchInstall{IDs: []string{"KB5037771", "KB5034441"}}, nil)
	if !reflect.DeepEqual(res.Failed, []string{"KB5034441"}) || !strings.Contains(res.Output, "0x80240438") {
		t.Errorf("error: %+v", res)
	}
	e.WUA = nil
	if res = Patches(context.Background(), e, protocol.PatchInstall{IDs: []string{"KB5037771"}}, nil); len(res.Failed) != 1 {
		t.Errorf("no WUA: %+v", res)
	}
}

func TestUninstall(t *testing.T) {
	root := tree(t, map[string]string{"var/lib/dpkg/status": "", "usr/bin/apt-get*": ""})
	f := newFake(map[string]reply{strings.Join(concat(aptEnv, []string{"remove", "-y", "nrpe"}), " "): {[]byte("Removing nrpe\n"), 0}})
	var out strings.Builder
	code, err := Uninstall(context.Background(), testEnv("linux", root, f), "nrpe", func(_ string, b []byte) { out.Write(b) })
	if code != 0 || err != nil || out.String() != "Removing nrpe\n" {
		t.Errorf("apt: %d %v %q", code, err, out.String())
	}
	f = newFake(map[string]reply{strings.Join(concat(aptEnv, []string{"remove", "-y", "bash"}), " "): {[]byte("E: refusing\n"), 100}})
	if code, err := Uninstall(context.Background(), testEnv("linux", root, f), "bash", nil); code != 100 || err != nil {
		t.Errorf("failing remove: %d %v", code, err)
	}
	if code, err := Uninstall(context.Background(), testEnv("linux", root, newFake(nil)), "nrpe", nil); code != -1 || err == nil {
		t.Errorf("tool missing: %d %v", code, err)
	}

	r := snapshotRegistry(t)
	key := `HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{26A24AE4-039D-4CA4-87B4-2F83218066F0}`
	f = newFake(map[string]reply{"msiexec.exe /x {26A24AE4-039D-4CA4-87B4-2F83218066F0} /qn /norestart": {nil, 3010}})
	e := testEnv("windows", "", f)
	e.Registry = r
	if code, err := Uninstall(context.Background(), e, key, nil); code != 3010 || err != nil {
		t.Errorf("msi: %d %v", code, err)
	}
	if _, err := Uninstall(context.Background(), e, `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\OneDrive`, nil); err == nil {
		t.Error("Run key accepted")
	}
	if _, err := Uninstall(context.Background(), testEnv("darwin", t.TempDir(), newFake(nil)), "Firefox", nil); !errors.Is(err, ErrUninstallUnsupported) {
		t.Errorf("darwin: %v", err)
	}
}
