package linuxpkg_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/agent/service"
	"github.com/steward-rmm/steward/installer/linuxpkg"
)

// entry is one file of a package as the package records it.
type entry struct {
	mode         os.FileMode // permission bits
	dir          bool
	owner, group string
}

type pkg struct {
	files   map[string]entry
	scripts map[string]string // postinst/prerm/postrm (deb names)
	meta    map[string]string
}

// readAr splits an ar archive (the deb container) into its members.
func readAr(b []byte) (map[string][]byte, error) {
	if !bytes.HasPrefix(b, []byte("!<arch>\n")) {
		return nil, errors.New("not an ar archive")
	}
	out := map[string][]byte{}
	for off := 8; off+60 <= len(b); {
		h := b[off : off+60]
		name := strings.TrimRight(strings.TrimSpace(string(h[0:16])), "/")
		size, err := strconv.Atoi(strings.TrimSpace(string(h[48:58])))
		if err != nil || size < 0 || off+60+size > len(b) {
			return nil, fmt.Errorf("bad ar member %q", name)
		}
		out[name] = b[off+60 : off+60+size]
		off += 60 + size + size%2
	}
	return out, nil
}

func readTarGz(b []byte, each func(h *tar.Header, body []byte)) error {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		body, err := io.ReadAll(io.LimitReader(tr, 1<<20))
		if err != nil {
			return err
		}
		each(h, body)
	}
}

