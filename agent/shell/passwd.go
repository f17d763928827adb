package shell

import (
	"strconv"
	"strings"
)

// maxSystemFile caps how much of /etc/passwd or /etc/shells is read.
// Local files are small; directory-service users are not in them anyway.
const maxSystemFile = 4 << 20

// maxShells caps how many /etc/shells entries are kept.
const maxShells = 1024

// passwdEntry is the part of an /etc/passwd line this package uses.
type passwdEntry struct {
	Name  string
	UID   uint32
	Home  string
	Shell string
}

// findPasswd returns the first /etc/passwd entry with the given uid.
// Malformed lines, comments (macOS has a header of them) and NIS "+"/"-"
// lines are skipped; the content is capped at maxSystemFile.
func findPasswd(content string, uid uint32) (passwdEntry, bool) {
	if len(content) > maxSystemFile {
		content = content[:maxSystemFile]
	}
	for line := range strings.SplitSeq(content, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 7 || f[0] == "" {
			continue
		}
		u, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil || uint32(u) != uid {
			continue
		}
		return passwdEntry{Name: f[0], UID: uint32(u), Home: f[5], Shell: f[6]}, true
	}
	return passwdEntry{}, false
}

// parseShells returns the paths listed in /etc/shells, the way glibc's
// getusershell reads them: per line, from the first "/" (unless a "#"
// comes first) up to whitespace or "#".
// Entries that are not clean absolute paths are dropped.
func parseShells(content string) []string {
	if len(content) > maxSystemFile {
		content = content[:maxSystemFile]
	}
	var out []string
	for line := range strings.SplitSeq(content, "\n") {
		i := strings.IndexAny(line, "#/")
		if i < 0 || line[i] == '#' {
			continue
		}
		line = line[i:]
		if i := strings.IndexAny(line, " \t\r#"); i >= 0 {
			line = line[:i]
		}
		if !isCleanAbs(line) {
			continue
		}
		out = append(out, line)
		if len(out) == maxShells {
			break
		}
	}
	return out
}
