package health

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// macSoftware lists applications through system_profiler, which finds
// every bundle Launch Services knows (/System/Applications, users'
// Applications folders, apps inside frameworks), not just /Applications.
// When system_profiler fails, the bundles in /Applications are read
// directly, so a broken tool leaves a partial list rather than none.
func macSoftware(ctx context.Context, e Env) ([]protocol.Software, error) {
	b, err := e.Run(ctx, "system_profiler", "-json", "-detailLevel", "full", "SPApplicationsDataType")
	if err == nil {
		var apps []protocol.Software
		if apps, err = ParseSPApplications(b); err == nil {
			return apps, nil
		}
	}
	return macApps(e), fmt.Errorf("system_profiler: %w (only /Applications was read)", err)
}

// spApp is one entry of `system_profiler -json SPApplicationsDataType`.
type spApp struct {
	Name         string   `json:"_name"`
	Version      string   `json:"version"`
	Path         string   `json:"path"`
	ObtainedFrom string   `json:"obtained_from"` // apple, mac_app_store, identified_developer, unknown
	LastModified string   `json:"lastModified"`  // RFC 3339, UTC
	SignedBy     []string `json:"signed_by"`
}

// developerRE takes the developer's name out of a Developer ID or App Store
// signing certificate: "Developer ID Application: Microsoft Corporation
// (UBF8T346G9)".
var developerRE = regexp.MustCompile(`^(?:Developer ID Application|Apple Distribution|Apple Mac OS Application Signing|3rd Party Mac Developer Application): (.+?)(?: \([A-Z0-9]{10}\))?$`)

// ParseSPApplications parses system_profiler's JSON application list. The
// publisher is the signing developer, "Apple" for Apple's own apps, else
// how the app was obtained; the install date is the bundle's modification
// day. The same bundle path is listed once.
func ParseSPApplications(b []byte) ([]protocol.Software, error) {
	var doc struct {
		Apps []spApp `json:"SPApplicationsDataType"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse SPApplicationsDataType: %w", err)
	}
	var out []protocol.Software
	seen := map[string]bool{}
	for _, a := range doc.Apps {
		s := protocol.Software{Name: Clean(a.Name, MaxField), Version: Clean(a.Version, MaxField), Source: "app"}
		if s.Name == "" || (a.Path != "" && seen[a.Path]) {
			continue
		}
		seen[a.Path] = true
		switch {
		case a.ObtainedFrom == "apple":
			s.Publisher = "Apple"
		case len(a.SignedBy) > 0 && developerRE.MatchString(a.SignedBy[0]):
			s.Publisher = Clean(developerRE.FindStringSubmatch(a.SignedBy[0])[1], MaxField)
		case a.ObtainedFrom == "mac_app_store":
			s.Publisher = "Mac App Store"
		}
		if t, err := time.Parse(time.RFC3339, a.LastModified); err == nil {
			s.InstallDate = t.UTC().Format("2006-01-02")
		}
		if p := Clean(a.Path, MaxDetail); strings.HasPrefix(p, "/") {
			s.Path = p // apps outside /Applications are told apart by where they are
		}
		out = append(out, s)
		if len(out) >= maxSoftware {
			break
		}
	}
	return out, nil
}
