// Package install changes what is installed on the device: it installs
// patches with the OS's package manager or the Windows Update Agent, and
// uninstalls software by the UninstallID the health collectors reported.
// It validates every ID a technician sends before any tool runs: nothing
// that could be read as an option, a glob or a shell metacharacter reaches
// a command line. The OS tools and the Windows handles come from a
// health.Env, so tests drive it with the same fakes as the collectors.
package install

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/steward-rmm/steward/agent/health"
	"github.com/steward-rmm/steward/protocol"
)

// Limits on install and uninstall requests.
const (
	maxInstallIDs = 1000
	maxOutput     = 64 << 10 // bytes of tool output kept in a result
)

// validIDs checks each requested ID and drops repeats.
func validIDs(source string, ids []string) ([]string, error) {
	if len(ids) > maxInstallIDs {
		return nil, fmt.Errorf("too many ids (%d, at most %d)", len(ids), maxInstallIDs)
	}
	for _, id := range ids {
		if err := health.ValidPatchID(source, id); err != nil {
			return nil, err
		}
	}
	return uniq(ids), nil
}

// sourceOS is the OS each patch source runs on.
var sourceOS = map[string]string{
	health.SourceApt: "linux", health.SourceDNF: "linux", health.SourceYum: "linux", health.SourceZypper: "linux",
	health.SourceSoftwareUpdate: "darwin", health.SourceWUA: "windows",
}

var aptOpts = []string{"-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"}

