package files

import (
	"errors"
	"testing"

	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

func code(err error) string {
	var te *toolbox.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return ""
}

func TestCleanPathUnix(t *testing.T) {
	ok := map[string]string{
		"/":            "/",
		"/etc/":        "/etc",
		"//etc//ssh/.": "/etc/ssh",
		"/a/./b":       "/a/b",
		"/a b/ü":       "/a b/ü",
		"/x..y/..z":    "/x..y/..z", // dots inside names are names
	}
	for in, want := range ok {
		got, err := CleanPath(in, "linux")
		if err != nil || got != want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "etc", "./etc", "/etc/../root", "/..", "/a/..", "/a\x00b", "C:\\x"} {
		if _, err := CleanPath(in, "linux"); code(err) != protocol.CallBadRequest {
			t.Errorf("CleanPath(%q) accepted or wrong code: %v", in, err)
		}
	}
}

func TestCleanPathWindows(t *testing.T) {
	ok := map[string]string{
		`C:\`:                    `C:\`,
		`c:`:                     `C:\`,
		`c:/Users/bob/`:          `C:\Users\bob`,
		`C:\Users\.\bob\\x.txt`:  `C:\Users\bob\x.txt`,
		`\\srv\share\dir\f.txt`:  `\\srv\share\dir\f.txt`,
		`\\srv\share`:            `\\srv\share\`,
		`C:\Program Files (x86)`: `C:\Program Files (x86)`,
		`C:\console\com10.txt`:   `C:\console\com10.txt`, // CON, COM1 only as the whole base name
	}
	for in, want := range ok {
		got, err := CleanPath(in, "windows")
		if err != nil || got != want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	refused := map[string]string{
		`C:\x\file.txt:secret`:      protocol.CallForbidden, // alternate data stream
		`C:\x\file.txt::$DATA`:      protocol.CallForbidden,
		`C:\x\NUL`:                  protocol.CallForbidden,
		`C:\x\con.txt`:              protocol.CallForbidden,
		`C:\x\COM1`:                 protocol.CallForbidden,
		`C:\x\lpt9.log`:             protocol.CallForbidden,
		`\\.\PhysicalDrive0`:        protocol.CallBadRequest,
		`\\?\C:\Windows`:            protocol.CallBadRequest,
		`//./pipe/x`:                protocol.CallBadRequest,
		`C:\a\..\Windows`:           protocol.CallBadRequest,
		`C:relative`:                protocol.CallBadRequest, // drive-relative
		`\Windows`:                  protocol.CallBadRequest,
		`Windows\System32`:          protocol.CallBadRequest,
		`C:\x\trailing.`:            protocol.CallBadRequest,
		`C:\x\trailing `:            protocol.CallBadRequest,
		`C:\x\a*b`:                  protocol.CallBadRequest,
		`C:\x\a` + "\x01":           protocol.CallBadRequest,
		`\\srv`:                     protocol.CallBadRequest,
		`\\srv\share\f.txt:Zone.Id`: protocol.CallForbidden,
	}
	for in, want := range refused {
		if _, err := CleanPath(in, "windows"); code(err) != want {
			t.Errorf("CleanPath(%q) = %v, want code %s", in, err, want)
		}
	}
}

func TestRootParentBase(t *testing.T) {
	cases := []struct {
		goos, p, parent, base string
		root                  bool
	}{
		{"linux", "/", "", "root", true},
		{"linux", "/etc", "/", "etc", false},
		{"linux", "/etc/ssh", "/etc", "ssh", false},
		{"windows", `C:\`, "", "root", true},
		{"windows", `C:\Users`, `C:\`, "Users", false},
		{"windows", `C:\Users\bob`, `C:\Users`, "bob", false},
		{"windows", `\\srv\share\`, "", "root", true},
		{"windows", `\\srv\share\d`, `\\srv\share`, "d", false},
	}
	for _, c := range cases {
		if IsRoot(c.p, c.goos) != c.root || Parent(c.p, c.goos) != c.parent || Base(c.p, c.goos) != c.base {
			t.Errorf("%s %q: root %v parent %q base %q", c.goos, c.p, IsRoot(c.p, c.goos), Parent(c.p, c.goos), Base(c.p, c.goos))
		}
	}
}
