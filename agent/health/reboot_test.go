package health

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/agent/ops"
	"github.com/steward-rmm/steward/protocol"
	"howett.net/plist"
)

func TestCompareVersions(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0~rc1", "1.0", -1},
		{"1.0", "1.0+b1", -1},
		{"1.0a", "1.0", 1},
		{"10", "9", 1},
		{"007", "7", 0},
		{"1:1.0", "2.0", 1},
		{"5.2.15-2+b8", "5.2.15-2+b13", -1},
		{"2.04-1ubuntu26.11", "2.04-1ubuntu44", -1},
		{"6.8.0-90-generic", "6.8.0-79-generic", 1},
		{"6.12.105+deb13-amd64", "6.12.105+deb13-amd64", 0},
		{"5.14.0-362.24.1.el9_3.x86_64", "5.14.0-362.8.1.el9_3.x86_64", 1},
		{"99999999999999999999999", "1", 1},
	}
	for _, c := range cases {
		if got := CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := CompareVersions(c.b, c.a); got != -c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}

func TestKernelFlavor(t *testing.T) {
	for in, want := range map[string]string{
		"6.8.0-90-generic":             "generic",
		"6.12.105+deb13-amd64":         "amd64",
		"6.4.0-150600.23.7-default":    "default",
		"5.14.0-362.24.1.el9_3.x86_64": "x86_64",
		"6.5.6-300.fc39.x86_64+debug":  "x86_64+debug",
		"6.9.7-arch1-1":                "",
		"6.18.44-fc-v769":              "v769",
	} {
		if got := kernelFlavor(in); got != want {
			t.Errorf("kernelFlavor(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseNeedsRestarting(t *testing.T) {
	cases := []struct {
		file        string
		exit        int
		pending     bool
		pkgs        []string
		unsupported bool
	}{
		{"dnf-needs-restarting-r-rhel9-unregistered.txt", 1, true, []string{"dbus-daemon"}, false},
		{"needs-restarting-r-rhsm-registered-pending-linuxfabrik.txt", 1, true,
			[]string{"dbus-broker", "glibc", "kernel", "kernel-core", "linux-firmware", "microcode_ctl", "systemd"}, false},
		{"needs-restarting-r-el7-yum-utils-reboot-required-arrow-format.txt", 1, true, []string{"dbus", "systemd"}, false},
		{"needs-restarting-r-centos7.4-more-information-indent-lost.txt", 1, true, []string{"kernel", "linux-firmware"}, false},
		{"needs-restarting-r-clean-linuxfabrik.txt", 0, false, nil, false},
		{"needs-restarting-r-fedora21-unsupported-option-error.txt", 2, false, nil, true},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			pending, pkgs, err := ParseNeedsRestarting(read(t, c.file), c.exit)
			if c.unsupported != errors.Is(err, errUnsupported) || (!c.unsupported && err != nil) {
				t.Fatalf("err = %v", err)
			}
			if pending != c.pending || !reflect.DeepEqual(pkgs, c.pkgs) {
				t.Errorf("got %v %q, want %v %q", pending, pkgs, c.pending, c.pkgs)
			}
		})
	}
	// yum-utils' "Reboot is probably not necessary." decides like dnf's
	// "should not be" when the exit status does not.
	if pending, _, err := ParseNeedsRestarting(read(t, "needs-restarting-r-yum-utils-probably-not-synthetic.txt"), 3); pending || err != nil {
		t.Errorf("yum-utils no reboot: %v %v", pending, err)
	}
	if _, _, err := ParseNeedsRestarting([]byte("Error: something odd\n"), 3); err == nil {
		t.Error("unexpected exit status accepted")
	}
}

func TestParseNeedrestart(t *testing.T) {
	cases := []struct {
		file string
		want Needrestart
	}{
		{"needrestart-b-debian13-clean-linuxfabrik.txt", Needrestart{KernelCurrent: "6.12.105+deb13-amd64", KernelExpected: "6.12.105+deb13-amd64", KernelStatus: 1}},
		{"needrestart-b-debian13-version-only-linuxfabrik.txt", Needrestart{KernelStatus: -1}},
		{"needrestart-b-upstream-readme-newer-with-sess.txt", Needrestart{KernelCurrent: "3.19.3-tl1+", KernelExpected: "3.19.3-tl1+", KernelStatus: 1,
			Services: []string{"systemd-journald.service", "systemd-machined.service"}}},
	}
	for _, c := range cases {
		if got := ParseNeedrestart(read(t, c.file)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.file, got, c.want)
		}
	}
}

