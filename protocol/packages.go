package protocol

import (
	"fmt"
	"regexp"
	"strings"
)

// Job kinds of the device toolbox: packages through the OS's package
// manager, and a message to the people logged in.
const (
	KindPackage = "package"
	KindMessage = "message"
)

// PackageJob installs, upgrades or removes packages by name.
type PackageJob struct {
	Action string `json:"action"` // install, upgrade, remove
	// Manager is apt, dnf, yum, zypper, pacman, winget, choco or brew;
	// "" = the one the agent detects.
	Manager  string   `json:"manager,omitempty"`
	Packages []string `json:"packages"`
}

// PackageResult is a package run's data.
type PackageResult struct {
	Manager  string   `json:"manager"`
	Action   string   `json:"action"`
	Packages []string `json:"packages"`
}

// PackageManagers are the package managers a package job may name.
var PackageManagers = []string{"apt", "dnf", "yum", "zypper", "pacman", "winget", "choco", "brew"}

// MaxPackages is the most packages one job names.
const MaxPackages = 50

// packageNameRE is each manager's package-name syntax, strict: a letter
// or digit first (never an option), no blanks, shell or glob characters.
// The agent checks again with the manager it runs; the server checks the
// manager's rule when one is named, else anyRE.
var packageNameRE = map[string]*regexp.Regexp{
	// Debian policy: lower case, digits, + - . ; an architecture may follow.
	"apt": regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]{0,127}(:[a-z0-9-]{1,32})?$`),
	// RPM names (with an optional .arch): letters, digits, _ + . -
	"dnf":    regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}$`),
	"yum":    regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}$`),
	"zypper": regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}$`),
	"pacman": regexp.MustCompile(`^[a-z0-9@_+][a-z0-9@._+-]{0,127}$`),
	// winget ids: Publisher.Package, or a Store product id.
	"winget": regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$`),
	"choco":  regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`),
	// formulae and casks, python@3.12, or a tap's user/repo/name.
	"brew": regexp.MustCompile(`^([a-z0-9][a-z0-9_-]{0,38}/[a-z0-9][a-z0-9._-]{0,63}/)?[a-z0-9][a-z0-9@._+-]{0,127}$`),
}

var anyPackageRE = regexp.MustCompile(`^[A-Za-z0-9_@][A-Za-z0-9@._+:/-]{0,160}$`)

// KnownPackageManager reports whether m names a supported manager.
func KnownPackageManager(m string) bool { return packageNameRE[m] != nil }

// ValidPackageName checks a package name for manager ("" = any manager's
// syntax). It refuses option-like, blank, shell and glob text, so a name
// cannot become an option (-oAPT::Update::Pre-Invoke::=...) or a command.
func ValidPackageName(manager, name string) error {
	re := anyPackageRE
	if manager != "" {
		if re = packageNameRE[manager]; re == nil {
			return fmt.Errorf("unknown package manager %q", trimText(manager, 32))
		}
	}
	if !re.MatchString(name) || strings.HasPrefix(name, "-") || strings.Contains(name, "..") {
		return fmt.Errorf("invalid package name %q for %s", trimText(name, 64), managerName(manager))
	}
	return nil
}

func managerName(m string) string {
	if m == "" {
		return "any package manager"
	}
	return m
}

func trimText(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "?")
}

// CheckPackageJob validates a package job as a whole.
func CheckPackageJob(p *PackageJob) error {
	switch p.Action {
	case "install", "upgrade", "remove":
	default:
		return fmt.Errorf("package action must be install, upgrade or remove")
	}
	if p.Manager != "" && !KnownPackageManager(p.Manager) {
		return fmt.Errorf("package manager must be one of %s", strings.Join(PackageManagers, ", "))
	}
	if len(p.Packages) == 0 || len(p.Packages) > MaxPackages {
		return fmt.Errorf("name 1 to %d packages", MaxPackages)
	}
	for _, n := range p.Packages {
		if err := ValidPackageName(p.Manager, n); err != nil {
			return err
		}
	}
	return nil
}

// MessageJob shows a message to the users logged in on the device.
type MessageJob struct {
	Title string `json:"title,omitempty"`
	Text  string `json:"text"`
	// Prompt asks yes or no (Windows and macOS); the answers come back in
	// the run's data.
	Prompt bool `json:"prompt,omitempty"`
	// WaitSeconds is how long a prompt waits for an answer (default 120).
	WaitSeconds int `json:"wait_seconds,omitempty"`
}

// Limits of a message.
const (
	MaxMessageText  = 2000
	MaxMessageTitle = 120
	MaxMessageWait  = 3600
)

// MessageAnswer is one user's part of a message run's data.
type MessageAnswer struct {
	User    string `json:"user"`
	Session string `json:"session,omitempty"` // terminal or session id
	// Answer is yes, no, ok (acknowledged), timeout (no answer in time),
	// shown (no answer possible: terminal, notification) or failed.
	Answer string `json:"answer"`
	Error  string `json:"error,omitempty"`
}

// MessageResult is a message run's data.
type MessageResult struct {
	Answers []MessageAnswer `json:"answers"`
}

// CheckMessageJob validates a message job.
func CheckMessageJob(m *MessageJob) error {
	switch {
	case strings.TrimSpace(m.Text) == "":
		return fmt.Errorf("message text required")
	case len(m.Text) > MaxMessageText:
		return fmt.Errorf("message longer than %d bytes", MaxMessageText)
	case len(m.Title) > MaxMessageTitle:
		return fmt.Errorf("title longer than %d bytes", MaxMessageTitle)
	case m.WaitSeconds < 0 || m.WaitSeconds > MaxMessageWait:
		return fmt.Errorf("wait_seconds must be between 0 and %d", MaxMessageWait)
	}
	return nil
}