func readDeb(t *testing.T, path string) pkg {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	members, err := readAr(b)
	if err != nil {
		t.Fatal(err)
	}
	if string(members["debian-binary"]) != "2.0\n" {
		t.Errorf("debian-binary = %q", members["debian-binary"])
	}
	p := pkg{files: map[string]entry{}, scripts: map[string]string{}, meta: map[string]string{}}
	err = readTarGz(members["control.tar.gz"], func(h *tar.Header, body []byte) {
		name := strings.TrimPrefix(h.Name, "./")
		switch name {
		case "postinst", "prerm", "postrm", "preinst":
			p.scripts[name] = string(body)
			if h.Mode&0o111 == 0 {
				t.Errorf("deb %s is not executable (%o)", name, h.Mode)
			}
		case "control":
			sc := bufio.NewScanner(bytes.NewReader(body))
			for sc.Scan() {
				if k, v, ok := strings.Cut(sc.Text(), ": "); ok {
					p.meta[k] = v
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	err = readTarGz(members["data.tar.gz"], func(h *tar.Header, _ []byte) {
		name := "/" + strings.Trim(strings.TrimPrefix(h.Name, "./"), "/")
		p.files[name] = entry{mode: os.FileMode(h.Mode).Perm(), dir: h.Typeflag == tar.TypeDir, owner: h.Uname, group: h.Gname}
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rpmHeader is one RPM header structure: tag -> raw value.
type rpmHeader map[int32]any

// readRPMHeader parses the header at b[off:] and returns it and the offset
// after it. Only the types a package's metadata uses are decoded.
func readRPMHeader(b []byte, off int) (rpmHeader, int, error) {
	if off+16 > len(b) || !bytes.Equal(b[off:off+4], []byte{0x8e, 0xad, 0xe8, 0x01}) {
		return nil, 0, errors.New("no rpm header magic")
	}
	n := int(binary.BigEndian.Uint32(b[off+8:]))
	size := int(binary.BigEndian.Uint32(b[off+12:]))
	idx := off + 16
	store := idx + 16*n
	if n > 10000 || store+size > len(b) {
		return nil, 0, errors.New("rpm header out of bounds")
	}
	h := rpmHeader{}
	data := b[store : store+size]
	for i := 0; i < n; i++ {
		e := b[idx+16*i:]
		tag := int32(binary.BigEndian.Uint32(e))
		typ := binary.BigEndian.Uint32(e[4:])
		o := int(binary.BigEndian.Uint32(e[8:]))
		cnt := int(binary.BigEndian.Uint32(e[12:]))
		if o > len(data) || cnt > 100000 {
			return nil, 0, fmt.Errorf("rpm tag %d out of bounds", tag)
		}
		switch typ {
		case 3: // int16 array
			var v []int
			for j := 0; j < cnt && o+2*j+2 <= len(data); j++ {
				v = append(v, int(binary.BigEndian.Uint16(data[o+2*j:])))
			}
			h[tag] = v
		case 4: // int32 array
			var v []int
			for j := 0; j < cnt && o+4*j+4 <= len(data); j++ {
				v = append(v, int(binary.BigEndian.Uint32(data[o+4*j:])))
			}
			h[tag] = v
		case 6, 8, 9: // string, string array, i18n string
			var v []string
			p := o
			for j := 0; j < cnt && p < len(data); j++ {
				end := bytes.IndexByte(data[p:], 0)
				if end < 0 {
					return nil, 0, fmt.Errorf("rpm tag %d: unterminated string", tag)
				}
				v = append(v, string(data[p:p+end]))
				p += end + 1
			}
			h[tag] = v
		}
	}
	return h, store + size, nil
}

func (h rpmHeader) strings(tag int32) []string { v, _ := h[tag].([]string); return v }
func (h rpmHeader) ints(tag int32) []int       { v, _ := h[tag].([]int); return v }

func readRPM(t *testing.T, path string) pkg {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 96 || !bytes.Equal(b[:4], []byte{0xed, 0xab, 0xee, 0xdb}) {
		t.Fatal("no rpm lead")
	}
	_, off, err := readRPMHeader(b, 96) // signature header
	if err != nil {
		t.Fatal(err)
	}
	off = (off + 7) &^ 7 // the main header is 8-byte aligned
	h, _, err := readRPMHeader(b, off)
	if err != nil {
		t.Fatal(err)
	}
	const (
		tagName, tagVersion, tagArch             = 1000, 1001, 1022
		tagPostIn, tagPreUn, tagPostUn           = 1024, 1025, 1026
		tagModes, tagUsers, tagGroups            = 1030, 1039, 1040
		tagDirIndexes, tagBaseNames, tagDirNames = 1116, 1117, 1118
	)
	p := pkg{files: map[string]entry{}, scripts: map[string]string{}, meta: map[string]string{}}
	for tag, name := range map[int32]string{tagPostIn: "postinst", tagPreUn: "prerm", tagPostUn: "postrm"} {
		if s := h.strings(tag); len(s) == 1 {
			p.scripts[name] = s[0]
		}
	}
	for tag, name := range map[int32]string{tagName: "Package", tagVersion: "Version", tagArch: "Architecture"} {
		if s := h.strings(tag); len(s) == 1 {
			p.meta[name] = s[0]
		}
	}
	base, dirs, di := h.strings(tagBaseNames), h.strings(tagDirNames), h.ints(tagDirIndexes)
	modes, users, groups := h.ints(tagModes), h.strings(tagUsers), h.strings(tagGroups)
	if len(di) != len(base) || len(modes) != len(base) || len(users) != len(base) || len(groups) != len(base) {
		t.Fatalf("rpm file tags disagree: %d names, %d dir indexes, %d modes, %d users", len(base), len(di), len(modes), len(users))
	}
	for i, n := range base {
		if di[i] >= len(dirs) {
			t.Fatalf("rpm dir index %d out of range", di[i])
		}
		m := os.FileMode(modes[i])
		p.files[strings.TrimRight(dirs[di[i]]+n, "/")] = entry{mode: m & 0o777, dir: modes[i]&0o170000 == 0o040000,
			owner: users[i], group: groups[i]}
	}
	return p
}

func buildPackages(t *testing.T) (deb, rpm string, bin []byte) {
	t.Helper()
	dir := t.TempDir()
	bin = []byte("\x7fELF fake agent binary")
	binPath := filepath.Join(dir, "steward-agent")
	if err := os.WriteFile(binPath, bin, 0o600); err != nil {
		t.Fatal(err)
	}
	paths, err := linuxpkg.BuildPackages(filepath.Join(dir, "out"), binPath, "v1.4.2", "amd64")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		switch filepath.Ext(p) {
		case ".deb":
			deb = p
		case ".rpm":
			rpm = p
		}
	}
	if deb == "" || rpm == "" {
		t.Fatalf("built %v, want a deb and an rpm", paths)
	}
	return deb, rpm, bin
}

func TestPackages(t *testing.T) {
	debPath, rpmPath, _ := buildPackages(t)
	want := map[string]entry{
		linuxpkg.BinPath:   {mode: 0o755, owner: "root", group: "root"},
		linuxpkg.UnitPath:  {mode: 0o644, owner: "root", group: "root"},
		"/usr/lib/steward": {mode: 0o755, dir: true, owner: "root", group: "root"},
		linuxpkg.ConfDir:   {mode: 0o700, dir: true, owner: "root", group: "root"},
	}
	for _, tc := range []struct {
		name string
		p    pkg
		arch string
	}{{"deb", readDeb(t, debPath), "amd64"}, {"rpm", readRPM(t, rpmPath), "x86_64"}} {
		t.Run(tc.name, func(t *testing.T) {
			for path, w := range want {
				if got, ok := tc.p.files[path]; !ok || got != w {
					t.Errorf("%s = %+v (present %v), want %+v", path, got, ok, w)
				}
			}
			for path, e := range tc.p.files {
				if e.owner != "root" || e.group != "root" {
					t.Errorf("%s owned by %s:%s", path, e.owner, e.group)
				}
				if !e.dir && e.mode&0o022 != 0 {
					t.Errorf("%s is writable by group or others (%v)", path, e.mode)
				}
			}
			for _, s := range []string{"postinst", "prerm", "postrm"} {
				if !strings.HasPrefix(tc.p.scripts[s], "#!/bin/sh\n") {
					t.Errorf("%s script missing or not sh: %.40q", s, tc.p.scripts[s])
				}
			}
			if !strings.Contains(tc.p.scripts["postinst"], "enroll.env") || !strings.Contains(tc.p.scripts["postinst"], "systemctl enable") ||
				!strings.Contains(tc.p.scripts["prerm"], "systemctl disable") {
				t.Error("maintainer scripts lack enrollment or unit handling")
			}
			if tc.p.meta["Package"] != "steward-agent" || tc.p.meta["Architecture"] != tc.arch || !strings.HasPrefix(tc.p.meta["Version"], "1.4.2") {
				t.Errorf("metadata %v", tc.p.meta)
			}
		})
	}
}

// TestPackagesWithSystemTools cross-checks the Go readers against dpkg-deb
// and rpm where they are installed.
func TestPackagesWithSystemTools(t *testing.T) {
	debPath, rpmPath, _ := buildPackages(t)
	ran := false
	if _, err := exec.LookPath("dpkg-deb"); err == nil {
		ran = true
		out, err := exec.Command("dpkg-deb", "-c", debPath).CombinedOutput()
		if err != nil {
			t.Fatalf("dpkg-deb -c: %v\n%s", err, out)
		}
		for _, want := range []string{"-rwxr-xr-x root/root", "./usr/lib/steward/steward-agent",
			"-rw-r--r-- root/root", "./usr/lib/systemd/system/steward-agent.service", "drwx------ root/root"} {
			if !bytes.Contains(out, []byte(want)) {
				t.Errorf("dpkg-deb -c lacks %q:\n%s", want, out)
			}
		}
		info, err := exec.Command("dpkg-deb", "-I", debPath).CombinedOutput()
		if err != nil || !bytes.Contains(info, []byte("postinst")) || !bytes.Contains(info, []byte("prerm")) {
			t.Errorf("dpkg-deb -I: %v\n%s", err, info)
		}
	}
	if _, err := exec.LookPath("rpm"); err == nil {
		ran = true
		out, err := exec.Command("rpm", "-qlvp", rpmPath).CombinedOutput()
		if err != nil {
			t.Fatalf("rpm -qlvp: %v\n%s", err, out)
		}
		for _, want := range []string{"-rwxr-xr-x", "root     root", "/usr/lib/steward/steward-agent", "/usr/lib/systemd/system/steward-agent.service"} {
			if !bytes.Contains(out, []byte(want)) {
				t.Errorf("rpm -qlvp lacks %q:\n%s", want, out)
			}
		}
		scripts, err := exec.Command("rpm", "-qp", "--scripts", rpmPath).CombinedOutput()
		if err != nil || !bytes.Contains(scripts, []byte("postinstall scriptlet")) || !bytes.Contains(scripts, []byte("preuninstall scriptlet")) {
			t.Errorf("rpm --scripts: %v\n%s", err, scripts)
		}
	}
	if !ran {
		t.Skip("neither dpkg-deb nor rpm is installed; TestPackages reads the packages in Go")
	}
}

// TestUnitMatchesAgent keeps the packaged unit in step with the one the
// agent writes for itself: they differ only in the binary path.
func TestUnitMatchesAgent(t *testing.T) {
	l := service.LayoutFor("linux", "", "")
	l.BinPath = linuxpkg.BinPath
	if got, want := linuxpkg.Unit(), service.SystemdUnit(l); got != want {
		t.Errorf("packaged unit:\n%s\nagent's unit:\n%s", got, want)
	}
}

// TestPostinstall runs the postinstall script with its paths moved into a
// temporary directory and a fake agent that records its arguments.
func TestPostinstall(t *testing.T) {
	for _, tc := range []struct {
		name     string
		envFile  string
		env      []string
		enrolled bool
		wantArgs string // "" = the agent must not be called
		wantFile bool   // enroll.env still there afterwards
	}{
		{"from enroll.env", "STEWARD_SERVER=https://rmm.example:8443\nSTEWARD_TOKEN='enr_abc'\n" +
			"STEWARD_CA_FINGERPRINT=\"" + strings.Repeat("ab", 32) + "\"\n# comment\nSTEWARD_RELEASE_KEY=" + strings.Repeat("cd", 32) + "\n",
			nil, false,
			"enroll --config CONF --server https://rmm.example:8443 --token enr_abc --ca-fingerprint " + strings.Repeat("ab", 32) +
				" --release-key " + strings.Repeat("cd", 32), false},
		{"from the environment", "", []string{"STEWARD_SERVER=https://s", "STEWARD_TOKEN=enr_env", "STEWARD_CA_FINGERPRINT=ff"}, false,
			"enroll --config CONF --server https://s --token enr_env --ca-fingerprint ff", false},
		{"env file is data, not code", "STEWARD_SERVER=$(touch PWNED)\nSTEWARD_TOKEN=x\nSTEWARD_CA_FINGERPRINT=y\n", nil, false,
			"enroll --config CONF --server $(touch PWNED) --token x --ca-fingerprint y", false},
		{"nothing to enroll with", "", nil, false, "", false},
		{"already enrolled", "STEWARD_SERVER=https://s\nSTEWARD_TOKEN=t\nSTEWARD_CA_FINGERPRINT=f\n", nil, true, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			conf := filepath.Join(dir, "etc", "steward")
			if err := os.MkdirAll(conf, 0o755); err != nil {
				t.Fatal(err)
			}
			if tc.envFile != "" {
				if err := os.WriteFile(filepath.Join(conf, "enroll.env"), []byte(tc.envFile), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.enrolled {
				_ = os.WriteFile(filepath.Join(conf, "agent.json"), []byte("{}"), 0o600)
			}
			argsFile := filepath.Join(dir, "args")
			fake := filepath.Join(dir, "steward-agent")
			if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"$*\" >'"+argsFile+"'\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			script := strings.NewReplacer("conf=/etc/steward", "conf="+conf, "bin=/usr/lib/steward/steward-agent", "bin="+fake,
				"/run/systemd/system", filepath.Join(dir, "no-systemd")).Replace(linuxpkg.Script("postinstall"))
			cmd := exec.Command("sh", "-c", script, "postinst", "configure")
			cmd.Dir = dir
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, tc.env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("postinstall: %v\n%s", err, out)
			}
			got, _ := os.ReadFile(argsFile)
			gotArgs := strings.ReplaceAll(strings.TrimSpace(string(got)), conf, "CONF")
			if gotArgs != tc.wantArgs {
				t.Errorf("agent called with %q, want %q\n%s", gotArgs, tc.wantArgs, out)
			}
			if _, err := os.Stat(filepath.Join(conf, "enroll.env")); (err == nil) != tc.wantFile && tc.envFile != "" {
				t.Errorf("enroll.env present = %v, want %v", err == nil, tc.wantFile)
			}
			if _, err := os.Stat(filepath.Join(dir, "PWNED")); err == nil {
				t.Error("a value in enroll.env was run as a command")
			}
			if fi, err := os.Stat(conf); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("config dir mode %v (%v), want 0700", fi.Mode().Perm(), err)
			}
			if tc.wantArgs == "" && !tc.enrolled && !strings.Contains(string(out), "not enrolled") {
				t.Errorf("no hint about enrolling:\n%s", out)
			}
		})
	}
}

func TestMaintainerScriptsParse(t *testing.T) {
	names := []string{"postinstall", "preremove", "postremove"}
	sort.Strings(names)
	for _, n := range names {
		cmd := exec.Command("sh", "-n")
		cmd.Stdin = strings.NewReader(linuxpkg.Script(n))
		if out, err := cmd.CombinedOutput(); err != nil || linuxpkg.Script(n) == "" {
			t.Errorf("%s: %v\n%s", n, err, out)
		}
	}
}
