// Package installer turns a server URL, an enrollment token and the
// server's pin into what a person runs on a device: the
// install.sh (Linux, macOS) and install.ps1 (Windows) scripts the server
// serves, and one-line commands that fetch and run them.
//
// Trust works in two steps. The one-liner (handed to the operator over a
// trusted channel) pins the SHA-256 of the script it downloads, so a
// script altered on the way is never run. The script then pins the server
// (package tlspin: its own key, or a CA plus the server's host name)
// before it trusts the server for anything, and pins the SHA-256 of the
// agent binary it downloads (checked against both the server's published
// checksum and the one written into the script). The agent then enrolls
// over TLS pinned the same way.
//
// A one-liner is therefore bound to the agent builds the server had when it
// was made: after the server gets new builds, make a new one.
package installer

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/steward-rmm/steward/tlspin"
)

// Platforms are the os/arch pairs agent builds exist for.
var Platforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

// Params are the inputs of the scripts and commands.
type Params struct {
	// ServerURL is how the device reaches the server: https://host[:port][/path].
	ServerURL string
	// Token is the enrollment token ([A-Za-z0-9_-], at most 128).
	Token string
	// Pin is what the agent pins the server by, as tlspin.ParsePins reads
	// it (spki:HEX, ca:HEX or a bare CA fingerprint; several
	// comma-separated). The scripts check their own downloads with the
	// first one.
	Pin string
	// ServerCertSHA256 is the SHA-256 (hex) of the server's certificate.
	// install.ps1 pins it when the first pin is an SPKI pin, since Windows
	// PowerShell cannot hash a public key; the script is made for the
	// certificate the server has now.
	ServerCertSHA256 string
	// ReleaseKey is the hex ed25519 key agent releases are signed with; "" = none.
	ReleaseKey string
	// Binaries maps "os/arch" to the SHA-256 (hex) of that agent build.
	// A platform missing here is refused by the scripts.
	Binaries map[string]string
}

var (
	tokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	hex64RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// Host (name, IPv4 or bracketed IPv6), optional port and path: nothing
	// a shell or PowerShell could read as syntax, even unquoted.
	serverRE = regexp.MustCompile(`^https://[A-Za-z0-9.\-\[\]:]+(/[A-Za-z0-9._~\-/]*)?$`)
)

// ValidToken reports whether t has the form of an enrollment token. It
// does not say whether the server knows it.
func ValidToken(t string) bool { return tokenRE.MatchString(t) }

// normalize validates p and returns it with the URL's trailing slash
// removed and hex lower-cased.
func normalize(p Params) (Params, error) {
	p.ServerURL = strings.TrimRight(p.ServerURL, "/")
	u, err := url.Parse(p.ServerURL)
	if err != nil || !serverRE.MatchString(p.ServerURL) || u.Host == "" || u.User != nil {
		return p, fmt.Errorf("installer: server URL must be https://host[:port], got %q", p.ServerURL)
	}
	if !ValidToken(p.Token) {
		return p, errors.New("installer: the token must be 1-128 letters, digits, _ or -")
	}
	pins, err := tlspin.ParsePins(p.Pin)
	if err != nil {
		return p, fmt.Errorf("installer: the server pin: %w", err)
	}
	p.Pin = tlspin.Format(pins)
	p.ServerCertSHA256 = strings.ToLower(p.ServerCertSHA256)
	if pins[0].Kind == tlspin.KindSPKI && !hex64RE.MatchString(p.ServerCertSHA256) {
		return p, errors.New("installer: an SPKI pin needs the server certificate's SHA-256 (64 hex characters) for install.ps1")
	}
	p.ReleaseKey = strings.ToLower(p.ReleaseKey)
	if p.ReleaseKey != "" && !hex64RE.MatchString(p.ReleaseKey) {
		return p, errors.New("installer: the release key must be 64 hex characters (ed25519)")
	}
	bins := map[string]string{}
	for k, v := range p.Binaries {
		v = strings.ToLower(v)
		if !knownPlatform(k) || !hex64RE.MatchString(v) {
			return p, fmt.Errorf("installer: bad agent checksum for %q", k)
		}
		bins[k] = v
	}
	p.Binaries = bins
	return p, nil
}

func knownPlatform(k string) bool {
	for _, p := range Platforms {
		if p == k {
			return true
		}
	}
	return false
}

//go:embed templates/install.sh templates/install.ps1
var templates embed.FS

var scripts = template.Must(template.New("").Funcs(template.FuncMap{"shq": shQuote, "psq": psQuote}).
	ParseFS(templates, "templates/install.sh", "templates/install.ps1"))

