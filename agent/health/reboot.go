package health

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/protocol"
	"howett.net/plist"
)

// Reboot reports whether the device needs a reboot and why. saw3010 says an
// installer run by the agent exited with 3010 ("reboot required") since the
// last boot. Indicators that cannot be read are logged and skipped.
func Reboot(ctx context.Context, e Env, saw3010 bool) protocol.RebootStatus {
	e = e.WithDefaults()
	st, errs := reboot(ctx, e, saw3010, nil, false)
	for _, err := range errs {
		e.Log.Warn("reboot check failed", "err", err)
	}
	return st
}

// RebootStatus reports whether a reboot is pending and why, without the
// Windows 3010 memory (the installers ask after an install). patches and
// havePatches are as for reboot.
func RebootStatus(ctx context.Context, e Env, patches []protocol.Patch, havePatches bool) protocol.RebootStatus {
	st, _ := reboot(ctx, e.WithDefaults(), false, patches, havePatches)
	return st
}

// errUnsupported marks a tool that exists but is too old for what we ask;
// it is logged, not reported as a failure.
var errUnsupported = errors.New("tool does not support this query")

// reboot gathers the reasons. On macOS the softwareupdate list tells; when
// havePatches is set, patches is that list and no new scan is run.
func reboot(ctx context.Context, e Env, saw3010 bool, patches []protocol.Patch, havePatches bool) (protocol.RebootStatus, []error) {
	var reasons []protocol.RebootReason
	var errs []error
	switch e.GOOS {
	case "linux":
		reasons, errs = rebootLinux(ctx, e)
	case "windows":
		reasons, errs = rebootWindows(ctx, e)
	case "darwin":
		if !havePatches {
			patches, errs = darwinCachedUpdates(ctx, e)
		}
		reasons = rebootDarwin(e, patches)
	}
	if saw3010 {
		reasons = append(reasons, protocol.RebootReason{Code: "agent.exit-3010", Detail: "an installer run by the agent exited with 3010 (reboot required)"})
	}
	if len(reasons) > maxReasons {
		reasons = reasons[:maxReasons]
	}
	st := protocol.RebootStatus{Reasons: reasons}
	for _, r := range reasons {
		if !r.Weak {
			st.Pending = true
		}
	}
	var kept []error
	for _, err := range errs {
		if errors.Is(err, errUnsupported) {
			e.Log.Debug("reboot indicator unavailable", "err", err)
			continue
		}
		kept = append(kept, err)
	}
	return st, kept
}

func rebootLinux(ctx context.Context, e Env) ([]protocol.RebootReason, []error) {
	var rs []protocol.RebootReason
	var errs []error
	// Debian/Ubuntu: update-notifier-common and unattended-upgrades write these.
	if e.exists("/run/reboot-required") {
		b, _ := readCapped(e.path("/run/reboot-required.pkgs"), 1<<20)
		rs = append(rs, protocol.RebootReason{Code: "linux.reboot-required", Detail: joinCapped(ParseRebootRequiredPkgs(b))})
	}
	// SUSE's zypp writes this after updates that want a reboot.
	if e.exists("/run/reboot-needed") {
		rs = append(rs, protocol.RebootReason{Code: "linux.reboot-needed", Detail: "/run/reboot-needed exists"})
	}
	if e.Has("zypper") {
		out, err := e.Run(ctx, "zypper", "--non-interactive", "needs-rebooting")
		switch code := ExitCode(err); {
		case code == 102:
			rs = append(rs, protocol.RebootReason{Code: "linux.zypper-needs-rebooting", Detail: firstLine(out)})
		case code == 0:
		case looksUnsupported(out):
			errs = append(errs, fmt.Errorf("zypper needs-rebooting: %w", errUnsupported))
		default:
			errs = append(errs, fmt.Errorf("zypper needs-rebooting: %w", err))
		}
	}
	var nrCmd []string
	switch {
	case e.Has("needs-restarting"):
		nrCmd = []string{"needs-restarting", "-r"}
	case e.Has("dnf"):
		nrCmd = []string{"dnf", "needs-restarting", "-r"}
	}
	if nrCmd != nil {
		out, err := e.Run(ctx, nrCmd[0], nrCmd[1:]...)
		pending, pkgs, perr := ParseNeedsRestarting(out, ExitCode(err))
		switch {
		case perr != nil:
			errs = append(errs, fmt.Errorf("%s: %w", strings.Join(nrCmd, " "), perr))
		case pending:
			rs = append(rs, protocol.RebootReason{Code: "linux.needs-restarting", Detail: joinCapped(pkgs)})
		}
	}
	if e.Has("needrestart") {
		// Batch mode never restarts anything; -k limits it to the kernel check.
		out, err := e.Run(ctx, "needrestart", "-b", "-k")
		if err != nil {
			errs = append(errs, fmt.Errorf("needrestart: %w", err))
		} else if nr := ParseNeedrestart(out); nr.KernelStatus == 2 || nr.KernelStatus == 3 {
			rs = append(rs, protocol.RebootReason{Code: "linux.needrestart-kernel",
				Detail: Clean(fmt.Sprintf("running %s, expected %s", nr.KernelCurrent, nr.KernelExpected), MaxDetail)})
		}
	}
	if running, newest, ok := newerKernel(e); ok {
		rs = append(rs, protocol.RebootReason{Code: "linux.newer-kernel",
			Detail: Clean(fmt.Sprintf("running %s, installed %s", running, newest), MaxDetail)})
	}
	return rs, errs
}

