package health

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/steward-rmm/steward/protocol"
)

// Limits on install and uninstall requests.
const (
	maxInstallIDs = 1000
	maxOutput     = 64 << 10 // bytes of tool output kept in a result
)

// ErrUninstallUnsupported is returned where the OS has no uninstaller the
// agent can drive (macOS application bundles).
var ErrUninstallUnsupported = errors.New("uninstall is not supported on this OS")

var (
	// Package names, name.arch, NEVRA, advisories and zypper's patch:NAME.
	// No globs, no '=' or '/' (version and release pinning), no spaces, and
	// never a leading '-'.
	pkgIDRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.+:~-]{0,255}$`)
	// softwareupdate labels: "macOS Tahoe 26.6-25G72",
	// "Command Line Tools (macOS Mojave version 10.14) for Xcode-10.3".
	macLabelRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._()+,:'-]{0,255}$`)
	wuaIDRE    = regexp.MustCompile(`^(KB[0-9]{4,9}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
	guidRE     = regexp.MustCompile(`\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}`)
)

// ValidPatchID checks an ID from a technician against the syntax of the
// source's IDs. Anything that could be read as an option, a glob, a shell
// metacharacter or a control character is refused.
func ValidPatchID(source, id string) error {
	ok := false
	switch source {
	case SourceSoftwareUpdate:
		ok = macLabelRE.MatchString(id) && !strings.HasSuffix(id, " ")
	case SourceWUA:
		ok = wuaIDRE.MatchString(id)
	default:
		ok = pkgIDRE.MatchString(id)
	}
	if !ok {
		return fmt.Errorf("invalid %s id %q", source, clean(id, 64))
	}
	return nil
}

func validIDs(source string, ids []string) ([]string, error) {
	if len(ids) > maxInstallIDs {
		return nil, fmt.Errorf("too many ids (%d, at most %d)", len(ids), maxInstallIDs)
	}
	for _, id := range ids {
		if err := ValidPatchID(source, id); err != nil {
			return nil, err
		}
	}
	return uniq(ids), nil
}

// sourceOS is the OS each patch source runs on.
var sourceOS = map[string]string{
	SourceApt: "linux", SourceDNF: "linux", SourceYum: "linux", SourceZypper: "linux",
	SourceSoftwareUpdate: "darwin", SourceWUA: "windows",
}

var aptOpts = []string{"-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"}

// InstallPlan returns the commands that install p.IDs (all available
// updates when empty) with source on goos, as argument lists run without a
// shell. IDs are validated first. For "wua" the plan is empty: Install
// drives the Windows Update Agent directly.
func InstallPlan(goos, source string, p protocol.PatchInstall) ([][]string, error) {
	if want, ok := sourceOS[source]; !ok || want != goos {
		return nil, fmt.Errorf("patch source %q not supported on %s", source, goos)
	}
	ids, err := validIDs(source, p.IDs)
	if err != nil {
		return nil, err
	}
	switch source {
	case SourceApt:
		env := []string{"env", "DEBIAN_FRONTEND=noninteractive", "apt-get"}
		if len(ids) == 0 {
			return [][]string{concat(env, []string{"upgrade", "-y"}, aptOpts)}, nil
		}
		return [][]string{concat(env, []string{"install", "-y", "--only-upgrade"}, aptOpts, ids)}, nil
	case SourceDNF, SourceYum:
		verb := "upgrade"
		if source == SourceYum {
			verb = "update"
		}
		base := []string{source, verb, "-y"}
		if len(ids) == 0 {
			return [][]string{base}, nil
		}
		var advs, pkgs []string
		for _, id := range ids {
			if advisoryRE.MatchString(id) {
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
	case SourceZypper:
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
	case SourceSoftwareUpdate:
		if len(ids) == 0 {
			return [][]string{{"softwareupdate", "--install", "--all"}}, nil
		}
		return [][]string{concat([]string{"softwareupdate", "--install"}, ids)}, nil
	case SourceWUA:
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
func patchSource(e Env) string {
	switch e.GOOS {
	case "linux":
		return linuxSource(e)
	case "windows":
		return SourceWUA
	case "darwin":
		return SourceSoftwareUpdate
	}
	return ""
}

// Install installs the requested patches (all available when p.IDs is
// empty). Tool output goes to out as each command finishes. Which IDs were
// installed is decided by scanning again afterwards: an ID still offered
// failed. RebootRequired is re-checked after the install. The reboot
// policy itself is the caller's.
func Install(ctx context.Context, e Env, p protocol.PatchInstall, out func(stream string, b []byte)) protocol.PatchInstallResult {
	e = e.withDefaults()
	if out == nil {
		out = func(string, []byte) {}
	}
	source := patchSource(e)
	var res protocol.PatchInstallResult
	fail := func(err error) protocol.PatchInstallResult {
		for _, id := range p.IDs {
			res.Failed = append(res.Failed, clean(id, maxField))
		}
		res.Output = clean(err.Error(), maxDetail)
		out("stderr", []byte(res.Output+"\n"))
		return res
	}
	plan, err := InstallPlan(e.GOOS, source, p)
	if err != nil {
		return fail(err)
	}
	ids := uniq(p.IDs)
	if source == SourceWUA {
		return installWUA(ctx, e, ids, out)
	}

	before := Patches(ctx, e, false)
	var buf bytes.Buffer
	allOK, rebootFlag := true, false
	for _, cmd := range plan {
		for attempt := 0; attempt < 2; attempt++ {
			b, err := e.Run(ctx, cmd[0], cmd[1:]...)
			out("stdout", b)
			buf.Write(b)
			code := exitCode(err)
			if source == SourceZypper {
				if code == zypperInfoReboot {
					rebootFlag = true
				}
				if code == zypperInfoRestart && attempt == 0 {
					continue // zypper updated itself; the rest comes on a second run
				}
				if !zypperOK(code) {
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
	after := Patches(ctx, e, false)
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
	st, _ := reboot(ctx, e, false, after.Available, after.Error == "")
	res.RebootRequired = rebootFlag || st.Pending
	res.Output = tailString(buf.Bytes(), maxOutput)
	return res
}

func installWUA(ctx context.Context, e Env, ids []string, out func(string, []byte)) protocol.PatchInstallResult {
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
		st, _ := reboot(ctx, e, false, nil, true)
		res.RebootRequired = st.Pending
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

// SourcePacman names pacman as a removal tool for UninstallPlan.
const SourcePacman = "pacman"

// UninstallPlan returns the command that removes the package id with a
// package manager (apt, dnf, yum, zypper, pacman). Windows programs are
// removed with RegistryUninstallPlan, which needs the key's values; macOS
// bundles cannot be uninstalled.
func UninstallPlan(goos, source, id string) ([]string, error) {
	if goos == "darwin" {
		return nil, ErrUninstallUnsupported
	}
	if goos != "linux" {
		return nil, fmt.Errorf("uninstall with %q not supported on %s", source, goos)
	}
	if !pkgIDRE.MatchString(id) || strings.HasPrefix(id, "patch:") {
		return nil, fmt.Errorf("invalid package id %q", clean(id, 64))
	}
	switch source {
	case SourceApt:
		return []string{"env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "remove", "-y", id}, nil
	case SourceDNF, SourceYum:
		return []string{source, "remove", "-y", id}, nil
	case SourceZypper:
		return []string{"zypper", "--non-interactive", "remove", id}, nil
	case SourcePacman:
		return []string{"pacman", "-R", "--noconfirm", id}, nil
	}
	return nil, fmt.Errorf("unknown package manager %q", source)
}

// remover picks the tool that removes packages of the system's database.
// It is the patch source, or pacman, which Steward lists but does not scan.
func remover(e Env) string {
	if src := linuxSource(e); src != "" {
		return src
	}
	if e.has("pacman") {
		return SourcePacman
	}
	return ""
}

// Uninstall removes one piece of software by the UninstallID Software
// reported. code is the uninstaller's exit status (3010 on Windows
// means done, reboot required); err is set only when nothing could be run.
func Uninstall(ctx context.Context, e Env, id string, out func(string, []byte)) (code int, err error) {
	e = e.withDefaults()
	if out == nil {
		out = func(string, []byte) {}
	}
	var plan []string
	switch e.GOOS {
	case "linux":
		plan, err = UninstallPlan("linux", remover(e), id)
	case "windows":
		if !ValidUninstallKey(id) {
			return -1, fmt.Errorf("not an uninstall registry key: %q", clean(id, 128))
		}
		if e.Registry == nil {
			return -1, errors.New("registry unavailable")
		}
		vals, rerr := e.Registry.Values(id)
		if rerr != nil {
			return -1, fmt.Errorf("read %s: %w", clean(id, 128), rerr)
		}
		plan, err = RegistryUninstallPlan(id, vals)
	case "darwin":
		err = ErrUninstallUnsupported
	default:
		err = fmt.Errorf("uninstall not supported on %s", e.GOOS)
	}
	if err != nil {
		return -1, err
	}
	b, rerr := e.Run(ctx, plan[0], plan[1:]...)
	out("stdout", b)
	code = exitCode(rerr)
	if rerr != nil && code < 0 {
		return -1, rerr
	}
	return code, nil
}

var sidRE = regexp.MustCompile(`^S-1-[0-9]+(-[0-9]+)+$`)

// ValidUninstallKey accepts only a direct subkey of one of the Uninstall
// keys RegistrySoftware reads, so an uninstall job cannot point the agent
// at a command stored anywhere else in the registry.
func ValidUninstallKey(p string) bool {
	root, sub, ok := SplitRegistryPath(p)
	if !ok || len(p) > 512 || strings.Contains(p, `\\`) {
		return false
	}
	i := strings.LastIndexByte(sub, '\\')
	if i < 0 {
		return false
	}
	parent, name := sub[:i], sub[i+1:]
	if name == "" || clean(name, 256) != name {
		return false
	}
	switch root {
	case "HKLM":
		for _, want := range []string{regUninstall64, regUninstall32} {
			_, w, _ := SplitRegistryPath(want)
			if strings.EqualFold(parent, w) {
				return true
			}
		}
	case "HKU":
		sid, rest, ok := strings.Cut(parent, `\`)
		return ok && sidRE.MatchString(sid) && strings.EqualFold(rest, regUserUninst)
	}
	return false
}

// RegistryUninstallPlan builds the uninstall command of one Uninstall key:
// its QuietUninstallString, else msiexec /x {product} /qn for Windows
// Installer products, else its UninstallString. Per-user (HKU) entries are
// written by the user, so only their Windows Installer product code is
// trusted, never their command line, since the agent runs as SYSTEM.
func RegistryUninstallPlan(key string, vals map[string]any) ([]string, error) {
	quiet := strings.TrimSpace(regString(vals, "QuietUninstallString"))
	plain := strings.TrimSpace(regString(vals, "UninstallString"))
	name := key[strings.LastIndexByte(key, '\\')+1:]
	msi := false
	if n, ok := regUint(vals, "WindowsInstaller"); ok && n == 1 {
		msi = true
	}
	if strings.Contains(strings.ToLower(plain), "msiexec") {
		msi = true
	}
	product := ""
	if msi {
		if guidRE.MatchString(name) && len(name) == 38 {
			product = name
		} else {
			product = guidRE.FindString(plain)
		}
	}
	root, _, _ := SplitRegistryPath(key)
	if root == "HKU" {
		if product == "" {
			return nil, errors.New("per-user uninstall commands are not run by the agent; only Windows Installer products can be removed")
		}
		return []string{"msiexec.exe", "/x", product, "/qn", "/norestart"}, nil
	}
	switch {
	case quiet != "":
		return commandArgv(quiet)
	case product != "":
		return []string{"msiexec.exe", "/x", product, "/qn", "/norestart"}, nil
	case plain != "":
		return commandArgv(plain)
	}
	return nil, errors.New("the entry has no uninstall command")
}

// asciiLower lowers ASCII letters only, so byte offsets stay valid (Go's
// ToLower rewrites invalid UTF-8 and can change the length).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func commandArgv(s string) ([]string, error) {
	if len(s) > 4096 || clean(s, 4096) != s {
		return nil, errors.New("uninstall command has control characters or is too long")
	}
	argv := SplitWindowsCommandLine(s)
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("empty uninstall command")
	}
	return argv, nil
}

// SplitWindowsCommandLine splits a command line the way
// CommandLineToArgvW does: the program name ends at the closing quote or
// the first blank; later arguments follow the backslash-quote rules. An
// unquoted program path with spaces ("C:\Program Files\X\uninst.exe /S",
// common in Uninstall keys) is kept whole up to ".exe".
func SplitWindowsCommandLine(s string) []string {
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return nil
	}
	var args []string
	var i int
	if s[0] == '"' {
		j := strings.IndexByte(s[1:], '"')
		if j < 0 {
			return []string{s[1:]}
		}
		args = append(args, s[1:j+1])
		i = j + 2
	} else {
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		if lower := asciiLower(s); !strings.HasSuffix(lower[:end], ".exe") {
			k := strings.Index(lower, ".exe ")
			if k < 0 && strings.HasSuffix(lower, ".exe") {
				k = len(lower) - 4
			}
			if k > end {
				end = k + 4
			}
		}
		args = append(args, s[:end])
		i = end
	}
	for len(args) < 256 {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		var b strings.Builder
		inQuote := false
		for i < len(s) {
			c := s[i]
			if (c == ' ' || c == '\t') && !inQuote {
				break
			}
			switch c {
			case '\\':
				k := 0
				for i+k < len(s) && s[i+k] == '\\' {
					k++
				}
				if i+k < len(s) && s[i+k] == '"' {
					b.WriteString(strings.Repeat(`\`, k/2))
					i += k
					if k%2 == 1 {
						b.WriteByte('"')
						i++
					}
				} else {
					b.WriteString(s[i : i+k])
					i += k
				}
			case '"':
				if inQuote && i+1 < len(s) && s[i+1] == '"' {
					b.WriteByte('"')
					i += 2
					continue
				}
				inQuote = !inQuote
				i++
			default:
				b.WriteByte(c)
				i++
			}
		}
		args = append(args, b.String())
	}
	return args
}
