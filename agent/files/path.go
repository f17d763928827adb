// Package files is the agent's file manager: the toolbox methods that
// list, search, download, upload, create, rename and delete files
// (protocol/files.go). Paths are checked here, on the device, by pure
// rules per OS (CleanPath): absolute only, no ".." components, and on
// Windows no alternate data streams, device namespaces or reserved device
// names. Device files, FIFOs and sockets are never opened for reading;
// trees are deleted without following symlinks.
package files

import (
	"path"
	"strings"

	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

// badPath is the error of a refused path.
func badPath(format string, args ...any) error {
	return toolbox.Errorf(protocol.CallBadRequest, format, args...)
}

// CleanPath checks and cleans an absolute path for goos ("windows" or any
// Unix). It refuses relative paths, NUL bytes and ".." components: a
// technician names the folder itself, so a path never means something
// other than it reads (".." after a symlink would leave the link's target,
// not its parent). "." components, repeated and trailing separators are
// removed. On Windows, "/" is accepted as a separator, the result uses
// "\", and the path must start with a drive ("C:\") or a UNC share
// ("\\server\share"); it may not name an alternate data stream
// ("file.txt:stream"), a device namespace ("\\.\", "\\?\"), a reserved
// device name (CON, NUL, COM1...) or a name ending in a dot or space.
func CleanPath(p, goos string) (string, error) {
	if p == "" {
		return "", badPath("a path is required")
	}
	if len(p) > 4096 {
		return "", badPath("path too long")
	}
	if strings.ContainsRune(p, 0) {
		return "", badPath("path contains a NUL byte")
	}
	if goos == "windows" {
		return cleanWindows(p)
	}
	if !strings.HasPrefix(p, "/") {
		return "", badPath("%q is not an absolute path", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "", badPath("%q contains \"..\"; give the folder's own absolute path", p)
		}
	}
	return path.Clean(p), nil
}

func cleanWindows(p string) (string, error) {
	p = strings.ReplaceAll(p, "/", `\`)
	var root, rest string
	switch {
	case strings.HasPrefix(p, `\\`):
		if strings.HasPrefix(p, `\\?\`) || strings.HasPrefix(p, `\\.\`) {
			return "", badPath("%q is a device namespace path; give a drive or share path", p)
		}
		parts := strings.SplitN(p[2:], `\`, 3)
		if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
			return "", badPath("%q is not a full share path (\\\\server\\share\\...)", p)
		}
		root = `\\` + parts[0] + `\` + parts[1]
		if len(parts) == 3 {
			rest = parts[2]
		}
		for _, s := range parts[:2] {
			if err := checkWinName(s, p); err != nil {
				return "", err
			}
		}
	case len(p) >= 3 && isLetter(p[0]) && p[1] == ':' && p[2] == '\\':
		root = strings.ToUpper(p[:1]) + `:`
		rest = p[3:]
	case len(p) == 2 && isLetter(p[0]) && p[1] == ':':
		root = strings.ToUpper(p[:1]) + `:`
	default:
		return "", badPath("%q is not an absolute path (C:\\... or \\\\server\\share\\...)", p)
	}
	var segs []string
	for _, s := range strings.Split(rest, `\`) {
		switch s {
		case "", ".":
			continue
		case "..":
			return "", badPath("%q contains \"..\"; give the folder's own absolute path", p)
		}
		if err := checkWinName(s, p); err != nil {
			return "", err
		}
		segs = append(segs, s)
	}
	return root + `\` + strings.Join(segs, `\`), nil
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// reservedWin are the device names Windows resolves in any folder.
var reservedWin = map[string]bool{"CON": true, "PRN": true, "AUX": true, "NUL": true, "CONIN$": true, "CONOUT$": true}

func checkWinName(s, full string) error {
	if strings.ContainsRune(s, ':') {
		return toolbox.Errorf(protocol.CallForbidden, "%q names an alternate data stream or device (\":\" in a name); refused", full)
	}
	if strings.ContainsAny(s, `<>"|?*`) {
		return badPath("%q contains a character Windows does not allow in names", full)
	}
	for _, r := range s {
		if r < 32 {
			return badPath("%q contains a control character", full)
		}
	}
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, " ") {
		return badPath("%q has a name ending in a dot or space, which Windows would silently change", full)
	}
	base := strings.ToUpper(s)
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	base = strings.TrimRight(base, " ")
	if reservedWin[base] || len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) &&
		base[3] >= '0' && base[3] <= '9' {
		return toolbox.Errorf(protocol.CallForbidden, "%q names the Windows device %s; refused", full, base)
	}
	return nil
}

// IsRoot reports whether a cleaned path is a filesystem root ("/", "C:\",
// a share's root), which delete and rename refuse.
func IsRoot(p, goos string) bool {
	if goos != "windows" {
		return p == "/"
	}
	if len(p) == 3 && p[1] == ':' {
		return true
	}
	if strings.HasPrefix(p, `\\`) {
		return strings.Count(strings.TrimSuffix(p[2:], `\`), `\`) <= 1
	}
	return false
}

// Parent is the parent of a cleaned path ("" for a root).
func Parent(p, goos string) string {
	if IsRoot(p, goos) {
		return ""
	}
	sep := "/"
	if goos == "windows" {
		sep = `\`
	}
	i := strings.LastIndex(p, sep)
	switch {
	case i < 0:
		return ""
	case goos != "windows" && i == 0:
		return "/"
	case goos == "windows" && i == 2 && p[1] == ':':
		return p[:3]
	}
	return p[:i]
}

// Base is the last element of a cleaned path.
func Base(p, goos string) string {
	sep := "/"
	if goos == "windows" {
		sep = `\`
	}
	b := p[strings.LastIndex(p, sep)+1:]
	if b == "" || (goos == "windows" && len(b) == 2 && b[1] == ':') {
		return "root"
	}
	return b
}