func TestParseRebootRequiredPkgs(t *testing.T) {
	// Synthetic: the file lists one package per trigger, repeats included.
	got := ParseRebootRequiredPkgs([]byte("linux-image-6.8.0-90-generic\nlinux-base\n\nlinux-image-6.8.0-90-generic\n$(rm -rf /)\nlibc6:amd64\n"))
	want := []string{"linux-image-6.8.0-90-generic", "linux-base", "libc6:amd64"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
}

func codes(rs []protocol.RebootReason) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Code)
	}
	return out
}

// TestRebootLinux drives the Linux checks with a temporary root and a fake
// runner. Tool outputs are the real captures; file contents are synthetic.
func TestRebootLinux(t *testing.T) {
	cases := []struct {
		name      string
		files     map[string]string
		replies   map[string]reply
		pending   bool
		want      []protocol.RebootReason
		wantErr   bool
		notCalled []string
	}{
		{name: "nothing", files: map[string]string{"run/": ""}, notCalled: []string{"zypper", "dnf", "needs-restarting", "needrestart"}},
		{name: "reboot-required with pkgs", pending: true,
			files: map[string]string{"run/reboot-required": "*** System restart required ***\n", "run/reboot-required.pkgs": "linux-image-6.8.0-90-generic\nlinux-base\nlinux-image-6.8.0-90-generic\n"},
			want:  []protocol.RebootReason{{Code: "linux.reboot-required", Detail: "linux-image-6.8.0-90-generic, linux-base"}}},
		{name: "reboot-required alone", pending: true,
			files: map[string]string{"run/reboot-required": ""},
			want:  []protocol.RebootReason{{Code: "linux.reboot-required"}}},
		{name: "dnf needs-restarting", pending: true,
			files:   map[string]string{"usr/bin/dnf*": ""},
			replies: map[string]reply{"dnf needs-restarting -r": {read(t, "needs-restarting-r-rhsm-registered-pending-linuxfabrik.txt"), 1}},
			want: []protocol.RebootReason{{Code: "linux.needs-restarting",
				Detail: "dbus-broker, glibc, kernel, kernel-core, linux-firmware, microcode_ctl, systemd"}}},
		{name: "dnf needs-restarting clean",
			files:   map[string]string{"usr/bin/dnf*": ""},
			replies: map[string]reply{"dnf needs-restarting -r": {read(t, "needs-restarting-r-clean-linuxfabrik.txt"), 0}}},
		{name: "old needs-restarting without -r is not an error",
			files:     map[string]string{"usr/bin/needs-restarting*": "", "usr/bin/dnf*": ""},
			replies:   map[string]reply{"needs-restarting -r": {read(t, "needs-restarting-r-fedora21-unsupported-option-error.txt"), 2}},
			notCalled: []string{"dnf"}},
		{name: "zypper 102", pending: true,
			files:   map[string]string{"usr/bin/zypper*": ""},
			replies: map[string]reply{"zypper --non-interactive needs-rebooting": {[]byte("Core libraries or services have been updated.\n"), 102}},
			want:    []protocol.RebootReason{{Code: "linux.zypper-needs-rebooting", Detail: "Core libraries or services have been updated."}}},
		{name: "zypper 0 and reboot-needed file", pending: true,
			files:   map[string]string{"usr/bin/zypper*": "", "run/reboot-needed": ""},
			replies: map[string]reply{"zypper --non-interactive needs-rebooting": {nil, 0}},
			want:    []protocol.RebootReason{{Code: "linux.reboot-needed", Detail: "/run/reboot-needed exists"}}},
		{name: "zypper fails", wantErr: true,
			files:   map[string]string{"usr/bin/zypper*": ""},
			replies: map[string]reply{"zypper --non-interactive needs-rebooting": {[]byte("System management is locked"), 7}}},
		{name: "needrestart current kernel",
			files:   map[string]string{"usr/sbin/needrestart*": ""},
			replies: map[string]reply{"needrestart -b -k": {read(t, "needrestart-b-debian13-clean-linuxfabrik.txt"), 0}}},
		{name: "needrestart version upgrade (synthetic KSTA 3)", pending: true,
			files:   map[string]string{"usr/sbin/needrestart*": ""},
			replies: map[string]reply{"needrestart -b -k": {[]byte("NEEDRESTART-VER: 3.6\nNEEDRESTART-KCUR: 6.1.0-17-amd64\nNEEDRESTART-KEXP: 6.1.0-18-amd64\nNEEDRESTART-KSTA: 3\n"), 0}},
			want:    []protocol.RebootReason{{Code: "linux.needrestart-kernel", Detail: "running 6.1.0-17-amd64, expected 6.1.0-18-amd64"}}},
		{name: "newer kernel installed", pending: true,
			files: map[string]string{
				"proc/sys/kernel/osrelease":                "6.8.0-79-generic\n",
				"boot/vmlinuz-6.8.0-79-generic":            "",
				"boot/vmlinuz-6.8.0-90-generic":            "",
				"lib/modules/6.8.0-79-generic/modules.dep": "",
				"lib/modules/6.8.0-90-generic/modules.dep": "",
				"lib/modules/6.8.0-100-generic/updates/":   "", // leftover of a removed kernel
				"lib/modules/6.5.0-1027-oem/modules.dep":   "", // another flavour
			},
			want: []protocol.RebootReason{{Code: "linux.newer-kernel", Detail: "running 6.8.0-79-generic, installed 6.8.0-90-generic"}}},
		{name: "running the newest kernel",
			files: map[string]string{
				"proc/sys/kernel/osrelease":                            "5.14.0-362.24.1.el9_3.x86_64\n",
				"usr/lib/modules/5.14.0-362.24.1.el9_3.x86_64/vmlinuz": "",
				"usr/lib/modules/5.14.0-362.8.1.el9_3.x86_64/vmlinuz":  "",
				"boot/vmlinuz-0-rescue-0123456789abcdef":               "",
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(c.replies)
			e := testEnv("linux", tree(t, c.files), f)
			st, errs := reboot(context.Background(), e.WithDefaults(), false, nil, false)
			if st.Pending != c.pending || !reflect.DeepEqual(st.Reasons, c.want) {
				t.Errorf("got %+v, want pending=%v %+v", st, c.pending, c.want)
			}
			if (len(errs) > 0) != c.wantErr {
				t.Errorf("errs = %v", errs)
			}
			for _, n := range c.notCalled {
				if f.Called(n) {
					t.Errorf("%s was run: %v", n, f.Calls)
				}
			}
		})
	}
}

