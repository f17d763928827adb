package ctl

import (
	"net/url"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// approvalText is a device's approval state for tables: "approved",
// "pending", or "pending, duplicate of ID" for a second enrollment of a
// machine the server already knows.
func approvalText(d api.Device) string {
	s := d.Approval
	switch {
	case d.DuplicateOf != "":
		s += ", duplicate of " + d.DuplicateOf
	case d.DuplicateElsewhere:
		s += ", duplicate of a device of another client"
	}
	return s
}

// devicesApproveCmd is "devices approve DEVICE [--revoke-duplicate]": a
// pending device starts receiving jobs. Rejecting one is "devices revoke".
func (a *App) devicesApproveCmd() *cobra.Command {
	var revokeDup bool
	c := &cobra.Command{
		Use:   "approve DEVICE",
		Short: "Approve a device waiting for approval (reject one with devices revoke)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.resolveDevice(args[0])
			if err != nil {
				return err
			}
			path := "/api/v1/devices/" + url.PathEscape(id) + "/approve"
			if revokeDup {
				path += "?revoke_duplicate=true"
			}
			var out api.DeviceResponse
			if err := a.client().Do("POST", path, nil, &out); err != nil {
				return err
			}
			return a.print(out, []string{"ID", "HOSTNAME", "APPROVAL"}, func() [][]string {
				return [][]string{{out.Device.ID, out.Device.Hostname, approvalText(out.Device)}}
			})
		},
	}
	c.Flags().BoolVar(&revokeDup, "revoke-duplicate", false, "also revoke the device this one duplicates (the machine's old enrollment)")
	return c
}
