package shell

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode/utf16"
)

// This file holds the pure decisions: which shell a requested name means,
// with which argv, and which environment. They take what they need to know
// about the host as values so that every OS's rules are tested on Linux.

// unixShellDirs are searched, in order, for a shell requested by name. A
// fixed list rather than PATH: the name comes from the network and the
// agent's PATH is whatever the service manager gave it.
var unixShellDirs = []string{
	"/bin",
	"/usr/bin",
	"/usr/local/bin",
	"/opt/homebrew/bin",          // Homebrew on Apple silicon
	"/run/current-system/sw/bin", // NixOS
}

// unixFallbacks are tried, in order, when the user's login shell is
// unusable.
var unixFallbacks = []string{"/bin/bash", "/usr/bin/bash", "/bin/sh", "/usr/bin/sh"}

// maxShownName bounds how much of a rejected name goes into an error.
const maxShownName = 64

// quoteName quotes a requested shell name for an error message, truncated:
// it came from the network.
func quoteName(name string) string {
	if len(name) > maxShownName {
		name = name[:maxShownName] + "..."
	}
	return fmt.Sprintf("%q", name)
}

// unixHost is what resolveUnix needs to know about a Unix host.
type unixHost struct {
	// loginShell is the agent user's shell from /etc/passwd ("" if unknown).
	loginShell string
	// etcShells are the paths listed in /etc/shells.
	etcShells []string
	// isExec reports whether path is an executable regular file.
	isExec func(path string) bool
}

// isNoLogin reports whether a passwd shell means "no interactive login".
func isNoLogin(p string) bool {
	switch path.Base(p) {
	case "nologin", "false", "true":
		return true
	}
	return false
}

// isCleanAbs reports whether p is an absolute path with no ".", ".." or
// doubled slashes, no NUL and no whitespace, and of sane length.
func isCleanAbs(p string) bool {
	return len(p) > 1 && len(p) <= 4096 && p[0] == '/' && path.Clean(p) == p &&
		!strings.ContainsAny(p, "\x00 \t\r\n")
}

// resolveUnix maps a requested shell name to the absolute path of the shell
// program on a Unix host.
func resolveUnix(name string, h unixHost) (string, error) {
	switch name {
	case "":
		if ls := h.loginShell; isCleanAbs(ls) && !isNoLogin(ls) && h.isExec(ls) {
			return ls, nil
		}
		for _, p := range unixFallbacks {
			if h.isExec(p) {
				return p, nil
			}
		}
		return "", fmt.Errorf("shell: no default shell found (tried the login shell and %s): %w",
			strings.Join(unixFallbacks, ", "), ErrShellNotFound)
	case "sh", "bash", "zsh", "fish", "pwsh", "powershell":
		base := name
		if base == "powershell" {
			base = "pwsh" // the only PowerShell there is on Unix
		}
		for _, d := range unixShellDirs {
			if p := d + "/" + base; h.isExec(p) {
				return p, nil
			}
		}
		return "", fmt.Errorf("shell: %s is not installed on this device: %w", quoteName(name), ErrShellNotFound)
	case "cmd":
		return "", fmt.Errorf("shell: cmd is only available on Windows: %w", ErrShellNotFound)
	}
	if !isCleanAbs(name) {
		return "", fmt.Errorf("shell: %s is not an allowed shell (use sh, bash, zsh, fish, pwsh or a path listed in /etc/shells): %w",
			quoteName(name), ErrShellNotAllowed)
	}
	if !slices.Contains(h.etcShells, name) {
		return "", fmt.Errorf("shell: %s is not listed in /etc/shells: %w", quoteName(name), ErrShellNotAllowed)
	}
	if !h.isExec(name) {
		return "", fmt.Errorf("shell: %s is listed in /etc/shells but is not an executable file: %w", quoteName(name), ErrShellNotFound)
	}
	return name, nil
}

// loginArgv0 is argv[0] for a login shell: the program's base name with a
// leading "-". login(1) and sshd start shells this way, and every shell that
// belongs in /etc/shells (sh, bash, dash, zsh, ksh, tcsh, fish, pwsh)
// honours it, while a "-l" flag is not understood by all of them.
func loginArgv0(shellPath string) string {
	return "-" + path.Base(shellPath)
}

// defaultUnixPath is PATH for a new session; a login shell's profile
// usually extends it (path_helper on macOS, /etc/profile on Linux).
const defaultUnixPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// inheritedUnixVars are the only agent environment variables a Unix session
// inherits: locale and time zone. Everything else is built fresh, so the
// agent's own settings never leak into a technician's shell.
var inheritedUnixVars = []string{"LANG", "LC_ALL", "LC_CTYPE", "TZ"}

// unixEnv builds a Unix session's environment, as login(1) would, plus
// extra (already validated) on top. getenv reads the agent's environment.
func unixEnv(user, home, shellPath string, getenv func(string) string, extra map[string]string) []string {
	base := []string{
		"HOME=" + home,
		"USER=" + user,
		"LOGNAME=" + user,
		"SHELL=" + shellPath,
		"PATH=" + defaultUnixPath,
		"TERM=xterm-256color",
	}
	for _, k := range inheritedUnixVars {
		if v := getenv(k); v != "" && !strings.ContainsRune(v, 0) {
			base = append(base, k+"="+v)
		}
	}
	return mergeEnv(base, extra, false)
}

