package health

import (
	"context"
	"errors"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/agent/ops"
	"github.com/steward-rmm/steward/protocol"
)

func sortedIDs(ps []protocol.Patch) bool {
	return slices.IsSortedFunc(ps, func(a, b protocol.Patch) int { return strings.Compare(a.ID, b.ID) })
}

func TestPatchesFlows(t *testing.T) {
	rpmReply := []byte("openssl\t1:1.0.1e-42.el7_1.4\tx86_64\tRed Hat, Inc.\t1430000000\n") // synthetic
	emptyPatches := []byte(`<?xml version='1.0'?><stream><update-status version="0.6"><update-list></update-list></update-status></stream>`)
	cases := []struct {
		name    string
		goos    string
		files   map[string]string
		replies map[string]reply
		wua     *fakeWUA
		refresh bool
		source  string
		n       int
		errHas  string
		called  []string
		check   func(*testing.T, protocol.PatchStatus)
	}{
		{name: "apt refresh", goos: "linux", refresh: true, source: "apt", n: 121,
			files:   map[string]string{"var/lib/dpkg/status": "", "usr/bin/apt-get*": ""},
			replies: map[string]reply{"apt-get update -q": {nil, 0}, "apt-get -s upgrade": {read(t, "apt-s-upgrade-debian12-local.txt"), 0}},
			called:  []string{"apt-get update -q"}},
		{name: "apt update fails, stale list still reported", goos: "linux", refresh: true, source: "apt", n: 121, errHas: "apt-get update",
			files:   map[string]string{"var/lib/dpkg/status": "", "usr/bin/apt-get*": ""},
			replies: map[string]reply{"apt-get update -q": {[]byte("E: Could not get lock"), 100}, "apt-get -s upgrade": {read(t, "apt-s-upgrade-debian12-local.txt"), 0}}},
		{name: "dnf exit 100", goos: "linux", source: "dnf", n: 89,
			files: map[string]string{"usr/bin/dnf*": "", "usr/bin/rpm*": ""},
			replies: map[string]reply{
				"dnf check-update":                   {read(t, "yum-check-update-security-rhel7.txt"), 100},
				"dnf updateinfo list":                {read(t, "yum-updateinfo-security-rhel7.txt"), 0},
				"rpm -qa --queryformat " + rpmFormat: {rpmReply, 0},
			},
			check: func(t *testing.T, st protocol.PatchStatus) {
				if p := byID(st.Available)["openssl.x86_64"]; p.InstalledVersion != "1:1.0.1e-42.el7_1.4" {
					t.Errorf("openssl = %+v", p)
				}
			}},
		{name: "dnf refresh fails", goos: "linux", refresh: true, source: "dnf", errHas: "check-update",
			files:   map[string]string{"usr/bin/dnf*": ""},
			replies: map[string]reply{"dnf check-update --refresh": {[]byte("Error: Failed to download metadata for repo"), 1}}},
		{name: "dnf5", goos: "linux", source: "dnf", n: 4, called: []string{"dnf5 check-upgrade", "dnf5 advisory list"},
			files:   map[string]string{"usr/bin/dnf5*": "", "usr/bin/dnf*": ""},
			replies: map[string]reply{"dnf5 check-upgrade": {read(t, "dnf-check-update-el8-obsoleting.txt"), 100}, "dnf5 advisory list": {nil, 0}}},
		{name: "yum nothing pending", goos: "linux", source: "yum", n: 0,
			files:   map[string]string{"usr/bin/yum*": ""},
			replies: map[string]reply{"yum check-update": {read(t, "yum-check-update-centos7-none.txt"), 0}}},
		{name: "zypper 100 and 101", goos: "linux", source: "zypper", n: 3,
			files: map[string]string{"usr/bin/zypper*": ""},
			replies: map[string]reply{
				"zypper --non-interactive --xmlout --no-refresh list-updates": {read(t, "zypper-list-updates-tumbleweed.xml"), 100},
				"zypper --non-interactive --xmlout --no-refresh list-patches": {read(t, "zypper-list-patches-security-leap16-abridged.xml"), 101},
			}},
		{name: "zypper refresh, 103", goos: "linux", refresh: true, source: "zypper", n: 4, called: []string{"zypper --non-interactive refresh"},
			files: map[string]string{"usr/bin/zypper*": ""},
			replies: map[string]reply{
				"zypper --non-interactive refresh":               {nil, 0},
				"zypper --non-interactive --xmlout list-updates": {read(t, "zypper-list-updates-leap16.xml"), 103},
				"zypper --non-interactive --xmlout list-patches": {emptyPatches, 0},
			}},
		{name: "zypper locked", goos: "linux", source: "zypper", errHas: "list-updates",
			files: map[string]string{"usr/bin/zypper*": ""},
			replies: map[string]reply{
				"zypper --non-interactive --xmlout --no-refresh list-updates": {[]byte("System management is locked by the application with pid 1234 (zypper)."), 7},
				"zypper --non-interactive --xmlout --no-refresh list-patches": {emptyPatches, 0},
			}},
		{name: "no package manager", goos: "linux", errHas: "no supported package manager", files: map[string]string{"usr/bin/": ""}},
		{name: "softwareupdate", goos: "darwin", source: "softwareupdate", n: 4,
			replies: map[string]reply{"softwareupdate --list": {read(t, "softwareupdate-mojave-10.14.6-security-update-entries-fragment.txt"), 0}}},
		{name: "softwareupdate nothing new, exit 1", goos: "darwin", source: "softwareupdate", n: 0,
			replies: map[string]reply{"softwareupdate --list": {read(t, "softwareupdate-no-new-software-synthetic.txt"), 1}}},
		{name: "softwareupdate offline", goos: "darwin", source: "softwareupdate", errHas: "softwareupdate",
			replies: map[string]reply{"softwareupdate --list": {[]byte("Cannot connect"), 1}}},
		{name: "wua", goos: "windows", source: "wua", n: 1, wua: &fakeWUA{updates: []WUAUpdate{{UpdateID: "x", Title: "t", KBArticleIDs: []string{"5034441"}}}}},
		{name: "wua missing", goos: "windows", source: "wua", errHas: "unavailable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(c.replies)
			e := testEnv(c.goos, tree(t, c.files), f)
			if c.wua != nil {
				e.WUA = c.wua
			}
			st := Patches(context.Background(), e, c.refresh)
			if st.Source != c.source || len(st.Available) != c.n || !st.CheckedAt.Equal(fixedNow) || !sortedIDs(st.Available) {
				t.Errorf("source %q, %d patches, checked %v; want %q, %d (calls %q)", st.Source, len(st.Available), st.CheckedAt, c.source, c.n, f.Calls)
			}
			if (c.errHas == "") != (st.Error == "") || !strings.Contains(st.Error, c.errHas) {
				t.Errorf("error %q, want it to contain %q", st.Error, c.errHas)
			}
			for _, cmd := range c.called {
				if !f.Called(cmd) {
					t.Errorf("%q not run: %q", cmd, f.Calls)
				}
			}
			if c.check != nil {
				c.check(t, st)
			}
		})
	}
}

