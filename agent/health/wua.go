package health

import (
	"context"
	"regexp"
	"strings"

	"github.com/steward-rmm/steward/protocol"
)

// WUACriteria is the search for updates that are offered and not installed.
const WUACriteria = "IsInstalled=0 and IsHidden=0 and Type='Software'"

// WUA is the Windows Update Agent as the collectors use it. The real one
// drives the COM API (Microsoft.Update.Session) on a locked OS thread.
type WUA interface {
	// Search returns the updates matching criteria.
	Search(ctx context.Context, criteria string) ([]WUAUpdate, error)
	// Install downloads and installs the updates whose patch IDs (see
	// MapWUA) are in ids, or every update WUACriteria finds when ids is
	// empty.
	Install(ctx context.Context, ids []string) (WUAInstallResult, error)
	// RebootRequired is ISystemInformation.RebootRequired.
	RebootRequired(ctx context.Context) (bool, error)
}

// WUAUpdate is what the collectors read from one IUpdate.
type WUAUpdate struct {
	UpdateID        string   // Identity.UpdateID (a GUID)
	Title           string   //
	KBArticleIDs    []string // without the "KB" prefix, as WUA gives them
	MsrcSeverity    string   // Critical, Important, ... or empty
	Categories      []string // category names, e.g. "Security Updates" (in the session's language)
	CategoryIDs     []string // the categories' CategoryID GUIDs, the same in every language
	MaxDownloadSize int64    // bytes
	RebootBehavior  int      // InstallationBehavior.RebootBehavior: 0 never, 1 always, 2 can request
	IsDownloaded    bool
}

// WUAInstallResult is the outcome of WUA.Install.
type WUAInstallResult struct {
	Installed      []string
	Failed         []string
	RebootRequired bool
	Output         string // one line per update, for the job's output
}

var kbRE = regexp.MustCompile(`^(?i:KB)?([0-9]{4,9})$`)

// WUAPatchIDs returns each update's patch ID, in order: "KB" plus its
// first KB article, or its UpdateID when it has none or shares the KB
// with another update in the list (one KB can ship per product or
// architecture).
func WUAPatchIDs(us []WUAUpdate) []string {
	ids := make([]string, len(us))
	count := map[string]int{}
	for i, u := range us {
		for _, kb := range u.KBArticleIDs {
			if m := kbRE.FindStringSubmatch(strings.TrimSpace(kb)); m != nil {
				ids[i] = "KB" + m[1]
				break
			}
		}
		if ids[i] == "" {
			ids[i] = strings.ToLower(Clean(u.UpdateID, 64))
		}
		count[ids[i]]++
	}
	for i, u := range us {
		if count[ids[i]] > 1 && u.UpdateID != "" {
			ids[i] = strings.ToLower(Clean(u.UpdateID, 64))
		}
	}
	return ids
}

// MapWUA turns a WUA search result into patches. Security comes from the
// "Security Updates" category or an MSRC severity; Classification from
// the classification category (see patchclass.go), Severity from the MSRC
// severity; Advisory lists the KB articles; RebootRequired means the
// update may ask for a reboot.
func MapWUA(us []WUAUpdate) []protocol.Patch {
	ids := WUAPatchIDs(us)
	var out []protocol.Patch
	seen := map[string]bool{}
	for i, u := range us {
		if ids[i] == "" || seen[ids[i]] || len(out) >= maxPatches {
			continue
		}
		seen[ids[i]] = true
		p := protocol.Patch{
			ID:             ids[i],
			Name:           Clean(u.Title, MaxField),
			Security:       u.MsrcSeverity != "",
			RebootRequired: u.RebootBehavior != 0,
			Classification: wuaClass(u.CategoryIDs, u.Categories),
			Severity:       protocol.NormalSeverity(u.MsrcSeverity),
		}
		if p.Name == "" {
			p.Name = p.ID
		}
		for _, c := range u.Categories {
			if strings.EqualFold(strings.TrimSpace(c), "Security Updates") {
				p.Security = true
			}
		}
		var kbs []string
		for _, kb := range u.KBArticleIDs {
			if m := kbRE.FindStringSubmatch(strings.TrimSpace(kb)); m != nil {
				kbs = append(kbs, "KB"+m[1])
			}
		}
		p.Advisory = Clean(joinCapped(uniq(kbs)), MaxField)
		if u.MaxDownloadSize > 0 {
			p.Size = min(u.MaxDownloadSize, maxSize)
		}
		out = append(out, p)
	}
	return out
}
