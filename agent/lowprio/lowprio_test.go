package lowprio

import (
	"context"
	"slices"
	"testing"
)

func TestWrapDarwinRunsUnderTaskpolicyBackground(t *testing.T) {
	name, args := Wrap("darwin", "softwareupdate", []string{"--list", "--all"})
	if name != "/usr/sbin/taskpolicy" || !slices.Equal(args, []string{"-b", "softwareupdate", "--list", "--all"}) {
		t.Fatalf("darwin argv = %s %q", name, args)
	}
	for _, goos := range []string{"linux", "windows"} {
		name, args = Wrap(goos, "apt-get", []string{"-s", "upgrade"})
		if name != "apt-get" || !slices.Equal(args, []string{"-s", "upgrade"}) {
			t.Fatalf("%s argv changed: %s %q", goos, name, args)
		}
	}
}

func TestWindowsChildrenBelowNormalWithoutWindow(t *testing.T) {
	if WindowsCreationFlags != 0x08004000 {
		t.Fatalf("creation flags %#x, want BELOW_NORMAL_PRIORITY_CLASS|CREATE_NO_WINDOW", WindowsCreationFlags)
	}
	if WindowsCreationFlags&winIdlePriorityClass != 0 {
		t.Fatal("idle class: a collection could starve for ever")
	}
}

func TestExecCapsOutput(t *testing.T) {
	out, err := Exec(context.Background(), "head", "-c", "5000000", "/dev/zero")
	if err != nil {
		t.Skipf("head: %v", err)
	}
	if len(out) != MaxOutput {
		t.Fatalf("kept %d bytes, want %d", len(out), MaxOutput)
	}
}
