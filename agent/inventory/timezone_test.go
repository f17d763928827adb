package inventory

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fixture reads a file of testdata/timezone.
func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "timezone", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUnixZone: the zone from /etc/localtime's link target (Debian,
// macOS, a relative posix/ link), else /etc/timezone, else TZ; a link
// that is no zone path falls through; nothing gives "".
func TestUnixZone(t *testing.T) {
	noFile := func(string) ([]byte, error) { return nil, fs.ErrNotExist }
	noLink := func(string) (string, error) { return "", fs.ErrNotExist }
	link := func(name string) func(string) (string, error) {
		target := fixture(t, name)
		return func(p string) (string, error) {
			if p != "/etc/localtime" {
				return "", errors.New("unexpected " + p)
			}
			return target, nil
		}
	}
	file := func(name string) func(string) ([]byte, error) {
		body := fixture(t, name)
		return func(p string) ([]byte, error) {
			if p != "/etc/timezone" {
				return nil, fs.ErrNotExist
			}
			return []byte(body), nil
		}
	}
	env := func(v string) func(string) string { return func(string) string { return v } }
	for _, c := range []struct {
		name     string
		readlink func(string) (string, error)
		readFile func(string) ([]byte, error)
		tz, want string
	}{
		{"debian link", link("debian-localtime-link"), file("debian-etc-timezone"), "", "Europe/Paris"},
		{"macos link", link("macos-localtime-link"), noFile, "", "America/New_York"},
		{"relative posix link", link("relative-posix-localtime-link"), noFile, "", "Asia/Tokyo"},
		{"hostile link, then /etc/timezone", link("hostile-localtime-link"), file("debian-etc-timezone"), "", "Europe/London"},
		{"a copied file, not a link", noLink, file("container-etc-timezone"), "", "Etc/UTC"},
		{"TZ name", noLink, noFile, ":Australia/Sydney", "Australia/Sydney"},
		{"TZ path", noLink, noFile, "/usr/share/zoneinfo/America/Chicago", "America/Chicago"},
		{"TZ POSIX rule", noLink, noFile, "EST5EDT,M3.2.0,M11.1.0", ""},
		{"nothing", noLink, noFile, "", ""},
	} {
		if got := unixZone(c.readlink, c.readFile, env(c.tz)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestWindowsToIANA: key names map through CLDR's golden zones, a
// registry value with a NUL and junk after the name still maps, and an
// unknown name gives "". Every zone of the table is one Go knows.
func TestWindowsToIANA(t *testing.T) {
	for in, want := range map[string]string{
		"W. Europe Standard Time":           "Europe/Berlin",
		"Romance Standard Time":             "Europe/Paris",
		"Eastern Standard Time":             "America/New_York",
		"Pacific Standard Time (Mexico)":    "America/Tijuana",
		"AUS Eastern Standard Time":         "Australia/Sydney",
		"UTC":                               "Etc/UTC",
		"UTC+12":                            "Etc/GMT-12",
		"India Standard Time":               "Asia/Calcutta",
		"GMT Standard Time\x00\x00ard Time": "Europe/London",
		" Tokyo Standard Time ":             "Asia/Tokyo",
		"Mars Standard Time":                "",
		"":                                  "",
	} {
		if got := WindowsToIANA(in); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
	if len(windowsZones) < 135 {
		t.Fatalf("%d Windows zones, want the whole CLDR table", len(windowsZones))
	}
	for win, iana := range windowsZones {
		if _, err := time.LoadLocation(iana); err != nil {
			t.Errorf("%s -> %s: %v", win, iana, err)
		}
		if cleanZone(iana) != iana {
			t.Errorf("%s -> %s not a clean zone name", win, iana)
		}
	}
}