// shQuote quotes s for POSIX sh. Params are validated to a safe character
// set already; quoting is the second line of defence.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// psQuote quotes s as a PowerShell single-quoted (verbatim) string.
func psQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Scripts are the rendered install scripts.
type Scripts struct {
	Shell      []byte // install.sh, Linux and macOS
	PowerShell []byte // install.ps1, Windows
}

type platformSum struct{ Key, OS, Arch, Sum string }

// Render renders both install scripts for p.
func Render(p Params) (Scripts, error) {
	p, err := normalize(p)
	if err != nil {
		return Scripts{}, err
	}
	var unix, windows []platformSum
	keys := make([]string, 0, len(p.Binaries))
	for k := range p.Binaries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		os, arch, _ := strings.Cut(k, "/")
		s := platformSum{Key: k, OS: os, Arch: arch, Sum: p.Binaries[k]}
		if os == "windows" {
			windows = append(windows, s)
		} else {
			unix = append(unix, s)
		}
	}
	first, _ := tlspin.ParsePin(strings.Split(p.Pin, ",")[0])
	kind := "ca"
	if first.Kind == tlspin.KindSPKI {
		kind = "spki"
	}
	data := struct {
		Params
		Unix, Windows           []platformSum
		PinKind, PinHex, PinB64 string
	}{p, unix, windows, kind, first.Hex(), first.Base64()}
	var sh, ps bytes.Buffer
	if err := scripts.ExecuteTemplate(&sh, "install.sh", data); err != nil {
		return Scripts{}, fmt.Errorf("installer: %w", err)
	}
	if err := scripts.ExecuteTemplate(&ps, "install.ps1", data); err != nil {
		return Scripts{}, fmt.Errorf("installer: %w", err)
	}
	return Scripts{Shell: sh.Bytes(), PowerShell: ps.Bytes()}, nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Commands returns ready-made install commands for p: "linux" and "macos"
// (a POSIX shell; they re-run themselves with sudo when needed),
// "windows" (an elevated PowerShell) and "agent" (an agent binary already
// on the device). Each one-liner pins the SHA-256 of the script as Render
// makes it, so it only runs that exact script.
func Commands(p Params) (map[string]string, error) {
	p, err := normalize(p)
	if err != nil {
		return nil, err
	}
	s, err := Render(p)
	if err != nil {
		return nil, err
	}
	shURL := p.ServerURL + "/install.sh?token=" + p.Token
	psURL := p.ServerURL + "/install.ps1?token=" + p.Token
	unix := func(sumCmd string) string {
		// In a subshell, so the trap cleans up and a failure does not
		// close the user's terminal; the script is run only if its hash
		// matches.
		return fmt.Sprintf(`(f=$(mktemp) && trap 'rm -f "$f"' EXIT && curl -fsSk --proto =https %s -o "$f" && `+
			`{ [ "$(%s "$f" | cut -c1-64)" = %s ] || { echo 'install.sh does not match its pinned SHA-256: not running it' >&2; false; }; } && sh "$f")`,
			shQuote(shURL), sumCmd, s.ShellSHA256())
	}
	agent := "steward-agent install --server " + p.ServerURL + " --token " + p.Token + " --pin " + p.Pin
	if p.ReleaseKey != "" {
		agent += " --release-key " + p.ReleaseKey
	}
	return map[string]string{
		"linux": unix("sha256sum"),
		"macos": unix("shasum -a 256"),
		// -File runs the script in a new process, so nothing of the
		// unchecked download (its callback, its pooled connection) carries
		// over; the script pins the server itself.
		"windows": fmt.Sprintf(`$ErrorActionPreference='Stop'; [Net.ServicePointManager]::SecurityProtocol=[Net.SecurityProtocolType]::Tls12; `+
			`$f=Join-Path $env:TEMP ('steward-install-'+[guid]::NewGuid()+'.ps1'); `+
			`[Net.ServicePointManager]::ServerCertificateValidationCallback={$true}; `+
			`try { (New-Object Net.WebClient).DownloadFile(%s,$f) } finally { [Net.ServicePointManager]::ServerCertificateValidationCallback=$null }; `+
			`if ((Get-FileHash -Algorithm SHA256 $f).Hash -ne %s) { Remove-Item $f; throw 'install.ps1 does not match its pinned SHA-256: not running it' }; `+
			`powershell -NoProfile -ExecutionPolicy Bypass -File $f; Remove-Item $f`,
			psQuote(psURL), psQuote(s.PowerShellSHA256())),
		"agent": agent,
	}, nil
}

// ShellSHA256 is the hex SHA-256 of install.sh, as the one-liners pin it.
func (s Scripts) ShellSHA256() string { return sha256Hex(s.Shell) }

// PowerShellSHA256 is the hex SHA-256 of install.ps1, as the one-liner
// pins it.
func (s Scripts) PowerShellSHA256() string { return sha256Hex(s.PowerShell) }
