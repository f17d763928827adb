package inventory

import (
	"strings"
)

// TimeZone returns the device's IANA time zone (Europe/Paris), "" when
// it cannot be told: on Linux and macOS from /etc/localtime's link,
// /etc/timezone or TZ; on Windows from the registry's zone key name
// mapped through CLDR's table.
func TimeZone() string {
	return systemZone()
}

// WindowsToIANA maps a Windows time zone key name ("W. Europe Standard
// Time") to its IANA zone, "" when the table does not know it. Key names
// read from the registry may carry a NUL and stray bytes after the name
// on some Windows versions: they are cut.
func WindowsToIANA(name string) string {
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return windowsZones[strings.TrimSpace(name)]
}

// unixZone finds the zone as a Unix system tells it: the target of the
// /etc/localtime symlink after "zoneinfo/" (Debian, Fedora, macOS's
// /var/db/timezone/zoneinfo/...), else /etc/timezone's first line, else
// the TZ variable. The readers are parameters so fixtures can stand in.
func unixZone(readlink func(string) (string, error), readFile func(string) ([]byte, error), getenv func(string) string) string {
	if t, err := readlink("/etc/localtime"); err == nil {
		if z := zoneFromPath(t); z != "" {
			return z
		}
	}
	if b, err := readFile("/etc/timezone"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		if z := cleanZone(strings.TrimSpace(line)); z != "" {
			return z
		}
	}
	tz := strings.TrimPrefix(getenv("TZ"), ":")
	if strings.HasPrefix(tz, "/") {
		return zoneFromPath(tz)
	}
	return cleanZone(tz)
}

// zoneFromPath is the zone name in a path to a zoneinfo file
// ("/usr/share/zoneinfo/Europe/Paris", "../usr/share/zoneinfo/posix/UTC").
func zoneFromPath(p string) string {
	i := strings.LastIndex(p, "zoneinfo/")
	if i < 0 {
		return ""
	}
	z := p[i+len("zoneinfo/"):]
	for _, pre := range []string{"posix/", "right/"} {
		z = strings.TrimPrefix(z, pre)
	}
	return cleanZone(z)
}

// cleanZone returns name if it looks like an IANA zone name (letters,
// digits, _ + - and / between parts; no "." parts), else "". The server
// checks it against its own zone database before using it.
func cleanZone(name string) string {
	if name == "" || len(name) > 64 || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") {
		return ""
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part[0] == '.' || part[0] == '-' {
			return ""
		}
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '+', r == '-', r == '/':
		default:
			return ""
		}
	}
	return name
}
