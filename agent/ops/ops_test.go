package ops

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func read(t *testing.T, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseSystemd(t *testing.T) {
	svcs := ParseSystemdUnits(read(t, "list-units.txt"))
	byName := map[string]string{}
	for _, s := range svcs {
		byName[s.Name] = s.State + "|" + s.DisplayName
	}
	want := map[string]string{
		"accounts-daemon": "running|Accounts Service",
		"alsa-state":      "stopped|Manage Sound Card State (restore and store)",
		"apparmor":        "running|AppArmor initialization",
	}
	for k, v := range want {
		if byName[k] != v {
			t.Errorf("%s = %q, want %q", k, byName[k], v)
		}
	}
	if _, ok := byName["auditd"]; ok {
		t.Error("not-found unit listed")
	}
	types := ParseSystemdUnitFiles(read(t, "list-unit-files.txt"))
	if types["anacron"] != "auto" || types["accounts-daemon"] != "masked" || types["alsa-state"] != "static" ||
		types["wpa_supplicant-nl80211@"] != "disabled" {
		t.Errorf("start types %v", types)
	}
}

func TestParseLaunchctl(t *testing.T) {
	svcs := ParseLaunchctlList(read(t, "launchctl-list.txt"))
	got := map[string]string{}
	for _, s := range svcs {
		got[s.Name] = s.State
	}
	if got["com.apple.Finder"] != "running" || got["com.apple.quicklook"] != "stopped" || len(svcs) != 9 {
		t.Errorf("%v", got)
	}
	// Jobs ended by a signal (negative status) are stopped; a positive
	// exit status is a failure.
	got = map[string]string{}
	for _, s := range ParseLaunchctlList(read(t, "launchctl-list-stopped-by-signal-synthetic.txt")) {
		got[s.Name] = s.State
	}
	want := map[string]string{"com.apple.progressd": "stopped", "com.apple.cloudphotod": "stopped",
		"com.example.crashing": "failed", "com.apple.quicklook": "stopped", "com.apple.Finder": "running"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func FuzzParsers(f *testing.F) {
	f.Add([]byte("a.service loaded active running X\n"))
	f.Add([]byte("PID\tStatus\tLabel\n-\t0\tx\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range ParseSystemdUnits(b) {
			if s.Name == "" || s.State == "" {
				t.Fatalf("empty field in %+v", s)
			}
		}
		_ = ParseSystemdUnitFiles(b)
		for _, s := range ParseLaunchctlList(b) {
			if s.Name == "" {
				t.Fatal("empty name")
			}
		}
	})
}

func TestPlans(t *testing.T) {
	cases := []struct {
		goos string
		a    PowerAction
		want [][]string
	}{
		{"linux", PowerAction{Kind: "reboot"}, [][]string{{"shutdown", "-r", "now"}}},
		{"linux", PowerAction{Kind: "shutdown", Delay: 90 * time.Second, Message: "bye\x1b[31m\n"}, [][]string{{"shutdown", "-h", "+2", "bye [31m "}}},
		{"darwin", PowerAction{Kind: "reboot", Delay: time.Minute, Message: "ignored"}, [][]string{{"shutdown", "-r", "+1"}}},
		{"windows", PowerAction{Kind: "reboot", Delay: 30 * time.Second, Message: "patching"}, [][]string{{"shutdown.exe", "/r", "/t", "30", "/d", "p:0:0", "/c", "patching"}}},
		{"linux", PowerAction{Kind: "logoff", User: "alice"}, [][]string{{"loginctl", "terminate-user", "alice"}}},
		{"darwin", PowerAction{Kind: "logoff", User: "501"}, [][]string{{"launchctl", "bootout", "user/501"}}},
		{"windows", PowerAction{Kind: "logoff", User: "bob"}, [][]string{{"logoff.exe", "2"}, {"logoff.exe", "5"}}},
	}
	sessions := map[string][]string{"bob": {"2", "5"}}
	for _, c := range cases {
		got, err := PowerPlan(c.goos, c.a, sessions)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %+v: %q %v, want %q", c.goos, c.a, got, err, c.want)
		}
	}
	for _, bad := range []PowerAction{{Kind: "logoff", User: "-rf"}, {Kind: "logoff", User: "a b"}, {Kind: "hibernate"}} {
		if _, err := PowerPlan("linux", bad, nil); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if _, err := PowerPlan("linux", PowerAction{Kind: "logoff"}, nil); err == nil {
		t.Error("logoff of nobody accepted")
	}
	sp := []struct {
		goos, name, action string
		want               [][]string
	}{
		{"linux", "nginx", "restart", [][]string{{"systemctl", "restart", "nginx.service"}}},
		{"linux", "getty@tty1", "stop", [][]string{{"systemctl", "stop", "getty@tty1.service"}}},
		{"darwin", "com.example.d", "restart", [][]string{{"launchctl", "kickstart", "-k", "system/com.example.d"}}},
		{"darwin", "com.example.d", "stop", [][]string{{"launchctl", "kill", "SIGTERM", "system/com.example.d"}}},
	}
	for _, c := range sp {
		got, err := ServicePlan(c.goos, c.name, c.action)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %s %s: %q %v", c.goos, c.name, c.action, got, err)
		}
	}
	for _, name := range []string{"--now", "a b", "x;rm", "", strings.Repeat("a", 300), "../x/y"} {
		if _, err := ServicePlan("linux", name, "start"); err == nil {
			t.Errorf("service name %q accepted", name)
		}
	}
	if _, err := ServicePlan("linux", "x", "enable"); err == nil {
		t.Error("action enable accepted")
	}
}

func TestControlAndListThroughRunner(t *testing.T) {
	var calls [][]string
	r := func(ctx context.Context, name string, args ...string) ([]byte, error) {
		calls = append(calls, append([]string{name}, args...))
		switch {
		case len(args) > 0 && args[0] == "list-units":
			return os.ReadFile("testdata/list-units.txt")
		case len(args) > 0 && args[0] == "list-unit-files":
			return os.ReadFile("testdata/list-unit-files.txt")
		case len(args) > 0 && args[0] == "start" && args[1] == "broken.service":
			return []byte("Job for broken.service failed"), errors.New("exit status 1")
		}
		return nil, nil
	}
	svcs, err := ListServices(context.Background(), "linux", r)
	if err != nil || len(svcs) < 10 {
		t.Fatalf("%d services, %v", len(svcs), err)
	}
	for _, s := range svcs {
		if s.Name == "anacron" && s.StartType != "auto" {
			t.Errorf("anacron start type %q", s.StartType)
		}
	}
	calls = nil
	if _, err := ControlService(context.Background(), "linux", "nginx", "restart", r); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(calls, [][]string{{"systemctl", "restart", "nginx.service"}}) {
		t.Fatalf("calls %q", calls)
	}
	out, err := ControlService(context.Background(), "linux", "broken", "start", r)
	if err == nil || !strings.Contains(out, "failed") {
		t.Fatalf("failure not reported: %q %v", out, err)
	}
}
