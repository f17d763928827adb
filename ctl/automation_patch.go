package ctl

import (
	"errors"
	"strings"

	"github.com/steward-rmm/steward/api"
)

// applyPatchFilters puts --classification and --min-severity into the
// patch policy --patch gave (the server validates the values).
func applyPatchFilters(pp *api.PatchPolicy, classes []string, minSeverity string) error {
	if len(classes) == 0 && minSeverity == "" {
		return nil
	}
	if pp == nil {
		return errors.New("--classification and --min-severity refine a patch policy: give --patch too")
	}
	for _, c := range classes {
		for _, x := range strings.Split(c, ",") {
			if x = strings.TrimSpace(x); x != "" {
				pp.Classifications = append(pp.Classifications, x)
			}
		}
	}
	if minSeverity != "" {
		pp.MinSeverity = minSeverity
	}
	return nil
}

// patchFilterText says what a policy selects besides auto: " + critical,
// driver + important or worse".
func patchFilterText(pp *api.PatchPolicy) string {
	var s string
	if len(pp.Classifications) > 0 {
		s += " + " + strings.Join(pp.Classifications, ", ")
	}
	if pp.MinSeverity != "" {
		s += " + " + pp.MinSeverity + " or worse"
	}
	return s
}
