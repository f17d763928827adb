package ctl

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/steward-rmm/steward/api"
)

// rebootOpts are the patch policy's reboot flags of automation create
// and update; they override the same fields of --patch.
type rebootOpts struct {
	at           string
	deferMinutes int
	maxDeferrals int
}

func (o *rebootOpts) flags(c *cobra.Command) {
	c.Flags().StringVar(&o.at, "reboot-at", "", `restart at this time of day (HH:MM in the policy's zone; sets "reboot":"at-time"), `+
		`the next one after the install: possibly outside the window`)
	c.Flags().IntVar(&o.deferMinutes, "defer-minutes", -1, "how long the logged-in user's \"No\" postpones the restart (default 60)")
	c.Flags().IntVar(&o.maxDeferrals, "max-deferrals", -1, "how often the user may postpone it (0..10; 0 = not asked, told)")
}

// apply writes the flags given into the patch policy.
func (o *rebootOpts) apply(pp *api.PatchPolicy) error {
	if pp == nil {
		if o.at != "" || o.deferMinutes >= 0 || o.maxDeferrals >= 0 {
			return fmt.Errorf("--reboot-at, --defer-minutes and --max-deferrals need a --patch policy")
		}
		return nil
	}
	if o.at != "" {
		pp.Reboot, pp.RebootAt = "at-time", o.at
	}
	if o.deferMinutes >= 0 {
		pp.DeferMinutes = o.deferMinutes
	}
	if o.maxDeferrals >= 0 {
		pp.MaxDeferrals = o.maxDeferrals
	}
	return nil
}
