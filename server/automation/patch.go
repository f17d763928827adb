package automation

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
)

// PatchTaskID is the task a profile's patch policy runs as: due at each
// window's start, each device at its offset in the window's first half,
// until the window ends. Exempting it on a device exempts the device
// from the patch policy.
const PatchTaskID = "patch-policy"

// Patch policy values.
const (
	AutoNone     = "none"
	AutoSecurity = "security"
	AutoAll      = "all"
	RebootNever  = "never"
	RebootIfReq  = "if-required"
)

// patchPolicyTask is the task a patch policy runs as.
func patchPolicyTask(pp *store.PatchPolicy) *store.AutoTask {
	return &store.AutoTask{ID: PatchTaskID, Name: "patch policy", Action: PatchTaskID,
		Schedule: store.AutoSchedule{Kind: SchedWeekly, At: pp.Start, Weekdays: pp.Weekdays, TimeZone: pp.TimeZone},
		Spread:   pp.Minutes * 30, DeadlineMinutes: pp.Minutes}
}

// checkPatch validates a patch policy.
func (w *Wing) checkPatch(in *api.PatchPolicy) (*store.PatchPolicy, error) {
	if in == nil {
		return nil, nil
	}
	pp := store.PatchPolicy{Auto: in.Auto, Weekdays: slices.Clone(in.Weekdays), Start: in.Start, Minutes: in.Minutes,
		TimeZone: in.TimeZone, Reboot: in.Reboot, Message: strings.TrimSpace(in.Message), RebootAfterDays: in.RebootAfterDays}
	switch pp.Auto {
	case "":
		pp.Auto = AutoNone
	case AutoNone, AutoSecurity, AutoAll:
	default:
		return nil, errors.New("patch auto must be none, security or all")
	}
	switch pp.Reboot {
	case "":
		pp.Reboot = RebootNever
	case RebootNever, RebootIfReq, RebootAtTime:
	default:
		return nil, errors.New("patch reboot must be never, if-required or at-time")
	}
	if err := checkReboot(&pp, in); err != nil {
		return nil, err
	}
	if pp.Minutes < 30 || pp.Minutes > 24*60 {
		return nil, errors.New("the patch window lasts 30..1440 minutes")
	}
	if pp.RebootAfterDays < 0 || pp.RebootAfterDays > 365 {
		return nil, errors.New("reboot_after_days must be 0..365")
	}
	if len(pp.Message) > protocol.MaxMessageText {
		return nil, fmt.Errorf("the reboot message is longer than %d bytes", protocol.MaxMessageText)
	}
	for _, set := range []struct {
		dst *[]string
		src []string
	}{{&pp.Include, in.Include}, {&pp.Exclude, in.Exclude}} {
		if len(set.src) > 100 {
			return nil, errors.New("at most 100 include and 100 exclude patterns")
		}
		for _, p := range set.src {
			p = strings.TrimSpace(p)
			if _, err := path.Match(strings.ToLower(p), ""); err != nil || p == "" || len(p) > 200 {
				return nil, fmt.Errorf("bad patch name pattern %q", p)
			}
			*set.dst = append(*set.dst, p)
		}
	}
	if err := checkPatchFilters(&pp, in); err != nil {
		return nil, err
	}
	if _, err := compile(&patchPolicyTask(&pp).Schedule, w.d.Config.TimeZone, w.d.Config.MinEvery); err != nil {
		return nil, fmt.Errorf("patch window: %w", err)
	}
	return &pp, nil
}

// matchAny reports whether a patch's name or ID matches one of patterns
// (any case).
func matchAny(patterns []string, p *protocol.Patch) bool {
	for _, pat := range patterns {
		pat = strings.ToLower(pat)
		for _, s := range []string{p.Name, p.ID} {
			if ok, _ := path.Match(pat, strings.ToLower(s)); ok && s != "" {
				return true
			}
		}
	}
	return false
}

// patchVerdict is what a policy says of one available patch: excluded
// (exclusions win), selected (to install in the window: auto all,
// security ones under auto security, a classification or severity the
// policy names, an include pattern, an approval) or pending-approval.
func (c *config) patchVerdict(pp *store.PatchPolicy, clientID string, p *protocol.Patch) string {
	switch {
	case matchAny(pp.Exclude, p):
		return "excluded"
	case pp.Auto == AutoAll, pp.Auto == AutoSecurity && p.Security, matchAny(pp.Include, p), classSelected(pp, p):
		return "selected"
	}
	if _, ok := c.approved[approvalKey{clientID, p.ID}]; ok {
		return "selected"
	}
	if _, ok := c.approved[approvalKey{"", p.ID}]; ok {
		return "selected"
	}
	return "pending-approval"
}

// available reads a device's available patches from its latest health
// report (nil when it has none).
func (w *Wing) available(deviceID string) ([]protocol.Patch, error) {
	rec, err := w.d.Store.Health(deviceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	h, err := fleet.DecodeHealth(rec)
	if err != nil {
		return nil, err
	}
	return h.Patches.Available, nil
}

// patchPlan is the job a patch policy makes for one device in its
// window: the selected patches installed (rebooting if required, when
// the policy says, after a message to the logged-in user), or a reboot
// when one has been pending RebootAfterDays; no job (Kind "") when
// neither applies, with why. A policy that asks the user or restarts
// at a time hands its reboots to rebootPlan (reboot.go).
func (w *Wing) patchPlan(pp *store.PatchPolicy, e *entry, now time.Time) (api.JobRequest, *api.JobRequest, string) {
	patches, err := w.available(e.device)
	if err != nil {
		return api.JobRequest{}, nil, "health report unreadable: " + err.Error()
	}
	var ids []string
	for i := range patches {
		if w.cfg.patchVerdict(pp, e.client, &patches[i]) == "selected" {
			ids = append(ids, patches[i].ID)
		}
	}
	slices.Sort(ids)
	rebootDue := pp.RebootAfterDays > 0 && !e.st.PendingSince.IsZero() &&
		now.Sub(e.st.PendingSince) >= time.Duration(pp.RebootAfterDays)*24*time.Hour
	if req, detail, ok := w.rebootPlan(pp, e, ids, rebootDue, now); ok {
		return req, nil, detail
	}
	var pre *api.JobRequest
	if pp.Message != "" && (rebootDue || len(ids) > 0 && pp.Reboot == RebootIfReq) {
		pre = &api.JobRequest{Kind: protocol.KindMessage, Message: &protocol.MessageJob{Title: "Maintenance", Text: pp.Message}}
	}
	switch {
	case len(ids) > 0:
		reboot := pp.Reboot
		if rebootDue {
			reboot = RebootIfReq
		}
		return api.JobRequest{Kind: protocol.KindPatchInstall, Patch: &protocol.PatchInstall{IDs: ids, Reboot: reboot}}, pre, ""
	case rebootDue:
		msg := pp.Message
		if msg == "" {
			msg = "Scheduled maintenance: this computer restarts in 5 minutes."
		}
		return api.JobRequest{Kind: protocol.KindPower, Power: &protocol.PowerAction{Action: "reboot", DelaySeconds: 300,
			Message: msg}}, nil, ""
	}
	return api.JobRequest{}, nil, "nothing to install"
}
