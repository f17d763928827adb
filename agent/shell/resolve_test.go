package shell

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// fakeExec returns an isExec that knows only the given paths.
func fakeExec(paths ...string) func(string) bool {
	return func(p string) bool { return slices.Contains(paths, p) }
}

func TestResolveUnix(t *testing.T) {
	debian := unixHost{
		loginShell: "/bin/bash",
		etcShells:  []string{"/bin/sh", "/bin/bash", "/usr/bin/bash", "/usr/bin/tmux", "/usr/bin/zsh"},
		isExec:     fakeExec("/bin/sh", "/bin/bash", "/usr/bin/bash", "/usr/bin/tmux", "/usr/bin/zsh", "/usr/bin/pwsh", "/usr/local/bin/fish"),
	}
	noLogin := debian
	noLogin.loginShell = "/usr/sbin/nologin"
	onlySh := unixHost{loginShell: "/bin/false", isExec: fakeExec("/bin/sh")}
	nothing := unixHost{isExec: fakeExec()}
	brew := unixHost{loginShell: "/bin/zsh", isExec: fakeExec("/bin/zsh", "/opt/homebrew/bin/fish")}
	relLogin := debian
	relLogin.loginShell = "bash"

	tests := []struct {
		name, shell string
		host        unixHost
		want        string
		wantErr     error
	}{
		{"default is login shell", "", debian, "/bin/bash", nil},
		{"default skips nologin", "", noLogin, "/bin/bash", nil},
		{"default falls back to sh", "", onlySh, "/bin/sh", nil},
		{"default ignores relative login shell", "", relLogin, "/bin/bash", nil},
		{"default with no shell at all", "", nothing, "", ErrShellNotFound},
		{"sh", "sh", debian, "/bin/sh", nil},
		{"bash", "bash", debian, "/bin/bash", nil},
		{"zsh in /usr/bin", "zsh", debian, "/usr/bin/zsh", nil},
		{"fish in /usr/local/bin", "fish", debian, "/usr/local/bin/fish", nil},
		{"fish from Homebrew", "fish", brew, "/opt/homebrew/bin/fish", nil},
		{"pwsh", "pwsh", debian, "/usr/bin/pwsh", nil},
		{"powershell means pwsh", "powershell", debian, "/usr/bin/pwsh", nil},
		{"zsh not installed", "zsh", onlySh, "", ErrShellNotFound},
		{"cmd on unix", "cmd", debian, "", ErrShellNotFound},
		{"listed path", "/usr/bin/tmux", debian, "/usr/bin/tmux", nil},
		{"unlisted path", "/usr/bin/python3", debian, "", ErrShellNotAllowed},
		{"listed but missing", "/usr/bin/zsh", unixHost{etcShells: []string{"/usr/bin/zsh"}, isExec: fakeExec()}, "", ErrShellNotFound},
		{"traversal", "../../bin/sh", debian, "", ErrShellNotAllowed},
		{"unclean absolute", "/bin/../bin/sh", debian, "", ErrShellNotAllowed},
		{"double slash", "//bin/sh", debian, "", ErrShellNotAllowed},
		{"command line", "rm -rf /", debian, "", ErrShellNotAllowed},
		{"shell metachar", "bash; id", debian, "", ErrShellNotAllowed},
		{"trailing space", "/bin/sh ", debian, "", ErrShellNotAllowed},
		{"NUL", "/bin/sh\x00", debian, "", ErrShellNotAllowed},
		{"upper case name", "BASH", debian, "", ErrShellNotAllowed},
		{"relative name with dir", "bin/sh", debian, "", ErrShellNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveUnix(tt.shell, tt.host)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("resolveUnix(%q) = %q, %v; want %q, %v", tt.shell, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestResolveErrorTruncatesName(t *testing.T) {
	long := strings.Repeat("A", 10000)
	_, err := resolveUnix(long, unixHost{isExec: fakeExec()})
	if err == nil || len(err.Error()) > 400 {
		t.Fatalf("error for a 10000-byte name: %d bytes, want an error under 400 bytes", len(err.Error()))
	}
}

func TestLoginArgv0(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/bin/bash", "-bash"},
		{"/usr/local/bin/fish", "-fish"},
		{"/opt/homebrew/bin/zsh", "-zsh"},
	} {
		if got := loginArgv0(tt.in); got != tt.want {
			t.Errorf("loginArgv0(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestResolveWindows(t *testing.T) {
	const sys = `C:\Windows\System32`
	const pwsh = `C:\Program Files\PowerShell\7\pwsh.exe`
	winPS := sys + `\WindowsPowerShell\v1.0\powershell.exe`
	modern := windowsHost{systemDir: sys, pwsh: pwsh, conPTY: true}
	noPwsh := windowsHost{systemDir: sys + `\`, conPTY: true}
	old := windowsHost{systemDir: sys, conPTY: false}
	oldPwsh := windowsHost{systemDir: sys, pwsh: pwsh, conPTY: false}

	tests := []struct {
		name, shell string
		host        windowsHost
		want        windowsPlan
		wantErr     error
	}{
		{"default prefers pwsh", "", modern, windowsPlan{path: pwsh, argv: []string{"pwsh.exe", "-NoLogo"}}, nil},
		{"default without pwsh", "", noPwsh, windowsPlan{path: winPS, argv: []string{"powershell.exe", "-NoLogo"}}, nil},
		{"powershell is Windows PowerShell", "powershell", modern, windowsPlan{path: winPS, argv: []string{"powershell.exe", "-NoLogo"}}, nil},
		{"pwsh", "pwsh", modern, windowsPlan{path: pwsh, argv: []string{"pwsh.exe", "-NoLogo"}}, nil},
		{"pwsh missing", "pwsh", noPwsh, windowsPlan{}, ErrShellNotFound},
		{"cmd", "cmd", modern, windowsPlan{path: sys + `\cmd.exe`, argv: []string{"cmd.exe"}}, nil},
		{"pipe fallback powershell", "", old, windowsPlan{path: winPS, argv: []string{"powershell.exe", "-NoLogo", "-Command", "-"}, pipe: true}, nil},
		{"pipe fallback pwsh", "", oldPwsh, windowsPlan{path: pwsh, argv: []string{"pwsh.exe", "-NoLogo", "-Command", "-"}, pipe: true}, nil},
		{"pipe fallback cmd", "cmd", old, windowsPlan{path: sys + `\cmd.exe`, argv: []string{"cmd.exe", "/Q"}, pipe: true}, nil},
		{"bash on windows", "bash", modern, windowsPlan{}, ErrShellNotFound},
		{"absolute path", `C:\Windows\System32\cmd.exe`, modern, windowsPlan{}, ErrShellNotAllowed},
		{"cmd.exe spelled out", "cmd.exe", modern, windowsPlan{}, ErrShellNotAllowed},
		{"traversal", `..\..\cmd`, modern, windowsPlan{}, ErrShellNotAllowed},
		{"command line", "cmd /c del *", modern, windowsPlan{}, ErrShellNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveWindows(tt.shell, tt.host)
			if got.path != tt.want.path || !slices.Equal(got.argv, tt.want.argv) || got.pipe != tt.want.pipe ||
				!errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("resolveWindows(%q) = %+v, %v; want %+v, %v", tt.shell, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestCheckEnv(t *testing.T) {
	many := map[string]string{}
	for i := range maxEnvVars + 1 {
		many["V"+strings.Repeat("X", i)] = "1"
	}
	tests := []struct {
		name string
		env  map[string]string
		ok   bool
	}{
		{"nil", nil, true},
		{"plain", map[string]string{"LANG": "C.UTF-8", "_x1": ""}, true},
		{"leading digit", map[string]string{"1A": "x"}, false},
		{"equals in key", map[string]string{"A=B": "x"}, false},
		{"empty key", map[string]string{"": "x"}, false},
		{"space in key", map[string]string{"A B": "x"}, false},
		{"NUL in value", map[string]string{"A": "x\x00y"}, false},
		{"long value", map[string]string{"A": strings.Repeat("v", maxEnvValueLen+1)}, false},
		{"long key", map[string]string{strings.Repeat("K", maxEnvKeyLen+1): "v"}, false},
		{"too many", many, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkEnv(tt.env); (err == nil) != tt.ok {
				t.Fatalf("checkEnv = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestUnixEnv(t *testing.T) {
	agentEnv := map[string]string{"LANG": "de_DE.UTF-8", "STEWARD_TOKEN": "secret", "PATH": "/agent/bin", "TZ": "Europe/Berlin"}
	got := unixEnv("root", "/root", "/bin/bash", func(k string) string { return agentEnv[k] },
		map[string]string{"TERM": "vt100", "EXTRA": "1"})
	want := []string{
		"HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/bash",
		"PATH=" + defaultUnixPath, "TERM=vt100", "LANG=de_DE.UTF-8", "TZ=Europe/Berlin", "EXTRA=1",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("unixEnv =\n%q\nwant\n%q", got, want)
	}
}

func TestMergeEnvFold(t *testing.T) {
	base := []string{"=C:=C:\\Windows", "Path=C:\\Windows", "TEMP=C:\\Temp"}
	got := mergeEnv(base, map[string]string{"PATH": "D:\\bin", "TERM": "xterm-256color"}, true)
	want := []string{"=C:=C:\\Windows", "PATH=D:\\bin", "TEMP=C:\\Temp", "TERM=xterm-256color"}
	if !slices.Equal(got, want) {
		t.Fatalf("mergeEnv fold = %q, want %q", got, want)
	}
	if base[1] != "Path=C:\\Windows" {
		t.Fatalf("mergeEnv modified its input: %q", base)
	}
}

func TestEnvBlockUTF16(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"empty", nil, "\x00\x00"},
		{"two", []string{"A=1", "B=é"}, "A=1\x00B=é\x00\x00"},
		{"drops empty and NUL entries", []string{"", "A=1", "B=\x00x"}, "A=1\x00\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(utf16.Decode(envBlockUTF16(tt.env)))
			if got != tt.want {
				t.Fatalf("envBlockUTF16(%q) = %q, want %q", tt.env, got, tt.want)
			}
		})
	}
}

func TestCheckSize(t *testing.T) {
	for _, tt := range []struct {
		cols, rows uint16
		ok         bool
	}{
		{80, 24, true}, {1, 1, true}, {MaxDimension, MaxDimension, true},
		{0, 24, false}, {80, 0, false}, {MaxDimension + 1, 24, false}, {80, 65535, false},
	} {
		if err := checkSize(tt.cols, tt.rows); (err == nil) != tt.ok {
			t.Errorf("checkSize(%d, %d) = %v, want ok=%v", tt.cols, tt.rows, err, tt.ok)
		}
	}
}

func TestIdleRemaining(t *testing.T) {
	const idle = 10 * time.Second
	for _, tt := range []struct {
		since, last, want time.Duration
	}{
		{idle, 0, 0},                             // untouched for exactly the timeout
		{idle + time.Second, 0, -time.Second},    // overdue
		{idle, 4 * time.Second, 4 * time.Second}, // activity 6s ago
		{20 * time.Second, 20 * time.Second, idle},
	} {
		if got := idleRemaining(tt.since, tt.last, idle); got != tt.want {
			t.Errorf("idleRemaining(%v, %v, %v) = %v, want %v", tt.since, tt.last, idle, got, tt.want)
		}
	}
}