// TestRebootRealFiles runs Reboot with the real runner over a temporary
// root, as on a device: no tools exist there, so only files count.
func TestRebootRealFiles(t *testing.T) {
	with := tree(t, map[string]string{"run/reboot-required": "*** System restart required ***\n", "run/reboot-required.pkgs": "linux-image-6.1.0-18-amd64\nlibssl3\n"})
	st := Reboot(context.Background(), Env{Root: with, GOOS: "linux", Run: ops.Exec}, false)
	want := protocol.RebootStatus{Pending: true, Reasons: []protocol.RebootReason{{Code: "linux.reboot-required", Detail: "linux-image-6.1.0-18-amd64, libssl3"}}}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("with: %+v", st)
	}
	without := tree(t, map[string]string{"run/reboot-required.pkgs": "libssl3\n"})
	if st := Reboot(context.Background(), Env{Root: without, GOOS: "linux", Run: ops.Exec}, false); st.Pending || len(st.Reasons) != 0 {
		t.Errorf("without: %+v", st)
	}
	if st := Reboot(context.Background(), Env{Root: without, GOOS: "linux", Run: ops.Exec}, true); !st.Pending || codes(st.Reasons)[0] != "agent.exit-3010" {
		t.Errorf("3010: %+v", st)
	}
}

type fakeWUA struct {
	updates []WUAUpdate
	reboot  bool
	err     error
	install WUAInstallResult
	gotIDs  []string
}

func (w *fakeWUA) Search(context.Context, string) ([]WUAUpdate, error) { return w.updates, w.err }
func (w *fakeWUA) RebootRequired(context.Context) (bool, error)        { return w.reboot, w.err }
func (w *fakeWUA) Install(_ context.Context, ids []string) (WUAInstallResult, error) {
	w.gotIDs = ids
	return w.install, w.err
}

