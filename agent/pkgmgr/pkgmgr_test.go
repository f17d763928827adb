package pkgmgr

import (
	"slices"
	"strings"
	"testing"
)

func TestBuildArgvEveryManager(t *testing.T) {
	apt := []string{"DEBIAN_FRONTEND=noninteractive", "NEEDRESTART_MODE=l"}
	conf := "-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
	cases := []struct {
		manager, action string
		names           []string
		want            []string // one command line per command
		env             []string
		owner           bool
	}{
		{"apt", "install", []string{"curl", "libc6:i386"}, []string{"apt-get -y " + conf + " install -- curl libc6:i386"}, apt, false},
		{"apt", "upgrade", []string{"openssl"}, []string{"apt-get -y " + conf + " install --only-upgrade -- openssl"}, apt, false},
		{"apt", "remove", []string{"telnet"}, []string{"apt-get -y remove -- telnet"}, apt, false},
		{"dnf", "install", []string{"httpd", "perl-Foo.x86_64"}, []string{"dnf -y install -- httpd perl-Foo.x86_64"}, nil, false},
		{"dnf", "upgrade", []string{"openssl"}, []string{"dnf -y upgrade -- openssl"}, nil, false},
		{"yum", "remove", []string{"telnet"}, []string{"yum -y remove -- telnet"}, nil, false},
		{"zypper", "install", []string{"vim"}, []string{"zypper --non-interactive install -- vim"}, nil, false},
		{"zypper", "upgrade", []string{"vim"}, []string{"zypper --non-interactive update -- vim"}, nil, false},
		{"zypper", "remove", []string{"vim"}, []string{"zypper --non-interactive remove -- vim"}, nil, false},
		{"pacman", "install", []string{"htop"}, []string{"pacman -S --noconfirm --needed -- htop"}, nil, false},
		{"pacman", "upgrade", []string{"htop"}, []string{"pacman -S --noconfirm -- htop"}, nil, false},
		{"pacman", "remove", []string{"htop"}, []string{"pacman -R --noconfirm -- htop"}, nil, false},
		{"winget", "install", []string{"Mozilla.Firefox", "7zip.7zip"}, []string{
			"winget install --id Mozilla.Firefox --exact --silent --accept-package-agreements --accept-source-agreements --disable-interactivity",
			"winget install --id 7zip.7zip --exact --silent --accept-package-agreements --accept-source-agreements --disable-interactivity"}, nil, false},
		{"winget", "upgrade", []string{"Git.Git"}, []string{"winget upgrade --id Git.Git --exact --silent --accept-package-agreements --accept-source-agreements --disable-interactivity"}, nil, false},
		{"winget", "remove", []string{"Git.Git"}, []string{"winget uninstall --id Git.Git --exact --silent --accept-source-agreements --disable-interactivity"}, nil, false},
		{"choco", "install", []string{"googlechrome", "7zip.install"}, []string{"choco install googlechrome 7zip.install -y --no-progress --limit-output"}, nil, false},
		{"choco", "upgrade", []string{"git"}, []string{"choco upgrade git -y --no-progress --limit-output"}, nil, false},
		{"choco", "remove", []string{"git"}, []string{"choco uninstall git -y --no-progress --limit-output"}, nil, false},
		{"brew", "install", []string{"wget", "python@3.12", "homebrew/cask/firefox"}, []string{"brew install -- wget python@3.12 homebrew/cask/firefox"},
			[]string{"HOMEBREW_NO_INTERACTIVE=1", "HOMEBREW_NO_ENV_HINTS=1"}, true},
		{"brew", "upgrade", []string{"wget"}, []string{"brew upgrade -- wget"}, []string{"HOMEBREW_NO_INTERACTIVE=1", "HOMEBREW_NO_ENV_HINTS=1"}, true},
		{"brew", "remove", []string{"wget"}, []string{"brew uninstall -- wget"}, []string{"HOMEBREW_NO_INTERACTIVE=1", "HOMEBREW_NO_ENV_HINTS=1"}, true},
	}
	for _, c := range cases {
		p, err := Build(c.manager, c.action, c.names)
		if err != nil {
			t.Fatalf("%s %s: %v", c.manager, c.action, err)
		}
		var got []string
		for _, cmd := range p.Commands {
			got = append(got, strings.Join(cmd.Argv, " "))
			if !slices.Equal(cmd.Env, c.env) {
				t.Errorf("%s %s env %q, want %q", c.manager, c.action, cmd.Env, c.env)
			}
		}
		if !slices.Equal(got, c.want) || p.AsPrefixOwner != c.owner || p.Manager != c.manager {
			t.Errorf("%s %s:\n got %q (owner %v)\nwant %q", c.manager, c.action, got, p.AsPrefixOwner, c.want)
		}
	}
}

