package shell

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFindPasswd(t *testing.T) {
	tests := []struct {
		file  string
		uid   uint32
		want  passwdEntry
		found bool
	}{
		{"passwd-debian12-container.txt", 0, passwdEntry{Name: "root", UID: 0, Home: "/root", Shell: "/bin/bash"}, true},
		{"passwd-debian12-container.txt", 1, passwdEntry{Name: "daemon", UID: 1, Home: "/usr/sbin", Shell: "/usr/sbin/nologin"}, true},
		{"passwd-debian12-container.txt", 101, passwdEntry{Name: "postgres", UID: 101, Home: "/var/lib/postgresql", Shell: "/bin/bash"}, true},
		{"passwd-debian12-container.txt", 4242, passwdEntry{}, false},
		{"passwd-macos-head.txt", 0, passwdEntry{Name: "root", UID: 0, Home: "/var/root", Shell: "/bin/sh"}, true},
		{"passwd-macos-head.txt", 4, passwdEntry{Name: "_uucp", UID: 4, Home: "/var/spool/uucp", Shell: "/usr/sbin/uucico"}, true},
		// nobody's uid is -2 on macOS: not a uint32, so never a match.
		{"passwd-macos-head.txt", 4294967294, passwdEntry{}, false},
	}
	for _, tt := range tests {
		got, found := findPasswd(readTestdata(t, tt.file), tt.uid)
		if got != tt.want || found != tt.found {
			t.Errorf("findPasswd(%s, %d) = %+v, %v; want %+v, %v", tt.file, tt.uid, got, found, tt.want, tt.found)
		}
	}
}

func TestFindPasswdOddLines(t *testing.T) {
	content := "##\r\n# User Database\r\n+::::::\r\nbroken:x:0:0\r\n:x:0:0::/:/bin/sh\r\nadmin:x:0:0:Admin:/home/admin:/bin/zsh\r\n"
	got, found := findPasswd(content, 0)
	want := passwdEntry{Name: "admin", UID: 0, Home: "/home/admin", Shell: "/bin/zsh"}
	if !found || got != want {
		t.Fatalf("findPasswd = %+v, %v; want %+v (CRLF, comments, NIS and short lines skipped)", got, found, want)
	}
}

func TestParseShells(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"shells-debian12-container.txt", []string{"/bin/sh", "/usr/bin/sh", "/bin/bash", "/usr/bin/bash", "/bin/rbash", "/usr/bin/rbash", "/bin/dash", "/usr/bin/dash", "/usr/bin/tmux"}},
		{"shells-macos12-blog.txt", []string{"/bin/bash", "/bin/csh", "/bin/dash", "/bin/ksh", "/bin/sh", "/bin/tcsh", "/bin/zsh"}},
		{"shells-macos-brew-fish-inline-comment.txt", []string{"/bin/bash", "/bin/csh", "/bin/ksh", "/bin/sh", "/bin/tcsh", "/bin/zsh", "/usr/local/bin/fish"}},
		{"shells-freebsd-manual.txt", []string{"/bin/sh", "/bin/csh", "/bin/tcsh", "/usr/local/bin/zsh", "/usr/local/bin/rzsh"}},
	}
	for _, tt := range tests {
		if got := parseShells(readTestdata(t, tt.file)); !slices.Equal(got, tt.want) {
			t.Errorf("parseShells(%s) = %q, want %q", tt.file, got, tt.want)
		}
	}
}

func TestParseShellsOddLines(t *testing.T) {
	content := "  /bin/sh\nx /bin/ksh\n#/bin/evil\n/bin/../tmp/evil\n/usr/bin/zsh#c\n\n/bin/a b\n"
	want := []string{"/bin/sh", "/bin/ksh", "/usr/bin/zsh", "/bin/a"}
	if got := parseShells(content); !slices.Equal(got, want) {
		t.Fatalf("parseShells = %q, want %q", got, want)
	}
}

func FuzzFindPasswd(f *testing.F) {
	for _, name := range []string{"passwd-debian12-container.txt", "passwd-macos-head.txt"} {
		f.Add(readTestdata(f, name), uint32(0))
	}
	f.Add("a:b:c:d:e:f:g\n::::::\n", uint32(1))
	f.Fuzz(func(t *testing.T, content string, uid uint32) {
		e, found := findPasswd(content, uid)
		if !found {
			if e != (passwdEntry{}) {
				t.Fatalf("not found but entry %+v", e)
			}
			return
		}
		if e.UID != uid || e.Name == "" {
			t.Fatalf("entry %+v for uid %d", e, uid)
		}
		for _, s := range []string{e.Name, e.Home, e.Shell} {
			if strings.ContainsAny(s, ":\n") {
				t.Fatalf("field %q holds a separator", s)
			}
		}
	})
}

func FuzzParseShells(f *testing.F) {
	for _, name := range []string{"shells-debian12-container.txt", "shells-macos12-blog.txt", "shells-macos-brew-fish-inline-comment.txt", "shells-freebsd-manual.txt"} {
		f.Add(readTestdata(f, name))
	}
	f.Fuzz(func(t *testing.T, content string) {
		got := parseShells(content)
		if len(got) > maxShells {
			t.Fatalf("%d entries, cap is %d", len(got), maxShells)
		}
		for _, p := range got {
			if !isCleanAbs(p) || !strings.Contains(content, p) {
				t.Fatalf("entry %q is not a clean absolute path from the input", p)
			}
		}
	})
}
