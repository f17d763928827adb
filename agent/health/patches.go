package health

import (
	"context"
	"errors"
	"fmt"

	"github.com/steward-rmm/steward/protocol"
)

// Patch sources, as reported in PatchStatus.Source.
const (
	SourceApt            = "apt"
	SourceDNF            = "dnf"
	SourceYum            = "yum"
	SourceZypper         = "zypper"
	SourceWUA            = "wua"
	SourceSoftwareUpdate = "softwareupdate"
	// SourcePacman is listed and removed but not scanned.
	SourcePacman = "pacman"
)

// Patches checks for available updates with the OS's own tool. refresh
// first updates the package manager's metadata (apt-get update, dnf
// --refresh, zypper refresh); without it the tool's cache policy applies.
// Failures are reported in PatchStatus.Error, alongside whatever was found.
func Patches(ctx context.Context, e Env, refresh bool) protocol.PatchStatus {
	e = e.WithDefaults()
	st := protocol.PatchStatus{CheckedAt: e.Now()}
	var err error
	switch e.GOOS {
	case "linux":
		st.Source = LinuxSource(e)
		st.Available, err = linuxPatches(ctx, e, st.Source, refresh)
	case "windows":
		st.Source = SourceWUA
		if e.WUA == nil {
			err = errors.New("windows update agent unavailable")
			break
		}
		var us []WUAUpdate
		us, err = e.WUA.Search(ctx, WUACriteria)
		st.Available = MapWUA(us)
	case "darwin":
		st.Source = SourceSoftwareUpdate
		out, rerr := e.Run(ctx, "softwareupdate", "--list")
		st.Available = ParseSoftwareUpdate(out)
		if rerr != nil && !suNothingNew(out) {
			err = fmt.Errorf("softwareupdate --list: %w", rerr)
		}
	default:
		err = fmt.Errorf("patch scan not supported on %s", e.GOOS)
	}
	sortPatches(st.Available)
	if err != nil {
		st.Error = Clean(err.Error(), MaxDetail)
	}
	return st
}

// LinuxSource picks the package manager that owns the system.
func LinuxSource(e Env) string {
	switch {
	case e.Has("apt-get") && e.exists("/var/lib/dpkg/status"):
		return SourceApt
	case e.Has("dnf") || e.Has("dnf5"):
		return SourceDNF
	case e.Has("yum"):
		return SourceYum
	case e.Has("zypper"):
		return SourceZypper
	}
	return ""
}

func linuxPatches(ctx context.Context, e Env, source string, refresh bool) ([]protocol.Patch, error) {
	var errs []error
	var out []protocol.Patch
	switch source {
	case SourceApt:
		if refresh {
			if _, err := e.Run(ctx, "apt-get", "update", "-q"); err != nil {
				errs = append(errs, fmt.Errorf("apt-get update: %w", err))
			}
		}
		b, err := e.Run(ctx, "apt-get", "-s", "upgrade")
		if err != nil {
			errs = append(errs, fmt.Errorf("apt-get -s upgrade: %w", err))
		}
		out = ParseAptSimulate(b)
	case SourceDNF, SourceYum:
		var list, sec []string
		switch {
		case source == SourceYum:
			if refresh {
				if _, err := e.Run(ctx, "yum", "clean", "expire-cache"); err != nil {
					errs = append(errs, fmt.Errorf("yum clean expire-cache: %w", err))
				}
			}
			list = []string{"yum", "check-update"}
			sec = []string{"yum", "updateinfo", "list"}
		case e.Has("dnf5"):
			list = []string{"dnf5", "check-upgrade"}
			sec = []string{"dnf5", "advisory", "list"}
		default:
			list = []string{"dnf", "check-update"}
			sec = []string{"dnf", "updateinfo", "list"}
		}
		if refresh && source == SourceDNF {
			list = append(list, "--refresh")
		}
		b, err := e.Run(ctx, list[0], list[1:]...)
		// 100: updates are available; 0: none.
		if code := ExitCode(err); code != 0 && code != 100 {
			errs = append(errs, fmt.Errorf("%s %s: %w", list[0], list[1], err))
		}
		out = ParseDNFCheckUpdate(b)
		if len(out) > 0 {
			sb, serr := e.Run(ctx, sec[0], sec[1:]...)
			if serr != nil {
				errs = append(errs, fmt.Errorf("%s %s: %w", sec[0], sec[1], serr))
			}
			MergeAdvisories(out, ParseUpdateinfo(sb))
			fillRPMInstalled(ctx, e, out)
		}
	case SourceZypper:
		global := []string{"--non-interactive", "--xmlout"}
		if refresh {
			if b, err := e.Run(ctx, "zypper", "--non-interactive", "refresh"); !ZypperOK(ExitCode(err)) {
				errs = append(errs, fmt.Errorf("zypper refresh: %w: %s", err, lastNonEmptyLine(string(b))))
			}
		} else {
			global = append(global, "--no-refresh")
		}
		for _, cmd := range []string{"list-updates", "list-patches"} {
			b, err := e.Run(ctx, "zypper", append(global, cmd)...)
			ps, perr := ParseZypperXML(b)
			switch {
			case perr != nil:
				errs = append(errs, fmt.Errorf("zypper %s: %w", cmd, perr))
			case !ZypperOK(ExitCode(err)):
				errs = append(errs, fmt.Errorf("zypper %s: %w", cmd, err))
			}
			out = append(out, ps...)
		}
	default:
		return nil, errors.New("no supported package manager (apt, dnf, yum, zypper)")
	}
	if len(out) > maxPatches {
		out = out[:maxPatches]
	}
	return out, errors.Join(errs...)
}

// fillRPMInstalled sets InstalledVersion of name.arch patches from the rpm
// database (the highest installed version, for install-only kernels).
func fillRPMInstalled(ctx context.Context, e Env, ps []protocol.Patch) {
	if !e.Has("rpm") {
		return
	}
	b, err := e.Run(ctx, "rpm", "-qa", "--queryformat", rpmFormat)
	if err != nil {
		e.Log.Debug("rpm query failed", "err", err)
		return
	}
	best := map[string]string{}
	for _, s := range ParseRPMQuery(b) {
		k := s.Name + "." + s.Arch
		if cur, ok := best[k]; !ok || CompareVersions(s.Version, cur) > 0 {
			best[k] = s.Version
		}
	}
	for i := range ps {
		if v, ok := best[ps[i].ID]; ok {
			ps[i].InstalledVersion = v
		}
	}
}