// TestHostileNamesRefusedByEveryManager: names that would be options,
// shell text or globs never reach a manager.
func TestHostileNamesRefusedByEveryManager(t *testing.T) {
	hostile := []string{
		"-oAPT::Update::Pre-Invoke::=touch /tmp/pwned", "-oAPT::Update::Pre-Invoke::=x", "--option", "-y",
		"foo;rm -rf /", "foo bar", "$(id)", "`id`", "foo|sh", "foo&&id", "a>b", "*", "foo*", "foo?", "[abc]",
		"", "foo\nbar", "foo\x00", "../../etc/passwd", "foo\\bar", "'quoted'", "\"q\"", "é", strings.Repeat("a", 200),
		"--", "-", "/abs/path", "foo,bar", "foo=1.2",
	}
	for _, m := range []string{"apt", "dnf", "yum", "zypper", "pacman", "winget", "choco", "brew", ""} {
		for _, n := range hostile {
			if _, err := Build(m, "install", []string{"ok", n}); err == nil {
				t.Errorf("%s accepted %q", m, n)
			}
		}
	}
	if _, err := Build("apt", "purge", []string{"curl"}); err == nil {
		t.Error("unknown action accepted")
	}
	if _, err := Build("npm", "install", []string{"left-pad"}); err == nil {
		t.Error("unknown manager accepted")
	}
	if _, err := Build("apt", "install", nil); err == nil {
		t.Error("no packages accepted")
	}
}

func TestDetect(t *testing.T) {
	have := func(names ...string) func(string) bool {
		return func(exe string) bool { return slices.Contains(names, exe) }
	}
	for _, c := range []struct {
		goos, want string
		have       []string
	}{
		{"linux", "apt", []string{"apt-get", "dnf"}},
		{"linux", "dnf", []string{"dnf", "yum"}},
		{"linux", "zypper", []string{"zypper"}},
		{"linux", "pacman", []string{"pacman"}},
		{"linux", "", nil},
		{"windows", "winget", []string{"winget", "choco"}},
		{"windows", "choco", []string{"choco"}},
		{"darwin", "brew", []string{"brew"}},
		{"darwin", "", []string{"apt-get"}},
	} {
		if got := Detect(c.goos, have(c.have...)); got != c.want {
			t.Errorf("%s with %q: %q, want %q", c.goos, c.have, got, c.want)
		}
	}
}

func TestHomebrewRunsAsPrefixOwner(t *testing.T) {
	c := Command{Argv: []string{"brew", "install", "--", "wget"}, Env: []string{"HOMEBREW_NO_INTERACTIVE=1"}}
	got, err := OwnerCommand(0, 501, "/opt/homebrew/Library/Homebrew/brew.sh", c)
	want := "sudo -n -H -u #501 -- /usr/bin/env HOMEBREW_NO_INTERACTIVE=1 /opt/homebrew/Library/Homebrew/brew.sh install -- wget"
	if err != nil || strings.Join(got.Argv, " ") != want || got.Env != nil {
		t.Fatalf("root agent: %q %v\nwant %q", got.Argv, err, want)
	}
	got, err = OwnerCommand(501, 501, "/opt/homebrew/bin/brew", c)
	if err != nil || strings.Join(got.Argv, " ") != "/opt/homebrew/bin/brew install -- wget" || len(got.Env) != 1 {
		t.Fatalf("owner agent: %q %v", got.Argv, err)
	}
	if _, err := OwnerCommand(0, 0, "/usr/local/bin/brew", c); err == nil {
		t.Fatal("a root-owned prefix was accepted: brew would run as root")
	}
	if _, err := OwnerCommand(502, 501, "/usr/local/bin/brew", c); err == nil {
		t.Fatal("another non-root user ran brew")
	}
}