func TestCollect(t *testing.T) {
	root := tree(t, map[string]string{
		"var/lib/dpkg/status":      "",
		"usr/bin/apt-get*":         "",
		"usr/bin/dpkg-query*":      "",
		"run/reboot-required":      "",
		"run/reboot-required.pkgs": "libc6\n",
	})
	f := newFake(map[string]reply{
		"apt-get -s upgrade":             {read(t, "apt-s-upgrade-debian12-local.txt"), 0},
		"dpkg-query -W -f=" + dpkgFormat: {read(t, "dpkg-query-debian12-subset-local.txt"), 0},
	})
	f.PanicOn = "who" // a collector that panics must not take the others down
	h := Collect(context.Background(), testEnv("linux", root, f), true, protocol.PatchStatus{}, false)
	if len(h.Patches.Available) != 121 || h.Patches.Source != "apt" {
		t.Errorf("patches: %s %d", h.Patches.Source, len(h.Patches.Available))
	}
	if !h.Reboot.Pending || h.Reboot.Reasons[0].Detail != "libc6" {
		t.Errorf("reboot: %+v", h.Reboot)
	}
	if len(h.Software) != 8 {
		t.Errorf("software: %d", len(h.Software))
	}
	joined := strings.Join(h.Errors, "\n")
	if len(h.Errors) != 2 || !strings.Contains(joined, "services: ") || !strings.Contains(joined, "users: internal error") {
		t.Errorf("errors: %q", h.Errors)
	}

	// Without a scan the previous result is kept and apt is not run.
	prev := protocol.PatchStatus{Source: "apt", Available: []protocol.Patch{{ID: "x", Name: "x"}}, CheckedAt: fixedNow}
	f2 := newFake(map[string]reply{"dpkg-query -W -f=" + dpkgFormat: {read(t, "dpkg-query-debian12-subset-local.txt"), 0}})
	h = Collect(context.Background(), testEnv("linux", root, f2), false, prev, true)
	if len(h.Patches.Available) != 1 || f2.Called("apt-get") || h.Reboot.Reasons[len(h.Reboot.Reasons)-1].Code != "agent.exit-3010" {
		t.Errorf("kept: %+v %+v calls %q", h.Patches, h.Reboot, f2.Calls)
	}
}

