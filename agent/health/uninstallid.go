package health

import (
	"errors"
	"regexp"
	"strings"
)

// What an UninstallID is on Windows: the collectors report a key only when
// RegistryUninstallPlan can build its command, and the installer accepts
// only keys ValidUninstallKey admits, so both sides read the same rules.

// guidRE matches a Windows Installer product code.
var guidRE = regexp.MustCompile(`\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}`)

var sidRE = regexp.MustCompile(`^S-1-[0-9]+(-[0-9]+)+$`)

// ValidUninstallKey accepts only a direct subkey of one of the Uninstall
// keys RegistrySoftware reads, so an uninstall job cannot point the agent
// at a command stored anywhere else in the registry.
func ValidUninstallKey(p string) bool {
	root, sub, ok := SplitRegistryPath(p)
	if !ok || len(p) > 512 || strings.Contains(p, `\\`) {
		return false
	}
	i := strings.LastIndexByte(sub, '\\')
	if i < 0 {
		return false
	}
	parent, name := sub[:i], sub[i+1:]
	if name == "" || Clean(name, 256) != name {
		return false
	}
	switch root {
	case "HKLM":
		for _, want := range []string{regUninstall64, regUninstall32} {
			_, w, _ := SplitRegistryPath(want)
			if strings.EqualFold(parent, w) {
				return true
			}
		}
	case "HKU":
		sid, rest, ok := strings.Cut(parent, `\`)
		return ok && sidRE.MatchString(sid) && strings.EqualFold(rest, regUserUninst)
	}
	return false
}

// RegistryUninstallPlan builds the uninstall command of one Uninstall key:
// its QuietUninstallString, else msiexec /x {product} /qn for Windows
// Installer products, else its UninstallString. Per-user (HKU) entries are
// written by the user, so only their Windows Installer product code is
// trusted, never their command line, since the agent runs as SYSTEM.
func RegistryUninstallPlan(key string, vals map[string]any) ([]string, error) {
	quiet := strings.TrimSpace(regString(vals, "QuietUninstallString"))
	plain := strings.TrimSpace(regString(vals, "UninstallString"))
	name := key[strings.LastIndexByte(key, '\\')+1:]
	msi := false
	if n, ok := regUint(vals, "WindowsInstaller"); ok && n == 1 {
		msi = true
	}
	if strings.Contains(strings.ToLower(plain), "msiexec") {
		msi = true
	}
	product := ""
	if msi {
		if guidRE.MatchString(name) && len(name) == 38 {
			product = name
		} else {
			product = guidRE.FindString(plain)
		}
	}
	root, _, _ := SplitRegistryPath(key)
	if root == "HKU" {
		if product == "" {
			return nil, errors.New("per-user uninstall commands are not run by the agent; only Windows Installer products can be removed")
		}
		return []string{"msiexec.exe", "/x", product, "/qn", "/norestart"}, nil
	}
	switch {
	case quiet != "":
		return commandArgv(quiet)
	case product != "":
		return []string{"msiexec.exe", "/x", product, "/qn", "/norestart"}, nil
	case plain != "":
		return commandArgv(plain)
	}
	return nil, errors.New("the entry has no uninstall command")
}

// asciiLower lowers ASCII letters only, so byte offsets stay valid (Go's
// ToLower rewrites invalid UTF-8 and can change the length).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func commandArgv(s string) ([]string, error) {
	if len(s) > 4096 || Clean(s, 4096) != s {
		return nil, errors.New("uninstall command has control characters or is too long")
	}
	argv := SplitWindowsCommandLine(s)
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("empty uninstall command")
	}
	return argv, nil
}

// SplitWindowsCommandLine splits a command line the way
// CommandLineToArgvW does: the program name ends at the closing quote or
// the first blank; later arguments follow the backslash-quote rules. An
// unquoted program path with spaces ("C:\Program Files\X\uninst.exe /S",
// common in Uninstall keys) is kept whole up to ".exe".
func SplitWindowsCommandLine(s string) []string {
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return nil
	}
	var args []string
	var i int
	if s[0] == '"' {
		j := strings.IndexByte(s[1:], '"')
		if j < 0 {
			return []string{s[1:]}
		}
		args = append(args, s[1:j+1])
		i = j + 2
	} else {
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		if lower := asciiLower(s); !strings.HasSuffix(lower[:end], ".exe") {
			k := strings.Index(lower, ".exe ")
			if k < 0 && strings.HasSuffix(lower, ".exe") {
				k = len(lower) - 4
			}
			if k > end {
				end = k + 4
			}
		}
		args = append(args, s[:end])
		i = end
	}
	for len(args) < 256 {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		var b strings.Builder
		inQuote := false
		for i < len(s) {
			c := s[i]
			if (c == ' ' || c == '\t') && !inQuote {
				break
			}
			switch c {
			case '\\':
				k := 0
				for i+k < len(s) && s[i+k] == '\\' {
					k++
				}
				if i+k < len(s) && s[i+k] == '"' {
					b.WriteString(strings.Repeat(`\`, k/2))
					i += k
					if k%2 == 1 {
						b.WriteByte('"')
						i++
					}
				} else {
					b.WriteString(s[i : i+k])
					i += k
				}
			case '"':
				if inQuote && i+1 < len(s) && s[i+1] == '"' {
					b.WriteByte('"')
					i += 2
					continue
				}
				inQuote = !inQuote
				i++
			default:
				b.WriteByte(c)
				i++
			}
		}
		args = append(args, b.String())
	}
	return args
}