// PatchPlan returns the commands that install p.IDs (all available
// updates when empty) with source on goos, as argument lists run without a
// shell. IDs are validated first. For "wua" the plan is empty: Install
// drives the Windows Update Agent directly.
func PatchPlan(goos, source string, p protocol.PatchInstall) ([][]string, error) {
	if want, ok := sourceOS[source]; !ok || want != goos {
		return nil, fmt.Errorf("patch source %q not supported on %s", source, goos)
	}
	ids, err := validIDs(source, p.IDs)
	if err != nil {
		return nil, err
	}
	switch source {
	case health.SourceApt:
		env := []string{"env", "DEBIAN_FRONTEND=noninteractive", "apt-get"}
		if len(ids) == 0 {
			return [][]string{concat(env, []string{"upgrade", "-y"}, aptOpts)}, nil
		}
		return [][]string{concat(env, []string{"install", "-y", "--only-upgrade"}, aptOpts, ids)}, nil
	case health.SourceDNF, health.SourceYum:
		verb := "upgrade"
		if source == health.SourceYum {
			verb = "update"
		}
		base := []string{source, verb, "-y"}
		if len(ids) == 0 {
			return [][]string{base}, nil
		}
		var advs, pkgs []string
		for _, id := range ids {
			if health.IsAdvisoryID(id) {
				advs = append(advs, "--advisory="+id)
			} else {
				pkgs = append(pkgs, id)
			}
		}
		var plan [][]string
		if len(advs) > 0 {
			plan = append(plan, concat(base, advs))
		}
		if len(pkgs) > 0 {
			plan = append(plan, concat(base, pkgs))
		}
		return plan, nil
	case health.SourceZypper:
		patch := []string{"zypper", "--non-interactive", "patch", "--auto-agree-with-licenses"}
		update := []string{"zypper", "--non-interactive", "update", "--auto-agree-with-licenses"}
		if len(ids) == 0 {
			return [][]string{patch, update}, nil
		}
		var patches, pkgs []string
		for _, id := range ids {
			if strings.HasPrefix(id, "patch:") {
				patches = append(patches, id)
			} else {
				pkgs = append(pkgs, id)
			}
		}
		var plan [][]string
		if len(patches) > 0 {
			plan = append(plan, concat([]string{"zypper", "--non-interactive", "install", "--auto-agree-with-licenses"}, patches))
		}
		if len(pkgs) > 0 {
			plan = append(plan, concat(update, pkgs))
		}
		return plan, nil
	case health.SourceSoftwareUpdate:
		if len(ids) == 0 {
			return [][]string{{"softwareupdate", "--install", "--all"}}, nil
		}
		return [][]string{concat([]string{"softwareupdate", "--install"}, ids)}, nil
	case health.SourceWUA:
		return nil, nil
	}
	return nil, fmt.Errorf("unknown patch source %q", source)
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// patchSource is the patch source Install uses on this device.
func patchSource(e health.Env) string {
	switch e.GOOS {
	case "linux":
		return health.LinuxSource(e)
	case "windows":
		return health.SourceWUA
	case "darwin":
		return health.SourceSoftwareUpdate
	}
	return ""
}

// Patches installs the requested patches (all available when p.IDs is
// empty). Tool output goes to out as each command finishes. Which IDs were
// installed is decided by scanning again afterwards: an ID still offered
// failed. RebootRequired is re-checked after the install. The reboot
// policy itself is the caller's.
func Patches(ctx context.Context, e health.Env, p protocol.PatchInstall, out func(stream string, b []byte)) protocol.PatchInstallResult {
	e = e.WithDefaults()
	if out == nil {
		out = func(string, []byte) {}
	}
	source := patchSource(e)
	var res protocol.PatchInstallResult
	fail := func(err error) protocol.PatchInstallResult {
		for _, id := range p.IDs {
			res.Failed = append(res.Failed, health.Clean(id, health.MaxField))
		}
		res.Output = health.Clean(err.Error(), health.MaxDetail)
		out("stderr", []byte(res.Output+"\n"))
		return res
	}
	plan, err := PatchPlan(e.GOOS, source, p)
	if err != nil {
		return fail(err)
	}
	ids := uniq(p.IDs)
	if source == health.SourceWUA {
		return installWUA(ctx, e, ids, out)
	}

	before := health.Patches(ctx, e, false)
	var buf bytes.Buffer
	allOK, rebootFlag := true, false
	for _, cmd := range plan {
		for attempt := 0; attempt < 2; attempt++ {
			b, err := e.Run(ctx, cmd[0], cmd[1:]...)
			out("stdout", b)
			buf.Write(b)
			code := health.ExitCode(err)
			if source == health.SourceZypper {
				if code == health.ZypperInfoReboot {
					rebootFlag = true
				}
				if code == health.ZypperInfoRestart && attempt == 0 {
					continue // zypper updated itself; the rest comes on a second run
				}
				if !health.ZypperOK(code) {
					allOK = false
				}
			} else if err != nil {
				allOK = false
				fmt.Fprintf(&buf, "\n%s: %v\n", cmd[0], err)
			}
			break
		}
		if ctx.Err() != nil {
			allOK = false
			break
		}
	}

	requested := ids
	if len(requested) == 0 {
		for _, a := range before.Available {
			requested = append(requested, a.ID)
		}
	}
	after := health.Patches(ctx, e, false)
	still := map[string]bool{}
	for _, a := range after.Available {
		still[a.ID] = true
	}
	restarts := map[string]bool{}
	for _, a := range before.Available {
		restarts[a.ID] = a.RebootRequired
	}
	for _, id := range requested {
		switch {
		case after.Error != "" && allOK, after.Error == "" && !still[id]:
			res.Installed = append(res.Installed, id)
			rebootFlag = rebootFlag || restarts[id]
		default:
			res.Failed = append(res.Failed, id)
		}
	}
	res.RebootRequired = rebootFlag || health.RebootStatus(ctx, e, after.Available, after.Error == "").Pending
	res.Output = tailString(buf.Bytes(), maxOutput)
	return res
}

func installWUA(ctx context.Context, e health.Env, ids []string, out func(string, []byte)) protocol.PatchInstallResult {
	var res protocol.PatchInstallResult
	if e.WUA == nil {
		res.Failed = ids
		res.Output = "windows update agent unavailable"
		out("stderr", []byte(res.Output+"\n"))
		return res
	}
	r, err := e.WUA.Install(ctx, ids)
	res.Installed, res.Failed, res.RebootRequired = r.Installed, r.Failed, r.RebootRequired
	res.Output = r.Output
	if err != nil {
		res.Output += "\n" + err.Error()
		done := map[string]bool{}
		for _, id := range concat(r.Installed, r.Failed) {
			done[strings.ToLower(id)] = true
		}
		for _, id := range ids {
			if !done[strings.ToLower(id)] {
				res.Failed = append(res.Failed, id)
			}
		}
	}
	out("stdout", []byte(res.Output))
	if !res.RebootRequired {
		res.RebootRequired = health.RebootStatus(ctx, e, nil, true).Pending
	}
	res.Output = tailString([]byte(res.Output), maxOutput)
	return res
}

func tailString(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// uniq drops empty and repeated IDs, keeping the first of each in order.
func uniq(items []string) []string {
	seen := make(map[string]bool, len(items))
	out := items[:0:0]
	for _, s := range items {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
