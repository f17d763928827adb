// Package linuxpkg builds the agent's deb and rpm packages with nfpm. The
// packages put the binary at /usr/lib/steward/steward-agent (0755 root)
// and the systemd unit at /usr/lib/systemd/system/steward-agent.service;
// their postinstall enrolls the device from /etc/steward/enroll.env (or
// STEWARD_* environment variables) when it has no identity yet, then
// enables and starts the unit; their preremove stops and disables it.
//
// It is apart from package installer so the server, which renders install
// scripts, does not link nfpm.
package linuxpkg

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
	"github.com/goreleaser/nfpm/v2/rpm"
)

// Paths inside the packages.
const (
	BinPath  = "/usr/lib/steward/steward-agent"
	UnitPath = "/usr/lib/systemd/system/steward-agent.service"
	ConfDir  = "/etc/steward"
)

//go:embed files/steward-agent.service files/postinstall.sh files/preremove.sh files/postremove.sh
var assets embed.FS

// Unit is the systemd unit the packages install. It matches the unit the
// agent writes for itself (agent/service), with the package's binary path;
// a test keeps the two in step.
func Unit() string {
	b, _ := assets.ReadFile("files/steward-agent.service")
	return string(b)
}

// Script returns a maintainer script by name (postinstall, preremove,
// postremove).
func Script(name string) string {
	b, _ := assets.ReadFile("files/" + name + ".sh")
	return string(b)
}

// BuildPackages writes the deb and rpm of the agent at binPath for arch
// (amd64 or arm64) into outDir and returns their paths.
func BuildPackages(outDir, binPath, version, arch string) ([]string, error) {
	if arch != "amd64" && arch != "arm64" {
		return nil, fmt.Errorf("linuxpkg: arch must be amd64 or arm64, got %q", arch)
	}
	if _, err := os.Stat(binPath); err != nil {
		return nil, fmt.Errorf("linuxpkg: agent binary: %w", err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("linuxpkg: %w", err)
	}
	// nfpm reads scripts and files from paths: stage the embedded ones.
	stage, err := os.MkdirTemp("", "steward-pkg-")
	if err != nil {
		return nil, fmt.Errorf("linuxpkg: %w", err)
	}
	defer os.RemoveAll(stage)
	staged := map[string]string{}
	for _, n := range []string{"steward-agent.service", "postinstall.sh", "preremove.sh", "postremove.sh"} {
		b, _ := assets.ReadFile("files/" + n)
		p := filepath.Join(stage, n)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, fmt.Errorf("linuxpkg: %w", err)
		}
		staged[n] = p
	}
	root := func(mode os.FileMode) *files.ContentFileInfo {
		return &files.ContentFileInfo{Owner: "root", Group: "root", Mode: mode}
	}
	info := nfpm.WithDefaults(&nfpm.Info{
		Name:        "steward-agent",
		Arch:        arch,
		Platform:    "linux",
		Version:     packageVersion(version),
		Maintainer:  "Steward <steward@localhost>",
		Description: "Steward RMM agent: keeps this device connected to its Steward server.",
		Vendor:      "Steward",
		Section:     "admin",
		Priority:    "optional",
		Homepage:    "https://github.com/steward-rmm/steward",
		License:     "Proprietary",
		// Reproducible: the same inputs make the same package.
		MTime: time.Unix(0, 0).UTC(),
		Overridables: nfpm.Overridables{
			Contents: files.Contents{
				{Source: binPath, Destination: BinPath, FileInfo: root(0o755)},
				{Source: staged["steward-agent.service"], Destination: UnitPath, FileInfo: root(0o644)},
				{Destination: filepath.Dir(BinPath), Type: files.TypeDir, FileInfo: root(0o755)},
				{Destination: ConfDir, Type: files.TypeDir, FileInfo: root(0o700)},
			},
			Scripts: nfpm.Scripts{PostInstall: staged["postinstall.sh"], PreRemove: staged["preremove.sh"],
				PostRemove: staged["postremove.sh"]},
		},
	})
	var out []string
	for _, p := range []struct {
		name string
		pkg  nfpm.Packager
	}{{"deb", deb.Default}, {"rpm", rpm.DefaultRPM}} {
		// Each packager adjusts the info it is given: build from a copy.
		i := *info
		i.Contents = append(files.Contents(nil), info.Contents...)
		for k, c := range i.Contents {
			cc := *c
			fi := *c.FileInfo
			cc.FileInfo = &fi
			i.Contents[k] = &cc
		}
		i.Target = filepath.Join(outDir, p.pkg.ConventionalFileName(&i))
		f, err := os.Create(i.Target)
		if err != nil {
			return out, fmt.Errorf("linuxpkg: %w", err)
		}
		err = p.pkg.Package(&i, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(i.Target)
			return out, fmt.Errorf("linuxpkg: build %s: %w", p.name, err)
		}
		out = append(out, i.Target)
	}
	return out, nil
}

// packageVersion makes a version deb and rpm both order and accept from a
// build version: "v1.2.3" -> "1.2.3", "1.2.3-rc.1" -> "1.2.3-rc.1" (a
// pre-release, before 1.2.3), "1.2.3-4-gabc" (git describe: after the tag)
// -> "1.2.3+4.gabc", and anything not starting with a dotted number
// ("dev", a bare commit "5ecd54b-dirty") -> "0.0.0-dev" / "0.0.0-5ecd54b.dirty".
// The pre-release keeps only letters, digits and dots, since a hyphen
// means something else to both dpkg and rpm.
func packageVersion(v string) string {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	core, rest := "0.0.0", v
	after := false
	if m := versionRE.FindStringSubmatch(v); m != nil {
		core, rest = m[1], m[2]
		after = gitDescribeRE.MatchString(rest)
	}
	rest = strings.Trim(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '.'
	}, rest), ".")
	for strings.Contains(rest, "..") {
		rest = strings.ReplaceAll(rest, "..", ".")
	}
	switch {
	case rest == "":
		return core
	case after:
		return core + "+" + rest
	}
	return core + "-" + rest
}

var gitDescribeRE = regexp.MustCompile(`^\d+-g[0-9a-f]+(-dirty)?$`)

var versionRE = regexp.MustCompile(`^(\d+(?:\.\d+)*)(?:[-+~](.*))?$`)