func TestCollectWindows(t *testing.T) {
	r := snapshotRegistry(t)
	if err := loadReg(r, string(read(t, "reg-query-pending-file-rename.txt")), "HKLM"); err != nil {
		t.Fatal(err)
	}
	e := testEnv("windows", "", newFake(map[string]reply{"quser": {read(t, "query-user-two-rdp-sessions-htb.txt"), 0}}))
	e.Registry = r
	e.WUA = &fakeWUA{updates: []WUAUpdate{{UpdateID: "x", Title: "t", KBArticleIDs: []string{"5034441"}, Categories: []string{"Security Updates"}}}}
	h := Collect(context.Background(), e, true, protocol.PatchStatus{}, false)
	if h.Reboot.Pending || len(h.Reboot.Reasons) != 1 || !h.Reboot.Reasons[0].Weak {
		t.Errorf("reboot %+v", h.Reboot)
	}
	if len(h.Patches.Available) != 1 || !h.Patches.Available[0].Security || len(h.Software) != 3 || len(h.Users) != 2 {
		t.Errorf("patches %+v software %d users %d", h.Patches, len(h.Software), len(h.Users))
	}
	// Services come from the service control manager, which is not there
	// on Linux: reported, not fatal.
	if len(h.Errors) != 1 || !strings.HasPrefix(h.Errors[0], "services: ") {
		t.Errorf("errors %q", h.Errors)
	}
}

func TestExitCode(t *testing.T) {
	if ExitCode(nil) != 0 || ExitCode(exitErr(100)) != 100 || ExitCode(errors.New("x")) != -1 {
		t.Error("exitCode")
	}
	err := exec.Command("sh", "-c", "exit 100").Run()
	if _, rerr := ops.Exec(context.Background(), "sh", "-c", "exit 100"); ExitCode(rerr) != 100 || ExitCode(err) != 100 {
		t.Errorf("real exit codes: %v %v", err, rerr)
	}
}

// TestPatchesRealApt runs the apt scan on this machine (a simulation: it
// changes nothing) and checks the count against the summary line of the
// same apt run.
func TestPatchesRealApt(t *testing.T) {
	var raw []byte
	e := Env{GOOS: "linux", Run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
		b, err := ops.Exec(ctx, name, args...)
		raw = b
		return b, err
	}}.WithDefaults()
	if LinuxSource(e) != SourceApt {
		t.Skip("not an apt system")
	}
	st := Patches(context.Background(), e, false)
	m := regexp.MustCompile(`(?m)^(\d+) upgraded, \d+ newly installed, \d+ to remove and (\d+) not upgraded`).FindStringSubmatch(string(raw))
	if m == nil {
		t.Fatalf("no summary in apt output:\n%s", raw)
	}
	up, _ := strconv.Atoi(m[1])
	kept, _ := strconv.Atoi(m[2])
	if st.Source != "apt" || st.Error != "" || len(st.Available) != up+kept {
		t.Errorf("source %q error %q: %d patches, apt says %d upgraded + %d not upgraded", st.Source, st.Error, len(st.Available), up, kept)
	}
}
