package health

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/steward-rmm/steward/protocol"
)

// zypper's informational exit codes: the command worked and says more.
// The installers need the last two.
const (
	zypperInfoUpdates  = 100 // updates available
	zypperInfoSecurity = 101 // security updates available
	ZypperInfoReboot   = 102 // reboot needed
	ZypperInfoRestart  = 103 // zypper itself was updated; run it again
)

// ZypperOK reports whether a zypper exit code means success.
func ZypperOK(code int) bool { return code == 0 || (code >= 100 && code <= 103) }

type zypperStream struct {
	Messages []struct {
		Type string `xml:"type,attr"`
		Text string `xml:",chardata"`
	} `xml:"message"`
	Updates []zypperUpdate `xml:"update-status>update-list>update"`
}

type zypperUpdate struct {
	Kind       string `xml:"kind,attr"`
	Name       string `xml:"name,attr"`
	Edition    string `xml:"edition,attr"`
	EditionOld string `xml:"edition-old,attr"`
	Arch       string `xml:"arch,attr"`
	Status     string `xml:"status,attr"`
	Category   string `xml:"category,attr"`
	Severity   string `xml:"severity,attr"`
	Restart    string `xml:"restart,attr"`
	Summary    string `xml:"summary"`
}

// ParseZypperXML parses `zypper --xmlout list-updates` and `list-patches`.
// Package updates get the package name as ID; needed patches get
// "patch:NAME" (zypper's own syntax for installing one patch), the patch
// name as Advisory, Security for the security category, Classification
// from the category and Severity from the severity. An error
// message in the stream, or XML that is not a zypper stream, is an error.
func ParseZypperXML(b []byte) ([]protocol.Patch, error) {
	// The runner merges stderr in; start at the stream element so a stray
	// line before it does not spoil the document.
	if i := bytes.Index(b, []byte("<stream")); i > 0 {
		b = b[i:]
	}
	var s zypperStream
	d := xml.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&s); err != nil {
		return nil, fmt.Errorf("zypper xml: %w", err)
	}
	var errs []string
	for _, m := range s.Messages {
		if m.Type == "error" {
			errs = append(errs, Clean(m.Text, MaxDetail))
		}
	}
	var out []protocol.Patch
	seen := map[string]bool{}
	for _, u := range s.Updates {
		name := Clean(u.Name, MaxField)
		if name == "" || strings.HasPrefix(name, "-") || !zypperNameOK(name) {
			continue
		}
		var p protocol.Patch
		switch u.Kind {
		case "package", "":
			p = protocol.Patch{ID: name, Name: name,
				InstalledVersion: Clean(u.EditionOld, MaxField), AvailableVersion: Clean(u.Edition, MaxField)}
		case "patch":
			if u.Status != "" && u.Status != "needed" {
				continue // applied or not relevant
			}
			p = protocol.Patch{ID: "patch:" + name, Name: Clean(u.Summary, MaxField), Advisory: name,
				Security: u.Category == "security", RebootRequired: u.Restart == "true",
				Classification: zypperClass(u.Category), Severity: protocol.NormalSeverity(u.Severity)}
			if p.Name == "" {
				p.Name = name
			}
		default:
			continue
		}
		// Report only what an install job could name (a leading '+' is
		// not a package zypper would install by that id).
		if !pkgIDRE.MatchString(p.ID) || seen[p.ID] || len(out) >= maxPatches {
			continue
		}
		seen[p.ID] = true
		out = append(out, p)
	}
	if len(errs) > 0 {
		return out, errors.New(strings.Join(errs, "; "))
	}
	return out, nil
}

func zypperNameOK(n string) bool {
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(isAlpha(c) || isDigit(c) || strings.IndexByte("._+-:~", c) >= 0) {
			return false
		}
	}
	return true
}