func TestRebootWindows(t *testing.T) {
	base := func(t *testing.T) *fakeRegistry {
		r := newFakeRegistry()
		if err := loadReg(r, string(read(t, "reg-query-pending-file-rename.txt")), "HKLM"); err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Only PendingFileRenameOperations was found as a real capture; the
	// other indicators are set in the fake registry directly (synthetic).
	cases := []struct {
		name    string
		setup   func(*fakeRegistry)
		wua     *fakeWUA
		pending bool
		codes   []string
		errs    int
	}{
		{name: "file renames only are weak", setup: func(*fakeRegistry) {}, codes: []string{"windows.pending-file-rename"}},
		{name: "CBS", pending: true, setup: func(r *fakeRegistry) {
			r.Key(regCBS + `\RebootPending`)
			r.Key(regCBS + `\PackagesPending`)
		}, codes: []string{"windows.cbs-reboot-pending", "windows.cbs-packages-pending", "windows.pending-file-rename"}},
		{name: "windows update", pending: true, setup: func(r *fakeRegistry) {
			r.Set(regWU+`\Auto Update\RebootRequired`, "5a7e0c6f-7c8d-4f5e-9f6b-1a2b3c4d5e6f", uint64(1))
			r.Key(regWU + `\Services\Pending`) // empty: not a reason
			r.Key(regWU + `\Auto Update\PostRebootReporting`)
		}, codes: []string{"windows.wu-reboot-required", "windows.wu-post-reboot-reporting", "windows.pending-file-rename"}},
		{name: "services pending", pending: true, setup: func(r *fakeRegistry) {
			r.Key(regWU + `\Services\Pending\117cab2d-82b1-4b5a-a08c-4d62dbee7782`)
		}, codes: []string{"windows.wu-services-pending", "windows.pending-file-rename"}},
		{name: "UpdateExeVolatile", pending: true, setup: func(r *fakeRegistry) {
			r.Set(regUpdates, "UpdateExeVolatile", uint64(1))
		}, codes: []string{"windows.update-exe-volatile", "windows.pending-file-rename"}},
		{name: "UpdateExeVolatile zero", setup: func(r *fakeRegistry) {
			r.Set(regUpdates+`\UpdateExeVolatile`, "Flags", uint64(0))
		}, codes: []string{"windows.pending-file-rename"}},
		{name: "rename and join", pending: true, setup: func(r *fakeRegistry) {
			r.Set(regActiveName, "ComputerName", "DESKTOP-OLD")
			r.Set(regPendName, "ComputerName", "FRONTDESK-01")
			r.Set(regNetlogon, "JoinDomain", "")
		}, codes: []string{"windows.pending-file-rename", "windows.computer-rename", "windows.domain-join"}},
		{name: "same name differing in case", setup: func(r *fakeRegistry) {
			r.Set(regActiveName, "ComputerName", "desktop-01")
			r.Set(regPendName, "ComputerName", "DESKTOP-01")
		}, codes: []string{"windows.pending-file-rename"}},
		{name: "WUA says so", pending: true, setup: func(*fakeRegistry) {}, wua: &fakeWUA{reboot: true},
			codes: []string{"windows.pending-file-rename", "windows.wua-reboot-required"}},
		{name: "WUA fails", setup: func(*fakeRegistry) {}, wua: &fakeWUA{err: errors.New("0x8024001e")},
			codes: []string{"windows.pending-file-rename"}, errs: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := base(t)
			c.setup(r)
			e := Env{GOOS: "windows", Registry: r, Run: newFake(nil).Run}
			if c.wua != nil {
				e.WUA = c.wua
			}
			st, errs := reboot(context.Background(), e.WithDefaults(), false, nil, false)
			if st.Pending != c.pending || !reflect.DeepEqual(codes(st.Reasons), c.codes) || len(errs) != c.errs {
				t.Errorf("got %+v errs %v, want pending=%v %v", st, errs, c.pending, c.codes)
			}
		})
	}
	st := RebootFromRegistry(base(t))
	if len(st) != 1 || !st[0].Weak || !strings.HasPrefix(st[0].Detail, `8 pending file operations, first \??\C:\Users\me\AppData\Local\Temp\da3a9f78`) {
		t.Errorf("detail: %+v", st)
	}
}

func TestRebootDarwin(t *testing.T) {
	idx, err := plist.Marshal(map[string]any{"ProductPaths": map[string]string{"012-34567": "012-34567/macOSUpd26.6.pkg"}}, plist.XMLFormat)
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(map[string]reply{"softwareupdate --list --no-scan": {read(t, "softwareupdate-tahoe-26.6-list-trailing-space-ja-user.txt"), 0}})
	e := testEnv("darwin", tree(t, map[string]string{"Library/Updates/index.plist": string(idx)}), f)
	st := Reboot(context.Background(), e, false)
	want := protocol.RebootStatus{Pending: true, Reasons: []protocol.RebootReason{{Code: "darwin.softwareupdate-restart",
		Detail: "1 downloaded; updates that restart: macOS Tahoe 26.6-25G72"}}}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("got %+v", st)
	}
	// "No new software available." with exit 1 (macOS 10.15 and later) is
	// nothing pending, not a failed check.
	f3 := newFake(map[string]reply{"softwareupdate --list --no-scan": {read(t, "softwareupdate-no-new-software-synthetic.txt"), 1}})
	st3, errs := reboot(context.Background(), testEnv("darwin", t.TempDir(), f3).WithDefaults(), false, nil, false)
	if st3.Pending || len(errs) != 0 {
		t.Errorf("nothing new: %+v, errors %v", st3, errs)
	}
	// With a patch list at hand no scan is run; Safari needs no restart.
	f2 := newFake(nil)
	e2 := testEnv("darwin", t.TempDir(), f2).WithDefaults()
	st2, _ := reboot(context.Background(), e2, false, ParseSoftwareUpdate(read(t, "softwareupdate-catalina-10.15.6-safari-only.txt")), true)
	if st2.Pending || len(st2.Reasons) != 0 || len(f2.Calls) != 0 {
		t.Errorf("safari: %+v, calls %v", st2, f2.Calls)
	}
}