// mergeEnv returns base ("KEY=value" entries) with extra applied: existing
// keys are replaced in place, new ones appended in sorted order. fold makes
// keys case-insensitive, as they are on Windows.
func mergeEnv(base []string, extra map[string]string, fold bool) []string {
	norm := func(k string) string {
		if fold {
			return strings.ToUpper(k)
		}
		return k
	}
	out := slices.Clone(base)
	idx := make(map[string]int, len(out))
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		if k != "" { // Windows has "=C:=C:\dir" entries; leave those alone
			idx[norm(k)] = i
		}
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		kv := k + "=" + extra[k]
		if i, ok := idx[norm(k)]; ok {
			out[i] = kv
			continue
		}
		idx[norm(k)] = len(out)
		out = append(out, kv)
	}
	return out
}

// checkEnv validates Options.Env, which may come from the network.
func checkEnv(env map[string]string) error {
	if len(env) > maxEnvVars {
		return fmt.Errorf("shell: %d environment variables, at most %d allowed", len(env), maxEnvVars)
	}
	for k, v := range env {
		if !isEnvKey(k) {
			return fmt.Errorf("shell: environment variable name %s is not allowed (letters, digits and _, not starting with a digit, at most %d)",
				quoteName(k), maxEnvKeyLen)
		}
		if len(v) > maxEnvValueLen || strings.ContainsRune(v, 0) {
			return fmt.Errorf("shell: value of environment variable %s is too long or contains NUL", k)
		}
	}
	return nil
}

// isEnvKey reports whether k is a portable environment variable name.
func isEnvKey(k string) bool {
	if k == "" || len(k) > maxEnvKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// windowsHost is what resolveWindows needs to know about a Windows host.
type windowsHost struct {
	// systemDir is the System32 directory, e.g. `C:\Windows\System32`.
	systemDir string
	// pwsh is the path of PowerShell 7's pwsh.exe, "" if not installed.
	pwsh string
	// conPTY reports whether the OS has pseudo consoles (Windows 10 1809,
	// Server 2019 and later).
	conPTY bool
}

// windowsPlan is how to start a shell on Windows.
type windowsPlan struct {
	path string   // program to run
	argv []string // full argument list, argv[0] included
	// pipe selects the fallback without a pseudo console: stdin and stdout
	// are pipes and the package does echo and line editing itself.
	pipe bool
}

// resolveWindows maps a requested shell name to a launch plan on Windows.
func resolveWindows(name string, h windowsHost) (windowsPlan, error) {
	sys := strings.TrimRight(h.systemDir, `\`)
	winPS := sys + `\WindowsPowerShell\v1.0\powershell.exe`
	var exe string
	switch name {
	case "":
		exe = winPS
		if h.pwsh != "" {
			exe = h.pwsh
		}
	case "powershell":
		exe = winPS
	case "pwsh":
		if h.pwsh == "" {
			return windowsPlan{}, fmt.Errorf("shell: PowerShell 7 (pwsh) is not installed on this device: %w", ErrShellNotFound)
		}
		exe = h.pwsh
	case "cmd":
		exe = sys + `\cmd.exe`
	case "sh", "bash", "zsh", "fish":
		return windowsPlan{}, fmt.Errorf("shell: %s is not available on Windows (use powershell, pwsh or cmd): %w", quoteName(name), ErrShellNotFound)
	default:
		// No system list of shells to check a path against on Windows.
		return windowsPlan{}, fmt.Errorf("shell: %s is not an allowed shell (use powershell, pwsh or cmd): %w", quoteName(name), ErrShellNotAllowed)
	}
	p := windowsPlan{path: exe, pipe: !h.conPTY}
	base := exe[strings.LastIndexAny(exe, `\/`)+1:]
	isCmd := strings.EqualFold(base, "cmd.exe")
	switch {
	case isCmd && p.pipe:
		// Echo off: cmd would otherwise print each command line a second
		// time after the package's own echo.
		p.argv = []string{base, "/Q"}
	case isCmd:
		p.argv = []string{base}
	case p.pipe:
		// Without a console PowerShell only reads commands from stdin when
		// told to with "-Command -".
		p.argv = []string{base, "-NoLogo", "-Command", "-"}
	default:
		p.argv = []string{base, "-NoLogo"}
	}
	return p, nil
}

// envBlockUTF16 encodes env as a CreateProcess environment block:
// NUL-terminated UTF-16 "KEY=value" strings and a final NUL.
func envBlockUTF16(env []string) []uint16 {
	var b []uint16
	for _, kv := range env {
		if kv == "" || strings.ContainsRune(kv, 0) {
			continue // an empty or NUL-carrying entry would end the block early
		}
		b = append(b, utf16.Encode([]rune(kv))...)
		b = append(b, 0)
	}
	if len(b) == 0 {
		b = append(b, 0)
	}
	return append(b, 0)
}