func readCapped(p string, n int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(io.LimitReader(f, n))
	return b.Bytes(), err
}

func firstLine(b []byte) string {
	for _, l := range strings.Split(string(b), "\n") {
		if l = Clean(l, MaxDetail); l != "" {
			return l
		}
	}
	return ""
}

// looksUnsupported spots "unknown command / option" answers from tools too
// old for the query.
func looksUnsupported(out []byte) bool {
	s := strings.ToLower(string(out))
	for _, m := range []string{"no such option", "no such command", "unknown command", "unknown argument", "unrecognized option", "unknown option"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

var pkgNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9+._:~@-]*$`)

// ParseRebootRequiredPkgs parses /run/reboot-required.pkgs: one package per
// line, repeated once per trigger. It returns the distinct names in order.
func ParseRebootRequiredPkgs(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && len(l) <= MaxField && pkgNameRE.MatchString(l) {
			out = append(out, l)
		}
		if len(out) >= 4*maxReasons {
			break
		}
	}
	return uniq(out)
}

// ParseNeedsRestarting reads `needs-restarting -r` (yum-utils, dnf4 plugin,
// dnf5) with its exit status: 1 means a reboot is needed, 0 means not. It
// returns the packages the tool names. Output of a version without -r is an
// error wrapping errUnsupported.
func ParseNeedsRestarting(out []byte, exit int) (pending bool, pkgs []string, err error) {
	text := string(out)
	if looksUnsupported(out) {
		return false, nil, fmt.Errorf("%w: %s", errUnsupported, lastNonEmptyLine(text))
	}
	lower := strings.ToLower(text)
	said := strings.Contains(lower, "reboot is required") || strings.Contains(lower, "reboot is suggested")
	// dnf says "should not be", yum-utils "is probably not".
	saidNo := strings.Contains(lower, "reboot should not be necessary") || strings.Contains(lower, "reboot is probably not necessary")
	switch {
	case exit == 1 || said:
		pending = true
	case exit == 0 || saidNo:
		pending = false
	default:
		return false, nil, fmt.Errorf("unexpected exit status %d: %s", exit, lastNonEmptyLine(text))
	}
	if !pending {
		return false, nil, nil
	}
	in := false
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "Core libraries or services have been updated"):
			in = true
			continue
		case !in:
			continue
		case t == "" || strings.HasPrefix(t, "Reboot is") || strings.HasPrefix(t, "More information"):
			in = false
			continue
		}
		t = strings.TrimPrefix(t, "* ")
		if name, _, ok := strings.Cut(t, " -> "); ok {
			t = name
		}
		t = strings.TrimSpace(t)
		if pkgNameRE.MatchString(t) && len(t) <= MaxField {
			pkgs = append(pkgs, t)
		}
	}
	return true, uniq(pkgs), nil
}

func lastNonEmptyLine(s string) string {
	ls := strings.Split(s, "\n")
	for i := len(ls) - 1; i >= 0; i-- {
		if l := Clean(ls[i], MaxDetail); l != "" {
			return l
		}
	}
	return ""
}

// Needrestart is the kernel part of `needrestart -b` output.
type Needrestart struct {
	KernelCurrent  string // NEEDRESTART-KCUR
	KernelExpected string // NEEDRESTART-KEXP
	// KernelStatus is NEEDRESTART-KSTA: 0 unknown, 1 current, 2 ABI
	// compatible upgrade pending, 3 version upgrade pending; -1 when absent.
	KernelStatus int
	Services     []string // NEEDRESTART-SVC
}

// ParseNeedrestart parses needrestart's batch (apt-dater) output.
func ParseNeedrestart(b []byte) Needrestart {
	nr := Needrestart{KernelStatus: -1}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 4096), 64<<10)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		v = Clean(v, MaxField)
		switch strings.TrimSpace(k) {
		case "NEEDRESTART-KCUR":
			nr.KernelCurrent = v
		case "NEEDRESTART-KEXP":
			nr.KernelExpected = v
		case "NEEDRESTART-KSTA":
			if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 3 {
				nr.KernelStatus = n
			}
		case "NEEDRESTART-SVC":
			if v != "" && len(nr.Services) < maxReasons {
				nr.Services = append(nr.Services, v)
			}
		}
	}
	return nr
}

// newerKernel compares the running kernel with the kernels installed under
// /lib/modules, /usr/lib/modules and /boot, among those of the same flavour.
func newerKernel(e Env) (running, newest string, ok bool) {
	b, err := readCapped(e.path("/proc/sys/kernel/osrelease"), 256)
	running = strings.TrimSpace(string(b))
	if err != nil || running == "" {
		return "", "", false
	}
	flavor := kernelFlavor(running)
	for _, v := range installedKernels(e) {
		if kernelFlavor(v) != flavor || CompareVersions(v, running) <= 0 {
			continue
		}
		if newest == "" || CompareVersions(v, newest) > 0 {
			newest = v
		}
	}
	return running, newest, newest != ""
}

// installedKernels lists kernel releases that have an image, or a module
// tree depmod has indexed; leftover module directories of removed kernels
// (third-party modules only) have neither.
func installedKernels(e Env) []string {
	var out []string
	for _, dir := range []string{"/lib/modules", "/usr/lib/modules"} {
		ents, _ := os.ReadDir(e.path(dir))
		for _, d := range ents {
			v := d.Name()
			if !d.IsDir() || !kernelRelRE.MatchString(v) {
				continue
			}
			base := path.Join(dir, v)
			if e.exists(base+"/vmlinuz") || e.exists(base+"/modules.dep") || e.exists("/boot/vmlinuz-"+v) {
				out = append(out, v)
			}
		}
	}
	ents, _ := os.ReadDir(e.path("/boot"))
	for _, d := range ents {
		v, ok := strings.CutPrefix(d.Name(), "vmlinuz-")
		if ok && !d.IsDir() && kernelRelRE.MatchString(v) && !strings.Contains(v, "rescue") && !strings.HasSuffix(v, ".old") {
			out = append(out, v)
		}
	}
	return uniq(out)
}

var kernelRelRE = regexp.MustCompile(`^[0-9]+\.[0-9]+[A-Za-z0-9._+~-]*$`)

// Windows registry locations of pending-reboot indicators.
const (
	regCBS        = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing`
	regWU         = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate`
	regSessionMgr = `HKLM\SYSTEM\CurrentControlSet\Control\Session Manager`
	regUpdates    = `HKLM\SOFTWARE\Microsoft\Updates`
	regActiveName = `HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ActiveComputerName`
	regPendName   = `HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName`
	regNetlogon   = `HKLM\SYSTEM\CurrentControlSet\Services\Netlogon`
)

func rebootWindows(ctx context.Context, e Env) ([]protocol.RebootReason, []error) {
	var errs []error
	var rs []protocol.RebootReason
	if e.Registry != nil {
		rs = RebootFromRegistry(e.Registry)
	} else {
		errs = append(errs, errors.New("registry unavailable"))
	}
	if e.WUA != nil {
		need, err := e.WUA.RebootRequired(ctx)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("windows update agent: %w", err))
		case need:
			rs = append(rs, protocol.RebootReason{Code: "windows.wua-reboot-required", Detail: "Windows Update Agent reports a reboot is required"})
		}
	}
	return rs, errs
}

// RebootFromRegistry reads the registry indicators of a pending reboot.
// PendingFileRenameOperations is reported as weak: many installers leave
// entries there that do not need a reboot to be useful.
func RebootFromRegistry(r Registry) []protocol.RebootReason {
	var rs []protocol.RebootReason
	add := func(code, detail string, weak bool) {
		rs = append(rs, protocol.RebootReason{Code: code, Detail: Clean(detail, MaxDetail), Weak: weak})
	}
	keyCheck := func(p, code, detail string) {
		if r.KeyExists(p) {
			add(code, detail, false)
		}
	}
	keyCheck(regCBS+`\RebootPending`, "windows.cbs-reboot-pending", "Component Based Servicing: RebootPending")
	keyCheck(regCBS+`\RebootInProgress`, "windows.cbs-reboot-in-progress", "Component Based Servicing: RebootInProgress")
	keyCheck(regCBS+`\PackagesPending`, "windows.cbs-packages-pending", "Component Based Servicing: PackagesPending")
	if p := regWU + `\Auto Update\RebootRequired`; r.KeyExists(p) {
		detail := "Windows Update: RebootRequired"
		if vals, err := r.Values(p); err == nil && len(vals) > 0 {
			detail += fmt.Sprintf(" (%d updates)", len(vals))
		}
		add("windows.wu-reboot-required", detail, false)
	}
	keyCheck(regWU+`\Auto Update\PostRebootReporting`, "windows.wu-post-reboot-reporting", "Windows Update: PostRebootReporting")
	// The Pending key itself can linger empty; a service GUID under it is
	// the signal.
	if subs, err := r.SubKeys(regWU + `\Services\Pending`); err == nil && len(subs) > 0 {
		add("windows.wu-services-pending", fmt.Sprintf("Windows Update: %d services pending", len(subs)), false)
	}
	if vals, err := r.Values(regUpdates); err == nil {
		if n, ok := regUint(vals, "UpdateExeVolatile"); ok && n != 0 {
			add("windows.update-exe-volatile", fmt.Sprintf("UpdateExeVolatile = %d", n), false)
		}
	}
	if vals, err := r.Values(regUpdates + `\UpdateExeVolatile`); err == nil {
		if n, ok := regUint(vals, "Flags"); ok && n != 0 {
			add("windows.update-exe-volatile", fmt.Sprintf("UpdateExeVolatile Flags = %d", n), false)
		}
	}
	if vals, err := r.Values(regSessionMgr); err == nil {
		renames := append(regStrings(vals, "PendingFileRenameOperations"), regStrings(vals, "PendingFileRenameOperations2")...)
		if len(renames) > 0 {
			add("windows.pending-file-rename", fmt.Sprintf("%d pending file operations, first %s", len(renames), renames[0]), true)
		}
	}
	active, _ := r.Values(regActiveName)
	pending, _ := r.Values(regPendName)
	if a, p := regString(active, "ComputerName"), regString(pending, "ComputerName"); a != "" && p != "" && !strings.EqualFold(a, p) {
		add("windows.computer-rename", fmt.Sprintf("computer name %s becomes %s", a, p), false)
	}
	if vals, err := r.Values(regNetlogon); err == nil {
		_, join := regValue(vals, "JoinDomain")
		_, spn := regValue(vals, "AvoidSpnSet")
		if join || spn {
			add("windows.domain-join", "a domain join is pending", false)
		}
	}
	return uniqReasons(rs)
}

func uniqReasons(rs []protocol.RebootReason) []protocol.RebootReason {
	seen := map[string]bool{}
	out := rs[:0]
	for _, r := range rs {
		if !seen[r.Code] {
			seen[r.Code] = true
			out = append(out, r)
		}
	}
	return out
}

// darwinCachedUpdates lists what the last softwareupdate scan found,
// without a new (slow, networked) scan.
func darwinCachedUpdates(ctx context.Context, e Env) ([]protocol.Patch, []error) {
	out, err := e.Run(ctx, "softwareupdate", "--list", "--no-scan")
	if err != nil && !suNothingNew(out) {
		if looksUnsupported(out) {
			return nil, []error{fmt.Errorf("softwareupdate --no-scan: %w", errUnsupported)}
		}
		return nil, []error{fmt.Errorf("softwareupdate --list --no-scan: %w", err)}
	}
	return ParseSoftwareUpdate(out), nil
}

// rebootDarwin turns updates whose action is a restart into a reason. Apple
// only says an update will need a restart once installed; staged downloads
// in /Library/Updates make that imminent, and the detail says so.
func rebootDarwin(e Env, patches []protocol.Patch) []protocol.RebootReason {
	var labels []string
	for _, p := range patches {
		if p.RebootRequired {
			labels = append(labels, p.ID)
		}
	}
	if len(labels) == 0 {
		return nil
	}
	detail := "updates that restart: " + joinCapped(labels)
	if n := stagedUpdates(e); n > 0 {
		detail = fmt.Sprintf("%d downloaded; %s", n, detail)
	}
	return []protocol.RebootReason{{Code: "darwin.softwareupdate-restart", Detail: Clean(detail, MaxDetail)}}
}

// stagedUpdates counts products downloaded into /Library/Updates.
func stagedUpdates(e Env) int {
	b, err := readCapped(e.path("/Library/Updates/index.plist"), 4<<20)
	if err != nil {
		return 0
	}
	var idx struct {
		ProductPaths map[string]any `plist:"ProductPaths"`
	}
	if _, err := plist.Unmarshal(b, &idx); err != nil {
		return 0
	}
	return len(idx.ProductPaths)
}
